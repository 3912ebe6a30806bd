/* One mount of config.json, done with the new mount API: the mount is built
 * detached (open_tree / fsopen+fsmount), given its attributes, and attached
 * with move_mount onto a destination fd resolved inside the root. No path the
 * container controls is ever handed to mount(2) as a string. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "../cgroup/cgroup.h"
#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/log.h"
#include "linux.h"

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

/* MS_* per-mount flags -> MOUNT_ATTR_*. */
static void flags_to_attr(unsigned long set, unsigned long clr, uint64_t *attr_set,
			  uint64_t *attr_clr)
{
	static const struct {
		unsigned long ms;
		uint64_t attr;
	} map[] = {
		{MS_RDONLY, MOUNT_ATTR_RDONLY},	    {MS_NOSUID, MOUNT_ATTR_NOSUID},
		{MS_NODEV, MOUNT_ATTR_NODEV},	    {MS_NOEXEC, MOUNT_ATTR_NOEXEC},
		{MS_NODIRATIME, MOUNT_ATTR_NODIRATIME}, {MS_NOSYMFOLLOW, MOUNT_ATTR_NOSYMFOLLOW},
	};
	for (size_t i = 0; i < ARRAY_SIZE(map); i++) {
		if (set & map[i].ms)
			*attr_set |= map[i].attr;
		else if (clr & map[i].ms)
			*attr_clr |= map[i].attr;
	}
	/* The atime modes are one field: setting one means clearing the field. */
	if (set & (MS_NOATIME | MS_STRICTATIME | MS_RELATIME)) {
		*attr_clr |= MOUNT_ATTR__ATIME;
		*attr_set |= (set & MS_NOATIME) ? MOUNT_ATTR_NOATIME
			   : (set & MS_STRICTATIME) ? MOUNT_ATTR_STRICTATIME
						    : MOUNT_ATTR_RELATIME;
	}
}

static int set_attr(int fd, bool recursive, uint64_t set, uint64_t clr, uint64_t propagation,
		    ward_err *err)
{
	if (!set && !clr && !propagation)
		return 0;
	struct mount_attr a = {.attr_set = set, .attr_clr = clr, .propagation = propagation};
	if (set & MOUNT_ATTR__ATIME & ~MOUNT_ATTR_RELATIME)
		a.attr_clr |= MOUNT_ATTR__ATIME;
	if (mount_setattr(fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &a, sizeof(a)) < 0)
		return ward_err_sys(err, errno, "mount_setattr");
	return 0;
}

static uint64_t ms_propagation(unsigned long p)
{
	p &= ~(unsigned long)MS_REC;
	return p;
}

/* Attach a detached mount at dst (an fd from inside the root). */
static int attach(int tree, int dstfd, ward_err *err)
{
	if (move_mount(tree, "", dstfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return ward_err_sys(err, errno, "move_mount");
	return 0;
}

/* After attaching, propagation is set on the new mount (a detached tree has none). */
static int set_propagation_at(int rootfd, const char *dest, unsigned long prop, ward_err *err)
{
	if (!prop)
		return 0;
	_cleanup_close_ int fd = ward_open_in_root(rootfd, dest, O_PATH, 0, err);
	if (fd < 0)
		return -1;
	return set_attr(fd, (prop & MS_REC) != 0, 0, 0, ms_propagation(prop), err);
}

/* A bind tree (detached) gets the mount's attributes and goes onto dst. */
static int bind_attach(int rootfd, const struct ward_mount *m, int tree, int dst, ward_err *err)
{
	uint64_t set = 0, clr = 0;
	flags_to_attr(m->flags, m->clear_flags, &set, &clr);
	if (set_attr(tree, false, set, clr, 0, err) < 0)
		return -1;
	if ((m->rec_attr_set || m->rec_attr_clr) &&
	    set_attr(tree, true, m->rec_attr_set, m->rec_attr_clr, 0, err) < 0)
		return -1;
	if (attach(tree, dst, err) < 0)
		return -1;
	return set_propagation_at(rootfd, m->destination, m->propagation, err);
}

static int do_bind(int rootfd, const struct ward_mount *m, ward_err *err)
{
	struct stat st;
	if (stat(m->source, &st) < 0)
		return ward_err_sys(err, errno, "bind source %s", m->source);
	_cleanup_close_ int dst = ward_ensure_in_root(rootfd, m->destination, S_ISDIR(st.st_mode),
						      err);
	if (dst < 0)
		return -1;
	_cleanup_close_ int tree =
		open_tree(AT_FDCWD, m->source,
			  OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (m->rbind ? AT_RECURSIVE : 0));
	if (tree < 0)
		return ward_err_sys(err, errno, "open_tree %s", m->source);
	return bind_attach(rootfd, m, tree, dst, err);
}

int ward_mount_bind_tree(int rootfd, const struct ward_mount *m, size_t index, int tree,
			 ward_err *err)
{
	struct stat st;
	if (fstat(tree, &st) < 0)
		return ward_err_sys(err, errno, "mounts[%zu] %s: stat the idmapped tree", index,
				    m->destination);
	_cleanup_close_ int dst = ward_ensure_in_root(rootfd, m->destination, S_ISDIR(st.st_mode),
						      err);
	if (dst < 0 || bind_attach(rootfd, m, tree, dst, err) < 0)
		return ward_err_wrap(err, "config.json: mounts[%zu] %s", index, m->destination);
	return 0;
}

/* Read the messages the kernel left on an fs context: the real reason. */
static void fs_context_reason(int fsfd, char *buf, size_t len)
{
	buf[0] = '\0';
	char line[256];
	ssize_t n;
	size_t o = 0;
	while ((n = read(fsfd, line, sizeof(line) - 1)) > 0) {
		line[n] = '\0';
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == ' '))
			line[--n] = '\0';
		o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? "; " : "", line + 2);
		if (o >= len)
			break;
	}
}

