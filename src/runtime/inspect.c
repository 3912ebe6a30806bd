/* ward inspect: what confines a running container, read from the kernel
 * (/proc/PID/...) wherever the kernel exposes it; from ward's state only
 * where it does not (the Landlock policy). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../audit/audit.h"
#include "../cgroup/cgroup.h"
#include "../confine/confine.h"
#include "../integrity/integrity.h"
#include "../util/cleanup.h"
#include "../util/fs.h"
#include "runtime.h"

#ifndef SYS_LSM_LIST_MODULES
#define SYS_LSM_LIST_MODULES 461 /* the common number of new system calls */
#endif

static char *proc_text(pid_t pid, const char *file)
{
	char path[128];
	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	char *t = NULL;
	ward_err e;
	if (ward_read_file_at(AT_FDCWD, path, &t, NULL, &e) < 0)
		return NULL;
	size_t l = strlen(t);
	while (l && (t[l - 1] == '\n' || t[l - 1] == '\0'))
		t[--l] = '\0';
	return t;
}

static json_t *namespaces(pid_t pid)
{
	json_t *a = json_array();
	for (int i = 0; i < WARD_NS_COUNT; i++) {
		char p[64], h[64];
		struct stat cs, hs;
		snprintf(p, sizeof(p), "/proc/%d/ns/%s", pid, ward_ns_table[i].proc_name);
		/* "The host" is the initial namespaces, those of pid 1; where pid 1 is
		 * out of reach (a sandboxed host), ward's own. */
		snprintf(h, sizeof(h), "/proc/1/ns/%s", ward_ns_table[i].proc_name);
		if (stat(p, &cs) < 0)
			continue;
		if (stat(h, &hs) < 0) {
			snprintf(h, sizeof(h), "/proc/self/ns/%s", ward_ns_table[i].proc_name);
			if (stat(h, &hs) < 0)
				memset(&hs, 0, sizeof(hs));
		}
		bool host = hs.st_ino == cs.st_ino && hs.st_dev == cs.st_dev;
		json_array_append_new(a, json_pack("{s:s, s:I, s:b}", "type", ward_ns_table[i].spec_name,
						   "inode", (json_int_t)cs.st_ino, "private", !host));
	}
	return a;
}

static json_t *lines(char *text)
{
	json_t *a = json_array();
	char *save = NULL;
	for (char *l = text ? strtok_r(text, "\n", &save) : NULL; l; l = strtok_r(NULL, "\n", &save)) {
		while (*l == ' ')
			l++;
		/* Collapse the column padding of uid_map and friends. */
		char out[256];
		size_t o = 0;
		for (char *c = l; *c && o < sizeof(out) - 1; c++)
			if (!(*c == ' ' && o && out[o - 1] == ' '))
				out[o++] = *c;
		out[o] = '\0';
		json_array_append_new(a, json_string(out));
	}
	return a;
}

static json_t *lines_of(pid_t pid, const char *file)
{
	_cleanup_free_ char *t = proc_text(pid, file);
	return lines(t);
}

static json_t *cap_names(unsigned long long mask)
{
	json_t *a = json_array();
	for (int c = 0; c < 64; c++)
		if (mask & (1ULL << c)) {
			const char *n = ward_cap_name(c);
			char buf[32];
			if (!n) {
				snprintf(buf, sizeof(buf), "cap_%d", c);
				n = buf;
			}
			json_array_append_new(a, json_string(n));
		}
	return a;
}

