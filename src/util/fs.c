#include "fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"

static int open_resolved(int rootfd, const char *path, int flags, mode_t mode, uint64_t resolve,
			 ward_err *err)
{
	struct open_how how = {
		.flags = (unsigned long long)(flags | O_CLOEXEC),
		.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
		.resolve = resolve,
	};
	while (*path == '/')
		path++;
	if (*path == '\0')
		path = ".";
	int fd;
	do
		fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
	while (fd < 0 && errno == EAGAIN);
	if (fd < 0)
		return ward_err_sys(err, errno, "open %s", path);
	return fd;
}

#define IN_ROOT (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)

int ward_open_in_root(int rootfd, const char *path, int flags, mode_t mode, ward_err *err)
{
	return open_resolved(rootfd, path, flags, mode, IN_ROOT, err);
}

int ward_open_parent_in_root(int rootfd, const char *path, const char **base, ward_err *err)
{
	size_t len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		len--;
	_cleanup_free_ char *copy = strndup(path, len);
	if (!copy)
		return ward_err_sys(err, ENOMEM, "strdup");
	char *slash = strrchr(copy, '/');
	const char *last = slash ? slash + 1 : copy;
	if (*last == '\0' || strcmp(last, ".") == 0 || strcmp(last, "..") == 0)
		return ward_err_set(err, "%s: not a valid path for a file", path);
	*base = path + (last - copy);
	if (slash)
		*slash = '\0';
	return ward_mkdir_p_in_root(rootfd, slash ? copy : ".", 0755, err);
}

/* A dangling symlink on the way to a path that must exist: the path with
 * it replaced by its target (resolved inside the root), or NULL when name
 * (in the directory prefix) is no symlink. */
static char *through_link(int parent, const char *prefix, const char *name, const char *rest)
{
	char target[PATH_MAX];
	ssize_t n = readlinkat(parent, name, target, sizeof(target) - 1);
	if (n <= 0)
		return NULL;
	target[n] = '\0';
	char *out;
	int r = target[0] == '/' ? asprintf(&out, "%s%s", target, rest)
				 : asprintf(&out, "%s/%s%s", prefix, target, rest);
	return r < 0 ? NULL : out;
}

#define MAX_LINKS 40 /* the kernel's MAXSYMLINKS */

/* mkdir -p below rootfd, each prefix resolved afresh inside the root, so a
 * symlink swapped in between steps still cannot lead outside it. resolve:
 * IN_ROOT follows symlinks (inside the root), a dangling one too: its
 * target is made, as runc does; with RESOLVE_NO_SYMLINKS a symlink anywhere
 * on the path is ELOOP. */
static int mkdir_p(int rootfd, const char *path, mode_t mode, uint64_t resolve, int links,
		   ward_err *err)
{
	_cleanup_free_ char *buf = strdup(path);
	if (!buf)
		return ward_err_sys(err, ENOMEM, "strdup");
	int fd = open_resolved(rootfd, buf, O_PATH | O_DIRECTORY, 0, resolve, err);
	if (fd >= 0 || err->errnum != ENOENT)
		return fd;
	size_t len = strlen(buf);
	for (size_t i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		char saved = buf[i];
		buf[i] = '\0';
		_cleanup_close_ int cur = open_resolved(rootfd, buf, O_PATH | O_DIRECTORY, 0, resolve,
							err);
		if (cur < 0 && err->errnum == ENOENT) {
			char *slash = strrchr(buf, '/');
			const char *name = slash ? slash + 1 : buf;
			const char *prefix = slash && slash != buf ? buf : "/";
			if (slash)
				*slash = '\0';
			_cleanup_close_ int parent =
				open_resolved(rootfd, slash ? prefix : ".", O_PATH | O_DIRECTORY, 0,
					      resolve, err);
			_cleanup_free_ char *via = NULL;
			if (parent >= 0 && resolve == IN_ROOT) {
				buf[i] = saved;
				via = through_link(parent, prefix, name, buf + i);
				buf[i] = '\0';
			}
			if (slash)
				*slash = '/';
			if (parent < 0)
				return -1;
			if (via) {
				if (links >= MAX_LINKS)
					return ward_err_sys(err, ELOOP, "mkdir %s", path);
				return mkdir_p(rootfd, via, mode, resolve, links + 1, err);
			}
			if (mkdirat(parent, name, mode) < 0 && errno != EEXIST)
				return ward_err_sys(err, errno, "mkdir %s", buf);
			cur = open_resolved(rootfd, buf, O_PATH | O_DIRECTORY, 0, resolve, err);
		}
		if (cur < 0)
			return -1;
		buf[i] = saved;
		if (saved == '\0')
			return steal_fd(&cur);
	}
	return open_resolved(rootfd, buf, O_PATH | O_DIRECTORY, 0, resolve, err);
}

