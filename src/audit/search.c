/* Every kernel audit record of one container (libauparse): ward's own
 * records of it, checked, and those its processes made, found by the audit
 * sessions its "init" and "exec" records map.
 *
 * A record is ward's only if the kernel says so: the pid, auid and ses in
 * front of msg='...' are set by the kernel from the sender, whatever the
 * text says. ward sends from the caller's session; a container's processes
 * live in sessions ward began for them. So a "virt=ward" record whose
 * kernel-set session is one of a container's was sent from inside that
 * container: forged. Records are judged in time order (a container's
 * session is announced by a genuine record before any of its processes
 * runs). Where a container could not get a session (attribution pid-ns),
 * the twin check remains: every genuine record has a twin, sent by the same
 * ward process, in ward's root-only JSON log. */
#include <auparse.h>
#include <errno.h>
#include <fcntl.h>
#include <libaudit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "audit.h"

#define MAX_SES 256

struct window {
	unsigned ses;
	double from, to; /* seconds; to = 0: open */
};

struct scan {
	const char *audit_id;
	/* sessions of every container, from genuine records, with owner */
	struct {
		unsigned ses;
		char audit_id[WARD_AUDIT_ID_LEN + 1];
	} known[MAX_SES * 4];
	size_t n_known;
	/* this container's sessions */
	struct window win[MAX_SES];
	size_t n_win;
	double last_login;	    /* time of the latest LOGIN record (a session began) */
	json_t *twins;		    /* JSON-log records: "op pid" strings seen, or NULL */
	char nested_in[WARD_AUDIT_ID_LEN + 1]; /* the container our ward ran in, or "" */
	json_t *events;
};

static double ev_time(const au_event_t *e)
{
	return (double)e->sec + e->milli / 1000.0;
}

/* The n-th (0: the kernel's own) value of a field in the current record. */
static const char *field(auparse_state_t *au, const char *name, int nth)
{
	auparse_first_field(au);
	const char *v = auparse_find_field(au, name);
	while (v && nth-- > 0)
		v = auparse_find_field_next(au);
	return v;
}

static unsigned field_uint(auparse_state_t *au, const char *name, int nth)
{
	const char *v = field(au, name, nth);
	return v ? (unsigned)strtoul(v, NULL, 10) : (unsigned)-1;
}

static const char *owner_of(const struct scan *s, unsigned ses)
{
	for (size_t i = 0; i < s->n_known; i++)
		if (s->known[i].ses == ses)
			return s->known[i].audit_id;
	return NULL;
}

static json_t *event_json(auparse_state_t *au, const char *kind, const char *why)
{
	const au_event_t *e = auparse_get_timestamp(au);
	json_t *recs = json_array();
	auparse_first_record(au);
	do
		json_array_append_new(recs, json_string(auparse_get_record_text(au)));
	while (auparse_next_record(au) > 0);
	auparse_first_record(au);
	json_t *j = json_pack("{s:f, s:I, s:s, s:o}", "time", ev_time(e), "serial",
			      (json_int_t)e->serial, "kind", kind, "records", recs);
	if (why)
		json_object_set_new(j, "why", json_string(why));
	return j;
}

/* Is this virt=ward record's twin in ward's JSON log (same op, same ward pid)? */
static bool has_twin(const struct scan *s, const char *op, unsigned pid)
{
	if (!s->twins)
		return true;
	char key[64];
	snprintf(key, sizeof(key), "%s %u", op, pid);
	return json_object_get(s->twins, key) != NULL;
}

