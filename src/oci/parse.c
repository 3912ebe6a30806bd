/* config.json -> struct ward_spec. Every error names the file, the field path
 * and the reason: "config.json: linux.namespaces[2].type: unknown namespace "foo"". */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/stat.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/log.h"
#include "../util/strv.h"
#include "spec.h"

struct pctx {
	const char *file;
	ward_err *err;
};

__attribute__((format(printf, 3, 4))) static int fail(struct pctx *c, const char *field,
						      const char *fmt, ...)
{
	char msg[WARD_ERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ward_err_set(c->err, "%s: %s: %s", c->file, field, msg);
}

static const char *json_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	default: return "null";
	}
}

#define FIELD(buf, ...) (snprintf(buf, sizeof(buf), __VA_ARGS__), buf)

/* Each getter: absent (or null) leaves *out untouched and returns 0 unless required. */
static json_t *member(json_t *obj, const char *key)
{
	json_t *v = obj ? json_object_get(obj, key) : NULL;
	return json_is_null(v) ? NULL : v;
}

static int want(struct pctx *c, json_t *v, const char *field, bool required)
{
	if (!v && required)
		return fail(c, field, "missing required field");
	return v ? 1 : 0;
}

static int get_obj(struct pctx *c, json_t *o, const char *key, const char *field, bool required,
		   json_t **out)
{
	json_t *v = member(o, key);
	int r = want(c, v, field, required);
	if (r <= 0)
		return r;
	if (!json_is_object(v))
		return fail(c, field, "must be an object, not %s", json_type_name(v));
	*out = v;
	return 1;
}

static int get_arr(struct pctx *c, json_t *o, const char *key, const char *field, bool required,
		   json_t **out)
{
	json_t *v = member(o, key);
	int r = want(c, v, field, required);
	if (r <= 0)
		return r;
	if (!json_is_array(v))
		return fail(c, field, "must be an array, not %s", json_type_name(v));
	*out = v;
	return 1;
}

static int get_str(struct pctx *c, json_t *o, const char *key, const char *field, bool required,
		   char **out)
{
	json_t *v = member(o, key);
	int r = want(c, v, field, required);
	if (r <= 0)
		return r;
	if (!json_is_string(v))
		return fail(c, field, "must be a string, not %s", json_type_name(v));
	free(*out);
	*out = strdup(json_string_value(v));
	if (!*out)
		return ward_err_sys(c->err, ENOMEM, "%s", field);
	return 1;
}

static int get_bool(struct pctx *c, json_t *o, const char *key, const char *field, bool *out)
{
	json_t *v = member(o, key);
	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return fail(c, field, "must be a boolean, not %s", json_type_name(v));
	*out = json_is_true(v);
	return 1;
}

static int get_int(struct pctx *c, json_t *o, const char *key, const char *field, bool required,
		   long long min, long long max, long long *out)
{
	json_t *v = member(o, key);
	int r = want(c, v, field, required);
	if (r <= 0)
		return r;
	if (!json_is_integer(v))
		return fail(c, field, "must be an integer, not %s", json_type_name(v));
	long long n = json_integer_value(v);
	if (n < min || n > max)
		return fail(c, field, "%lld out of range [%lld, %lld]", n, min, max);
	*out = n;
	return 1;
}

/* uint64 values (rlimits) may exceed jansson's signed range only as reals;
 * accept integers and large exact reals. */
static int get_u64(struct pctx *c, json_t *o, const char *key, const char *field, bool required,
		   uint64_t *out)
{
	json_t *v = member(o, key);
	int r = want(c, v, field, required);
	if (r <= 0)
		return r;
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*out = (uint64_t)json_integer_value(v);
		return 1;
	}
	if (json_is_integer(v) && json_integer_value(v) == -1) {
		*out = UINT64_MAX; /* some engines write RLIM_INFINITY as -1 */
		return 1;
	}
	if (json_is_real(v) && json_real_value(v) >= 0 && json_real_value(v) <= 18446744073709551615.0) {
		double d = json_real_value(v);
		*out = d >= 18446744073709549568.0 ? UINT64_MAX : (uint64_t)d;
		return 1;
	}
	return fail(c, field, "must be a non-negative integer");
}

static int get_strv(struct pctx *c, json_t *o, const char *key, const char *field, bool required,
		    char ***out)
{
	json_t *arr = NULL;
	int r = get_arr(c, o, key, field, required, &arr);
	if (r <= 0)
		return r;
	_cleanup_strv_ char **v = calloc(json_array_size(arr) + 1, sizeof(char *));
	if (!v)
		return ward_err_sys(c->err, ENOMEM, "%s", field);
	size_t i;
	json_t *e;
	json_array_foreach(arr, i, e)
	{
		if (!json_is_string(e)) {
			char fi[200];
			snprintf(fi, sizeof(fi), "%s[%zu]", field, i);
			return fail(c, fi, "must be a string, not %s", json_type_name(e));
		}
		if (!(v[i] = strdup(json_string_value(e))))
			return ward_err_sys(c->err, ENOMEM, "%s", field);
	}
	ward_strv_free(*out);
	*out = steal_ptr(&v);
	return 1;
}

/* Add "name" to a list of unknown capabilities, once, as room allows. */
static void note_unknown(char *list, size_t len, const char *name)
{
	char q[80];
	snprintf(q, sizeof(q), "\"%s\"", name);
	if (strstr(list, q))
		return;
	size_t at = strlen(list);
	snprintf(list + at, len - at, "%s%s", at ? ", " : "", q);
}

