/* The "tmpcopyup" mount option (runc, crun): a tmpfs mounted over a directory
 * of the root filesystem starts with a copy of that directory's contents, so
 * `podman --read-only` keeps the image's /tmp, /run and /var/tmp, writable.
 *
 * The copy is made into the tmpfs while it is still detached (between fsmount
 * and move_mount): nobody sees a half-filled directory, and a read-only tmpfs
 * can still be filled. The source is the container's rootfs, so nothing in it
 * is trusted: every name is opened relative to its parent's fd with
 * O_NOFOLLOW, symlinks are recreated (never followed), a file is opened as
 * O_PATH and read through it only once fstat says it is regular (a name
 * swapped for a fifo or a device node is never opened for reading), and the
 * walk stays on the directory's own filesystem (it does not descend into
 * other mounts, such as an earlier bind mount below the directory). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/log.h"
#include "../util/rootless.h"
#include "linux.h"

/* Each level holds a few fds; deeper trees are refused, not truncated. */
#define COPYUP_MAX_DEPTH 128

struct copyup {
	const char *dest; /* the mount's destination, for messages */
	dev_t dev;	  /* the source directory's filesystem */
	char path[4096];  /* the entry being copied, relative to dest */
};

static int copy_dir(struct copyup *c, int src, int dst, int depth, ward_err *err);

/* Owner, then mode (chown clears set-id bits), then times. An id with no
 * mapping in the container's user namespace cannot be given: the copy keeps
 * the container's root as owner, as a file created there would. */
static int copy_meta(struct copyup *c, int dir, const char *name, const struct stat *st,
		     ward_err *err)
{
	const char *n = name ? name : "";
	int at = name ? AT_SYMLINK_NOFOLLOW : AT_EMPTY_PATH;
	if (fchownat(dir, n, st->st_uid, st->st_gid, at) < 0) {
		if (errno != EINVAL)
			return ward_err_sys(err, errno, "tmpcopyup %s%s: chown", c->dest, c->path);
		ward_debug("tmpcopyup %s%s: owner %u:%u is not mapped; kept the default", c->dest,
			   c->path, st->st_uid, st->st_gid);
	}
	if (!S_ISLNK(st->st_mode)) {
		int r = name ? fchmodat(dir, n, st->st_mode & 07777, 0) : fchmod(dir, st->st_mode & 07777);
		if (r < 0)
			return ward_err_sys(err, errno, "tmpcopyup %s%s: chmod", c->dest, c->path);
	}
	struct timespec times[2] = {st->st_atim, st->st_mtim};
	if ((name ? utimensat(dir, n, times, AT_SYMLINK_NOFOLLOW) : futimens(dir, times)) < 0)
		return ward_err_sys(err, errno, "tmpcopyup %s%s: set times", c->dest, c->path);
	return 0;
}

static int copy_data(int in, int out)
{
	for (;;) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 20, 0);
		if (n == 0)
			return 0;
		if (n > 0)
			continue;
		if (errno == EINTR)
			continue;
		if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
			return -1;
		break; /* no in-kernel copy between these filesystems: read and write */
	}
	char buf[65536];
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n == 0)
			return 0;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		for (ssize_t o = 0; o < n;) {
			ssize_t w = write(out, buf + o, (size_t)(n - o));
			if (w < 0) {
				if (errno == EINTR)
					continue;
				return -1;
			}
			o += w;
		}
	}
}

static int copy_file(struct copyup *c, int src, int dst, const char *name, ward_err *err)
{
	/* Opened for reading only once known to be a regular file: a name
	 * swapped for a device node is never opened (that alone can act). */
	_cleanup_close_ int path = openat(src, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (path < 0)
		return ward_err_sys(err, errno, "tmpcopyup %s%s: open", c->dest, c->path);
	struct stat st;
	if (fstat(path, &st) < 0)
		return ward_err_sys(err, errno, "tmpcopyup %s%s: stat", c->dest, c->path);
	if (!S_ISREG(st.st_mode))
		return ward_err_set(err, "tmpcopyup %s%s: changed while being copied", c->dest,
				    c->path);
	char self[64];
	snprintf(self, sizeof(self), "/proc/self/fd/%d", path);
	_cleanup_close_ int in = open(self, O_RDONLY | O_NOCTTY | O_CLOEXEC);
	if (in < 0)
		return ward_err_sys(err, errno, "tmpcopyup %s%s: open", c->dest, c->path);
	_cleanup_close_ int out =
		openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0)
		return ward_err_sys(err, errno, "tmpcopyup %s%s: create", c->dest, c->path);
	if (copy_data(in, out) < 0)
		return ward_err_sys(err, errno, "tmpcopyup %s%s: copy", c->dest, c->path);
	return copy_meta(c, out, NULL, &st, err);
}

static int copy_symlink(struct copyup *c, int src, int dst, const char *name,
			const struct stat *st, ward_err *err)
{
	char target[4096];
	ssize_t n = readlinkat(src, name, target, sizeof(target) - 1);
	if (n < 0)
		return ward_err_sys(err, errno, "tmpcopyup %s%s: readlink", c->dest, c->path);
	target[n] = '\0';
	if (symlinkat(target, dst, name) < 0)
		return ward_err_sys(err, errno, "tmpcopyup %s%s: symlink", c->dest, c->path);
	return copy_meta(c, dst, name, st, err);
}

