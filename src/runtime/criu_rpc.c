/* CRIU's RPC service (criu.h): the `criu swrk` child, the
 * request/notification loop, and criu's log read back for errors (the
 * protobuf codec is criu_pb.c). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../linux/linux.h"
#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/log.h"
#include "criu.h"

/* ---- the service process ---- */

static const char *req_name(int type)
{
	switch (type) {
	case CRIU_REQ_DUMP:
		return "dump";
	case CRIU_REQ_RESTORE:
		return "restore";
	case CRIU_REQ_PRE_DUMP:
		return "pre-dump";
	case CRIU_REQ_NOTIFY:
		return "notify";
	case CRIU_REQ_FEATURE_CHECK:
		return "feature check";
	case CRIU_REQ_VERSION:
		return "version";
	default:
		return "request";
	}
}

/* In the child: the socket at 3, s->fds at 4..., nothing else open but
 * stdio; then exec criu. Reports a failed exec's errno on report. */
__attribute__((noreturn)) static void criu_child(int server, int report,
						 const struct ward_criu_spawn *s)
{
	sigset_t all;
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	/* Above every target first, so no dup2 below overwrites a source. */
	int base = 5 + (int)s->n_fds, hi_report = fcntl(report, F_DUPFD_CLOEXEC, base);
	int hi[65];
	hi[0] = fcntl(server, F_DUPFD_CLOEXEC, base);
	for (size_t i = 0; i < s->n_fds && i < 64; i++)
		hi[i + 1] = fcntl(s->fds[i], F_DUPFD_CLOEXEC, base);
	for (size_t i = 0; i <= s->n_fds && i < 65; i++)
		if (hi[i] < 0 || dup2(hi[i], 3 + (int)i) < 0)
			goto fail;
	int keep[] = {hi_report};
	ward_close_fds_except(4 + (int)s->n_fds, keep, 1);
	if (s->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		goto fail;
	const char *bin = s->binary && *s->binary ? s->binary : "criu";
	char *argv[] = {(char *)"criu", (char *)"swrk", (char *)"3", NULL};
	if (strchr(bin, '/'))
		execv(bin, argv);
	else
		execvp(bin, argv);
fail:;
	int e = errno;
	(void)!write(hi_report, &e, sizeof(e));
	_exit(127);
}

int ward_criu_start(struct ward_criu *c, const struct ward_criu_spawn *s, ward_err *err)
{
	memset(c, 0, sizeof(*c));
	c->sock = c->pidfd = -1;
	if (s->n_fds > 64)
		return ward_err_set(err, "criu: too many inherited files");
	int sp[2], rp[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return ward_err_sys(err, errno, "criu: socketpair");
	if (pipe2(rp, O_CLOEXEC) < 0) {
		close(sp[0]);
		close(sp[1]);
		return ward_err_sys(err, errno, "criu: pipe");
	}
	pid_t pid = fork();
	if (pid == 0)
		criu_child(sp[1], rp[1], s);
	int e = errno;
	close(sp[1]);
	close(rp[1]);
	if (pid < 0) {
		close(sp[0]);
		close(rp[0]);
		return ward_err_sys(err, e, "criu: fork");
	}
	c->pid = pid;
	c->sock = sp[0];
	c->pidfd = pidfd_open(pid, 0);
	ssize_t n;
	do
		n = read(rp[0], &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(rp[0]);
	if (n == sizeof(e)) {
		ward_criu_stop(c);
		const char *bin = s->binary && *s->binary ? s->binary : "criu";
		return ward_err_sys(err, e,
				    "cannot run %s (install Debian's criu package, or "
				    "pass --criu PATH)",
				    bin);
	}
	return 0;
}

int ward_criu_stop(struct ward_criu *c)
{
	if (c->sock >= 0) {
		close(c->sock);
		c->sock = -1;
	}
	if (c->pid > 0 && !c->waited) {
		while (waitpid(c->pid, &c->status, 0) < 0 && errno == EINTR)
			;
		c->waited = true;
	}
	if (c->pidfd >= 0) {
		close(c->pidfd);
		c->pidfd = -1;
	}
	return c->waited ? c->status : -1;
}

void ward_criu_kill(struct ward_criu *c)
{
	if (c->pid > 0 && !c->waited) {
		if (c->pidfd >= 0)
			pidfd_send_signal(c->pidfd, SIGKILL, NULL, 0);
		else
			kill(c->pid, SIGKILL);
	}
	ward_criu_stop(c);
}

/* One packet from criu, with the fd it may carry (orphan-pts-master). */
static ssize_t recv_packet(int sock, uint8_t *buf, size_t len, int *fd)
{
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	struct msghdr mh = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = sizeof(u.b)};
	ssize_t n;
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	*fd = -1;
	for (struct cmsghdr *h = n >= 0 ? CMSG_FIRSTHDR(&mh) : NULL; h; h = CMSG_NXTHDR(&mh, h))
		if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS &&
		    h->cmsg_len >= CMSG_LEN(sizeof(int)))
			memcpy(fd, CMSG_DATA(h), sizeof(int));
	if (n >= 0 && (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		if (*fd >= 0)
			close(*fd);
		errno = EMSGSIZE;
		return -1;
	}
	return n;
}

static int send_packet(int sock, const struct ward_pb *m, ward_err *err)
{
	if (m->failed)
		return ward_err_sys(err, ENOMEM, "criu: request");
	ssize_t n;
	do
		n = send(sock, m->buf, m->len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return ward_err_sys(err, errno, "criu: send request");
	return 0;
}

/* criu closed the socket without answering: it died (or exec'd nothing). */
static int criu_gone(struct ward_criu *c, int type, ward_err *err)
{
	int st = ward_criu_stop(c);
	if (st >= 0 && WIFSIGNALED(st))
		return ward_err_set(err, "criu %s: criu was killed by signal %d before it answered",
				    req_name(type), WTERMSIG(st));
	return ward_err_set(err, "criu %s: criu exited (status %d) before it answered",
			    req_name(type), st >= 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

static int answer_notify(struct ward_criu *c, bool ok, ward_err *err)
{
	struct ward_pb m = {0};
	ward_pb_uint(&m, CRIU_REQ_F_TYPE, CRIU_REQ_NOTIFY);
	ward_pb_bool(&m, CRIU_REQ_F_NOTIFY_SUCCESS, ok);
	int r = send_packet(c->sock, &m, err);
	ward_pb_free(&m);
	return r;
}

int ward_criu_call(struct ward_criu *c, const struct ward_pb *req, ward_criu_notify_fn fn,
		   void *arg, struct ward_criu_resp *out, ward_err *err)
{
	/* The type is the first field ward writes (1, a varint of one byte). */
	int type = req->len >= 2 ? req->buf[1] : 0;
	if (send_packet(c->sock, req, err) < 0)
		return ward_err_wrap(err, "criu %s", req_name(type));
	_cleanup_free_ uint8_t *buf = malloc(64 * 1024);
	if (!buf)
		return ward_err_sys(err, ENOMEM, "criu %s", req_name(type));
	ward_err notify_err = {0};
	bool notify_failed = false;
	for (;;) {
		int fd = -1;
		ssize_t n = recv_packet(c->sock, buf, 64 * 1024, &fd);
		if (n < 0)
			return ward_err_sys(err, errno, "criu %s: receive", req_name(type));
		if (n == 0)
			return notify_failed ? (*err = notify_err, -1) : criu_gone(c, type, err);
		if (ward_criu_resp_decode(buf, (size_t)n, out, err) < 0) {
			if (fd >= 0)
				close(fd);
			return ward_err_wrap(err, "criu %s", req_name(type));
		}
		if (out->type != CRIU_REQ_NOTIFY) {
			if (fd >= 0)
				close(fd);
			if (notify_failed) {
				*err = notify_err;
				return -1;
			}
			if (out->success)
				return 0;
			if (out->errmsg[0])
				return ward_err_sys(err, out->cr_errno, "criu %s failed: %s",
						    req_name(type), out->errmsg);
			return ward_err_sys(err, out->cr_errno, "criu %s failed", req_name(type));
		}
		bool ok = true;
		if (!notify_failed && fn && fn(arg, out, fd, &notify_err) < 0) {
			/* criu aborts the request and answers it; keep our reason. */
			ok = false;
			notify_failed = c->notify_failed = true;
		} else if (!fn && fd >= 0) {
			close(fd);
		}
		if (answer_notify(c, ok, err) < 0)
			return notify_failed ? (*err = notify_err, -1) : -1;
	}
}

int ward_criu_version(const char *binary, ward_err *err)
{
	struct ward_criu c;
	struct ward_criu_spawn s = {.binary = binary};
	if (ward_criu_start(&c, &s, err) < 0)
		return -1;
	struct ward_pb req = {0};
	ward_pb_uint(&req, CRIU_REQ_F_TYPE, CRIU_REQ_VERSION);
	struct ward_criu_resp r;
	int rc = ward_criu_call(&c, &req, NULL, NULL, &r, err);
	ward_pb_free(&req);
	ward_criu_stop(&c);
	if (rc < 0)
		return -1;
	if (!r.version)
		return ward_err_set(err, "criu version: no version in the answer (criu < 3.0?)");
	return r.version;
}

void ward_criu_version_str(int v, char *buf, size_t len)
{
	snprintf(buf, len, "%d.%d.%d", v / 10000, v / 100 % 100, v % 100);
}

/* ---- criu's log ---- */

void ward_criu_log_errors(int dirfd, const char *file, char *first, size_t len)
{
	first[0] = '\0';
	_cleanup_free_ char *text = NULL;
	ward_err e;
	if (ward_read_file_at(dirfd, file, &text, NULL, &e) < 0)
		return;
	enum { CONTEXT = 5, MAX_QUOTED = 40 };
	char *ring[CONTEXT] = {0};
	size_t nring = 0;
	int quoted = 0;
	char *save = NULL;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (!strstr(l, "Error")) {
			ring[nring++ % CONTEXT] = l;
			continue;
		}
		if (!first[0]) {
			/* "(00.123) Error (criu/x.c:1): what" -> "what" */
			const char *w = strstr(l, "): ");
			snprintf(first, len, "%s", w ? w + 3 : l);
		}
		size_t from = nring > CONTEXT ? nring - CONTEXT : 0;
		for (size_t i = from; i < nring && quoted < MAX_QUOTED; i++, quoted++)
			ward_warn("criu %s: %s", file, ring[i % CONTEXT]);
		if (quoted++ < MAX_QUOTED)
			ward_warn("criu %s: %s", file, l);
		nring = 0;
	}
}
