/* Nesting: a ward inside a ward container gets its integrity namespace from
 * the outer container's monitor. It cannot run a monitor of its own (a
 * content-class fanotify group needs the host's CAP_SYS_ADMIN) and must not
 * be trusted with one: the outer policy has to keep applying to everything
 * inside, and the outer list has to see what the nested container's root
 * does. So the inner ward asks, over <listPath>/ward-nest.sock (in the
 * outer container's read-only list mount), and the outer monitor
 *
 *   - marks the inner container's mounts in its own group, and attributes
 *     each event to the namespace of the file's mount (statx's mount ID);
 *   - appraises by both policies (either may deny), measures into the inner
 *     list, into the outer list when the inner root ran it (or always, with
 *     the outer policy's logChildren "all"), and into the host's for root;
 *   - keeps the inner list on the host side and serves it back.
 *
 * What the inner ward sends is the outer container's to say: key
 * certificates are accepted only if they chain to a CA the host configured
 * (without one, a nested container gets no keys), and the inner policy can
 * only add refusals, never lift the outer one's. Requests are accepted only
 * from root of the outer container, from inside it. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "crypto_dl.h"
#include "integrity.h"

#define NEST_REQ_MAX (4 << 20)

int ward_nest_listen(struct ward_monitor *m, int listdir, gid_t gid, ward_err *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/ward-nest.sock", listdir);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return ward_err_sys(err, errno, "nest socket");
	mode_t old = umask(077);
	int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	/* connect() needs write permission on the socket: the container's root. */
	if (r < 0 || fchownat(listdir, "ward-nest.sock", 0, gid, AT_SYMLINK_NOFOLLOW) < 0 ||
	    fchmodat(listdir, "ward-nest.sock", 0660, 0) < 0 || listen(fd, 8) < 0) {
		int e = errno;
		close(fd);
		return ward_err_sys(err, e, "bind the nest socket");
	}
	m->nest_fd = fd;
	return 0;
}

/* One request: JSON up to a newline, maybe with an fd (SCM_RIGHTS). */
static json_t *recv_request(int c, int *passed, ward_err *err)
{
	*passed = -1;
	_cleanup_free_ char *buf = malloc(NEST_REQ_MAX);
	size_t len = 0;
	if (!buf) {
		ward_err_sys(err, ENOMEM, "request");
		return NULL;
	}
	while (len < NEST_REQ_MAX && !memchr(buf, '\n', len)) {
		struct pollfd p = {c, POLLIN, 0};
		if (poll(&p, 1, 5000) <= 0) {
			ward_err_set(err, "no complete request within 5 s");
			break;
		}
		char cbuf[CMSG_SPACE(sizeof(int))];
		struct iovec iov = {buf + len, NEST_REQ_MAX - len};
		struct msghdr mh = {.msg_iov = &iov,
				    .msg_iovlen = 1,
				    .msg_control = cbuf,
				    .msg_controllen = sizeof(cbuf)};
		ssize_t n = recvmsg(c, &mh, MSG_CMSG_CLOEXEC);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break;
		for (struct cmsghdr *h = CMSG_FIRSTHDR(&mh); h; h = CMSG_NXTHDR(&mh, h))
			if (h->cmsg_type == SCM_RIGHTS && *passed < 0)
				memcpy(passed, CMSG_DATA(h), sizeof(int));
		len += (size_t)n;
	}
	json_error_t jerr;
	json_t *j = json_loadb(buf, len, JSON_DISABLE_EOF_CHECK, &jerr);
	if (!j && !err->msg[0])
		ward_err_set(err, "not JSON: %s", jerr.text);
	return j;
}

static json_t *nfail(const char *msg)
{
	return json_pack("{s:b, s:s}", "ok", 0, "error", msg);
}

struct ward_child *ward_nest_child(struct ward_monitor *m, json_t *req)
{
	json_int_t i = json_integer_value(json_object_get(req, "child"));
	if (i < 0 || i >= WARD_NEST_MAX || !m->children[i])
		return NULL;
	return m->children[i];
}

/* The host pid behind a pidfd (the Pid: line of its fdinfo, in our pid
 * namespace, the host's). */
static pid_t pidfd_pid(int pidfd)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	char *p = strstr(buf, "\nPid:");
	return p ? (pid_t)strtol(p + 5, NULL, 10) : -1;
}

