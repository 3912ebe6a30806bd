/* restore: runc's command, on CRIU (criu.h). create.c makes the container
 * from the bundle (state dir, cgroup with its limits) and calls
 * ward_restore_spawn instead of cloning an init: `criu swrk` is moved into
 * the container's cgroup and restores the tree as our child (rst_sibling),
 * on a bind of the rootfs, with the external mounts and stdio of
 * checkpoint.c mapped to this bundle and this ward's stdio. Before the
 * restored tree runs (post-restore), every thread is compared with the
 * checkpoint's record of what confined it; any difference fails the restore
 * and criu kills the tree. A failed restore leaves nothing: create undoes
 * the cgroup and state dir, the rootfs bind is gone before we return. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../cgroup/cgroup.h"
#include "../linux/linux.h"
#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/log.h"
#include "criu.h"
#include "runtime.h"

struct rst {
	const struct ward_ctx *ctx;
	const struct ward_create_opts *o;
	struct ward_restore_target *t;
	int imgfd, workfd, netns_fd;
	char imgdir[PATH_MAX], logdir[PATH_MAX], root[PATH_MAX];
	bool root_made, root_mounted;
	json_t *rec;
	int version;
	bool nnp;	/* criu runs with no_new_privs (see choose_nnp) */
	pid_t restored; /* the root of the tree, from post-restore */
	int pty_master;
};

static int open_dirs(struct rst *r, ward_err *err)
{
	const struct ward_criu_opts *c = r->o->restore;
	snprintf(r->imgdir, sizeof(r->imgdir), "%s", c->image_path ? c->image_path : WARD_CRIU_IMAGES);
	if ((r->imgfd = ward_criu_dir(r->imgdir, "--image-path", false, err)) < 0)
		return -1;
	snprintf(r->logdir, sizeof(r->logdir), "%s", c->work_path ? c->work_path : r->imgdir);
	if (c->work_path && (r->workfd = ward_criu_dir(c->work_path, "--work-path", true, err)) < 0)
		return -1;
	return 0;
}

/* The restored tasks of a user namespace look some images up themselves,
 * as its root (a host id of the mapping): the directory must let them. */
static int check_userns_reach(struct rst *r, ward_err *err)
{
	const struct ward_namespace *u = &r->t->spec->lx.ns[WARD_NS_USER];
	struct stat sb;
	if (!u->present || u->path || fstat(r->imgfd, &sb) < 0 || (sb.st_mode & S_IXOTH))
		return 0;
	return ward_err_set(err,
			    "--image-path %s: the container has a user namespace, whose "
			    "root cannot search this directory (mode %03o; chmod o+x it)",
			    r->imgdir, (unsigned)(sb.st_mode & 0777));
}

static json_t *load_record(int imgfd, const char *imgdir, ward_err *err)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	if (ward_read_file_at(imgfd, WARD_CRIU_RECORD, &text, &len, err) < 0) {
		if (err->errnum == ENOENT)
			return ward_err_set(err,
					    "--image-path %s: no %s: not a checkpoint made "
					    "by ward checkpoint",
					    imgdir, WARD_CRIU_RECORD),
			       NULL;
		ward_err_wrap(err, "--image-path %s", imgdir);
		return NULL;
	}
	json_error_t je;
	json_t *j = json_loadb(text, len, 0, &je);
	if (!j || !json_is_array(json_object_get(j, "tasks"))) {
		ward_err_set(err, "--image-path %s: %s: %s", imgdir, WARD_CRIU_RECORD,
			     j ? "no tasks" : je.text);
		json_decref(j);
		return NULL;
	}
	return j;
}

/* The bundle's config must confine the processes as the checkpointed
 * container's did: CRIU brings them back as they were, and ward's state,
 * exec and inspect go by the config. */
static int check_confinement(struct rst *r, ward_err *err)
{
	json_t *was = json_object_get(r->rec, "confinement");
	json_t *now = ward_criu_confinement(r->t->spec->json);
	const char *k;
	json_t *v;
	int rc = 0;
	json_object_foreach(now, k, v)
	{
		json_t *w = json_object_get(was, k);
		if (!w || !json_equal(w, v)) {
			rc = ward_err_set(err,
					  "config.json: %s differs from the checkpointed "
					  "container's; the restored processes keep what "
					  "confined them, so the config must say the same",
					  k);
			break;
		}
	}
	json_decref(now);
	return rc;
}

/* Before 3.19, criu does not restore no_new_privs. It cannot be unset, and
 * children inherit it: a criu that runs with it gives it to every restored
 * task. So it does, when every checkpointed task had it; a mix is refused
 * (checkpoint refuses to make one). */
