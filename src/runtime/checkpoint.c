/* checkpoint: runc's command, on CRIU (criu.h). The container's process
 * tree is dumped by `criu swrk` into --image-path. ward adds its record
 * (WARD_CRIU_RECORD): what confined every thread, taken while criu holds the
 * tree frozen (the post-dump notification), which restore.c checks the
 * restored tree against before it runs; the mounts and stdio it marked
 * external. What CRIU cannot carry is refused before anything is dumped. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "../cgroup/cgroup.h"
#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/log.h"
#include "../util/rootless.h"
#include "criu.h"
#include "runtime.h"

/* ---- what confines a task tree ---- */

/* The /proc/PID/status lines compared before and after (as text). */
static const char *const status_keys[] = {"Uid",	"Gid",	   "Groups",	     "CapInh",
					  "CapPrm",	"CapEff",  "CapBnd",	     "CapAmb",
					  "NoNewPrivs", "Seccomp", "Seccomp_filters"};

/* The last number of an NSpid/NStgid line: the id in the innermost pid
 * namespace, which CRIU restores unchanged. */
static json_int_t innermost(const char *v)
{
	const char *w = strrchr(v, ' ');
	return atoll(w ? w + 1 : v);
}

static void task_label(json_t *e, pid_t pid, const char *tid)
{
	char path[96];
	snprintf(path, sizeof(path), "/proc/%d/task/%s/attr/current", pid, tid);
	_cleanup_free_ char *t = NULL;
	ward_err ignored;
	if (ward_read_file_at(AT_FDCWD, path, &t, NULL, &ignored) < 0)
		return; /* no LSM with a label */
	size_t l = strlen(t);
	while (l && (t[l - 1] == '\n' || t[l - 1] == '\0'))
		t[--l] = '\0';
	json_object_set_new(e, "lsm", json_string(t));
}

static json_t *task_entry(pid_t pid, const char *tid, ward_err *err)
{
	char path[96];
	snprintf(path, sizeof(path), "/proc/%d/task/%s/status", pid, tid);
	_cleanup_free_ char *text = NULL;
	if (ward_read_file_at(AT_FDCWD, path, &text, NULL, err) < 0)
		return NULL;
	json_t *e = json_pack("{s:i}", "hostTid", atoi(tid));
	char *save = NULL;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(l, ':');
		if (!colon)
			continue;
		*colon = '\0';
		char *v = colon + 1;
		for (char *c = v; *c; c++)
			if (*c == '\t')
				*c = ' ';
		while (*v == ' ')
			v++;
		if (!strcmp(l, "NStgid") || !strcmp(l, "NSpid"))
			json_object_set_new(e, l[2] == 't' ? "tgid" : "tid",
					    json_integer(innermost(v)));
		for (size_t i = 0; i < ARRAY_SIZE(status_keys); i++)
			if (!strcmp(l, status_keys[i]))
				json_object_set_new(e, l, json_string(v));
	}
	task_label(e, pid, tid);
	return e;
}

struct pidq {
	pid_t *v;
	size_t n, head, cap;
};

static int pidq_push(struct pidq *q, pid_t p, ward_err *err)
{
	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 64;
		if (cap > 65536)
			return ward_err_set(err, "more than 65536 processes in the container");
		pid_t *n = realloc(q->v, cap * sizeof(*n));
		if (!n)
			return ward_err_sys(err, ENOMEM, "process list");
		q->v = n;
		q->cap = cap;
	}
	q->v[q->n++] = p;
	return 0;
}

static int push_children(struct pidq *q, pid_t pid, const char *tid, ward_err *err)
{
	char path[96];
	snprintf(path, sizeof(path), "/proc/%d/task/%s/children", pid, tid);
	_cleanup_free_ char *t = NULL;
	if (ward_read_file_at(AT_FDCWD, path, &t, NULL, err) < 0)
		return -1;
	for (char *s = t, *end; *s; s = end) {
		long c = strtol(s, &end, 10);
		if (end == s)
			break;
		if (c > 0 && pidq_push(q, (pid_t)c, err) < 0)
			return -1;
	}
	return 0;
}

static int tasks_of(json_t *out, struct pidq *q, pid_t pid, ward_err *err)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	_cleanup_dir_ DIR *d = opendir(path);
	if (!d)
		return ward_err_sys(err, errno, "process %d", pid);
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		json_t *e = task_entry(pid, de->d_name, err);
		if (!e || json_array_append_new(out, e) < 0)
			return ward_err_wrap(err, "process %d", pid);
		if (push_children(q, pid, de->d_name, err) < 0)
			return ward_err_wrap(err, "process %d", pid);
	}
	return 0;
}