/* The superblock flags among a mount's options (mount(2) takes them with
 * the per-mount ones; fsconfig by name). */
static int set_sb_flags(int fs, const char *type, unsigned long flags, ward_err *err)
{
	static const struct {
		unsigned long ms;
		const char *name;
	} sb[] = {{MS_SYNCHRONOUS, "sync"}, {MS_DIRSYNC, "dirsync"}, {MS_LAZYTIME, "lazytime"}};
	for (size_t i = 0; i < ARRAY_SIZE(sb); i++)
		if ((flags & sb[i].ms) && fsconfig(fs, FSCONFIG_SET_FLAG, sb[i].name, NULL, 0) < 0)
			return ward_err_sys(err, errno, "%s option \"%s\"", type, sb[i].name);
	return 0;
}

static int fs_create(const char *type, const char *source, const char *data, unsigned long flags,
		     const char *label, ward_err *err)
{
	_cleanup_close_ int fs = fsopen(type, FSOPEN_CLOEXEC);
	if (fs < 0)
		return ward_err_sys(err, errno, "fsopen %s", type);
	if (source && *source)
		fsconfig(fs, FSCONFIG_SET_STRING, "source", source, 0);
	if (set_sb_flags(fs, type, flags, err) < 0)
		return -1;
	if (data) {
		_cleanup_free_ char *copy = strdup(data);
		char *save = NULL;
		for (char *opt = strtok_r(copy, ",", &save); opt; opt = strtok_r(NULL, ",", &save)) {
			char *eq = strchr(opt, '=');
			int r;
			if (eq) {
				*eq = '\0';
				r = fsconfig(fs, FSCONFIG_SET_STRING, opt, eq + 1, 0);
			} else {
				r = fsconfig(fs, FSCONFIG_SET_FLAG, opt, NULL, 0);
			}
			if (r < 0) {
				int e = errno;
				char why[256];
				fs_context_reason(fs, why, sizeof(why));
				if (eq)
					*eq = '=';
				return ward_err_sys(err, e, "%s option \"%s\"%s%s", type, opt,
						    *why ? ": " : "", why);
			}
		}
	}
	if (label && *label && fsconfig(fs, FSCONFIG_SET_STRING, "context", label, 0) < 0)
		return ward_err_sys(err, errno, "%s: mount label", type);
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
		int e = errno;
		char why[256];
		fs_context_reason(fs, why, sizeof(why));
		return ward_err_sys(err, e, "create %s filesystem%s%s", type, *why ? ": " : "", why);
	}
	int mnt = fsmount(fs, FSMOUNT_CLOEXEC, 0);
	if (mnt < 0)
		return ward_err_sys(err, errno, "fsmount %s", type);
	return mnt;
}

/* cgroup v1/hybrid: a tmpfs holding each hierarchy's view of our cgroup. */
static int mount_cgroup_v1(int rootfd, const struct ward_mount *m, bool cgroupns, ward_err *err);

