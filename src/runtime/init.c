/* The container's first process, from clone to execve. It reports every
 * failure to the parent over the sync socket and exits; it never prints. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../audit/audit.h"
#include "../confine/confine.h"
#include "../confine/landlock.h"
#include "../confine/seccomp.h"
#include "../linux/linux.h"
#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/passwd.h"
#include "../util/strv.h"
#include "runtime.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

int ward_find_executable(const char *name, char *const *env, char *out, size_t len, ward_err *err)
{
	struct stat st;
	if (strchr(name, '/')) {
		if (stat(name, &st) < 0)
			return ward_err_sys(err, errno, "exec: \"%s\"", name);
		if (S_ISDIR(st.st_mode))
			return ward_err_set(err, "exec: \"%s\": is a directory", name);
		snprintf(out, len, "%s", name);
		return 0;
	}
	const char *path = ward_strv_getenv(env, "PATH");
	if (!path)
		path = DEFAULT_PATH;
	_cleanup_free_ char *copy = strdup(path);
	char *save = NULL;
	for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		snprintf(out, len, "%s/%s", *dir ? dir : ".", name);
		if (stat(out, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111))
			return 0;
	}
	return ward_err_set(err, "exec: \"%s\": executable file not found in $PATH", name);
}

int ward_env_complete(char ***env, uid_t uid, ward_err *err)
{
	if (ward_strv_getenv(*env, "HOME"))
		return 0;
	/* As runc: HOME from the container's /etc/passwd, else "/". */
	char home[1024] = "/";
	_cleanup_file_ FILE *f = fopen("/etc/passwd", "re");
	if (f)
		ward_passwd_home(f, uid, home, sizeof(home));
	char entry[1100];
	snprintf(entry, sizeof(entry), "HOME=%s", home);
	if (ward_strv_setenv(env, entry) < 0)
		return ward_err_sys(err, ENOMEM, "env");
	return 0;
}

int ward_env_audit_id(char ***env, const char *audit_id, ward_err *err)
{
	/* An audited container's processes learn its audit ID, so that a ward
	 * nested in it records it as the parent (audit/conf.c). It is their
	 * claim, not proof: the kernel-set session of their records is. */
	if (!audit_id)
		return 0;
	char entry[64];
	snprintf(entry, sizeof(entry), "WARD_AUDIT_ID=%s", audit_id);
	if (ward_strv_setenv(env, entry) < 0)
		return ward_err_sys(err, ENOMEM, "env");
	return 0;
}

struct init_state {
	const struct ward_init_args *a;
	int listener; /* seccomp listener socket, connected before pivot_root */
	int landlock_fd; /* ruleset built inside the root, enforced last but one */
	pid_t host_pid; /* our pid as the host sees it, for hooks */
	struct ward_rootfs_ctx rootfs;
	char exe[4096];
	char **env;
};

__attribute__((noreturn)) static void die(const struct ward_init_args *a, ward_err *err)
{
	ward_sync_send_error(a->sync, err);
	_exit(1);
}

static int become_root_in_userns(const struct ward_init_args *a, ward_err *err)
{
	if (!a->userns_new)
		return 0;
	if (setresgid(0, 0, 0) < 0)
		return ward_err_sys(err, errno, "setresgid(0) in the user namespace");
	if (setresuid(0, 0, 0) < 0)
		return ward_err_sys(err, errno, "setresuid(0) in the user namespace");
	return 0;
}

static int set_names(const struct ward_spec *s, ward_err *err)
{
	if (s->hostname && *s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0)
		return ward_err_sys(err, errno, "hostname");
	if (s->domainname && *s->domainname && setdomainname(s->domainname, strlen(s->domainname)) < 0)
		return ward_err_sys(err, errno, "domainname");
	return ward_sysctl_apply_uts(&s->lx, err);
}