json_t *ward_criu_tasks(pid_t root, ward_err *err)
{
	struct pidq q = {0};
	json_t *out = json_array();
	int r = pidq_push(&q, root, err);
	while (r == 0 && q.head < q.n)
		r = tasks_of(out, &q, q.v[q.head++], err);
	free(q.v);
	if (r < 0) {
		json_decref(out);
		return NULL;
	}
	return out;
}

static json_t *find_task(json_t *tasks, json_int_t tgid, json_int_t tid)
{
	size_t i;
	json_t *t;
	json_array_foreach(tasks, i, t)
	{
		if (json_integer_value(json_object_get(t, "tgid")) == tgid &&
		    json_integer_value(json_object_get(t, "tid")) == tid)
			return t;
	}
	return NULL;
}

static int task_differs(json_t *w, json_t *g, ward_err *err)
{
	static const char *const extra[] = {"lsm"};
	for (size_t i = 0; i < ARRAY_SIZE(status_keys) + ARRAY_SIZE(extra); i++) {
		const char *k = i < ARRAY_SIZE(status_keys) ? status_keys[i]
							    : extra[i - ARRAY_SIZE(status_keys)];
		const char *a = json_string_value(json_object_get(w, k));
		const char *b = json_string_value(json_object_get(g, k));
		if ((a || b) && (!a || !b || strcmp(a, b) != 0))
			return ward_err_set(
			    err,
			    "process %lld (thread %lld, pid %lld on the host): "
			    "%s is \"%s\", at checkpoint it was \"%s\"",
			    (long long)json_integer_value(json_object_get(w, "tgid")),
			    (long long)json_integer_value(json_object_get(w, "tid")),
			    (long long)json_integer_value(json_object_get(g, "hostTid")), k,
			    b ? b : "(none)", a ? a : "(none)");
	}
	return 0;
}

/* The loosest confinement any checkpointed thread had: a thread born after
 * the tree resumed (the restored processes run before ward can look) may
 * not be less confined than that. */
struct loosest {
	uint64_t caps[5];
	bool nnp;
	int seccomp, filters;
};

