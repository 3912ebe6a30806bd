/* A foreground run/exec: every signal we get goes to the container process,
 * a pty is proxied to our stdio, and we leave with its exit status. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/pidfd.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "runtime.h"

int ward_write_pid_file(const char *path, pid_t pid, ward_err *err)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d", pid);
	/* Atomic: a reader polling for the file never sees it empty. */
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	const char *name = path;
	_cleanup_close_ int dfd = -1;
	if (slash) {
		name = path + (slash - dir) + 1;
		*slash = '\0';
		dfd = open(slash == dir ? "/" : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	} else {
		dfd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (dfd < 0)
		return ward_err_sys(err, errno, "--pid-file %s", path);
	if (ward_write_atomic_at(dfd, name, buf, (size_t)n, err) < 0)
		return ward_err_wrap(err, "--pid-file %s", path);
	(void)!fchmodat(dfd, name, 0644, 0);
	return 0;
}

static void pump(int from, int to, bool *eof)
{
	char buf[16384];
	ssize_t n = read(from, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		*eof = true;
		return;
	}
	for (ssize_t o = 0; o < n;) {
		ssize_t w = write(to, buf + o, (size_t)(n - o));
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			*eof = true;
			return;
		}
		o += w;
	}
}

static int status_to_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 255;
}

int ward_wait_foreground(pid_t pid, int pidfd, int pty, ward_err *err)
{
	sigset_t all, old;
	sigfillset(&all);
	sigdelset(&all, SIGSEGV);
	sigdelset(&all, SIGBUS);
	sigdelset(&all, SIGILL);
	sigdelset(&all, SIGFPE);
	sigprocmask(SIG_BLOCK, &all, &old);
	_cleanup_close_ int sfd = signalfd(-1, &all, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		int e = errno;
		sigprocmask(SIG_SETMASK, &old, NULL);
		return ward_err_sys(err, e, "signalfd");
	}

	struct termios saved;
	bool raw = pty >= 0 && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
	if (raw) {
		struct termios t = saved;
		cfmakeraw(&t);
		tcsetattr(STDIN_FILENO, TCSANOW, &t);
	}
	struct winsize ws;
	if (pty >= 0 && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
		ioctl(pty, TIOCSWINSZ, &ws);

	bool in_eof = pty < 0, out_eof = pty < 0;
	int code = -1;
	while (code < 0) {
		struct pollfd p[4] = {
			{.fd = sfd, .events = POLLIN},
			{.fd = pidfd, .events = POLLIN},
			{.fd = in_eof ? -1 : STDIN_FILENO, .events = POLLIN},
			{.fd = out_eof ? -1 : pty, .events = POLLIN},
		};
		if (poll(p, 4, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				int sig = (int)si.ssi_signo;
				if (sig == SIGCHLD)
					continue;
				if (sig == SIGWINCH && pty >= 0) {
					if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
						ioctl(pty, TIOCSWINSZ, &ws);
					continue;
				}
				pidfd_send_signal(pidfd, sig, NULL, 0);
			}
		}
		if (p[2].revents & (POLLIN | POLLHUP)) {
			pump(STDIN_FILENO, pty, &in_eof);
			if (in_eof && !raw) {
				/* Forward EOF the way a terminal would: ^D at line start. */
				char eot = 4;
				(void)!write(pty, &eot, 1);
			}
		}
		if (p[3].revents & POLLIN)
			pump(pty, STDOUT_FILENO, &out_eof);
		else if (p[3].revents & (POLLHUP | POLLERR))
			out_eof = true;
		if (p[1].revents & POLLIN) {
			int status;
			pid_t w;
			while ((w = waitpid(pid, &status, __WALL)) < 0 && errno == EINTR)
				;
			if (w < 0) {
				ward_err_sys(err, errno, "wait for %d", pid);
				break;
			}
			if (pty >= 0 && !out_eof) {
				int fl = fcntl(pty, F_GETFL);
				fcntl(pty, F_SETFL, fl | O_NONBLOCK);
				while (!out_eof) {
					struct pollfd q = {.fd = pty, .events = POLLIN};
					if (poll(&q, 1, 50) <= 0 || !(q.revents & POLLIN))
						break;
					pump(pty, STDOUT_FILENO, &out_eof);
				}
			}
			code = status_to_code(status);
		}
	}
	if (raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (code < 0)
		return err->msg[0] ? -1 : ward_err_set(err, "lost track of process %d", pid);
	return code;
}
