/* What `ward spec` writes: runc's layout, hardened the way Docker/podman
 * confine a default container, so the safe thing needs no flag. */
#include <string.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "spec.h"

/* podman's default capability set (containers.conf default_capabilities):
 * Docker's 14 without NET_RAW, MKNOD and AUDIT_WRITE. Enough for a normal
 * Unix userland as root, nothing that reaches the kernel or the host.
 * NET_RAW forges any packet on the container's network (CVE-2020-14386 was
 * reached through a raw socket); ping keeps working through
 * net.ipv4.ping_group_range (default_sysctls). MKNOD and AUDIT_WRITE are
 * rarely needed. docs/capabilities.md says what breaks and the way back.
 * Never CAP_AUDIT_CONTROL: it would let the container change the audit
 * rules and its own audit identity, which the audit layer relies on. */
static const char *const default_caps[] = {
	"CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FOWNER",		  "CAP_FSETID",
	"CAP_KILL",   "CAP_NET_BIND_SERVICE", "CAP_SETFCAP",	  "CAP_SETGID",
	"CAP_SETPCAP", "CAP_SETUID",	  "CAP_SYS_CHROOT",
};

/* Kernel interfaces that leak host information or allow host-wide actions. */
static const char *const masked_paths[] = {
	"/proc/asound",	       "/proc/acpi",	     "/proc/kcore",	  "/proc/keys",
	"/proc/latency_stats", "/proc/timer_list",   "/proc/timer_stats", "/proc/sched_debug",
	"/proc/scsi",	       "/sys/firmware",	     "/sys/devices/virtual/powercap",
};