static int cgroup_hierarchy(int dst, const char *mp, const char *ctrls, bool v2, bool cgroupns,
			    const char *self_cgroup, bool rdonly, ward_err *err);

static bool host_cgroup2_unified(void)
{
	struct stat st;
	return stat("/sys/fs/cgroup/cgroup.controllers", &st) == 0;
}

/* CVE-2019-16884, CVE-2023-28642: procfs and sysfs go on a real directory
 * at their path, never through a symlink the image planted, even one that
 * stays inside the root: /proc pointing at a volume, or at /, would put the
 * kernel's files (and the LSM attributes written through /proc) elsewhere. */
static int kernel_fs_dest(int rootfd, const struct ward_mount *m, ward_err *err)
{
	int fd = ward_mkdir_p_in_root_nofollow(rootfd, m->destination, 0755, err);
	if (fd >= 0)
		return fd;
	if (err->errnum == ELOOP)
		return ward_err_set(err, "%s must be mounted on a real directory: %s is or goes "
					 "through a symlink in the root filesystem",
				    m->type, m->destination);
	if (err->errnum == ENOTDIR)
		return ward_err_set(err, "%s must be mounted on a real directory: %s is not one",
				    m->type, m->destination);
	return -1;
}

static int do_fs(int rootfd, const struct ward_mount *m, const char *mount_label, bool cgroupns,
		 ward_err *err)
{
	const char *type = m->type;
	if (strcmp(type, "cgroup") == 0 || strcmp(type, "cgroup2") == 0) {
		if (!host_cgroup2_unified())
			return mount_cgroup_v1(rootfd, m, cgroupns, err);
		if (!cgroupns) {
			/* Without a cgroup namespace a fresh mount would show the host's
			 * whole tree: bind our own cgroup instead. */
			_cleanup_close_ int d = ward_mkdir_p_in_root(rootfd, m->destination, 0755, err);
			_cleanup_free_ char *self_cgroup = NULL;
			ward_err ignored;
			ward_read_file_at(AT_FDCWD, "/proc/self/cgroup", &self_cgroup, NULL, &ignored);
			if (d < 0 || cgroup_hierarchy(d, "/sys/fs/cgroup", "", true, false, self_cgroup,
						      m->flags & MS_RDONLY, err) < 0)
				return -1;
			return 0;
		}
		type = "cgroup2";
	}
	bool kernel_fs = !strcmp(type, "proc") || !strcmp(type, "sysfs");
	_cleanup_close_ int dst = kernel_fs ? kernel_fs_dest(rootfd, m, err)
					    : ward_mkdir_p_in_root(rootfd, m->destination, 0755, err);
	if (dst < 0)
		return -1;
	/* linux.mountLabel goes on the filesystems that take an SELinux context.
	 * Not mqueue: the kernel made its superblock with the IPC namespace, and
	 * a second mount asking for other security settings is EINVAL ("same
	 * superblock, different security settings"). Its root is relabelled
	 * instead, as runc does, where the policy allows it: Linux 6.1 refuses
	 * that too under some policies, and a queue directory with the
	 * default label confines no less. */
	bool labelled = !strcmp(type, "tmpfs") || !strcmp(type, "devpts");
	_cleanup_close_ int mnt =
		fs_create(type, m->source, m->data, m->flags, labelled ? mount_label : NULL, err);
	if (mnt < 0)
		return -1;
	if (!strcmp(type, "mqueue") && mount_label && *mount_label) {
		char root[64]; /* fsmount's fd is O_PATH: set the label through the path */
		snprintf(root, sizeof(root), "/proc/self/fd/%d", mnt);
		if (setxattr(root, "security.selinux", mount_label, strlen(mount_label) + 1, 0) < 0)
			ward_debug("%s: mqueue keeps its default label (%s)", m->destination,
				   strerror(errno));
	}
	/* Filled while detached, before "ro" or any other attribute applies. */
	if (m->tmpcopyup && ward_tmpfs_copyup(rootfd, m, mnt, err) < 0)
		return -1;
	uint64_t set = 0, clr = 0;
	flags_to_attr(m->flags, m->clear_flags, &set, &clr);
	if (set_attr(mnt, false, set, clr, 0, err) < 0)
		return -1;
	if (attach(mnt, dst, err) < 0)
		return -1;
	return set_propagation_at(rootfd, m->destination, m->propagation, err);
}

