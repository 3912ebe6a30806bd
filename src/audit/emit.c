/* The one path of every record: the kernel's audit log (libaudit user
 * records in libvirt's shape) and ward's JSON-lines logs. A record that no
 * sink took is a warning, never a silent loss; each JSON record says what
 * the kernel did with its twin. */
#include <errno.h>
#include <fcntl.h>
#include <libaudit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/log.h"
#include "audit.h"

#define MSG_MAX 6000 /* below the kernel's limit, with what libaudit appends */

/* Ask the kernel once per command whether a record would be kept: with
 * audit disabled it drops user records without a word, and inside a user
 * namespace it refuses them (and libaudit turns that refusal into success). */
static void probe(struct ward_audit *a)
{
	a->probed = true;
	a->kstate = WARD_AUDIT_K_OFF;
	ward_audit_self(a);
	if (!a->kernel)
		return;
	a->nlfd = audit_open();
	if (a->nlfd < 0) {
		a->kstate = WARD_AUDIT_K_REFUSED;
		a->kerrno = errno;
		return;
	}
	int r = audit_request_status(a->nlfd);
	if (r < 0) {
		/* EPERM: no CAP_AUDIT_CONTROL, or a pid namespace; the record
		 * may still be taken (CAP_AUDIT_WRITE). ECONNREFUSED: a user
		 * namespace, which the kernel does not take records from. */
		a->kerrno = -r;
		a->kstate = -r == EPERM ? WARD_AUDIT_K_SENT : WARD_AUDIT_K_REFUSED;
		return;
	}
	struct audit_reply rep;
	for (int i = 0; i < 4; i++) {
		r = audit_get_reply(a->nlfd, &rep, GET_REPLY_BLOCKING, 0);
		if (r <= 0)
			break;
		if (rep.type == AUDIT_GET && rep.status) {
			if (!rep.status->enabled)
				a->kstate = WARD_AUDIT_K_DISABLED;
			else
				a->kstate = rep.status->pid ? WARD_AUDIT_K_AUDITD : WARD_AUDIT_K_KMSG;
			return;
		}
	}
	a->kstate = WARD_AUDIT_K_SENT;
}

int ward_audit_kernel_state(struct ward_audit *a)
{
	if (!a->probed)
		probe(a);
	return a->kstate;
}

static int kernel_type(const char *op)
{
	if (strncmp(op, "integrity", 9) == 0)
		return AUDIT_VIRT_INTEGRITY_CHECK;
	return AUDIT_VIRT_CONTROL;
}

/* key=value as auditd parses it: quoted, or hex when the value has spaces,
 * quotes or control characters (audit_encode_nv_string decides). */
static void append_nv(char *buf, size_t *n, const char *key, const char *value)
{
	char *enc = audit_encode_nv_string(key, value ? value : "?", 0);
	if (!enc)
		return;
	int w = snprintf(buf + *n, MSG_MAX - *n, " %s", enc);
	free(enc);
	if (w > 0 && *n + (size_t)w < MSG_MAX)
		*n += (size_t)w;
	else
		buf[*n] = '\0'; /* a field that does not fit is left out whole */
}

static void append_raw(char *buf, size_t *n, const char *fmt, const char *key, long long v)
{
	int w = snprintf(buf + *n, MSG_MAX - *n, fmt, key, v);
	if (w > 0 && *n + (size_t)w < MSG_MAX)
		*n += (size_t)w;
	else
		buf[*n] = '\0';
}

static void append_fields(char *buf, size_t *n, json_t *fields)
{
	const char *k;
	json_t *v;
	json_object_foreach(fields, k, v) {
		if (json_is_string(v))
			append_nv(buf, n, k, json_string_value(v));
		else if (json_is_integer(v))
			append_raw(buf, n, " %s=%lld", k, (long long)json_integer_value(v));
		else if (json_is_boolean(v))
			append_nv(buf, n, k, json_is_true(v) ? "yes" : "no");
	}
}

static int to_kernel(struct ward_audit *a, const struct ward_audit_event *ev)
{
	if (a->kstate != WARD_AUDIT_K_AUDITD && a->kstate != WARD_AUDIT_K_KMSG &&
	    a->kstate != WARD_AUDIT_K_SENT)
		return -1;
	char buf[MSG_MAX];
	size_t n = (size_t)snprintf(buf, sizeof(buf), "virt=ward op=%s", ev->op);
	append_nv(buf, &n, "reason", ev->reason ? ev->reason : (ev->success ? "ok" : "failed"));
	append_nv(buf, &n, "vm", ev->id);
	/* uuid and vm-pid are bare, as libvirt writes them. */
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, " uuid=%s vm-pid=%lld", ev->audit_id,
			      (long long)ev->pid);
	if (a->parent[0])
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, " parent=%s", a->parent);
	if (ev->fields)
		append_fields(buf, &n, ev->fields);
	/* No terminal ("": terminal=?), instead of libaudit asking stdio. */
	int r = audit_log_user_message(a->nlfd, kernel_type(ev->op), buf, NULL, NULL, "",
				       ev->success ? 1 : 0);
	if (r <= 0) {
		a->kerrno = r < 0 ? -r : errno;
		a->kstate = WARD_AUDIT_K_REFUSED;
		return -1;
	}
	return 0;
}