/* Keys sent as certificates (hex of DER or PEM text), each checked against
 * the host's CAs, which must exist. */
static int child_keys(struct ward_monitor *m, struct ward_child *ch, json_t *certs, ward_err *err)
{
	size_t n = json_array_size(certs);
	if (!n)
		return 0;
	if (!m->hostconf.n_ca)
		return ward_err_set(err,
				    "keys: a nested container's keys must chain to a CA the "
				    "host trusts, and the host configures none (ca in %s)",
				    m->hostconf.conf_path ? m->hostconf.conf_path
							  : "/etc/ward/integrity.json");
	X509_STORE *ca = NULL;
	if (ward_ima_ca_load(m->hostconf.ca, m->hostconf.n_ca, &ca, err) < 0)
		return -1;
	ch->pol.keys.keys = calloc(n, sizeof(*ch->pol.keys.keys));
	int r = ch->pol.keys.keys ? 0 : ward_err_sys(err, ENOMEM, "keys");
	for (size_t i = 0; r == 0 && i < n; i++) {
		const char *t = json_string_value(json_array_get(certs, i));
		r = t ? ward_ima_key_from_text(t, strlen(t), ca, &ch->pol.keys.keys[i], err)
		      : ward_err_set(err, "keys[%zu]: not a string", i);
		if (r == 0)
			ch->pol.keys.n++;
		else
			ward_err_wrap(err, "keys[%zu]", i);
	}
	if (ca)
		ward_ossl.X509_STORE_free(ca);
	return r;
}

int ward_nest_policy(struct ward_monitor *m, struct ward_child *ch, json_t *req, ward_err *err)
{
	ward_integrity_conf_init(&ch->pol.conf);
	json_t *pol = json_object_get(req, "policy");
	/* Paths in it are the outer container's: their contents come along. */
	json_t *p = json_is_object(pol) ? json_deep_copy(pol) : json_object();
	json_object_del(p, "keys");
	json_object_del(p, "allowList");
	json_object_del(p, "signatures");
	int r = ward_integrity_conf_object(&ch->pol.conf, p, "policy", false, err);
	json_decref(p);
	if (r < 0 || child_keys(m, ch, json_object_get(req, "keys"), err) < 0)
		return -1;
	const char *allow = json_string_value(json_object_get(req, "allowList"));
	const char *sigs = json_string_value(json_object_get(req, "signatures"));
	if (allow &&
	    ward_allowlist_parse(allow, strlen(allow), "allowList", &ch->pol.allow, err) < 0)
		return -1;
	if (sigs && ward_manifest_parse(sigs, strlen(sigs), "signatures", &ch->pol.sigs, err) < 0)
		return -1;
	/* What conf_check counts: the keys and allow-list that came along. */
	struct ward_integrity_conf probe = ch->pol.conf;
	probe.n_keys = ch->pol.keys.n;
	probe.allow_list = ch->pol.allow.n ? (char *)"(sent)" : NULL;
	probe.signatures = ch->pol.sigs.n ? (char *)"(sent)" : NULL;
	return ward_integrity_conf_check(&probe, "policy", err);
}

static int child_list(struct ward_monitor *m, struct ward_child *ch, ward_err *err)
{
	char name[32];
	snprintf(name, sizeof(name), "nested/%d", ch->index);
	if ((mkdirat(m->dirfd, "nested", 0700) < 0 && errno != EEXIST) ||
	    mkdirat(m->dirfd, name, 0700) < 0)
		return ward_err_sys(err, errno, "mkdir integrity/%s", name);
	ch->dirfd = openat(m->dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ch->dirfd < 0 || mkdirat(ch->dirfd, "list", 0750) < 0)
		return ward_err_sys(err, errno, "integrity/%s/list", name);
	_cleanup_close_ int ld = openat(ch->dirfd, "list", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ld < 0 || ward_mlist_open(&ch->list, ld, true, false, 0, err) < 0 ||
	    ward_mlist_init(&ch->list, err) < 0)
		return ld < 0 ? ward_err_sys(err, errno, "open the nested list") : -1;
	ch->has_list = true;
	struct ward_target t = ward_nest_target(ch);
	return ward_monitor_policy_records(m, &t, true, err);
}

