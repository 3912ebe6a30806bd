/* Built-in rules on the process: capabilities, LSM labels, no_new_privs,
 * the uid, and ward's own (user namespace, read-only root, Landlock). For
 * an exec they judge the process it would start. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/cleanup.h"
#include "internal.h"

#define CAP_AUDIT_CONTROL_NR 30

static const char *proc_field(const struct ward_rule_ctx *rc)
{
	return rc->in->op == WARD_POP_EXEC ? "process (exec)" : "process";
}

/* No capabilities field: the process keeps ward's own, all of them. True
 * (and reported) when p has none. */
static bool caps_absent(struct ward_rule_ctx *rc, const struct ward_process *p, const char *why)
{
	if (p->caps.present)
		return false;
	char field[96];
	snprintf(field, sizeof(field), "%s.capabilities", proc_field(rc));
	ward_rule_report(rc, field, "absent: the process would keep %s", why);
	return true;
}

void ward_rule_capabilities(struct ward_rule_ctx *rc)
{
	const struct ward_process *p = rc->in->process;
	if (!p || caps_absent(rc, p, "every capability"))
		return;
	char field[96];
	uint64_t all = ward_rule_caps_union(p, 0);
	for (int cap = 0; cap < 64; cap++) {
		/* CAP_AUDIT_CONTROL has a rule of its own, never waived. */
		if (!(all & (1ULL << cap)) || cap == CAP_AUDIT_CONTROL_NR)
			continue;
		const char *name = ward_cap_name(cap);
		if (name && ward_rule_params_has(rc->params, "allowed", name))
			continue;
		snprintf(field, sizeof(field), "%s.capabilities.%s", proc_field(rc),
			 ward_rule_caps_set_of(p, cap));
		if (name)
			ward_rule_report(rc, field, "%s is not among the allowed capabilities", name);
		else
			ward_rule_report(rc, field, "capability %d is not among the allowed "
						    "capabilities", cap);
	}
}

void ward_rule_audit_control(struct ward_rule_ctx *rc)
{
	const struct ward_process *p = rc->in->process;
	if (!p || caps_absent(rc, p,
			      "CAP_AUDIT_CONTROL, which is never admitted (it can change or stop "
			      "the kernel's audit, which ward's audit records rely on)"))
		return;
	char field[96];
	if (!(ward_rule_caps_union(p, 0) & (1ULL << CAP_AUDIT_CONTROL_NR)))
		return;
	snprintf(field, sizeof(field), "%s.capabilities.%s", proc_field(rc),
		 ward_rule_caps_set_of(p, CAP_AUDIT_CONTROL_NR));
	ward_rule_report(rc, field,
			 "CAP_AUDIT_CONTROL is never admitted (it can change or stop the kernel's "
			 "audit, which ward's audit records rely on)");
}

void ward_rule_apparmor(struct ward_rule_ctx *rc)
{
	const struct ward_process *p = rc->in->process;
	if (!p)
		return;
	char field[96];
	snprintf(field, sizeof(field), "%s.apparmorProfile", proc_field(rc));
	const char *prof = p->apparmor_profile;
	if (prof && strcmp(prof, "unconfined") == 0)
		ward_rule_report(rc, field, "\"unconfined\" (no AppArmor confinement)");
	else if ((!prof || !*prof) && rc->in->facts->apparmor)
		ward_rule_report(rc, field,
				 "absent on a host that runs AppArmor: the process would be "
				 "unconfined");
}

/* The n-th ':'-separated part of an SELinux context (user:role:type:level). */
static void context_part(const char *label, int n, char *out, size_t len)
{
	const char *s = label;
	for (int i = 0; i < n && s; i++) {
		s = strchr(s, ':');
		if (s)
			s++;
	}
	out[0] = '\0';
	if (!s)
		return;
	size_t k = strcspn(s, ":");
	snprintf(out, len, "%.*s", (int)(k < len ? k : len - 1), s);
}

void ward_rule_selinux(struct ward_rule_ctx *rc)
{
	const struct ward_process *p = rc->in->process;
	if (!p || !p->selinux_label || !*p->selinux_label)
		return;
	char field[96];
	snprintf(field, sizeof(field), "%s.selinuxLabel", proc_field(rc));
	static const struct {
		int part;
		const char *param, *what;
	} parts[] = {{2, "types", "type"}, {0, "users", "user"}, {1, "roles", "role"}};
	for (size_t i = 0; i < ARRAY_SIZE(parts); i++) {
		char v[256];
		context_part(p->selinux_label, parts[i].part, v, sizeof(v));
		if (!ward_rule_params_has(rc->params, parts[i].param, v))
			ward_rule_report(rc, field, "%s: %s \"%s\" is not a container %s",
					 p->selinux_label, parts[i].what, v, parts[i].what);
	}
}