/* A capability name ward does not know is ignored with a warning, as runc
 * does: a config may name capabilities of a newer kernel than ward's table
 * (those of a newer kernel than this one are dropped when applied). */
static int parse_caps(struct pctx *c, json_t *obj, struct ward_caps *caps)
{
	static const char *const sets[] = {"bounding", "effective", "permitted", "inheritable",
					   "ambient"};
	uint64_t *dst[] = {&caps->bounding, &caps->effective, &caps->permitted, &caps->inheritable,
			   &caps->ambient};
	char f[128], unknown[512] = "";
	caps->present = true;
	for (size_t s = 0; s < ARRAY_SIZE(sets); s++) {
		json_t *arr = NULL;
		if (get_arr(c, obj, sets[s], FIELD(f, "process.capabilities.%s", sets[s]), false,
			    &arr) < 0)
			return -1;
		size_t i;
		json_t *e;
		json_array_foreach(arr, i, e)
		{
			FIELD(f, "process.capabilities.%s[%zu]", sets[s], i);
			if (!json_is_string(e))
				return fail(c, f, "must be a string, not %s", json_type_name(e));
			int cap = ward_cap_from_name(json_string_value(e));
			if (cap < 0)
				note_unknown(unknown, sizeof(unknown), json_string_value(e));
			else
				*dst[s] |= 1ULL << cap;
		}
	}
	if (*unknown)
		ward_warn("%s: process.capabilities: ignoring unknown capabilities: %s", c->file,
			  unknown);
	return 0;
}

static int parse_user(struct pctx *c, json_t *obj, const char *field, struct ward_user *u)
{
	char f[128];
	long long n;
	if (get_int(c, obj, "uid", FIELD(f, "%s.uid", field), true, 0, UINT32_MAX - 1, &n) < 0)
		return -1;
	u->uid = (uid_t)n;
	if (get_int(c, obj, "gid", FIELD(f, "%s.gid", field), true, 0, UINT32_MAX - 1, &n) < 0)
		return -1;
	u->gid = (gid_t)n;
	int r = get_int(c, obj, "umask", FIELD(f, "%s.umask", field), false, 0, 0777, &n);
	if (r < 0)
		return -1;
	if (r > 0) {
		u->has_umask = true;
		u->umask = (mode_t)n;
	}
	json_t *arr = NULL;
	if (get_arr(c, obj, "additionalGids", FIELD(f, "%s.additionalGids", field), false, &arr) < 0)
		return -1;
	if (arr && json_array_size(arr)) {
		u->additional_gids = calloc(json_array_size(arr), sizeof(gid_t));
		if (!u->additional_gids)
			return ward_err_sys(c->err, ENOMEM, "%s", field);
		size_t i;
		json_t *e;
		json_array_foreach(arr, i, e)
		{
			FIELD(f, "%s.additionalGids[%zu]", field, i);
			if (!json_is_integer(e) || json_integer_value(e) < 0 ||
			    json_integer_value(e) >= UINT32_MAX)
				return fail(c, f, "must be a gid (a non-negative integer)");
			u->additional_gids[i] = (gid_t)json_integer_value(e);
		}
		u->n_additional_gids = json_array_size(arr);
	}
	if (member(obj, "username") && !json_is_string(member(obj, "username")))
		return fail(c, FIELD(f, "%s.username", field), "must be a string");
	return 0;
}

static int parse_rlimits(struct pctx *c, json_t *arr, const char *field, struct ward_process *p)
{
	char f[128];
	p->rlimits = calloc(json_array_size(arr) + 1, sizeof(*p->rlimits));
	if (!p->rlimits)
		return ward_err_sys(c->err, ENOMEM, "%s", field);
	size_t i;
	json_t *e;
	json_array_foreach(arr, i, e)
	{
		FIELD(f, "%s[%zu]", field, i);
		if (!json_is_object(e))
			return fail(c, f, "must be an object");
		_cleanup_free_ char *type = NULL;
		char f2[160];
		if (get_str(c, e, "type", FIELD(f2, "%s.type", f), true, &type) < 0)
			return -1;
		struct ward_rlimit *rl = &p->rlimits[i];
		rl->resource = ward_rlimit_from_name(type);
		if (rl->resource < 0)
			return fail(c, f2, "unknown rlimit \"%s\"", type);
		for (size_t j = 0; j < i; j++)
			if (p->rlimits[j].resource == rl->resource)
				return fail(c, f2, "duplicate rlimit \"%s\"", type);
		if (get_u64(c, e, "soft", FIELD(f2, "%s.soft", f), true, &rl->soft) < 0 ||
		    get_u64(c, e, "hard", FIELD(f2, "%s.hard", f), true, &rl->hard) < 0)
			return -1;
		if (rl->soft > rl->hard)
			return fail(c, f, "soft limit %llu is above hard limit %llu",
				    (unsigned long long)rl->soft, (unsigned long long)rl->hard);
		p->n_rlimits++;
	}
	return 0;
}

void ward_process_free(struct ward_process *p)
{
	if (!p)
		return;
	free(p->user.additional_gids);
	ward_strv_free(p->args);
	ward_strv_free(p->env);
	free(p->cwd);
	free(p->rlimits);
	free(p->apparmor_profile);
	free(p->selinux_label);
	json_decref(p->landlock);
	free(p);
}

