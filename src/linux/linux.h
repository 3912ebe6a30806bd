/* The Linux mechanics of a container: namespaces, ID maps, mounts, devices,
 * pivot_root, terminal, the parent<->child sync protocol. No policy here. */
#ifndef WARD_LINUX_H
#define WARD_LINUX_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../oci/spec.h"
#include "../util/err.h"
#include "sync_wire.h"

/* ---- sync.c: messages between the runtime and the container's init ---- */
_Static_assert(WARD_SYNC_MSG_MAX == WARD_ERR_MSG_MAX, "a sync message carries a ward_err");
_Static_assert(__builtin_offsetof(struct ward_sync_msg, msg) == WARD_SYNC_HEADER_LEN,
	       "the exec stub writes this layout");

int ward_sync_pair(int fds[2], ward_err *err);
/* fd_to_pass < 0: none. */
int ward_sync_send(int sock, uint32_t type, int64_t value, int fd_to_pass, ward_err *err);
int ward_sync_send_error(int sock, const ward_err *e);
/* A message whose payload is text (msg, NUL-terminated, truncated to fit). */
int ward_sync_send_text(int sock, uint32_t type, const char *text, ward_err *err);
/* An ERROR message in m; returns its length on the wire. */
size_t ward_sync_error_record(const ward_err *e, struct ward_sync_msg *m);
/* Read an ERROR record of n bytes back into err; -1 if buf is not one. */
int ward_sync_error_parse(const void *buf, size_t n, ward_err *err);
/* Waits for one message; EOF is an error naming what was awaited. fd_out may be NULL. */
int ward_sync_recv(int sock, struct ward_sync_msg *m, int *fd_out, ward_err *err);
/* Receive and require a type; an ERROR message becomes *err. */
int ward_sync_expect(int sock, uint32_t type, struct ward_sync_msg *m, int *fd_out, ward_err *err);

/* ---- userns.c ---- */
/* Write uid_map/gid_map of pid (directly as root, via newuidmap/newgidmap otherwise). */
int ward_userns_write_maps(pid_t pid, const struct ward_linux *l, ward_err *err);
/* True when a new user namespace will have setgroups denied (rootless single-id map). */
bool ward_userns_setgroups_denied(const struct ward_linux *l);

/* ---- ns.c ---- */
/* Open every namespace path of the spec (fds[i] = -1 where none), checking the type. */
int ward_ns_open_paths(const struct ward_linux *l, int fds[WARD_NS_COUNT], ward_err *err);
/* setns into the opened paths, the user namespace first. */
int ward_ns_join_paths(const int fds[WARD_NS_COUNT], ward_err *err);
/* CLONE_NEW* flags for the namespaces to create (present, no path). */
int ward_ns_new_flags(const struct ward_linux *l);
/* Time namespace with offsets: unshare, write offsets, enter (from inside the child). */
int ward_ns_setup_time(const struct ward_linux *l, ward_err *err);
void ward_ns_close(int fds[WARD_NS_COUNT]);

/* ---- rootfs.c / mount.c / devices.c ---- */
struct ward_rootfs_ctx {
	const struct ward_spec *spec;
	const char *rootfs;  /* absolute path on the host */
	bool userns;	     /* mknod not possible: bind devices */
	bool no_pivot;
	bool shared_mntns;   /* no mount namespace of its own: the caller's (anchor made) */
	int rootfd;	     /* O_PATH of the rootfs, after the self-bind */
	int devnull_fd;	     /* O_PATH of the host's /dev/null (masking) */
	int console_fd;	     /* pty slave, or -1 */
	const int *idmap_trees; /* per mount: a bind tree made by the runtime (idmap.c), or -1 */
};
/* Everything before pivot_root: propagation, self-bind, mounts, devices,
 * sysctls, masked and read-only paths (while the host's /dev/null is at hand). */