void ward_rule_no_new_privs(struct ward_rule_ctx *rc)
{
	const struct ward_process *p = rc->in->process;
	if (!p || p->no_new_privileges)
		return;
	char field[96];
	snprintf(field, sizeof(field), "%s.noNewPrivileges", proc_field(rc));
	ward_rule_report(rc, field, "false: a setuid or file-capability program could gain "
				    "privileges");
}

/* Does a uid map give the container host uid 0? */
static long maps_host_root(const struct ward_id_map *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (m[i].host_id == 0 && m[i].size > 0)
			return (long)i;
	return -1;
}

void ward_rule_run_as_non_root(struct ward_rule_ctx *rc)
{
	const struct ward_process *p = rc->in->process;
	const struct ward_spec *s = rc->in->spec;
	const struct ward_policy_facts *f = rc->in->facts;
	if (!p)
		return;
	char field[96];
	const struct ward_namespace *user = &s->lx.ns[WARD_NS_USER];
	if (user->present && !user->path) {
		long i = maps_host_root(s->lx.uid_mappings, s->lx.n_uid_mappings);
		if (i >= 0) {
			snprintf(field, sizeof(field), "linux.uidMappings[%ld]", i);
			ward_rule_report(rc, field, "maps the host's uid 0 into the container (root "
						    "on the host)");
		}
		return;
	}
	if (user->present && f->join_user_map_known) {
		if (maps_host_root(f->join_uid_map, f->n_join_uid_map) >= 0)
			ward_rule_report(rc, "linux.namespaces",
					 "the user namespace %s maps the host's uid 0", user->path);
		return;
	}
	if (p->user.uid != 0)
		return;
	snprintf(field, sizeof(field), "%s.user.uid", proc_field(rc));
	if (user->present)
		ward_rule_report(rc, field, "0 in the user namespace %s, which may map it to the "
					    "host's root (cannot tell)",
				 user->path);
	else
		ward_rule_report(rc, field, "0 without a user namespace (root on the host)");
}

void ward_rule_user_namespace(struct ward_rule_ctx *rc)
{
	const struct ward_policy_facts *f = rc->in->facts;
	const struct ward_spec *s = rc->in->spec;
	if (f->ns[WARD_NS_USER] == WARD_NSF_ABSENT)
		ward_rule_report(rc, "linux.namespaces",
				 "no \"user\" namespace (root in the container would be root on "
				 "the host)");
	else if (f->ns[WARD_NS_USER] == WARD_NSF_HOST)
		ward_rule_report(rc, "linux.namespaces", "%s is the host's user namespace",
				 s->lx.ns[WARD_NS_USER].path);
}

void ward_rule_readonly_rootfs(struct ward_rule_ctx *rc)
{
	if (!rc->in->spec->root_readonly)
		ward_rule_report(rc, "root.readonly", "false: the root filesystem is writable");
}

void ward_rule_landlock(struct ward_rule_ctx *rc)
{
	const struct ward_process *p = rc->in->spec->process;
	if (!p || !p->landlock)
		ward_rule_report(rc, "process.landlock", "absent: no Landlock policy");
}

static bool same_label(const char *a, const char *b)
{
	return strcmp(a && *a ? a : "", b && *b ? b : "") == 0;
}

/* An exec is no stronger than its container: no capability the container's
 * process cannot hold, no_new_privs not dropped, the same LSM labels. */
void ward_rule_exec_escalation(struct ward_rule_ctx *rc)
{
	const struct ward_process *p = rc->in->process, *c = rc->in->spec->process;
	if (!p || !c)
		return;
	uint64_t host = rc->in->facts->host_caps;
	uint64_t extra = ward_rule_caps_union(p, host) & ~ward_rule_caps_union(c, host);
	for (int cap = 0; cap < 64; cap++) {
		if (!(extra & (1ULL << cap)))
			continue;
		char field[96];
		snprintf(field, sizeof(field), "process (exec).capabilities.%s",
			 p->caps.present ? ward_rule_caps_set_of(p, cap) : "bounding");
		ward_rule_report(rc, field, "%s: the container's process does not hold it",
				 ward_cap_name(cap) ? ward_cap_name(cap) : "a capability");
	}
	if (c->no_new_privileges && !p->no_new_privileges)
		ward_rule_report(rc, "process (exec).noNewPrivileges",
				 "false, where the container has no_new_privs");
	if (!same_label(p->apparmor_profile, c->apparmor_profile))
		ward_rule_report(rc, "process (exec).apparmorProfile",
				 "\"%s\" is not the container's profile",
				 p->apparmor_profile ? p->apparmor_profile : "");
	if (!same_label(p->selinux_label, c->selinux_label))
		ward_rule_report(rc, "process (exec).selinuxLabel",
				 "\"%s\" is not the container's label",
				 p->selinux_label ? p->selinux_label : "");
}
