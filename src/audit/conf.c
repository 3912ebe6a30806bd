/* Whether auditing is on, and where records go.
 *
 * /etc/ward/audit.json (another file with $WARD_AUDIT_CONF), all keys
 * optional:
 *   {"enabled": true, "kernel": true, "session": true,
 *    "hostLog": "/var/log/ward/audit.jsonl", "rotateBytes": 8388608}
 * The global option --audit or WARD_AUDIT=1 turn auditing on for one
 * command; nothing a caller passes turns a system setting off. The file
 * decides what is recorded, so only root may have written it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/rootless.h"
#include "audit.h"

#define DEFAULT_CONF	 "/etc/ward/audit.json"
#define DEFAULT_HOST_LOG "/var/log/ward/audit.jsonl"
#define DEFAULT_ROTATE	 (8L << 20)

const char *ward_audit_kstate_name(int kstate)
{
	static const char *const names[] = {"off", "auditd", "kmsg", "disabled", "refused", "sent"};
	return kstate >= 0 && kstate < (int)ARRAY_SIZE(names) ? names[kstate] : "?";
}

static int conf_bool(json_t *o, const char *key, const char *path, bool *out, ward_err *err)
{
	json_t *v = json_object_get(o, key);
	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return ward_err_set(err, "%s: %s: must be true or false", path, key);
	*out = json_is_true(v);
	return 0;
}

static int conf_apply(struct ward_audit *a, json_t *o, const char *path, ward_err *err)
{
	static const char *const known[] = {"enabled", "kernel", "session", "hostLog",
					    "rotateBytes"};
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v) {
		bool ok = false;
		for (size_t i = 0; i < ARRAY_SIZE(known); i++)
			ok |= strcmp(k, known[i]) == 0;
		/* A misspelt key must not quietly leave auditing as it was. */
		if (!ok)
			return ward_err_set(err, "%s: %s: unknown setting (known: enabled, kernel, "
						 "session, hostLog, rotateBytes)",
					    path, k);
	}
	if (conf_bool(o, "enabled", path, &a->enabled, err) < 0 ||
	    conf_bool(o, "kernel", path, &a->kernel, err) < 0 ||
	    conf_bool(o, "session", path, &a->session, err) < 0)
		return -1;
	v = json_object_get(o, "hostLog");
	if (v && !json_is_null(v) && !(json_is_string(v) && json_string_value(v)[0] == '/'))
		return ward_err_set(err, "%s: hostLog: must be an absolute path or null", path);
	if (v) {
		free(a->host_log);
		a->host_log = json_is_null(v) ? NULL : strdup(json_string_value(v));
	}
	v = json_object_get(o, "rotateBytes");
	if (v && (!json_is_integer(v) || json_integer_value(v) < 4096))
		return ward_err_set(err, "%s: rotateBytes: must be an integer of at least 4096", path);
	if (v)
		a->rotate_bytes = (long)json_integer_value(v);
	return 0;
}

int ward_audit_conf_parse(struct ward_audit *a, const char *text, size_t len, const char *path,
			  ward_err *err)
{
	json_error_t jerr;
	json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!o)
		return ward_err_set(err, "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
	int r = json_is_object(o) ? conf_apply(a, o, path, err)
				  : ward_err_set(err, "%s: must be a JSON object", path);
	json_decref(o);
	return r;
}

static int conf_load(struct ward_audit *a, const char *path, bool must_exist, ward_err *err)
{
	if (access(path, F_OK) < 0 && errno == ENOENT && !must_exist)
		return 0;
	_cleanup_close_ int fd = ward_open_trusted(path, err);
	if (fd < 0)
		return -1;
	_cleanup_free_ char *text = NULL;
	size_t len;
	if (ward_read_fd(fd, &text, &len, err) < 0)
		return ward_err_wrap(err, "%s", path);
	if (ward_audit_conf_parse(a, text, len, path, err) < 0)
		return -1;
	a->conf_path = strdup(path);
	return 0;
}

/* Inside a ward container: our container's ID (set in its processes'
 * environment by the outer ward when it audits), so nested containers keep
 * the chain. The ID is the container's claim; the kernel-set session of
 * our records is the fact (docs/audit.md). */
static void conf_parent(struct ward_audit *a)
{
	const char *p = getenv("WARD_AUDIT_ID");
	ward_err ignored = {0};
	if (p && ward_audit_id_parse(p, a->parent, &ignored) < 0)
		a->parent[0] = '\0';
}

void ward_audit_setup_off(struct ward_audit *a, const char *state_root)
{
	memset(a, 0, sizeof(*a));
	a->nlfd = -1;
	a->logs[0].fd = a->logs[1].fd = -1;
	a->kernel = true;
	a->session = true;
	a->rotate_bytes = DEFAULT_ROTATE;
	a->root = strdup(state_root);
	if (!ward_running_rootless())
		a->host_log = strdup(DEFAULT_HOST_LOG);
}

int ward_audit_setup(struct ward_audit *a, const char *state_root, bool force_on, ward_err *err)
{
	ward_audit_setup_off(a, state_root);
	const char *env_conf = getenv("WARD_AUDIT_CONF");
	if (conf_load(a, env_conf && *env_conf ? env_conf : DEFAULT_CONF,
		      env_conf && *env_conf, err) < 0)
		return -1;
	const char *env = getenv("WARD_AUDIT");
	if (force_on || (env && strcmp(env, "1") == 0))
		a->enabled = true;
	if (ward_running_rootless()) {
		/* The kernel takes user records only from its initial user
		 * namespace; the JSON log keeps them (each says so). */
		free(a->host_log);
		a->host_log = NULL;
	}
	conf_parent(a);
	return 0;
}

void ward_audit_release(struct ward_audit *a)
{
	if (a->nlfd >= 0)
		close(a->nlfd);
	for (size_t i = 0; i < ARRAY_SIZE(a->logs); i++) {
		if (a->logs[i].fd >= 0)
			close(a->logs[i].fd);
		free(a->logs[i].path);
	}
	free(a->host_log);
	free(a->root);
	free(a->conf_path);
	memset(a, 0, sizeof(*a));
	a->nlfd = -1;
	a->logs[0].fd = a->logs[1].fd = -1;
}
