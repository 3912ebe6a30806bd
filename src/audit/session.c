/* A kernel audit session per container: writing a task's loginuid gives it
 * a new session id (ses=), which every descendant inherits and the kernel
 * prints on every record it makes about them (SYSCALL, EXECVE, AVC,
 * ANOM_*...). ward records (boot id, ses) -> audit ID, so the kernel's own
 * records of a container's processes, even those ward never saw, name it.
 *
 * Limits (docs/audit.md): the write needs CAP_AUDIT_CONTROL in the initial
 * user namespace once a loginuid is set (so it is done before the init
 * leaves the host's user namespace), and is refused for good when the
 * loginuid is immutable (auditctl --loginuid-immutable); a process that
 * holds CAP_AUDIT_CONTROL can start a session of its own. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"

static unsigned read_uint(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return (unsigned)-1;
	char buf[32];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return (unsigned)-1;
	buf[n] = '\0';
	return (unsigned)strtoul(buf, NULL, 10);
}

unsigned ward_audit_session_loginuid(const struct ward_audit *a)
{
	/* Who the caller is to audit; a daemon's caller has none (unset), and
	 * an unset loginuid cannot begin a session: then the uid running ward. */
	return a->self_auid != (unsigned)-1 ? a->self_auid : (unsigned)getuid();
}

int ward_audit_session_begin(unsigned loginuid, unsigned *ses)
{
	*ses = (unsigned)-1;
	int fd = open("/proc/thread-self/loginuid", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	char buf[16];
	int n = snprintf(buf, sizeof(buf), "%u", loginuid);
	ssize_t w = write(fd, buf, (size_t)n);
	int e = errno;
	close(fd);
	if (w != n)
		return w < 0 ? e : EIO;
	*ses = read_uint("/proc/thread-self/sessionid");
	return *ses == (unsigned)-1 ? EIO : 0;
}

unsigned ward_audit_session_of(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/sessionid", (int)pid);
	return read_uint(path);
}

/* Who we are to the kernel's audit: its records of us carry these. */
void ward_audit_self(struct ward_audit *a)
{
	if (a->self_read)
		return;
	a->self_read = true;
	a->self_auid = read_uint("/proc/self/loginuid");
	a->self_ses = read_uint("/proc/self/sessionid");
}
