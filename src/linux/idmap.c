/* Idmapped bind mounts (mounts[].options idmap/ridmap, mounts[].uidMappings
 * and gidMappings): a file owned by uid U on the source filesystem appears
 * as uid H through the mount where the mapping has {containerID: U,
 * hostID: H} (the mapping is that of a user namespace, "U H size" in its
 * uid_map, as runc and crun read it).
 *
 * The kernel idmaps a mount with mount_setattr(MOUNT_ATTR_IDMAP) and a user
 * namespace fd; the mount must still be detached, and the caller needs
 * CAP_SYS_ADMIN over the source filesystem, i.e. in the host's user
 * namespace for a host directory. The container's init may already be in a
 * user namespace of its own when it mounts, so the runtime (the parent, on
 * the host) makes each idmapped tree before the init is cloned; the init
 * inherits the fds and attaches them like any bind mount
 * (ward_mount_bind_tree). The user namespace comes from a short-lived helper
 * process whose maps ward writes: the mount's own mappings, or without them
 * the container's (linux.uidMappings/gidMappings), or the user namespace the
 * container joins by path. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/rootless.h"
#include "linux.h"

#ifndef CLONE_NEWUSER
#define CLONE_NEWUSER 0x10000000
#endif

/* The kernel takes at most 340 lines in a uid_map/gid_map. */
#define MAX_MAP_LINES 340

/* Ranges must not overlap on either side (the kernel refuses that too, but
 * without saying which entries). That none goes past the last id is checked
 * when config.json is parsed. */
static int check_map(const struct ward_id_map *m, size_t n, const char *field, ward_err *err)
{
	if (n > MAX_MAP_LINES)
		return ward_err_set(err, "%s: %zu entries; the kernel takes at most %d", field, n,
				    MAX_MAP_LINES);
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < i; k++) {
			bool c = m[i].container_id < m[k].container_id + m[k].size &&
				 m[k].container_id < m[i].container_id + m[i].size;
			bool h = m[i].host_id < m[k].host_id + m[k].size &&
				 m[k].host_id < m[i].host_id + m[i].size;
			if (c || h)
				return ward_err_set(err, "%s[%zu]: its %s range overlaps that of %s[%zu]",
						    field, i, c ? "containerID" : "hostID", field, k);
		}
	}
	return 0;
}

static int write_map(pid_t pid, const char *file, const struct ward_id_map *m, size_t n,
		     const char *field, ward_err *err)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	size_t cap = n * 36 + 1, len = 0;
	_cleanup_free_ char *text = malloc(cap);
	if (!text)
		return ward_err_sys(err, ENOMEM, "%s", field);
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, cap - len, "%u %u %u\n", m[i].container_id,
					m[i].host_id, m[i].size);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return ward_err_sys(err, errno, "%s: open %s", field, path);
	if (write(fd, text, len) != (ssize_t)len)
		return ward_err_sys(err, errno, "%s: the kernel refuses the mapping", field);
	return 0;
}