static void ward_record(struct scan *s, auparse_state_t *au)
{
	unsigned kses = field_uint(au, "ses", 0), kpid = field_uint(au, "pid", 0);
	const char *uuid = field(au, "uuid", 0), *op = field(au, "op", 0);
	if (!uuid || !op)
		return;
	const char *inside = owner_of(s, kses);
	bool mine = strcmp(uuid, s->audit_id) == 0;
	if (inside && mine) {
		/* From inside container X: a ward nested in X, if our container
		 * was created so (from X, naming X as its parent); anything else
		 * is X speaking for another container. */
		const char *parent = field(au, "parent", 0);
		if (!s->nested_in[0] && strcmp(op, "create") == 0 && parent &&
		    strcmp(parent, inside) == 0)
			snprintf(s->nested_in, sizeof(s->nested_in), "%s", inside);
		char why[200];
		if (s->nested_in[0] && strcmp(s->nested_in, inside) == 0) {
			snprintf(why, sizeof(why), "sent by a ward nested in the container with audit "
				 "ID %s (its session %u)", inside, kses);
			json_array_append_new(s->events, event_json(au, "nested", why));
		} else {
			snprintf(why, sizeof(why), "sent from audit session %u, which belongs to the "
				 "container with audit ID %s", kses, inside);
			json_array_append_new(s->events, event_json(au, "forged", why));
		}
		return;
	}
	if (inside)
		return;
	if (mine && !has_twin(s, op, kpid)) {
		json_array_append_new(s->events,
				      event_json(au, "unverified", "no twin in ward's JSON log"));
		return;
	}
	unsigned ses = field_uint(au, "ses", 1); /* ours, inside msg */
	if ((strcmp(op, "init") == 0 || strcmp(op, "exec") == 0) && ses != (unsigned)-1 &&
	    s->n_known < ARRAY_SIZE(s->known)) {
		s->known[s->n_known].ses = ses;
		snprintf(s->known[s->n_known].audit_id, sizeof(s->known[0].audit_id), "%s", uuid);
		s->n_known++;
		if (mine && s->n_win < MAX_SES) {
			double t = ev_time(auparse_get_timestamp(au));
			/* From the LOGIN record that began it, if the log has one. */
			double from = s->last_login && s->last_login <= t ? s->last_login : t - 10;
			s->win[s->n_win++] = (struct window){ses, from, 0};
		}
	}
	if (mine && strcmp(op, "delete") == 0) {
		double t = ev_time(auparse_get_timestamp(au));
		for (size_t i = 0; i < s->n_win; i++)
			if (!s->win[i].to)
				s->win[i].to = t + 1;
	}
	if (mine)
		json_array_append_new(s->events, event_json(au, "ward", NULL));
}

/* Pass 1: ward's records, in log order. */
static void pass_ward(struct scan *s, auparse_state_t *au)
{
	while (auparse_next_event(au) > 0) {
		int type = auparse_get_type(au);
		if (type == AUDIT_LOGIN) {
			/* A session begins: remember when, for the window of the
			 * mapping record that follows it. */
			s->last_login = ev_time(auparse_get_timestamp(au));
			continue;
		}
		if (type < AUDIT_FIRST_VIRT_MSG || type > AUDIT_LAST_VIRT_MSG)
			continue;
		const char *virt = field(au, "virt", 0);
		if (virt && strcmp(virt, "ward") == 0)
			ward_record(s, au);
	}
}

/* Pass 2: what the container's processes did, by session and time. */
static void pass_sessions(struct scan *s, auparse_state_t *au)
{
	while (auparse_next_event(au) > 0) {
		int type = auparse_get_type(au);
		if (type >= AUDIT_FIRST_VIRT_MSG && type <= AUDIT_LAST_VIRT_MSG)
			continue;
		unsigned ses = field_uint(au, "ses", 0);
		if (ses == (unsigned)-1)
			continue;
		double t = ev_time(auparse_get_timestamp(au));
		for (size_t i = 0; i < s->n_win; i++) {
			if (s->win[i].ses == ses && t >= s->win[i].from &&
			    (!s->win[i].to || t <= s->win[i].to)) {
				json_array_append_new(s->events, event_json(au, "container", NULL));
				break;
			}
		}
	}
}

int ward_audit_kmsg_line(const char *rec, char *out, size_t len)
{
	const char *text = strchr(rec, ';');
	int type;
	const char *rest;
	if (!text || sscanf(text + 1, "audit: type=%d ", &type) != 1 ||
	    !(rest = strstr(text, " audit(")))
		return -1;
	const char *name = audit_msg_type_to_name(type);
	size_t body = strcspn(rest + 1, "\n");
	int n = name ? snprintf(out, len, "type=%s msg=%.*s\n", name, (int)body, rest + 1)
		     : snprintf(out, len, "type=UNKNOWN[%d] msg=%.*s\n", type, (int)body, rest + 1);
	return n > 0 && (size_t)n < len ? 0 : -1;
}

/* The kernel's ring buffer as an audit log: what the kernel printed while
 * no auditd ran. */
