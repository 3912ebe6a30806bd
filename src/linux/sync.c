#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "linux.h"

int ward_sync_pair(int fds[2], ward_err *err)
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0)
		return ward_err_sys(err, errno, "socketpair");
	return 0;
}

int ward_sync_send(int sock, uint32_t type, int64_t value, int fd_to_pass, ward_err *err)
{
	struct ward_sync_msg m = {.type = type, .value = value};
	struct iovec iov = {.iov_base = &m, .iov_len = offsetof(struct ward_sync_msg, msg) + 1};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	if (fd_to_pass >= 0) {
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof(u.buf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd_to_pass, sizeof(int));
	}
	ssize_t r;
	do
		r = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return ward_err_sys(err, errno, "sync: send");
	return 0;
}

/* One record: the header and msg up to its NUL. */
static ssize_t send_record(int sock, const struct ward_sync_msg *m)
{
	size_t len = offsetof(struct ward_sync_msg, msg) + strnlen(m->msg, sizeof(m->msg) - 1) + 1;
	ssize_t r;
	do
		r = send(sock, m, len, MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	return r;
}

int ward_sync_send_text(int sock, uint32_t type, const char *text, ward_err *err)
{
	struct ward_sync_msg m = {.type = type};
	memcpy(m.msg, text, strnlen(text, sizeof(m.msg) - 1));
	if (send_record(sock, &m) < 0)
		return ward_err_sys(err, errno, "sync: send");
	return 0;
}

size_t ward_sync_error_record(const ward_err *e, struct ward_sync_msg *m)
{
	*m = (struct ward_sync_msg){.type = WARD_SYNC_ERROR, .errnum = e->errnum};
	size_t n = strnlen(e->msg, sizeof(m->msg) - 1);
	memcpy(m->msg, e->msg, n);
	m->msg[n] = '\0';
	return offsetof(struct ward_sync_msg, msg) + n + 1;
}

int ward_sync_error_parse(const void *buf, size_t n, ward_err *err)
{
	struct ward_sync_msg m;
	if (n <= offsetof(struct ward_sync_msg, msg) || n > sizeof(m))
		return -1;
	memcpy(&m, buf, n);
	if (m.type != WARD_SYNC_ERROR || m.errnum < 0 || m.errnum > 4095)
		return -1;
	size_t len = n - offsetof(struct ward_sync_msg, msg);
	if (m.msg[len - 1] != '\0')
		return -1;
	err->errnum = m.errnum;
	memcpy(err->msg, m.msg, len);
	return 0;
}

int ward_sync_send_error(int sock, const ward_err *e)
{
	struct ward_sync_msg m;
	ward_sync_error_record(e, &m);
	return send_record(sock, &m) < 0 ? -1 : 0;
}

int ward_sync_recv(int sock, struct ward_sync_msg *m, int *fd_out, ward_err *err)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {.iov_base = m, .iov_len = sizeof(*m)};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf)};
	memset(m, 0, sizeof(*m));
	if (fd_out)
		*fd_out = -1;
	ssize_t r;
	do
		r = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return ward_err_sys(err, errno, "sync: receive");
	if (r == 0)
		return ward_err_set(err, "the container's init exited during setup");
	m->msg[sizeof(m->msg) - 1] = '\0';
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			int fd;
			memcpy(&fd, CMSG_DATA(c), sizeof(int));
			if (fd_out && *fd_out < 0)
				*fd_out = fd;
			else
				close(fd);
		}
	}
	return 0;
}

int ward_sync_expect(int sock, uint32_t type, struct ward_sync_msg *out, int *fd_out,
		     ward_err *err)
{
	struct ward_sync_msg local, *m = out ? out : &local;
	if (ward_sync_recv(sock, m, fd_out, err) < 0)
		return -1;
	if (m->type == WARD_SYNC_ERROR) {
		err->errnum = m->errnum;
		memcpy(err->msg, m->msg, sizeof(err->msg));
		return -1;
	}
	if (m->type != type)
		return ward_err_set(err, "sync: expected message %u, got %u", type, m->type);
	return 0;
}
