/* linux.integrity (and the org.ward.integrity.* annotations) into a typed
 * policy, with the exact field in every error. A replacement policy (ward
 * integrity policy ID FILE) is the same object, policy fields only.
 *
 *   "linux": {"integrity": {
 *       "mode": "off" | "measure" | "appraise-log" | "appraise-enforce",
 *       "keys": ["/etc/keys/vendor.pem", ...],   X.509, PEM or DER
 *       "allowList": "/etc/ward/allow.sha256",   sha256sum lines
 *       "signatures": "/srv/sigs.txt",           getfattr --dump of security.ima
 *       "libraries": true,                       ELF files opened are appraised too
 *       "logChildren": "root" | "all",           nested containers' activity upward
 *       "locked": false,                         the policy cannot be replaced
 *       --- container settings (not in a replacement policy) ---
 *       "keep": false,                           keep the lists after delete
 *       "listPath": "/sys/kernel/security",      where the container reads its list
 *       "timeoutSeconds": 10,                    a monitor silent this long is hung
 *       "onMonitorLoss": "kill" | "freeze"}}
 *
 * An annotation org.ward.integrity.<field> sets a field the section does
 * not (lists comma-separated, booleans "true"/"false"): for engines that
 * pass annotations but not ward's own config fields. */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/cleanup.h"
#include "../util/strv.h"
#include "integrity.h"

#define ANNOTATION_PREFIX "org.ward.integrity."

static const char *const mode_names[] = {"off", "measure", "appraise-log", "appraise-enforce"};

const char *ward_integrity_mode_name(enum ward_integrity_mode m)
{
	return m <= WARD_INTEGRITY_ENFORCE ? mode_names[m] : "?";
}

enum kind { K_MODE, K_PATHS, K_PATH, K_BOOL, K_CHILDREN, K_LISTPATH, K_SECONDS, K_LOSS };

#define AT(member) offsetof(struct ward_integrity_conf, member)
static const struct field {
	const char *name;
	enum kind kind;
	bool policy; /* allowed in a replacement policy */
	size_t off;  /* where a K_PATH or K_BOOL value goes */
} fields[] = {
    {"mode", K_MODE, true, 0},
    {"keys", K_PATHS, true, 0},
    {"allowList", K_PATH, true, AT(allow_list)},
    {"signatures", K_PATH, true, AT(signatures)},
    {"libraries", K_BOOL, true, AT(libraries)},
    {"logChildren", K_CHILDREN, true, 0},
    {"locked", K_BOOL, true, AT(locked)},
    {"keep", K_BOOL, false, AT(keep)},
    {"listPath", K_LISTPATH, false, 0},
    {"timeoutSeconds", K_SECONDS, false, 0},
    {"onMonitorLoss", K_LOSS, false, 0},
};

void ward_integrity_conf_init(struct ward_integrity_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->mode = WARD_INTEGRITY_MEASURE;
	c->libraries = true;
	c->timeout_s = 10;
	c->list_path = strdup("/sys/kernel/security");
}

void ward_integrity_conf_release(struct ward_integrity_conf *c)
{
	ward_strv_free(c->keys);
	free(c->allow_list);
	free(c->signatures);
	free(c->list_path);
	memset(c, 0, sizeof(*c));
}

static int pick(const char *v, const char *const *names, size_t n, int *out)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v, names[i]) == 0) {
			*out = (int)i;
			return 0;
		}
	return -1;
}

static int set_path(char **dst, const char *v, const char *where, ward_err *err)
{
	if (v[0] != '/')
		return ward_err_set(err, "%s: \"%s\" is not an absolute path", where, v);
	if (strlen(v) >= PATH_MAX)
		return ward_err_set(err, "%s: path too long", where);
	free(*dst);
	*dst = strdup(v);
	return *dst ? 0 : ward_err_sys(err, ENOMEM, "%s", where);
}