static char *kmsg_log(size_t *len, ward_err *err)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		ward_err_sys(err, errno, "read the kernel log (/dev/kmsg)");
		return NULL;
	}
	size_t cap = 1 << 16, n = 0;
	char *out = malloc(cap);
	char rec[8192], line[8300];
	ssize_t r;
	while (out && (r = read(fd, rec, sizeof(rec) - 1)) != 0) {
		if (r < 0) {
			if (errno == EPIPE) /* overwritten while we read: go on */
				continue;
			break;
		}
		rec[r] = '\0';
		if (ward_audit_kmsg_line(rec, line, sizeof(line)) < 0)
			continue;
		size_t l = strlen(line);
		if (n + l + 1 > cap) {
			char *nb = realloc(out, cap = (cap + l) * 2);
			if (!nb) {
				free(out);
				out = NULL;
				break;
			}
			out = nb;
		}
		memcpy(out + n, line, l);
		n += l;
	}
	close(fd);
	if (!out) {
		ward_err_sys(err, ENOMEM, "read the kernel log");
		return NULL;
	}
	out[n] = '\0';
	*len = n;
	return out;
}

/* Twins: "op pid" of every record in ward's JSON log of the container. */
static json_t *load_twins(const char *path)
{
	_cleanup_file_ FILE *f = path ? fopen(path, "re") : NULL;
	if (!f)
		return NULL;
	json_t *t = json_object();
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) > 0) {
		json_t *j = json_loads(line, 0, NULL);
		const char *op = json_string_value(json_object_get(j, "op"));
		json_int_t pid = json_integer_value(json_object_get(json_object_get(j, "caller"),
								    "pid"));
		if (op) {
			char key[64];
			snprintf(key, sizeof(key), "%s %lld", op, (long long)pid);
			json_object_set_new(t, key, json_true());
		}
		json_decref(j);
	}
	free(line);
	return t;
}

static auparse_state_t *open_source(const struct ward_audit_query *q, const char *kbuf)
{
	if (kbuf)
		return auparse_init(AUSOURCE_BUFFER, kbuf);
	if (q->input)
		return auparse_init(AUSOURCE_FILE, q->input);
	return auparse_init(AUSOURCE_LOGS, NULL);
}

static int by_time(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	double tx = json_real_value(json_object_get(x, "time"));
	double ty = json_real_value(json_object_get(y, "time"));
	if (tx != ty)
		return tx < ty ? -1 : 1;
	json_int_t sx = json_integer_value(json_object_get(x, "serial"));
	json_int_t sy = json_integer_value(json_object_get(y, "serial"));
	return (sx > sy) - (sx < sy);
}

/* Events of both passes in log order. */
static json_t *sorted(json_t *events)
{
	size_t n = json_array_size(events);
	json_t **v = calloc(n ? n : 1, sizeof(*v));
	json_t *out = json_array();
	if (!v)
		return out;
	for (size_t i = 0; i < n; i++)
		v[i] = json_array_get(events, i);
	qsort(v, n, sizeof(*v), by_time);
	for (size_t i = 0; i < n; i++)
		json_array_append(out, v[i]);
	free(v);
	return out;
}

json_t *ward_audit_search(const struct ward_audit_query *q, ward_err *err)
{
	_cleanup_free_ char *kbuf = NULL;
	size_t klen = 0;
	const char *source = q->input ? q->input : "auditd's logs";
	if (!q->input && q->kmsg) {
		if (!(kbuf = kmsg_log(&klen, err)))
			return NULL;
		source = "the kernel log (no auditd)";
	}
	struct scan *s = calloc(1, sizeof(*s));
	if (!s) {
		ward_err_sys(err, ENOMEM, "audit search");
		return NULL;
	}
	s->audit_id = q->audit_id;
	s->events = json_array();
	s->twins = load_twins(q->json_log);
	json_t *result = NULL;
	auparse_state_t *au = open_source(q, kbuf);
	if (!au) {
		ward_err_sys(err, errno, "open %s", source);
		goto out;
	}
	pass_ward(s, au);
	auparse_destroy(au);
	if ((au = open_source(q, kbuf))) {
		pass_sessions(s, au);
		auparse_destroy(au);
	}
	json_t *wins = json_array();
	for (size_t i = 0; i < s->n_win; i++)
		json_array_append_new(wins, json_pack("{s:I, s:f, s:f}", "ses",
						      (json_int_t)s->win[i].ses, "from",
						      s->win[i].from, "to", s->win[i].to));
	result = json_pack("{s:s, s:s, s:o, s:o}", "auditId", q->audit_id, "source", source,
			   "sessions", wins, "events", sorted(s->events));
out:
	json_decref(s->twins);
	json_decref(s->events);
	free(s);
	return result;
}
