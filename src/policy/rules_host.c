/* Built-in rules on what the container shares with the host: namespaces,
 * mounts, /proc, sysctls, devices, seccomp, resources. Judged on what takes
 * effect: a namespace joined by a path to the host's is the host's, a bind
 * source is its realpath, an absent seccomp filter is none. */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "../util/cleanup.h"
#include "internal.h"

static const char *ns_label(enum ward_ns_type t)
{
	return ward_ns_table[t].spec_name;
}

void ward_rule_host_namespaces(struct ward_rule_ctx *rc)
{
	const struct ward_spec *s = rc->in->spec;
	const struct ward_policy_facts *f = rc->in->facts;
	for (int t = 0; t < WARD_NS_COUNT; t++) {
		if (!ward_rule_params_has(rc->params, "namespaces", ns_label(t)))
			continue;
		long i = ward_rule_ns_index(s, t);
		char field[64];
		snprintf(field, sizeof(field), "linux.namespaces[%ld].path", i);
		switch (f->ns[t]) {
		case WARD_NSF_ABSENT:
			ward_rule_report(rc, "linux.namespaces",
					 "no \"%s\" namespace (the container would share the host's "
					 "%s namespace)",
					 ns_label(t), ward_ns_table[t].proc_name);
			break;
		case WARD_NSF_HOST:
			ward_rule_report(rc, field, "%s is the host's %s namespace",
					 s->lx.ns[t].path, ward_ns_table[t].proc_name);
			break;
		case WARD_NSF_UNKNOWN:
			ward_rule_report(rc, field, "%s: cannot tell whether it is the host's (%s)",
					 s->lx.ns[t].path, strerror(f->ns_errno[t]));
			break;
		default:
			break;
		}
	}
}

static bool mount_is_rw(const struct ward_mount *m)
{
	return !(m->flags & MS_RDONLY) && !(m->rec_attr_set & 0x1 /* MOUNT_ATTR_RDONLY */);
}

static bool strv_has(char **v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

static bool has_proc_mount(const struct ward_spec *s)
{
	for (size_t i = 0; i < s->n_mounts; i++)
		if (s->mounts[i].type && strcmp(s->mounts[i].type, "proc") == 0)
			return true;
	return false;
}

/* Devices rules of linux.resources (raw JSON: create's config or update's). */
static json_t *device_rules(const struct ward_rule_ctx *rc)
{
	json_t *res = rc->in->op == WARD_POP_UPDATE
			      ? rc->in->resources
			      : json_object_get(json_object_get(rc->in->spec->json, "linux"),
						"resources");
	return json_object_get(res, "devices");
}

static const char *rule_type(json_t *d)
{
	const char *t = json_string_value(json_object_get(d, "type"));
	return t && *t ? t : "a";
}

static bool rule_grants(json_t *d)
{
	const char *acc = json_string_value(json_object_get(d, "access"));
	return json_is_true(json_object_get(d, "allow")) &&
	       (!acc || !*acc || strchr(acc, 'r') || strchr(acc, 'w') || strchr(acc, 'm'));
}

static void privileged_devices(struct ward_rule_ctx *rc)
{
	size_t i;
	json_t *d;
	json_array_foreach(device_rules(rc), i, d) {
		if (rule_grants(d) && strcmp(rule_type(d), "a") == 0 &&
		    !json_is_integer(json_object_get(d, "major"))) {
			char field[64];
			snprintf(field, sizeof(field), "linux.resources.devices[%zu]", i);
			ward_rule_report(rc, field, "allows every device of the host (a privileged "
						    "container)");
		}
	}
}

void ward_rule_privileged(struct ward_rule_ctx *rc)
{
	const struct ward_spec *s = rc->in->spec;
	const struct ward_process *p = rc->in->process;
	uint64_t host = rc->in->facts->host_caps;
	if (rc->in->op != WARD_POP_UPDATE && p && host &&
	    (ward_rule_caps_union(p, host) & host) == host)
		ward_rule_report(rc, rc->in->op == WARD_POP_EXEC ? "process (exec).capabilities"
								 : "process.capabilities",
				 p->caps.present ? "every capability (a privileged container)"
						 : "absent: the process keeps every capability (a "
						   "privileged container)");
	if (rc->in->op != WARD_POP_CREATE) {
		if (rc->in->op == WARD_POP_UPDATE)
			privileged_devices(rc);
		return;
	}
	bool proc = has_proc_mount(s);
	if (proc && !(s->lx.masked_paths && s->lx.masked_paths[0]))
		ward_rule_report(rc, "linux.maskedPaths",
				 "empty: nothing of /proc and /sys is masked (a privileged container)");
	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct ward_mount *m = &s->mounts[i];
		if (strcmp(m->destination, "/sys") != 0 || !mount_is_rw(m))
			continue;
		char field[64];
		snprintf(field, sizeof(field), "mounts[%zu]", i);
		ward_rule_report(rc, field, "/sys is mounted writable (a privileged container)");
	}
	if (proc && !strv_has(s->lx.readonly_paths, "/proc/sys") &&
	    !strv_has(s->lx.masked_paths, "/proc/sys"))
		ward_rule_report(rc, "linux.readonlyPaths",
				 "/proc/sys is not read-only (host-wide kernel settings would be "
				 "writable)");
	privileged_devices(rc);
}

