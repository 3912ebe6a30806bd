#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "linux.h"

/* kernel.hostname and kernel.domainname: the uts namespace's names, set
 * with the system calls (ward_sysctl_apply_uts), which work in a user
 * namespace too, where /proc/sys/kernel belongs to the host's root. */
static bool uts_key(const char *k)
{
	return strcmp(k, "kernel.hostname") == 0 || strcmp(k, "kernel.domainname") == 0;
}

int ward_sysctl_apply_uts(const struct ward_linux *l, ward_err *err)
{
	for (size_t i = 0; i < l->n_sysctl; i++) {
		const char *k = l->sysctl[i].key, *v = l->sysctl[i].value;
		if (!uts_key(k))
			continue;
		int r = strcmp(k, "kernel.hostname") == 0 ? sethostname(v, strlen(v))
							    : setdomainname(v, strlen(v));
		if (r < 0)
			return ward_err_sys(err, errno, "linux.sysctl.%s: set \"%s\"", k, v);
	}
	return 0;
}

/* Written through the container's own /proc, so a namespaced key lands in
 * the container's namespaces, never the host's. */
int ward_sysctl_apply(int rootfd, const struct ward_linux *l, ward_err *err)
{
	if (!l->n_sysctl)
		return 0;
	_cleanup_close_ int procsys = ward_open_in_root(rootfd, "/proc/sys", O_PATH | O_DIRECTORY, 0, err);
	if (procsys < 0)
		return ward_err_wrap(err, "linux.sysctl: is /proc mounted?");
	for (size_t i = 0; i < l->n_sysctl; i++) {
		if (uts_key(l->sysctl[i].key))
			continue;
		char rel[512];
		snprintf(rel, sizeof(rel), "%s", l->sysctl[i].key);
		for (char *p = rel; *p; p++)
			if (*p == '.')
				*p = '/';
		_cleanup_close_ int fd = ward_open_in_root(procsys, rel, O_WRONLY, 0, err);
		if (fd < 0)
			return ward_err_wrap(err, "linux.sysctl.%s", l->sysctl[i].key);
		const char *v = l->sysctl[i].value;
		if (write(fd, v, strlen(v)) < 0) {
			int e = errno;
			bool ids = e == EINVAL && !strcmp(l->sysctl[i].key, "net.ipv4.ping_group_range");
			return ward_err_sys(err, e, "linux.sysctl.%s: write \"%s\"%s", l->sysctl[i].key,
					    v, ids ? " (both ends must be gids mapped in the user namespace)"
						   : "");
		}
	}
	return 0;
}
