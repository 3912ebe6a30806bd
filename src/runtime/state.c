/* One directory per container under the state root, holding
 *   state.json  three JSON documents, one after the other:
 *               1. one line: what list and state print (they read only this),
 *               2. one line: data of other modules (cgroup dirs, landlock report),
 *               3. the container's config as given, parsed only when needed;
 *               one file, written atomically (one inode: cheap on any fs);
 *   exec.fifo   while the container is created but not started.
 * Commands on one id serialize on flock of that directory. `jq . state.json`
 * shows all three documents. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../cgroup/cgroup.h"
#include "../linux/linux.h"
#include "../util/cleanup.h"
#include "../util/fs.h"
#include "runtime.h"

const char *ward_status_name(enum ward_status s)
{
	static const char *const names[] = {"creating", "created", "running",
					    "paused",	"stopped", "unknown"};
	return names[s];
}

void ward_seccomp_cache_dir(const struct ward_ctx *ctx, char *buf, size_t len)
{
	snprintf(buf, len, "%s/@seccomp-cache", ctx->root); /* "@" is not valid in an id */
}

int ward_id_validate(const char *id, ward_err *err)
{
	/* runc's rule: [A-Za-z0-9_+.-]+, and never "." or "..". */
	if (!id || !*id)
		return ward_err_set(err, "container id cannot be empty");
	if (strlen(id) > 1024)
		return ward_err_set(err, "invalid container id: longer than 1024 characters");
	if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
		return ward_err_set(err, "invalid container id: %s", id);
	for (const char *p = id; *p; p++) {
		char ch = *p;
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			  (ch >= '0' && ch <= '9') || ch == '_' || ch == '+' || ch == '-' || ch == '.';
		if (!ok)
			return ward_err_set(err, "invalid container id \"%s\": only letters, digits "
						 "and _ + - . are allowed",
					    id);
	}
	return 0;
}

int ward_state_root_open(const struct ward_ctx *ctx, bool create, ward_err *err)
{
	if (create) {
		/* mkdir -p with 0700: other users must not read container state. */
		_cleanup_free_ char *p = strdup(ctx->root);
		for (char *s = p + 1; s && *s; s++) {
			if (*s != '/')
				continue;
			*s = '\0';
			mkdir(p, 0755);
			*s = '/';
		}
		if (mkdir(ctx->root, 0700) < 0 && errno != EEXIST)
			return ward_err_sys(err, errno, "create state root %s", ctx->root);
	}
	int fd = open(ctx->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return ward_err_sys(err, errno, "open state root %s", ctx->root);
	return fd;
}

static char *jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return strdup(s ? s : "");
}

/* From the file recorded at save time: no cgroup data needed. */
static bool is_frozen(const struct ward_state *st)
{
	if (!st->freeze_file || !*st->freeze_file)
		return st->extra ? ward_cgroup_is_frozen(st->extra) : false;
	return ward_cgroup_file_frozen(st->freeze_file);
}

