/* The other commands' part: exec refuses to run a process no monitor
 * watches, delete stops the monitor and keeps or removes the lists, inspect
 * reports, and `ward integrity` reads lists and replaces the policy. All
 * of them find the container's integrity directory below its state dir
 * (<state root>/<id>/integrity, root only). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../linux/linux.h"
#include "../util/cleanup.h"
#include "../util/fs.h"
#include "integrity.h"

/* The integrity dir, or -1 (errno ENOENT: the container has none). */
static int integrity_dir(int state_dirfd)
{
	return openat(state_dirfd, "integrity", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

static json_t *monitor_info(int dirfd)
{
	_cleanup_free_ char *text = NULL;
	ward_err e = {0};
	if (ward_read_file_at(dirfd, "monitor.json", &text, NULL, &e) < 0)
		return NULL;
	return json_loads(text, 0, NULL);
}

/* A pidfd of pid if it is still the process that started at start. */
static int pidfd_if_same(json_t *pid, json_t *start)
{
	pid_t p = (pid_t)json_integer_value(pid);
	if (p <= 0)
		return -1;
	int fd = (int)syscall(SYS_pidfd_open, p, 0);
	if (fd >= 0 && start &&
	    ward_proc_start_time(p, NULL) != (unsigned long long)json_integer_value(start)) {
		close(fd);
		return -1;
	}
	return fd;
}

static bool wait_exit(int pidfd, int ms)
{
	struct pollfd p = {pidfd, POLLIN, 0};
	return poll(&p, 1, ms) == 1;
}

int ward_integrity_stop(int state_dirfd, const char *state_root, const char *id,
			const char *audit_id, ward_err *err)
{
	_cleanup_close_ int dfd = integrity_dir(state_dirfd);
	if (dfd < 0)
		return errno == ENOENT ? 0 : ward_err_sys(err, errno, "integrity");
	bool nested;
	ward_err ig = {0};
	json_decref(ward_nest_ask(dfd, json_pack("{s:s}", "op", "unnest"), -1, &nested, &ig));
	if (nested)
		return 0; /* the parent keeps (or drops) the list */
	json_t *info = monitor_info(dfd);
	_cleanup_close_ int mon =
	    pidfd_if_same(json_object_get(info, "pid"), json_object_get(info, "pidStart"));
	json_t *req = json_pack("{s:s}", "op", "stop");
	ward_err ignored = {0};
	json_t *rep = mon >= 0 ? ward_ctl_request(dfd, req, &ignored) : NULL;
	json_decref(req);
	json_decref(rep);
	/* It exits at once; one that does not answer is killed (the container
	 * is gone already: the guard has nothing left to guard). */
	if (mon >= 0 && !wait_exit(mon, 5000)) {
		syscall(SYS_pidfd_send_signal, mon, SIGKILL, NULL, 0);
		wait_exit(mon, 2000);
	}
	bool keep = json_is_true(json_object_get(info, "keep"));
	json_decref(info);
	if (!keep || faccessat(dfd, "list", F_OK, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	/* Kept lists: <state root>/@integrity/<id>.<audit ID>/ (list files, pcr). */
	_cleanup_close_ int root = open(state_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0 || (mkdirat(root, "@integrity", 0700) < 0 && errno != EEXIST))
		return ward_err_sys(err, errno, "%s/@integrity", state_root);
	_cleanup_close_ int kept = openat(root, "@integrity", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char name[512];
	snprintf(name, sizeof(name), "%s.%s", id, audit_id ? audit_id : "unknown");
	if (kept < 0 || renameat(dfd, "list", kept, name) < 0)
		return ward_err_sys(err, errno, "keep the measurement list as %s/@integrity/%s",
				    state_root, name);
	return 0;
}

int ward_integrity_exec_check(int state_dirfd, ward_err *err)
{
	_cleanup_close_ int dfd = integrity_dir(state_dirfd);
	if (dfd < 0)
		return errno == ENOENT ? 0 : ward_err_sys(err, errno, "integrity");
	bool nested;
	json_t *rep = ward_nest_ask(dfd, json_pack("{s:s}", "op", "status"), -1, &nested, err);
	if (!nested) {
		json_t *req = json_pack("{s:s}", "op", "status");
		rep = ward_ctl_request(dfd, req, err);
		json_decref(req);
	}
	bool ok = json_is_true(json_object_get(rep, "ok"));
	json_decref(rep);
	if (!ok)
		return ward_err_wrap(err, "integrity: the container's monitor does not answer; no "
					  "process it cannot appraise is started");
	return 0;
}

json_t *ward_integrity_status(int state_dirfd, ward_err *err)
{
	_cleanup_close_ int dfd = integrity_dir(state_dirfd);
	if (dfd < 0) {
		ward_err_sys(err, errno, "this container has no integrity namespace");
		return NULL;
	}
	bool nested;
	ward_err e = {0};
	json_t *st = ward_nest_ask(dfd, json_pack("{s:s}", "op", "status"), -1, &nested, &e);
	if (nested) {
		json_t *out = st ? st : json_pack("{s:s}", "monitor", "gone");
		json_object_del(out, "ok");
		json_object_set_new(out, "monitor", json_string(st ? "parent's" : "gone"));
		json_object_set_new(out, "gaps", ward_integrity_gaps(NULL));
		return out;
	}
	json_t *info = monitor_info(dfd);
	json_t *req = json_pack("{s:s}", "op", "status");
	st = ward_ctl_request(dfd, req, &e);
	json_decref(req);
	json_t *out = json_object();
	if (json_is_true(json_object_get(st, "ok"))) {
		json_object_update(out, st);
		json_object_del(out, "ok");
		json_object_set_new(out, "monitor", json_string("running"));
	} else {
		json_object_set_new(out, "monitor", json_string("gone"));
	}
	json_decref(st);
	struct ward_pcr pcr;
	uint64_t count = 0, viol = 0;
	_cleanup_close_ int ld = openat(dfd, "list", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ld >= 0 && ward_mlist_read_pcr(ld, &pcr, &count, &viol, &e) == 0) {
		char s1[41], s256[65];
		ward_hex(pcr.sha1, WARD_SHA1_LEN, s1);
		ward_hex(pcr.sha256, WARD_SHA256_LEN, s256);
		json_object_set_new(out, "entries", json_integer((json_int_t)count));
		json_object_set_new(out, "violations", json_integer((json_int_t)viol));
		json_object_set_new(out, "pcr",
				    json_pack("{s:i, s:s, s:s}", "index", WARD_IMA_PCR, "sha1", s1,
					      "sha256", s256));
	}
	const char *keys[] = {"mounts", "memfdNoexec", "listMount", "hostList", "guardPid"};
	for (size_t i = 0; info && i < ARRAY_SIZE(keys); i++) {
		json_t *v = json_object_get(info, keys[i]);
		if (v && !json_object_get(out, keys[i]))
			json_object_set(out, keys[i], v);
	}
	json_object_set_new(out, "gaps", ward_integrity_gaps(info));
	json_decref(info);
	return out;
}

json_t *ward_integrity_inspect(int state_dirfd)
{
	ward_err e = {0};
	json_t *j = ward_integrity_status(state_dirfd, &e);
	return j ? j : json_null();
}

int ward_integrity_list_fd(int state_dirfd, bool binary, ward_err *err)
{
	_cleanup_close_ int dfd = integrity_dir(state_dirfd);
	if (dfd < 0)
		return ward_err_sys(err, errno, "this container has no integrity namespace");
	if (faccessat(dfd, "nested.json", F_OK, 0) == 0) {
		/* The parent holds it: its bytes into a memfd to read. */
		int mfd = memfd_create("ward-list", MFD_CLOEXEC);
		bool nested;
		json_t *r =
		    mfd < 0
			? NULL
			: ward_nest_ask(dfd, json_pack("{s:s, s:b}", "op", "log", "binary", binary),
					mfd, &nested, err);
		if (!r) {
			if (mfd >= 0)
				close(mfd);
			return mfd < 0 ? ward_err_sys(err, errno, "memfd") : -1;
		}
		json_decref(r);
		lseek(mfd, 0, SEEK_SET);
		return mfd;
	}
	const char *name =
	    binary ? "list/ima/binary_runtime_measurements" : "list/ima/ascii_runtime_measurements";
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return ward_err_sys(err, errno, "%s (the container's mode is off: it has no list)",
				    name);
	return fd;
}

int ward_integrity_pcr_read(int state_dirfd, struct ward_pcr *pcr, uint64_t *count, ward_err *err)
{
	_cleanup_close_ int dfd = integrity_dir(state_dirfd);
	bool nested = false;
	json_t *r =
	    dfd >= 0 ? ward_nest_ask(dfd, json_pack("{s:s}", "op", "pcr"), -1, &nested, err) : NULL;
	if (nested) {
		json_t *p = json_object_get(r, "pcr");
		const char *s1 = json_string_value(json_object_get(p, "sha1"));
		const char *s256 = json_string_value(json_object_get(p, "sha256"));
		int ok = r && s1 && s256 && ward_unhex(s1, pcr->sha1, WARD_SHA1_LEN) == 0 &&
			 ward_unhex(s256, pcr->sha256, WARD_SHA256_LEN) == 0;
		*count = (uint64_t)json_integer_value(json_object_get(r, "entries"));
		json_decref(r);
		return ok ? 0 : (r ? ward_err_set(err, "the parent's PCR: malformed") : -1);
	}
	_cleanup_close_ int ld =
	    dfd >= 0 ? openat(dfd, "list", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (ld < 0)
		return ward_err_sys(err, errno, "this container has no measurement list");
	return ward_mlist_read_pcr(ld, pcr, count, NULL, err);
}

/* A nested namespace's replacement: checked here, files read here, then sent. */
static int nested_replace(int dfd, json_t *policy, json_t **status, ward_err *err)
{
	struct ward_integrity_policy p = {0};
	struct ward_integrity_host none = {0};
	ward_integrity_conf_init(&p.conf);
	bool nested;
	int r = ward_integrity_conf_object(&p.conf, policy, "policy", true, err) < 0 ||
			ward_integrity_conf_check(&p.conf, "policy", err) < 0 ||
			ward_integrity_policy_load(&p, &none, "policy", err) < 0
		    ? -1
		    : 0;
	json_t *req = r == 0 ? ward_nest_policy_request("policy", &p, err) : NULL;
	ward_integrity_policy_release(&p);
	if (!req)
		return -1;
	*status = ward_nest_ask(dfd, req, -1, &nested, err);
	if (!*status)
		return -1;
	json_object_del(*status, "ok");
	return 0;
}

int ward_integrity_replace_policy(int state_dirfd, json_t *policy, json_t **status, ward_err *err)
{
	*status = NULL;
	_cleanup_close_ int dfd = integrity_dir(state_dirfd);
	if (dfd < 0)
		return ward_err_sys(err, errno, "this container has no integrity namespace");
	if (faccessat(dfd, "nested.json", F_OK, 0) == 0)
		return nested_replace(dfd, policy, status, err);
	json_t *req = json_pack("{s:s, s:O}", "op", "policy", "policy", policy);
	json_t *rep = ward_ctl_request(dfd, req, err);
	json_decref(req);
	if (!rep)
		return -1;
	if (!json_is_true(json_object_get(rep, "ok"))) {
		ward_err_set(err, "%s", json_string_value(json_object_get(rep, "error")));
		json_decref(rep);
		return -1;
	}
	json_object_del(rep, "ok");
	*status = rep;
	return 0;
}
