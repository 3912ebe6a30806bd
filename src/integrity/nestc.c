/* The inner ward's side of nesting (nest.c): a ward that finds its parent's
 * nest socket (the default list mount, /sys/kernel/security/ward-nest.sock,
 * or $WARD_INTEGRITY_PARENT) asks the parent's monitor for a namespace for
 * its container instead of starting a monitor, and later reads the list,
 * the PCR and the status, replaces the policy and ends the namespace
 * through it. Files named by the policy are read here (they are this side's)
 * and sent as their contents. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/unix.h"
#include "crypto_dl.h"
#include "integrity.h"

#define PARENT_SOCK "/sys/kernel/security/ward-nest.sock"

const char *ward_nest_parent(void)
{
	const char *e = getenv("WARD_INTEGRITY_PARENT");
	if (e && *e)
		return e;
	struct stat st;
	return stat(PARENT_SOCK, &st) == 0 && S_ISSOCK(st.st_mode) ? PARENT_SOCK : NULL;
}

static int read_line(int fd, char *buf, size_t cap, ward_err *err)
{
	size_t len = 0;
	while (len < cap - 1) {
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, 30000) <= 0)
			return ward_err_set(err, "the parent's monitor does not answer");
		ssize_t n = read(fd, buf + len, 1); /* byte by byte: raw data may follow */
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (buf[len] == '\n')
			break;
		len++;
	}
	buf[len] = '\0';
	return len ? 0 : ward_err_set(err, "the parent's monitor closed the connection");
}

static int copy_n(int from, int to, json_int_t size, ward_err *err)
{
	char buf[65536];
	while (size > 0) {
		ssize_t n =
		    read(from, buf,
			 (size_t)(size < (json_int_t)sizeof(buf) ? size : (json_int_t)sizeof(buf)));
		if (n <= 0 || write(to, buf, (size_t)n) != n)
			return ward_err_sys(err, n < 0 ? errno : EIO, "the nested list");
		size -= n;
	}
	return 0;
}

json_t *ward_nest_request(const char *sock, json_t *req, int fd, int out_fd, ward_err *err)
{
	_cleanup_close_ int s = ward_unix_connect(sock, err);
	if (s < 0)
		return NULL;
	_cleanup_free_ char *text = json_dumps(req, JSON_COMPACT);
	size_t len = text ? strlen(text) : 0;
	if (!text) {
		ward_err_sys(err, ENOMEM, "request");
		return NULL;
	}
	text[len] = '\n';
	/* The fd rides with the first byte; the rest follows as written. */
	if (ward_unix_send_fd(s, text, 1, fd, err) < 0)
		return NULL;
	for (size_t off = 1; off <= len;) {
		ssize_t w = send(s, text + off, len + 1 - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			ward_err_sys(err, errno, "send to the parent's monitor");
			return NULL;
		}
		off += (size_t)w;
	}
	char line[8192];
	if (read_line(s, line, sizeof(line), err) < 0)
		return NULL;
	json_t *r = json_loads(line, 0, NULL);
	if (!r) {
		ward_err_set(err, "the parent's monitor: a reply that is not JSON");
		return NULL;
	}
	if (!json_is_true(json_object_get(r, "ok"))) {
		ward_err_set(err, "the parent's monitor: %s",
			     json_string_value(json_object_get(r, "error")) ?: "refused");
		json_decref(r);
		return NULL;
	}
	json_t *size = json_object_get(r, "size");
	if (out_fd >= 0 && size && copy_n(s, out_fd, json_integer_value(size), err) < 0) {
		json_decref(r);
		return NULL;
	}
	return r;
}

static char *file_text(const char *path, ward_err *err)
{
	char *t = NULL;
	size_t len;
	return ward_integrity_read_trusted(path, &t, &len, err) < 0 ? NULL : t;
}

