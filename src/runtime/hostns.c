/* Namespaces the container shares with the runtime: the caller's, the
 * host's. Whatever the config would change in them changes the host. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "../linux/linux.h"
#include "runtime.h"

static bool is_own(int fd, int ns)
{
	char self[64];
	struct stat a, b;
	snprintf(self, sizeof(self), "/proc/self/ns/%s", ward_ns_table[ns].proc_name);
	return fd >= 0 && fstat(fd, &a) == 0 && stat(self, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

/* The namespace a sysctl key lives in, as parse.c validates them. */
static int sysctl_ns(const char *k)
{
	if (strncmp(k, "net.", 4) == 0)
		return WARD_NS_NET;
	if (strcmp(k, "kernel.hostname") == 0 || strcmp(k, "kernel.domainname") == 0)
		return WARD_NS_UTS;
	return WARD_NS_IPC;
}

/* A config may join a pod's uts or network namespace by path and set its
 * hostname or sysctls (runc does); when the path leads to the namespace ward
 * itself runs in, that would change the host's. Refused to protect the host
 * (runc 1.1 refuses net.* sysctls there, and sets the host's hostname). */
int ward_check_own_namespaces(const struct ward_spec *s, const int fds[WARD_NS_COUNT],
			      ward_err *err)
{
	const char *path = s->lx.ns[WARD_NS_UTS].path;
	if (((s->hostname && *s->hostname) || (s->domainname && *s->domainname)) &&
	    is_own(fds[WARD_NS_UTS], WARD_NS_UTS))
		return ward_err_set(err, "config.json: %s: the uts namespace %s is the runtime's "
					 "own: setting it would change the host's",
				    s->hostname && *s->hostname ? "hostname" : "domainname", path);
	for (size_t i = 0; i < s->lx.n_sysctl; i++) {
		int ns = sysctl_ns(s->lx.sysctl[i].key);
		if (is_own(fds[ns], ns))
			return ward_err_set(err, "config.json: linux.sysctl.%s: the %s namespace %s is "
						 "the runtime's own: it would change the host's value",
					    s->lx.sysctl[i].key, ward_ns_table[ns].spec_name,
					    s->lx.ns[ns].path);
	}
	return 0;
}

/* Without a mount namespace the container lives in the caller's (runc runs
 * it there too). Refused to protect the host, as runc does: masked and
 * read-only paths; and the root's propagation, which would be the caller's. */
int ward_check_shared_mntns(const struct ward_spec *s, ward_err *err)
{
	const struct ward_linux *l = &s->lx;
	if (l->ns[WARD_NS_MNT].present)
		return 0;
	if ((l->masked_paths && l->masked_paths[0]) || (l->readonly_paths && l->readonly_paths[0]))
		return ward_err_set(err, "config.json: %s: needs a mount namespace (there is none "
					 "in linux.namespaces)",
				    l->masked_paths && l->masked_paths[0] ? "linux.maskedPaths"
									  : "linux.readonlyPaths");
	if (l->rootfs_propagation)
		return ward_err_set(err, "config.json: linux.rootfsPropagation: needs a mount "
					 "namespace: it would change the propagation of the caller's "
					 "mounts");
	return 0;
}
