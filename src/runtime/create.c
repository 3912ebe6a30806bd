/* create: parse, check, make the state dir, clone the init into its
 * namespaces, drive its setup over the sync socket, record the state. On any
 * failure everything made so far is undone: process, cgroup, state dir. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../audit/audit.h"
#include "../cgroup/cgroup.h"
#include "../cgroup/resources.h"
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
#include "../util/rootless.h"
#include "runtime.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

struct creation {
	const struct ward_ctx *ctx;
	const struct ward_create_opts *o;
	struct ward_spec *spec;
	char bundle[PATH_MAX];
	char rootfs[PATH_MAX];
	int rootdir;
	struct ward_state st;
	bool dir_made;
	int fifo_fd;
	int ns_fds[WARD_NS_COUNT];
	int sync[2];
	pid_t pid;
	int pidfd;
	int pty_master;
	struct ward_seccomp seccomp;
	struct ward_resources res;
	struct ward_landlock landlock;
	int *idmap_trees; /* bind trees made for the init (idmap.c), or NULL */
	int stub_fd;	  /* the sealed exec stub, or -1 (protect.c) */
	bool setgroups_denied; /* computed before clone: the child's ids differ */
	bool born_in_v2;       /* clone3(CLONE_INTO_CGROUP) placed the init */
	char audit_id[WARD_AUDIT_ID_LEN + 1]; /* the container's audit ID (audit/) */
	bool audit_given; /* ... from the annotation */
	bool audited;	  /* lifecycle records are sent (audit on, or the annotation) */
	bool audit_keep;  /* the ID is kept with the state (any layer that reports) */
	bool audit_claimed; /* the host-wide registry holds it for us */
	bool session;	  /* give the init a kernel audit session of its own */
	long ses;	  /* the session it got, or -errno why not (0: not asked) */
	struct ward_policy_admission policy; /* the admission decision (policy/) */
	uint64_t anchor;       /* no mount namespace: the rootfs anchor's mount id */
	struct ward_integrity *integ; /* the integrity namespace to start, or NULL */
	int cg_claim; /* flock on the first cgroup until the init is in it (cgroup.c) */
};

