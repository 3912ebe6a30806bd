/* Placement in cgroups. Layouts: v2 (/sys/fs/cgroup is cgroup2), v1 (one
 * mount per controller under /sys/fs/cgroup), hybrid (v1 controllers plus a
 * cgroup2 mount, often at /sys/fs/cgroup/unified). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "../linux/linux.h"
#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/log.h"
#include "../util/rootless.h"
#include "cgroup.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

const char *ward_cgroup_layout_name(enum ward_cgroup_layout l)
{
	static const char *const n[] = {"v1", "v2", "hybrid", "none"};
	return n[l];
}

struct hierarchy {
	char mountpoint[512];
	char controllers[256]; /* "" for cgroup2 */
	bool v2;
};

/* Every cgroup mount directly under /sys/fs/cgroup (or the v2 root itself). */
static size_t hierarchies(struct hierarchy *h, size_t max)
{
	_cleanup_file_ FILE *mi = fopen("/proc/self/mountinfo", "re");
	if (!mi)
		return 0;
	size_t n = 0;
	char line[4096];
	while (n < max && fgets(line, sizeof(line), mi)) {
		char mp[512], fstype[64], opts[1024];
		char *sep = strstr(line, " - ");
		if (!sep || sscanf(line, "%*s %*s %*s %*s %511s", mp) != 1 ||
		    sscanf(sep + 3, "%63s %*s %1023s", fstype, opts) != 2)
			continue;
		bool v2 = strcmp(fstype, "cgroup2") == 0;
		if (!v2 && strcmp(fstype, "cgroup") != 0)
			continue;
		if (strcmp(mp, "/sys/fs/cgroup") != 0 &&
		    (strncmp(mp, "/sys/fs/cgroup/", 15) != 0 || strchr(mp + 15, '/')))
			continue;
		struct hierarchy *e = &h[n];
		memset(e, 0, sizeof(*e));
		snprintf(e->mountpoint, sizeof(e->mountpoint), "%s", mp);
		e->v2 = v2;
		if (!v2) {
			char *save = NULL;
			for (char *o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
				if (!strcmp(o, "rw") || !strcmp(o, "ro") || !strncmp(o, "release_agent", 13) ||
				    !strcmp(o, "clone_children") || !strcmp(o, "xattr") ||
				    !strcmp(o, "noprefix") || !strcmp(o, "cpuset_v2_mode"))
					continue;
				size_t l = strlen(e->controllers);
				snprintf(e->controllers + l, sizeof(e->controllers) - l, "%s%s",
					 l ? "," : "", o);
			}
		}
		n++;
	}
	return n;
}

static enum ward_cgroup_layout layout_of(const struct hierarchy *h, size_t n)
{
	bool v1 = false, v2 = false;
	for (size_t i = 0; i < n; i++) {
		if (h[i].v2)
			v2 = true;
		else if (strncmp(h[i].controllers, "name=", 5) != 0)
			v1 = true;
	}
	if (v1 && v2)
		return WARD_CG_HYBRID;
	return v1 ? WARD_CG_V1 : v2 ? WARD_CG_V2 : WARD_CG_NONE;
}

/* The layout, and the hierarchies unless it is pure v2 or none (*n = 0):
 * /proc/self/mountinfo is read at most once. */
static enum ward_cgroup_layout detect(struct hierarchy *h, size_t max, size_t *n)
{
	*n = 0;
	struct statfs fs;
	if (statfs("/sys/fs/cgroup", &fs) < 0)
		return WARD_CG_NONE;
	*n = hierarchies(h, max);
	if (fs.f_type == CGROUP2_SUPER_MAGIC)
		return WARD_CG_V2;
	return layout_of(h, *n);
}

enum ward_cgroup_layout ward_cgroup_layout(void)
{
	struct hierarchy h[32];
	size_t n;
	return detect(h, 32, &n);
}

int ward_cgroup_own_path_in(const char *text, const char *controllers, char *out, size_t len)
{
	for (const char *line = text; line && *line;) {
		const char *eol = strchr(line, '\n');
		size_t ll = eol ? (size_t)(eol - line) : strlen(line);
		const char *c1 = memchr(line, ':', ll);
		const char *c2 = c1 ? memchr(c1 + 1, ':', ll - (size_t)(c1 + 1 - line)) : NULL;
		if (c2) {
			size_t cl = (size_t)(c2 - c1 - 1);
			bool match = *controllers ? (cl == strlen(controllers) &&
						     strncmp(c1 + 1, controllers, cl) == 0)
						  : (c1 - line == 1 && line[0] == '0' && cl == 0);
			if (match) {
				snprintf(out, len, "%.*s", (int)(ll - (size_t)(c2 + 1 - line)), c2 + 1);
				return 0;
			}
		}
		line = eol ? eol + 1 : NULL;
	}
	return -1;
}