/* One hierarchy's view at dst: inside a private cgroup namespace a fresh
 * mount (the kernel roots it at the namespace root); without one, a bind of
 * the host directory of our own cgroup. */
static int cgroup_hierarchy(int dst, const char *mp, const char *ctrls, bool v2, bool cgroupns,
			    const char *self_cgroup, bool rdonly, ward_err *err)
{
	_cleanup_close_ int tree = -1;
	if (cgroupns) {
		_cleanup_close_ int fs = fsopen(v2 ? "cgroup2" : "cgroup", FSOPEN_CLOEXEC);
		if (fs < 0)
			return ward_err_sys(err, errno, "fsopen cgroup");
		fsconfig(fs, FSCONFIG_SET_STRING, "source", "cgroup", 0);
		_cleanup_free_ char *copy = strdup(ctrls);
		char *save = NULL;
		for (char *o = strtok_r(copy, ",", &save); !v2 && o; o = strtok_r(NULL, ",", &save)) {
			char *eq = strchr(o, '=');
			int r;
			if (eq) {
				*eq = '\0';
				r = fsconfig(fs, FSCONFIG_SET_STRING, o, eq + 1, 0);
			} else {
				r = fsconfig(fs, FSCONFIG_SET_FLAG, o, NULL, 0);
			}
			if (r < 0)
				return ward_err_sys(err, errno, "cgroup option %s", o);
		}
		if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
			return ward_err_sys(err, errno, "create cgroup filesystem %s", ctrls);
		tree = fsmount(fs, FSMOUNT_CLOEXEC, 0);
		if (tree < 0)
			return ward_err_sys(err, errno, "fsmount cgroup %s", ctrls);
	} else {
		char own[2048], src[4200];
		/* Never fall back to "/": that would show the host's whole tree. */
		if (!self_cgroup ||
		    ward_cgroup_own_path_in(self_cgroup, v2 ? "" : ctrls, own, sizeof(own)) < 0)
			return ward_err_set(err, "cgroup %s: /proc/self/cgroup does not say where "
						 "the container's cgroup is",
					    mp);
		snprintf(src, sizeof(src), "%s%s", mp, own);
		tree = open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
		if (tree < 0)
			return ward_err_sys(err, errno, "bind %s", src);
	}
	if (set_attr(tree, false,
		     MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC |
			     (rdonly ? MOUNT_ATTR_RDONLY : 0),
		     0, 0, err) < 0)
		return -1;
	return attach(tree, dst, err);
}