struct ward_process *ward_process_parse(json_t *obj, const char *name, const char *field,
					ward_err *err)
{
	struct pctx ctx = {name, err}, *c = &ctx;
	char f[128];
	struct ward_process *p = calloc(1, sizeof(*p));
	if (!p) {
		ward_err_sys(err, ENOMEM, "process");
		return NULL;
	}
	json_t *o = NULL;
	if (get_bool(c, obj, "terminal", FIELD(f, "%s.terminal", field), &p->terminal) < 0)
		goto fail;
	if (get_obj(c, obj, "consoleSize", FIELD(f, "%s.consoleSize", field), false, &o) < 0)
		goto fail;
	if (o) {
		long long h = 0, w = 0;
		if (get_int(c, o, "height", FIELD(f, "%s.consoleSize.height", field), true, 0, 65535,
			    &h) < 0 ||
		    get_int(c, o, "width", FIELD(f, "%s.consoleSize.width", field), true, 0, 65535,
			    &w) < 0)
			goto fail;
		p->has_console_size = true;
		p->console_height = (unsigned short)h;
		p->console_width = (unsigned short)w;
	}
	o = NULL;
	if (get_obj(c, obj, "user", FIELD(f, "%s.user", field), true, &o) < 0 ||
	    parse_user(c, o, f, &p->user) < 0)
		goto fail;
	if (get_strv(c, obj, "args", FIELD(f, "%s.args", field), true, &p->args) < 0)
		goto fail;
	if (!p->args[0]) {
		fail(c, f, "must contain at least one entry (the program to run)");
		goto fail;
	}
	if (get_strv(c, obj, "env", FIELD(f, "%s.env", field), false, &p->env) < 0)
		goto fail;
	for (size_t i = 0; p->env && p->env[i]; i++)
		if (!strchr(p->env[i], '=') || p->env[i][0] == '=') {
			fail(c, FIELD(f, "%s.env[%zu]", field, i), "\"%s\" is not NAME=value",
			     p->env[i]);
			goto fail;
		}
	if (get_str(c, obj, "cwd", FIELD(f, "%s.cwd", field), true, &p->cwd) < 0)
		goto fail;
	if (p->cwd[0] != '/') {
		fail(c, f, "\"%s\" must be an absolute path", p->cwd);
		goto fail;
	}
	o = NULL;
	if (get_obj(c, obj, "capabilities", FIELD(f, "%s.capabilities", field), false, &o) < 0 ||
	    (o && parse_caps(c, o, &p->caps) < 0))
		goto fail;
	json_t *arr = NULL;
	if (get_arr(c, obj, "rlimits", FIELD(f, "%s.rlimits", field), false, &arr) < 0 ||
	    (arr && parse_rlimits(c, arr, f, p) < 0))
		goto fail;
	if (get_bool(c, obj, "noNewPrivileges", FIELD(f, "%s.noNewPrivileges", field),
		     &p->no_new_privileges) < 0)
		goto fail;
	if (get_str(c, obj, "apparmorProfile", FIELD(f, "%s.apparmorProfile", field), false,
		    &p->apparmor_profile) < 0 ||
	    get_str(c, obj, "selinuxLabel", FIELD(f, "%s.selinuxLabel", field), false,
		    &p->selinux_label) < 0)
		goto fail;
	long long oom;
	int r = get_int(c, obj, "oomScoreAdj", FIELD(f, "%s.oomScoreAdj", field), false, -1000, 1000,
			&oom);
	if (r < 0)
		goto fail;
	if (r > 0) {
		p->has_oom_score_adj = true;
		p->oom_score_adj = (int)oom;
	}
	o = NULL;
	if (get_obj(c, obj, "landlock", FIELD(f, "%s.landlock", field), false, &o) < 0)
		goto fail;
	p->landlock = json_incref(o);
	return p;
fail:
	ward_process_free(p);
	return NULL;
}