struct ward_target ward_nest_target(struct ward_child *ch)
{
	return (struct ward_target){.id = ch->id,
				    .audit_id = ch->audit_id,
				    .pol = &ch->pol,
				    .list = ch->has_list ? &ch->list : NULL};
}

void ward_nest_free(struct ward_child *ch)
{
	if (!ch)
		return;
	ward_mlist_close(&ch->list);
	ward_integrity_policy_release(&ch->pol);
	ward_cache_release(&ch->cache);
	if (ch->init_pidfd >= 0)
		close(ch->init_pidfd);
	if (ch->dirfd >= 0)
		close(ch->dirfd);
	free(ch);
}

static int mark_child(struct ward_monitor *m, struct ward_child *ch, ward_err *err)
{
	json_t *marked = json_array();
	uint64_t mask = FAN_OPEN_EXEC_PERM | (m->pol.conf.libraries ? FAN_OPEN_PERM : 0);
	int r = ward_integrity_mark_mounts(m->fan_fd, ch->init_pid, mask, marked, err);
	size_t i;
	json_t *e;
	json_array_foreach(marked, i, e)
	{
		if (ch->n_mnt < ARRAY_SIZE(ch->mnt))
			ch->mnt[ch->n_mnt++] =
			    (uint64_t)json_integer_value(json_object_get(e, "mntId"));
	}
	json_decref(marked);
	return r;
}

static json_t *nest(struct ward_monitor *m, json_t *req, int pidfd, ward_err *err)
{
	int slot = -1;
	for (int i = 0; i < WARD_NEST_MAX && slot < 0; i++)
		if (!m->children[i])
			slot = i;
	if (slot < 0)
		return nfail("too many nested integrity namespaces");
	pid_t pid = pidfd >= 0 ? pidfd_pid(pidfd) : -1;
	struct ward_subject s;
	if (pid <= 0 || (ward_monitor_subject(m, pid, pidfd, &s), !s.inside))
		return nfail("nest: the init (passed as a pidfd) must be one of this container's "
			     "processes");
	struct ward_child *ch = calloc(1, sizeof(*ch));
	if (!ch)
		return nfail("out of memory");
	ch->index = slot;
	ch->dirfd = -1;
	ch->init_pid = pid;
	ch->init_pidfd = steal_fd(&pidfd);
	ch->list.dirfd = ch->list.bin_fd = ch->list.ascii_fd = -1;
	ward_cache_init(&ch->cache);
	snprintf(ch->id, sizeof(ch->id), "%s",
		 json_string_value(json_object_get(req, "id")) ?: "?");
	snprintf(ch->audit_id, sizeof(ch->audit_id), "%s",
		 json_string_value(json_object_get(req, "auditId")) ?: "");
	ch->root_uid = m->root_uid;
	if (json_is_true(json_object_get(req, "userns"))) {
		long u = ward_integrity_root_of(pid, "uid_map");
		ch->root_uid = u < 0 ? (uid_t)-2 : (uid_t)u;
	}
	if (ward_nest_policy(m, ch, req, err) < 0 || child_list(m, ch, err) < 0 ||
	    mark_child(m, ch, err) < 0) {
		ward_nest_free(ch);
		return nfail(err->msg);
	}
	_cleanup_close_ int ld = openat(ch->dirfd, "list", O_PATH | O_DIRECTORY | O_CLOEXEC);
	int lm = ch->pol.conf.list_path
		     ? ward_integrity_mount_list(pid, ld, ch->pol.conf.list_path, err)
		     : 1;
	m->children[slot] = ch;
	m->n_children++;
	/* The ignore marks were the outer policy's shortcuts: the nested one
	 * must see those files too. */
	fanotify_mark(m->fan_fd, FAN_MARK_FLUSH, 0, AT_FDCWD, NULL);
	m->ignore_marks = 0;
	return json_pack("{s:b, s:i, s:I, s:b}", "ok", 1, "child", slot, "mounts",
			 (json_int_t)ch->n_mnt, "listMount", lm == 0);
}