/* Is a beneath b (or b itself)? Everything is beneath "/". */
static bool path_within(const char *a, const char *b)
{
	size_t n = strlen(b);
	if (strcmp(b, "/") == 0)
		return true;
	return strncmp(a, b, n) == 0 && (a[n] == '\0' || a[n] == '/');
}

static void host_path_check(struct ward_rule_ctx *rc, size_t i, const char *real)
{
	char field[64];
	snprintf(field, sizeof(field), "mounts[%zu].source", i);
	const char *base = strrchr(real, '/');
	base = base ? base + 1 : real;
	if (ward_rule_params_has(rc->params, "sockets", base)) {
		ward_rule_report(rc, field,
				 "%s is a container engine's socket: whoever reaches it controls the "
				 "host",
				 real);
		return;
	}
	size_t k;
	json_t *v;
	json_array_foreach(json_object_get(rc->params, "allowed"), k, v)
		if (fnmatch(json_string_value(v), real, 0) == 0)
			return;
	const char *state = rc->in->facts->state_root;
	json_t *paths = json_object_get(rc->params, "paths");
	for (k = 0; k <= json_array_size(paths); k++) {
		const char *p = k < json_array_size(paths) ? json_string_value(json_array_get(paths, k))
							   : state;
		if (!p)
			continue;
		if (strcmp(real, p) == 0)
			ward_rule_report(rc, field, "%s is the host's %s", real, p);
		else if (path_within(p, real))
			ward_rule_report(rc, field, "%s holds the host's %s", real, p);
		else if (strcmp(p, "/") != 0 && path_within(real, p))
			/* "/" itself is sensitive, not all that is below it */
			ward_rule_report(rc, field, "%s is inside the host's %s", real, p);
		else
			continue;
		return;
	}
}

void ward_rule_host_paths(struct ward_rule_ctx *rc)
{
	const struct ward_spec *s = rc->in->spec;
	const struct ward_policy_facts *f = rc->in->facts;
	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct ward_mount *m = &s->mounts[i];
		char field[64];
		if (m->type && ward_rule_params_has(rc->params, "types", m->type)) {
			snprintf(field, sizeof(field), "mounts[%zu].type", i);
			ward_rule_report(rc, field, "%s gives the container a kernel interface of the "
						    "host",
					 m->type);
			continue;
		}
		if (!m->bind)
			continue;
		if (i < f->n_mounts && f->bind_real[i]) {
			host_path_check(rc, i, f->bind_real[i]);
		} else {
			snprintf(field, sizeof(field), "mounts[%zu].source", i);
			ward_rule_report(rc, field, "%s: cannot resolve it (%s)", m->source,
					 strerror(i < f->n_mounts && f->bind_errno[i] ? f->bind_errno[i]
										     : ENOENT));
		}
	}
}

void ward_rule_proc_mount(struct ward_rule_ctx *rc)
{
	const struct ward_spec *s = rc->in->spec;
	if (!has_proc_mount(s))
		return;
	static const char *const lists[] = {"maskedPaths", "readonlyPaths"};
	for (size_t l = 0; l < 2; l++) {
		char **have = l == 0 ? s->lx.masked_paths : s->lx.readonly_paths;
		size_t i;
		json_t *v;
		json_array_foreach(json_object_get(rc->params, lists[l]), i, v) {
			const char *p = json_string_value(v);
			/* a masked path is also as good as read-only */
			if (strv_has(have, p) || (l == 1 && strv_has(s->lx.masked_paths, p)))
				continue;
			char field[64];
			snprintf(field, sizeof(field), "linux.%s", lists[l]);
			ward_rule_report(rc, field, "%s is not %s (/proc is unmasked)", p,
					 l == 0 ? "masked" : "read-only");
		}
	}
}

static bool action_allows(const char *a)
{
	return a && (strcmp(a, "SCMP_ACT_ALLOW") == 0 || strcmp(a, "SCMP_ACT_LOG") == 0);
}

void ward_rule_seccomp(struct ward_rule_ctx *rc)
{
	json_t *sc = rc->in->spec->lx.seccomp;
	if (!sc || json_is_null(sc)) {
		ward_rule_report(rc, "linux.seccomp",
				 "absent: every system call is allowed (unconfined)");
		return;
	}
	const char *def = json_string_value(json_object_get(sc, "defaultAction"));
	if (!action_allows(def))
		return;
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(sc, "syscalls"), i, r)
		if (!action_allows(json_string_value(json_object_get(r, "action"))))
			return;
	ward_rule_report(rc, "linux.seccomp.defaultAction",
			 "%s and no rule that refuses anything (unconfined)", def);
}