static int parse_mount_options(struct pctx *c, struct ward_mount *m, const char *field)
{
	char f[160];
	size_t datalen = 0;
	long first_unknown = -1;
	for (size_t i = 0; m->options && m->options[i]; i++) {
		const char *opt = m->options[i];
		const struct ward_mount_option *mo = NULL;
		for (size_t k = 0; k < ward_n_mount_options; k++)
			if (strcmp(ward_mount_options[k].name, opt) == 0) {
				mo = &ward_mount_options[k];
				break;
			}
		if (mo) {
			if (mo->clear) {
				m->flags &= ~mo->flag;
				m->clear_flags |= mo->flag;
			} else {
				m->flags |= mo->flag;
				m->clear_flags &= ~mo->flag;
			}
			if (mo->propagation)
				m->propagation = mo->propagation;
			if (mo->rec_attr) {
				if (mo->rec_clear) {
					m->rec_attr_clr |= mo->rec_attr;
					m->rec_attr_set &= ~mo->rec_attr;
				} else {
					m->rec_attr_set |= mo->rec_attr;
					m->rec_attr_clr &= ~mo->rec_attr;
				}
			}
			if (strcmp(opt, "rbind") == 0)
				m->rbind = true;
			if (strcmp(opt, "idmap") == 0)
				m->idmap = true;
			if (strcmp(opt, "ridmap") == 0)
				m->idmap = m->ridmap = true;
			if (strcmp(opt, "tmpcopyup") == 0)
				m->tmpcopyup = true;
			continue;
		}
		/* Not a generic flag: filesystem data ("size=64m", "newinstance"), handed
		 * to the filesystem, which validates it. A bind mount has no
		 * filesystem to take it: NAME=VALUE there is ignored, said, as the
		 * kernel and runc ignore it ("mode=755" from an engine); a bare
		 * word is more likely a mistyped flag ("nosiud") and is refused. */
		if (first_unknown < 0 && !strchr(opt, '='))
			first_unknown = (long)i;
		size_t ol = strlen(opt);
		if (ol == 0)
			return fail(c, FIELD(f, "%s.options[%zu]", field, i), "empty mount option");
		char *nd = realloc(m->data, datalen + ol + 2);
		if (!nd)
			return ward_err_sys(c->err, ENOMEM, "%s", field);
		m->data = nd;
		if (datalen)
			m->data[datalen++] = ',';
		memcpy(m->data + datalen, opt, ol + 1);
		datalen += ol;
	}
	m->bind = (m->flags & MS_BIND) != 0;
	if (m->type && strcmp(m->type, "bind") == 0)
		m->bind = true;
	m->flags &= ~(unsigned long)(MS_BIND | MS_REC);
	if (m->bind && m->data && first_unknown < 0) {
		ward_warn("%s: %s.options: a bind mount takes no filesystem options; ignored: %s",
			  c->file, field, m->data);
		free(m->data);
		m->data = NULL;
	}
	if (m->bind && first_unknown >= 0) {
		/* A bind mount has no filesystem to take data; a word here is a typo or
		 * an option ward does not know. */
		return fail(c, FIELD(f, "%s.options[%ld]", field, first_unknown),
			    "unknown mount option \"%s\" for a bind mount",
			    m->options[first_unknown]);
	}
	return 0;
}

static int parse_mount_idmaps(struct pctx *c, json_t *e, struct ward_mount *m, const char *f);

static int parse_mounts(struct pctx *c, json_t *arr, struct ward_spec *s)
{
	char f[128], f2[160];
	s->mounts = calloc(json_array_size(arr) + 1, sizeof(*s->mounts));
	if (!s->mounts)
		return ward_err_sys(c->err, ENOMEM, "mounts");
	size_t i;
	json_t *e;
	json_array_foreach(arr, i, e)
	{
		struct ward_mount *m = &s->mounts[i];
		s->n_mounts++;
		FIELD(f, "mounts[%zu]", i);
		if (!json_is_object(e))
			return fail(c, f, "must be an object, not %s", json_type_name(e));
		if (get_str(c, e, "destination", FIELD(f2, "%s.destination", f), true,
			    &m->destination) < 0 ||
		    get_str(c, e, "type", FIELD(f2, "%s.type", f), false, &m->type) < 0 ||
		    get_str(c, e, "source", FIELD(f2, "%s.source", f), false, &m->source) < 0 ||
		    get_strv(c, e, "options", FIELD(f2, "%s.options", f), false, &m->options) < 0)
			return -1;
		if (m->destination[0] == '\0')
			return fail(c, FIELD(f2, "%s.destination", f), "must not be empty");
		if (m->destination[0] != '/') {
			/* runc treats a relative destination as relative to the root. */
			char *abs;
			if (asprintf(&abs, "/%s", m->destination) < 0)
				return ward_err_sys(c->err, ENOMEM, "%s", f);
			free(m->destination);
			m->destination = abs;
		}
		if (parse_mount_options(c, m, f) < 0 || parse_mount_idmaps(c, e, m, f) < 0)
			return -1;
		if (!m->bind && !m->type)
			return fail(c, FIELD(f2, "%s.type", f),
				    "missing: a mount that is not a bind mount needs a type");
		if (m->bind && !m->source)
			return fail(c, FIELD(f2, "%s.source", f), "missing: a bind mount needs a source");
		if (m->idmap && !m->bind)
			return fail(c, FIELD(f2, "%s.options", f),
				    "idmap is only supported on bind mounts");
		if (m->tmpcopyup && (m->bind || strcmp(m->type, "tmpfs") != 0))
			return fail(c, FIELD(f2, "%s.options", f),
				    "tmpcopyup applies only to mounts of type tmpfs");
	}
	return 0;
}

static int parse_hooks(struct pctx *c, json_t *obj, struct ward_hooks *h)
{
	char f[128], f2[160];
	for (int k = 0; k < WARD_HOOK_COUNT; k++) {
		json_t *arr = NULL;
		if (get_arr(c, obj, ward_hook_names[k], FIELD(f, "hooks.%s", ward_hook_names[k]),
			    false, &arr) < 0)
			return -1;
		if (!arr)
			continue;
		h->list[k] = calloc(json_array_size(arr) + 1, sizeof(struct ward_hook));
		if (!h->list[k])
			return ward_err_sys(c->err, ENOMEM, "hooks");
		size_t i;
		json_t *e;
		json_array_foreach(arr, i, e)
		{
			struct ward_hook *hk = &h->list[k][i];
			h->n[k]++;
			FIELD(f, "hooks.%s[%zu]", ward_hook_names[k], i);
			if (!json_is_object(e))
				return fail(c, f, "must be an object");
			if (get_str(c, e, "path", FIELD(f2, "%s.path", f), true, &hk->path) < 0 ||
			    get_strv(c, e, "args", FIELD(f2, "%s.args", f), false, &hk->args) < 0 ||
			    get_strv(c, e, "env", FIELD(f2, "%s.env", f), false, &hk->env) < 0)
				return -1;
			if (hk->path[0] != '/')
				return fail(c, FIELD(f2, "%s.path", f),
					    "\"%s\" must be an absolute path", hk->path);
			long long t;
			int r = get_int(c, e, "timeout", FIELD(f2, "%s.timeout", f), false, 1, INT_MAX,
					&t);
			if (r < 0)
				return -1;
			hk->timeout = r > 0 ? (int)t : 0;
		}
	}
	return 0;
}