/* One value given as text (a string field, or any annotation). */
static int apply_text(struct ward_integrity_conf *c, const struct field *f, const char *v,
		      const char *where, ward_err *err)
{
	int i;
	static const char *const bools[] = {"false", "true"};
	static const char *const children[] = {"root", "all"};
	static const char *const losses[] = {"kill", "freeze"};
	switch (f->kind) {
	case K_MODE:
		if (pick(v, mode_names, ARRAY_SIZE(mode_names), &i) < 0)
			return ward_err_set(err,
					    "%s: unknown mode \"%s\" (known: off, measure, "
					    "appraise-log, appraise-enforce)",
					    where, v);
		c->mode = (enum ward_integrity_mode)i;
		return 0;
	case K_PATH:
		return set_path((char **)((char *)c + f->off), v, where, err);
	case K_BOOL:
		if (pick(v, bools, 2, &i) < 0)
			return ward_err_set(err, "%s: \"%s\" is not true or false", where, v);
		*(bool *)((char *)c + f->off) = i == 1;
		return 0;
	case K_CHILDREN:
		if (pick(v, children, 2, &i) < 0)
			return ward_err_set(err, "%s: unknown value \"%s\" (known: root, all)",
					    where, v);
		c->children_all = i == 1;
		return 0;
	case K_LOSS:
		if (pick(v, losses, 2, &i) < 0)
			return ward_err_set(err, "%s: unknown value \"%s\" (known: kill, freeze)",
					    where, v);
		c->freeze_on_loss = i == 1;
		return 0;
	case K_LISTPATH:
		if (!*v) {
			free(c->list_path);
			c->list_path = NULL;
			return 0;
		}
		return set_path(&c->list_path, v, where, err);
	case K_SECONDS: {
		char *end;
		errno = 0;
		long s = strtol(v, &end, 10);
		if (errno || *end || end == v || s < 1 || s > 3600)
			return ward_err_set(
			    err, "%s: \"%s\" is not a number of seconds from 1 to 3600", where, v);
		c->timeout_s = (int)s;
		return 0;
	}
	case K_PATHS:
		break;
	}
	return ward_err_set(err, "%s: internal: field kind", where);
}

static int apply_paths_text(struct ward_integrity_conf *c, const char *v, const char *where,
			    ward_err *err)
{
	ward_strv_free(c->keys);
	c->keys = NULL;
	c->n_keys = 0;
	_cleanup_free_ char *copy = strdup(v);
	char *save = NULL;
	for (char *p = copy ? strtok_r(copy, ",", &save) : NULL; p;
	     p = strtok_r(NULL, ",", &save)) {
		char w[256];
		snprintf(w, sizeof(w), "%s[%zu]", where, c->n_keys);
		if (p[0] != '/')
			return ward_err_set(err, "%s: \"%s\" is not an absolute path", w, p);
		if (ward_strv_push(&c->keys, p) < 0)
			return ward_err_sys(err, ENOMEM, "%s", where);
		c->n_keys++;
	}
	return 0;
}

static int apply_json(struct ward_integrity_conf *c, const struct field *f, json_t *v,
		      const char *where, ward_err *err)
{
	if (f->kind == K_BOOL) {
		if (!json_is_boolean(v))
			return ward_err_set(err, "%s: must be true or false", where);
		return apply_text(c, f, json_is_true(v) ? "true" : "false", where, err);
	}
	if (f->kind == K_SECONDS) {
		if (!json_is_integer(v))
			return ward_err_set(err, "%s: must be an integer", where);
		char num[32];
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
		return apply_text(c, f, num, where, err);
	}
	if (f->kind == K_PATHS) {
		if (!json_is_array(v))
			return ward_err_set(err, "%s: must be an array of paths", where);
		ward_strv_free(c->keys);
		c->keys = NULL;
		c->n_keys = 0;
		size_t i;
		json_t *e;
		json_array_foreach(v, i, e)
		{
			char w[256];
			snprintf(w, sizeof(w), "%s[%zu]", where, i);
			if (!json_is_string(e))
				return ward_err_set(err, "%s: must be a string", w);
			const char *p = json_string_value(e);
			if (p[0] != '/' || strchr(p, ','))
				return ward_err_set(err, "%s: \"%s\" is not an absolute path", w,
						    p);
			if (ward_strv_push(&c->keys, p) < 0)
				return ward_err_sys(err, ENOMEM, "%s", w);
			c->n_keys++;
		}
		return 0;
	}
	if (!json_is_string(v))
		return ward_err_set(err, "%s: must be a string", where);
	return apply_text(c, f, json_string_value(v), where, err);
}