int ward_cgroup_own_path(const char *controllers, char *out, size_t len)
{
	_cleanup_free_ char *text = NULL;
	ward_err e;
	if (ward_read_file_at(AT_FDCWD, "/proc/self/cgroup", &text, NULL, &e) < 0)
		return -1;
	return ward_cgroup_own_path_in(text, controllers, out, len);
}

static int own_path(const struct hierarchy *h, char *out, size_t len)
{
	return ward_cgroup_own_path(h->v2 ? "" : h->controllers, out, len);
}

/* Where containers without a cgroupsPath go: /ward, or the one path
 * component in WARD_CGROUP_PARENT (test runs side by side use their own). */
static const char *default_parent(void)
{
	const char *p = getenv("WARD_CGROUP_PARENT");
	if (!p || !*p || strcmp(p, ".") == 0 || strcmp(p, "..") == 0 || strlen(p) > 64)
		return "ward";
	for (const char *c = p; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '-' || *c == '_' || *c == '.'))
			return "ward";
	return p;
}

/* cgroupsPath: absolute is below the hierarchy root; relative is below our
 * own cgroup; absent is /ward/<id> (runc uses the bare id). The path is
 * cleaned lexically first, as runc does: ".." cannot climb out of the
 * hierarchy ("/../../tmp/x" is the cgroup /tmp/x, not the directory /tmp/x
 * of the host) nor, for a relative path, above our own cgroup. */
static void container_rel_path(const struct ward_spec *spec, const char *id,
			       const struct hierarchy *h, char *out, size_t len)
{
	const char *cp = spec->lx.cgroups_path;
	char clean[2048];
	if (cp && *cp) {
		snprintf(clean, sizeof(clean), "%s", cp);
		ward_path_clean(clean);
		cp = clean;
	}
	if (!cp || !*cp) {
		snprintf(out, len, "/%s/%s", default_parent(), id);
		return;
	}
	if (cp[0] == '/') {
		snprintf(out, len, "%s", cp);
		return;
	}
	char own[2048] = "/";
	own_path(h, own, sizeof(own));
	snprintf(out, len, "%s%s%s", own, own[strlen(own) - 1] == '/' ? "" : "/", cp);
}

/* A new v1 cpuset cgroup starts with empty cpus/mems, and nothing can join
 * it until they are copied from the parent. A copy that fails is an error
 * of its own: the join would fail later with the kernel's ENOSPC. */
static int cpuset_inherit(const char *dir, ward_err *err)
{
	static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		char path[4200], parent[4200];
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		_cleanup_free_ char *cur = NULL;
		if (ward_read_file_at(AT_FDCWD, path, &cur, NULL, err) < 0)
			return ward_err_wrap(err, "cgroup %s", dir);
		if (cur[0] != '\n' && cur[0] != '\0')
			continue;
		snprintf(parent, sizeof(parent), "%s", dir);
		char *slash = strrchr(parent, '/');
		if (!slash)
			continue;
		snprintf(slash, sizeof(parent) - (size_t)(slash - parent), "/%s", files[i]);
		_cleanup_free_ char *pv = NULL;
		if (ward_read_file_at(AT_FDCWD, parent, &pv, NULL, err) < 0)
			return ward_err_wrap(err, "cgroup %s: inherit %s", dir, files[i]);
		if (pv[0] == '\n' || pv[0] == '\0') {
			/* A parent made by a create that failed to fill it: now. */
			*slash = '\0';
			/* (ends at the hierarchy's root, whose sets are never empty) */
			if (strlen(parent) <= strlen("/sys/fs/cgroup/") ||
			    !strchr(parent + strlen("/sys/fs/cgroup/"), '/'))
				return ward_err_set(err, "cgroup %s: its parent has no %s", dir,
						    files[i]);
			if (cpuset_inherit(parent, err) < 0)
				return -1;
			free(pv);
			pv = NULL;
			*slash = '/';
			if (ward_read_file_at(AT_FDCWD, parent, &pv, NULL, err) < 0)
				return ward_err_wrap(err, "cgroup %s: inherit %s", dir, files[i]);
		}
		if (ward_write_file_at(AT_FDCWD, path, pv, strlen(pv), err) < 0)
			return ward_err_wrap(err, "cgroup %s: inherit %s", dir, files[i]);
	}
	return 0;
}