static const char *const cap_keys[5] = {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"};

static int field_int(json_t *t, const char *k)
{
	const char *v = json_string_value(json_object_get(t, k));
	return v ? atoi(v) : 0;
}

static uint64_t field_hex(json_t *t, const char *k)
{
	const char *v = json_string_value(json_object_get(t, k));
	return v ? strtoull(v, NULL, 16) : 0;
}

static void loosest_of(json_t *want, struct loosest *l)
{
	memset(l, 0, sizeof(*l));
	l->nnp = true;
	l->seccomp = l->filters = INT32_MAX;
	size_t i;
	json_t *w;
	json_array_foreach(want, i, w)
	{
		for (int c = 0; c < 5; c++)
			l->caps[c] |= field_hex(w, cap_keys[c]);
		l->nnp &= field_int(w, "NoNewPrivs") == 1;
		if (field_int(w, "Seccomp") < l->seccomp)
			l->seccomp = field_int(w, "Seccomp");
		if (field_int(w, "Seccomp_filters") < l->filters)
			l->filters = field_int(w, "Seccomp_filters");
	}
}

static int newborn_check(const struct loosest *l, json_t *g, ward_err *err)
{
	const char *what = NULL;
	for (int c = 0; c < 5 && !what; c++)
		if (field_hex(g, cap_keys[c]) & ~l->caps[c])
			what = cap_keys[c];
	if (!what && l->nnp && field_int(g, "NoNewPrivs") != 1)
		what = "NoNewPrivs";
	if (!what && field_int(g, "Seccomp") < l->seccomp)
		what = "Seccomp";
	if (!what && field_int(g, "Seccomp_filters") < l->filters)
		what = "Seccomp_filters";
	if (what)
		return ward_err_set(err,
				    "process %lld (thread %lld, pid %lld on the host), born "
				    "after the restore, is less confined than any checkpointed "
				    "one: %s is \"%s\"",
				    (long long)json_integer_value(json_object_get(g, "tgid")),
				    (long long)json_integer_value(json_object_get(g, "tid")),
				    (long long)json_integer_value(json_object_get(g, "hostTid")),
				    what, json_string_value(json_object_get(g, what)));
	return 0;
}

int ward_criu_tasks_match(json_t *want, json_t *got, ward_err *err)
{
	json_t *root = json_array_get(want, 0);
	if (!root)
		return ward_err_set(err, "the checkpoint records no process");
	json_int_t tgid = json_integer_value(json_object_get(root, "tgid"));
	if (!find_task(got, tgid, json_integer_value(json_object_get(root, "tid"))))
		return ward_err_set(err,
				    "process %lld, the root of the checkpointed tree, is not "
				    "in the restored one",
				    (long long)tgid);
	struct loosest l;
	loosest_of(want, &l);
	size_t i;
	json_t *g;
	json_array_foreach(got, i, g)
	{
		json_t *w = find_task(want, json_integer_value(json_object_get(g, "tgid")),
				      json_integer_value(json_object_get(g, "tid")));
		/* A checkpointed thread missing now has exited since. */
		if (w ? task_differs(w, g, err) < 0 : newborn_check(&l, g, err) < 0)
			return -1;
	}
	return 0;
}

/* ---- what both commands share ---- */

static const char *const confinement_fields[][2] = {
    {"process", "capabilities"},    {"process", "noNewPrivileges"}, {"process", "user"},
    {"process", "apparmorProfile"}, {"process", "selinuxLabel"},    {"process", "landlock"},
    {"linux", "seccomp"},	    {"linux", "maskedPaths"},	    {"linux", "readonlyPaths"},
};

json_t *ward_criu_confinement(json_t *config)
{
	json_t *o = json_object();
	for (size_t i = 0; i < ARRAY_SIZE(confinement_fields); i++) {
		char key[64];
		snprintf(key, sizeof(key), "%s.%s", confinement_fields[i][0],
			 confinement_fields[i][1]);
		json_t *v = json_object_get(json_object_get(config, confinement_fields[i][0]),
					    confinement_fields[i][1]);
		json_object_set_new(o, key, v ? json_incref(v) : json_null());
	}
	return o;
}

int ward_criu_refuse(const struct ward_spec *spec, json_t *extra, ward_err *err)
{
	if (ward_running_rootless())
		return ward_err_set(err, "CRIU needs root: checkpoint and restore are not "
					 "available to a rootless ward");
	if ((spec->process && spec->process->landlock) || json_object_get(extra, "landlock"))
		return ward_err_set(err,
				    "config.json: process.landlock: CRIU cannot carry a "
				    "Landlock domain (the kernel does not expose one to copy), "
				    "so the restored processes would run without it; refused");
	const char *listener = json_string_value(json_object_get(spec->lx.seccomp, "listenerPath"));
	if (listener && *listener)
		return ward_err_set(err, "config.json: linux.seccomp.listenerPath: a seccomp "
					 "notify listener cannot be carried through CRIU; refused");
	for (int i = 0; i < WARD_NS_COUNT; i++)
		if (spec->lx.ns[i].present && spec->lx.ns[i].path && i != WARD_NS_NET)
			return ward_err_set(err,
					    "config.json: linux.namespaces: the %s namespace "
					    "is joined by path (%s); only a network namespace "
					    "may be (it stays outside the checkpoint)",
					    ward_ns_table[i].spec_name, spec->lx.ns[i].path);
	for (size_t i = 0; i < spec->n_mounts; i++)
		if (spec->mounts[i].idmap || spec->mounts[i].ridmap)
			return ward_err_set(err,
					    "config.json: mounts[%zu] %s: an idmapped mount "
					    "would come back without its ID mapping; refused",
					    i, spec->mounts[i].destination);
	return 0;
}

int ward_criu_dir(const char *path, const char *flag, bool create, ward_err *err)
{
	if (!path || !*path)
		return ward_err_set(err, "%s: empty path", flag);
	if (create) {
		_cleanup_free_ char *p = strdup(path);
		if (!p)
			return ward_err_sys(err, ENOMEM, "%s", flag);
		for (char *s = p + 1; *s; s++) {
			if (*s != '/')
				continue;
			*s = '\0';
			mkdir(p, 0755);
			*s = '/';
		}
		/* Searchable by others (criu's images are 0600): a restored task
		 * in a user namespace looks images up there by name. */
		if (mkdir(p, 0711) < 0 && errno != EEXIST)
			return ward_err_sys(err, errno, "%s %s", flag, path);
	}
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return ward_err_sys(err, errno, "%s %s", flag, path);
	return fd;
}

static int cg_mode(const char *m, ward_err *err)
{
	static const struct {
		const char *name;
		int mode;
	} modes[] = {{"soft", CRIU_CG_SOFT},
		     {"full", CRIU_CG_FULL},
		     {"strict", CRIU_CG_STRICT},
		     {"ignore", CRIU_CG_IGNORE}};
	if (!m || !*m)
		return CRIU_CG_DEFAULT;
	for (size_t i = 0; i < ARRAY_SIZE(modes); i++)
		if (!strcmp(m, modes[i].name))
			return modes[i].mode;
	return ward_err_set(err,
			    "--manage-cgroups-mode: \"%s\" is not soft, full, strict or "
			    "ignore",
			    m);
}

int ward_criu_shared_opts(struct ward_pb *o, const struct ward_criu_opts *c, ward_err *err)
{
	int mode = cg_mode(c->manage_cgroups_mode, err);
	if (mode < 0)
		return -1;
	ward_pb_int(o, CRIU_O_LOG_LEVEL, 4);
	ward_pb_bool(o, CRIU_O_MANAGE_CGROUPS, true);
	ward_pb_uint(o, CRIU_O_MANAGE_CGROUPS_MODE, (uint64_t)mode);
	ward_pb_bool(o, CRIU_O_NOTIFY_SCRIPTS, true);
	ward_pb_bool(o, CRIU_O_SHELL_JOB, c->shell_job);
	ward_pb_bool(o, CRIU_O_TCP_ESTABLISHED, c->tcp_established);
	ward_pb_bool(o, CRIU_O_EXT_UNIX_SK, c->ext_unix_sk);
	ward_pb_bool(o, CRIU_O_FILE_LOCKS, c->file_locks);
	ward_pb_bool(o, CRIU_O_AUTO_DEDUP, c->auto_dedup);
	ward_pb_bool(o, CRIU_O_ORPHAN_PTS_MASTER, true);
	/* As runc: the network namespace is made again empty (its interfaces
	 * are the engine's business), so criu needs no ip or iptables there. */
	ward_pb_uint(o, CRIU_O_EMPTY_NS, CLONE_NEWNET);
	/* The network lock through libnftables, which Debian's criu links,
	 * instead of the iptables programs it does not depend on; a criu
	 * config file (org.criu.config, /etc/criu/ward.conf) overrides it. */
	ward_pb_uint(o, CRIU_O_NETWORK_LOCK, CRIU_NETLOCK_NFTABLES);
	return 0;
}

int ward_criu_fail(ward_err *err, int dirfd, const char *dir, const char *file)
{
	char first[384];
	ward_criu_log_errors(dirfd, file, first, sizeof(first));
	char msg[WARD_ERR_MSG_MAX];
	ward_err_str(err, msg, sizeof(msg));
	char hint[160] = "";
	if (strstr(first, "vDSO") || strstr(first, "vdso") || strstr(first, "kerndat")) {
		struct utsname u;
		snprintf(hint, sizeof(hint), " (this criu cannot initialize for Linux %s)",
			 uname(&u) == 0 ? u.release : "?");
	}
	/* criu's answer may carry its first error already. */
	if (first[0] && !strstr(msg, first))
		return ward_err_set(err, "%s; %s/%s says: %s%s", msg, dir, file, first, hint);
	return ward_err_set(err, "%s%s (see %s/%s)", msg, hint, dir, file);
}

/* ---- checkpoint ---- */

struct ckpt {
	const struct ward_ctx *ctx;
	const struct ward_checkpoint_opts *o;
	struct ward_state st;
	struct ward_spec *spec;
	int imgfd, workfd;
	char imgdir[PATH_MAX], logdir[PATH_MAX];
	int version;
	json_t *mounts;	     /* mount table of the init: [{id, mp, fstype, root}] */
	json_t *ext_mounts;  /* for the record: [{mountpoint, name, kind}] */
	json_t *stdio;	     /* for the record: [{fd, key}] */
	json_t *descriptors; /* runc's descriptors.json */
	bool netns_ext;
};

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
	char *o = s;
	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

static json_t *mount_table(pid_t pid, ward_err *err)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/mountinfo", pid);
	_cleanup_free_ char *text = NULL;
	if (ward_read_file_at(AT_FDCWD, path, &text, NULL, err) < 0)
		return NULL;
	json_t *a = json_array();
	char *save = NULL;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		int id;
		char root[PATH_MAX], mp[PATH_MAX], fstype[64] = "";
		char *sep = strstr(l, " - ");
		if (sscanf(l, "%d %*d %*s %4095s %4095s", &id, root, mp) != 3)
			continue;
		if (sep)
			sscanf(sep + 3, "%63s", fstype);
		unescape(root);
		unescape(mp);
		json_array_append_new(a, json_pack("{s:i, s:s, s:s, s:s}", "id", id, "mp", mp,
						   "root", root, "fstype", fstype));
	}
	return a;
}