static int set_oom_and_personality(const struct ward_spec *s, ward_err *err)
{
	const struct ward_process *p = s->process;
	if (p->has_oom_score_adj) {
		char buf[16];
		int n = snprintf(buf, sizeof(buf), "%d", p->oom_score_adj);
		if (ward_write_file_at(AT_FDCWD, "/proc/self/oom_score_adj", buf, (size_t)n, err) < 0)
			return ward_err_wrap(err, "process.oomScoreAdj");
	}
	if (s->lx.has_personality && personality(s->lx.personality) < 0)
		return ward_err_sys(err, errno, "linux.personality");
	return 0;
}

static void join_session_keyring(const struct ward_init_args *a)
{
	if (a->no_new_keyring)
		return;
	/* A fresh session keyring: the container must not see the host's keys.
	 * Kernels without keyrings (ENOSYS) or a seccomp'd host (EPERM) are fine. */
	char name[1100];
	snprintf(name, sizeof(name), "_ses.%s", a->id);
	syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, name);
}

static int run_pre_hooks(struct init_state *st, ward_err *err)
{
	const struct ward_init_args *a = st->a;
	if (a->has_pre_hooks) {
		if (ward_sync_send(a->sync, WARD_SYNC_HOOKS, 0, -1, err) < 0 ||
		    ward_sync_expect(a->sync, WARD_SYNC_HOOKS_DONE, NULL, NULL, err) < 0)
			return -1;
	}
	if (!a->spec->hooks.n[WARD_HOOK_CREATE_CONTAINER])
		return 0;
	struct ward_state s = {.id = (char *)a->id, .pid = st->host_pid, .bundle = (char *)a->bundle,
			       .status = WARD_CREATING, .dirfd = -1};
	s.oci_version = a->spec->oci_version;
	s.annotations = a->spec->annotations;
	json_t *j = ward_state_to_json(&s, true);
	/* Our pid as the host sees it is what hooks expect; the parent sent it. */
	int r = ward_hooks_run(a->spec, WARD_HOOK_CREATE_CONTAINER, j, err);
	json_decref(j);
	return r;
}

static int setup_terminal(struct init_state *st, ward_err *err)
{
	const struct ward_process *p = st->a->spec->process;
	/* A session of its own, as runc's init: the container is not part of
	 * the caller's job control, and CRIU can checkpoint it (a session
	 * leader outside the pid namespace cannot be restored). */
	if (!p->terminal) {
		if (setsid() < 0)
			return ward_err_sys(err, errno, "setsid");
		return 0;
	}
	int slave = -1;
	_cleanup_close_ int master = ward_terminal_setup(p, &slave, err);
	if (master < 0)
		return -1;
	st->rootfs.console_fd = slave;
	return ward_sync_send(st->a->sync, WARD_SYNC_PTY, 0, master, err);
}

