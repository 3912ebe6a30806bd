/* OCI hooks: each gets the container state on stdin, runs with its own env
 * (the runtime's when it has none), and is killed when its timeout passes. Output is captured so a failing
 * hook's complaint reaches the user in the error line. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/log.h"
#include "runtime.h"

extern char **environ;

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static int run_one(const struct ward_hook *h, const char *state, ward_err *err)
{
	int in[2], out[2];
	if (pipe2(in, O_CLOEXEC) < 0)
		return ward_err_sys(err, errno, "pipe");
	if (pipe2(out, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		return ward_err_sys(err, errno, "pipe");
	}
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(in[0]), close(in[1]), close(out[0]), close(out[1]);
		return ward_err_sys(err, e, "fork");
	}
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(out[1], 2);
		char *const argv0[] = {h->path, NULL};
		/* Without env the runtime's own environment, as runc (Go's
		 * exec.Cmd with a nil Env); an empty list means an empty one. */
		execve(h->path, h->args ? h->args : argv0, h->env ? h->env : environ);
		dprintf(2, "exec %s: %s", h->path, strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	_cleanup_close_ int wfd = in[1];
	_cleanup_close_ int rfd = out[0];
	_cleanup_close_ int pidfd = pidfd_open(pid, 0);

	/* Feed the state; a hook that does not read it must not block us. */
	signal(SIGPIPE, SIG_IGN);
	fcntl(wfd, F_SETFL, O_NONBLOCK);
	size_t off = 0, len = strlen(state);
	char output[1024];
	size_t olen = 0;
	long long deadline = h->timeout ? now_ms() + h->timeout * 1000LL : -1;
	bool exited = false, timed_out = false;
	while (!exited) {
		struct pollfd p[3] = {
			{.fd = off < len ? wfd : -1, .events = POLLOUT},
			{.fd = rfd, .events = POLLIN},
			{.fd = pidfd, .events = POLLIN},
		};
		int timeout = -1;
		if (deadline >= 0) {
			long long left = deadline - now_ms();
			if (left <= 0) {
				timed_out = true;
				break;
			}
			timeout = (int)left;
		}
		int r = poll(p, 3, timeout);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		if (p[0].revents & POLLOUT) {
			ssize_t w = write(wfd, state + off, len - off);
			if (w > 0)
				off += (size_t)w;
			if (w < 0 && errno != EAGAIN)
				off = len;
			if (off >= len) {
				close(wfd);
				wfd = -1;
			}
		} else if (p[0].revents & (POLLERR | POLLHUP)) {
			off = len;
			close(wfd);
			wfd = -1;
		}
		if (p[1].revents & (POLLIN | POLLHUP)) {
			char buf[512];
			ssize_t n = read(rfd, buf, sizeof(buf));
			if (n > 0) {
				size_t take = (size_t)n < sizeof(output) - 1 - olen
						      ? (size_t)n
						      : sizeof(output) - 1 - olen;
				memcpy(output + olen, buf, take);
				olen += take;
			} else if (n == 0) {
				close(rfd);
				rfd = -1;
			}
		}
		if (p[2].revents & POLLIN)
			exited = true;
	}
	if (timed_out)
		kill(pid, SIGKILL);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	output[olen] = '\0';
	while (olen && (output[olen - 1] == '\n' || output[olen - 1] == ' '))
		output[--olen] = '\0';
	if (timed_out)
		return ward_err_set(err, "%s: timed out after %d s", h->path, h->timeout);
	if (WIFSIGNALED(status))
		return ward_err_set(err, "%s: killed by signal %d%s%s", h->path, WTERMSIG(status),
				    olen ? ": " : "", output);
	if (WEXITSTATUS(status) != 0)
		return ward_err_set(err, "%s: exit status %d%s%s", h->path, WEXITSTATUS(status),
				    olen ? ": " : "", output);
	return 0;
}

int ward_hooks_run(const struct ward_spec *spec, enum ward_hook_kind kind, json_t *state,
		   ward_err *err)
{
	if (!spec->hooks.n[kind])
		return 0;
	_cleanup_free_ char *text = json_dumps(state, JSON_COMPACT);
	if (!text)
		return ward_err_sys(err, ENOMEM, "hooks");
	/* Spec: a failing poststart or poststop hook is a warning, and the
	 * remaining hooks still run; any other kind stops at the first failure. */
	bool warn_only = kind == WARD_HOOK_POSTSTART || kind == WARD_HOOK_POSTSTOP;
	for (size_t i = 0; i < spec->hooks.n[kind]; i++) {
		ward_debug("running hook %s[%zu] %s", ward_hook_names[kind], i,
			   spec->hooks.list[kind][i].path);
		if (run_one(&spec->hooks.list[kind][i], text, err) < 0) {
			ward_err_wrap(err, "hooks.%s[%zu]", ward_hook_names[kind], i);
			if (!warn_only)
				return -1;
			char line[WARD_ERR_MSG_MAX + 64];
			ward_warn("%s", ward_err_str(err, line, sizeof(line)));
			ward_err_clear(err);
		}
	}
	return 0;
}