static json_t *json_record(const struct ward_audit *a, const struct ward_audit_event *ev)
{
	char now[64];
	ward_now_rfc3339(now, sizeof(now));
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s}", "time", now, "op", ev->op, "id",
			      ev->id ? ev->id : "", "auditId", ev->audit_id ? ev->audit_id : "",
			      "result", ev->success ? "success" : "failed");
	if (!j)
		return NULL;
	if (ev->pid > 0)
		json_object_set_new(j, "pid", json_integer(ev->pid));
	if (ev->reason)
		json_object_set_new(j, "reason", json_string(ev->reason));
	if (a->parent[0])
		json_object_set_new(j, "parent", json_string(a->parent));
	if (ev->fields)
		json_object_update_missing(j, ev->fields);
	json_object_set_new(j, "caller",
			    json_pack("{s:i, s:I, s:I, s:I}", "pid", (int)getpid(), "uid",
				      (json_int_t)getuid(), "auid", (json_int_t)a->self_auid, "ses",
				      (json_int_t)a->self_ses));
	char kernel[64];
	if (a->kstate == WARD_AUDIT_K_REFUSED && a->kerrno)
		snprintf(kernel, sizeof(kernel), "refused: %s", strerror(a->kerrno));
	else
		snprintf(kernel, sizeof(kernel), "%s", ward_audit_kstate_name(a->kstate));
	json_object_set_new(j, "kernel", json_string(kernel));
	return j;
}

static int open_log(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
}

/* An open log, kept for the command's next records (a run writes five):
 * opened, or, when its directory is missing, made with it (the parents
 * exist: the state root, /var/log). */
static int log_fd(struct log *l, const char *path, mode_t dirmode)
{
	if (l->fd >= 0 && l->path && strcmp(l->path, path) == 0)
		return l->fd;
	if (l->fd >= 0)
		close(l->fd);
	free(l->path);
	l->path = strdup(path);
	l->fd = open_log(path);
	if (l->fd < 0 && errno == ENOENT) {
		/* The log's directory, and the one above it (a state root that
		 * no container made yet: a refused create's record goes there). */
		_cleanup_free_ char *dir = strdup(path);
		char *slash = dir ? strrchr(dir, '/') : NULL;
		if (slash && slash != dir) {
			*slash = '\0';
			if (mkdir(dir, dirmode) < 0 && errno == ENOENT) {
				char *up = strrchr(dir, '/');
				if (up && up != dir) {
					*up = '\0';
					mkdir(dir, 0700);
					*up = '/';
					mkdir(dir, dirmode);
				}
			}
			l->fd = open_log(path);
		}
	}
	return l->fd;
}

/* Append one line (one write: lines of concurrent writers never mix).
 * A log past its size limit is rotated first: one older generation, .1. */
static int append_line(struct log *l, const char *path, mode_t dirmode, const char *line,
		       size_t len, long rotate)
{
	int fd = log_fd(l, path, dirmode);
	if (fd < 0)
		return -1;
	struct stat sb;
	if (fstat(fd, &sb) == 0 && sb.st_size > rotate) {
		char old[4200];
		snprintf(old, sizeof(old), "%s.1", path);
		if (rename(path, old) == 0) {
			close(fd);
			if ((fd = l->fd = open_log(path)) < 0)
				return -1;
		}
	}
	ssize_t w;
	do
		w = write(fd, line, len);
	while (w < 0 && errno == EINTR);
	return w == (ssize_t)len ? 0 : (w < 0 ? -1 : (errno = EIO, -1));
}

static int to_logs(struct ward_audit *a, const struct ward_audit_event *ev, json_t *rec)
{
	_cleanup_free_ char *text = json_dumps(rec, JSON_COMPACT);
	if (!text)
		return 0;
	size_t len = strlen(text);
	text[len++] = '\n'; /* over the NUL: written with its length */
	int taken = 0;
	if (a->root && ev->id && *ev->id) {
		char path[4200];
		snprintf(path, sizeof(path), "%s/@audit/%s.jsonl", a->root, ev->id);
		if (append_line(&a->logs[0], path, 0700, text, len, a->rotate_bytes) == 0)
			taken++;
		else
			ward_warn("audit: %s record of %s not written to %s: %s", ev->op, ev->id,
				  path, strerror(errno));
	}
	if (a->host_log) {
		if (append_line(&a->logs[1], a->host_log, 0750, text, len, a->rotate_bytes) == 0)
			taken++;
		else
			ward_warn("audit: %s record of %s not written to %s: %s", ev->op,
				  ev->id ? ev->id : "?", a->host_log, strerror(errno));
	}
	return taken;
}

int ward_audit_emit(struct ward_audit *a, const struct ward_audit_event *ev)
{
	if (!a->probed)
		probe(a);
	int taken = to_kernel(a, ev) == 0;
	json_t *rec = json_record(a, ev);
	if (rec) {
		taken += to_logs(a, ev, rec);
		json_decref(rec);
	}
	if (taken)
		return 0;
	ward_warn("audit: %s record of %s (audit ID %s) was taken by no sink (kernel: %s)",
		  ev->op, ev->id ? ev->id : "?", ev->audit_id ? ev->audit_id : "?",
		  ward_audit_kstate_name(a->kstate));
	return -1;
}