static int check_spec(struct creation *c, ward_err *err)
{
	const struct ward_spec *s = c->spec;
	if (!s->process)
		return ward_err_set(err, "config.json: process: missing required field");
	if (c->ctx->systemd_cgroup && ward_cgroup_systemd_resolve(c->spec, c->o->id, err) < 0)
		return ward_err_wrap(err, "config.json (--systemd-cgroup)");
	/* Without one the container mounts in ours, as runc does (under an
	 * anchor: ward_rootfs_anchor); a rootless ward cannot mount there. */
	if (!s->lx.ns[WARD_NS_MNT].present && ward_running_rootless())
		return ward_err_set(err, "config.json: linux.namespaces: without a mount namespace "
					 "the container mounts in the caller's, which needs root");
	if (ward_check_shared_mntns(s, err) < 0)
		return -1;
	if (s->process->terminal && !c->o->console_socket && !c->o->foreground)
		return ward_err_set(err, "config.json: process.terminal: cannot allocate a tty "
					 "when detaching without --console-socket");
	if (!s->process->terminal && c->o->console_socket)
		return ward_err_set(err, "--console-socket given but process.terminal is false");
	if (s->root_path[0] == '/')
		snprintf(c->rootfs, sizeof(c->rootfs), "%s", s->root_path);
	else
		snprintf(c->rootfs, sizeof(c->rootfs), "%s/%s", c->bundle, s->root_path);
	struct stat st;
	if (stat(c->rootfs, &st) < 0)
		return ward_err_sys(err, errno, "config.json: root.path: rootfs %s", c->rootfs);
	if (!S_ISDIR(st.st_mode))
		return ward_err_set(err, "config.json: root.path: %s is not a directory", c->rootfs);
	if (geteuid() != 0 && !s->lx.ns[WARD_NS_USER].present)
		return ward_err_set(err, "config.json: linux.namespaces: running as an unprivileged "
					 "user needs a user namespace (try `ward spec --rootless`)");
	if (ward_lsm_check(s->process, s->lx.mount_label, "config.json", err) < 0)
		return -1;
	if (ward_resources_parse(s->lx.resources, "config.json: linux.resources", &c->res, err) < 0)
		return -1;
	if (s->process->landlock) {
		if (ward_landlock_parse(s->process->landlock, "config.json: process.landlock",
					ward_landlock_abi(), &c->landlock, err) < 0)
			return -1;
		if (c->landlock.preset && !s->root_readonly)
			return ward_err_set(err, "config.json: process.landlock.preset: \"wx\" allows "
						 "execution only beneath read-only mounts; it needs "
						 "root.readonly true");
		if (ward_landlock_plan_memfd(&c->landlock,
					     s->lx.ns[WARD_NS_PID].present && !s->lx.ns[WARD_NS_PID].path,
					     s->lx.ns[WARD_NS_USER].present, err) < 0)
			return -1;
	}
	/* Devices are denied unless allowed: deny-all, the config's rules, then
	 * linux.devices and the standard devices (a rootless user cannot set these). */
	if (!ward_running_rootless()) {
		struct ward_dev_rule deny_all = {false, 'a', -1, -1, "rwm"};
		struct ward_dev_rule *nv = calloc(c->res.n_devices + 1, sizeof(*nv));
		if (!nv)
			return ward_err_sys(err, ENOMEM, "devices");
		nv[0] = deny_all;
		if (c->res.n_devices)
			memcpy(nv + 1, c->res.devices, c->res.n_devices * sizeof(*nv));
		free(c->res.devices);
		c->res.devices = nv;
		c->res.n_devices++;
		if (ward_resources_add_default_devices(&c->res, s, err) < 0)
			return -1;
		/* The last rule on all devices for all access decides everything
		 * before it (the config's own deny-all, usually): drop those. */
		size_t last = 0;
		for (size_t i = 0; i < c->res.n_devices; i++) {
			const struct ward_dev_rule *d = &c->res.devices[i];
			/* (an empty access is "rwm", as devices.c reads it) */
			if (d->type == 'a' && (!d->access[0] || (strchr(d->access, 'r') &&
								 strchr(d->access, 'w') &&
								 strchr(d->access, 'm'))))
				last = i;
		}
		if (last) {
			c->res.n_devices -= last;
			memmove(c->res.devices, c->res.devices + last,
				c->res.n_devices * sizeof(*c->res.devices));
		}
	} else {
		c->res.has_devices = false;
	}
	return 0;
}

/* The audit ID, fixed now: from the engine's annotation (validated even
 * when auditing is off), else random. Lifecycle records follow when the
 * audit layer is on or the annotation asks for them. */
static int audit_identify(struct creation *c, ward_err *err)
{
	if (ward_audit_id_for(c->spec->annotations, "config.json", c->audit_id, &c->audit_given,
			      err) < 0)
		return -1;
	c->audited = c->ctx->audit && (c->ctx->audit->enabled || c->audit_given);
	c->audit_keep = c->audited;
	if (c->audited && c->ctx->audit->session) {
		c->session = true;
		ward_audit_self(c->ctx->audit);
	}
	return 0;
}

/* The state's annotations: the config's, with the audit ID when it is kept
 * (`state` shows it where runc shows annotations). */
static json_t *audit_annotations(const struct creation *c)
{
	if (!c->audit_keep || c->audit_given)
		return json_incref(c->spec->annotations);
	json_t *a = json_is_object(c->spec->annotations) ? json_copy(c->spec->annotations)
							  : json_object();
	json_object_set_new(a, WARD_AUDIT_ANNOTATION, json_string(c->audit_id));
	return a;
}

static unsigned long ns_inode(pid_t pid, const char *ns)
{
	char path[64];
	struct stat sb;
	snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, ns);
	return stat(path, &sb) == 0 ? (unsigned long)sb.st_ino : 0;
}

/* What ties the kernel's records to the container (kept in the state and
 * sent as the "init" record): its session, or, where none could be begun,
 * what identifies it instead. */
