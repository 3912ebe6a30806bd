/* The root filesystem: make it a private mount tree, populate it, switch to
 * it with pivot_root and seal what must be read-only. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/log.h"
#include "linux.h"

static bool dev_is_bound(const struct ward_spec *s)
{
	for (size_t i = 0; i < s->n_mounts; i++)
		if (s->mounts[i].bind && strcmp(s->mounts[i].destination, "/dev") == 0)
			return true;
	return false;
}

int ward_rootfs_anchor(const char *rootfs, uint64_t *mnt_id, ward_err *err)
{
	if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		return ward_err_sys(err, errno, "bind root.path %s onto itself", rootfs);
	struct statx stx;
	/* Private: the container's mounts go nowhere but under it. */
	if (mount(NULL, rootfs, NULL, MS_PRIVATE | MS_REC, NULL) < 0 ||
	    statx(AT_FDCWD, rootfs, AT_NO_AUTOMOUNT, STATX_MNT_ID, &stx) < 0 ||
	    !(stx.stx_mask & STATX_MNT_ID)) {
		int e = errno;
		umount2(rootfs, MNT_DETACH);
		return ward_err_sys(err, e, "root.path %s: private anchor mount", rootfs);
	}
	*mnt_id = stx.stx_mnt_id;
	return 0;
}

void ward_rootfs_anchor_release(const char *rootfs, uint64_t mnt_id)
{
	struct statx stx;
	/* Only ours: whatever is on top now (a mount made since) is not. */
	if (statx(AT_FDCWD, rootfs, AT_NO_AUTOMOUNT, STATX_MNT_ID, &stx) == 0 &&
	    (stx.stx_mask & STATX_MNT_ID) && stx.stx_mnt_id == mnt_id) {
		if (umount2(rootfs, MNT_DETACH) < 0)
			ward_warn("root.path %s: detach the container's mounts: %s", rootfs,
				  strerror(errno));
		return;
	}
	ward_warn("root.path %s: the container's mounts are no longer on top; left as they are",
		  rootfs);
}

int ward_rootfs_prepare(struct ward_rootfs_ctx *c, ward_err *err)
{
	const struct ward_spec *s = c->spec;
	/* Nothing we mount may propagate back to the host: slave by default
	 * (host mounts still reach us), or what linux.rootfsPropagation asks.
	 * In the caller's mount namespace: none of that (it would be the
	 * caller's root), the anchor's parent made it private. */
	unsigned long prop = s->lx.rootfs_propagation ? s->lx.rootfs_propagation
							 : (MS_SLAVE | MS_REC);
	if (prop & (MS_SHARED | MS_UNBINDABLE))
		prop = MS_SLAVE | MS_REC; /* applied after pivot_root (ward_rootfs_finalize) */
	if (!c->shared_mntns && mount(NULL, "/", NULL, prop | MS_REC, NULL) < 0)
		return ward_err_sys(err, errno, "make / %s", "private to the container");

	/* pivot_root needs the new root to be a mount point. */
	if (!c->shared_mntns && mount(c->rootfs, c->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		return ward_err_sys(err, errno, "bind root.path %s", c->rootfs);
	c->rootfd = open(c->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (c->rootfd < 0)
		return ward_err_sys(err, errno, "open root.path %s", c->rootfs);
	c->devnull_fd = open("/dev/null", O_PATH | O_CLOEXEC);
	if (c->devnull_fd < 0)
		return ward_err_sys(err, errno, "open /dev/null");

	for (size_t i = 0; i < s->n_mounts; i++) {
		int r = c->idmap_trees && c->idmap_trees[i] >= 0
				? ward_mount_bind_tree(c->rootfd, &s->mounts[i], i, c->idmap_trees[i], err)
				: ward_mount_one(c->rootfd, &s->mounts[i], i, s->lx.mount_label,
						 s->lx.ns[WARD_NS_CGROUP].present, err);
		if (r < 0)
			return -1;
	}
	if (!dev_is_bound(s) && ward_devices_create(c->rootfd, s, c->userns, err) < 0)
		return -1;
	/* sysctls first: /proc/sys may be among the read-only paths. */
	if (ward_sysctl_apply(c->rootfd, &s->lx, err) < 0)
		return -1;
	if (ward_mask_paths(c->rootfd, c->devnull_fd, s->lx.masked_paths, err) < 0 ||
	    ward_readonly_paths(c->rootfd, s->lx.readonly_paths, err) < 0)
		return -1;
	return 0;
}

int ward_rootfs_pivot(struct ward_rootfs_ctx *c, ward_err *err)
{
	_cleanup_close_ int newroot = open(c->rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (newroot < 0)
		return ward_err_sys(err, errno, "open root.path %s", c->rootfs);
	if (fchdir(newroot) < 0)
		return ward_err_sys(err, errno, "chdir to root.path");
	if (c->shared_mntns) {
		/* The caller's mount namespace: its root must stay where it is. */
		if (chroot(".") < 0)
			return ward_err_sys(err, errno, "chroot");
	} else if (c->no_pivot) {
		/* --no-pivot: for ramfs roots where pivot_root is impossible. Weaker:
		 * the old root stays reachable to a process that can chroot again. */
		if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
			return ward_err_sys(err, errno, "move root.path onto /");
		if (chroot(".") < 0)
			return ward_err_sys(err, errno, "chroot");
	} else {
		/* pivot_root(".", ".") stacks the old root on the new one; detaching
		 * the top of "." then removes the host's tree from our view. */
		/* The old root is already a slave tree (ward_rootfs_prepare), so its
		 * detach cannot propagate to the host. A mount(".") here would name
		 * the new root, not the stacked old one, and undo the container's
		 * own propagation settings. */
		if (syscall(SYS_pivot_root, ".", ".") < 0)
			return ward_err_sys(err, errno, "pivot_root");
		if (umount2(".", MNT_DETACH) < 0)
			return ward_err_sys(err, errno, "detach old root");
	}
	if (chdir("/") < 0)
		return ward_err_sys(err, errno, "chdir /");
	close(c->rootfd);
	c->rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (c->rootfd < 0)
		return ward_err_sys(err, errno, "open new /");
	return 0;
}

static int bind_console(int rootfd, int slave, ward_err *err)
{
	_cleanup_close_ int dst = ward_ensure_in_root(rootfd, "/dev/console", false, err);
	if (dst < 0)
		return ward_err_wrap(err, "/dev/console");
	_cleanup_close_ int tree = open_tree(slave, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
							      AT_EMPTY_PATH);
	if (tree < 0)
		return ward_err_sys(err, errno, "/dev/console: open_tree of the pty");
	if (move_mount(tree, "", dst, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return ward_err_sys(err, errno, "/dev/console: bind the pty");
	return 0;
}

int ward_rootfs_finalize(struct ward_rootfs_ctx *c, ward_err *err)
{
	const struct ward_spec *s = c->spec;
	if (c->console_fd >= 0 && bind_console(c->rootfd, c->console_fd, err) < 0)
		return -1;
	if (s->root_readonly) {
		struct mount_attr a = {.attr_set = MOUNT_ATTR_RDONLY};
		if (mount_setattr(c->rootfd, "", AT_EMPTY_PATH, &a, sizeof(a)) < 0)
			return ward_err_sys(err, errno, "root.readonly: make / read-only");
	}
	if (s->lx.rootfs_propagation &&
	    mount(NULL, "/", NULL, s->lx.rootfs_propagation, NULL) < 0)
		return ward_err_sys(err, errno, "linux.rootfsPropagation");
	return 0;
}
