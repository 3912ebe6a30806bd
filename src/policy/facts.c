/* The host facts the rules judge by, gathered before the decision (the
 * rules themselves never look at the system): which namespaces a config's
 * paths point at, compared by inode with the host's init; the realpath of
 * bind sources; the map of a user namespace joined by /proc/PID/ns/user;
 * who the caller is (host uid, the parent process); our bounding set;
 * whether AppArmor runs. Reading only, nothing is changed. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../confine/confine.h"
#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/rootless.h"
#include "../util/strv.h"
#include "internal.h"

/* The host's namespace: /proc/1's (the host's init), or, where we may not
 * look at it (rootless), our own: the caller's view of "the host". */
static int host_ns(const char *name, struct stat *out)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/1/ns/%s", name);
	if (stat(path, out) == 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/self/ns/%s", name);
	return stat(path, out);
}

static void ns_facts(struct ward_policy_facts *f, const struct ward_spec *spec)
{
	for (int t = 0; t < WARD_NS_COUNT; t++) {
		const struct ward_namespace *n = &spec->lx.ns[t];
		if (!n->present) {
			f->ns[t] = WARD_NSF_ABSENT;
			continue;
		}
		if (!n->path) {
			f->ns[t] = WARD_NSF_NEW;
			continue;
		}
		struct stat a, h;
		if (stat(n->path, &a) < 0 || host_ns(ward_ns_table[t].proc_name, &h) < 0) {
			f->ns[t] = WARD_NSF_UNKNOWN;
			f->ns_errno[t] = errno;
			continue;
		}
		f->ns[t] = a.st_dev == h.st_dev && a.st_ino == h.st_ino ? WARD_NSF_HOST
									: WARD_NSF_JOINED;
	}
}

/* The realpath a missing source would have once made (engines create a
 * missing hostPath): its longest existing prefix resolved, the rest
 * appended with . and .. folded (nothing below the prefix exists to be a
 * symlink). */