static json_t *audit_mapping(const struct creation *c)
{
	json_t *m = json_object();
	_cleanup_free_ char *boot = NULL;
	ward_err ignored = {0};
	if (ward_read_file_at(AT_FDCWD, "/proc/sys/kernel/random/boot_id", &boot, NULL,
			      &ignored) == 0) {
		boot[strcspn(boot, "\n")] = '\0';
		json_object_set_new(m, "boot-id", json_string(boot));
	}
	if (c->ses > 0) {
		json_object_set_new(m, "ses", json_integer(c->ses));
		json_object_set_new(m, "auid",
				    json_integer(ward_audit_session_loginuid(c->ctx->audit)));
		json_object_set_new(m, "attribution", json_string("session"));
	} else {
		/* The kernel's records of the container then carry the caller's
		 * session: only the ids below tell them apart (docs/audit.md). */
		json_object_set_new(m, "attribution", json_string("pid-ns"));
		json_object_set_new(m, "session-error",
				    json_string(c->ses < 0 ? strerror((int)-c->ses)
							   : "sessions are off (audit.json)"));
	}
	json_object_set_new(m, "init-pid", json_integer(c->pid));
	json_object_set_new(m, "pid-ns", json_integer((json_int_t)ns_inode(c->pid, "pid")));
	json_object_set_new(m, "net-ns", json_integer((json_int_t)ns_inode(c->pid, "net")));
	bool v2 = false;
	const char *dir = ward_cgroup_dir_for(c->st.extra, NULL, &v2);
	struct stat sb;
	if (dir && stat(dir, &sb) == 0) {
		json_object_set_new(m, "cgroup", json_string(dir));
		json_object_set_new(m, "cgroup-id", json_integer((json_int_t)sb.st_ino));
	}
	/* A process holding it could begin a session of its own and leave this
	 * one: the mapping must say so (neither `ward spec` nor the admission
	 * policy grants it). */
	const struct ward_caps *caps = &c->spec->process->caps;
	bool ctl = !caps->present || (caps->bounding & (1ULL << 30 /* CAP_AUDIT_CONTROL */));
	json_object_set_new(m, "audit-control", json_boolean(ctl));
	return m;
}