static json_t *key_pems(const struct ward_ima_keyring *r)
{
	json_t *a = json_array();
	for (size_t i = 0; i < r->n; i++) {
		const unsigned char *p = r->keys[i].der;
		X509 *x = ward_ossl.d2i_X509(NULL, &p, (long)r->keys[i].der_len);
		BIO *b = ward_ossl.BIO_new(ward_ossl.BIO_s_mem());
		char *data = NULL;
		/* BIO_get_mem_data, a macro of OpenSSL's */
		long n = x && b && ward_ossl.PEM_write_bio_X509(b, x)
			     ? ward_ossl.BIO_ctrl(b, BIO_CTRL_INFO, 0, (char *)&data)
			     : 0;
		if (n > 0)
			json_array_append_new(a, json_stringn(data, (size_t)n));
		ward_ossl.BIO_free(b);
		ward_ossl.X509_free(x);
	}
	return a;
}

/* The request that asks for a namespace (or a replacement policy). */
json_t *ward_nest_policy_request(const char *op, const struct ward_integrity_policy *p,
				 ward_err *err)
{
	if (p->keys.n && ward_crypto_load(err) < 0)
		return NULL;
	const struct ward_integrity_conf *c = &p->conf;
	json_t *pol = json_pack("{s:s, s:b, s:s, s:b}", "mode", ward_integrity_mode_name(c->mode),
				"libraries", c->libraries, "logChildren",
				c->children_all ? "all" : "root", "locked", c->locked);
	if (strcmp(op, "policy"))
		json_object_set_new(pol, "listPath", json_string(c->list_path ? c->list_path : ""));
	json_t *req =
	    json_pack("{s:s, s:o, s:o}", "op", op, "policy", pol, "keys", key_pems(&p->keys));
	const char *files[][2] = {{"allowList", c->allow_list}, {"signatures", c->signatures}};
	for (size_t i = 0; i < 2; i++) {
		if (!files[i][1])
			continue;
		_cleanup_free_ char *t = file_text(files[i][1], err);
		if (!t) {
			json_decref(req);
			return NULL;
		}
		json_object_set_new(req, files[i][0], json_string(t));
	}
	return req;
}

int ward_nest_start(const struct ward_integrity_policy *p, const struct ward_integrity_launch *l,
		    const char *sock, ward_err *err)
{
	json_t *req = ward_nest_policy_request("nest", p, err);
	if (!req)
		return -1;
	json_object_set_new(req, "id", json_string(l->id));
	json_object_set_new(req, "auditId", json_string(l->audit_id));
	json_object_set_new(req, "userns", json_boolean(l->userns));
	_cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, l->init_pid, 0);
	json_t *rep = pidfd < 0 ? NULL : ward_nest_request(sock, req, pidfd, -1, err);
	json_decref(req);
	if (pidfd < 0)
		return ward_err_sys(err, errno, "pidfd_open of the init");
	if (!rep)
		return ward_err_wrap(err, "nest in the parent's integrity namespace");
	json_t *info = json_pack("{s:O, s:s, s:O}", "child", json_object_get(rep, "child"),
				 "socket", sock, "listMount", json_object_get(rep, "listMount"));
	json_decref(rep);
	_cleanup_free_ char *text = json_dumps(info, JSON_COMPACT);
	json_decref(info);
	if (mkdirat(l->state_dirfd, "integrity", 0700) < 0)
		return ward_err_sys(err, errno, "mkdir integrity");
	_cleanup_close_ int d =
	    openat(l->state_dirfd, "integrity", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return d < 0 ? ward_err_sys(err, errno, "integrity")
		     : ward_write_atomic_at(d, "nested.json", text, strlen(text), err);
}

/* A request about our nested namespace (the child's index added), or NULL
 * with *nested false when the container's namespace is not nested. */
json_t *ward_nest_ask(int dirfd, json_t *req, int out_fd, bool *nested, ward_err *err)
{
	_cleanup_free_ char *text = NULL;
	ward_err e = {0};
	*nested = ward_read_file_at(dirfd, "nested.json", &text, NULL, &e) == 0;
	if (!*nested) {
		json_decref(req);
		return NULL;
	}
	json_t *info = json_loads(text, 0, NULL);
	const char *sock = json_string_value(json_object_get(info, "socket"));
	json_object_set(req, "child", json_object_get(info, "child"));
	json_t *r = sock ? ward_nest_request(sock, req, -1, out_fd, err)
			 : (ward_err_set(err, "nested.json: no socket"), NULL);
	json_decref(info);
	json_decref(req);
	return r;
}
