/* The built-in rules: the Kubernetes Pod Security Standards translated to
 * the OCI config, and ward's own rules beyond them. Each control is a named
 * rule with its parameters; the levels are which rules are on and with
 * which parameters (docs/policy.md has them rule by rule). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/cleanup.h"
#include "internal.h"

/* The checks (rules_host.c, rules_process.c). */
void ward_rule_host_namespaces(struct ward_rule_ctx *rc);
void ward_rule_privileged(struct ward_rule_ctx *rc);
void ward_rule_capabilities(struct ward_rule_ctx *rc);
void ward_rule_audit_control(struct ward_rule_ctx *rc);
void ward_rule_host_paths(struct ward_rule_ctx *rc);
void ward_rule_apparmor(struct ward_rule_ctx *rc);
void ward_rule_selinux(struct ward_rule_ctx *rc);
void ward_rule_proc_mount(struct ward_rule_ctx *rc);
void ward_rule_seccomp(struct ward_rule_ctx *rc);
void ward_rule_sysctls(struct ward_rule_ctx *rc);
void ward_rule_devices(struct ward_rule_ctx *rc);
void ward_rule_no_new_privs(struct ward_rule_ctx *rc);
void ward_rule_run_as_non_root(struct ward_rule_ctx *rc);
void ward_rule_user_namespace(struct ward_rule_ctx *rc);
void ward_rule_readonly_rootfs(struct ward_rule_ctx *rc);
void ward_rule_landlock(struct ward_rule_ctx *rc);
void ward_rule_resource_limits(struct ward_rule_ctx *rc);
void ward_rule_exec_escalation(struct ward_rule_ctx *rc);

#define ONLY_IF_ASKED (WARD_LEVEL_RESTRICTED + 1)

static const struct ward_rule_param p_namespaces[] = {{"namespaces", WARD_PARAM_STRINGS}, {0}};
static const struct ward_rule_param p_caps[] = {{"allowed", WARD_PARAM_STRINGS}, {0}};
static const struct ward_rule_param p_paths[] = {{"paths", WARD_PARAM_STRINGS},
						 {"allowed", WARD_PARAM_STRINGS},
						 {"sockets", WARD_PARAM_STRINGS},
						 {"types", WARD_PARAM_STRINGS},
						 {0}};
static const struct ward_rule_param p_selinux[] = {{"types", WARD_PARAM_STRINGS},
						   {"users", WARD_PARAM_STRINGS},
						   {"roles", WARD_PARAM_STRINGS},
						   {0}};
static const struct ward_rule_param p_proc[] = {{"maskedPaths", WARD_PARAM_STRINGS},
						{"readonlyPaths", WARD_PARAM_STRINGS},
						{0}};
static const struct ward_rule_param p_sysctls[] = {{"allowed", WARD_PARAM_STRINGS}, {0}};
static const struct ward_rule_param p_devices[] = {{"nodes", WARD_PARAM_STRINGS},
						   {"block", WARD_PARAM_BOOL},
						   {0}};
static const struct ward_rule_param p_limits[] = {{"pidsMax", WARD_PARAM_INT},
						  {"memoryMax", WARD_PARAM_INT},
						  {0}};
static const struct ward_rule_param p_none[] = {{0}};

/* Sensitive host paths: binding one, anything inside one, or a directory
 * holding one gives the container the host (or its container engines). */
#define HOST_PATHS                                                                                 \
	"\"/\", \"/etc\", \"/proc\", \"/sys\", \"/dev\", \"/boot\", \"/root\", \"/lib/modules\", " \
	"\"/usr/lib/modules\", \"/var/lib/kubelet\", \"/var/lib/containerd\", "                   \
	"\"/var/lib/containers\", \"/var/lib/docker\", \"/var/lib/ward\", \"/run/containerd\", "   \
	"\"/run/containers\", \"/run/docker\", \"/run/docker.sock\", \"/run/crio\", "              \
	"\"/run/podman\", \"/run/libpod\", \"/run/ward\", \"/run/runc\", \"/run/crun\", "          \
	"\"/run/systemd\", \"/run/dbus\", \"/var/log\""
