/* The monitor's control socket, <state dir>/integrity/ctl.sock (root only,
 * never in the container's view): one JSON request a connection, one JSON
 * reply.
 *
 *   {"op": "status"}              what inspect shows
 *   {"op": "policy", "policy": P} replace the policy: once, unless locked
 *   {"op": "stop"}                delete: the container is gone, exit */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "integrity.h"

#define REQ_MAX (1 << 20)

static int sock_path(int dirfd, struct sockaddr_un *sa, ward_err *err)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	/* Through the directory's fd: a long state root still fits sun_path. */
	int n = snprintf(sa->sun_path, sizeof(sa->sun_path), "/proc/self/fd/%d/ctl.sock", dirfd);
	if (n < 0 || (size_t)n >= sizeof(sa->sun_path))
		return ward_err_set(err, "control socket path too long");
	return 0;
}

int ward_ctl_listen(int dirfd, ward_err *err)
{
	struct sockaddr_un sa;
	if (sock_path(dirfd, &sa, err) < 0)
		return -1;
	unlinkat(dirfd, "ctl.sock", 0);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return ward_err_sys(err, errno, "control socket");
	mode_t old = umask(077);
	int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || listen(fd, 8) < 0) {
		int e = errno;
		close(fd);
		return ward_err_sys(err, e, "bind the control socket");
	}
	return fd;
}

static json_t *read_json(int fd, ward_err *err)
{
	_cleanup_free_ char *buf = malloc(REQ_MAX);
	size_t len = 0;
	if (!buf) {
		ward_err_sys(err, ENOMEM, "request");
		return NULL;
	}
	for (;;) {
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, 5000) <= 0) {
			ward_err_set(err, "no complete message within 5 s");
			return NULL;
		}
		ssize_t n = read(fd, buf + len, REQ_MAX - len);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (memchr(buf + len - (size_t)n, '\n', (size_t)n) || len == REQ_MAX)
			break;
	}
	json_error_t jerr;
	json_t *j = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DISABLE_EOF_CHECK, &jerr);
	if (!j)
		ward_err_set(err, "not JSON: %s", jerr.text);
	return j;
}

int ward_ctl_write(int fd, json_t *j)
{
	_cleanup_free_ char *s = json_dumps(j, JSON_COMPACT);
	if (!s)
		return -1;
	size_t len = strlen(s);
	s[len] = '\n';
	for (size_t off = 0; off <= len;) {
		/* A monitor that just exited must not kill us with SIGPIPE. */
		ssize_t w = send(fd, s + off, len + 1 - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		off += (size_t)w;
	}
	return 0;
}

/* Serve one connection. */
void ward_ctl_serve(struct ward_monitor *m)
{
	_cleanup_close_ int c = accept4(m->ctl_fd, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		return;
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	ward_err err = {0};
	json_t *reply = NULL;
	/* The socket is root's (0600 below a 0700 directory); checked anyway. */
	if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0 || cred.uid != 0) {
		reply =
		    json_pack("{s:b, s:s}", "ok", 0, "error", "only root may control the monitor");
	} else {
		json_t *req = read_json(c, &err);
		reply = req ? ward_ctl_handle(m, req)
			    : json_pack("{s:b, s:s}", "ok", 0, "error", err.msg);
		json_decref(req);
	}
	ward_ctl_write(c, reply);
	json_decref(reply);
}

json_t *ward_ctl_request(int dirfd, json_t *req, ward_err *err)
{
	struct sockaddr_un sa;
	if (sock_path(dirfd, &sa, err) < 0)
		return NULL;
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		ward_err_sys(err, errno, "the integrity monitor");
		return NULL;
	}
	if (ward_ctl_write(fd, req) < 0) {
		ward_err_sys(err, errno, "send to the integrity monitor");
		return NULL;
	}
	json_t *r = read_json(fd, err);
	if (!r)
		ward_err_wrap(err, "the integrity monitor's reply");
	return r;
}