void ward_rule_sysctls(struct ward_rule_ctx *rc)
{
	const struct ward_linux *lx = &rc->in->spec->lx;
	for (size_t i = 0; i < lx->n_sysctl; i++) {
		/* net/ipv4/x and net.ipv4.x name the same file */
		char key[256];
		snprintf(key, sizeof(key), "%s", lx->sysctl[i].key);
		for (char *c = key; *c; c++)
			if (*c == '/')
				*c = '.';
		if (ward_rule_params_has(rc->params, "allowed", key))
			continue;
		char field[320];
		snprintf(field, sizeof(field), "linux.sysctl.%s", lx->sysctl[i].key);
		ward_rule_report(rc, field, "not a safe sysctl (it is not namespaced, or it "
					    "reaches beyond the container)");
	}
}

static bool node_refused(json_t *params, char type, long long major, long long minor)
{
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(params, "nodes"), i, v) {
		char t;
		long long ma, mi;
		if (sscanf(json_string_value(v), "%c %lld:%lld", &t, &ma, &mi) != 3)
			continue;
		if ((t == type || type == 'a') && ma == major && (mi == minor || minor < 0))
			return true;
	}
	return false;
}

static void device_rules_check(struct ward_rule_ctx *rc)
{
	bool block = json_is_true(json_object_get(rc->params, "block"));
	size_t i;
	json_t *d;
	json_array_foreach(device_rules(rc), i, d) {
		if (!rule_grants(d))
			continue;
		const char *t = rule_type(d);
		json_t *ma = json_object_get(d, "major"), *mi = json_object_get(d, "minor");
		char field[64];
		snprintf(field, sizeof(field), "linux.resources.devices[%zu]", i);
		if (block && strcmp(t, "b") == 0)
			ward_rule_report(rc, field, "allows block devices (the host's disks)");
		else if (json_is_integer(ma) &&
			 node_refused(rc->params, t[0], json_integer_value(ma),
				      json_is_integer(mi) ? json_integer_value(mi) : -1))
			ward_rule_report(rc, field, "allows %s %lld:%lld (/dev/mem, /dev/kmem or "
						    "/dev/port: the host's memory and I/O ports)",
					 t, (long long)json_integer_value(ma),
					 json_is_integer(mi) ? (long long)json_integer_value(mi) : -1LL);
	}
}

void ward_rule_devices(struct ward_rule_ctx *rc)
{
	device_rules_check(rc);
	if (rc->in->op != WARD_POP_CREATE)
		return;
	const struct ward_linux *lx = &rc->in->spec->lx;
	bool block = json_is_true(json_object_get(rc->params, "block"));
	for (size_t i = 0; i < lx->n_devices; i++) {
		const struct ward_device *d = &lx->devices[i];
		char field[64];
		snprintf(field, sizeof(field), "linux.devices[%zu]", i);
		if (block && d->type == 'b')
			ward_rule_report(rc, field,
					 "%s is a block device (a host disk: raw access bypasses "
					 "every file permission)",
					 d->path);
		else if (node_refused(rc->params, d->type, d->major, d->minor))
			ward_rule_report(rc, field, "%s is %c %lld:%lld (the host's memory or I/O "
						    "ports)",
					 d->path, d->type, (long long)d->major, (long long)d->minor);
	}
}

static json_t *resources_of(const struct ward_rule_ctx *rc)
{
	return rc->in->op == WARD_POP_UPDATE
		       ? rc->in->resources
		       : json_object_get(json_object_get(rc->in->spec->json, "linux"), "resources");
}

static void limit_check(struct ward_rule_ctx *rc, const char *param, const char *group,
			const char *key, const char *what)
{
	json_int_t max = json_integer_value(json_object_get(rc->params, param));
	if (max <= 0)
		return;
	json_t *v = json_object_get(json_object_get(resources_of(rc), group), key);
	char field[96];
	snprintf(field, sizeof(field), "linux.resources.%s.%s", group, key);
	if (!json_is_integer(v) || json_integer_value(v) <= 0)
		ward_rule_report(rc, field, "no %s limit (at most %lld required)", what,
				 (long long)max);
	else if (json_integer_value(v) > max)
		ward_rule_report(rc, field, "%lld is above the maximum %s limit %lld",
				 (long long)json_integer_value(v), what, (long long)max);
}

void ward_rule_resource_limits(struct ward_rule_ctx *rc)
{
	limit_check(rc, "pidsMax", "pids", "limit", "pids");
	limit_check(rc, "memoryMax", "memory", "limit", "memory");
}