int ward_mkdir_p_in_root(int rootfd, const char *path, mode_t mode, ward_err *err)
{
	return mkdir_p(rootfd, path, mode, IN_ROOT, 0, err);
}

int ward_mkdir_p_in_root_nofollow(int rootfd, const char *path, mode_t mode, ward_err *err)
{
	return mkdir_p(rootfd, path, mode, IN_ROOT | RESOLVE_NO_SYMLINKS, 0, err);
}

static int ensure_file(int rootfd, const char *path, int links, ward_err *err)
{
	int fd = ward_open_in_root(rootfd, path, O_PATH, 0, err);
	if (fd >= 0 || err->errnum != ENOENT)
		return fd;
	const char *base;
	_cleanup_close_ int parent = ward_open_parent_in_root(rootfd, path, &base, err);
	if (parent < 0)
		return -1;
	_cleanup_free_ char *prefix = strndup(path, (size_t)(base - path));
	_cleanup_free_ char *via = prefix ? through_link(parent, prefix, base, "") : NULL;
	if (via) {
		if (links >= MAX_LINKS)
			return ward_err_sys(err, ELOOP, "create %s", path);
		return ensure_file(rootfd, via, links + 1, err);
	}
	/* O_PATH parent fds cannot be used with openat(O_CREAT); reopen it. */
	_cleanup_close_ int pdir = openat(parent, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pdir < 0)
		return ward_err_sys(err, errno, "open parent of %s", path);
	_cleanup_close_ int f = openat(pdir, base, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (f < 0 && errno != EEXIST)
		return ward_err_sys(err, errno, "create %s", path);
	return ward_open_in_root(rootfd, path, O_PATH, 0, err);
}

int ward_ensure_in_root(int rootfd, const char *path, bool dir, ward_err *err)
{
	if (dir)
		return ward_mkdir_p_in_root(rootfd, path, 0755, err);
	return ensure_file(rootfd, path, 0, err);
}

int ward_read_file_at(int dirfd, const char *path, char **out, size_t *len, ward_err *err)
{
	_cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ward_err_sys(err, errno, "open %s", path);
	if (ward_read_fd(fd, out, len, err) < 0)
		return ward_err_wrap(err, "%s", path);
	return 0;
}

int ward_read_fd(int fd, char **out, size_t *len, ward_err *err)
{
	size_t cap = 4096, n = 0;
	_cleanup_free_ char *buf = malloc(cap);
	if (!buf)
		return ward_err_sys(err, ENOMEM, "read");
	for (;;) {
		if (n + 1 >= cap) {
			char *nb = realloc(buf, cap *= 2);
			if (!nb)
				return ward_err_sys(err, ENOMEM, "read");
			buf = nb;
		}
		ssize_t r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return ward_err_sys(err, errno, "read");
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	if (len)
		*len = n;
	*out = steal_ptr(&buf);
	return 0;
}

int ward_write_file_at(int dirfd, const char *path, const char *data, size_t len, ward_err *err)
{
	_cleanup_close_ int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return ward_err_sys(err, errno, "open %s", path);
	while (len > 0) {
		ssize_t w = write(fd, data, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return ward_err_sys(err, errno, "write %s", path);
		data += w;
		len -= (size_t)w;
	}
	return 0;
}

int ward_write_atomic_at(int dirfd, const char *name, const char *data, size_t len, ward_err *err)
{
	char tmp[512];
	snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	_cleanup_close_ int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return ward_err_sys(err, errno, "create %s", tmp);
	while (len > 0) {
		ssize_t w = write(fd, data, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			int e = errno;
			unlinkat(dirfd, tmp, 0);
			return ward_err_sys(err, e, "write %s", tmp);
		}
		data += w;
		len -= (size_t)w;
	}
	/* Exchanged, then the old one unlinked: a rename over an existing
	 * file makes ext4 (auto_da_alloc) start writing the new one back, 1-1.5
	 * ms each time here, and create rewrites state.json as it goes. The
	 * name holds a whole file at every moment either way; a kill between
	 * the two calls leaves the old state in tmp, truncated by the next
	 * write. (No fsync: the promise is against a killed ward, not a power
	 * cut; /run is usually a tmpfs.) */
	struct stat old;
	if (fstatat(dirfd, name, &old, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(old.st_mode) &&
	    renameat2(dirfd, tmp, dirfd, name, RENAME_EXCHANGE) == 0) {
		unlinkat(dirfd, tmp, 0);
		return 0;
	}
	/* No old file, not a file (rename says why), or no exchange here. */
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		int e = errno;
		unlinkat(dirfd, tmp, 0);
		return ward_err_sys(err, e, "rename %s", name);
	}
	return 0;
}

static int rm_children(int dfd, dev_t dev, ward_err *err)
{
	int dup_fd = fcntl(dfd, F_DUPFD_CLOEXEC, 3);
	if (dup_fd < 0)
		return ward_err_sys(err, errno, "dup");
	_cleanup_dir_ DIR *d = fdopendir(dup_fd);
	if (!d) {
		close(dup_fd);
		return ward_err_sys(err, errno, "opendir");
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (de->d_type == DT_DIR) {
			_cleanup_close_ int sub =
				openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			struct stat st;
			if (sub >= 0 && fstat(sub, &st) == 0 && st.st_dev == dev &&
			    rm_children(sub, dev, err) < 0)
				return -1;
		}
		if (unlinkat(dfd, de->d_name, de->d_type == DT_DIR ? AT_REMOVEDIR : 0) < 0 &&
		    errno != ENOENT)
			return ward_err_sys(err, errno, "remove %s", de->d_name);
	}
	return 0;
}

int ward_rm_rf_open(int dirfd, const char *name, int fd, ward_err *err)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return ward_err_sys(err, errno, "stat %s", name);
	if (rm_children(fd, st.st_dev, err) < 0)
		return ward_err_wrap(err, "remove %s", name);
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return ward_err_sys(err, errno, "remove %s", name);
	return 0;
}

int ward_rm_rf_at(int dirfd, const char *name, ward_err *err)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return ward_err_sys(err, errno, "open %s", name);
	}
	return ward_rm_rf_open(dirfd, name, fd, err);
}