/* A user namespace with these maps, held by an fd (the helper is gone). */
static int userns_with_maps(const struct ward_id_map *u, size_t nu, const struct ward_id_map *g,
			    size_t ng, const char *ufield, const char *gfield, ward_err *err)
{
	int hold[2];
	if (pipe2(hold, O_CLOEXEC) < 0)
		return ward_err_sys(err, errno, "pipe");
	pid_t pid = (pid_t)ward_clone3(CLONE_NEWUSER, NULL, -1);
	if (pid < 0) {
		int e = errno;
		close(hold[0]);
		close(hold[1]);
		return ward_err_sys(err, e, "create a user namespace for an idmapped mount");
	}
	if (pid == 0) {
		/* Wait until the parent has what it needs (or died). */
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		close(hold[1]);
		char c;
		while (read(hold[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(hold[0]);
	int fd = -1;
	if (write_map(pid, "uid_map", u, nu, ufield, err) == 0 &&
	    write_map(pid, "gid_map", g, ng, gfield, err) == 0) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/ns/user", pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			ward_err_sys(err, errno, "open %s", path);
	}
	close(hold[1]);
	while (waitpid(pid, NULL, __WALL) < 0 && errno == EINTR)
		;
	return fd;
}

/* The user namespace that gives mount i its mapping. */
static int idmap_userns(const struct ward_spec *s, size_t i, ward_err *err)
{
	const struct ward_mount *m = &s->mounts[i];
	char uf[64], gf[64];
	if (m->n_uid_mappings || m->n_gid_mappings) {
		snprintf(uf, sizeof(uf), "config.json: mounts[%zu].uidMappings", i);
		snprintf(gf, sizeof(gf), "config.json: mounts[%zu].gidMappings", i);
		if (check_map(m->uid_mappings, m->n_uid_mappings, uf, err) < 0 ||
		    check_map(m->gid_mappings, m->n_gid_mappings, gf, err) < 0)
			return -1;
		return userns_with_maps(m->uid_mappings, m->n_uid_mappings, m->gid_mappings,
					m->n_gid_mappings, uf, gf, err);
	}
	/* No mapping of its own: the container's user namespace. */
	const struct ward_namespace *user = &s->lx.ns[WARD_NS_USER];
	if (!user->present)
		return ward_err_set(err, "config.json: mounts[%zu].options: %s without "
					 "uidMappings/gidMappings maps ids as the container's user "
					 "namespace does, but the container has none (add a user "
					 "namespace or give the mount its own mappings)",
				    i, m->ridmap ? "ridmap" : "idmap");
	if (user->path) {
		int fd = open(user->path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return ward_err_sys(err, errno, "config.json: mounts[%zu]: open the user "
							"namespace %s",
					    i, user->path);
		return fd;
	}
	return userns_with_maps(s->lx.uid_mappings, s->lx.n_uid_mappings, s->lx.gid_mappings,
				s->lx.n_gid_mappings, "config.json: linux.uidMappings",
				"config.json: linux.gidMappings", err);
}

static int open_source(const struct ward_mount *m, size_t i, const char *bundle, ward_err *err)
{
	char src[PATH_MAX];
	if (m->source[0] == '/')
		snprintf(src, sizeof(src), "%s", m->source);
	else
		snprintf(src, sizeof(src), "%s/%s", bundle, m->source);
	int tree = open_tree(AT_FDCWD, src,
			     OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (m->rbind ? AT_RECURSIVE : 0));
	if (tree < 0)
		return ward_err_sys(err, errno, "config.json: mounts[%zu]: bind source %s", i, src);
	return tree;
}

static int make_tree(const struct ward_spec *s, size_t i, const char *bundle, ward_err *err)
{
	const struct ward_mount *m = &s->mounts[i];
	if (ward_running_rootless())
		return ward_err_set(err, "config.json: mounts[%zu].options: idmapped mounts need "
					 "CAP_SYS_ADMIN in the host's user namespace; ward runs "
					 "rootless",
				    i);
	_cleanup_close_ int userns = idmap_userns(s, i, err);
	if (userns < 0)
		return -1;
	int tree = open_source(m, i, bundle, err);
	if (tree < 0)
		return -1;
	const char *src = m->source;
	struct mount_attr a = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns};
	if (mount_setattr(tree, "", AT_EMPTY_PATH | (m->ridmap ? AT_RECURSIVE : 0), &a, sizeof(a)) <
	    0) {
		int e = errno;
		close(tree);
		const char *why = e == EINVAL ? " (does the filesystem support idmapped mounts?)"
				  : e == EPERM ? " (idmapping a host directory needs CAP_SYS_ADMIN in "
						 "the host's user namespace)"
				  : e == ENOSYS ? " (Linux >= 5.12 is needed)"
						: "";
		return ward_err_sys(err, e, "config.json: mounts[%zu] %s: idmap %s%s", i,
				    m->destination, src, why);
	}
	return tree;
}

/* In a user namespace the init is its root, which may not reach a bind
 * source the runtime can (one under a 0700 directory of the host's): the
 * source is opened here, before the init exists, as runc and crun do. Not
 * rootless (open_tree(OPEN_TREE_CLONE) needs the host's CAP_SYS_ADMIN) and
 * not into a joined mount namespace, where the paths are another's. */
static bool open_here(const struct ward_spec *s, const struct ward_mount *m)
{
	return m->bind && s->lx.ns[WARD_NS_USER].present && s->lx.ns[WARD_NS_MNT].present &&
	       !s->lx.ns[WARD_NS_MNT].path && !ward_running_rootless();
}

int ward_bind_trees(const struct ward_spec *s, const char *bundle, int **out, ward_err *err)
{
	*out = NULL;
	bool any = false;
	for (size_t i = 0; i < s->n_mounts; i++)
		any |= s->mounts[i].idmap || open_here(s, &s->mounts[i]);
	if (!any)
		return 0;
	int *trees = malloc(s->n_mounts * sizeof(int));
	if (!trees)
		return ward_err_sys(err, ENOMEM, "bind mounts");
	for (size_t i = 0; i < s->n_mounts; i++)
		trees[i] = -1;
	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct ward_mount *m = &s->mounts[i];
		if (m->idmap)
			trees[i] = make_tree(s, i, bundle, err);
		else if (open_here(s, m))
			trees[i] = open_source(m, i, bundle, err);
		if (trees[i] == -1 && (m->idmap || open_here(s, m))) {
			ward_bind_trees_free(trees, s->n_mounts);
			return -1;
		}
	}
	*out = trees;
	return 0;
}

void ward_bind_trees_free(int *trees, size_t n)
{
	for (size_t i = 0; trees && i < n; i++)
		if (trees[i] >= 0)
			close(trees[i]);
	free(trees);
}

bool ward_idmap_supported(void)
{
	/* EBADF (not ENOSYS) shows mount_setattr exists: Linux >= 5.12. (An
	 * empty attribute set would succeed before looking at the fd.) */
	struct mount_attr a = {.attr_set = MOUNT_ATTR_RDONLY};
	return mount_setattr(-1, "", AT_EMPTY_PATH, &a, sizeof(a)) == 0 || errno != ENOSYS;
}
