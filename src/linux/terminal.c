/* process.terminal: a pty allocated from the container's own devpts, its
 * master handed out over --console-socket (runc's protocol) or proxied to our
 * stdio by a foreground `run`/`exec` (runtime/wait.c). */
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
#include "../util/unix.h"
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
	_cleanup_close_ int s = ward_unix_connect(socket_path, err);
	if (s < 0)
		return ward_err_wrap(err, "--console-socket");
	/* runc sends the pty name as the data and the master as SCM_RIGHTS. */
	char name[64] = "/dev/ptmx";
	int ptn;
	if (ioctl(master, TIOCGPTN, &ptn) == 0)
		snprintf(name, sizeof(name), "/dev/pts/%d", ptn);
	if (ward_unix_send_fd(s, name, strlen(name), master, err) < 0)
		return ward_err_wrap(err, "--console-socket %s", socket_path);
	return 0;
}