/* a and b name the same absolute path (runs of / and a trailing / aside). */
static bool same_path(const char *a, const char *b)
{
	for (;;) {
		while (*a == '/' && (a[1] == '/' || a[1] == '\0'))
			a++;
		while (*b == '/' && (b[1] == '/' || b[1] == '\0'))
			b++;
		if (*a != *b)
			return false;
		if (!*a)
			return true;
		a++;
		b++;
	}
}

static bool is_bind(const struct ward_mount *m)
{
	return m->bind || m->rbind || (m->type && !strcmp(m->type, "bind"));
}

const char *ward_criu_bind_source(const struct ward_spec *s, const char *mountpoint)
{
	for (size_t i = 0; i < s->n_mounts; i++)
		if (is_bind(&s->mounts[i]) && same_path(s->mounts[i].destination, mountpoint))
			return s->mounts[i].source;
	return NULL;
}

static bool in_list(char *const *list, const char *mp)
{
	for (size_t i = 0; list && list[i]; i++)
		if (same_path(list[i], mp))
			return true;
	return false;
}

/* The kind of external mount at mp, as runc marks them, or NULL. */
static const char *ext_kind(const struct ward_spec *s, const char *mp, const char *fstype)
{
	if (ward_criu_bind_source(s, mp))
		return "bind";
	if (in_list(s->lx.masked_paths, mp) && strcmp(fstype, "tmpfs") != 0)
		return "masked"; /* a file masked by the host's /dev/null */
	if (!strncmp(mp, "/dev/", 5) && !strcmp(fstype, "devtmpfs"))
		return "device"; /* bound from the host's /dev (user namespaces) */
	return NULL;
}

