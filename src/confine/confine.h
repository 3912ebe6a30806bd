/* The privilege layers applied right before exec, in this order:
 * rlimits -> supplementary groups, gid, uid (keeping caps) -> capabilities ->
 * no_new_privs -> LSM label -> Landlock -> seccomp (last). */
#ifndef WARD_CONFINE_H
#define WARD_CONFINE_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>
#include <sys/types.h>

#include "../oci/spec.h"
#include "../util/err.h"

/* Highest capability the running kernel knows (/proc/sys/kernel/cap_last_cap). */
int ward_caps_last_kernel(void);
/* Drop from the sets the capabilities this kernel lacks, warning once each. */
void ward_caps_clamp(struct ward_caps *caps);

int ward_rlimits_apply(const struct ward_process *p, ward_err *err);

struct ward_privs_opts {
	bool setgroups_allowed; /* false in a user namespace with setgroups denied */
};
/* User switch and capability sets; call with full privileges. */
int ward_privs_apply(const struct ward_process *p, const struct ward_privs_opts *o, ward_err *err);
int ward_nnp_apply(const struct ward_process *p, ward_err *err);

/* lsm.c */
bool ward_apparmor_enabled(void);
bool ward_selinux_enabled(void);
/* Refuse labels for an LSM the host does not run. file: "config.json". */
int ward_lsm_check(const struct ward_process *p, const char *mount_label, const char *file,
		   ward_err *err);
/* Set the exec labels (AppArmor profile, SELinux label) for the next execve. */
int ward_lsm_apply(const struct ward_process *p, ward_err *err);

struct ward_seccomp;
struct ward_landlock;
struct ward_confine_final {
	const struct ward_process *p;
	struct ward_privs_opts privs;
	const struct ward_landlock *landlock; /* may be NULL */
	int landlock_fd;		      /* prepared ruleset, or -1 */
	const struct ward_seccomp *seccomp; /* may be NULL */
	int listener;			    /* connected listener socket, or -1 */
	json_t *listener_state;		    /* container state for the listener */
	pid_t host_pid;
	bool lsm_applied; /* the exec label was written already (container init) */
};
/* The last steps before execve, in order: user and capabilities,
 * no_new_privs, Landlock, then seccomp. Without no_new_privs, restricting
 * with Landlock or loading a filter needs CAP_SYS_ADMIN, so (as runc does for
 * seccomp) both then happen before the capabilities go. */
int ward_confine_final(const struct ward_confine_final *f, ward_err *err);

#endif
