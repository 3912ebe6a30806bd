/* exec: a new process inside a running container. It enters the container's
 * cgroup and namespaces through a pidfd of the init (one atomic setns), takes
 * the init's root, and gets the same confinement layers as the init. */
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../audit/audit.h"
#include "../cgroup/cgroup.h"
#include "../confine/confine.h"
#include "../confine/landlock.h"
#include "../confine/seccomp.h"
#include "../integrity/integrity.h"
#include "../linux/linux.h"
#include "../policy/policy.h"
#include "../util/cleanup.h"
#include "../util/fault.h"
#include "../util/fs.h"
#include "../util/log.h"
#include "../util/strv.h"
#include "runtime.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* The process to run: from --process, or the container's process with the
 * command-line overrides (what runc does). */
/* text: the --process file as read (for a re-exec), or NULL. */
static struct ward_process *build_process(const struct ward_exec_opts *o,
					  const struct ward_spec *spec, char **textp, size_t *lenp,
					  ward_err *err)
{
	*textp = NULL;
	if (o->process_file) {
		char *text = NULL;
		size_t len;
		if (ward_read_file_at(AT_FDCWD, o->process_file, &text, &len, err) < 0)
			return NULL;
		*textp = text;
		*lenp = len;
		json_error_t jerr;
		json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
		if (!j) {
			ward_err_set(err, "%s:%d:%d: invalid JSON: %s", o->process_file, jerr.line,
				     jerr.column, jerr.text);
			return NULL;
		}
		struct ward_process *p = NULL;
		if (!json_is_object(j))
			ward_err_set(err, "%s: must be a JSON object", o->process_file);
		else
			p = ward_process_parse(j, o->process_file, "process", err);
		json_decref(j);
		return p;
	}
	if (!o->args || !o->args[0]) {
		ward_err_set(err, "exec: no command given (args or --process)");
		return NULL;
	}
	/* Start from the container's own process definition. */
	json_t *base = json_deep_copy(json_object_get(spec->json, "process"));
	if (!base)
		base = json_pack("{s:{s:i,s:i}, s:s}", "user", "uid", 0, "gid", 0, "cwd", "/");
	json_t *args = json_array();
	for (size_t i = 0; o->args[i]; i++)
		json_array_append_new(args, json_string(o->args[i]));
	json_object_set_new(base, "args", args);
	json_object_set_new(base, "terminal", json_boolean(o->tty));
	json_object_del(base, "consoleSize");
	if (o->cwd)
		json_object_set_new(base, "cwd", json_string(o->cwd));
	if (o->env) {
		json_t *env = json_object_get(base, "env");
		if (!json_is_array(env)) {
			env = json_array();
			json_object_set_new(base, "env", env);
		}
		for (size_t i = 0; o->env[i]; i++)
			json_array_append_new(env, json_string(o->env[i]));
	}
	if (o->has_user) {
		json_t *user = json_pack("{s:I, s:I}", "uid", (json_int_t)o->uid, "gid",
					 (json_int_t)(o->has_gid ? o->gid : 0));
		json_object_set_new(base, "user", user);
	}
	if (o->n_additional_gids) {
		json_t *user = json_object_get(base, "user");
		json_t *g = json_array();
		for (size_t i = 0; i < o->n_additional_gids; i++)
			json_array_append_new(g, json_integer(o->additional_gids[i]));
		json_object_set_new(user, "additionalGids", g);
	}
	if (o->no_new_privs)
		json_object_set_new(base, "noNewPrivileges", json_true());
	if (o->apparmor)
		json_object_set_new(base, "apparmorProfile", json_string(o->apparmor));
	if (o->process_label)
		json_object_set_new(base, "selinuxLabel", json_string(o->process_label));
	if (o->caps && o->caps[0]) {
		json_t *caps = json_object_get(base, "capabilities");
		if (!caps) {
			caps = json_object();
			json_object_set_new(base, "capabilities", caps);
		}
		static const char *const sets[] = {"bounding", "effective", "permitted",
						   "inheritable", "ambient"};
		for (size_t s = 0; s < ARRAY_SIZE(sets); s++) {
			/* --cap adds to bounding, effective and permitted only: granting it
			 * inheritable too let an exec'd program keep it across execve of a
			 * file with inheritable file caps (CVE-2022-29162, runc 1.1.2). */
			if (strcmp(sets[s], "ambient") == 0 || strcmp(sets[s], "inheritable") == 0)
				continue;
			json_t *arr = json_object_get(caps, sets[s]);
			if (!arr) {
				arr = json_array();
				json_object_set_new(caps, sets[s], arr);
			}
			for (size_t i = 0; o->caps[i]; i++)
				json_array_append_new(arr, json_string(o->caps[i]));
		}
	}
	struct ward_process *p = ward_process_parse(base, "exec", "process", err);
	json_decref(base);
	return p;
}