bool ward_state_awaits_start(const struct ward_state *st)
{
	return faccessat(st->dirfd, "exec.fifo", F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

enum ward_status ward_state_refresh(struct ward_state *st)
{
	char pstate = 0;
	st->status_errno = 0;
	if (st->pid <= 0) {
		st->status = WARD_CREATING;
		return st->status;
	}
	unsigned long long start;
	int r = ward_proc_stat(st->pid, &start, &pstate);
	if (r < 0 && r != -ENOENT && r != -ESRCH) {
		/* Not readable is not gone (hidepid=, a bind mount over it, EMFILE). */
		st->status = WARD_UNKNOWN;
		st->status_errno = -r;
	} else if (r < 0 || start != st->pid_start || pstate == 'Z' || pstate == 'X') {
		st->status = WARD_STOPPED;
	} else if (st->creating) {
		st->status = WARD_CREATING; /* a create that died before its end */
	} else if (ward_state_awaits_start(st)) {
		/* A created container can be paused (as with runc): it reads
		 * "paused" until resumed, then "created" again. */
		st->status = is_frozen(st) ? WARD_PAUSED : WARD_CREATED;
	} else {
		st->status = is_frozen(st) ? WARD_PAUSED : WARD_RUNNING;
	}
	return st->status;
}

void ward_state_release(struct ward_state *st)
{
	free(st->id);
	free(st->bundle);
	free(st->rootfs);
	free(st->created);
	free(st->oci_version);
	free(st->freeze_file);
	json_decref(st->annotations);
	json_decref(st->config);
	json_decref(st->extra);
	free(st->config_raw);
	if (st->dirfd >= 0)
		close(st->dirfd); /* also releases the flock */
	memset(st, 0, sizeof(*st));
	st->dirfd = -1;
}

/* Read state.json: for a status, the first line is enough, and one read of
 * 4 KiB almost always holds it; otherwise the whole file. */
static int read_state(int dirfd, bool full, char **out, size_t *len, ward_err *err)
{
	if (full)
		return ward_read_file_at(dirfd, "state.json", out, len, err);
	_cleanup_close_ int fd = openat(dirfd, "state.json", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ward_err_sys(err, errno, "open state.json");
	char *buf = malloc(4096);
	if (!buf)
		return ward_err_sys(err, ENOMEM, "read state.json");
	ssize_t n;
	do
		n = read(fd, buf, 4095);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		int e = errno;
		free(buf);
		return ward_err_sys(err, e, "read state.json");
	}
	buf[n] = '\0';
	if (memchr(buf, '\n', (size_t)n) || n < 4095) {
		*out = buf;
		*len = (size_t)n;
		return 0;
	}
	free(buf);
	return ward_read_file_at(dirfd, "state.json", out, len, err);
}

static int load_at(int root, const char *id, bool lock, bool full, struct ward_state *st,
		   ward_err *err)
{
	st->dirfd = openat(root, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (st->dirfd < 0) {
		int e = errno;
		if (e == ENOENT)
			return ward_err_sys(err, ENOENT, "container \"%s\" does not exist", id);
		return ward_err_sys(err, e, "open state of %s", id);
	}
	struct stat sb;
	if (fstat(st->dirfd, &sb) == 0)
		st->owner_uid = sb.st_uid;
	if (lock && flock(st->dirfd, LOCK_EX) < 0)
		return ward_err_sys(err, errno, "lock state of %s", id);
	/* Removed while we waited for the lock (a delete; maybe a new
	 * container has the id by now): this one is gone. Acting on the name
	 * would reach the new one. */
	if (lock && fstat(st->dirfd, &sb) == 0 && sb.st_nlink == 0)
		return ward_err_sys(err, ENOENT, "container \"%s\" does not exist", id);
	st->id = strdup(id);
	_cleanup_free_ char *text = NULL;
	size_t len;
	if (read_state(st->dirfd, full, &text, &len, err) < 0) {
		if (err->errnum == ENOENT) {
			/* The directory exists but create has not finished (or died). */
			st->status = WARD_CREATING;
			st->bundle = strdup("");
			st->rootfs = strdup("");
			st->created = strdup("");
			ward_err_clear(err);
			return 0;
		}
		return ward_err_wrap(err, "state of %s", id);
	}
	char *nl1 = memchr(text, '\n', len);
	size_t l1 = nl1 ? (size_t)(nl1 - text) : len;
	json_error_t jerr;
	json_t *j = json_loadb(text, l1, 0, &jerr);
	if (!j)
		return ward_err_set(err, "state of %s: corrupt state.json: %s", id, jerr.text);
	st->pid = (pid_t)json_integer_value(json_object_get(j, "pid"));
	st->pid_start = (unsigned long long)json_integer_value(json_object_get(j, "pidStart"));
	st->bundle = jstr(j, "bundle");
	st->rootfs = jstr(j, "rootfs");
	st->created = jstr(j, "created");
	st->oci_version = jstr(j, "ociVersion");
	st->freeze_file = jstr(j, "freezeFile");
	st->annotations = json_incref(json_object_get(j, "annotations"));
	st->has_poststart = json_is_true(json_object_get(j, "poststart"));
	st->has_poststop = json_is_true(json_object_get(j, "poststop"));
	st->creating = json_is_true(json_object_get(j, "creating"));
	json_decref(j);
	if (full) {
		char *p2 = nl1 ? nl1 + 1 : text + len;
		char *nl2 = memchr(p2, '\n', (size_t)(text + len - p2));
		size_t l2 = nl2 ? (size_t)(nl2 - p2) : (size_t)(text + len - p2);
		st->extra = l2 ? json_loadb(p2, l2, 0, &jerr) : json_object();
		if (!st->extra)
			return ward_err_set(err, "state of %s: corrupt state.json: runtime data: %s",
					    id, jerr.text);
		if (nl2) {
			st->config_raw_len = (size_t)(text + len - (nl2 + 1));
			st->config_raw = strndup(nl2 + 1, st->config_raw_len);
		}
	}
	ward_state_refresh(st);
	return 0;
}

int ward_state_load(const struct ward_ctx *ctx, const char *id, bool lock, struct ward_state *st,
		    ward_err *err)
{
	memset(st, 0, sizeof(*st));
	st->dirfd = -1;
	if (ward_id_validate(id, err) < 0)
		return -1;
	_cleanup_close_ int root = open(ctx->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0) {
		if (errno == ENOENT)
			return ward_err_sys(err, ENOENT, "container \"%s\" does not exist", id);
		return ward_err_sys(err, errno, "open state root %s", ctx->root);
	}
	return load_at(root, id, lock, true, st, err);
}

int ward_state_load_status(int rootfd, const char *id, struct ward_state *st, ward_err *err)
{
	memset(st, 0, sizeof(*st));
	st->dirfd = -1;
	if (ward_id_validate(id, err) < 0)
		return -1;
	return load_at(rootfd, id, false, false, st, err);
}

static int write_state(const struct ward_state *st, const char *config, size_t config_len,
		       ward_err *err)
{
	_cleanup_free_ char *extra = st->extra ? json_dumps(st->extra, JSON_COMPACT) : strdup("{}");
	_cleanup_free_ char *freeze = st->extra ? ward_cgroup_freeze_file(st->extra) : NULL;
	json_t *j = json_pack("{s:s, s:i, s:I, s:s, s:s, s:s, s:s, s:b, s:b, s:o, s:s*}", "id",
			      st->id, "pid", st->pid, "pidStart", (json_int_t)st->pid_start,
			      "bundle", st->bundle, "rootfs", st->rootfs, "created", st->created,
			      "ociVersion", st->oci_version ? st->oci_version : WARD_OCI_VERSION,
			      "poststart", st->has_poststart, "poststop", st->has_poststop,
			      "annotations", st->annotations ? json_incref(st->annotations) : json_null(),
			      "freezeFile", freeze);
	if (j && st->creating)
		json_object_set_new(j, "creating", json_true());
	_cleanup_free_ char *head = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!head || !extra)
		return ward_err_set(err, "state of %s: cannot encode", st->id);
	size_t hl = strlen(head), el = strlen(extra);
	_cleanup_free_ char *text = malloc(hl + el + config_len + 3);
	if (!text)
		return ward_err_sys(err, ENOMEM, "state of %s", st->id);
	memcpy(text, head, hl);
	text[hl] = '\n';
	memcpy(text + hl + 1, extra, el);
	text[hl + 1 + el] = '\n';
	if (config_len)
		memcpy(text + hl + el + 2, config, config_len);
	if (ward_write_atomic_at(st->dirfd, "state.json", text, hl + el + 2 + config_len, err) < 0)
		return ward_err_wrap(err, "state of %s", st->id);
	return 0;
}

int ward_state_save(const struct ward_state *st, ward_err *err)
{
	if (st->config_text)
		return write_state(st, st->config_text, strlen(st->config_text), err);
	return write_state(st, st->config_raw, st->config_raw ? st->config_raw_len : 0, err);
}

json_t *ward_state_config(struct ward_state *st, ward_err *err)
{
	if (st->config)
		return st->config;
	if (!st->config_raw || !st->config_raw_len) {
		ward_err_sys(err, ENOENT, "state of %s: no config saved", st->id);
		return NULL;
	}
	json_error_t jerr;
	st->config = json_loadb(st->config_raw, st->config_raw_len, 0, &jerr);
	if (!st->config)
		ward_err_set(err, "state of %s: corrupt config: %s", st->id, jerr.text);
	return st->config;
}

struct ward_spec *ward_state_spec(struct ward_state *st, ward_err *err)
{
	if (st->config) {
		_cleanup_free_ char *text = json_dumps(st->config, JSON_COMPACT);
		if (!text) {
			ward_err_sys(err, ENOMEM, "state of %s", st->id);
			return NULL;
		}
		return ward_spec_parse(text, strlen(text), "config.json", err);
	}
	if (!st->config_raw || !st->config_raw_len) {
		ward_err_sys(err, ENOENT, "state of %s: no config saved", st->id);
		return NULL;
	}
	return ward_spec_parse(st->config_raw, st->config_raw_len, "config.json", err);
}

int ward_state_save_config(struct ward_state *st, ward_err *err)
{
	_cleanup_free_ char *text = st->config ? json_dumps(st->config, JSON_COMPACT) : NULL;
	if (!text)
		return ward_err_set(err, "state of %s: no config to save", st->id);
	return write_state(st, text, strlen(text), err);
}

const char *ward_state_status_reason(const struct ward_state *st, char *buf, size_t len)
{
	snprintf(buf, len, "/proc/%d/stat: %s", (int)st->pid,
		 st->status_errno == EBADMSG ? "not a stat line" : strerror(st->status_errno));
	return buf;
}

json_t *ward_state_to_json(const struct ward_state *st, bool hooks)
{
	json_t *annotations = st->annotations;
	const char *ver = st->oci_version && *st->oci_version ? st->oci_version : NULL;
	json_t *j = json_object();
	json_object_set_new(j, "ociVersion", json_string(ver ? ver : WARD_OCI_VERSION));
	json_object_set_new(j, "id", json_string(st->id));
	if (hooks) {
		json_object_set_new(j, "status", json_string(ward_status_name(st->status)));
		if (st->status != WARD_STOPPED)
			json_object_set_new(j, "pid", json_integer(st->pid));
		json_object_set_new(j, "bundle", json_string(st->bundle));
		if (json_is_object(annotations) && json_object_size(annotations))
			json_object_set(j, "annotations", annotations);
		return j;
	}
	/* runc's field order: ociVersion id pid status bundle rootfs created [annotations] owner */
	json_object_set_new(j, "pid", json_integer(st->status == WARD_STOPPED ? 0 : st->pid));
	json_object_set_new(j, "status", json_string(ward_status_name(st->status)));
	json_object_set_new(j, "bundle", json_string(st->bundle));
	json_object_set_new(j, "rootfs", json_string(st->rootfs));
	json_object_set_new(j, "created", json_string(st->created));
	if (json_is_object(annotations) && json_object_size(annotations))
		json_object_set(j, "annotations", annotations);
	json_object_set_new(j, "owner", json_string(""));
	if (st->status == WARD_UNKNOWN) {
		char why[160];
		json_object_set_new(j, "statusReason",
				    json_string(ward_state_status_reason(st, why, sizeof(why))));
	}
	return j;
}

const char *ward_state_audit_id(const struct ward_state *st)
{
	return json_string_value(json_object_get(st->annotations, "org.ward.audit.id"));
}

int ward_state_remove(const struct ward_ctx *ctx, const char *id, ward_err *err)
{
	_cleanup_close_ int root = open(ctx->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return errno == ENOENT ? 0 : ward_err_sys(err, errno, "open %s", ctx->root);
	return ward_rm_rf_at(root, id, err);
}
