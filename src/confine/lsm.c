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

#define PROC_MAGIC 0x9fa0

/* CVE-2019-16884: the label is written through the container's /proc, and
 * a file the image or a volume put there (a tmpfs over /proc/self/attr, a
 * fake /proc) would take it silently: the process would run unconfined. */
static int open_attr(const char *primary, const char *fallback, const char *field, ward_err *err)
{
	int fd = open(primary, O_WRONLY | O_CLOEXEC);
	if (fd < 0 && fallback)
		fd = open(fallback, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return ward_err_sys(err, errno, "%s: open %s (is /proc mounted?)", field, primary);
	struct statfs fs;
	if (fstatfs(fd, &fs) < 0 || (unsigned long)fs.f_type != PROC_MAGIC) {
		close(fd);
		return ward_err_set(err, "%s: %s is not on procfs (a mount over /proc hides it); "
					 "refusing to run without the label",
				    field, primary);
	}
	return fd;
}

static int write_attr(const char *primary, const char *fallback, const char *value,
		      const char *field, ward_err *err)
{
	_cleanup_close_ int fd = open_attr(primary, fallback, field, err);
	if (fd < 0)
		return -1;
	if (write(fd, value, strlen(value)) < 0)
		return ward_err_sys(err, errno, "%s: set \"%s\"", field, value);
	return 0;
}

/* "&profile" stacks on the current confinement; ":ns:profile" names a
 * policy namespace and goes to the kernel as it is. The kernel checks the
 * name when the command is written: ENOENT means no such profile (or
 * namespace) is loaded, which deserves a plainer message than the errno. */
static int apparmor_apply(const char *prof, ward_err *err)
{
	const char *field = "process.apparmorProfile";
	const char *name = prof[0] == '&' ? prof + 1 : prof;
	char cmd[1100];
	snprintf(cmd, sizeof(cmd), "%s %s", prof[0] == '&' ? "stack" : "exec", name);
	_cleanup_close_ int fd = open_attr("/proc/thread-self/attr/apparmor/exec",
					   "/proc/self/attr/exec", field, err);
	if (fd < 0)
		return -1;
	ssize_t w = write(fd, cmd, strlen(cmd));
	if (w == (ssize_t)strlen(cmd))
		return 0;
	if (w >= 0)
		errno = EIO; /* the kernel takes the command whole or not at all */
	if (errno == ENOENT)
		return ward_err_set(err, "%s: the AppArmor profile \"%s\" is not loaded (load it "
					 "with apparmor_parser -r)",
				    field, name);
	return ward_err_sys(err, errno, "%s: set \"%s\"", field, cmd);
}

/* The kernel checks the context against the loaded policy when it is
 * written: EINVAL means the policy does not know it (or it is malformed). */
static int selinux_apply(const char *label, ward_err *err)
{
	const char *field = "process.selinuxLabel";
	if (write_attr("/proc/thread-self/attr/exec", "/proc/self/attr/exec", label, field, err) == 0)
		return 0;
	if (err->errnum == EINVAL)
		return ward_err_set(err, "%s: \"%s\" is not a valid context in the loaded SELinux "
					 "policy",
				    field, label);
	return -1;
}

int ward_lsm_apply(const struct ward_process *p, ward_err *err)
{
	if (p->apparmor_profile && *p->apparmor_profile &&
	    apparmor_apply(p->apparmor_profile, err) < 0)
		return -1;
	if (p->selinux_label && *p->selinux_label && selinux_apply(p->selinux_label, err) < 0)
		return -1;
	return 0;
}