struct exec_child {
	const struct ward_spec *spec;
	struct ward_process *p;
	int pidfd;   /* of the container's init */
	int rootfd;  /* the init's root, /proc/PID/root */
	int sync;
	int ns_flags;
	int preserve_fds;
	bool userns;
	bool setgroups_denied;
	const struct ward_seccomp *seccomp;
	int listener;
	json_t *listener_state;
	pid_t init_pid;
	pid_t self_pid;
	const struct ward_landlock *landlock;
	bool fork_in_pidns; /* join the pid namespace here and fork (mid_fork) */
	int stub_fd; /* the sealed exec stub, or -1 (protect.c) */
	long audit_loginuid; /* begin an audit session with it first, or -1 */
	const char *audit_id; /* the container's, when audited */
};

/* A rootless ward has no CAP_SYS_ADMIN over the container's pid namespace
 * (its user namespace owns it), so it cannot join it before the clone; the
 * child joins it together with the user namespace, and the process that
 * runs is its child in there, cloned as ours (CLONE_PARENT) so we wait for
 * it as for any exec. The intermediate only tells us its pid and leaves;
 * the process inherits its cgroup, audit session and non-dumpable mark, and
 * waits for us to know it before it goes on. */
static int mid_fork(struct exec_child *c, ward_err *err)
{
	long pid = ward_clone3(CLONE_PARENT, NULL, -1);
	if (pid < 0)
		return ward_err_sys(err, errno, "clone in the container's pid namespace");
	if (pid > 0) {
		ward_err e = {0};
		ward_sync_send(c->sync, WARD_SYNC_PID, pid, -1, &e);
		_exit(0);
	}
	/* Not inherited; our parent is ward's CLI now (CLONE_PARENT), and if it
	 * is already gone the expect below sees the socket close. */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	struct ward_sync_msg m;
	if (ward_sync_expect(c->sync, WARD_SYNC_MAPS_DONE, &m, NULL, err) < 0)
		return -1;
	c->self_pid = (pid_t)m.value;
	return 0;
}

static int exec_prepare(struct exec_child *c, char **env, char *exe, size_t exelen,
			ward_err *err)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	struct ward_sync_msg m;
	if (ward_sync_expect(c->sync, WARD_SYNC_MAPS_DONE, &m, NULL, err) < 0)
		return -1;
	c->self_pid = (pid_t)m.value; /* as the host sees us, for the seccomp agent */
	/* A session of its own (it cannot join the init's), begun while we are
	 * still in the host's user namespace. Its record must be in the log
	 * before anything runs in it (the forgery check judges records in log
	 * order, audit/search.c): wait for the parent to have sent it. */
	if (c->audit_loginuid >= 0) {
		unsigned ses;
		int r = ward_audit_session_begin((unsigned)c->audit_loginuid, &ses);
		if (ward_sync_send(c->sync, WARD_SYNC_SESSION, r ? -(int64_t)r : (int64_t)ses, -1,
				   err) < 0 ||
		    ward_sync_expect(c->sync, WARD_SYNC_GO, &m, NULL, err) < 0)
			return -1;
	}
	if (c->ns_flags && setns(c->pidfd, c->ns_flags) < 0)
		return ward_err_sys(err, errno, "join the container's namespaces");
	if (c->fork_in_pidns && mid_fork(c, err) < 0)
		return -1;
	if (fchdir(c->rootfd) < 0 || chroot(".") < 0)
		return ward_err_sys(err, errno, "enter the container's root");
	/* Nothing of the runtime's stays open in here: a path like
	 * /proc/self/fd/N must not lead back to the host (CVE-2024-21626). */
	int keep[] = {c->sync, c->listener, c->stub_fd};
	ward_close_fds_except(3 + c->preserve_fds, keep, 3);
	c->rootfd = c->pidfd = -1;
	if (c->userns && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
		return ward_err_sys(err, errno, "become root in the user namespace");
	if (c->p->terminal) {
		int slave = -1;
		_cleanup_close_ int master = ward_terminal_setup(c->p, &slave, err);
		if (master < 0)
			return -1;
		close(slave);
		if (ward_sync_send(c->sync, WARD_SYNC_PTY, 0, master, err) < 0)
			return -1;
	}
	if (ward_rlimits_apply(c->p, err) < 0)
		return -1;
	if (ward_chdir_in_root(c->p->cwd, err) < 0)
		return -1;
	if (ward_find_executable(c->p->args[0], env, exe, exelen, err) < 0)
		return -1;
	return 0;
}