static int choose_nnp(struct rst *r, ward_err *err)
{
	if (r->version >= WARD_CRIU_NNP_VERSION)
		return 0;
	size_t i, on = 0;
	json_t *t, *tasks = json_object_get(r->rec, "tasks");
	json_array_foreach(tasks, i, t)
	{
		const char *v = json_string_value(json_object_get(t, "NoNewPrivs"));
		on += v && !strcmp(v, "1");
	}
	if (on && on != json_array_size(tasks))
		return ward_err_set(err,
				    "--image-path %s: some checkpointed threads have "
				    "no_new_privs and some do not; this criu cannot restore that",
				    r->imgdir);
	r->nnp = on > 0;
	return 0;
}

/* CRIU wants the root as a mount point whose parent is not overmounted:
 * a bind of the rootfs in the state dir (runc's criu-root). */
static int bind_root(struct rst *r, ward_err *err)
{
	char real[PATH_MAX];
	if (!realpath(r->ctx->root, real))
		return ward_err_sys(err, errno, "state root %s", r->ctx->root);
	snprintf(r->root, sizeof(r->root), "%s/%s/criu-root", real, r->t->st->id);
	if (mkdirat(r->t->st->dirfd, "criu-root", 0700) < 0)
		return ward_err_sys(err, errno, "create %s", r->root);
	r->root_made = true;
	if (mount(r->t->rootfs, r->root, NULL, MS_BIND | MS_REC, NULL) < 0)
		return ward_err_sys(err, errno, "bind %s on %s", r->t->rootfs, r->root);
	r->root_mounted = true;
	return 0;
}

static void unbind_root(struct rst *r)
{
	if (r->root_mounted && umount2(r->root, MNT_DETACH) < 0)
		ward_warn("restore: unmount %s: %s", r->root, strerror(errno));
	if (r->root_made)
		unlinkat(r->t->st->dirfd, "criu-root", AT_REMOVEDIR);
	r->root_mounted = r->root_made = false;
}

static bool under_tmpfs(const struct ward_spec *s, const char *dest)
{
	for (size_t i = 0; i < s->n_mounts; i++) {
		const char *d = s->mounts[i].destination, *t = s->mounts[i].type;
		size_t n = strlen(d);
		if (t && !strcmp(t, "tmpfs") && !strncmp(dest, d, n) && dest[n] == '/')
			return true;
	}
	return false;
}

/* A rootfs that is not the checkpointed one may lack the points the bind
 * mounts go on (runc makes them too); what lies on a tmpfs criu brings. */
static int make_mountpoints(struct rst *r, ward_err *err)
{
	const struct ward_spec *s = r->t->spec;
	_cleanup_close_ int rootfd = open(r->t->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return ward_err_sys(err, errno, "rootfs %s", r->t->rootfs);
	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct ward_mount *m = &s->mounts[i];
		if (!ward_criu_bind_source(s, m->destination) || under_tmpfs(s, m->destination))
			continue;
		char src[PATH_MAX];
		snprintf(src, sizeof(src), "%s%s%s", m->source[0] == '/' ? "" : r->t->st->bundle,
			 m->source[0] == '/' ? "" : "/", m->source);
		struct stat sb;
		bool dir = stat(src, &sb) < 0 || S_ISDIR(sb.st_mode);
		int fd = ward_ensure_in_root(rootfd, m->destination, dir, err);
		if (fd < 0)
			return ward_err_wrap(err, "mounts[%zu] %s", i, m->destination);
		close(fd);
	}
	return 0;
}

/* The names checkpoint.c gave the external mounts, to this host's paths. */
static int add_ext_mounts(struct rst *r, struct ward_pb *o, ward_err *err)
{
	size_t i;
	json_t *m;
	bool devnull = false;
	json_array_foreach(json_object_get(r->rec, "mounts"), i, m)
	{
		const char *mp = json_string_value(json_object_get(m, "mountpoint"));
		const char *name = json_string_value(json_object_get(m, "name"));
		const char *kind = json_string_value(json_object_get(m, "kind"));
		if (!mp || !name || !kind)
			return ward_err_set(err, "%s: mounts[%zu]: incomplete", WARD_CRIU_RECORD,
					    i);
		if (!strcmp(kind, "bind")) {
			const char *src = ward_criu_bind_source(r->t->spec, mp);
			if (!src)
				return ward_err_set(err,
						    "config.json: mounts: no bind mount at %s, "
						    "which the checkpoint has from outside",
						    mp);
			char abs[PATH_MAX];
			snprintf(abs, sizeof(abs), "%s%s%s", src[0] == '/' ? "" : r->t->st->bundle,
				 src[0] == '/' ? "" : "/", src);
			ward_pb_pair_str(o, CRIU_O_EXT_MNT, name, abs);
		} else if (strcmp(name, "/dev/null") || !devnull) {
			/* masked files and devices: the host's node of that name */
			ward_pb_pair_str(o, CRIU_O_EXT_MNT, name, name);
			devnull |= !strcmp(name, "/dev/null");
		}
	}
	return 0;
}

