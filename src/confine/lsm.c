/* AppArmor and SELinux: the host's MAC, applied when the host runs it. A
 * config that asks for a label on a host without that LSM is an error, never
 * a silent run without the confinement that was asked for. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "confine.h"

#define SELINUX_MAGIC 0xf97cff8c

bool ward_apparmor_enabled(void)
{
	char buf[4] = "";
	_cleanup_close_ int fd = open("/sys/module/apparmor/parameters/enabled", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, buf, sizeof(buf) - 1) <= 0 || buf[0] != 'Y')
		return false;
	struct stat st;
	return stat("/sys/kernel/security/apparmor", &st) == 0;
}

bool ward_selinux_enabled(void)
{
	struct statfs fs;
	return statfs("/sys/fs/selinux", &fs) == 0 && (unsigned long)fs.f_type == SELINUX_MAGIC;
}

int ward_lsm_check(const struct ward_process *p, const char *mount_label, const char *file,
		   ward_err *err)
{
	if (p && p->apparmor_profile && *p->apparmor_profile && !ward_apparmor_enabled())
		return ward_err_set(err, "%s: process.apparmorProfile: AppArmor is not enabled on this "
					 "host; refusing to run without the profile \"%s\"",
				    file, p->apparmor_profile);
	if (p && p->selinux_label && *p->selinux_label && !ward_selinux_enabled())
		return ward_err_set(err, "%s: process.selinuxLabel: SELinux is not enabled on this "
					 "host; refusing to run without the label \"%s\"",
				    file, p->selinux_label);
	if (mount_label && *mount_label && !ward_selinux_enabled())
		return ward_err_set(err, "%s: linux.mountLabel: SELinux is not enabled on this host",
				    file);
	return 0;
}

static int write_attr(const char *primary, const char *fallback, const char *value,
		      const char *field, ward_err *err)
{
	_cleanup_close_ int fd = open(primary, O_WRONLY | O_CLOEXEC);
	if (fd < 0 && fallback)
		fd = open(fallback, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return ward_err_sys(err, errno, "%s: open %s (is /proc mounted?)", field, primary);
	if (write(fd, value, strlen(value)) < 0)
		return ward_err_sys(err, errno, "%s: set \"%s\"", field, value);
	return 0;
}

int ward_lsm_apply(const struct ward_process *p, ward_err *err)
{
	if (p->apparmor_profile && *p->apparmor_profile) {
		/* "&profile" stacks on the current confinement; ":ns:profile" names a
		 * policy namespace and goes to the kernel as it is. */
		const char *prof = p->apparmor_profile;
		char cmd[1100];
		if (prof[0] == '&')
			snprintf(cmd, sizeof(cmd), "stack %s", prof + 1);
		else
			snprintf(cmd, sizeof(cmd), "exec %s", prof);
		if (write_attr("/proc/thread-self/attr/apparmor/exec", "/proc/self/attr/exec", cmd,
			       "process.apparmorProfile", err) < 0)
			return -1;
	}
	if (p->selinux_label && *p->selinux_label &&
	    write_attr("/proc/thread-self/attr/exec", "/proc/self/attr/exec", p->selinux_label,
		       "process.selinuxLabel", err) < 0)
		return -1;
	return 0;
}