/* An exec'd process joins the container's Landlock domain: the container's
 * policy, whatever process.json says (it must not be a way out). */
static int exec_landlock(struct exec_child *c, int *fd, ward_err *err)
{
	*fd = -1;
	if (!c->landlock)
		return 0;
	int r = ward_landlock_prepare(c->landlock, NULL, err);
	if (r == -1)
		return -1;
	*fd = r;
	return 0;
}

__attribute__((noreturn)) static void exec_child_main(struct exec_child *c)
{
	ward_err err = {0};
	char exe[4096];
	char **env = calloc(1, sizeof(char *));
	for (size_t i = 0; env && c->p->env && c->p->env[i]; i++)
		ward_strv_setenv(&env, c->p->env[i]);
	if (exec_prepare(c, env, exe, sizeof(exe), &err) < 0 ||
	    ward_env_complete(&env, c->p->user.uid, &err) < 0 ||
	    ward_env_audit_id(&env, c->audit_id, &err) < 0)
		goto fail;
	int llfd = -1;
	if (exec_landlock(c, &llfd, &err) < 0)
		goto fail;
	syscall(SYS_close_range, 3 + c->preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC);
	if (c->p->user.has_umask)
		umask(c->p->user.umask);
	struct ward_launch l;
	if (ward_protect_launch_prepare(&l, c->stub_fd, c->sync, exe, c->p->args, &err) < 0)
		goto fail;
	struct ward_confine_final f = {
		.p = c->p,
		.privs.setgroups_allowed = !c->setgroups_denied,
		.landlock = c->landlock,
		.landlock_fd = llfd,
		.seccomp = c->seccomp,
		.listener = c->listener,
		.listener_state = c->listener_state,
		.host_pid = c->self_pid,
	};
	if (ward_confine_final(&f, &err) < 0)
		goto fail;
	prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
	ward_protect_launch(&l, exe, c->p->args, env);
	if (c->stub_fd >= 0)
		ward_protect_launch_error(&err, errno, exe);
	else
		ward_err_sys(&err, errno, "exec %s", exe);
fail:
	ward_sync_send_error(c->sync, &err);
	_exit(127);
}

static int ns_flags_of(const struct ward_spec *spec, pid_t pid)
{
	/* Join every namespace of the init that differs from ours. */
	int flags = 0;
	for (int i = 0; i < WARD_NS_COUNT; i++) {
		if (i == WARD_NS_PID)
			continue; /* joined by the parent: it applies to children */
		char a[64], b[64];
		struct stat sa, sb;
		snprintf(a, sizeof(a), "/proc/%d/ns/%s", pid, ward_ns_table[i].proc_name);
		snprintf(b, sizeof(b), "/proc/self/ns/%s", ward_ns_table[i].proc_name);
		if (stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_ino != sb.st_ino)
			flags |= ward_ns_table[i].clone_flag;
	}
	(void)spec;
	return flags;
}

/* The next child is born in the container's pid namespace; *own is then our
 * own, to come back to once it is (leave_pidns), else -1. Returns 1 when we
 * may not join it (EPERM: a rootless ward, whose container's user namespace
 * owns it): the child does (mid_fork). */
static int enter_pidns(pid_t pid, int pidfd, int *own, ward_err *err)
{
	char a[64];
	struct stat sa, sb;
	*own = -1;
	snprintf(a, sizeof(a), "/proc/%d/ns/pid", pid);
	if (stat(a, &sa) < 0 || stat("/proc/self/ns/pid", &sb) < 0 || sa.st_ino == sb.st_ino)
		return 0;
	*own = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
	if (setns(pidfd, CLONE_NEWPID) < 0) {
		int e = errno;
		if (*own >= 0)
			close(*own);
		*own = -1;
		if (e == EPERM)
			return 1;
		return ward_err_sys(err, e, "join the container's pid namespace");
	}
	return 0;
}

/* The intermediate is gone (reaped here); the process it cloned as our
 * child is the one we wait for from now on. */