/* *existed: the cgroup was there already (maybe another container's). */
/* A cgroup this create made a moment ago and cannot use: removed unless
 * another create has claimed it since (see claim()). */
static void unmake(const char *dir)
{
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0)
		return;
	rmdir(dir);
}

static int mkdir_cgroup(const char *dir, bool cpuset, bool *existed, ward_err *err)
{
	char buf[4200];
	snprintf(buf, sizeof(buf), "%s", dir);
	*existed = false;
	/* Usually the parents exist: one mkdir. */
	int made = mkdir(buf, 0755);
	if (made != 0 && errno == ENOENT) {
		/* Create every level below the mount point, each inheriting cpusets. */
		for (char *p = buf + strlen("/sys/fs/cgroup/"); *p; p++) {
			if (*p != '/')
				continue;
			*p = '\0';
			if (mkdir(buf, 0755) == 0) {
				if (cpuset && cpuset_inherit(buf, err) < 0)
					return -1;
			} else if (errno != EEXIST && errno != 0 && access(buf, F_OK) != 0) {
				return ward_err_sys(err, errno, "create cgroup %s", buf);
			}
			*p = '/';
		}
		made = mkdir(buf, 0755);
	}
	if (made != 0 && errno != EEXIST)
		return ward_err_sys(err, errno, "create cgroup %s", buf);
	*existed = made != 0;
	if (cpuset && cpuset_inherit(buf, err) < 0) {
		if (!*existed)
			unmake(buf);
		return -1;
	}
	return 0;
}

/* cgroup v2: a controller works in a cgroup only if every ancestor enables
 * it for its children (cgroup.subtree_control). Enable what the root offers,
 * top down, and report what our cgroup ends up with (comma-separated). */
static void enable_v2_controllers(const char *mount, const char *dir, char *out, size_t len)
{
	ward_err e;
	_cleanup_free_ char *avail = NULL;
	char path[4300];
	snprintf(path, sizeof(path), "%s/cgroup.controllers", mount);
	if (ward_read_file_at(AT_FDCWD, path, &avail, NULL, &e) < 0)
		return;
	char cmd[512] = "";
	size_t o = 0;
	char *save = NULL;
	for (char *c = strtok_r(avail, " \n", &save); c; c = strtok_r(NULL, " \n", &save))
		o += (size_t)snprintf(cmd + o, sizeof(cmd) - o, "%s+%s", o ? " " : "", c);
	char cur[4300];
	snprintf(cur, sizeof(cur), "%s", dir);
	/* Walk from the mount point down to dir's parent. */
	size_t mlen = strlen(mount);
	for (char *p = cur + mlen; p && *p;) {
		char saved = *p;
		*p = '\0';
		snprintf(path, sizeof(path), "%s/cgroup.subtree_control", cur);
		if (o && ward_write_file_at(AT_FDCWD, path, cmd, o, &e) < 0) {
			/* One at a time: a controller the kernel refuses must not block the rest. */
			char *s2 = NULL;
			_cleanup_free_ char *copy = strdup(cmd);
			for (char *c = strtok_r(copy, " ", &s2); c; c = strtok_r(NULL, " ", &s2))
				ward_write_file_at(AT_FDCWD, path, c, strlen(c), &e);
		}
		*p = saved;
		p = strchr(p + 1, '/');
	}
	/* What our parent enabled is what we have. */
	snprintf(cur, sizeof(cur), "%s", dir);
	char *slash = strrchr(cur, '/');
	if (slash)
		*slash = '\0';
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", cur);
	_cleanup_free_ char *have = NULL;
	out[0] = '\0';
	if (ward_read_file_at(AT_FDCWD, path, &have, NULL, &e) < 0)
		return;
	size_t w = 0;
	save = NULL;
	for (char *c = strtok_r(have, " \n", &save); c; c = strtok_r(NULL, " \n", &save))
		w += (size_t)snprintf(out + w, len - w, "%s%s", w ? "," : "", c);
}

struct pid_list {
	pid_t *v;
	size_t n, cap;
	ward_err *err;
};
static int collect_pids(const char *dir, int depth, void *arg);

/* Processes in dir or in a cgroup below it (where a nested runtime puts
 * them: the dir's own cgroup.procs is then empty). */