static const char *const readonly_paths[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

static json_t *strarr(const char *const *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static json_t *mount(const char *dst, const char *type, const char *src, json_t *opts)
{
	return json_pack("{s:s, s:s, s:s, s:o}", "destination", dst, "type", type, "source", src,
			 "options", opts);
}

static json_t *default_mounts(bool rootless)
{
	json_t *m = json_array();
	json_array_append_new(m, mount("/proc", "proc", "proc", json_array()));
	json_array_append_new(m, mount("/dev", "tmpfs", "tmpfs",
				       json_pack("[s,s,s,s]", "nosuid", "strictatime", "mode=755",
						 "size=65536k")));
	json_array_append_new(
		m, mount("/dev/pts", "devpts", "devpts",
			 rootless ? json_pack("[s,s,s,s,s]", "nosuid", "noexec", "newinstance",
					      "ptmxmode=0666", "mode=0620")
				  : json_pack("[s,s,s,s,s,s]", "nosuid", "noexec", "newinstance",
					      "ptmxmode=0666", "mode=0620", "gid=5")));
	json_array_append_new(m, mount("/dev/shm", "tmpfs", "shm",
				       json_pack("[s,s,s,s,s]", "nosuid", "noexec", "nodev",
						 "mode=1777", "size=65536k")));
	json_array_append_new(m, mount("/dev/mqueue", "mqueue", "mqueue",
				       json_pack("[s,s,s]", "nosuid", "noexec", "nodev")));
	if (rootless)
		/* sysfs needs a network namespace the user owns; bind the host's, read-only. */
		json_array_append_new(m, mount("/sys", "none", "/sys",
					       json_pack("[s,s,s,s,s]", "rbind", "nosuid", "noexec",
							 "nodev", "ro")));
	else
		json_array_append_new(m, mount("/sys", "sysfs", "sysfs",
					       json_pack("[s,s,s,s]", "nosuid", "noexec", "nodev",
							 "ro")));
	json_array_append_new(m, mount("/sys/fs/cgroup", "cgroup", "cgroup",
				       json_pack("[s,s,s,s,s]", "nosuid", "noexec", "nodev",
						 "relatime", "ro")));
	return m;
}

json_t *ward_spec_default(bool rootless)
{
	json_t *caps = strarr(default_caps, ARRAY_SIZE(default_caps));
	json_t *process = json_pack(
		"{s:b, s:{s:i, s:i}, s:[s], s:[s,s], s:s, s:{s:O, s:O, s:O}, s:[{s:s, s:i, s:i}], "
		"s:b}",
		"terminal", 1, "user", "uid", 0, "gid", 0, "args", "sh", "env",
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm",
		"cwd", "/", "capabilities", "bounding", caps, "effective", caps, "permitted", caps,
		"rlimits", "type", "RLIMIT_NOFILE", "hard", 1024, "soft", 1024, "noNewPrivileges", 1);
	json_decref(caps);

	json_t *ns = json_pack("[{s:s}, {s:s}, {s:s}, {s:s}, {s:s}, {s:s}]", "type", "pid", "type",
			       "ipc", "type", "uts", "type", "mount", "type", "cgroup", "type",
			       rootless ? "user" : "network");
	json_t *lxj = json_pack("{s:o, s:o, s:o}", "namespaces", ns, "maskedPaths",
				  strarr(masked_paths, ARRAY_SIZE(masked_paths)), "readonlyPaths",
				  strarr(readonly_paths, ARRAY_SIZE(readonly_paths)));
	/* With a network namespace of its own, unprivileged ICMP echo sockets
	 * for every group (Docker's default): ping without CAP_NET_RAW. In the
	 * config rather than done by ward, which applies configs and invents no
	 * kernel state an engine did not ask for (a runtime that did would run
	 * an engine's containers unlike runc). */
	if (!rootless)
		json_object_set_new(lxj, "sysctl",
				    json_pack("{s:s}", "net.ipv4.ping_group_range", "0 2147483647"));
	uint64_t bounding = 0;
	for (size_t i = 0; i < ARRAY_SIZE(default_caps); i++)
		bounding |= 1ULL << ward_cap_from_name(default_caps[i]);
	json_object_set_new(lxj, "seccomp", ward_seccomp_default(bounding));
	if (rootless) {
		json_object_set_new(lxj, "uidMappings",
				    json_pack("[{s:i, s:i, s:i}]", "containerID", 0, "hostID",
					      (json_int_t)geteuid(), "size", 1));
		json_object_set_new(lxj, "gidMappings",
				    json_pack("[{s:i, s:i, s:i}]", "containerID", 0, "hostID",
					      (json_int_t)getegid(), "size", 1));
	} else {
		json_object_set_new(
			lxj, "resources",
			json_pack("{s:[{s:b, s:s}]}", "devices", "allow", 0, "access", "rwm"));
	}
	return json_pack("{s:s, s:{s:s, s:b}, s:o, s:s, s:o, s:o}", "ociVersion", WARD_OCI_VERSION,
			 "root", "path", "rootfs", "readonly", 1, "process", process, "hostname",
			 "ward", "mounts", default_mounts(rootless), "linux", lxj);
}

/* `ward spec --restricted`: what the admission policy's restricted level
 * asks for (docs/policy.md): a user namespace (as root, container 0..65535
 * on host 100000..165535), a network namespace of its own, capabilities at
 * most CAP_NET_BIND_SERVICE, no_new_privs and a read-only root (as the
 * default), ward's seccomp profile for that set. The caller adds the
 * Landlock policy (confine/, which oci/ does not reach). */
json_t *ward_spec_restricted(bool rootless)
{
	json_t *j = ward_spec_default(rootless);
	json_t *process = json_object_get(j, "process"), *lx = json_object_get(j, "linux");
	json_t *caps = json_pack("[s]", "CAP_NET_BIND_SERVICE");
	json_object_set_new(process, "capabilities",
			    json_pack("{s:O, s:O, s:O}", "bounding", caps, "effective", caps,
				      "permitted", caps));
	json_decref(caps);
	json_t *ns = json_object_get(lx, "namespaces");
	json_array_append_new(ns, json_pack("{s:s}", "type", rootless ? "network" : "user"));
	if (!rootless) {
		json_t *map = json_pack("[{s:i, s:i, s:i}]", "containerID", 0, "hostID", 100000,
					"size", 65536);
		json_object_set(lx, "uidMappings", map);
		json_object_set_new(lx, "gidMappings", map);
		/* the kernel takes only gids mapped in the user namespace */
		json_object_set_new(json_object_get(lx, "sysctl"), "net.ipv4.ping_group_range",
				    json_string("0 65535"));
	} else {
		/* with a network namespace of its own, sysfs is mounted, not bound */
		size_t i;
		json_t *m;
		json_array_foreach(json_object_get(j, "mounts"), i, m)
			if (!strcmp(json_string_value(json_object_get(m, "destination")), "/sys"))
				json_array_set_new(json_object_get(j, "mounts"), i,
						   mount("/sys", "sysfs", "sysfs",
							 json_pack("[s,s,s,s]", "nosuid", "noexec",
								   "nodev", "ro")));
	}
	json_object_set_new(lx, "seccomp",
			    ward_seccomp_default(1ULL << ward_cap_from_name("CAP_NET_BIND_SERVICE")));
	return j;
}