static json_t *child_status(struct ward_monitor *m, struct ward_child *ch)
{
	(void)m;
	char s1[41], s256[65];
	ward_hex(ch->list.pcr.sha1, WARD_SHA1_LEN, s1);
	ward_hex(ch->list.pcr.sha256, WARD_SHA256_LEN, s256);
	json_t *j =
	    json_pack("{s:b, s:s, s:b, s:I, s:I, s:I, s:{s:i, s:s, s:s}, s:s}", "ok", 1, "mode",
		      ward_integrity_mode_name(ch->pol.conf.mode), "replaced", ch->replaced,
		      "entries", (json_int_t)ch->list.count, "measured", (json_int_t)ch->measured,
		      "denied", (json_int_t)ch->denied, "pcr", "index", WARD_IMA_PCR, "sha1", s1,
		      "sha256", s256, "parent", m->audit_id);
	json_object_set_new(j, "policy", ward_integrity_policy_json(&ch->pol));
	return j;
}

/* log: a header line, then the list's bytes. */
static void send_log(struct ward_child *ch, int c, bool binary)
{
	const char *name =
	    binary ? "list/ima/binary_runtime_measurements" : "list/ima/ascii_runtime_measurements";
	_cleanup_close_ int fd = openat(ch->dirfd, name, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		json_t *r = nfail("the nested list cannot be read");
		ward_ctl_write(c, r);
		json_decref(r);
		return;
	}
	json_t *h = json_pack("{s:b, s:I}", "ok", 1, "size", (json_int_t)st.st_size);
	ward_ctl_write(c, h);
	json_decref(h);
	char buf[65536];
	ssize_t n;
	for (off_t left = st.st_size; left > 0 && (n = read(fd, buf, sizeof(buf))) > 0; left -= n)
		if (send(c, buf, (size_t)(n < left ? n : left), MSG_NOSIGNAL) < 0)
			return;
}

static json_t *handle(struct ward_monitor *m, json_t *req, int *pidfd, int c, bool *sent)
{
	const char *op = json_string_value(json_object_get(req, "op"));
	ward_err err = {0};
	if (op && !strcmp(op, "nest"))
		return nest(m, req, steal_fd(pidfd), &err);
	struct ward_child *ch = ward_nest_child(m, req);
	if (!op || !ch)
		return nfail("unknown op, or no such nested namespace");
	if (!strcmp(op, "status") || !strcmp(op, "pcr"))
		return child_status(m, ch);
	if (!strcmp(op, "log")) {
		send_log(ch, c, json_is_true(json_object_get(req, "binary")));
		*sent = true;
		return NULL;
	}
	if (!strcmp(op, "unnest")) {
		m->children[ch->index] = NULL;
		m->n_children--;
		ward_nest_free(ch);
		return json_pack("{s:b}", "ok", 1);
	}
	if (!strcmp(op, "policy"))
		return ward_nest_replace(m, ch, req);
	return nfail("unknown op");
}

void ward_nest_serve(struct ward_monitor *m)
{
	_cleanup_close_ int c = accept4(m->nest_fd, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		return;
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	struct ward_subject s = {0};
	if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0)
		return;
	ward_monitor_subject(m, cred.pid, -1, &s);
	json_t *reply = NULL;
	int pidfd = -1;
	bool sent = false;
	/* Root of this container, from inside it: none else may nest. */
	if (!s.inside || !(s.root && (cred.uid == m->root_uid || m->root_uid == (uid_t)-1))) {
		reply = nfail("only root of the container may use the nest socket");
	} else {
		ward_err err = {0};
		json_t *req = recv_request(c, &pidfd, &err);
		reply = req ? handle(m, req, &pidfd, c, &sent) : nfail(err.msg);
		json_decref(req);
	}
	if (pidfd >= 0)
		close(pidfd);
	if (!sent && reply)
		ward_ctl_write(c, reply);
	json_decref(reply);
}

/* Which nested namespace a file belongs to: by its mount. */
struct ward_child *ward_nest_of_fd(struct ward_monitor *m, int fd)
{
	struct statx sx;
	if (statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &sx) < 0 || !(sx.stx_mask & STATX_MNT_ID))
		return NULL;
	for (int i = 0; i < WARD_NEST_MAX; i++) {
		struct ward_child *ch = m->children[i];
		for (size_t k = 0; ch && k < ch->n_mnt; k++)
			if (ch->mnt[k] == sx.stx_mnt_id)
				return ch;
	}
	return NULL;
}
