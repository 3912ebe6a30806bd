/* /dev: the default devices every container gets, linux.devices, and the
 * standard symlinks. Inside a user namespace mknod is not allowed, so the
 * host's node is bind-mounted onto an empty file instead (as runc does). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/rootless.h"
#include "linux.h"

static const struct ward_device default_devices[] = {
	{"/dev/null", 'c', 1, 3, true, 0666, true, true, 0, 0},
	{"/dev/zero", 'c', 1, 5, true, 0666, true, true, 0, 0},
	{"/dev/full", 'c', 1, 7, true, 0666, true, true, 0, 0},
	{"/dev/random", 'c', 1, 8, true, 0666, true, true, 0, 0},
	{"/dev/urandom", 'c', 1, 9, true, 0666, true, true, 0, 0},
	{"/dev/tty", 'c', 5, 0, true, 0666, true, true, 0, 0},
};

static const struct {
	const char *target, *link;
} default_links[] = {
	{"/proc/self/fd", "/dev/fd"},
	{"/proc/self/fd/0", "/dev/stdin"},
	{"/proc/self/fd/1", "/dev/stdout"},
	{"/proc/self/fd/2", "/dev/stderr"},
	{"pts/ptmx", "/dev/ptmx"},
};

static int bind_host_device(int parent, const char *base, const struct ward_device *d,
			    ward_err *err)
{
	_cleanup_close_ int f = openat(parent, base, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (f < 0)
		return ward_err_sys(err, errno, "create %s", d->path);
	_cleanup_close_ int tree = open_tree(AT_FDCWD, d->path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (tree < 0)
		return ward_err_sys(err, errno, "bind host device %s", d->path);
	_cleanup_close_ int dst = openat(parent, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (dst < 0)
		return ward_err_sys(err, errno, "open %s", d->path);
	if (move_mount(tree, "", dst, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return ward_err_sys(err, errno, "bind host device %s", d->path);
	return 0;
}

static int create_device(int rootfd, const struct ward_device *d, bool userns, ward_err *err)
{
	const char *base;
	_cleanup_close_ int parent_path = ward_open_parent_in_root(rootfd, d->path, &base, err);
	if (parent_path < 0)
		return -1;
	_cleanup_close_ int parent = openat(parent_path, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (parent < 0)
		return ward_err_sys(err, errno, "open parent of %s", d->path);
	struct stat st;
	if (fstatat(parent, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISDIR(st.st_mode))
			return ward_err_set(err, "%s exists and is a directory", d->path);
		if (unlinkat(parent, base, 0) < 0)
			return ward_err_sys(err, errno, "replace %s", d->path);
	}
	/* Rootless (even as root of an engine's user namespace), mknod of a
	 * device is refused just the same. */
	if ((userns || ward_running_rootless()) && d->type != 'p')
		return bind_host_device(parent, base, d, err);

	mode_t type = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
	mode_t mode = d->has_mode ? d->file_mode : 0666;
	if (mknodat(parent, base, type | (mode & 07777),
		    makedev((unsigned)d->major, (unsigned)d->minor)) < 0)
		return ward_err_sys(err, errno, "mknod %s", d->path);
	/* mknod honours the umask; the spec's fileMode is exact. */
	if (fchmodat(parent, base, mode & 07777, 0) < 0)
		return ward_err_sys(err, errno, "chmod %s", d->path);
	if (fchownat(parent, base, d->has_uid ? d->uid : 0, d->has_gid ? d->gid : 0,
		     AT_SYMLINK_NOFOLLOW) < 0)
		return ward_err_sys(err, errno, "chown %s", d->path);
	return 0;
}

static bool spec_has_device(const struct ward_spec *s, const char *path)
{
	for (size_t i = 0; i < s->lx.n_devices; i++)
		if (strcmp(s->lx.devices[i].path, path) == 0)
			return true;
	return false;
}

int ward_devices_create(int rootfd, const struct ward_spec *s, bool userns, ward_err *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(default_devices); i++) {
		if (spec_has_device(s, default_devices[i].path))
			continue;
		if (create_device(rootfd, &default_devices[i], userns, err) < 0)
			return ward_err_wrap(err, "default device");
	}
	for (size_t i = 0; i < s->lx.n_devices; i++)
		if (create_device(rootfd, &s->lx.devices[i], userns, err) < 0)
			return ward_err_wrap(err, "linux.devices[%zu]", i);

	for (size_t i = 0; i < ARRAY_SIZE(default_links); i++) {
		const char *base;
		_cleanup_close_ int parent =
			ward_open_parent_in_root(rootfd, default_links[i].link, &base, err);
		if (parent < 0)
			return -1;
		_cleanup_close_ int dir = openat(parent, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dir < 0)
			return ward_err_sys(err, errno, "open /dev");
		if (strcmp(base, "ptmx") == 0) {
			/* Point /dev/ptmx at the container's own devpts instance. */
			struct stat st;
			if (fstatat(dir, "pts/ptmx", &st, AT_SYMLINK_NOFOLLOW) < 0)
				continue;
			unlinkat(dir, base, 0);
		}
		if (symlinkat(default_links[i].target, dir, base) < 0 && errno != EEXIST)
			return ward_err_sys(err, errno, "symlink %s", default_links[i].link);
	}
	return 0;
}
