/* One directory per container under the state root, holding state.json
 * (written atomically) and, while the container is created but not started,
 * exec.fifo. Commands on one id serialize on flock of that directory. */
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
	static const char *const names[] = {"creating", "created", "running", "paused", "stopped"};
	return names[s];
}

void ward_now_rfc3339(char *buf, size_t len)
{
	/* Go's RFC3339Nano, as runc prints: trailing zeros of the fraction dropped. */
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	char frac[16];
	snprintf(frac, sizeof(frac), "%09ld", ts.tv_nsec);
	int f = 8;
	while (f >= 0 && frac[f] == '0')
		frac[f--] = '\0';
	snprintf(buf + n, len - n, "%s%sZ", frac[0] ? "." : "", frac);
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

enum ward_status ward_state_refresh(struct ward_state *st)
{
	char pstate = 0;
	if (st->pid <= 0) {
		st->status = WARD_CREATING;
		return st->status;
	}
	unsigned long long start = ward_proc_start_time(st->pid, &pstate);
	if (start == 0 || start != st->pid_start || pstate == 'Z' || pstate == 'X') {
		st->status = WARD_STOPPED;
	} else if (faccessat(st->dirfd, "exec.fifo", F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		st->status = WARD_CREATED;
	} else {
		st->status = ward_cgroup_is_frozen(st->extra) ? WARD_PAUSED : WARD_RUNNING;
	}
	return st->status;
}

void ward_state_release(struct ward_state *st)
{
	free(st->id);
	free(st->bundle);
	free(st->rootfs);
	free(st->created);
	json_decref(st->config);
	json_decref(st->extra);
	if (st->dirfd >= 0)
		close(st->dirfd); /* also releases the flock */
	memset(st, 0, sizeof(*st));
	st->dirfd = -1;
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
	st->id = strdup(id);
	_cleanup_free_ char *text = NULL;
	if (ward_read_file_at(st->dirfd, "state.json", &text, NULL, err) < 0) {
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
	json_error_t jerr;
	json_t *j = json_loads(text, 0, &jerr);
	if (!j)
		return ward_err_set(err, "state of %s: corrupt state.json: %s", id, jerr.text);
	st->pid = (pid_t)json_integer_value(json_object_get(j, "pid"));
	st->pid_start = (unsigned long long)json_integer_value(json_object_get(j, "pidStart"));
	st->bundle = jstr(j, "bundle");
	st->rootfs = jstr(j, "rootfs");
	st->created = jstr(j, "created");
	st->config = json_incref(json_object_get(j, "config"));
	st->extra = json_incref(json_object_get(j, "extra"));
	if (!st->extra)
		st->extra = json_object();
	json_decref(j);
	ward_state_refresh(st);
	return 0;
}

int ward_state_save(const struct ward_state *st, ward_err *err)
{
	json_t *j = json_pack("{s:s, s:i, s:I, s:s, s:s, s:s, s:O, s:o}", "id", st->id, "pid",
			      st->pid, "pidStart", (json_int_t)st->pid_start, "bundle", st->bundle,
			      "rootfs", st->rootfs, "created", st->created, "config",
			      st->config ? st->config : json_null(), "extra",
			      st->extra ? json_incref(st->extra) : json_object());
	if (!j)
		return ward_err_set(err, "state of %s: cannot encode", st->id);
	char *text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (!text)
		return ward_err_sys(err, ENOMEM, "state of %s", st->id);
	int r = ward_write_atomic_at(st->dirfd, "state.json", text, strlen(text), err);
	free(text);
	return r < 0 ? ward_err_wrap(err, "state of %s", st->id) : 0;
}

json_t *ward_state_to_json(const struct ward_state *st, bool hooks)
{
	json_t *annotations = st->config ? json_object_get(st->config, "annotations") : NULL;
	const char *ver = st->config ? json_string_value(json_object_get(st->config, "ociVersion"))
				     : NULL;
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
	return j;
}

int ward_state_remove(const struct ward_ctx *ctx, const char *id, ward_err *err)
{
	_cleanup_close_ int root = open(ctx->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return errno == ENOENT ? 0 : ward_err_sys(err, errno, "open %s", ctx->root);
	return ward_rm_rf_at(root, id, err);
}