/* An engine's own per-container files (its /etc/hosts and resolv.conf
 * copies, the kubelet's volumes) live below those: they stay allowed. */
#define ENGINE_FILES                                                                               \
	"\"/var/lib/kubelet/pods/*\", "                                                            \
	"\"/var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/*\", "                          \
	"\"/run/containerd/io.containerd.grpc.v1.cri/sandboxes/*\", "                              \
	"\"/var/lib/containers/storage/overlay-containers/*/userdata/*\", "                        \
	"\"/run/containers/storage/overlay-containers/*/userdata/*\", "                            \
	"\"/var/lib/docker/containers/*\""

const struct ward_rule_def ward_rule_defs[] = {
	{"host-namespaces", WARD_LEVEL_BASELINE, false, false, OPS_CREATE,
	 "{\"namespaces\": [\"pid\", \"ipc\", \"network\", \"uts\"]}", NULL, p_namespaces,
	 ward_rule_host_namespaces,
	 "no host pid, ipc, network or uts namespace (absent, or a path to the host's)"},
	{"privileged", WARD_LEVEL_BASELINE, false, false, OPS_CREATE | OPS_EXEC | OPS_UPDATE, "{}",
	 NULL, p_none, ward_rule_privileged,
	 "not privileged: not every capability, masked paths, read-only /sys and /proc/sys, not "
	 "every device"},
	{"capabilities", WARD_LEVEL_BASELINE, false, false, OPS_CREATE | OPS_EXEC,
	 /* The Pod Security Standards' list, and CAP_NET_RAW: they check only
	  * capabilities.add, while the config holds what takes effect, the
	  * engine's default set included (containerd's and Docker's hold
	  * NET_RAW); refusing it would refuse every default pod. */
	 "{\"allowed\": [\"CAP_AUDIT_WRITE\", \"CAP_CHOWN\", \"CAP_DAC_OVERRIDE\", \"CAP_FOWNER\", "
	 "\"CAP_FSETID\", \"CAP_KILL\", \"CAP_MKNOD\", \"CAP_NET_BIND_SERVICE\", \"CAP_SETFCAP\", "
	 "\"CAP_SETGID\", \"CAP_SETPCAP\", \"CAP_SETUID\", \"CAP_SYS_CHROOT\", \"CAP_NET_RAW\"]}",
	 "{\"allowed\": [\"CAP_NET_BIND_SERVICE\"]}", p_caps, ward_rule_capabilities,
	 "capabilities only from the allowed set, in every set"},
	{"audit-control", WARD_LEVEL_PRIVILEGED, true, true, OPS_CREATE | OPS_EXEC, "{}", NULL, p_none,
	 ward_rule_audit_control,
	 "never CAP_AUDIT_CONTROL: ward's audit records rely on the kernel's audit staying as "
	 "root set it (enforced at every level, never exempted)"},
	{"host-paths", WARD_LEVEL_BASELINE, false, false, OPS_CREATE,
	 "{\"paths\": [" HOST_PATHS "], \"allowed\": [" ENGINE_FILES "], "
	 "\"sockets\": [\"docker.sock\", \"containerd.sock\", \"crio.sock\", \"podman.sock\", "
	 "\"buildkitd.sock\", \"kubelet.sock\"], "
	 "\"types\": [\"devtmpfs\", \"debugfs\", \"tracefs\", \"securityfs\", \"efivarfs\", "
	 "\"configfs\", \"pstore\", \"fusectl\"]}",
	 NULL, p_paths, ward_rule_host_paths,
	 "no bind mount of a sensitive host path, an engine's socket or state, no host kernel "
	 "filesystem"},
	{"apparmor", WARD_LEVEL_BASELINE, false, false, OPS_CREATE | OPS_EXEC, "{}", NULL, p_none,
	 ward_rule_apparmor,
	 "an AppArmor profile other than unconfined (on a host that runs AppArmor, none is "
	 "unconfined)"},
	{"selinux", WARD_LEVEL_BASELINE, false, false, OPS_CREATE | OPS_EXEC,
	 "{\"types\": [\"container_t\", \"container_init_t\", \"container_kvm_t\", "
	 "\"container_engine_t\"], \"users\": [\"system_u\"], \"roles\": [\"system_r\"]}",
	 NULL, p_selinux, ward_rule_selinux, "an SELinux label of a container type, user and role"},
	{"proc-mount", WARD_LEVEL_BASELINE, false, false, OPS_CREATE,
	 "{\"maskedPaths\": [\"/proc/acpi\", \"/proc/kcore\", \"/proc/keys\", "
	 "\"/proc/latency_stats\", \"/proc/timer_list\", \"/proc/timer_stats\", "
	 "\"/proc/sched_debug\", \"/proc/scsi\", \"/sys/firmware\"], "
	 "\"readonlyPaths\": [\"/proc/bus\", \"/proc/fs\", \"/proc/irq\", \"/proc/sys\", "
	 "\"/proc/sysrq-trigger\"]}",
	 NULL, p_proc, ward_rule_proc_mount, "/proc masked as the engines' default (no Unmasked)"},
	{"seccomp", WARD_LEVEL_BASELINE, false, false, OPS_CREATE, "{}", NULL, p_none,
	 ward_rule_seccomp,
	 "a seccomp filter that refuses something (stricter than the Pod Security Standards' "
	 "baseline)"},
	{"sysctls", WARD_LEVEL_BASELINE, false, false, OPS_CREATE,
	 "{\"allowed\": [\"kernel.shm_rmid_forced\", \"net.ipv4.ip_local_port_range\", "
	 "\"net.ipv4.ip_unprivileged_port_start\", \"net.ipv4.tcp_syncookies\", "
	 "\"net.ipv4.ping_group_range\", \"net.ipv4.ip_local_reserved_ports\", "
	 "\"net.ipv4.tcp_keepalive_time\", \"net.ipv4.tcp_fin_timeout\", "
	 "\"net.ipv4.tcp_keepalive_intvl\", \"net.ipv4.tcp_keepalive_probes\", "
	 "\"net.ipv4.tcp_rmem\", \"net.ipv4.tcp_wmem\"]}",
	 NULL, p_sysctls, ward_rule_sysctls, "sysctls only from the safe set"},
	{"devices", WARD_LEVEL_BASELINE, false, false, OPS_CREATE | OPS_UPDATE,
	 "{\"block\": true, \"nodes\": [\"c 1:1\", \"c 1:2\", \"c 1:4\"]}", NULL, p_devices,
	 ward_rule_devices,
	 "no device node or device rule for host disks (block devices), /dev/mem, /dev/kmem, "
	 "/dev/port"},
	{"exec-escalation", WARD_LEVEL_BASELINE, true, false, OPS_EXEC, "{}", NULL, p_none,
	 ward_rule_exec_escalation,
	 "an exec no stronger than its container: no capability its process lacks, no_new_privs "
	 "kept, the same AppArmor and SELinux labels"},
	{"no-new-privs", WARD_LEVEL_RESTRICTED, false, false, OPS_CREATE | OPS_EXEC, "{}", NULL,
	 p_none, ward_rule_no_new_privs, "process.noNewPrivileges true"},
	{"run-as-non-root", WARD_LEVEL_RESTRICTED, false, false, OPS_CREATE | OPS_EXEC, "{}", NULL,
	 p_none, ward_rule_run_as_non_root,
	 "not uid 0, unless a user namespace maps it to an unprivileged host uid"},
	{"user-namespace", WARD_LEVEL_RESTRICTED, true, false, OPS_CREATE, "{}", NULL, p_none,
	 ward_rule_user_namespace, "a user namespace"},
	{"readonly-rootfs", WARD_LEVEL_RESTRICTED, true, false, OPS_CREATE, "{}", NULL, p_none,
	 ward_rule_readonly_rootfs, "root.readonly true"},
	{"landlock", WARD_LEVEL_RESTRICTED, true, false, OPS_CREATE, "{}", NULL, p_none,
	 ward_rule_landlock, "a Landlock policy (process.landlock)"},
	{"resource-limits", ONLY_IF_ASKED, true, false, OPS_CREATE | OPS_UPDATE,
	 "{\"pidsMax\": 0, \"memoryMax\": 0}", NULL, p_limits, ward_rule_resource_limits,
	 "a pids and/or memory limit no higher than the maximum (0: not required); off unless a "
	 "policy turns it on"},
};
const size_t ward_n_rule_defs = ARRAY_SIZE(ward_rule_defs);