static int take_mid_child(pid_t *pid, int *pidfd, pid_t child, ward_err *err)
{
	while (waitpid(*pid, NULL, __WALL) < 0 && errno == EINTR)
		;
	close(*pidfd);
	*pid = child;
	*pidfd = pidfd_open(child, 0);
	if (*pidfd < 0)
		return ward_err_sys(err, errno, "pidfd_open %d", child);
	return 0;
}

/* Whatever this process forks after the exec's child is born there again,
 * out of the container's sight: LeakSanitizer's tracer at exit is such a
 * child, and in the container's namespace it could not see its parent,
 * exited, and left the leak check waiting for it forever. Best effort: the
 * way back needs CAP_SYS_ADMIN over our own pid namespace. */
static void leave_pidns(int *own)
{
	if (*own < 0)
		return;
	if (setns(*own, CLONE_NEWPID) < 0)
		ward_debug("exec: back to ward's own pid namespace: %s", strerror(errno));
	close(*own);
	*own = -1;
}

#define PTRACE_MARK "ptrace-exec"

/* Exec protection (protect.c) for this process. One that brings
 * CAP_SYS_PTRACE the container's own processes cannot have leaves a mark in
 * the state dir that sends every later exec to the sealed re-exec: a
 * rootless ward's exec stub is open to CAP_SYS_PTRACE in the container's
 * user namespace (protect.c).
 * Refused to protect the host (runc runs it): without a user namespace,
 * CAP_SYS_PTRACE is the host's and passes the non-dumpable mark of a
 * created container's init, which holds all of ward's privileges until
 * start (CVE-2016-9962). With one it counts in that namespace only, and the
 * init's memory belongs to the host's. */
static int exec_protect(const struct ward_exec_opts *o, const struct ward_state *st,
			const struct ward_spec *spec, struct exec_child *c, const char *ptext,
			size_t ptext_len, ward_err *err)
{
	struct ward_protect_query q = {
		.p = c->p,
		.container = spec->process,
		.seccomp = c->seccomp,
		.ptrace_exec = faccessat(st->dirfd, PTRACE_MARK, F_OK, AT_SYMLINK_NOFOLLOW) == 0,
	};
	if (st->status == WARD_CREATED && ward_protect_may_ptrace(c->p) &&
	    !spec->lx.ns[WARD_NS_USER].present)
		return ward_err_set(err, "an exec with CAP_SYS_PTRACE and no user namespace could "
					 "ptrace the init, which holds ward's privileges until the "
					 "container starts: start it first");
	if (ward_protect_may_ptrace(c->p) && !ward_protect_may_ptrace(spec->process)) {
		int fd = openat(st->dirfd, PTRACE_MARK, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
				0600);
		if (fd < 0)
			return ward_err_sys(err, errno, "mark the state of a CAP_SYS_PTRACE exec");
		close(fd);
	}
	const char *why;
	enum ward_protect_mode mode = ward_protect_plan(&q, &why);
	if (mode == WARD_PROTECT_REEXEC && o->process_file && ptext &&
	    ward_protect_pass_input(o->process_file, ptext, ptext_len, err) < 0)
		return -1;
	return ward_protect_apply(mode, why, &c->stub_fd, err);
}

/* The exec's record: the process's host pid and the audit session it began
 * (its own: it cannot join the init's), or why it has none. */
static void exec_trail(const struct ward_ctx *ctx, const struct ward_state *st,
		       const struct exec_child *c, pid_t pid, long ses, const ward_err *failure)
{
	if (!ward_trail_on(st))
		return;
	json_t *f = json_object();
	if (c->p && c->p->args) {
		_cleanup_free_ char *cmd = ward_strv_join(c->p->args, " ");
		json_object_set_new(f, "cmd", json_string(cmd ? cmd : "?"));
		json_object_set_new(f, "user", json_integer(c->p->user.uid));
	}
	if (ses > 0)
		json_object_set_new(f, "ses", json_integer(ses));
	else if (ses < 0)
		json_object_set_new(f, "session-error", json_string(strerror((int)-ses)));
	ward_trail(ctx, st, "exec", pid, failure, f);
}