static int parse_idmaps(struct pctx *c, json_t *arr, const char *field, struct ward_id_map **out,
			size_t *n)
{
	char f[128], f2[160];
	*out = calloc(json_array_size(arr) + 1, sizeof(**out));
	if (!*out)
		return ward_err_sys(c->err, ENOMEM, "%s", field);
	size_t i;
	json_t *e;
	json_array_foreach(arr, i, e)
	{
		FIELD(f, "%s[%zu]", field, i);
		if (!json_is_object(e))
			return fail(c, f, "must be an object");
		long long cid, hid, size;
		if (get_int(c, e, "containerID", FIELD(f2, "%s.containerID", f), true, 0, UINT32_MAX - 1,
			    &cid) < 0 ||
		    get_int(c, e, "hostID", FIELD(f2, "%s.hostID", f), true, 0, UINT32_MAX - 1, &hid) <
			    0 ||
		    get_int(c, e, "size", FIELD(f2, "%s.size", f), true, 1, UINT32_MAX, &size) < 0)
			return -1;
		/* The kernel refuses a range that wraps past 2^32 - 1 when the map is
		 * written, with EINVAL and no field: say which one here. */
		if (cid + size > UINT32_MAX || hid + size > UINT32_MAX)
			return fail(c, f, "the %s range goes past the last id (4294967294)",
				    cid + size > UINT32_MAX ? "containerID" : "hostID");
		(*out)[i] = (struct ward_id_map){(uint32_t)cid, (uint32_t)hid, (uint32_t)size};
		(*n)++;
	}
	return 0;
}

/* mounts[i].uidMappings/gidMappings: an idmapped mount's own mapping. As
 * runc, mappings without idmap/ridmap mean idmap; both are needed. */
static int parse_mount_idmaps(struct pctx *c, json_t *e, struct ward_mount *m, const char *f)
{
	char f2[160];
	json_t *u = NULL, *g = NULL;
	if (get_arr(c, e, "uidMappings", FIELD(f2, "%s.uidMappings", f), false, &u) < 0 ||
	    (u && parse_idmaps(c, u, f2, &m->uid_mappings, &m->n_uid_mappings) < 0) ||
	    get_arr(c, e, "gidMappings", FIELD(f2, "%s.gidMappings", f), false, &g) < 0 ||
	    (g && parse_idmaps(c, g, f2, &m->gid_mappings, &m->n_gid_mappings) < 0))
		return -1;
	if (!m->n_uid_mappings && !m->n_gid_mappings)
		return 0;
	if (!m->n_uid_mappings || !m->n_gid_mappings)
		return fail(c, FIELD(f2, "%s.%s", f, m->n_uid_mappings ? "gidMappings" : "uidMappings"),
			    "missing: an idmapped mount needs both uidMappings and gidMappings");
	m->idmap = true;
	return 0;
}

static int parse_namespaces(struct pctx *c, json_t *arr, struct ward_linux *l)
{
	char f[128], f2[160];
	size_t i;
	json_t *e;
	json_array_foreach(arr, i, e)
	{
		FIELD(f, "linux.namespaces[%zu]", i);
		if (!json_is_object(e))
			return fail(c, f, "must be an object");
		_cleanup_free_ char *type = NULL;
		if (get_str(c, e, "type", FIELD(f2, "%s.type", f), true, &type) < 0)
			return -1;
		int t = ward_ns_from_name(type);
		if (t < 0)
			return fail(c, f2, "unknown namespace \"%s\"", type);
		if (l->ns[t].present)
			return fail(c, f2, "duplicate namespace \"%s\"", type);
		l->ns[t].present = true;
		if (get_str(c, e, "path", FIELD(f2, "%s.path", f), false, &l->ns[t].path) < 0)
			return -1;
		if (l->ns[t].path && l->ns[t].path[0] != '/')
			return fail(c, f2, "\"%s\" must be an absolute path", l->ns[t].path);
	}
	return 0;
}

/* podman passes the host node's whole st_mode as fileMode (8576 is
 * S_IFCHR|0600), runc and crun accept it: file-type bits may be there, but
 * they must be the device's own type. */
static int device_mode_type(struct pctx *c, char type, mode_t mode, const char *field)
{
	mode_t fmt = mode & S_IFMT;
	mode_t want = type == 'b' ? S_IFBLK : type == 'p' ? S_IFIFO : S_IFCHR;
	if (!fmt || fmt == want)
		return 0;
	const char *what = fmt == S_IFCHR ? "a character device" : fmt == S_IFBLK ? "a block device"
			 : fmt == S_IFIFO ? "a fifo" : "not a device";
	return fail(c, field, "%#o has the file type bits of %s (%#o), but type is \"%c\"",
		    (unsigned)mode, what, (unsigned)fmt, type);
}