static int mount_cgroup_v1(int rootfd, const struct ward_mount *m, bool cgroupns, ward_err *err)
{
	_cleanup_close_ int dst = ward_mkdir_p_in_root(rootfd, m->destination, 0755, err);
	if (dst < 0)
		return -1;
	_cleanup_close_ int tmp = fs_create("tmpfs", "cgroup", "mode=755,size=64k", 0, NULL, err);
	if (tmp < 0)
		return -1;
	uint64_t set = 0, clr = 0;
	flags_to_attr(m->flags & ~(unsigned long)MS_RDONLY, m->clear_flags, &set, &clr);
	if (set_attr(tmp, false, set, clr, 0, err) < 0 || attach(tmp, dst, err) < 0)
		return -1;

	_cleanup_file_ FILE *mi = fopen("/proc/self/mountinfo", "re");
	if (!mi)
		return ward_err_sys(err, errno, "open mountinfo");
	/* Without a cgroup namespace each hierarchy is a bind of our own cgroup:
	 * /proc/self/cgroup says where, read once for all of them. */
	_cleanup_free_ char *self_cgroup = NULL;
	ward_err ignored;
	if (!cgroupns)
		ward_read_file_at(AT_FDCWD, "/proc/self/cgroup", &self_cgroup, NULL, &ignored);
	char line[4096];
	while (fgets(line, sizeof(line), mi)) {
		char mp[1024], fstype[64], opts[1024];
		char *sep = strstr(line, " - ");
		if (!sep || sscanf(line, "%*s %*s %*s %*s %1023s", mp) != 1 ||
		    sscanf(sep + 3, "%63s %*s %1023s", fstype, opts) != 2)
			continue;
		if (strncmp(mp, "/sys/fs/cgroup/", 15) != 0 || strchr(mp + 15, '/'))
			continue;
		bool v2 = strcmp(fstype, "cgroup2") == 0;
		if (!v2 && strcmp(fstype, "cgroup") != 0)
			continue;
		char ctrls[256] = "";
		if (!v2) {
			char *save = NULL;
			for (char *o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
				if (strcmp(o, "rw") == 0 || strcmp(o, "ro") == 0 ||
				    strncmp(o, "release_agent", 13) == 0 ||
				    strcmp(o, "clone_children") == 0 || strcmp(o, "xattr") == 0 ||
				    strcmp(o, "noprefix") == 0 || strcmp(o, "cpuset_v2_mode") == 0)
					continue;
				size_t l = strlen(ctrls);
				snprintf(ctrls + l, sizeof(ctrls) - l, "%s%s", l ? "," : "", o);
			}
		}
		/* The mount point, in the tmpfs we just made (nobody else can have
		 * put anything there): relative to its mount fd, no path walk. */
		const char *name = mp + 15;
		if (mkdirat(tmp, name, 0755) < 0 && errno != EEXIST)
			return ward_err_sys(err, errno, "mkdir %s/%s", m->destination, name);
		_cleanup_close_ int sub =
			openat(tmp, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			return ward_err_sys(err, errno, "open %s/%s", m->destination, name);
		if (cgroup_hierarchy(sub, mp, ctrls, v2, cgroupns, self_cgroup, m->flags & MS_RDONLY,
				     err) < 0) {
			ward_debug("cgroup mount: skip %s: %s", mp, err->msg);
			ward_err_clear(err);
			continue;
		}
	}
	if ((m->flags & MS_RDONLY) && set_attr(tmp, false, MOUNT_ATTR_RDONLY, 0, 0, err) < 0)
		return -1;
	return 0;
}

int ward_mount_one(int rootfd, const struct ward_mount *m, size_t index, const char *mount_label,
		   bool cgroupns, ward_err *err)
{
	int r = m->bind ? do_bind(rootfd, m, err) : do_fs(rootfd, m, mount_label, cgroupns, err);
	if (r < 0)
		return ward_err_wrap(err, "config.json: mounts[%zu] %s", index, m->destination);
	return 0;
}

int ward_mask_paths(int rootfd, int devnull_fd, char *const *paths, ward_err *err)
{
	for (size_t i = 0; paths && paths[i]; i++) {
		_cleanup_close_ int fd = ward_open_in_root(rootfd, paths[i], O_PATH, 0, err);
		if (fd < 0) {
			if (err->errnum == ENOENT)
				continue;
			return ward_err_wrap(err, "linux.maskedPaths[%zu]", i);
		}
		struct stat st;
		if (fstat(fd, &st) < 0)
			return ward_err_sys(err, errno, "linux.maskedPaths[%zu]: stat %s", i, paths[i]);
		_cleanup_close_ int tree = -1;
		if (S_ISDIR(st.st_mode)) {
			tree = fs_create("tmpfs", "tmpfs", "mode=000", 0, NULL, err);
			if (tree >= 0 && set_attr(tree, false, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
								MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
						  0, 0, err) < 0)
				return -1;
		} else {
			tree = open_tree(devnull_fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
								 AT_EMPTY_PATH);
			if (tree < 0)
				ward_err_sys(err, errno, "open_tree /dev/null");
		}
		if (tree < 0 || attach(tree, fd, err) < 0)
			return ward_err_wrap(err, "linux.maskedPaths[%zu] %s", i, paths[i]);
	}
	return 0;
}

int ward_readonly_paths(int rootfd, char *const *paths, ward_err *err)
{
	for (size_t i = 0; paths && paths[i]; i++) {
		_cleanup_close_ int fd = ward_open_in_root(rootfd, paths[i], O_PATH, 0, err);
		if (fd < 0) {
			if (err->errnum == ENOENT)
				continue;
			return ward_err_wrap(err, "linux.readonlyPaths[%zu]", i);
		}
		_cleanup_close_ int tree = open_tree(fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
								     AT_EMPTY_PATH | AT_RECURSIVE);
		if (tree < 0)
			return ward_err_sys(err, errno, "linux.readonlyPaths[%zu] %s: open_tree", i,
					    paths[i]);
		if (set_attr(tree, true, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
						 MOUNT_ATTR_NOEXEC,
			     0, 0, err) < 0 ||
		    attach(tree, fd, err) < 0)
			return ward_err_wrap(err, "linux.readonlyPaths[%zu] %s", i, paths[i]);
	}
	return 0;
}