static json_t *status_fields(pid_t pid)
{
	_cleanup_free_ char *st = proc_text(pid, "status");
	json_t *caps = json_object(), *o = json_object();
	static const char *const sets[][2] = {{"CapInh", "inheritable"}, {"CapPrm", "permitted"},
					      {"CapEff", "effective"},	 {"CapBnd", "bounding"},
					      {"CapAmb", "ambient"}};
	char *save = NULL;
	for (char *l = st ? strtok_r(st, "\n", &save) : NULL; l; l = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(l, ':');
		if (!colon)
			continue;
		*colon = '\0';
		char *v = colon + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		for (size_t i = 0; i < ARRAY_SIZE(sets); i++)
			if (!strcmp(l, sets[i][0])) {
				unsigned long long m = strtoull(v, NULL, 16);
				json_object_set_new(caps, sets[i][1],
						    json_pack("{s:s, s:o}", "hex", v, "names", cap_names(m)));
			}
		if (!strcmp(l, "NoNewPrivs"))
			json_object_set_new(o, "noNewPrivs", json_boolean(atoi(v) == 1));
		else if (!strcmp(l, "Seccomp"))
			json_object_set_new(o, "seccompMode", json_integer(atoi(v)));
		else if (!strcmp(l, "Seccomp_filters"))
			json_object_set_new(o, "seccompFilters", json_integer(atoi(v)));
		else if (!strcmp(l, "Uid") || !strcmp(l, "Gid")) {
			/* real, effective, saved, filesystem */
			for (char *t = v; *t; t++)
				if (*t == '\t')
					*t = ' ';
			json_object_set_new(o, !strcmp(l, "Uid") ? "uid" : "gid", json_string(v));
		}
	}
	json_object_set_new(o, "capabilities", caps);
	return o;
}

/* The kernel's active LSMs: securityfs's list, or (securityfs not mounted,
 * Linux >= 6.8) the lsm_list_modules system call. */
static json_t *active_lsms(const char **source)
{
	json_t *a = json_array();
	_cleanup_free_ char *list = NULL;
	ward_err e;
	if (ward_read_file_at(AT_FDCWD, "/sys/kernel/security/lsm", &list, NULL, &e) == 0) {
		*source = "/sys/kernel/security/lsm";
		char *save = NULL;
		for (char *w = strtok_r(list, ",\n", &save); w; w = strtok_r(NULL, ",\n", &save))
			json_array_append_new(a, json_string(w));
		return a;
	}
	static const char *const ids[] = {"capability", "selinux", "smack",	"tomoyo", "apparmor",
					  "yama",	"loadpin", "safesetid", "lockdown", "bpf",
					  "landlock",	"ima",	   "evm",	"ipe"};
	uint64_t got[64];
	uint32_t size = sizeof(got);
	long n = syscall(SYS_LSM_LIST_MODULES, got, &size, 0);
	if (n < 0) {
		*source = "unknown (no securityfs, no lsm_list_modules)";
		return a;
	}
	*source = "lsm_list_modules(2)";
	for (long i = 0; i < n && i < (long)ARRAY_SIZE(got); i++) {
		uint64_t id = got[i];
		if (id >= 100 && id - 100 < ARRAY_SIZE(ids))
			json_array_append_new(a, json_string(ids[id - 100]));
		else
			json_array_append_new(a, json_sprintf("lsm-%llu", (unsigned long long)id));
	}
	return a;
}

/* One label-based LSM: is it enabled, what the config asked for, and the
 * init's label as the kernel reports it. */
static json_t *lsm_label(pid_t pid, bool enabled, const char *requested, const char *attr)
{
	_cleanup_free_ char *label = enabled ? proc_text(pid, attr) : NULL;
	return json_pack("{s:b, s:s?, s:s?}", "enabled", enabled, "requested",
			 requested && *requested ? requested : NULL, "label",
			 label && *label ? label : NULL);
}

static json_t *lsm_labels(pid_t pid, json_t *process)
{
	const char *source = NULL;
	json_t *active = active_lsms(&source);
	json_t *o = json_pack("{s:o, s:s}", "active", active, "activeSource", source);
	const char *aa = json_string_value(json_object_get(process, "apparmorProfile"));
	const char *se = json_string_value(json_object_get(process, "selinuxLabel"));
	json_object_set_new(o, "apparmor",
			    lsm_label(pid, ward_apparmor_enabled(), aa, "attr/apparmor/current"));
	json_object_set_new(o, "selinux", lsm_label(pid, ward_selinux_enabled(), se, "attr/current"));
	return o;
}