static int parse_devices(struct pctx *c, json_t *arr, struct ward_linux *l)
{
	char f[128], f2[160];
	l->devices = calloc(json_array_size(arr) + 1, sizeof(*l->devices));
	if (!l->devices)
		return ward_err_sys(c->err, ENOMEM, "linux.devices");
	size_t i;
	json_t *e;
	json_array_foreach(arr, i, e)
	{
		struct ward_device *d = &l->devices[i];
		l->n_devices++;
		FIELD(f, "linux.devices[%zu]", i);
		if (!json_is_object(e))
			return fail(c, f, "must be an object");
		_cleanup_free_ char *type = NULL;
		if (get_str(c, e, "path", FIELD(f2, "%s.path", f), true, &d->path) < 0)
			return -1;
		if (d->path[0] != '/')
			return fail(c, f2, "\"%s\" must be an absolute path", d->path);
		if (get_str(c, e, "type", FIELD(f2, "%s.type", f), true, &type) < 0)
			return -1;
		if (strlen(type) != 1 || !strchr("cbup", type[0]))
			return fail(c, f2, "unknown device type \"%s\" (want c, b, u or p)", type);
		d->type = type[0];
		long long n;
		bool need_num = d->type != 'p';
		int r = get_int(c, e, "major", FIELD(f2, "%s.major", f), need_num, 0, 0xfff, &n);
		if (r < 0)
			return -1;
		if (r > 0)
			d->major = n;
		if ((r = get_int(c, e, "minor", FIELD(f2, "%s.minor", f), need_num, 0, 0xfffff, &n)) < 0)
			return -1;
		if (r > 0)
			d->minor = n;
		r = get_int(c, e, "fileMode", FIELD(f2, "%s.fileMode", f), false, 0,
			    S_IFMT | 07777, &n);
		if (r < 0)
			return -1;
		if (r > 0 && device_mode_type(c, d->type, (mode_t)n, f2) < 0)
			return -1;
		if ((d->has_mode = r > 0))
			d->file_mode = (mode_t)n & 07777;
		if ((r = get_int(c, e, "uid", FIELD(f2, "%s.uid", f), false, 0, UINT32_MAX - 1, &n)) < 0)
			return -1;
		if ((d->has_uid = r > 0))
			d->uid = (uid_t)n;
		if ((r = get_int(c, e, "gid", FIELD(f2, "%s.gid", f), false, 0, UINT32_MAX - 1, &n)) < 0)
			return -1;
		if ((d->has_gid = r > 0))
			d->gid = (gid_t)n;
	}
	return 0;
}

static const struct {
	const char *name;
	unsigned long flags;
} propagations[] = {
	{"private", MS_PRIVATE},	    {"rprivate", MS_PRIVATE | MS_REC},
	{"shared", MS_SHARED},		    {"rshared", MS_SHARED | MS_REC},
	{"slave", MS_SLAVE},		    {"rslave", MS_SLAVE | MS_REC},
	{"unbindable", MS_UNBINDABLE},	    {"runbindable", MS_UNBINDABLE | MS_REC},
};

static int parse_time_offset(struct pctx *c, json_t *o, const char *key, struct ward_time_offset *t)
{
	char f[128], f2[160];
	json_t *v = NULL;
	if (get_obj(c, o, key, FIELD(f, "linux.timeOffsets.%s", key), false, &v) <= 0)
		return v ? 0 : (member(o, key) ? -1 : 0);
	long long secs = 0, ns = 0;
	if (get_int(c, v, "secs", FIELD(f2, "%s.secs", f), false, LLONG_MIN, LLONG_MAX, &secs) < 0 ||
	    get_int(c, v, "nanosecs", FIELD(f2, "%s.nanosecs", f), false, 0, 999999999, &ns) < 0)
		return -1;
	*t = (struct ward_time_offset){true, secs, (uint32_t)ns};
	return 0;
}