/* Everything up to READY: namespaces, rootfs, names, terminal, limits. */
static int prepare(struct init_state *st, ward_err *err)
{
	const struct ward_init_args *a = st->a;
	const struct ward_spec *s = a->spec;
	struct ward_sync_msg m;
	if (ward_sync_expect(a->sync, WARD_SYNC_MAPS_DONE, &m, NULL, err) < 0)
		return -1;
	st->host_pid = (pid_t)m.value;
	/* Our own audit session, inherited by everything the container runs
	 * (audit/session.c); the parent reads what we got from the kernel
	 * (no message: a round trip on every audited create). */
	if (a->audit_loginuid >= 0) {
		unsigned ses;
		ward_audit_session_begin((unsigned)a->audit_loginuid, &ses);
	}
	/* Stay invisible to the container's other processes (no ptrace, no
	 * /proc/PID/fd) while holding host fds. Not earlier: a non-dumpable
	 * process's /proc files belong to root, and an unprivileged runtime must
	 * write our uid_map first. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (become_root_in_userns(a, err) < 0)
		return -1;
	if (s->lx.ns[WARD_NS_CGROUP].present && !s->lx.ns[WARD_NS_CGROUP].path &&
	    unshare(CLONE_NEWCGROUP) < 0)
		return ward_err_sys(err, errno, "create cgroup namespace");
	if (s->lx.ns[WARD_NS_TIME].present && !s->lx.ns[WARD_NS_TIME].path &&
	    ward_ns_setup_time(&s->lx, err) < 0)
		return -1;
	join_session_keyring(a);
	/* Still with the host's /proc: its vm.memfd_noexec acts on our pid namespace. */
	if (a->landlock && ward_landlock_set_memfd_noexec(a->landlock, err) < 0)
		return -1;
	if (s->lx.ns[WARD_NS_NET].present && !s->lx.ns[WARD_NS_NET].path &&
	    ward_net_loopback_up(err) < 0)
		return -1;
	if (chdir(a->bundle) < 0)
		return ward_err_sys(err, errno, "chdir to bundle %s", a->bundle);

	st->rootfs = (struct ward_rootfs_ctx){.spec = s, .rootfs = a->rootfs,
					      .userns = s->lx.ns[WARD_NS_USER].present,
					      .no_pivot = a->no_pivot,
					      .shared_mntns = !s->lx.ns[WARD_NS_MNT].present,
					      .rootfd = -1,
					      .devnull_fd = -1, .console_fd = -1,
					      .idmap_trees = a->idmap_trees};
	if (ward_rootfs_prepare(&st->rootfs, err) < 0)
		return -1;
	if (a->seccomp && a->seccomp->notify && a->seccomp->listener_path &&
	    (st->listener = ward_seccomp_listener_connect(a->seccomp, err)) < 0)
		return -1;
	if (run_pre_hooks(st, err) < 0)
		return -1;
	if (ward_rootfs_pivot(&st->rootfs, err) < 0)
		return -1;
	if (set_names(s, err) < 0)
		return -1;
	if (setup_terminal(st, err) < 0)
		return -1;
	/* A cwd the image lacks is made, as runc does (as root, 0755, inside
	 * the root, before it may become read-only). */
	_cleanup_close_ int cwd = ward_mkdir_p_in_root(st->rootfs.rootfd, s->process->cwd, 0755, err);
	if (cwd < 0)
		return ward_err_wrap(err, "process.cwd \"%s\"", s->process->cwd);
	if (ward_rootfs_finalize(&st->rootfs, err) < 0)
		return -1;
	if (ward_rlimits_apply(s->process, err) < 0 || set_oom_and_personality(s, err) < 0)
		return -1;

	if (!(st->env = calloc(1, sizeof(char *))))
		return ward_err_sys(err, ENOMEM, "env");
	for (size_t i = 0; s->process->env && s->process->env[i]; i++)
		if (ward_strv_setenv(&st->env, s->process->env[i]) < 0)
			return ward_err_sys(err, ENOMEM, "env");
	if (ward_env_complete(&st->env, s->process->user.uid, err) < 0 ||
	    ward_env_audit_id(&st->env, a->audit_id, err) < 0)
		return -1;
	if (ward_chdir_in_root(s->process->cwd, err) < 0)
		return ward_err_wrap(err, "process");
	if (ward_find_executable(s->process->args[0], st->env, st->exe, sizeof(st->exe), err) < 0)
		return ward_err_wrap(err, "process.args[0]");
	/* Rule paths are opened now, as root, inside the final root; the
	 * parent learns which best effort skipped (for the state and inspect:
	 * it cannot always look into our root itself, rootless). */
	if (a->landlock) {
		_cleanup_free_ bool *missing = calloc(a->landlock->n_paths + 1, sizeof(bool));
		if (!missing)
			return ward_err_sys(err, ENOMEM, "process.landlock");
		if ((st->landlock_fd = ward_landlock_prepare(a->landlock, missing, err)) == -1)
			return -1;
		char report[WARD_SYNC_MSG_MAX];
		ward_landlock_skipped_report(missing, a->landlock->n_paths, report, sizeof(report));
		if (ward_sync_send_text(a->sync, WARD_SYNC_LANDLOCK, report, err) < 0)
			return -1;
	}
	/* The exec label before READY, as runc: the kernel checks the name now,
	 * so create fails on a profile it does not know instead of leaving a
	 * container that can never start. It takes effect at an execve only (the
	 * program's, or a startContainer hook's: those run confined, as in runc). */
	return ward_lsm_apply(s->process, err);
}