static bool cgroup_in_use(const char *dir)
{
	ward_err e = {0};
	struct pid_list l = {.err = &e};
	int r = collect_pids(dir, 0, &l);
	free(l.v);
	return r < 0 || l.n > 0;
}

int ward_cgroup_plan(const struct ward_spec *spec, const char *id, json_t *extra, ward_err *err)
{
	struct hierarchy h[32];
	size_t n;
	enum ward_cgroup_layout layout = detect(h, 32, &n);
	json_t *cg = json_pack("{s:s, s:[], s:[]}", "layout", ward_cgroup_layout_name(layout),
			       "dirs", "planned");
	if (!cg)
		return ward_err_sys(err, ENOMEM, "linux.cgroupsPath");
	json_object_set_new(extra, "cgroup", cg);
	if (layout == WARD_CG_NONE)
		return 0;
	json_t *planned = json_object_get(cg, "planned");
	for (size_t i = 0; i < n; i++) {
		if (layout == WARD_CG_V2 && !h[i].v2)
			continue;
		char rel[2048], dir[4200];
		container_rel_path(spec, id, &h[i], rel, sizeof(rel));
		snprintf(dir, sizeof(dir), "%s%s", h[i].mountpoint, rel);
		size_t dl = strlen(dir);
		while (dl > 1 && dir[dl - 1] == '/')
			dir[--dl] = '\0';
		json_array_append_new(planned, json_pack("{s:s, s:s, s:s, s:b}", "path", dir, "mount",
							 h[i].mountpoint, "controllers",
							 h[i].controllers, "v2", h[i].v2));
	}
	return 0;
}

/* The first cgroup create makes (or adopts) is claimed with flock for the
 * whole create, before it is checked for processes: of two creates on one
 * cgroupsPath, the one that holds it goes on, the other fails here without
 * having made or removed anything of the winner's. (An empty cgroup has no
 * process to show it is taken until the winner's init joins it.) */
static int claim(const char *dir, int *claim_fd, ward_err *err)
{
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return ward_err_sys(err, errno, "open cgroup %s", dir);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			return ward_err_set(err, "cgroup %s is being set up by another create",
					    dir);
		return ward_err_sys(err, errno, "lock cgroup %s", dir);
	}
	/* Removed (a failed create's undo) and maybe made again since we
	 * opened it: ours is the one at the path now, or none. */
	struct stat a, b;
	if (fstat(fd, &a) < 0 || stat(dir, &b) < 0 || a.st_ino != b.st_ino || a.st_dev != b.st_dev)
		return ward_err_set(err, "cgroup %s was removed by another create", dir);
	*claim_fd = steal_fd(&fd);
	return 0;
}

int ward_cgroup_create(json_t *extra, int *claim_fd, ward_err *err)
{
	json_t *cg = json_object_get(extra, "cgroup");
	json_t *dirs = json_object_get(cg, "dirs");
	json_t *planned = json_object_get(cg, "planned");
	size_t i;
	json_t *p;
	*claim_fd = -1;
	json_array_foreach(planned, i, p)
	{
		const char *dir = json_string_value(json_object_get(p, "path"));
		const char *ctrl = json_string_value(json_object_get(p, "controllers"));
		bool v2 = json_is_true(json_object_get(p, "v2"));
		bool existed;
		if (mkdir_cgroup(dir, strstr(ctrl, "cpuset") != NULL, &existed, err) < 0) {
			if (ward_running_rootless() &&
			    (err->errnum == EACCES || err->errnum == EPERM || err->errnum == EROFS)) {
				/* Rootless without delegation: run without a cgroup, as runc. */
				ward_debug("no cgroup for rootless container: %s", err->msg);
				ward_err_clear(err);
				continue;
			}
			ward_cgroup_destroy(extra, &(ward_err){0});
			return ward_err_wrap(err, "linux.cgroupsPath");
		}
		if (*claim_fd < 0 && claim(dir, claim_fd, err) < 0) {
			/* Another create's: it stays (we may have made it, the
			 * winner uses it). Ours (EMFILE...): removed. */
			if (!existed)
				unmake(dir);
			ward_cgroup_destroy(extra, &(ward_err){0});
			return ward_err_wrap(err, "linux.cgroupsPath");
		}
		/* Another container's cgroup (same id under another --root, or a
		 * cgroupsPath collision) must not be shared: kill --all and delete
		 * would reach its processes. (Not ours: it stays.) */
		if (existed && cgroup_in_use(dir)) {
			ward_cgroup_destroy(extra, &(ward_err){0});
			return ward_err_set(err, "linux.cgroupsPath: cgroup %s is in use by other "
						 "processes",
					    dir);
		}
		char enabled[256] = "";
		if (v2)
			enable_v2_controllers(json_string_value(json_object_get(p, "mount")), dir,
					      enabled, sizeof(enabled));
		json_t *d = json_pack("{s:s, s:s, s:b}", "path", dir, "controllers",
				      v2 ? enabled : ctrl, "v2", v2);
		json_array_append_new(dirs, d);
	}
	return 0;
}