static int parse_linux(struct pctx *c, json_t *lx, struct ward_spec *s)
{
	struct ward_linux *l = &s->lx;
	char f[128];
	json_t *v = NULL;

	if (get_arr(c, lx, "namespaces", "linux.namespaces", false, &v) < 0 ||
	    (v && parse_namespaces(c, v, l) < 0))
		return -1;
	v = NULL;
	if (get_arr(c, lx, "uidMappings", "linux.uidMappings", false, &v) < 0 ||
	    (v && parse_idmaps(c, v, "linux.uidMappings", &l->uid_mappings, &l->n_uid_mappings) < 0))
		return -1;
	v = NULL;
	if (get_arr(c, lx, "gidMappings", "linux.gidMappings", false, &v) < 0 ||
	    (v && parse_idmaps(c, v, "linux.gidMappings", &l->gid_mappings, &l->n_gid_mappings) < 0))
		return -1;
	v = NULL;
	if (get_arr(c, lx, "devices", "linux.devices", false, &v) < 0 ||
	    (v && parse_devices(c, v, l) < 0))
		return -1;
	if (get_strv(c, lx, "maskedPaths", "linux.maskedPaths", false, &l->masked_paths) < 0 ||
	    get_strv(c, lx, "readonlyPaths", "linux.readonlyPaths", false, &l->readonly_paths) < 0)
		return -1;
	for (size_t i = 0; l->masked_paths && l->masked_paths[i]; i++)
		if (l->masked_paths[i][0] != '/')
			return fail(c, FIELD(f, "linux.maskedPaths[%zu]", i),
				    "\"%s\" must be an absolute path", l->masked_paths[i]);
	for (size_t i = 0; l->readonly_paths && l->readonly_paths[i]; i++)
		if (l->readonly_paths[i][0] != '/')
			return fail(c, FIELD(f, "linux.readonlyPaths[%zu]", i),
				    "\"%s\" must be an absolute path", l->readonly_paths[i]);

	_cleanup_free_ char *prop = NULL;
	if (get_str(c, lx, "rootfsPropagation", "linux.rootfsPropagation", false, &prop) < 0)
		return -1;
	if (prop && *prop) {
		for (size_t i = 0; i < ARRAY_SIZE(propagations); i++)
			if (strcmp(propagations[i].name, prop) == 0)
				l->rootfs_propagation = propagations[i].flags;
		if (!l->rootfs_propagation)
			return fail(c, "linux.rootfsPropagation", "unknown propagation \"%s\"", prop);
	}
	if (get_str(c, lx, "mountLabel", "linux.mountLabel", false, &l->mount_label) < 0 ||
	    get_str(c, lx, "cgroupsPath", "linux.cgroupsPath", false, &l->cgroups_path) < 0)
		return -1;

	v = NULL;
	if (get_obj(c, lx, "sysctl", "linux.sysctl", false, &v) < 0)
		return -1;
	if (v && json_object_size(v)) {
		l->sysctl = calloc(json_object_size(v), sizeof(*l->sysctl));
		if (!l->sysctl)
			return ward_err_sys(c->err, ENOMEM, "linux.sysctl");
		const char *k;
		json_t *val;
		json_object_foreach(v, k, val)
		{
			FIELD(f, "linux.sysctl.%s", k);
			if (!json_is_string(val))
				return fail(c, f, "must be a string, not %s", json_type_name(val));
			if (!*k || strstr(k, "..") || k[0] == '/' || k[0] == '.')
				return fail(c, f, "invalid sysctl name");
			struct ward_sysctl *sc = &l->sysctl[l->n_sysctl++];
			sc->key = strdup(k);
			sc->value = strdup(json_string_value(val));
			if (!sc->key || !sc->value)
				return ward_err_sys(c->err, ENOMEM, "linux.sysctl");
		}
	}

	v = NULL;
	if (get_obj(c, lx, "timeOffsets", "linux.timeOffsets", false, &v) < 0)
		return -1;
	if (v && (parse_time_offset(c, v, "monotonic", &l->monotonic) < 0 ||
		  parse_time_offset(c, v, "boottime", &l->boottime) < 0))
		return -1;

	v = NULL;
	if (get_obj(c, lx, "personality", "linux.personality", false, &v) < 0)
		return -1;
	if (v) {
		_cleanup_free_ char *domain = NULL;
		if (get_str(c, v, "domain", "linux.personality.domain", true, &domain) < 0)
			return -1;
		if (strcmp(domain, "LINUX") == 0)
			l->personality = PER_LINUX;
		else if (strcmp(domain, "LINUX32") == 0)
			l->personality = PER_LINUX32;
		else
			return fail(c, "linux.personality.domain",
				    "unknown domain \"%s\" (want LINUX or LINUX32)", domain);
		l->has_personality = true;
		json_t *flags = NULL;
		if (get_arr(c, v, "flags", "linux.personality.flags", false, &flags) < 0)
			return -1;
		if (flags && json_array_size(flags))
			return fail(c, "linux.personality.flags", "personality flags are not supported");
	}

	v = NULL;
	if (get_obj(c, lx, "resources", "linux.resources", false, &v) < 0)
		return -1;
	l->resources = v;
	v = NULL;
	if (get_obj(c, lx, "seccomp", "linux.seccomp", false, &v) < 0)
		return -1;
	l->seccomp = v;
	return 0;
}

/* Cross-field rules of the spec that a single field cannot express. */
static int validate(struct pctx *c, struct ward_spec *s)
{
	struct ward_linux *l = &s->lx;
	bool userns = l->ns[WARD_NS_USER].present;
	if (!userns && (l->n_uid_mappings || l->n_gid_mappings))
		return fail(c, "linux.uidMappings",
			    "ID mappings are set but there is no user namespace in linux.namespaces");
	if (userns && !l->ns[WARD_NS_USER].path && (!l->n_uid_mappings || !l->n_gid_mappings))
		return fail(c, l->n_uid_mappings ? "linux.gidMappings" : "linux.uidMappings",
			    "a new user namespace needs both uidMappings and gidMappings");
	if ((l->monotonic.present || l->boottime.present) && !l->ns[WARD_NS_TIME].present)
		return fail(c, "linux.timeOffsets", "time offsets need a time namespace");
	if ((l->monotonic.present || l->boottime.present) && l->ns[WARD_NS_TIME].path)
		return fail(c, "linux.timeOffsets",
			    "time offsets cannot be set when joining an existing time namespace");
	/* A joined one is set (runc does), unless it is the runtime's own. */
	if (!l->ns[WARD_NS_UTS].present) {
		if (s->hostname && *s->hostname)
			return fail(c, "hostname", "setting the hostname needs a uts namespace");
		if (s->domainname && *s->domainname)
			return fail(c, "domainname", "setting the domainname needs a uts namespace");
	}
	for (size_t i = 0; i < l->n_sysctl; i++) {
		const char *k = l->sysctl[i].key;
		bool net = strncmp(k, "net.", 4) == 0;
		bool ipc = strncmp(k, "kernel.msg", 10) == 0 || strncmp(k, "kernel.sem", 10) == 0 ||
			   strncmp(k, "kernel.shm", 10) == 0 || strncmp(k, "fs.mqueue.", 10) == 0;
		bool uts = strcmp(k, "kernel.hostname") == 0 || strcmp(k, "kernel.domainname") == 0;
		char f[160];
		FIELD(f, "linux.sysctl.%s", k);
		/* Only namespaced sysctls: anything else would change the host (runc's rule). */
		if (net && !l->ns[WARD_NS_NET].present)
			return fail(c, f, "needs a network namespace (it would change the host)");
		if (ipc && !l->ns[WARD_NS_IPC].present)
			return fail(c, f, "needs an ipc namespace (it would change the host)");
		if (uts && !l->ns[WARD_NS_UTS].present)
			return fail(c, f, "needs a uts namespace (it would change the host)");
		if (!net && !ipc && !uts)
			return fail(c, f, "not a namespaced sysctl; it would change the host");
	}
	return 0;
}