static const struct field *find_field(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
		if (strcmp(fields[i].name, name) == 0)
			return &fields[i];
	return NULL;
}

int ward_integrity_conf_object(struct ward_integrity_conf *c, json_t *obj, const char *where,
			       bool policy_only, ward_err *err)
{
	if (!json_is_object(obj))
		return ward_err_set(err, "%s: must be an object", where);
	const char *k;
	json_t *v;
	json_object_foreach(obj, k, v)
	{
		const struct field *f = find_field(k);
		char w[512];
		snprintf(w, sizeof(w), "%s.%s", where, k);
		/* Unknown fields are errors here, unlike the rest of the spec: a
		 * misspelt "mode" must not leave a container unappraised. */
		if (!f)
			return ward_err_set(err,
					    "%s: unknown field (known: mode, keys, allowList, "
					    "signatures, libraries, logChildren, locked, keep, "
					    "listPath, timeoutSeconds, onMonitorLoss)",
					    w);
		if (policy_only && !f->policy)
			return ward_err_set(err, "%s: a container setting, not part of a policy",
					    w);
		if (apply_json(c, f, v, w, err) < 0)
			return -1;
	}
	return 0;
}

static int conf_annotations(struct ward_integrity_conf *c, json_t *section, json_t *ann,
			    const char *file, bool *any, ward_err *err)
{
	const char *k;
	json_t *v;
	json_object_foreach(ann, k, v)
	{
		if (strncmp(k, ANNOTATION_PREFIX, strlen(ANNOTATION_PREFIX)) != 0)
			continue;
		const char *name = k + strlen(ANNOTATION_PREFIX);
		const struct field *f = find_field(name);
		char w[512];
		snprintf(w, sizeof(w), "%s: annotations.%s", file, k);
		if (!f)
			return ward_err_set(err, "%s: unknown setting", w);
		*any = true;
		if (json_object_get(section, name))
			continue; /* linux.integrity says it: the config's own field wins */
		if (!json_is_string(v))
			return ward_err_set(err, "%s: must be a string", w);
		int r = f->kind == K_PATHS ? apply_paths_text(c, json_string_value(v), w, err)
					   : apply_text(c, f, json_string_value(v), w, err);
		if (r < 0)
			return -1;
	}
	return 0;
}

int ward_integrity_conf_parse(json_t *config, const char *file, struct ward_integrity_conf *c,
			      ward_err *err)
{
	ward_integrity_conf_init(c);
	json_t *lx = json_object_get(config, "linux");
	json_t *section = json_is_object(lx) ? json_object_get(lx, "integrity") : NULL;
	char where[256];
	snprintf(where, sizeof(where), "%s: linux.integrity", file);
	bool any = section && !json_is_null(section);
	if (any && ward_integrity_conf_object(c, section, where, false, err) < 0)
		return -1;
	json_t *ann = json_object_get(config, "annotations");
	if (json_is_object(ann) && conf_annotations(c, section, ann, file, &any, err) < 0)
		return -1;
	c->present = any;
	if (!any)
		c->mode = WARD_INTEGRITY_OFF;
	return ward_integrity_conf_check(c, where, err);
}

int ward_integrity_conf_check(const struct ward_integrity_conf *c, const char *where, ward_err *err)
{
	if (c->mode >= WARD_INTEGRITY_APPRAISE_LOG && !c->n_keys && !c->allow_list)
		return ward_err_set(err,
				    "%s: mode \"%s\" needs keys or an allowList to appraise "
				    "against",
				    where, ward_integrity_mode_name(c->mode));
	if (c->signatures && !c->n_keys)
		return ward_err_set(err, "%s.signatures: detached signatures need keys", where);
	return 0;
}