void ward_cgroup_plan_done(json_t *extra)
{
	json_object_del(json_object_get(extra, "cgroup"), "planned");
}

/* After a create that died between planning and recording a cgroup: what
 * it may have made, removed only when empty (rmdir refuses otherwise) and
 * not claimed by a create going on now. Never signalled: it may be
 * another container's by now. */
void ward_cgroup_remove_planned(json_t *extra)
{
	json_t *cg = json_object_get(extra, "cgroup");
	json_t *planned = json_object_get(cg, "planned");
	size_t i;
	json_t *p;
	json_array_foreach(planned, i, p)
	{
		const char *dir = json_string_value(json_object_get(p, "path"));
		_cleanup_close_ int fd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
		if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0)
			continue;
		/* An init killed with its create (PDEATHSIG) may take a moment
		 * to leave; a cgroup in use for longer is not ours to take. */
		int r, tries = 0;
		while ((r = rmdir(dir)) < 0 && errno == EBUSY && ++tries < 40)
			nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL);
		if (r < 0 && errno != ENOENT)
			ward_debug("remove planned cgroup %s: %s", dir, strerror(errno));
	}
}

bool ward_cgroup_present(json_t *extra)
{
	json_t *dirs = json_object_get(json_object_get(extra, "cgroup"), "dirs");
	return json_array_size(dirs) > 0;
}

long ward_cgroup_clone3(json_t *extra, uint64_t flags, int *pidfd, bool *born_in_v2)
{
	bool v2 = false;
	const char *dir = ward_cgroup_dir_for(extra, NULL, &v2);
	int cgfd = dir && v2 ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	long pid = ward_clone3(flags, pidfd, cgfd);
	if (pid < 0 && cgfd >= 0) {
		/* A kernel or cgroup that refuses it: joined by cgroup.procs later. */
		ward_debug("clone3 into the cgroup: %s; joining it after clone", strerror(errno));
		close(cgfd);
		cgfd = -1;
		pid = ward_clone3(flags, pidfd, -1);
	}
	*born_in_v2 = pid > 0 && cgfd >= 0;
	if (pid > 0 && cgfd >= 0)
		close(cgfd); /* the child has it until its execve (O_CLOEXEC) */
	return pid;
}

int ward_cgroup_enter(json_t *extra, pid_t pid, bool skip_v2, ward_err *err)
{
	json_t *dirs = json_object_get(json_object_get(extra, "cgroup"), "dirs");
	size_t i;
	json_t *d;
	char buf[32];
	int len = snprintf(buf, sizeof(buf), "%d", pid);
	json_array_foreach(dirs, i, d)
	{
		if (skip_v2 && json_is_true(json_object_get(d, "v2")))
			continue;
		char path[4300];
		snprintf(path, sizeof(path), "%s/cgroup.procs",
			 json_string_value(json_object_get(d, "path")));
		if (ward_write_file_at(AT_FDCWD, path, buf, (size_t)len, err) < 0)
			return ward_err_wrap(err, "join cgroup");
	}
	return 0;
}

static bool list_has(const char *list, const char *word)
{
	size_t wl = strlen(word);
	for (const char *p = list; p && *p;) {
		const char *end = strchr(p, ',');
		size_t l = end ? (size_t)(end - p) : strlen(p);
		if (l == wl && strncmp(p, word, wl) == 0)
			return true;
		p = end ? end + 1 : NULL;
	}
	return false;
}

const char *ward_cgroup_dir_for(json_t *extra, const char *controller, bool *v2)
{
	json_t *dirs = json_object_get(json_object_get(extra, "cgroup"), "dirs");
	size_t i;
	json_t *d;
	const char *any = NULL;
	bool any_v2 = false;
	json_array_foreach(dirs, i, d)
	{
		const char *ctrl = json_string_value(json_object_get(d, "controllers"));
		const char *path = json_string_value(json_object_get(d, "path"));
		bool is_v2 = json_is_true(json_object_get(d, "v2"));
		if (controller && list_has(ctrl, controller)) {
			/* v1 wins on a hybrid host only if v2 does not have it. */
			if (v2)
				*v2 = is_v2;
			return path;
		}
		if (!any || (is_v2 && !any_v2)) {
			any = path;
			any_v2 = is_v2;
		}
	}
	if (controller)
		return NULL;
	if (v2)
		*v2 = any_v2;
	return any;
}