const struct ward_rule_def *ward_rule_def_find(const char *name)
{
	for (size_t i = 0; i < ward_n_rule_defs; i++)
		if (strcmp(ward_rule_defs[i].name, name) == 0)
			return &ward_rule_defs[i];
	return NULL;
}

const char *const *ward_policy_rule_names(void)
{
	static const char *names[ARRAY_SIZE(ward_rule_defs) + 1];
	for (size_t i = 0; i < ward_n_rule_defs; i++)
		names[i] = ward_rule_defs[i].name;
	return names;
}

int ward_finding_push(struct ward_finding_list *l, const struct ward_policy_finding *f)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct ward_policy_finding *v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *f;
	return 0;
}

void ward_rule_report(struct ward_rule_ctx *rc, const char *field, const char *fmt, ...)
{
	rc->reported++;
	if (rc->reported > RULE_MAX_FINDINGS + 1)
		return;
	char reason[1024];
	if (rc->reported == RULE_MAX_FINDINGS + 1) {
		snprintf(reason, sizeof(reason), "more findings of this rule left out");
	} else {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(reason, sizeof(reason), fmt, ap);
		va_end(ap);
	}
	struct ward_policy_finding f = {
		.rule = strdup(rc->name),
		.origin = strdup(rc->origin),
		.field = strdup(field && *field ? field : "config"),
		.reason = strdup(reason),
		.mode = rc->mode,
		.layer = rc->layer,
	};
	if (!f.rule || !f.origin || !f.field || !f.reason || ward_finding_push(rc->out, &f) < 0) {
		free(f.rule);
		free(f.origin);
		free(f.field);
		free(f.reason);
	}
}

long ward_rule_ns_index(const struct ward_spec *spec, enum ward_ns_type t)
{
	json_t *arr = json_object_get(json_object_get(spec->json, "linux"), "namespaces");
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v) {
		const char *type = json_string_value(json_object_get(v, "type"));
		if (type && strcmp(type, ward_ns_table[t].spec_name) == 0)
			return (long)i;
	}
	return -1;
}

bool ward_rule_params_has(json_t *params, const char *key, const char *value)
{
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(params, key), i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), value) == 0)
			return true;
	return false;
}

uint64_t ward_rule_caps_union(const struct ward_process *p, uint64_t host_caps)
{
	if (!p->caps.present)
		return host_caps;
	const struct ward_caps *c = &p->caps;
	return c->bounding | c->effective | c->permitted | c->inheritable | c->ambient;
}

const char *ward_rule_caps_set_of(const struct ward_process *p, int cap)
{
	uint64_t bit = 1ULL << cap;
	const struct ward_caps *c = &p->caps;
	if (c->bounding & bit)
		return "bounding";
	if (c->permitted & bit)
		return "permitted";
	if (c->effective & bit)
		return "effective";
	if (c->inheritable & bit)
		return "inheritable";
	return "ambient";
}