int ward_rootfs_prepare(struct ward_rootfs_ctx *c, ward_err *err);
int ward_rootfs_pivot(struct ward_rootfs_ctx *c, ward_err *err);
/* After pivot_root: /dev/console, root.readonly, propagation. */
int ward_rootfs_finalize(struct ward_rootfs_ctx *c, ward_err *err);
/* A container without a mount namespace of its own mounts in the caller's:
 * under an anchor, a private bind of the rootfs onto itself, that takes all
 * of them away at once. *mnt_id: the anchor's, for the release. */
int ward_rootfs_anchor(const char *rootfs, uint64_t *mnt_id, ward_err *err);
/* Detach the anchor (and every mount under it) if it is still on top. */
void ward_rootfs_anchor_release(const char *rootfs, uint64_t mnt_id);
int ward_mount_one(int rootfd, const struct ward_mount *m, size_t index, const char *mount_label,
		   bool cgroupns, ward_err *err);
int ward_devices_create(int rootfd, const struct ward_spec *s, bool userns, ward_err *err);
/* copyup.c: fill a detached tmpfs (mnt) with a copy of m->destination's
 * contents below rootfd, for the tmpcopyup option. */
int ward_tmpfs_copyup(int rootfd, const struct ward_mount *m, int mnt, ward_err *err);
/* Attach a bind tree made elsewhere (ward_bind_trees) as mount m. */
int ward_mount_bind_tree(int rootfd, const struct ward_mount *m, size_t index, int tree,
			 ward_err *err);

/* ---- idmap.c: bind trees made by the runtime on the host ---- */
/* For each mount with idmap/ridmap, a detached idmapped tree, and in a user
 * namespace for each other bind mount a detached one of its source (fds the
 * init inherits and attaches); *out is NULL when there is none, else
 * n_mounts entries (-1 where the init mounts itself). bundle: for relative
 * sources. */
int ward_bind_trees(const struct ward_spec *s, const char *bundle, int **out, ward_err *err);
void ward_bind_trees_free(int *trees, size_t n);
/* Does the kernel have mount_setattr (and so MOUNT_ATTR_IDMAP)? */
bool ward_idmap_supported(void);
int ward_mask_paths(int rootfd, int devnull_fd, char *const *paths, ward_err *err);
int ward_readonly_paths(int rootfd, char *const *paths, ward_err *err);

/* ---- net.c ---- */
int ward_net_loopback_up(ward_err *err);

/* ---- sysctl.c ---- */
int ward_sysctl_apply(int rootfd, const struct ward_linux *l, ward_err *err);
/* kernel.hostname / kernel.domainname keys, after the hostname and
 * domainname fields (runc's order: the sysctl wins). */
int ward_sysctl_apply_uts(const struct ward_linux *l, ward_err *err);

/* ---- terminal.c ---- */
/* Allocate a pty inside the container (after pivot), make it the controlling
 * terminal and stdio. Returns the master fd; *slave_fd is kept for /dev/console. */
int ward_terminal_setup(const struct ward_process *p, int *slave_fd, ward_err *err);
/* Send a pty master over a console socket as runc does (SCM_RIGHTS). */
int ward_terminal_send(const char *socket_path, int master, ward_err *err);

/* ---- proc.c ---- */
/* Start time of pid in clock ticks since boot (field 22 of /proc/PID/stat), 0 if gone. */
unsigned long long ward_proc_start_time(pid_t pid, char *state);
/* The same, telling why not: 0, or -errno (-ENOENT/-ESRCH: pid is gone;
 * -EBADMSG: the file did not read as a stat line; anything else: it could
 * not be read, which says nothing about the process). */
int ward_proc_stat(pid_t pid, unsigned long long *start, char *state);
long ward_clone3(uint64_t flags, int *pidfd, int cgroup_fd);
/* Close every fd >= from except those listed (and -1 entries). */
void ward_close_fds_except(int from, const int *keep, size_t n);
/* chdir to a path resolved inside the current root, refusing magic links
 * (/proc/self/fd/N would lead out of the container: CVE-2024-21626). */
int ward_chdir_in_root(const char *path, ward_err *err);

#endif