static const char *pick_dir(json_t *extra, const char *want)
{
	return ward_cgroup_dir_for(extra, want, NULL);
}

/* Call fn on every cgroup directly below dir (depth: how deep dir is). */
static int for_each_child(const char *dir, int depth, int (*fn)(const char *, int, void *),
			  void *arg)
{
	if (depth >= 32)
		return 0;
	_cleanup_dir_ DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		char sub[4300];
		snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name);
		if (fn(sub, depth + 1, arg) < 0)
			return -1;
	}
	return 0;
}

/* Append the pids of dir's cgroup.procs and of every cgroup below it (a
 * nested runtime makes child cgroups): runc's GetAllPids. */
static int collect_pids(const char *dir, int depth, void *arg)
{
	struct pid_list *l = arg;
	char path[4300];
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	_cleanup_free_ char *text = NULL;
	if (ward_read_file_at(AT_FDCWD, path, &text, NULL, l->err) < 0)
		return l->err->errnum == ENOENT ? (ward_err_clear(l->err), 0) : -1;
	for (char *p = text; *p;) {
		char *end;
		long pid = strtol(p, &end, 10);
		if (end == p)
			break;
		if (l->n == l->cap) {
			pid_t *nv = realloc(l->v, (l->cap = l->cap ? l->cap * 2 : 16) * sizeof(pid_t));
			if (!nv)
				return ward_err_sys(l->err, ENOMEM, "cgroup pids");
			l->v = nv;
		}
		l->v[l->n++] = (pid_t)pid;
		p = end;
		while (*p == '\n')
			p++;
	}
	return for_each_child(dir, depth, collect_pids, l);
}

int ward_cgroup_pids(json_t *extra, pid_t **pids, size_t *n, ward_err *err)
{
	*pids = NULL;
	*n = 0;
	const char *dir = pick_dir(extra, "pids");
	if (!dir)
		dir = pick_dir(extra, NULL);
	if (!dir)
		return 0;
	struct pid_list l = {.err = err};
	if (collect_pids(dir, 0, &l) < 0) {
		free(l.v);
		return -1;
	}
	*pids = l.v;
	*n = l.n;
	return 0;
}

int ward_cgroup_kill_all(json_t *extra, int sig, ward_err *err)
{
	_cleanup_free_ pid_t *pids = NULL;
	size_t n;
	if (ward_cgroup_pids(extra, &pids, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (kill(pids[i], sig) < 0 && errno != ESRCH)
			return ward_err_sys(err, errno, "kill %d", pids[i]);
	return 0;
}

/* Remove dir after the cgroups below it, deepest first. */
static int rmdir_tree(const char *dir, int depth, void *arg)
{
	for_each_child(dir, depth, rmdir_tree, arg);
	for (int tries = 0; tries < 50 && rmdir(dir) < 0 && errno == EBUSY; tries++) {
		struct timespec ts = {0, 5 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	return 0;
}

int ward_cgroup_destroy(json_t *extra, ward_err *err)
{
	json_t *dirs = json_object_get(json_object_get(extra, "cgroup"), "dirs");
	size_t i;
	json_t *d;
	int ret = 0;
	json_array_foreach(dirs, i, d)
	{
		const char *path = json_string_value(json_object_get(d, "path"));
		/* A process that just died may linger in the cgroup for a moment. */
		for (int tries = 0; tries < 200; tries++) {
			if (rmdir(path) == 0 || errno == ENOENT)
				break;
			if (errno != EBUSY) {
				ret = ward_err_sys(err, errno, "remove cgroup %s", path);
				break;
			}
			/* Cgroups made below ours (a runtime nested in the
			 * container) go first, deepest first: rmdir refuses a
			 * cgroup with children. Looked for only then. */
			if (tries == 0) {
				for_each_child(path, 0, rmdir_tree, NULL);
				continue;
			}
			struct timespec ts = {0, 5 * 1000 * 1000};
			nanosleep(&ts, NULL);
			if (tries == 199)
				ret = ward_err_sys(err, EBUSY, "remove cgroup %s", path);
		}
	}
	return ret;
}
