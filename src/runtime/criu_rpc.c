/* CRIU's RPC service (criu.h): the protobuf codec, the `criu swrk` child,
 * the request/notification loop, and criu's log read back for errors. */
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

/* ---- encoding ---- */

static bool pb_reserve(struct ward_pb *b, size_t more)
{
	if (b->failed)
		return false;
	if (b->len + more <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap * 2 : 256;
	while (cap < b->len + more)
		cap *= 2;
	uint8_t *n = realloc(b->buf, cap);
	if (!n) {
		b->failed = true;
		return false;
	}
	b->buf = n;
	b->cap = cap;
	return true;
}

static void pb_varint(struct ward_pb *b, uint64_t v)
{
	if (!pb_reserve(b, 10))
		return;
	do {
		uint8_t byte = v & 0x7f;
		v >>= 7;
		b->buf[b->len++] = byte | (v ? 0x80 : 0);
	} while (v);
}

static void pb_key(struct ward_pb *b, uint32_t field, uint8_t wire)
{
	pb_varint(b, ((uint64_t)field << 3) | wire);
}

void ward_pb_uint(struct ward_pb *b, uint32_t field, uint64_t v)
{
	pb_key(b, field, WARD_PB_VARINT);
	pb_varint(b, v);
}

void ward_pb_int(struct ward_pb *b, uint32_t field, int64_t v)
{
	ward_pb_uint(b, field, (uint64_t)v);
}

void ward_pb_bool(struct ward_pb *b, uint32_t field, bool v)
{
	ward_pb_uint(b, field, v ? 1 : 0);
}

void ward_pb_bytes(struct ward_pb *b, uint32_t field, const void *p, size_t n)
{
	pb_key(b, field, WARD_PB_LEN);
	pb_varint(b, n);
	if (n && pb_reserve(b, n)) {
		memcpy(b->buf + b->len, p, n);
		b->len += n;
	}
}

void ward_pb_str(struct ward_pb *b, uint32_t field, const char *s)
{
	ward_pb_bytes(b, field, s, strlen(s));
}

void ward_pb_msg(struct ward_pb *b, uint32_t field, const struct ward_pb *sub)
{
	if (sub->failed)
		b->failed = true;
	ward_pb_bytes(b, field, sub->buf, sub->len);
}

void ward_pb_pair_str(struct ward_pb *b, uint32_t field, const char *key, const char *val)
{
	struct ward_pb m = {0};
	if (key)
		ward_pb_str(&m, 1, key);
	ward_pb_str(&m, 2, val);
	ward_pb_msg(b, field, &m);
	ward_pb_free(&m);
}

void ward_pb_pair_int(struct ward_pb *b, uint32_t field, const char *key, int64_t val)
{
	struct ward_pb m = {0};
	ward_pb_str(&m, 1, key);
	ward_pb_int(&m, 2, val);
	ward_pb_msg(b, field, &m);
	ward_pb_free(&m);
}

void ward_pb_free(struct ward_pb *b)
{
	free(b->buf);
	memset(b, 0, sizeof(*b));
}

/* ---- decoding ---- */

static int pb_read_varint(const uint8_t **cur, const uint8_t *end, uint64_t *v)
{
	uint64_t r = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (*cur >= end)
			return -1;
		uint8_t byte = *(*cur)++;
		r |= (uint64_t)(byte & 0x7f) << shift;
		if (!(byte & 0x80)) {
			*v = r;
			return 0;
		}
	}
	return -1; /* more than 10 bytes */
}

int ward_pb_next(const uint8_t **cur, const uint8_t *end, struct ward_pb_field *f)
{
	if (*cur >= end)
		return 0;
	uint64_t key;
	if (pb_read_varint(cur, end, &key) < 0 || key >> 3 == 0 || key >> 3 > UINT32_MAX)
		return -1;
	memset(f, 0, sizeof(*f));
	f->num = (uint32_t)(key >> 3);
	f->wire = key & 7;
	switch (f->wire) {
	case WARD_PB_VARINT:
		return pb_read_varint(cur, end, &f->u) < 0 ? -1 : 1;
	case WARD_PB_I64:
	case WARD_PB_I32: {
		size_t w = f->wire == WARD_PB_I64 ? 8 : 4;
		if ((size_t)(end - *cur) < w)
			return -1;
		for (size_t i = 0; i < w; i++)
			f->u |= (uint64_t)(*cur)[i] << (8 * i);
		*cur += w;
		return 1;
	}
	case WARD_PB_LEN: {
		uint64_t n;
		if (pb_read_varint(cur, end, &n) < 0 || n > (uint64_t)(end - *cur))
			return -1;
		f->p = *cur;
		f->n = (size_t)n;
		*cur += n;
		return 1;
	}
	default:
		return -1; /* groups (3, 4) do not occur in rpc.proto */
	}
}