/* Is there a mount at path in the container's mount table, and is it ro? */
static json_t *path_mounts(pid_t pid, json_t *paths, bool masked)
{
	_cleanup_free_ char *mi = proc_text(pid, "mountinfo");
	json_t *a = json_array();
	size_t i;
	json_t *p;
	json_array_foreach(paths, i, p)
	{
		const char *path = json_string_value(p);
		bool found = false, ro = false;
		char fstype[64] = "";
		_cleanup_free_ char *copy = mi ? strdup(mi) : NULL;
		char *save = NULL;
		for (char *l = copy ? strtok_r(copy, "\n", &save) : NULL; l;
		     l = strtok_r(NULL, "\n", &save)) {
			char mp[1024], opts[256], ft[64];
			char *sep = strstr(l, " - ");
			if (!sep || sscanf(l, "%*s %*s %*s %*s %1023s %255s", mp, opts) != 2 ||
			    sscanf(sep + 3, "%63s", ft) != 1)
				continue;
			if (strcmp(mp, path) == 0) {
				found = true; /* the last one wins: it is on top */
				ro = strncmp(opts, "ro", 2) == 0;
				snprintf(fstype, sizeof(fstype), "%s", ft);
			}
		}
		json_t *e = json_pack("{s:s, s:b}", "path", path, masked ? "masked" : "readonly",
				      masked ? found : (found && ro));
		if (found)
			json_object_set_new(e, "fstype", json_string(fstype));
		else {
			char p2[1200];
			struct stat sb;
			snprintf(p2, sizeof(p2), "/proc/%d/root%s", pid, path);
			json_object_set_new(e, "absent", json_boolean(lstat(p2, &sb) < 0));
		}
		json_array_append_new(a, e);
	}
	return a;
}

static json_t *rlimits(pid_t pid)
{
	_cleanup_free_ char *t = proc_text(pid, "limits");
	json_t *a = json_array();
	char *save = NULL;
	bool first = true;
	for (char *l = t ? strtok_r(t, "\n", &save) : NULL; l; l = strtok_r(NULL, "\n", &save)) {
		if (first) {
			first = false;
			continue;
		}
		/* "Max open files            1024                 1024                 files" */
		char name[32] = "", soft[32] = "", hard[32] = "";
		if (strlen(l) < 26)
			continue;
		snprintf(name, sizeof(name), "%.25s", l);
		for (int k = (int)strlen(name) - 1; k >= 0 && name[k] == ' '; k--)
			name[k] = '\0';
		if (sscanf(l + 26, "%31s %31s", soft, hard) == 2)
			json_array_append_new(a, json_pack("{s:s, s:s, s:s}", "name", name, "soft", soft,
							   "hard", hard));
	}
	return a;
}

static json_t *cgroup_info(const struct ward_state *st)
{
	_cleanup_free_ char *cg = proc_text(st->pid, "cgroup");
	json_t *o = json_pack("{s:o}", "paths", lines(cg));
	json_t *layout = json_object_get(json_object_get(st->extra, "cgroup"), "layout");
	if (layout)
		json_object_set(o, "layout", layout);
	json_t *stats = ward_cgroup_present(st->extra) ? ward_cgroup_stats(st->extra) : NULL;
	if (stats) {
		json_t *lim = json_object();
		json_t *m = json_object_get(json_object_get(json_object_get(stats, "memory"), "usage"),
					    "limit");
		/* cgroup v1 says "no limit" with a page-aligned LLONG_MAX. */
		if (json_is_integer(m) && json_integer_value(m) >= (json_int_t)(LLONG_MAX - 4095))
			json_object_set_new(lim, "memory", json_string("max"));
		else if (m)
			json_object_set(lim, "memory", m);
		json_t *p = json_object_get(json_object_get(stats, "pids"), "limit");
		json_object_set_new(lim, "pids", p ? json_incref(p) : json_string("max"));
		json_object_set_new(o, "limits", lim);
		json_decref(stats);
	}
	return o;
}