static int add_ext_mounts(struct ckpt *k, struct ward_pb *o)
{
	size_t i;
	json_t *m;
	json_array_foreach(k->mounts, i, m)
	{
		const char *mp = json_string_value(json_object_get(m, "mp"));
		const char *kind =
		    ext_kind(k->spec, mp, json_string_value(json_object_get(m, "fstype")));
		if (!kind || !strcmp(mp, "/"))
			continue;
		const char *name = !strcmp(kind, "masked") ? "/dev/null" : mp;
		ward_pb_pair_str(o, CRIU_O_EXT_MNT, mp, name);
		json_array_append_new(k->ext_mounts, json_pack("{s:s, s:s, s:s}", "mountpoint", mp,
							       "name", name, "kind", kind));
	}
	return 0;
}

static bool mount_known(json_t *mounts, int id)
{
	size_t i;
	json_t *m;
	json_array_foreach(mounts, i, m)
	{
		if (json_integer_value(json_object_get(m, "id")) == id)
			return true;
	}
	return false;
}

static int fd_mnt_id(pid_t pid, int fd)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, fd);
	_cleanup_free_ char *t = NULL;
	ward_err ignored;
	if (ward_read_file_at(AT_FDCWD, path, &t, NULL, &ignored) < 0)
		return -1;
	const char *m = strstr(t, "mnt_id:");
	return m ? atoi(m + 7) : -1;
}

static bool stdio_has(json_t *stdio, const char *key)
{
	size_t i;
	json_t *s;
	json_array_foreach(stdio, i, s)
	{
		if (!strcmp(json_string_value(json_object_get(s, "key")), key))
			return true;
	}
	return false;
}

/* The init's stdio: pipes are replaced at restore by restore's own stdio
 * (runc's rule); so are files outside the container's mounts (the host's
 * /dev/null, a log file), which criu could not reopen: marked external. */
static int add_stdio(struct ckpt *k, struct ward_pb *o, ward_err *err)
{
	for (int fd = 0; fd < 3; fd++) {
		char path[64], link[PATH_MAX];
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", k->st.pid, fd);
		ssize_t n = readlink(path, link, sizeof(link) - 1);
		if (n < 0) {
			json_array_append_new(k->descriptors, json_string(""));
			continue;
		}
		link[n] = '\0';
		json_array_append_new(k->descriptors, json_string(link));
		char key[96] = "";
		int mnt = link[0] == '/' ? fd_mnt_id(k->st.pid, fd) : -1;
		struct stat sb;
		if (!strncmp(link, "pipe:", 5)) {
			snprintf(key, sizeof(key), "%s", link);
		} else if (mnt >= 0 && !mount_known(k->mounts, mnt) && stat(path, &sb) == 0) {
			snprintf(key, sizeof(key), "file[%x:%llx]", (unsigned)mnt,
				 (unsigned long long)sb.st_ino);
			if (!stdio_has(k->stdio, key))
				ward_pb_str(o, CRIU_O_EXTERNAL, key);
		}
		if (key[0])
			json_array_append_new(k->stdio,
					      json_pack("{s:i, s:s}", "fd", fd, "key", key));
	}
	(void)err;
	return 0;
}