static void pb_copy_str(const struct ward_pb_field *f, char *out, size_t len)
{
	size_t n = f->n < len - 1 ? f->n : len - 1;
	memcpy(out, f->p, n);
	out[n] = '\0';
}

/* cr_errmsg is criu's log line: "Error (criu/x.c:1): what\n" -> "what". */
static void tidy_errmsg(char *m)
{
	const char *w = strncmp(m, "Error (", 7) == 0 ? strstr(m, "): ") : NULL;
	if (w)
		memmove(m, w + 3, strlen(w + 3) + 1);
	size_t l = strlen(m);
	while (l && (m[l - 1] == '\n' || m[l - 1] == ' '))
		m[--l] = '\0';
}

/* Walk a nested message: calls fn for each field. */
static int pb_each(const struct ward_pb_field *outer,
		   void (*fn)(const struct ward_pb_field *, struct ward_criu_resp *),
		   struct ward_criu_resp *r)
{
	const uint8_t *cur = outer->p, *end = outer->p + outer->n;
	struct ward_pb_field f;
	int k;
	while ((k = ward_pb_next(&cur, end, &f)) > 0)
		fn(&f, r);
	return k;
}

static void resp_notify(const struct ward_pb_field *f, struct ward_criu_resp *r)
{
	if (f->num == 1 && f->wire == WARD_PB_LEN)
		pb_copy_str(f, r->script, sizeof(r->script));
	else if (f->num == 2 && f->wire == WARD_PB_VARINT)
		r->notify_pid = (int)f->u;
}

static void resp_restore(const struct ward_pb_field *f, struct ward_criu_resp *r)
{
	if (f->num == 1 && f->wire == WARD_PB_VARINT)
		r->restore_pid = (int)f->u;
}

static void resp_version(const struct ward_pb_field *f, struct ward_criu_resp *r)
{
	static const int weight[] = {0, 10000, 100, 0, 1};
	if (f->wire == WARD_PB_VARINT && (f->num == 1 || f->num == 2 || f->num == 4))
		r->version += (int)f->u * weight[f->num];
}

static void resp_features(const struct ward_pb_field *f, struct ward_criu_resp *r)
{
	if (f->num == 1 && f->wire == WARD_PB_VARINT) {
		r->has_mem_track = true;
		r->mem_track = f->u != 0;
	}
}

int ward_criu_resp_decode(const uint8_t *p, size_t n, struct ward_criu_resp *r, ward_err *err)
{
	memset(r, 0, sizeof(*r));
	const uint8_t *cur = p, *end = p + n;
	struct ward_pb_field f;
	int k;
	bool has_type = false, has_success = false;
	while ((k = ward_pb_next(&cur, end, &f)) > 0) {
		bool len = f.wire == WARD_PB_LEN, var = f.wire == WARD_PB_VARINT;
		if (f.num == 1 && var) {
			r->type = (int)f.u;
			has_type = true;
		} else if (f.num == 2 && var) {
			r->success = f.u != 0;
			has_success = true;
		} else if (f.num == 7 && var) {
			r->cr_errno = (int)f.u;
		} else if (f.num == 9 && len) {
			pb_copy_str(&f, r->errmsg, sizeof(r->errmsg));
			tidy_errmsg(r->errmsg);
		} else if (len && (f.num == 4 || f.num == 5 || f.num == 8 || f.num == 10)) {
			void (*fn)(const struct ward_pb_field *, struct ward_criu_resp *) =
				f.num == 4 ? resp_restore : f.num == 5 ? resp_notify
					  : f.num == 8 ? resp_features : resp_version;
			if (pb_each(&f, fn, r) < 0)
				k = -1;
		}
		if (k < 0)
			break;
	}
	if (k < 0)
		return ward_err_set(err, "criu: malformed response (%zu bytes)", n);
	if (!has_type || !has_success)
		return ward_err_set(err, "criu: response without %s", has_type ? "success" : "type");
	return 0;
}

/* ---- the service process ---- */

static const char *req_name(int type)
{
	switch (type) {
	case CRIU_REQ_DUMP: return "dump";
	case CRIU_REQ_RESTORE: return "restore";
	case CRIU_REQ_PRE_DUMP: return "pre-dump";
	case CRIU_REQ_NOTIFY: return "notify";
	case CRIU_REQ_FEATURE_CHECK: return "feature check";
	case CRIU_REQ_VERSION: return "version";
	default: return "request";
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
		return ward_err_sys(err, e, "cannot run %s (install Debian's criu package, or "
					    "pass --criu PATH)", bin);
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
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b,
			    .msg_controllen = sizeof(u.b)};
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
