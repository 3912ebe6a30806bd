#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "linux.h"

void ward_ns_close(int fds[WARD_NS_COUNT])
{
	for (int i = 0; i < WARD_NS_COUNT; i++)
		if (fds[i] >= 0) {
			close(fds[i]);
			fds[i] = -1;
		}
}

int ward_ns_open_paths(const struct ward_linux *l, int fds[WARD_NS_COUNT], ward_err *err)
{
	for (int i = 0; i < WARD_NS_COUNT; i++)
		fds[i] = -1;
	for (int i = 0; i < WARD_NS_COUNT; i++) {
		if (!l->ns[i].present || !l->ns[i].path)
			continue;
		fds[i] = open(l->ns[i].path, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0) {
			int e = errno;
			ward_ns_close(fds);
			return ward_err_sys(err, e, "linux.namespaces: %s namespace path %s",
					    ward_ns_table[i].spec_name, l->ns[i].path);
		}
		int type = ioctl(fds[i], NS_GET_NSTYPE);
		if (type != ward_ns_table[i].clone_flag) {
			ward_ns_close(fds);
			return ward_err_set(err, "linux.namespaces: %s is not a %s namespace",
					    l->ns[i].path, ward_ns_table[i].spec_name);
		}
	}
	return 0;
}

int ward_ns_join_paths(const int fds[WARD_NS_COUNT], ward_err *err)
{
	/* The user namespace first: it grants the capabilities to join the others,
	 * which it owns. */
	static const int order[] = {WARD_NS_USER, WARD_NS_PID,	  WARD_NS_NET,	WARD_NS_IPC,
				    WARD_NS_UTS,  WARD_NS_CGROUP, WARD_NS_TIME, WARD_NS_MNT};
	for (size_t k = 0; k < ARRAY_SIZE(order); k++) {
		int i = order[k];
		if (fds[i] < 0)
			continue;
		if (setns(fds[i], ward_ns_table[i].clone_flag) < 0)
			return ward_err_sys(err, errno, "join %s namespace",
					    ward_ns_table[i].spec_name);
	}
	return 0;
}

int ward_ns_new_flags(const struct ward_linux *l)
{
	int flags = 0;
	for (int i = 0; i < WARD_NS_COUNT; i++)
		if (l->ns[i].present && !l->ns[i].path)
			flags |= ward_ns_table[i].clone_flag;
	return flags;
}

int ward_ns_setup_time(const struct ward_linux *l, ward_err *err)
{
	/* Offsets can be written only before any process lives in the namespace,
	 * so it is made for our children first, set, then entered. */
	if (unshare(CLONE_NEWTIME) < 0)
		return ward_err_sys(err, errno, "unshare time namespace");
	char buf[128];
	int n = 0;
	if (l->monotonic.present)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "monotonic %lld %u\n",
			      (long long)l->monotonic.secs, l->monotonic.nanosecs);
	if (l->boottime.present)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "boottime %lld %u\n",
			      (long long)l->boottime.secs, l->boottime.nanosecs);
	if (n > 0) {
		/* One write per clock: the kernel takes the lines one at a time. */
		char *line = buf;
		while (*line) {
			char *nl = strchr(line, '\n');
			if (ward_write_file_at(AT_FDCWD, "/proc/self/timens_offsets", line,
					       (size_t)(nl - line + 1), err) < 0)
				return ward_err_wrap(err, "linux.timeOffsets");
			line = nl + 1;
		}
	}
	_cleanup_close_ int fd = open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ward_err_sys(err, errno, "open time_for_children");
	if (setns(fd, CLONE_NEWTIME) < 0)
		return ward_err_sys(err, errno, "enter time namespace");
	return 0;
}