void ward_spec_free(struct ward_spec *s)
{
	if (!s)
		return;
	free(s->oci_version);
	free(s->root_path);
	free(s->hostname);
	free(s->domainname);
	ward_process_free(s->process);
	for (size_t i = 0; i < s->n_mounts; i++) {
		free(s->mounts[i].destination);
		free(s->mounts[i].type);
		free(s->mounts[i].source);
		free(s->mounts[i].data);
		ward_strv_free(s->mounts[i].options);
		free(s->mounts[i].uid_mappings);
		free(s->mounts[i].gid_mappings);
	}
	free(s->mounts);
	for (int k = 0; k < WARD_HOOK_COUNT; k++) {
		for (size_t i = 0; i < s->hooks.n[k]; i++) {
			free(s->hooks.list[k][i].path);
			ward_strv_free(s->hooks.list[k][i].args);
			ward_strv_free(s->hooks.list[k][i].env);
		}
		free(s->hooks.list[k]);
	}
	struct ward_linux *l = &s->lx;
	for (int i = 0; i < WARD_NS_COUNT; i++)
		free(l->ns[i].path);
	free(l->uid_mappings);
	free(l->gid_mappings);
	for (size_t i = 0; i < l->n_devices; i++)
		free(l->devices[i].path);
	free(l->devices);
	ward_strv_free(l->masked_paths);
	ward_strv_free(l->readonly_paths);
	free(l->mount_label);
	for (size_t i = 0; i < l->n_sysctl; i++) {
		free(l->sysctl[i].key);
		free(l->sysctl[i].value);
	}
	free(l->sysctl);
	free(l->cgroups_path);
	json_decref(s->json);
	free(s);
}

static int parse_doc(struct pctx *c, struct ward_spec *s)
{
	json_t *root = s->json, *v = NULL;
	if (!json_is_object(root))
		return ward_err_set(c->err, "%s: must be a JSON object", c->file);
	if (get_str(c, root, "ociVersion", "ociVersion", true, &s->oci_version) < 0)
		return -1;
	if (get_obj(c, root, "root", "root", true, &v) < 0 ||
	    get_str(c, v, "path", "root.path", true, &s->root_path) < 0 ||
	    get_bool(c, v, "readonly", "root.readonly", &s->root_readonly) < 0)
		return -1;
	if (!*s->root_path)
		return fail(c, "root.path", "must not be empty");
	if (get_str(c, root, "hostname", "hostname", false, &s->hostname) < 0 ||
	    get_str(c, root, "domainname", "domainname", false, &s->domainname) < 0)
		return -1;
	v = NULL;
	if (get_obj(c, root, "process", "process", false, &v) < 0)
		return -1;
	if (v && !(s->process = ward_process_parse(v, c->file, "process", c->err)))
		return -1;
	v = NULL;
	if (get_arr(c, root, "mounts", "mounts", false, &v) < 0 || (v && parse_mounts(c, v, s) < 0))
		return -1;
	v = NULL;
	if (get_obj(c, root, "hooks", "hooks", false, &v) < 0 || (v && parse_hooks(c, v, &s->hooks) < 0))
		return -1;
	v = NULL;
	if (get_obj(c, root, "annotations", "annotations", false, &v) < 0)
		return -1;
	if (v) {
		const char *k;
		json_t *val;
		char f[256];
		json_object_foreach(v, k, val) if (!json_is_string(val)) return fail(
			c, FIELD(f, "annotations.%s", k), "must be a string, not %s",
			json_type_name(val));
	}
	s->annotations = v;
	v = NULL;
	if (get_obj(c, root, "linux", "linux", false, &v) < 0 || (v && parse_linux(c, v, s) < 0))
		return -1;
	return validate(c, s);
}

struct ward_spec *ward_spec_parse(const char *text, size_t len, const char *name, ward_err *err)
{
	struct pctx ctx = {name, err};
	json_error_t jerr;
	struct ward_spec *s = calloc(1, sizeof(*s));
	if (!s) {
		ward_err_sys(err, ENOMEM, "%s", name);
		return NULL;
	}
	s->json = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!s->json) {
		ward_err_set(err, "%s:%d:%d: invalid JSON: %s", name, jerr.line, jerr.column, jerr.text);
		ward_spec_free(s);
		return NULL;
	}
	if (parse_doc(&ctx, s) < 0) {
		ward_spec_free(s);
		return NULL;
	}
	return s;
}

struct ward_spec *ward_spec_load(const char *path, ward_err *err)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	if (ward_read_file_at(AT_FDCWD, path, &text, &len, err) < 0)
		return NULL;
	return ward_spec_parse(text, len, path, err);
}