static int add_netns(struct ckpt *k, struct ward_pb *o, ward_err *err)
{
	const struct ward_namespace *ns = &k->spec->lx.ns[WARD_NS_NET];
	if (!ns->present || !ns->path)
		return 0;
	struct stat sb;
	if (stat(ns->path, &sb) < 0)
		return ward_err_sys(err, errno, "config.json: linux.namespaces: network %s",
				    ns->path);
	char ext[96];
	snprintf(ext, sizeof(ext), "net[%llu]:extRootNetNS", (unsigned long long)sb.st_ino);
	ward_pb_str(o, CRIU_O_EXTERNAL, ext);
	k->netns_ext = true;
	return 0;
}

static void add_freezer(struct ckpt *k, struct ward_pb *o)
{
	/* criu freezes the whole cgroup at once instead of seizing one
	 * process after another while they fork. */
	const char *fz = ward_cgroup_dir_for(k->st.extra, "freezer", NULL);
	bool v2 = false;
	if (!fz) {
		fz = ward_cgroup_dir_for(k->st.extra, NULL, &v2);
		if (!v2)
			fz = NULL;
	}
	if (fz)
		ward_pb_str(o, CRIU_O_FREEZE_CGROUP, fz);
}

const char *ward_criu_config_file(const struct ward_spec *s)
{
	const char *f = json_string_value(json_object_get(s->annotations, "org.criu.config"));
	return f ? f : "/etc/criu/ward.conf";
}

static int dump_opts(struct ckpt *k, struct ward_pb *o, ward_err *err)
{
	const struct ward_checkpoint_opts *co = k->o;
	ward_pb_int(o, CRIU_O_IMAGES_DIR_FD, k->imgfd);
	if (k->workfd >= 0)
		ward_pb_int(o, CRIU_O_WORK_DIR_FD, k->workfd);
	ward_pb_str(o, CRIU_O_LOG_FILE, co->pre_dump ? "pre-dump.log" : "dump.log");
	ward_pb_str(o, CRIU_O_ROOT, k->st.rootfs);
	ward_pb_int(o, CRIU_O_PID, k->st.pid);
	ward_pb_bool(o, CRIU_O_LEAVE_RUNNING, co->leave_running);
	const char *cf = ward_criu_config_file(k->spec);
	if (*cf)
		ward_pb_str(o, CRIU_O_CONFIG_FILE, cf);
	if (ward_criu_shared_opts(o, &co->c, err) < 0)
		return -1;
	add_freezer(k, o);
	if (co->parent_path) {
		ward_pb_str(o, CRIU_O_PARENT_IMG, co->parent_path);
		ward_pb_bool(o, CRIU_O_TRACK_MEM, true);
	}
	if (co->pre_dump)
		return 0;
	if (add_ext_mounts(k, o) < 0 || add_stdio(k, o, err) < 0 || add_netns(k, o, err) < 0)
		return -1;
	return 0;
}

/* Every thread no_new_privs, or none: a criu before 3.19 cannot restore it,
 * and restore.c can give it to all (criu runs with it) but not to some. */
static int check_nnp(const struct ckpt *k, json_t *tasks, ward_err *err)
{
	if (k->version >= WARD_CRIU_NNP_VERSION)
		return 0;
	size_t i, on = 0;
	json_t *t;
	json_array_foreach(tasks, i, t)
	{
		const char *v = json_string_value(json_object_get(t, "NoNewPrivs"));
		on += v && !strcmp(v, "1");
	}
	if (on && on != json_array_size(tasks)) {
		char v[32];
		ward_criu_version_str(k->version, v, sizeof(v));
		return ward_err_set(err,
				    "%zu of the container's %zu threads have no_new_privs "
				    "set; criu %s cannot restore it per process (3.19 can), "
				    "so the checkpoint would lose it; refused",
				    on, json_array_size(tasks), v);
	}
	return 0;
}

static json_t *record_json(struct ckpt *k, json_t *tasks)
{
	char v[32];
	ward_criu_version_str(k->version, v, sizeof(v));
	struct utsname u;
	ward_err ignored;
	json_t *config = ward_state_config(&k->st, &ignored);
	return json_pack("{s:i, s:s, s:s, s:s, s:O, s:o, s:O, s:O, s:b}", "ward", 1, "id", k->st.id,
			 "criu", v, "kernel", uname(&u) == 0 ? u.release : "", "tasks", tasks,
			 "confinement", ward_criu_confinement(config), "mounts", k->ext_mounts,
			 "stdio", k->stdio, "netnsExternal", k->netns_ext);
}

