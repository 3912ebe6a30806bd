/* process.terminal: a pty allocated from the container's own devpts, its
 * master handed out over --console-socket (runc's protocol) or proxied to our
 * stdio by a foreground `run`/`exec`. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "linux.h"

int ward_terminal_setup(const struct ward_process *p, int *slave_fd, ward_err *err)
{
	_cleanup_close_ int master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return ward_err_sys(err, errno, "process.terminal: open ptmx (is devpts mounted?)");
	if (unlockpt(master) < 0)
		return ward_err_sys(err, errno, "process.terminal: unlockpt");
	/* TIOCGPTPEER opens the slave through the master, never by path. */
	_cleanup_close_ int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		return ward_err_sys(err, errno, "process.terminal: open pty slave");
	if (p->has_console_size) {
		struct winsize ws = {.ws_row = p->console_height, .ws_col = p->console_width};
		if (ioctl(slave, TIOCSWINSZ, &ws) < 0)
			return ward_err_sys(err, errno, "process.consoleSize");
	}
	if (setsid() < 0)
		return ward_err_sys(err, errno, "setsid");
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		return ward_err_sys(err, errno, "process.terminal: set controlling terminal");
	for (int i = 0; i < 3; i++)
		if (dup2(slave, i) < 0)
			return ward_err_sys(err, errno, "process.terminal: dup2");
	*slave_fd = steal_fd(&slave);
	return steal_fd(&master);
}

int ward_terminal_send(const char *socket_path, int master, ward_err *err)
{
	_cleanup_close_ int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return ward_err_sys(err, errno, "console socket");
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if (strlen(socket_path) >= sizeof(addr.sun_path))
		return ward_err_set(err, "--console-socket %s: path too long", socket_path);
	strcpy(addr.sun_path, socket_path);
	if (connect(s, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return ward_err_sys(err, errno, "--console-socket %s: connect", socket_path);
	/* runc sends the pty name as the data and the master as SCM_RIGHTS. */
	char name[64] = "/dev/ptmx";
	int ptn;
	if (ioctl(master, TIOCGPTN, &ptn) == 0)
		snprintf(name, sizeof(name), "/dev/pts/%d", ptn);
	struct iovec iov = {.iov_base = name, .iov_len = strlen(name)};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &master, sizeof(int));
	if (sendmsg(s, &mh, MSG_NOSIGNAL) < 0)
		return ward_err_sys(err, errno, "--console-socket %s: send", socket_path);
	return 0;
}

static void copy_once(int from, int to, bool *eof)
{
	char buf[8192];
	ssize_t n = read(from, buf, sizeof(buf));
	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			*eof = true;
		return;
	}
	for (ssize_t o = 0; o < n;) {
		ssize_t w = write(to, buf + o, (size_t)(n - o));
		if (w < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			*eof = true;
			return;
		}
		o += w;
	}
}

int ward_terminal_proxy(int master, int pidfd, ward_err *err)
{
	struct termios saved;
	bool raw = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
	if (raw) {
		struct termios t = saved;
		cfmakeraw(&t);
		tcsetattr(STDIN_FILENO, TCSANOW, &t);
		struct winsize ws;
		if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
			ioctl(master, TIOCSWINSZ, &ws);
	}
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGWINCH);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	_cleanup_close_ int sfd = signalfd(-1, &mask, SFD_CLOEXEC);

	bool in_eof = false, out_eof = false;
	while (!out_eof) {
		struct pollfd p[4] = {
			{.fd = in_eof ? -1 : STDIN_FILENO, .events = POLLIN},
			{.fd = master, .events = POLLIN},
			{.fd = sfd, .events = POLLIN},
			{.fd = pidfd, .events = POLLIN},
		};
		if (poll(p, 4, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents & (POLLIN | POLLHUP))
			copy_once(STDIN_FILENO, master, &in_eof);
		if (p[1].revents & POLLIN)
			copy_once(master, STDOUT_FILENO, &out_eof);
		else if (p[1].revents & (POLLHUP | POLLERR))
			out_eof = true;
		if (p[2].revents & POLLIN) {
			struct signalfd_siginfo si;
			(void)!read(sfd, &si, sizeof(si));
			struct winsize ws;
			if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
				ioctl(master, TIOCSWINSZ, &ws);
		}
		if (p[3].revents & POLLIN) {
			/* The process is gone: drain what it wrote, then stop. */
			bool eof = false;
			int fl = fcntl(master, F_GETFL);
			fcntl(master, F_SETFL, fl | O_NONBLOCK);
			while (!eof) {
				struct pollfd q = {.fd = master, .events = POLLIN};
				if (poll(&q, 1, 0) <= 0 || !(q.revents & POLLIN))
					break;
				copy_once(master, STDOUT_FILENO, &eof);
			}
			break;
		}
	}
	if (raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	sigprocmask(SIG_UNBLOCK, &mask, NULL);
	(void)err;
	return 0;
}
