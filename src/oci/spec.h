/* config.json as ward uses it: parsed once, validated with exact field paths. */
#ifndef WARD_OCI_SPEC_H
#define WARD_OCI_SPEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../util/err.h"

#define WARD_OCI_VERSION "1.2.0"

enum ward_ns_type {
	WARD_NS_PID,
	WARD_NS_NET,
	WARD_NS_MNT,
	WARD_NS_IPC,
	WARD_NS_UTS,
	WARD_NS_USER,
	WARD_NS_CGROUP,
	WARD_NS_TIME,
	WARD_NS_COUNT
};

struct ward_ns_info {
	const char *spec_name; /* "pid", "network", ... as config.json names them */
	const char *proc_name; /* "pid", "net", ... as /proc/PID/ns names them */
	int clone_flag;
};
extern const struct ward_ns_info ward_ns_table[WARD_NS_COUNT];

struct ward_namespace {
	bool present;
	char *path; /* NULL: create a new one */
};

struct ward_id_map {
	uint32_t container_id, host_id, size;
};

/* A mount with its options already folded into flags. */
struct ward_mount {
	char *destination;
	char *type; /* NULL allowed for bind mounts */
	char *source;
	char **options;
	unsigned long flags;	   /* MS_* set */
	unsigned long clear_flags; /* MS_* explicitly cleared (rw, suid, ...) */
	unsigned long propagation; /* MS_SHARED|MS_SLAVE|... (|MS_REC) or 0 */
	uint64_t rec_attr_set;	   /* MOUNT_ATTR_* for r* options */
	uint64_t rec_attr_clr;
	bool bind, rbind;
	bool idmap, ridmap;
	bool tmpcopyup; /* tmpfs: start with a copy of the directory underneath */
	struct ward_id_map *uid_mappings, *gid_mappings; /* of an idmapped mount */
	size_t n_uid_mappings, n_gid_mappings;
	char *data; /* remaining fs options joined with ',' */
};

struct ward_hook {
	char *path;
	char **args;
	char **env;
	int timeout; /* seconds; 0 = none */
};

enum ward_hook_kind {
	WARD_HOOK_PRESTART,
	WARD_HOOK_CREATE_RUNTIME,
	WARD_HOOK_CREATE_CONTAINER,
	WARD_HOOK_START_CONTAINER,
	WARD_HOOK_POSTSTART,
	WARD_HOOK_POSTSTOP,
	WARD_HOOK_COUNT
};
extern const char *const ward_hook_names[WARD_HOOK_COUNT];

struct ward_hooks {
	struct ward_hook *list[WARD_HOOK_COUNT];
	size_t n[WARD_HOOK_COUNT];
};

struct ward_rlimit {
	int resource;
	uint64_t soft, hard;
};

struct ward_caps {
	bool present;
	uint64_t bounding, effective, permitted, inheritable, ambient;
};

struct ward_user {
	uid_t uid;
	gid_t gid;
	gid_t *additional_gids;
	size_t n_additional_gids;
	bool has_umask;
	mode_t umask;
};

struct ward_process {
	bool terminal;
	bool has_console_size;
	unsigned short console_height, console_width;
	struct ward_user user;
	char **args;
	char **env;
	char *cwd;
	struct ward_caps caps;
	struct ward_rlimit *rlimits;
	size_t n_rlimits;
	bool no_new_privileges;
	char *apparmor_profile;
	char *selinux_label;
	bool has_oom_score_adj;
	int oom_score_adj;
	json_t *landlock; /* process.landlock, kept raw for confine/ */
};

struct ward_device {
	char *path;
	char type; /* 'c', 'b', 'u', 'p' */
	int64_t major, minor;
	bool has_mode;
	mode_t file_mode;
	bool has_uid, has_gid;
	uid_t uid;
	gid_t gid;
};

struct ward_sysctl {
	char *key, *value;
};

struct ward_time_offset {
	bool present;
	int64_t secs;
	uint32_t nanosecs;
};

struct ward_linux {
	struct ward_namespace ns[WARD_NS_COUNT];
	struct ward_id_map *uid_mappings, *gid_mappings;
	size_t n_uid_mappings, n_gid_mappings;
	struct ward_device *devices;
	size_t n_devices;
	char **masked_paths;
	char **readonly_paths;
	unsigned long rootfs_propagation; /* 0 = default */
	char *mount_label;
	struct ward_sysctl *sysctl;
	size_t n_sysctl;
	struct ward_time_offset monotonic, boottime;
	bool has_personality;
	unsigned long personality;
	char *cgroups_path;
	json_t *resources; /* linux.resources, parsed by cgroup/ */
	json_t *seccomp;   /* linux.seccomp, compiled by confine/ */
};

struct ward_spec {
	json_t *json; /* the whole document, owned */
	char *oci_version;
	char *root_path; /* as written (may be relative to the bundle) */
	bool root_readonly;
	char *hostname;
	char *domainname;
	struct ward_process *process; /* NULL when absent */
	struct ward_mount *mounts;
	size_t n_mounts;
	struct ward_hooks hooks;
	json_t *annotations; /* borrowed from json */
	struct ward_linux lx;
};

/* Parse and validate. name is used in messages ("config.json"). */
struct ward_spec *ward_spec_parse(const char *text, size_t len, const char *name, ward_err *err);
struct ward_spec *ward_spec_load(const char *path, ward_err *err);
void ward_spec_free(struct ward_spec *spec);
static inline void ward_spec_freep(struct ward_spec **s)
{
	ward_spec_free(*s);
}
#define _cleanup_spec_ __attribute__((cleanup(ward_spec_freep)))

/* Parse a process object alone (exec --process FILE). */
struct ward_process *ward_process_parse(json_t *obj, const char *name, const char *field,
					ward_err *err);
void ward_process_free(struct ward_process *p);

/* Lookups shared with features, inspect and the CLI. */
int ward_cap_from_name(const char *name);
const char *ward_cap_name(int cap);
int ward_cap_last(void); /* highest name ward knows */
int ward_rlimit_from_name(const char *name);
int ward_ns_from_name(const char *name);
int ward_signal_from_name(const char *name);

struct ward_mount_option {
	const char *name;
	bool clear;		/* option clears the flag ("rw", "suid") */
	unsigned long flag;	/* MS_* */
	unsigned long propagation;
	uint64_t rec_attr;	/* MOUNT_ATTR_* for recursive ("r") variants */
	bool rec_clear;
};
extern const struct ward_mount_option ward_mount_options[];
extern const size_t ward_n_mount_options;

/* The config `ward spec` writes: hardened defaults. */
json_t *ward_spec_default(bool rootless);
/* The default hardened to the admission policy's restricted level. */
json_t *ward_spec_restricted(bool rootless);
/* ward's default seccomp profile (linux.seccomp form) for a bounding set. */
json_t *ward_seccomp_default(uint64_t bounding);
/* SCMP_ARCH_* names of this machine's native and compat ABIs. */
const char *const *ward_native_archs(void);
/* Convert a Docker/podman seccomp profile (defaultAction, archMap, syscalls
 * with includes/excludes) into linux.seccomp for a container with these
 * capabilities, on this architecture and kernel (major, minor). */
json_t *ward_seccomp_from_docker(json_t *profile, const char *name, uint64_t bounding,
				 int kernel_major, int kernel_minor, ward_err *err);

#endif