/* The container's audit identity, and its session as the kernel has it
 * now: a process holding CAP_AUDIT_CONTROL could have left the recorded one. */
static json_t *audit_info(const struct ward_ctx *ctx, const struct ward_state *st)
{
	if (!ward_trail_on(st))
		return json_null();
	json_t *m = json_object_get(st->extra, "audit");
	json_t *a = json_pack("{s:s, s:O}", "id", ward_state_audit_id(st), "mapping", m);
	unsigned now = ward_audit_session_of(st->pid);
	if (now != (unsigned)-1)
		json_object_set_new(a, "sessionNow", json_integer(now));
	json_int_t ses = json_integer_value(json_object_get(m, "ses"));
	json_object_set_new(a, "sessionKept", json_boolean(ses > 0 && (json_int_t)now == ses));
	json_object_set_new(a, "kernel", json_string(ward_audit_kstate_name(
						 ward_audit_kernel_state(ctx->audit))));
	char log[4200];
	snprintf(log, sizeof(log), "%s/@audit/%s.jsonl", ctx->root, st->id);
	json_object_set_new(a, "log", json_string(log));
	json_object_set_new(a, "hostLog", ctx->audit->host_log ? json_string(ctx->audit->host_log)
							     : json_null());
	return a;
}

json_t *ward_container_inspect(const struct ward_ctx *ctx, const char *id, ward_err *err)
{
	struct ward_state st;
	json_t *out = NULL;
	if (ward_state_load(ctx, id, false, &st, err) < 0)
		goto done;
	if (st.status == WARD_STOPPED || st.status == WARD_CREATING) {
		ward_err_set(err, "container %s is not running (%s)", id, ward_status_name(st.status));
		goto done;
	}
	ward_err cerr = {0};
	json_t *config = ward_state_config(&st, &cerr);
	json_t *lx = json_object_get(config, "linux");
	json_t *landlock = json_object_get(st.extra, "landlock");
	out = json_pack("{s:s, s:s, s:i, s:o, s:o, s:o}", "id", id, "status",
			ward_status_name(st.status), "pid", st.pid, "namespaces", namespaces(st.pid),
			"uidMap", lines_of(st.pid, "uid_map"), "gidMap",
			lines_of(st.pid, "gid_map"));
	json_t *sf = status_fields(st.pid);
	json_object_update(out, sf);
	json_decref(sf);
	json_object_set_new(out, "lsm", lsm_labels(st.pid, json_object_get(config, "process")));
	if (landlock)
		json_object_set_new(out, "landlock",
				    json_pack("{s:O, s:s}", "policy", landlock, "source",
					      "recorded by ward when it enforced the policy; the "
					      "kernel does not expose Landlock domains"));
	else
		json_object_set_new(out, "landlock", json_null());
	json_object_set_new(out, "maskedPaths",
			    path_mounts(st.pid, json_object_get(lx, "maskedPaths"), true));
	json_object_set_new(out, "readonlyPaths",
			    path_mounts(st.pid, json_object_get(lx, "readonlyPaths"), false));
	json_object_set_new(out, "cgroup", cgroup_info(&st));
	json_object_set_new(out, "rlimits", rlimits(st.pid));
	json_object_set_new(out, "audit", audit_info(ctx, &st));
	/* the admission decision create recorded (policy/), or null */
	json_t *pol = json_object_get(st.extra, "policy");
	json_object_set_new(out, "policy", pol ? json_incref(pol) : json_null());
	json_object_set_new(out, "integrity", ward_integrity_inspect(st.dirfd));
done:
	ward_state_release(&st);
	if (!out)
		ward_err_wrap(err, "inspect %s", id);
	return out;
}
