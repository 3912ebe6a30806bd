/* kill and delete. Signals go through a pidfd checked against the recorded
 * start time, so a recycled pid is never signalled. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../audit/audit.h"
#include "../cgroup/cgroup.h"
#include "../integrity/integrity.h"
#include "../linux/linux.h"
#include "../util/cleanup.h"
#include "../util/fault.h"
#include "../util/log.h"
#include "runtime.h"

/* A pidfd for the init, or -1 (errno ESRCH) if it is gone or was replaced. */
static int init_pidfd(const struct ward_state *st)
{
	int fd = pidfd_open(st->pid, 0);
	if (fd < 0)
		return -1;
	if (ward_proc_start_time(st->pid, NULL) != st->pid_start) {
		close(fd);
		errno = ESRCH;
		return -1;
	}
	return fd;
}

/* Without a cgroup, "all" means every process in the container's pid namespace. */
static int kill_pidns(const struct ward_state *st, int sig, ward_err *err)
{
	char path[64];
	struct stat ns;
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", st->pid);
	if (stat(path, &ns) < 0)
		return 0;
	struct stat self;
	if (stat("/proc/self/ns/pid", &self) == 0 && self.st_ino == ns.st_ino)
		return ward_err_set(err, "kill --all: the container shares the host pid "
					 "namespace and has no cgroup; refusing to guess");
	_cleanup_dir_ DIR *d = opendir("/proc");
	struct dirent *de;
	while (d && (de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		if (*end || pid <= 0)
			continue;
		struct stat s;
		snprintf(path, sizeof(path), "/proc/%ld/ns/pid", pid);
		if (stat(path, &s) == 0 && s.st_ino == ns.st_ino && s.st_dev == ns.st_dev)
			kill((pid_t)pid, sig);
	}
	return 0;
}

/* kill --all once the init has exited: what is left in the container's cgroup
 * (children of an init that shared a pid namespace, as the runc shim's KillAll
 * expects after the init of a hostPID pod exits). The recorded pid may belong
 * to someone else by now, so the pid namespace fallback is not used; without
 * a cgroup there is nothing left that ward could find, as with runc. */
static int kill_leftovers(const struct ward_state *st, int sig, ward_err *err)
{
	if (!ward_cgroup_present(st->extra))
		return 0;
	if (ward_cgroup_kill_all(st->extra, sig, err) < 0)
		return -1;
	/* A frozen cgroup's processes die only once thawed. */
	if (sig == SIGKILL && ward_cgroup_is_frozen(st->extra))
		return ward_cgroup_freeze(st->extra, false, err);
	return 0;
}

/* Frozen tasks die only once thawed. The status says "paused" for a
 * container paused while created too; the cgroup is asked as well, for one
 * frozen behind ward's back. */
static bool frozen(const struct ward_state *st)
{
	return st->status == WARD_PAUSED || (st->extra && ward_cgroup_is_frozen(st->extra));
}

int ward_container_kill(const struct ward_ctx *ctx, const char *id, int sig, bool all,
			ward_err *err)
{
	struct ward_state st;
	int r = -1;
	_cleanup_close_ int pidfd = -1;
	if (ward_state_load(ctx, id, true, &st, err) < 0)
		goto out;
	if (all && st.status == WARD_STOPPED) {
		r = kill_leftovers(&st, sig, err);
		goto out;
	}
	if (st.status == WARD_STOPPED || st.status == WARD_CREATING) {
		ward_err_set(err, "container not running");
		goto out;
	}
	if (all) {
		r = ward_cgroup_present(st.extra) ? ward_cgroup_kill_all(st.extra, sig, err)
						  : kill_pidns(&st, sig, err);
	} else {
		pidfd = init_pidfd(&st);
		if (pidfd < 0 || pidfd_send_signal(pidfd, sig, NULL, 0) < 0) {
			if (errno == ESRCH)
				ward_err_set(err, "container not running");
			else
				ward_err_sys(err, errno, "kill %d", st.pid);
			goto out;
		}
		r = 0;
	}
	/* A frozen task gets SIGKILL only once thawed (as runc, thaw after). */
	if (r == 0 && sig == SIGKILL && frozen(&st))
		r = ward_cgroup_freeze(st.extra, false, err);
out:
	ward_trail(ctx, &st, "kill", st.pid, r < 0 ? err : NULL,
		   json_pack("{s:i, s:b}", "signal", sig, "all", all));
	ward_state_release(&st);
	if (r < 0)
		ward_err_wrap(err, "kill %s", id);
	return r;
}

static int wait_gone(int pidfd, int ms)
{
	struct pollfd p = {.fd = pidfd, .events = POLLIN};
	return poll(&p, 1, ms) > 0 ? 0 : -1;
}

static void run_poststop(struct ward_state *st)
{
	if (!st->has_poststop)
		return;
	ward_err e = {0};
	struct ward_spec *spec = ward_state_spec(st, &e);
	if (!spec)
		ward_warn("delete %s: poststop hooks not run: %s", st->id, e.msg);
	if (!spec || !spec->hooks.n[WARD_HOOK_POSTSTOP]) {
		ward_spec_free(spec);
		return;
	}
	struct ward_state s = *st;
	s.status = WARD_STOPPED;
	json_t *j = ward_state_to_json(&s, true);
	/* Failures are warnings (hooks.c); delete goes on. */
	ward_hooks_run(spec, WARD_HOOK_POSTSTOP, j, &e);
	json_decref(j);
	ward_spec_free(spec);
}

int ward_container_delete_loaded(const struct ward_ctx *ctx, struct ward_state *st, bool force,
				 ward_err *err)
{
	int r = -1;
	const char *id = st->id;
	if (st->status == WARD_UNKNOWN && !force) {
		char why[160];
		ward_err_set(err, "cannot delete container %s: its status is unknown (%s); "
				  "--force kills whatever is in its cgroup",
			     id, ward_state_status_reason(st, why, sizeof(why)));
		goto out;
	}
	if ((st->status == WARD_RUNNING || st->status == WARD_PAUSED) && !force) {
		ward_err_set(err, "cannot delete container %s that is not stopped: %s", id,
			     ward_status_name(st->status));
		goto out;
	}
	if (st->status != WARD_STOPPED && st->pid > 0) {
		/* created (runc deletes those without --force), or forced. */
		_cleanup_close_ int pidfd = init_pidfd(st);
		if (ward_cgroup_present(st->extra)) {
			ward_err ignored = {0};
			ward_cgroup_kill_all(st->extra, SIGKILL, &ignored);
		}
		if (pidfd >= 0)
			pidfd_send_signal(pidfd, SIGKILL, NULL, 0);
		if (frozen(st)) {
			ward_err ignored = {0};
			ward_cgroup_freeze(st->extra, false, &ignored);
		}
		if (pidfd >= 0) {
			if (wait_gone(pidfd, 10000) < 0) {
				ward_err_set(err, "container init %d did not die after SIGKILL", st->pid);
				goto out;
			}
		}
		ward_fault_point("init killed");
	}
	if (st->status == WARD_CREATING && st->pid == 0 && !force) {
		ward_err_set(err, "container %s is still being created", id);
		goto out;
	}
	if (st->extra && ward_cgroup_present(st->extra)) {
		ward_err ignored = {0};
		ward_cgroup_kill_all(st->extra, SIGKILL, &ignored);
	}
	if (ward_integrity_stop(st->dirfd, ctx->root, id, ward_state_audit_id(st), err) < 0)
		goto out;
	if (st->extra && ward_cgroup_present(st->extra)) {
		if (ward_cgroup_destroy(st->extra, err) < 0)
			goto out;
		ward_fault_point("cgroups removed");
	}
	if (st->extra)
		ward_cgroup_remove_planned(st->extra); /* a create that died early */
	json_t *anchor = st->extra ? json_object_get(st->extra, "rootfsAnchor") : NULL;
	if (json_is_integer(anchor) && st->rootfs) {
		ward_rootfs_anchor_release(st->rootfs, (uint64_t)json_integer_value(anchor));
		ward_fault_point("rootfs anchor released");
	}
	run_poststop(st);
	if (st->has_poststop)
		ward_fault_point("poststop hooks run");
	r = ward_state_remove(ctx, id, err);
	if (r == 0)
		ward_fault_point("state removed");
out:
	ward_trail(ctx, st, "delete", st->pid, r < 0 ? err : NULL, NULL);
	if (r == 0 && ward_state_audit_id(st))
		ward_audit_unclaim(ctx->audit, ward_state_audit_id(st), id);
	if (r < 0)
		ward_err_wrap(err, "delete %s", id);
	ward_state_release(st);
	return r;
}

int ward_container_delete(const struct ward_ctx *ctx, const char *id, bool force, ward_err *err)
{
	struct ward_state st;
	if (ward_state_load(ctx, id, true, &st, err) < 0) {
		ward_state_release(&st);
		if (force && err->errnum == ENOENT) {
			ward_err_clear(err);
			return 0;
		}
		return ward_err_wrap(err, "delete %s", id);
	}
	ward_fault_point("state loaded and locked");
	return ward_container_delete_loaded(ctx, &st, force, err);
}