static int copy_subdir(struct copyup *c, int src, int dst, const char *name,
		       const struct stat *st, int depth, ward_err *err)
{
	if (mkdirat(dst, name, 0700) < 0)
		return ward_err_sys(err, errno, "tmpcopyup %s%s: mkdir", c->dest, c->path);
	_cleanup_close_ int out = openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (out < 0)
		return ward_err_sys(err, errno, "tmpcopyup %s%s: open copy", c->dest, c->path);
	/* Another filesystem mounted below the directory is not the image's
	 * content: its mount point is copied as an empty directory. */
	if (st->st_dev == c->dev) {
		_cleanup_close_ int in =
			openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (in < 0)
			return ward_err_sys(err, errno, "tmpcopyup %s%s: open", c->dest, c->path);
		if (copy_dir(c, in, out, depth + 1, err) < 0)
			return -1;
	}
	/* Last: the times of a directory change while it is filled. */
	return copy_meta(c, out, NULL, st, err);
}

static bool in_user_namespace(void)
{
	_cleanup_free_ char *map = NULL;
	ward_err e;
	return ward_read_file_at(AT_FDCWD, "/proc/self/uid_map", &map, NULL, &e) == 0 &&
	       !ward_uid_map_is_initial(map);
}

static int copy_entry(struct copyup *c, int src, int dst, const char *name, int depth,
		      ward_err *err)
{
	struct stat st;
	if (fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return ward_err_sys(err, errno, "tmpcopyup %s%s: stat", c->dest, c->path);
	switch (st.st_mode & S_IFMT) {
	case S_IFREG:
		return copy_file(c, src, dst, name, err);
	case S_IFDIR:
		return copy_subdir(c, src, dst, name, &st, depth, err);
	case S_IFLNK:
		return copy_symlink(c, src, dst, name, &st, err);
	default: /* fifo, socket, device node */
		if (mknodat(dst, name, st.st_mode & (S_IFMT | 0600), st.st_rdev) < 0) {
			/* A user namespace may not make device nodes: the copy goes
			 * without it rather than the container not starting. */
			if (errno == EPERM && (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) &&
			    in_user_namespace()) {
				ward_warn("tmpcopyup %s%s: a device node cannot be made in a user "
					  "namespace; not copied",
					  c->dest, c->path);
				return 0;
			}
			return ward_err_sys(err, errno, "tmpcopyup %s%s: mknod", c->dest, c->path);
		}
		return copy_meta(c, dst, name, &st, err);
	}
}

static int copy_dir(struct copyup *c, int src, int dst, int depth, ward_err *err)
{
	if (depth > COPYUP_MAX_DEPTH)
		return ward_err_set(err, "tmpcopyup %s%s: directories nested deeper than %d levels",
				    c->dest, c->path, COPYUP_MAX_DEPTH);
	int fd = openat(src, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return ward_err_sys(err, errno, "tmpcopyup %s%s: open", c->dest, c->path);
	_cleanup_dir_ DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return ward_err_sys(err, errno, "tmpcopyup %s%s: read directory", c->dest, c->path);
	}
	size_t base = strlen(c->path);
	struct dirent *de;
	for (errno = 0; (de = readdir(d)); errno = 0) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (base + 1 + strlen(de->d_name) >= sizeof(c->path))
			return ward_err_set(err, "tmpcopyup %s%s/%s: path too long", c->dest,
					    c->path, de->d_name);
		snprintf(c->path + base, sizeof(c->path) - base, "/%s", de->d_name);
		if (copy_entry(c, src, dst, de->d_name, depth, err) < 0)
			return -1;
		c->path[base] = '\0';
	}
	if (errno)
		return ward_err_sys(err, errno, "tmpcopyup %s%s: read directory", c->dest, c->path);
	return 0;
}

/* Is "key=" among the comma-separated filesystem options? */
static bool data_has(const char *data, const char *key)
{
	size_t kl = strlen(key);
	for (const char *p = data; p && *p;) {
		if (strncmp(p, key, kl) == 0)
			return true;
		p = strchr(p, ',');
		p = p ? p + 1 : NULL;
	}
	return false;
}

int ward_tmpfs_copyup(int rootfd, const struct ward_mount *m, int mnt, ward_err *err)
{
	struct copyup c = {.dest = m->destination};
	_cleanup_close_ int src =
		ward_open_in_root(rootfd, m->destination, O_RDONLY | O_DIRECTORY, 0, err);
	if (src < 0)
		return ward_err_wrap(err, "tmpcopyup");
	_cleanup_close_ int dst = openat(mnt, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dst < 0)
		return ward_err_sys(err, errno, "tmpcopyup %s: open the new tmpfs", c.dest);
	struct stat st;
	if (fstat(src, &st) < 0)
		return ward_err_sys(err, errno, "tmpcopyup %s: stat", c.dest);
	c.dev = st.st_dev;
	if (copy_dir(&c, src, dst, 0, err) < 0)
		return -1;
	/* The tmpfs root takes the directory's owner and mode, unless the mount
	 * options set them (mode=, uid=, gid=). */
	if (data_has(m->data, "mode="))
		st.st_mode = 0;
	uid_t uid = data_has(m->data, "uid=") ? (uid_t)-1 : st.st_uid;
	gid_t gid = data_has(m->data, "gid=") ? (gid_t)-1 : st.st_gid;
	if (fchown(dst, uid, gid) < 0 && errno != EINVAL)
		return ward_err_sys(err, errno, "tmpcopyup %s: chown", c.dest);
	if (st.st_mode && fchmod(dst, st.st_mode & 07777) < 0)
		return ward_err_sys(err, errno, "tmpcopyup %s: chmod", c.dest);
	return 0;
}