static int wait_for_start(const struct ward_init_args *a, int *report_fd, ward_err *err)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", a->fifo_fd);
	/* Blocks until `start` opens the other end. */
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return ward_err_sys(err, errno, "open exec fifo");
	close(a->fifo_fd);
	if (write(fd, "0", 1) != 1) {
		close(fd);
		return ward_err_sys(err, errno, "write exec fifo");
	}
	*report_fd = fd;
	return 0;
}

/* After start: hooks, privileges, and the program. Errors go to start's reader. */
static int launch(struct init_state *st, int report_fd, ward_err *err)
{
	const struct ward_init_args *a = st->a;
	const struct ward_spec *s = a->spec;
	const struct ward_process *p = s->process;
	if (s->hooks.n[WARD_HOOK_START_CONTAINER]) {
		struct ward_state ws = {.id = (char *)a->id, .pid = st->host_pid,
					.bundle = (char *)a->bundle, .status = WARD_CREATED,
					.dirfd = -1, .oci_version = s->oci_version,
					.annotations = s->annotations};
		json_t *j = ward_state_to_json(&ws, true);
		int r = ward_hooks_run(s, WARD_HOOK_START_CONTAINER, j, err);
		json_decref(j);
		if (r < 0)
			return -1;
	}
	if (p->user.has_umask)
		umask(p->user.umask);
	else
		umask(022);
	struct ward_state ws = {.id = (char *)a->id, .pid = st->host_pid,
				.bundle = (char *)a->bundle, .status = WARD_CREATING, .dirfd = -1,
				.oci_version = s->oci_version, .annotations = s->annotations};
	json_t *state = st->listener >= 0 ? ward_state_to_json(&ws, true) : NULL;
	struct ward_launch l;
	if (ward_protect_launch_prepare(&l, a->stub_fd, report_fd, st->exe, p->args, err) < 0)
		return -1;
	struct ward_confine_final f = {
		.p = p,
		.privs.setgroups_allowed = !a->setgroups_denied,
		.landlock = a->landlock,
		.landlock_fd = st->landlock_fd,
		.seccomp = a->seccomp,
		.listener = st->listener,
		.listener_state = state,
		.host_pid = st->host_pid,
		.lsm_applied = true,
	};
	if (ward_confine_final(&f, err) < 0)
		return -1;
	ward_protect_launch(&l, st->exe, p->args, st->env);
	if (a->stub_fd >= 0)
		return ward_protect_launch_error(err, errno, st->exe);
	return ward_err_sys(err, errno, "exec %s", st->exe);
}

void ward_init_main(const struct ward_init_args *a)
{
	ward_err err = {0};
	struct init_state st = {.a = a, .listener = -1, .landlock_fd = -1};

	/* Die with the runtime during setup. */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	signal(SIGPIPE, SIG_DFL);

	if (prepare(&st, &err) < 0)
		die(a, &err);

	/* No runtime fd may reach the program (only stdio and --preserve-fds). */
	syscall(SYS_close_range, 3 + a->preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC);

	/* The runtime is about to exit (create) and the init must outlive it. */
	prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
	if (ward_sync_send(a->sync, WARD_SYNC_READY, 0, -1, &err) < 0)
		_exit(1);
	int report = -1;
	if (wait_for_start(a, &report, &err) < 0)
		_exit(1);
	close(a->sync);
	launch(&st, report, &err);
	/* Tell start why (the exec stub reports its failure the same way). */
	struct ward_sync_msg m;
	size_t len = ward_sync_error_record(&err, &m);
	(void)!write(report, &m, len);
	_exit(127);
}
