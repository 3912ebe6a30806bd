#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "linux.h"

int ward_proc_stat(pid_t pid, unsigned long long *start, char *state)
{
	char path[64], buf[1024];
	*start = 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -EBADMSG;
	buf[n] = '\0';
	/* comm may hold spaces and parentheses: parse after the last ')'. */
	char *p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return -EBADMSG;
	p += 2;
	if (state)
		*state = *p;
	/* state is field 3; starttime is field 22. */
	for (int field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (!p)
			return -EBADMSG;
		p++;
	}
	char *end;
	*start = strtoull(p, &end, 10);
	return end == p ? -EBADMSG : 0;
}

unsigned long long ward_proc_start_time(pid_t pid, char *state)
{
	unsigned long long start;
	return ward_proc_stat(pid, &start, state) < 0 ? 0 : start;
}

long ward_clone3(uint64_t flags, int *pidfd, int cgroup_fd)
{
	struct clone_args args = {
		.flags = flags | (pidfd ? CLONE_PIDFD : 0),
		.pidfd = (uint64_t)(uintptr_t)pidfd,
		/* With CLONE_PARENT the kernel wants no exit signal of ours (EINVAL
		 * otherwise): the child is reaped with __WALL. */
		.exit_signal = (flags & CLONE_PARENT) ? 0 : SIGCHLD,
	};
	if (cgroup_fd >= 0) {
		args.flags |= CLONE_INTO_CGROUP;
		args.cgroup = (uint64_t)cgroup_fd;
	}
	return syscall(SYS_clone3, &args, sizeof(args));
}

void ward_close_fds_except(int from, const int *keep, size_t n)
{
	int next = from;
	for (;;) {
		/* The smallest kept fd at or above next. */
		int k = -1;
		for (size_t i = 0; i < n; i++)
			if (keep[i] >= next && (k < 0 || keep[i] < k))
				k = keep[i];
		if (k < 0) {
			syscall(SYS_close_range, (unsigned)next, ~0U, 0);
			return;
		}
		if (k > next)
			syscall(SYS_close_range, (unsigned)next, (unsigned)(k - 1), 0);
		next = k + 1;
	}
}

int ward_chdir_in_root(const char *path, ward_err *err)
{
	_cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return ward_err_sys(err, errno, "open /");
	_cleanup_close_ int fd = ward_open_in_root(root, path, O_PATH | O_DIRECTORY, 0, err);
	if (fd < 0)
		return ward_err_wrap(err, "cwd \"%s\"", path);
	if (fchdir(fd) < 0)
		return ward_err_sys(err, errno, "cwd: chdir to \"%s\"", path);
	return 0;
}