/* stdio marked external at checkpoint becomes ours (fds 0-2 of criu). */
static void add_inherited(struct rst *r, struct ward_pb *o)
{
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(r->rec, "stdio"), i, s)
	{
		const char *key = json_string_value(json_object_get(s, "key"));
		json_int_t fd = json_integer_value(json_object_get(s, "fd"));
		if (key && fd >= 0 && fd <= 2)
			ward_pb_pair_int(o, CRIU_O_INHERIT_FD, key, fd);
	}
	if (r->netns_fd >= 0)
		ward_pb_pair_int(o, CRIU_O_INHERIT_FD, "extRootNetNS", 4);
}

/* cg_root: the container's cgroups, where criu now is. */
static int add_cg_roots(pid_t criu, struct ward_pb *o, ward_err *err)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/cgroup", criu);
	_cleanup_free_ char *t = NULL;
	if (ward_read_file_at(AT_FDCWD, path, &t, NULL, err) < 0)
		return -1;
	char *save = NULL;
	for (char *l = strtok_r(t, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *c1 = strchr(l, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c2 = '\0';
		char *ctrls = c1 + 1, *cgpath = c2 + 1, *save2 = NULL;
		if (!*ctrls) { /* cgroup v2 */
			ward_pb_pair_str(o, CRIU_O_CG_ROOT, "", cgpath);
			continue;
		}
		for (char *c = strtok_r(ctrls, ",", &save2); c; c = strtok_r(NULL, ",", &save2))
			ward_pb_pair_str(o, CRIU_O_CG_ROOT, c, cgpath);
	}
	return 0;
}

static int restore_opts(struct rst *r, pid_t criu, struct ward_pb *o, ward_err *err)
{
	ward_pb_int(o, CRIU_O_IMAGES_DIR_FD, r->imgfd);
	if (r->workfd >= 0)
		ward_pb_int(o, CRIU_O_WORK_DIR_FD, r->workfd);
	ward_pb_str(o, CRIU_O_LOG_FILE, "restore.log");
	ward_pb_str(o, CRIU_O_ROOT, r->root);
	ward_pb_bool(o, CRIU_O_RST_SIBLING, true);
	ward_pb_bool(o, CRIU_O_EVASIVE_DEVICES, true);
	const char *cf = ward_criu_config_file(r->t->spec);
	if (*cf)
		ward_pb_str(o, CRIU_O_CONFIG_FILE, cf);
	if (ward_criu_shared_opts(o, r->o->restore, err) < 0 || add_ext_mounts(r, o, err) < 0 ||
	    add_cg_roots(criu, o, err) < 0)
		return -1;
	add_inherited(r, o);
	return 0;
}

/* A new network namespace comes back empty (as in runc); its loopback is
 * up again, as create leaves it. */
static int loopback_up(pid_t pid, ward_err *err)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	_cleanup_close_ int ns = open(path, O_RDONLY | O_CLOEXEC);
	if (ns < 0)
		return ward_err_sys(err, errno, "open %s", path);
	pid_t c = fork();
	if (c < 0)
		return ward_err_sys(err, errno, "fork");
	if (c == 0) {
		ward_err e = {0};
		_exit(setns(ns, CLONE_NEWNET) < 0 || ward_net_loopback_up(&e) < 0 ? 1 : 0);
	}
	int st;
	while (waitpid(c, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return ward_err_set(err, "bring up lo in the restored network namespace");
	return 0;
}

/* setup-namespaces: the namespaces exist, nothing runs yet: runc's point
 * for the prestart and createRuntime hooks. */
static int setup_namespaces(struct rst *r, pid_t pid, ward_err *err)
{
	const struct ward_spec *s = r->t->spec;
	if (s->lx.ns[WARD_NS_NET].present && !s->lx.ns[WARD_NS_NET].path &&
	    loopback_up(pid, err) < 0)
		return -1;
	if (!s->hooks.n[WARD_HOOK_PRESTART] && !s->hooks.n[WARD_HOOK_CREATE_RUNTIME])
		return 0;
	struct ward_state st = *r->t->st;
	st.status = WARD_CREATING;
	st.pid = pid;
	json_t *j = ward_state_to_json(&st, true);
	int rc = ward_hooks_run(s, WARD_HOOK_PRESTART, j, err);
	if (rc == 0)
		rc = ward_hooks_run(s, WARD_HOOK_CREATE_RUNTIME, j, err);
	json_decref(j);
	return rc;
}

/* orphan-pts-master: criu made the terminal again; its master goes where
 * create would send it. */
static int take_pty(struct rst *r, int fd, ward_err *err)
{
	if (fd < 0)
		return ward_err_set(err, "criu sent orphan-pts-master without a terminal");
	if (r->o->console_socket) {
		int rc = ward_terminal_send(r->o->console_socket, fd, err);
		close(fd);
		return rc;
	}
	if (r->pty_master >= 0)
		close(r->pty_master);
	r->pty_master = fd; /* a foreground restore proxies it */
	return 0;
}

static int all_nnp(pid_t root, ward_err *err)
{
	json_t *tasks = ward_criu_tasks(root, err);
	if (!tasks)
		return ward_err_wrap(err, "the restored tree");
	size_t i;
	json_t *t;
	int rc = 0;
	json_array_foreach(tasks, i, t)
	{
		const char *v = json_string_value(json_object_get(t, "NoNewPrivs"));
		if (!v || strcmp(v, "1") != 0) {
			rc = ward_err_set(
			    err,
			    "restored process %lld (pid %lld on the host) has "
			    "no no_new_privs (killed)",
			    (long long)json_integer_value(json_object_get(t, "tgid")),
			    (long long)json_integer_value(json_object_get(t, "hostTid")));
			break;
		}
	}
	json_decref(tasks);
	return rc;
}

/* criu is done and the tree runs: frozen, every thread is compared with
 * the checkpoint's record; a difference kills the container. (criu 3.17
 * notifies nothing after it restores credentials and seccomp, so this is
 * the first moment they can be seen; until then criu holds the tree.) */
static int verify_restored(struct rst *r, ward_err *err)
{
	json_t *extra = r->t->st->extra;
	bool was_frozen = ward_cgroup_is_frozen(extra);
	if (!was_frozen && ward_cgroup_freeze(extra, true, err) < 0)
		return ward_err_wrap(err, "freeze the restored container to check it");
	json_t *tasks = ward_criu_tasks(r->restored, err);
	int rc = tasks ? ward_criu_tasks_match(json_object_get(r->rec, "tasks"), tasks, err) : -1;
	json_decref(tasks);
	if (rc < 0) {
		ward_err ignored = {0};
		ward_cgroup_kill_all(extra, SIGKILL, &ignored);
		ward_cgroup_freeze(extra, false, &ignored);
		return ward_err_wrap(err, "the restored processes are not confined as they were "
					  "at checkpoint (killed)");
	}
	if (!was_frozen && ward_cgroup_freeze(extra, false, err) < 0)
		return ward_err_wrap(err, "thaw the restored container");
	return 0;
}

static int on_notify(void *arg, const struct ward_criu_resp *n, int fd, ward_err *err)
{
	struct rst *r = arg;
	if (!strcmp(n->script, "orphan-pts-master"))
		return take_pty(r, fd, err);
	if (fd >= 0)
		close(fd);
	if (!strcmp(n->script, "setup-namespaces"))
		return setup_namespaces(r, n->notify_pid, err);
	if (strcmp(n->script, "post-restore") != 0)
		return 0;
	r->restored = n->notify_pid;
	/* Restored, not yet resumed. criu gives them their credentials and
	 * seccomp filters after this point (checked once it is done), but the
	 * no_new_privs ward arranged must be there already. */
	return r->nnp ? all_nnp(n->notify_pid, err) : 0;
}

static int open_netns(struct rst *r, ward_err *err)
{
	const struct ward_namespace *ns = &r->t->spec->lx.ns[WARD_NS_NET];
	bool was = json_is_true(json_object_get(r->rec, "netnsExternal"));
	if (was != (ns->present && ns->path))
		return ward_err_set(err,
				    "config.json: linux.namespaces: the checkpoint's "
				    "network namespace %s, the config's %s",
				    was ? "was joined by path" : "was its own",
				    ns->path ? "is joined by path" : "is not");
	if (!was)
		return 0;
	r->netns_fd = open(ns->path, O_RDONLY | O_CLOEXEC);
	if (r->netns_fd < 0)
		return ward_err_sys(err, errno, "config.json: linux.namespaces: network %s",
				    ns->path);
	return 0;
}

/* Everything checked before criu is started. */
static int prepare(struct rst *r, ward_err *err)
{
	if (open_dirs(r, err) < 0 || !(r->rec = load_record(r->imgfd, r->imgdir, err)))
		return -1;
	if (ward_criu_refuse(r->t->spec, NULL, err) < 0 || check_confinement(r, err) < 0 ||
	    open_netns(r, err) < 0 || check_userns_reach(r, err) < 0)
		return -1;
	if ((r->version = ward_criu_version(r->ctx->criu, err)) < 0 || choose_nnp(r, err) < 0)
		return -1;
	/* Running already once restored: no exec fifo (status "running"). */
	unlinkat(r->t->st->dirfd, "exec.fifo", 0);
	return make_mountpoints(r, err) < 0 ? -1 : bind_root(r, err);
}

static int run_criu(struct rst *r, ward_err *err)
{
	struct ward_criu c;
	int fds[1] = {r->netns_fd};
	struct ward_criu_spawn s = {.binary = r->ctx->criu,
				    .fds = fds,
				    .n_fds = r->netns_fd >= 0 ? 1 : 0,
				    .no_new_privs = r->nnp};
	if (ward_criu_start(&c, &s, err) < 0)
		return -1;
	struct ward_pb o = {0}, req = {0};
	struct ward_criu_resp resp;
	/* In the cgroup before anything is restored: every task is born there. */
	int rc = ward_cgroup_enter(r->t->st->extra, c.pid, false, err);
	if (rc == 0)
		rc = restore_opts(r, c.pid, &o, err);
	if (rc == 0) {
		ward_pb_uint(&req, CRIU_REQ_F_TYPE, CRIU_REQ_RESTORE);
		ward_pb_msg(&req, CRIU_REQ_F_OPTS, &o);
		rc = ward_criu_call(&c, &req, on_notify, r, &resp, err);
		if (rc < 0 && !c.notify_failed)
			ward_criu_fail(err, r->workfd >= 0 ? r->workfd : r->imgfd, r->logdir,
				       "restore.log");
	}
	ward_pb_free(&o);
	ward_pb_free(&req);
	if (rc < 0) {
		ward_criu_kill(&c);
		return -1;
	}
	int st = ward_criu_stop(&c);
	if (st != 0)
		ward_warn("restore: criu exited with status %d after restoring", st);
	if (!r->restored)
		r->restored = resp.restore_pid;
	if (r->restored <= 0 || (resp.restore_pid && resp.restore_pid != r->restored))
		return ward_err_set(err, "criu did not report one restored tree (%d, %d)",
				    r->restored, resp.restore_pid);
	return verify_restored(r, err);
}

int ward_restore_spawn(const struct ward_ctx *ctx, const struct ward_create_opts *o,
		       struct ward_restore_target *t, ward_err *err)
{
	struct rst r = {.ctx = ctx,
			.o = o,
			.t = t,
			.imgfd = -1,
			.workfd = -1,
			.netns_fd = -1,
			.pty_master = -1};
	int rc = prepare(&r, err);
	if (rc == 0)
		rc = run_criu(&r, err);
	unbind_root(&r);
	if (rc == 0) {
		t->pid = r.restored;
		t->pidfd = pidfd_open(r.restored, 0);
		if (t->pidfd < 0)
			rc = ward_err_sys(err, errno, "pidfd_open %d", r.restored);
		else
			t->pty_master = steal_fd(&r.pty_master);
	}
	if (rc < 0 && r.restored > 0 && t->pidfd < 0) {
		/* Our child (rst_sibling), which create's undo does not know of. */
		kill(r.restored, SIGKILL);
		while (waitpid(r.restored, NULL, __WALL) < 0 && errno == EINTR)
			;
	}
	if (r.pty_master >= 0)
		close(r.pty_master);
	json_decref(r.rec);
	int fds[] = {r.imgfd, r.workfd, r.netns_fd};
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return rc;
}

int ward_container_restore(const struct ward_ctx *ctx, const struct ward_create_opts *o,
			   bool detach, int *exit_code, ward_err *err)
{
	/* The images first: a wrong --image-path should not cost a cgroup. */
	const char *img = o->restore->image_path ? o->restore->image_path : WARD_CRIU_IMAGES;
	_cleanup_close_ int fd = ward_criu_dir(img, "--image-path", false, err);
	json_t *rec = fd >= 0 ? load_record(fd, img, err) : NULL;
	if (!rec)
		return ward_err_wrap(err, "restore %s", o->id);
	json_decref(rec);
	return ward_container_run(ctx, o, detach, false, exit_code, err);
}