static char *fold(const char *real, const char *rest)
{
	char out[PATH_MAX * 2], tmp[PATH_MAX];
	snprintf(out, sizeof(out), "%s", strcmp(real, "/") ? real : "");
	snprintf(tmp, sizeof(tmp), "%s", rest);
	char *save = NULL;
	for (char *tok = strtok_r(tmp, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (!strcmp(tok, "..")) {
			char *up = strrchr(out, '/');
			if (up)
				*up = '\0';
		} else if (strcmp(tok, ".") && strlen(out) + strlen(tok) + 2 < sizeof(out)) {
			strcat(out, "/");
			strcat(out, tok);
		}
	}
	return strdup(out[0] ? out : "/");
}

static char *resolve_missing(const char *src)
{
	char head[PATH_MAX];
	snprintf(head, sizeof(head), "%s", src);
	for (char *slash = strrchr(head, '/'); slash && slash != head; slash = strrchr(head, '/')) {
		*slash = '\0';
		_cleanup_free_ char *real = realpath(head, NULL);
		if (real)
			return fold(real, src + (slash - head) + 1);
	}
	return fold("/", src + 1);
}

static void bind_facts(struct ward_policy_facts *f, const struct ward_spec *spec,
		       const char *bundle)
{
	f->n_mounts = spec->n_mounts;
	f->bind_real = calloc(spec->n_mounts + 1, sizeof(char *));
	f->bind_errno = calloc(spec->n_mounts + 1, sizeof(int));
	if (!f->bind_real || !f->bind_errno) {
		f->n_mounts = 0;
		return;
	}
	for (size_t i = 0; i < spec->n_mounts; i++) {
		const struct ward_mount *m = &spec->mounts[i];
		if (!m->bind || !m->source)
			continue;
		char src[PATH_MAX * 2];
		if (m->source[0] == '/' || !bundle)
			snprintf(src, sizeof(src), "%s", m->source);
		else
			snprintf(src, sizeof(src), "%s/%s", bundle, m->source);
		f->bind_real[i] = realpath(src, NULL);
		if (!f->bind_real[i] && errno == ENOENT && src[0] == '/')
			f->bind_real[i] = resolve_missing(src);
		if (!f->bind_real[i])
			f->bind_errno[i] = errno ? errno : ENOENT;
	}
}

/* A /proc file's text, or NULL: a fact that cannot be read stays unknown. */
static char *read_quiet(const char *path, size_t *len)
{
	char *text = NULL;
	ward_err ignored = {0};
	size_t n;
	if (ward_read_file_at(AT_FDCWD, path, &text, len ? len : &n, &ignored) < 0)
		return NULL;
	return text;
}

static size_t parse_map(const char *text, struct ward_id_map **out)
{
	size_t n = 0;
	*out = NULL;
	for (const char *line = text; line && *line;) {
		unsigned long a, b, c;
		if (sscanf(line, "%lu %lu %lu", &a, &b, &c) == 3) {
			struct ward_id_map *nv = realloc(*out, (n + 1) * sizeof(*nv));
			if (!nv)
				break;
			*out = nv;
			nv[n++] = (struct ward_id_map){(uint32_t)a, (uint32_t)b, (uint32_t)c};
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return n;
}

/* A user namespace joined by /proc/PID/ns/user: its map is /proc/PID/uid_map. */
static void join_map_facts(struct ward_policy_facts *f, const struct ward_spec *spec)
{
	const struct ward_namespace *u = &spec->lx.ns[WARD_NS_USER];
	int pid;
	char tail;
	if (!u->present || !u->path || sscanf(u->path, "/proc/%d/ns/use%c", &pid, &tail) != 2 ||
	    tail != 'r' || strlen(strstr(u->path, "/ns/")) != strlen("/ns/user"))
		return;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/uid_map", pid);
	_cleanup_free_ char *text = read_quiet(path, NULL);
	if (!text)
		return;
	f->n_join_uid_map = parse_map(text, &f->join_uid_map);
	f->join_user_map_known = true;
}

/* Our uid as the host sees it (through our own uid_map). */
static uid_t host_uid(void)
{
	uid_t uid = getuid();
	_cleanup_free_ char *text = read_quiet("/proc/self/uid_map", NULL);
	if (!text)
		return uid;
	_cleanup_free_ struct ward_id_map *m = NULL;
	size_t n = parse_map(text, &m);
	for (size_t i = 0; i < n; i++)
		if (uid >= m[i].container_id && uid - m[i].container_id < m[i].size)
			return m[i].host_id + (uid - m[i].container_id);
	return (uid_t)65534; /* unmapped: nobody */
}

static void caller_facts(struct ward_policy_facts *f)
{
	char path[64], exe[PATH_MAX];
	pid_t pp = getppid();
	snprintf(path, sizeof(path), "/proc/%d/exe", pp);
	ssize_t n = readlink(path, exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		f->caller_exe = strdup(exe);
	}
	snprintf(path, sizeof(path), "/proc/%d/cmdline", pp);
	size_t len;
	_cleanup_free_ char *text = read_quiet(path, &len);
	if (!text)
		return;
	for (size_t off = 0; off < len; off += strlen(text + off) + 1)
		if (ward_strv_push(&f->caller_argv, text + off) < 0)
			break;
}

static uint64_t own_bounding(void)
{
	_cleanup_free_ char *text = read_quiet("/proc/self/status", NULL);
	if (!text)
		return 0;
	const char *p = strstr(text, "\nCapBnd:");
	return p ? strtoull(p + 8, NULL, 16) : 0;
}

void ward_policy_facts_gather(struct ward_policy_facts *f, const struct ward_spec *spec,
			      const char *bundle, const char *state_root)
{
	memset(f, 0, sizeof(*f));
	ns_facts(f, spec);
	bind_facts(f, spec, bundle);
	join_map_facts(f, spec);
	f->caller_uid = host_uid();
	f->rootless = ward_running_rootless();
	caller_facts(f);
	f->host_caps = own_bounding();
	f->apparmor = ward_apparmor_enabled();
	if (state_root)
		f->state_root = realpath(state_root, NULL);
	if (state_root && !f->state_root)
		f->state_root = strdup(state_root);
}

void ward_policy_facts_release(struct ward_policy_facts *f)
{
	for (size_t i = 0; f->bind_real && i < f->n_mounts; i++)
		free(f->bind_real[i]);
	free(f->bind_real);
	free(f->bind_errno);
	free(f->join_uid_map);
	free(f->caller_exe);
	ward_strv_free(f->caller_argv);
	free(f->state_root);
	memset(f, 0, sizeof(*f));
}