static int run_exec(const struct ward_ctx *ctx, const struct ward_exec_opts *o,
		    struct ward_state *st, struct ward_spec *spec, int *exit_code, ward_err *err)
{
	_cleanup_close_ int pidfd = pidfd_open(st->pid, 0);
	if (pidfd < 0)
		return ward_err_sys(err, errno, "pidfd_open %d", st->pid);
	char rootpath[64];
	snprintf(rootpath, sizeof(rootpath), "/proc/%d/root", st->pid);
	_cleanup_close_ int rootfd = open(rootpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return ward_err_sys(err, errno, "open the container's root");
	_cleanup_free_ char *ptext = NULL;
	size_t ptext_len = 0;
	struct exec_child c = {
		.spec = spec,
		.p = build_process(o, spec, &ptext, &ptext_len, err),
		.pidfd = pidfd,
		.rootfd = rootfd,
		.ns_flags = ns_flags_of(spec, st->pid),
		.preserve_fds = o->preserve_fds,
		.userns = spec->lx.ns[WARD_NS_USER].present,
		.setgroups_denied = spec->lx.ns[WARD_NS_USER].present &&
				    !spec->lx.ns[WARD_NS_USER].path &&
				    ward_userns_setgroups_denied(&spec->lx),
		.stub_fd = -1,
		.audit_loginuid = -1,
	};
	if (!c.p)
		return -1;
	if (ward_trail_on(st)) {
		c.audit_id = ward_state_audit_id(st);
		if (ctx->audit->session) {
			ward_audit_self(ctx->audit);
			c.audit_loginuid = (long)ward_audit_session_loginuid(ctx->audit);
		}
	}
	_cleanup_admission_ struct ward_policy_admission adm = {0};
	if (ward_lsm_check(c.p, NULL, o->process_file ? o->process_file : "exec", err) < 0 ||
	    ward_policy_admit(ctx, &(struct ward_policy_request){.op = WARD_POP_EXEC, .id = o->id,
			      .audit_id = ward_state_audit_id(st), .spec = spec, .process = c.p},
			      &adm, err) < 0) {
		ward_process_free(c.p);
		return -1;
	}
	int r = -1;
	char cache[4200];
	struct ward_seccomp sc;
	ward_seccomp_cache_dir(ctx, cache, sizeof(cache));
	if (ward_seccomp_compile(spec->lx.seccomp, cache, &sc, err) < 0) {
		ward_process_free(c.p);
		return -1;
	}
	c.seccomp = sc.bpf ? &sc : NULL;
	c.listener = -1;
	if (exec_protect(o, st, spec, &c, ptext, ptext_len, err) < 0) {
		ward_seccomp_release(&sc);
		ward_process_free(c.p);
		return -1;
	}
	ward_policy_admit_commit(ctx, &adm, NULL); /* after a re-exec: recorded once */
	struct ward_landlock ll;
	memset(&ll, 0, sizeof(ll));
	if (spec->process && spec->process->landlock &&
	    ward_landlock_parse(spec->process->landlock, "config.json: process.landlock",
				ward_landlock_abi(), &ll, err) < 0) {
		ward_seccomp_release(&sc);
		ward_process_free(c.p);
		if (c.stub_fd >= 0)
			close(c.stub_fd);
		return -1;
	}
	c.landlock = ll.present ? &ll : NULL;
	c.init_pid = st->pid;
	c.listener_state = ward_state_to_json(st, true);
	if (sc.notify && sc.listener_path && (c.listener = ward_seccomp_listener_connect(&sc, err)) < 0) {
		ward_seccomp_release(&sc);
		json_decref(c.listener_state);
		ward_process_free(c.p);
		if (c.stub_fd >= 0)
			close(c.stub_fd);
		return -1;
	}
	int sync[2] = {-1, -1};
	long ses = 0;
	bool announced = false; /* the exec record is out (at its session's start) */
	pid_t pid = 0;
	_cleanup_close_ int child_pidfd = -1;
	_cleanup_close_ int master = -1;
	_cleanup_close_ int own_pidns = -1;
	if (c.p->terminal && !o->console_socket && o->detach) {
		ward_err_set(err, "cannot allocate a tty when detaching without --console-socket");
		goto out;
	}
	int mid;
	if (ward_sync_pair(sync, err) < 0 ||
	    (mid = enter_pidns(st->pid, pidfd, &own_pidns, err)) < 0)
		goto out;
	if (mid) {
		c.fork_in_pidns = true;
		c.ns_flags |= CLONE_NEWPID;
	}
	c.sync = sync[1];
	/* The child is among the container's processes from birth: born
	 * non-dumpable, it is never open to them while it runs ward's binary. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	bool born_in_v2 = false;
	pid = (pid_t)ward_cgroup_clone3(st->extra, 0, &child_pidfd, &born_in_v2);
	int clone_errno = errno;
	if (pid != 0)
		leave_pidns(&own_pidns);
	if (pid < 0) {
		ward_err_sys(err, clone_errno, "clone");
		pid = 0;
		goto out;
	}
	if (pid == 0) {
		close(sync[0]);
		exec_child_main(&c);
	}
	close(sync[1]);
	sync[1] = -1;
	ward_fault_point("process cloned");
	/* The child has its own copy; the agent must see the connection close
	 * once the state is sent, not when the process ends. */
	if (c.listener >= 0) {
		close(c.listener);
		c.listener = -1;
	}
	if (ward_cgroup_enter(st->extra, (pid_t)pid, born_in_v2, err) < 0)
		goto kill;
	ward_fault_point("process in cgroup");
	if (ward_sync_send(sync[0], WARD_SYNC_MAPS_DONE, pid, -1, err) < 0)
		goto kill;
	ward_fault_point("process released");
	for (;;) {
		struct ward_sync_msg m;
		int fd = -1;
		if (ward_sync_recv(sync[0], &m, &fd, err) < 0) {
			/* EOF: the socket closed on execve. */
			ward_err_clear(err);
			break;
		}
		if (m.type == WARD_SYNC_ERROR) {
			err->errnum = m.errnum;
			memcpy(err->msg, m.msg, sizeof(err->msg));
			goto kill;
		}
		if (m.type == WARD_SYNC_SESSION) {
			ses = m.value;
			/* With an intermediate the record waits for the pid of
			 * the process, which runs nothing before it is out. */
			if (!c.fork_in_pidns) {
				exec_trail(ctx, st, &c, pid, ses, NULL);
				announced = true;
			}
			if (ward_sync_send(sync[0], WARD_SYNC_GO, 0, -1, err) < 0)
				goto kill;
		}
		if (m.type == WARD_SYNC_PID && c.fork_in_pidns) {
			if (take_mid_child(&pid, &child_pidfd, (pid_t)m.value, err) < 0)
				goto kill;
			if (ses && !announced) {
				exec_trail(ctx, st, &c, pid, ses, NULL);
				announced = true;
			}
			if (ward_sync_send(sync[0], WARD_SYNC_MAPS_DONE, pid, -1, err) < 0)
				goto kill;
		}
		if (m.type == WARD_SYNC_PTY && fd >= 0) {
			if (o->console_socket) {
				int sr = ward_terminal_send(o->console_socket, fd, err);
				close(fd);
				if (sr < 0)
					goto kill;
			} else {
				master = fd;
			}
		}
	}
	ward_fault_point("program executed");
	if (o->pid_file) {
		if (ward_write_pid_file(o->pid_file, (pid_t)pid, err) < 0)
			goto kill;
		ward_fault_point("pid file written");
	}
	if (!announced)
		exec_trail(ctx, st, &c, pid, ses, NULL);
	if (o->detach) {
		*exit_code = 0;
		r = 0;
		goto out;
	}
	r = ward_wait_foreground((pid_t)pid, child_pidfd, master, err);
	if (r >= 0) {
		*exit_code = r;
		r = 0;
	}
	goto out;
kill:
	pidfd_send_signal(child_pidfd, SIGKILL, NULL, 0);
	waitpid((pid_t)pid, NULL, __WALL);
out:
	if (r < 0)
		exec_trail(ctx, st, &c, pid, ses, err);
	for (int i = 0; i < 2; i++)
		if (sync[i] >= 0)
			close(sync[i]);
	ward_process_free(c.p);
	ward_seccomp_release(&sc);
	ward_landlock_release(&ll);
	json_decref(c.listener_state);
	if (c.listener >= 0)
		close(c.listener);
	if (c.stub_fd >= 0)
		close(c.stub_fd);
	return r;
}

int ward_container_exec(const struct ward_ctx *ctx, const struct ward_exec_opts *o, int *exit_code,
			ward_err *err)
{
	struct ward_state st;
	int r = -1;
	_cleanup_spec_ struct ward_spec *spec = NULL;
	if (ward_state_load(ctx, o->id, false, &st, err) < 0)
		goto out;
	if (st.status != WARD_RUNNING && st.status != WARD_CREATED) {
		ward_err_set(err, "cannot exec in a %s container", ward_status_name(st.status));
		goto out;
	}
	spec = ward_state_spec(&st, err);
	/* Joining the container joins its integrity namespace: not one whose
	 * monitor is gone. */
	if (!spec || ward_integrity_exec_check(st.dirfd, err) < 0)
		goto out;
	r = run_exec(ctx, o, &st, spec, exit_code, err);
out:
	ward_state_release(&st);
	if (r < 0)
		ward_err_wrap(err, "exec %s", o->id);
	return r;
}