static int make_state_dir(struct creation *c, ward_err *err)
{
	c->rootdir = ward_state_root_open(c->ctx, true, err);
	if (c->rootdir < 0)
		return -1;
	if (mkdirat(c->rootdir, c->o->id, 0711) < 0) {
		if (errno == EEXIST)
			return ward_err_set(err, "container with id exists: %s", c->o->id);
		return ward_err_sys(err, errno, "create state dir for %s", c->o->id);
	}
	c->dir_made = true;
	c->st.dirfd = openat(c->rootdir, c->o->id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (c->st.dirfd < 0)
		return ward_err_sys(err, errno, "open state dir");
	if (flock(c->st.dirfd, LOCK_EX) < 0)
		return ward_err_sys(err, errno, "lock state dir");
	/* The init blocks opening this for writing until `start` opens it to read.
	 * Mode 0622: a user-namespaced init (not host root) must be able to write. */
	if (mkfifoat(c->st.dirfd, "exec.fifo", 0622) < 0)
		return ward_err_sys(err, errno, "create exec fifo");
	(void)!fchmodat(c->st.dirfd, "exec.fifo", 0622, 0);
	c->fifo_fd = openat(c->st.dirfd, "exec.fifo", O_PATH | O_CLOEXEC);
	if (c->fifo_fd < 0)
		return ward_err_sys(err, errno, "open exec fifo");
	return 0;
}

static bool has_joins(const struct creation *c)
{
	for (int i = 0; i < WARD_NS_COUNT; i++)
		if (c->ns_fds[i] >= 0)
			return true;
	return false;
}

__attribute__((noreturn)) static void run_init(struct creation *c)
{
	/* The state dir fd carries create's flock: holding a copy would keep
	 * the container locked until exec. */
	close(c->sync[0]);
	close(c->st.dirfd);
	close(c->rootdir);
	if (c->cg_claim >= 0)
		close(c->cg_claim);
	ward_ns_close(c->ns_fds);
	struct ward_init_args a = {
		.spec = c->spec,
		.id = c->o->id,
		.bundle = c->bundle,
		.rootfs = c->rootfs,
		.sync = c->sync[1],
		.fifo_fd = c->fifo_fd,
		.userns_new = c->spec->lx.ns[WARD_NS_USER].present &&
			      !c->spec->lx.ns[WARD_NS_USER].path,
		.no_pivot = c->o->no_pivot,
		.no_new_keyring = c->o->no_new_keyring,
		.preserve_fds = c->o->preserve_fds,
		.has_pre_hooks = c->spec->hooks.n[WARD_HOOK_PRESTART] ||
				 c->spec->hooks.n[WARD_HOOK_CREATE_RUNTIME],
		.setgroups_denied = c->setgroups_denied,
		.seccomp = c->seccomp.bpf ? &c->seccomp : NULL,
		.landlock = c->landlock.present ? &c->landlock : NULL,
		.idmap_trees = c->idmap_trees,
		.stub_fd = c->stub_fd,
		.audit_loginuid = c->session && !c->ses
					  ? (long)ward_audit_session_loginuid(c->ctx->audit)
					  : -1,
		.audit_id = c->audited ? c->audit_id : NULL,
	};
	ward_init_main(&a);
}

/* Joining namespaces by path must happen before the init exists (a pid
 * namespace applies to children only), so an intermediate process joins them
 * and clones the init as our child (CLONE_PARENT). */
static int spawn_via_intermediate(struct creation *c, uint64_t flags, ward_err *err)
{
	pid_t mid = fork();
	if (mid < 0)
		return ward_err_sys(err, errno, "fork");
	if (mid == 0) {
		ward_err e = {0};
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		/* Before the joins: a joined user namespace would take away the
		 * CAP_AUDIT_CONTROL this needs. The init inherits the session. */
		if (c->session) {
			unsigned ses;
			int r = ward_audit_session_begin(ward_audit_session_loginuid(c->ctx->audit),
							 &ses);
			c->ses = r ? -(long)r : (long)ses;
			ward_sync_send(c->sync[1], WARD_SYNC_SESSION, c->ses, -1, &e);
		}
		if (ward_ns_join_paths(c->ns_fds, &e) < 0) {
			ward_err_wrap(&e, "linux.namespaces");
			ward_sync_send_error(c->sync[1], &e);
			_exit(1);
		}
		long pid = ward_clone3(flags | CLONE_PARENT, NULL, -1);
		if (pid == 0)
			run_init(c);
		if (pid < 0) {
			ward_err_sys(&e, errno, "clone the container's init");
			ward_sync_send_error(c->sync[1], &e);
			_exit(1);
		}
		ward_sync_send(c->sync[1], WARD_SYNC_PID, pid, -1, &e);
		_exit(0);
	}
	int status;
	while (waitpid(mid, &status, 0) < 0 && errno == EINTR)
		;
	struct ward_sync_msg m;
	if (c->session) {
		if (ward_sync_expect(c->sync[0], WARD_SYNC_SESSION, &m, NULL, err) < 0)
			return -1;
		c->ses = m.value;
	}
	if (ward_sync_expect(c->sync[0], WARD_SYNC_PID, &m, NULL, err) < 0)
		return -1;
	c->pid = (pid_t)m.value;
	c->pidfd = pidfd_open(c->pid, 0);
	if (c->pidfd < 0)
		return ward_err_sys(err, errno, "pidfd_open");
	return 0;
}

static int spawn(struct creation *c, ward_err *err)
{
	/* The init makes two namespaces itself: time (so offsets can be set before
	 * anyone lives in it) and cgroup (after we moved it into its cgroup, so
	 * that cgroup is the namespace's root). */
	uint64_t flags = (uint64_t)ward_ns_new_flags(&c->spec->lx) &
			 ~(uint64_t)(CLONE_NEWTIME | CLONE_NEWCGROUP);
	if (ward_sync_pair(c->sync, err) < 0)
		return -1;
	/* A new user namespace leaves the host's at clone: its session must be
	 * begun by an intermediate (without one, the init begins it itself). */
	if (has_joins(c) || (c->session && (flags & CLONE_NEWUSER)))
		return spawn_via_intermediate(c, flags, err);
	long pid = ward_cgroup_clone3(c->st.extra, flags, &c->pidfd, &c->born_in_v2);
	if (pid < 0)
		return ward_err_sys(err, errno, "clone the container's init (namespaces %#llx)",
				    (unsigned long long)flags);
	if (pid == 0)
		run_init(c);
	c->pid = (pid_t)pid;
	return 0;
}

static json_t *hook_state(struct creation *c, enum ward_status status)
{
	struct ward_state s = c->st;
	s.status = status;
	s.pid = c->pid;
	return ward_state_to_json(&s, true);
}

static int handle_pty(struct creation *c, int master, ward_err *err)
{
	if (c->o->console_socket) {
		int r = ward_terminal_send(c->o->console_socket, master, err);
		close(master);
		return r;
	}
	c->pty_master = master;
	return 0;
}

/* Drive the init's setup until it is READY. */
static int supervise(struct creation *c, ward_err *err)
{
	close(c->sync[1]);
	c->sync[1] = -1;
	if (ward_cgroup_enter(c->st.extra, c->pid, c->born_in_v2, err) < 0)
		return -1;
	ward_fault_point("init in cgroup");
	if (c->spec->lx.ns[WARD_NS_USER].present && !c->spec->lx.ns[WARD_NS_USER].path) {
		if (ward_userns_write_maps(c->pid, &c->spec->lx, err) < 0)
			return -1;
		ward_fault_point("id maps written");
	}
	if (ward_sync_send(c->sync[0], WARD_SYNC_MAPS_DONE, c->pid, -1, err) < 0)
		return -1;
	ward_fault_point("init released");
	for (;;) {
		struct ward_sync_msg m;
		int fd = -1;
		if (ward_sync_recv(c->sync[0], &m, &fd, err) < 0)
			return -1;
		switch (m.type) {
		case WARD_SYNC_ERROR:
			err->errnum = m.errnum;
			memcpy(err->msg, m.msg, sizeof(err->msg));
			return -1;
		case WARD_SYNC_HOOKS: {
			json_t *j = hook_state(c, WARD_CREATING);
			int r = ward_hooks_run(c->spec, WARD_HOOK_PRESTART, j, err);
			if (r == 0)
				r = ward_hooks_run(c->spec, WARD_HOOK_CREATE_RUNTIME, j, err);
			json_decref(j);
			if (r < 0)
				return -1;
			ward_fault_point("prestart hooks run");
			if (ward_sync_send(c->sync[0], WARD_SYNC_HOOKS_DONE, 0, -1, err) < 0)
				return -1;
			break;
		}
		case WARD_SYNC_PTY:
			if (fd < 0)
				return ward_err_set(err, "sync: pty message without a file descriptor");
			if (handle_pty(c, fd, err) < 0)
				return -1;
			break;
		case WARD_SYNC_LANDLOCK:
			ward_landlock_skipped_apply(&c->landlock, m.msg);
			break;
		case WARD_SYNC_READY:
			ward_fault_point("init ready");
			return 0;
		default:
			if (fd >= 0)
				close(fd);
			return ward_err_set(err, "sync: unexpected message %u", m.type);
		}
	}
}

/* restore: the init comes back from CRIU images instead (restore.c). */
static int restore_init(struct creation *c, ward_err *err)
{
	struct ward_restore_target t = {.spec = c->spec, .st = &c->st, .rootfs = c->rootfs,
					.pidfd = -1, .pty_master = -1};
	int r = ward_restore_spawn(c->ctx, c->o, &t, err);
	c->pid = t.pid;
	c->pidfd = t.pidfd;
	c->pty_master = t.pty_master;
	return r;
}

/* The monitor watches the init before start lets it exec anything. */
static int integrity_start(struct creation *c, ward_err *err)
{
	if (!c->integ)
		return 0;
	const struct ward_linux *lx = &c->spec->lx;
	struct ward_integrity_launch l = {
		.id = c->o->id, .audit_id = c->audit_id, .state_dirfd = c->st.dirfd,
		.init_pid = c->pid, .extra = c->st.extra, .audit = c->ctx->audit,
		.userns = lx->ns[WARD_NS_USER].present,
		.pidns = lx->ns[WARD_NS_PID].present && !lx->ns[WARD_NS_PID].path,
	};
	return ward_integrity_start(c->integ, &l, err);
}

/* The state so far, written before the next step that leaves something
 * behind: a create killed at any point leaves a state that delete --force
 * cleans up after (its cgroups, planned or made, its init). */
static int save_progress(struct creation *c, const char *label, ward_err *err)
{
	c->st.pid = c->pid;
	if (c->pid > 0 && !c->st.pid_start)
		c->st.pid_start = ward_proc_start_time(c->pid, NULL);
	if (ward_state_save(&c->st, err) < 0)
		return -1;
	ward_fault_point(label);
	return 0;
}

static int record(struct creation *c, ward_err *err)
{
	c->st.creating = false;
	ward_cgroup_plan_done(c->st.extra);
	if (save_progress(c, "state saved", err) < 0)
		return -1;
	if (c->o->pid_file) {
		if (ward_write_pid_file(c->o->pid_file, c->pid, err) < 0)
			return -1;
		ward_fault_point("pid file written");
	}
	return 0;
}

/* Before undo: what it does not need goes first, so that a create that
 * failed for want of fds (EMFILE) has the few undo needs. */
static void close_for_undo(struct creation *c)
{
	int *fds[] = {&c->fifo_fd, &c->sync[0], &c->sync[1], &c->stub_fd, &c->pty_master,
		      &c->cg_claim};
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if (*fds[i] >= 0) {
			close(*fds[i]);
			*fds[i] = -1;
		}
	ward_ns_close(c->ns_fds);
}

static void undo(struct creation *c)
{
	ward_err ignored = {0};
	close_for_undo(c);
	if (c->pidfd >= 0 || c->pid > 0) {
		/* Our child, not yet reaped: its pid cannot be anyone else's. */
		if (c->pidfd < 0 || pidfd_send_signal(c->pidfd, SIGKILL, NULL, 0) < 0)
			kill(c->pid, SIGKILL);
		while (waitpid(c->pid, NULL, __WALL) < 0 && errno == EINTR)
			;
		/* Spec: a failed create continues at delete, which runs poststop. */
		if (c->spec && c->spec->hooks.n[WARD_HOOK_POSTSTOP]) {
			json_t *j = hook_state(c, WARD_STOPPED);
			ward_hooks_run(c->spec, WARD_HOOK_POSTSTOP, j, &ignored);
			json_decref(j);
		}
	}
	if (c->st.extra && ward_cgroup_destroy(c->st.extra, &ignored) < 0)
		ward_warn("create %s: %s", c->o->id, ignored.msg);
	if (c->anchor)
		ward_rootfs_anchor_release(c->rootfs, c->anchor);
	if (c->dir_made && (c->st.dirfd >= 0
				    ? ward_rm_rf_open(c->rootdir, c->o->id, c->st.dirfd, &ignored)
				    : ward_rm_rf_at(c->rootdir, c->o->id, &ignored)) < 0) {
		char line[WARD_ERR_MSG_MAX + 128];
		ward_warn("create %s: its state dir is left: %s (`ward delete --force %s` removes "
			  "it)",
			  c->o->id, ward_err_str(&ignored, line, sizeof(line)), c->o->id);
	}
}

int ward_container_create(const struct ward_ctx *ctx, const struct ward_create_opts *o,
			  struct ward_created *out, ward_err *err)
{
	struct creation c = {.ctx = ctx, .o = o, .rootdir = -1, .fifo_fd = -1, .pidfd = -1,
			     .pty_master = -1, .sync = {-1, -1}, .stub_fd = -1, .cg_claim = -1};
	c.st.dirfd = -1;
	for (int i = 0; i < WARD_NS_COUNT; i++)
		c.ns_fds[i] = -1;
	int r = -1;
	_cleanup_free_ char *text = NULL;

	if (ward_id_validate(o->id, err) < 0)
		goto out;
	if (!realpath(o->bundle ? o->bundle : ".", c.bundle)) {
		ward_err_sys(err, errno, "bundle %s", o->bundle ? o->bundle : ".");
		goto out;
	}
	char cfg[PATH_MAX + 16];
	snprintf(cfg, sizeof(cfg), "%s/config.json", c.bundle);
	size_t len;
	if (ward_read_file_at(AT_FDCWD, cfg, &text, &len, err) < 0)
		goto out;
	if (!(c.spec = ward_spec_parse(text, len, "config.json", err)) || check_spec(&c, err) < 0 ||
	    audit_identify(&c, err) < 0 ||
	    ward_policy_admit(ctx, &(struct ward_policy_request){.op = WARD_POP_CREATE, .id = o->id,
			      .audit_id = c.audit_id, .spec = c.spec, .bundle = c.bundle},
			      &c.policy, err) < 0)
		goto out;
	c.audit_keep |= c.policy.decision.configured;
	char cache[PATH_MAX];
	ward_seccomp_cache_dir(ctx, cache, sizeof(cache));
	if (ward_seccomp_compile(c.spec->lx.seccomp, cache, &c.seccomp, err) < 0)
		goto out;
	const struct ward_namespace *pidns = &c.spec->lx.ns[WARD_NS_PID];
	struct ward_protect_query pq = {
		.p = c.spec->process,
		.container = c.spec->process,
		.seccomp = &c.seccomp,
		.container_hooks = c.spec->hooks.n[WARD_HOOK_CREATE_CONTAINER] ||
				   c.spec->hooks.n[WARD_HOOK_START_CONTAINER],
		.shared_pidns = !pidns->present || pidns->path,
	};
	if (!o->restore && ward_protect_choose(&pq, &c.stub_fd, err) < 0)
		goto out;
	/* After a re-exec, not before: libcrypto is loaded once, by the
	 * process that goes on. Still before anything is made. */
	if (ward_integrity_prepare(c.spec->json, "config.json", &c.integ, err) < 0)
		goto out;
	c.audit_keep |= c.integ != NULL; /* integrity records carry the audit ID */
	if (ward_ns_open_paths(&c.spec->lx, c.ns_fds, err) < 0 ||
	    ward_check_own_namespaces(c.spec, c.ns_fds, err) < 0 ||
	    ward_bind_trees(c.spec, c.bundle, &c.idmap_trees, err) < 0)
		goto out;
	c.setgroups_denied = c.spec->lx.ns[WARD_NS_USER].present &&
			     !c.spec->lx.ns[WARD_NS_USER].path &&
			     ward_userns_setgroups_denied(&c.spec->lx);
	if (make_state_dir(&c, err) < 0)
		goto fail; /* (the dir may be made, its fifo not: EMFILE) */
	ward_fault_point("state dir made");
	if (c.audit_keep) {
		if (ward_audit_claim(ctx->audit, c.audit_id, o->id, err) < 0)
			goto fail;
		c.audit_claimed = true;
		ward_fault_point("audit id claimed");
	}
	char created[64];
	ward_now_rfc3339(created, sizeof(created));
	c.st.id = strdup(o->id);
	c.st.config_text = text;
	c.st.oci_version = strdup(c.spec->oci_version ? c.spec->oci_version : "");
	c.st.annotations = audit_annotations(&c);
	c.st.extra = json_object();
	c.st.bundle = strdup(c.bundle);
	c.st.rootfs = strdup(c.rootfs);
	c.st.created = strdup(created);
	c.st.has_poststart = c.spec->hooks.n[WARD_HOOK_POSTSTART] > 0;
	c.st.has_poststop = c.spec->hooks.n[WARD_HOOK_POSTSTOP] > 0;
	c.st.creating = true;
	ward_policy_admit_commit(ctx, &c.policy, c.st.extra);
	if (!c.st.id || !c.st.oci_version || !c.st.extra || !c.st.bundle || !c.st.rootfs ||
	    !c.st.created) {
		ward_err_sys(err, ENOMEM, "state");
		goto fail;
	}
	if (ward_cgroup_plan(c.spec, o->id, c.st.extra, err) < 0 ||
	    save_progress(&c, "state written (cgroups planned)", err) < 0 ||
	    ward_cgroup_create(c.st.extra, &c.cg_claim, err) < 0)
		goto fail;
	/* (not written now: delete --force removes the planned cgroups that
	 * are empty and unclaimed, which is what they are until the init) */
	ward_fault_point("cgroups made");
	if (ward_resources_apply(c.st.extra, &c.res, false, err) < 0)
		goto fail;
	ward_fault_point("resources applied");
	/* With the stub, the init runs ward's binary until its exec: born
	 * non-dumpable, it is never open to another process (a rootless ward
	 * must wait: newuidmap writes its maps; its init is alone in a new pid
	 * namespace until then). Not earlier: the idmap helpers' /proc files
	 * must stay open to us. */
	if (c.stub_fd >= 0 && !ward_running_rootless())
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (!o->restore && !c.spec->lx.ns[WARD_NS_MNT].present) {
		if (ward_rootfs_anchor(c.rootfs, &c.anchor, err) < 0)
			goto fail;
		json_object_set_new(c.st.extra, "rootfsAnchor", json_integer((json_int_t)c.anchor));
		/* (a kill before this write leaves the anchor: two syscalls wide) */
		if (save_progress(&c, "state written (rootfs anchor)", err) < 0)
			goto fail;
	}
	if (o->restore ? restore_init(&c, err) < 0
		       : spawn(&c, err) < 0 || save_progress(&c, "state written (init pid)", err) < 0 ||
				 supervise(&c, err) < 0)
		goto fail;
	if (integrity_start(&c, err) < 0)
		goto fail;
	if (c.integ)
		ward_fault_point("integrity monitor started");
	if (c.landlock.present) /* what the init enforces, rule paths it skipped */
		json_object_set_new(c.st.extra, "landlock", ward_landlock_describe(&c.landlock));
	if (c.audited) {
		if (c.session && !c.ses) {
			/* The init began its session itself: the kernel says which
			 * (the caller's still: it was refused). */
			unsigned ses = ward_audit_session_of(c.pid);
			c.ses = ses != (unsigned)-1 && ses != ctx->audit->self_ses ? (long)ses : -EPERM;
		}
		if (o->restore) {
			/* criu made the tree: its session is whatever criu left it
			 * (its own, which is the caller's, or one it restored). */
			unsigned ses = ward_audit_session_of(c.pid);
			ward_audit_self(ctx->audit);
			c.ses = ses != (unsigned)-1 && ses != ctx->audit->self_ses ? (long)ses : -EPERM;
		}
		json_object_set_new(c.st.extra, "audit", audit_mapping(&c));
	}
	if (record(&c, err) < 0)
		goto fail;
	if (c.audited) {
		ward_trail_record(ctx, o->id, c.audit_id, o->restore ? "restore" : "create", c.pid,
				  NULL, NULL);
		ward_trail_record(ctx, o->id, c.audit_id, "init", c.pid, NULL,
				  json_incref(json_object_get(c.st.extra, "audit")));
	}
	out->pid = c.pid;
	out->pidfd = steal_fd(&c.pidfd);
	out->pty_master = steal_fd(&c.pty_master);
	if (out->state) {
		/* The state as a full load would give it, still locked. */
		c.st.status = WARD_CREATED;
		c.st.config_text = NULL;
		c.st.config_raw = text;
		c.st.config_raw_len = len;
		text = NULL;
		*out->state = c.st;
		memset(&c.st, 0, sizeof(c.st));
		c.st.dirfd = -1;
	}
	r = 0;
	goto out;
fail:
	undo(&c);
	if (c.audit_claimed)
		ward_audit_unclaim(ctx->audit, c.audit_id, o->id);
out:
	if (r < 0 && c.audited)
		ward_trail_record(ctx, o->id, c.audit_id, o->restore ? "restore" : "create", c.pid,
				  err, NULL);
	ward_state_release(&c.st);
	if (c.cg_claim >= 0)
		close(c.cg_claim);
	ward_ns_close(c.ns_fds);
	for (int i = 0; i < 2; i++)
		if (c.sync[i] >= 0)
			close(c.sync[i]);
	if (c.fifo_fd >= 0)
		close(c.fifo_fd);
	if (c.rootdir >= 0)
		close(c.rootdir);
	if (c.pidfd >= 0)
		close(c.pidfd);
	if (c.pty_master >= 0)
		close(c.pty_master);
	if (c.stub_fd >= 0)
		close(c.stub_fd);
	ward_bind_trees_free(c.idmap_trees, c.spec ? c.spec->n_mounts : 0);
	ward_spec_free(c.spec);
	ward_seccomp_release(&c.seccomp);
	ward_resources_free(&c.res);
	ward_landlock_release(&c.landlock);
	ward_policy_admission_release(&c.policy);
	ward_integrity_free(c.integ);
	if (r < 0)
		ward_err_wrap(err, "%s %s", o->restore ? "restore" : "create", o->id);
	return r;
}