static int write_json_at(int dirfd, const char *name, json_t *j, ward_err *err)
{
	_cleanup_free_ char *text = j ? json_dumps(j, JSON_INDENT(1)) : NULL;
	if (!text)
		return ward_err_sys(err, ENOMEM, "%s", name);
	return ward_write_atomic_at(dirfd, name, text, strlen(text), err);
}

static bool tree_has(json_t *tasks, pid_t host_pid)
{
	size_t i;
	json_t *t;
	json_array_foreach(tasks, i, t)
	{
		if (json_integer_value(json_object_get(t, "hostTid")) == host_pid &&
		    json_integer_value(json_object_get(t, "tid")) ==
			json_integer_value(json_object_get(t, "tgid")))
			return true;
	}
	return false;
}

/* criu dumps the tree below the init. A process `ward exec` started is not
 * in it (its parent was ward, outside the container), and would be lost
 * without a word: refused. */
static int check_outsiders(struct ckpt *k, json_t *tasks, ward_err *err)
{
	if (!ward_cgroup_present(k->st.extra))
		return 0;
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	if (ward_cgroup_pids(k->st.extra, &pids, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!tree_has(tasks, pids[i]))
			return ward_err_set(err,
					    "process %d is in the container but not below its "
					    "init (started by ward exec?); criu dumps the init's "
					    "tree only, so it would be lost; refused",
					    pids[i]);
	return 0;
}

/* post-dump: the tree is dumped and still frozen; what confines it now is
 * what the restored tree must have. */
static int on_dump_notify(void *arg, const struct ward_criu_resp *n, int fd, ward_err *err)
{
	struct ckpt *k = arg;
	if (fd >= 0)
		close(fd);
	if (strcmp(n->script, "post-dump") != 0 || k->o->pre_dump)
		return 0;
	json_t *tasks = ward_criu_tasks(k->st.pid, err);
	if (!tasks)
		return ward_err_wrap(err, "the frozen tree");
	int r = check_nnp(k, tasks, err);
	if (r == 0)
		r = check_outsiders(k, tasks, err);
	json_t *rec = r == 0 ? record_json(k, tasks) : NULL;
	if (r == 0)
		r = write_json_at(k->imgfd, WARD_CRIU_RECORD, rec, err);
	if (r == 0)
		r = write_json_at(k->imgfd, "descriptors.json", k->descriptors, err);
	json_decref(rec);
	json_decref(tasks);
	if (r < 0)
		return ward_err_wrap(err, "--image-path %s", k->imgdir);
	return 0;
}

/* --pre-dump needs the kernel's soft-dirty memory tracking (runc asks too). */
static int check_mem_track(struct ckpt *k, ward_err *err)
{
	struct ward_criu c;
	struct ward_criu_spawn s = {.binary = k->ctx->criu};
	if (ward_criu_start(&c, &s, err) < 0)
		return -1;
	struct ward_pb req = {0}, feat = {0};
	ward_pb_uint(&req, CRIU_REQ_F_TYPE, CRIU_REQ_FEATURE_CHECK);
	ward_pb_bool(&feat, 1, true);
	ward_pb_msg(&req, CRIU_REQ_F_FEATURES, &feat);
	struct ward_criu_resp r;
	int rc = ward_criu_call(&c, &req, NULL, NULL, &r, err);
	ward_pb_free(&req);
	ward_pb_free(&feat);
	ward_criu_stop(&c);
	if (rc < 0)
		return ward_err_wrap(err, "--pre-dump");
	if (r.has_mem_track && !r.mem_track)
		return ward_err_set(err, "--pre-dump: criu cannot track memory changes on this "
					 "kernel (soft-dirty pages)");
	return 0;
}

static int check_parent(struct ckpt *k, ward_err *err)
{
	const char *p = k->o->parent_path;
	if (!p)
		return 0;
	if (p[0] == '/')
		return ward_err_set(err, "--parent-path %s: must be relative to the image path", p);
	struct stat sb;
	if (fstatat(k->imgfd, p, &sb, 0) < 0)
		return ward_err_sys(err, errno, "--parent-path %s (in %s)", p, k->imgdir);
	if (!S_ISDIR(sb.st_mode))
		return ward_err_set(err, "--parent-path %s: not a directory", p);
	return 0;
}

static int open_dirs(struct ckpt *k, ward_err *err)
{
	const struct ward_criu_opts *c = &k->o->c;
	snprintf(k->imgdir, sizeof(k->imgdir), "%s", c->image_path ? c->image_path : WARD_CRIU_IMAGES);
	k->imgfd = ward_criu_dir(k->imgdir, "--image-path", true, err);
	if (k->imgfd < 0)
		return -1;
	snprintf(k->logdir, sizeof(k->logdir), "%s", c->work_path ? c->work_path : k->imgdir);
	if (c->work_path && (k->workfd = ward_criu_dir(c->work_path, "--work-path", true, err)) < 0)
		return -1;
	return check_parent(k, err);
}

static int check_checkpointable(struct ckpt *k, ward_err *err)
{
	if (k->st.status != WARD_RUNNING && k->st.status != WARD_PAUSED)
		return ward_err_set(err, "container %s cannot be checkpointed in the %s state",
				    k->st.id, ward_status_name(k->st.status));
	/* Paused while created: its init still runs ward's binary, with the
	 * privileges it keeps until start; nothing of it is to be dumped. */
	if (ward_state_awaits_start(&k->st))
		return ward_err_set(err, "container %s cannot be checkpointed: it is paused but "
					 "was never started", k->st.id);
	if (!(k->spec = ward_state_spec(&k->st, err)))
		return -1;
	if (ward_criu_refuse(k->spec, k->st.extra, err) < 0)
		return -1;
	if ((k->version = ward_criu_version(k->ctx->criu, err)) < 0)
		return -1;
	if (k->version < 30000)
		return ward_err_set(err, "criu %d.%d is too old (3.0 or later)", k->version / 10000,
				    k->version / 100 % 100);
	if (!k->o->pre_dump && !(k->mounts = mount_table(k->st.pid, err)))
		return -1;
	return k->o->pre_dump ? check_mem_track(k, err) : 0;
}

static int dump(struct ckpt *k, ward_err *err)
{
	struct ward_pb o = {0}, req = {0};
	int r = dump_opts(k, &o, err);
	if (r == 0) {
		ward_pb_uint(&req, CRIU_REQ_F_TYPE,
			     k->o->pre_dump ? CRIU_REQ_PRE_DUMP : CRIU_REQ_DUMP);
		ward_pb_msg(&req, CRIU_REQ_F_OPTS, &o);
	}
	struct ward_criu c;
	struct ward_criu_spawn s = {.binary = k->ctx->criu};
	if (r == 0)
		r = ward_criu_start(&c, &s, err);
	if (r == 0) {
		struct ward_criu_resp resp;
		r = ward_criu_call(&c, &req, on_dump_notify, k, &resp, err);
		/* A pre-dump server waits for the next request: it ends when we
		 * close the socket, its status is of no interest (as in runc). */
		ward_criu_stop(&c);
		if (r < 0 && !c.notify_failed)
			ward_criu_fail(err, k->workfd >= 0 ? k->workfd : k->imgfd, k->logdir,
				       k->o->pre_dump ? "pre-dump.log" : "dump.log");
	}
	ward_pb_free(&o);
	ward_pb_free(&req);
	return r;
}

int ward_container_checkpoint(const struct ward_ctx *ctx, const char *id,
			      const struct ward_checkpoint_opts *o, ward_err *err)
{
	struct ckpt k = {.ctx = ctx,
			 .o = o,
			 .imgfd = -1,
			 .workfd = -1,
			 .ext_mounts = json_array(),
			 .stdio = json_array(),
			 .descriptors = json_array()};
	int r = -1;
	if (ward_state_load(ctx, id, true, &k.st, err) < 0)
		goto out;
	if (check_checkpointable(&k, err) < 0 || open_dirs(&k, err) < 0 || dump(&k, err) < 0)
		goto out;
	r = 0;
	ward_trail(ctx, &k.st, o->pre_dump ? "pre-dump" : "checkpoint", k.st.pid, NULL,
		   json_pack("{s:b}", "leave-running", o->leave_running));
	if (!o->leave_running && !o->pre_dump) {
		/* criu killed the tree; the container goes, as in runc. */
		ward_state_refresh(&k.st);
		if (ward_container_delete_loaded(ctx, &k.st, true, err) < 0) {
			ward_err_wrap(err, "checkpointed, but delete failed");
			r = -1;
		}
	}
out:
	if (r < 0)
		ward_trail(ctx, &k.st, o->pre_dump ? "pre-dump" : "checkpoint", k.st.pid, err, NULL);
	ward_state_release(&k.st);
	ward_spec_free(k.spec);
	json_decref(k.mounts);
	json_decref(k.ext_mounts);
	json_decref(k.stdio);
	json_decref(k.descriptors);
	if (k.imgfd >= 0)
		close(k.imgfd);
	if (k.workfd >= 0)
		close(k.workfd);
	if (r < 0)
		ward_err_wrap(err, "checkpoint %s", id);
	return r;
}