/* A file that decides what ward enforces (the audit settings, the admission
 * policy) is trusted only if nobody but root could have written it: the
 * file and every directory above it owned by root and writable by nobody
 * else. A sticky directory (/tmp) may be writable by all: its other users
 * cannot rename or remove what root made in it, and what they made
 * themselves is refused for its owner. */
int ward_open_trusted(const char *path, ward_err *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return ward_err_sys(err, errno, "%s", path);
	struct stat sb;
	if (fstat(fd, &sb) < 0)
		return ward_err_sys(err, errno, "%s", path);
	if (!S_ISREG(sb.st_mode))
		return ward_err_set(err, "%s: not a regular file", path);
	if (sb.st_uid != 0 || (sb.st_mode & (S_IWGRP | S_IWOTH)))
		return ward_err_set(err, "%s: refused: writable by a user other than root "
					 "(owner uid %u, mode %04o); it would let them change "
					 "what ward enforces",
				    path, (unsigned)sb.st_uid, (unsigned)(sb.st_mode & 07777));
	_cleanup_free_ char *dir = realpath(path, NULL);
	if (!dir)
		return ward_err_sys(err, errno, "%s", path);
	for (char *slash = strrchr(dir, '/'); slash; slash = strrchr(dir, '/')) {
		*(slash == dir ? slash + 1 : slash) = '\0';
		if (stat(dir, &sb) < 0)
			return ward_err_sys(err, errno, "%s: directory %s", path, dir);
		if (sb.st_uid != 0 || ((sb.st_mode & (S_IWGRP | S_IWOTH)) && !(sb.st_mode & S_ISVTX)))
			return ward_err_set(err, "%s: refused: its directory %s is writable by a "
						 "user other than root (owner uid %u, mode %04o)",
					    path, dir, (unsigned)sb.st_uid,
					    (unsigned)(sb.st_mode & 07777));
		if (slash == dir)
			break;
	}
	return steal_fd(&fd);
}

void ward_path_clean(char *path)
{
	bool abs = path[0] == '/';
	char *out = path, *in = path;
	size_t n = 0; /* length written to out */
	if (abs)
		out[n++] = '/';
	while (*in) {
		while (*in == '/')
			in++;
		if (!*in)
			break;
		char *end = in;
		while (*end && *end != '/')
			end++;
		size_t len = (size_t)(end - in);
		if (len == 1 && in[0] == '.') {
			/* nothing */
		} else if (len == 2 && in[0] == '.' && in[1] == '.') {
			size_t floor = abs ? 1 : 0;
			while (n > floor && out[n - 1] != '/')
				n--;
			if (n > floor)
				n--; /* the slash before the removed component */
		} else {
			if (n > (abs ? 1 : 0))
				out[n++] = '/';
			memmove(out + n, in, len);
			n += len;
		}
		in = end;
	}
	out[n] = '\0';
}
