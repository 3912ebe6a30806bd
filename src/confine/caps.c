/* Capabilities: the bounding set is dropped while we still hold CAP_SETPCAP,
 * the user switch keeps the permitted set (PR_SET_KEEPCAPS), then the exact
 * effective/permitted/inheritable sets are installed and ambient raised. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/log.h"
#include "../util/rootless.h"
#include "confine.h"

int ward_caps_last_kernel(void)
{
	static int last = -1;
	if (last >= 0)
		return last;
	char buf[16] = "";
	_cleanup_close_ int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && read(fd, buf, sizeof(buf) - 1) > 0)
		last = atoi(buf);
	if (last <= 0)
		last = ward_cap_last();
	return last;
}

void ward_caps_clamp(struct ward_caps *caps)
{
	int last = ward_caps_last_kernel();
	if (last >= 63)
		return;
	uint64_t known = (1ULL << (last + 1)) - 1;
	uint64_t all = caps->bounding | caps->effective | caps->permitted | caps->inheritable |
		       caps->ambient;
	for (int c = last + 1; c < 64; c++)
		if (all & (1ULL << c))
			ward_warn("capability %s is not known to this kernel; dropped",
				  ward_cap_name(c) ? ward_cap_name(c) : "?");
	caps->bounding &= known;
	caps->effective &= known;
	caps->permitted &= known;
	caps->inheritable &= known;
	caps->ambient &= known;
}

static int capset_sets(uint64_t eff, uint64_t prm, uint64_t inh, ward_err *err)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2] = {
		{(uint32_t)eff, (uint32_t)prm, (uint32_t)inh},
		{(uint32_t)(eff >> 32), (uint32_t)(prm >> 32), (uint32_t)(inh >> 32)},
	};
	if (syscall(SYS_capset, &h, d) < 0)
		return ward_err_sys(err, errno, "process.capabilities: capset");
	return 0;
}

static int drop_bounding(uint64_t keep, ward_err *err)
{
	int last = ward_caps_last_kernel();
	for (int c = 0; c <= last; c++) {
		if (keep & (1ULL << c))
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
			return ward_err_sys(err, errno, "process.capabilities.bounding: drop %s",
					    ward_cap_name(c) ? ward_cap_name(c) : "?");
	}
	return 0;
}

static int switch_user(const struct ward_process *p, const struct ward_privs_opts *o,
		       ward_err *err)
{
	const struct ward_user *u = &p->user;
	if (o->setgroups_allowed) {
		/* Without additionalGids the host's supplementary groups must still go. */
		if (setgroups(u->n_additional_gids, u->additional_gids) < 0) {
			/* An engine's user namespace may deny setgroups (setgroups
			 * "deny", unshare --map-root-user): with no groups asked for,
			 * go on with the ones we have, as runc does. */
			if (errno != EPERM || u->n_additional_gids || !ward_running_rootless())
				return ward_err_sys(err, errno,
						    "process.user.additionalGids: setgroups");
			ward_debug("setgroups denied in this user namespace: groups kept");
		}
	} else if (u->n_additional_gids) {
		return ward_err_set(err, "process.user.additionalGids: cannot set supplementary "
					 "groups: setgroups is denied in this user namespace");
	}
	if (setresgid(u->gid, u->gid, u->gid) < 0)
		return ward_err_sys(err, errno, "process.user.gid: setresgid(%u)", u->gid);
	if (setresuid(u->uid, u->uid, u->uid) < 0)
		return ward_err_sys(err, errno, "process.user.uid: setresuid(%u)", u->uid);
	return 0;
}

int ward_privs_apply(const struct ward_process *p, const struct ward_privs_opts *o, ward_err *err)
{
	struct ward_caps caps = p->caps;
	if (!caps.present)
		return switch_user(p, o, err); /* no capabilities field: leave them be */
	ward_caps_clamp(&caps);
	if (drop_bounding(caps.bounding, err) < 0)
		return -1;
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return ward_err_sys(err, errno, "prctl(PR_SET_KEEPCAPS)");
	if (switch_user(p, o, err) < 0)
		return -1;
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return ward_err_sys(err, errno, "prctl(PR_SET_KEEPCAPS)");
	if (capset_sets(caps.effective, caps.permitted, caps.inheritable, err) < 0)
		return -1;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return ward_err_sys(err, errno, "process.capabilities.ambient: clear");
	for (int c = 0; c <= ward_caps_last_kernel(); c++) {
		if (!(caps.ambient & (1ULL << c)))
			continue;
		/* The kernel allows an ambient capability only if it is permitted and
		 * inheritable; anything else is dropped, as runc does. */
		if (!(caps.permitted & caps.inheritable & (1ULL << c))) {
			ward_warn("process.capabilities.ambient: %s is not both permitted and "
				  "inheritable; not raised",
				  ward_cap_name(c));
			continue;
		}
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
			return ward_err_sys(err, errno, "process.capabilities.ambient: raise %s",
					    ward_cap_name(c));
	}
	return 0;
}

int ward_nnp_apply(const struct ward_process *p, ward_err *err)
{
	if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return ward_err_sys(err, errno, "process.noNewPrivileges");
	return 0;
}
