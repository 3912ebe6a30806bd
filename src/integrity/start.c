/* create's part: check and load the policy before anything is made
 * (ward_integrity_prepare: every error names its field), then, once the
 * init waits for start, build the container's integrity namespace and
 * start its monitor (ward_integrity_start): the lists and their first
 * records, the fanotify group and its marks, memfd_noexec, the list mount,
 * the control socket, and the monitor with its guard, detached from create.
 * Until the monitor says it is ready, create does not return: the init can
 * exec nothing before it is watched. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../audit/audit.h"
#include "../cgroup/cgroup.h"
#include "../linux/linux.h"
#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/log.h"
#include "../util/rootless.h"
#include "integrity.h"

struct ward_integrity {
	struct ward_integrity_host host;
	struct ward_integrity_policy pol;
};

void ward_integrity_free(struct ward_integrity *in)
{
	if (!in)
		return;
	ward_integrity_policy_release(&in->pol);
	ward_integrity_host_release(&in->host);
	free(in);
}

int ward_integrity_prepare(json_t *config, const char *file, struct ward_integrity **out,
			   ward_err *err)
{
	*out = NULL;
	struct ward_integrity *in = calloc(1, sizeof(*in));
	if (!in)
		return ward_err_sys(err, ENOMEM, "integrity");
	if (ward_integrity_conf_parse(config, file, &in->pol.conf, err) < 0 ||
	    ward_integrity_host_load(&in->host, err) < 0) {
		ward_integrity_free(in);
		return -1;
	}
	bool wanted = in->pol.conf.present || in->host.host_list;
	if (wanted && ward_running_rootless()) {
		/* A rootless container's root is no host root: no host list for it. */
		bool asked = in->pol.conf.present;
		ward_integrity_free(in);
		return asked ? ward_err_set(err,
					    "%s: linux.integrity: needs root (fanotify "
					    "permission events need the host's CAP_SYS_ADMIN)",
					    file)
			     : 0;
	}
	char where[256];
	snprintf(where, sizeof(where), "%s: linux.integrity", file);
	if (!wanted || ward_integrity_policy_load(&in->pol, &in->host, where, err) < 0) {
		ward_integrity_free(in);
		return wanted ? -1 : 0;
	}
	*out = in;
	return 0;
}

/* The host id of the container's id 0 in /proc/PID/{uid,gid}_map. */
long ward_integrity_root_of(pid_t pid, const char *map)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", pid, map);
	_cleanup_file_ FILE *f = fopen(path, "re");
	unsigned long in, out, n;
	while (f && fscanf(f, "%lu %lu %lu", &in, &out, &n) == 3)
		if (in == 0 && n > 0)
			return (long)out;
	return -1;
}

static int identify(struct ward_monitor *m, const struct ward_integrity_launch *l, ward_err *err)
{
	m->init_pid = l->init_pid;
	m->init_pidfd = (int)syscall(SYS_pidfd_open, l->init_pid, 0);
	if (m->init_pidfd < 0)
		return ward_err_sys(err, errno, "pidfd_open of the init");
	m->root_uid = (uid_t)-1;
	if (l->userns) {
		long u = ward_integrity_root_of(l->init_pid, "uid_map");
		m->root_uid = u < 0 ? (uid_t)-2 : (uid_t)u; /* -2: no uid is its root */
	}
	bool v2 = false;
	const char *dir = ward_cgroup_dir_for(l->extra, NULL, &v2);
	struct stat st;
	if (dir && v2 && stat(dir, &st) == 0) {
		char path[64], buf[4096];
		snprintf(path, sizeof(path), "/proc/%d/cgroup", l->init_pid);
		_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
		buf[n > 0 ? n : 0] = '\0';
		char *line = strstr(buf, "0::");
		if (line && (line == buf || line[-1] == '\n')) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(m->cgpath, sizeof(m->cgpath), "%s", line + 3);
			m->cgid = st.st_ino;
		}
	}
	m->cgroup = json_deep_copy(l->extra);
	return 0;
}

static int open_lists(struct ward_monitor *m, pid_t pid, ward_err *err)
{
	if (mkdirat(m->dirfd, "list", 0750) < 0)
		return ward_err_sys(err, errno, "mkdir integrity/list");
	_cleanup_close_ int ld = openat(m->dirfd, "list", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	long gid = ward_integrity_root_of(pid, "gid_map");
	if (ld < 0 || (gid >= 0 && fchown(ld, 0, (gid_t)gid) < 0))
		return ward_err_sys(err, errno, "integrity/list");
	if (ward_mlist_open(&m->list, ld, true, false, gid >= 0 ? (gid_t)gid : 0, err) < 0 ||
	    ward_mlist_init(&m->list, err) < 0)
		return -1;
	m->has_list = true;
	return 0;
}

static int mkdir_parents(const char *dir, ward_err *err)
{
	_cleanup_free_ char *p = strdup(dir);
	for (char *s = p ? strchr(p + 1, '/') : NULL;; s = strchr(s + 1, '/')) {
		if (s)
			*s = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			return ward_err_sys(err, errno, "mkdir %s", p);
		if (!s)
			return 0;
		*s = '/';
	}
}

/* The host's list: one for all containers, created by whoever is first. */
int ward_integrity_host_list_open(struct ward_mlist *l, const char *dir, ward_err *err)
{
	if (mkdir_parents(dir, err) < 0)
		return -1;
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || flock(fd, LOCK_EX) < 0)
		return ward_err_sys(err, errno, "host list %s", dir);
	bool fresh = faccessat(fd, "pcr", F_OK, AT_SYMLINK_NOFOLLOW) < 0;
	int r = ward_mlist_open(l, fd, fresh, true, (gid_t)-1, err);
	if (r == 0 && fresh) {
		struct ward_ima_entry boot = {.tmpl = WARD_IMA_NG,
					      .algo = "sha256",
					      .name = "boot_aggregate",
					      .digest_len = WARD_SHA256_LEN};
		r = ward_mlist_init(l, err);
		if (r == 0)
			r = ward_mlist_append(l, &boot, err);
	}
	flock(fd, LOCK_UN);
	return r < 0 ? ward_err_wrap(err, "host list %s", dir) : 0;
}

/* The monitor's own audit settings: those create runs with (the same file
 * and environment, the --audit flag as create saw it). */
static int audit_copy(struct ward_audit *dst, const struct ward_audit *src, ward_err *err)
{
	if (ward_audit_setup(dst, src->root, src->enabled, err) < 0)
		return -1;
	dst->kernel = src->kernel;
	dst->session = src->session;
	dst->rotate_bytes = src->rotate_bytes;
	free(dst->host_log);
	dst->host_log = src->host_log ? strdup(src->host_log) : NULL;
	memcpy(dst->parent, src->parent, sizeof(dst->parent));
	return 0;
}

static int fanotify_setup(struct ward_monitor *m, pid_t pid, json_t *marked, ward_err *err)
{
	unsigned flags = FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK | FAN_UNLIMITED_QUEUE;
	m->fan_fd =
	    fanotify_init(flags | FAN_REPORT_PIDFD, O_RDONLY | O_LARGEFILE | O_CLOEXEC | O_NOATIME);
	if (m->fan_fd < 0 && errno == EINVAL) /* before 5.15: no pidfds, /proc instead */
		m->fan_fd = fanotify_init(flags, O_RDONLY | O_LARGEFILE | O_CLOEXEC | O_NOATIME);
	if (m->fan_fd < 0)
		return ward_err_sys(err, errno,
				    "fanotify_init (permission events need "
				    "CONFIG_FANOTIFY_ACCESS_PERMISSIONS)");
	uint64_t mask = FAN_OPEN_EXEC_PERM | (m->pol.conf.libraries ? FAN_OPEN_PERM : 0);
	return ward_integrity_mark_mounts(m->fan_fd, pid, mask, marked, err);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void monitor_release(struct ward_monitor *m)
{
	int *fds[] = {&m->fan_fd,      &m->ctl_fd, &m->beat_fd,	   &m->beat_rd,
		      &m->guard_pidfd, &m->dirfd,  &m->init_pidfd, &m->nest_fd};
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		close_fd(fds[i]);
	ward_mlist_close(&m->list);
	ward_mlist_close(&m->host);
	ward_integrity_policy_release(&m->pol);
	ward_integrity_host_release(&m->hostconf);
	ward_cache_release(&m->cache);
	json_decref(m->cgroup);
	m->cgroup = NULL;
	if (m->audit) {
		ward_audit_release(m->audit);
		free(m->audit);
		m->audit = NULL;
	}
}

__attribute__((noreturn)) static void monitor_main(struct ward_monitor *m, int ready)
{
	setsid();
	prctl(PR_SET_NAME, "ward-integrity", 0, 0, 0);
	/* Nobody else may look into the process that holds the verdicts. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	int keep[] = {m->fan_fd,
		      m->ctl_fd,
		      m->beat_fd,
		      m->beat_rd,
		      m->init_pidfd,
		      m->dirfd,
		      m->list.dirfd,
		      m->list.bin_fd,
		      m->list.ascii_fd,
		      m->host.dirfd,
		      m->host.bin_fd,
		      m->host.ascii_fd,
		      ready,
		      ward_log_fd(),
		      m->audit->nlfd,
		      m->audit->logs[0].fd,
		      m->audit->logs[1].fd,
		      m->nest_fd};
	/* Not the state dir's fd above all: it carries create's lock. */
	ward_close_fds_except(3, keep, ARRAY_SIZE(keep));
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (int i = 0; null >= 0 && i < 3; i++)
		dup2(null, i);
	if (null > 2)
		close(null);
	signal(SIGPIPE, SIG_IGN);
	/* The OOM killer takes others first; the guard not at all. */
	int oom = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (oom >= 0) {
		(void)!write(oom, "-1000", 5);
		close(oom);
	}
	ward_err err = {0};
	char msg[128];
	if (ward_guard_spawn(m, &err) < 0) {
		snprintf(msg, sizeof(msg), "fail %s\n", err.msg);
		(void)!write(ready, msg, strlen(msg));
		_exit(1);
	}
	oom = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (oom >= 0) {
		(void)!write(oom, "-999", 4);
		close(oom);
	}
	int n = snprintf(msg, sizeof(msg), "ok %d %d\n", (int)getpid(), (int)m->guard_pid);
	(void)!write(ready, msg, (size_t)n);
	close(ready);
	_exit(ward_monitor_loop(m));
}

/* Detach the monitor from create (setsid in a grandchild) and wait until it
 * and its guard run. */
static int launch(struct ward_monitor *m, pid_t *mpid, pid_t *gpid, ward_err *err)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return ward_err_sys(err, errno, "pipe");
	pid_t mid = fork();
	if (mid < 0) {
		close(p[0]);
		close(p[1]);
		return ward_err_sys(err, errno, "fork the monitor");
	}
	if (mid == 0) {
		close(p[0]);
		if (fork() == 0)
			monitor_main(m, p[1]);
		_exit(0);
	}
	close(p[1]);
	while (waitpid(mid, NULL, 0) < 0 && errno == EINTR)
		;
	char buf[256];
	size_t len = 0;
	ssize_t r;
	/* Up to the newline, not EOF: the guard holds the pipe a moment longer. */
	while (len < sizeof(buf) - 1 && !memchr(buf, '\n', len) &&
	       (r = read(p[0], buf + len, sizeof(buf) - 1 - len)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		len += (size_t)r;
	}
	close(p[0]);
	buf[len] = '\0';
	int a, b;
	if (sscanf(buf, "ok %d %d", &a, &b) != 2)
		return ward_err_set(err, "the integrity monitor did not start%s%s",
				    strncmp(buf, "fail ", 5) == 0 ? ": " : "",
				    strncmp(buf, "fail ", 5) == 0 ? buf + 5 : "");
	*mpid = a;
	*gpid = b;
	return 0;
}

/* --debug: how long each step of the start took. */
static void step(const char *what)
{
	static struct timespec last;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (last.tv_sec && ward_log_debug_enabled())
		ward_debug("integrity: %s: %.2f ms", what,
			   (double)(now.tv_sec - last.tv_sec) * 1e3 +
			       (double)(now.tv_nsec - last.tv_nsec) / 1e6);
	last = now;
}

static int setup(struct ward_monitor *m, const struct ward_integrity_launch *l, json_t *info,
		 ward_err *err)
{
	step("start");
	if (mkdirat(l->state_dirfd, "integrity", 0700) < 0)
		return ward_err_sys(err, errno, "mkdir integrity");
	m->dirfd = openat(l->state_dirfd, "integrity", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (m->dirfd < 0 || identify(m, l, err) < 0)
		return m->dirfd < 0 ? ward_err_sys(err, errno, "open integrity") : -1;
	if (m->pol.conf.mode != WARD_INTEGRITY_OFF && open_lists(m, l->init_pid, err) < 0)
		return -1;
	step("lists");
	const char *hl = m->hostconf.host_list;
	if (hl && ward_integrity_host_list_open(&m->host, hl, err) < 0)
		return -1;
	m->has_host = hl != NULL;
	json_t *marked = json_array();
	json_object_set_new(info, "mounts", marked);
	if (fanotify_setup(m, l->init_pid, marked, err) < 0)
		return -1;
	step("fanotify marks");
	int mn = l->pidns ? ward_integrity_memfd_noexec(l->init_pid, err) : 1;
	if (mn < 0)
		return -1;
	bool noexec = mn == 0;
	json_object_set_new(info, "memfdNoexec", json_boolean(noexec));
	step("memfd_noexec");
	int lm = 1;
	if (m->has_list && m->pol.conf.list_path) {
		_cleanup_close_ int ld = openat(m->dirfd, "list", O_PATH | O_DIRECTORY | O_CLOEXEC);
		/* A ward nested inside asks through the list mount: root's group. */
		long gid = ward_integrity_root_of(l->init_pid, "gid_map");
		if (ward_nest_listen(m, ld, gid >= 0 ? (gid_t)gid : 0, err) < 0)
			return -1;
		lm = ward_integrity_mount_list(l->init_pid, ld, m->pol.conf.list_path, err);
		if (lm < 0)
			return -1;
	}
	json_object_set_new(info, "listMount",
			    lm == 0 ? json_string(m->pol.conf.list_path) : json_null());
	step("list mount");
	if ((m->ctl_fd = ward_ctl_listen(m->dirfd, err)) < 0)
		return -1;
	int beat[2];
	if (pipe2(beat, O_CLOEXEC) < 0)
		return ward_err_sys(err, errno, "pipe");
	m->beat_rd = beat[0];
	m->beat_fd = beat[1];
	fcntl(m->beat_fd, F_SETFL, O_NONBLOCK);
	struct ward_target self = ward_monitor_self(m);
	int r = ward_monitor_policy_records(m, &self, true, err);
	step("first records");
	return r;
}

int ward_integrity_start(struct ward_integrity *in, const struct ward_integrity_launch *l,
			 ward_err *err)
{
	/* Inside a ward container with an integrity namespace: a child of it. */
	const char *parent = ward_nest_parent();
	if (parent)
		return ward_nest_start(&in->pol, l, parent, err) < 0
			   ? ward_err_wrap(err, "integrity")
			   : 0;
	struct ward_monitor m = {.fan_fd = -1,
				 .ctl_fd = -1,
				 .beat_fd = -1,
				 .beat_rd = -1,
				 .guard_pidfd = -1,
				 .dirfd = -1,
				 .init_pidfd = -1,
				 .nest_fd = -1};
	m.list.dirfd = m.list.bin_fd = m.list.ascii_fd = -1;
	m.host.dirfd = m.host.bin_fd = m.host.ascii_fd = -1;
	snprintf(m.id, sizeof(m.id), "%s", l->id);
	snprintf(m.audit_id, sizeof(m.audit_id), "%s", l->audit_id);
	/* The policy moves into the monitor; the host settings are copied. */
	m.pol = in->pol;
	memset(&in->pol, 0, sizeof(in->pol));
	m.hostconf = in->host;
	memset(&in->host, 0, sizeof(in->host));
	ward_cache_init(&m.cache);
	m.audit = calloc(1, sizeof(*m.audit));
	json_t *info = json_object();
	pid_t mpid = 0, gpid = 0;
	int r = !m.audit ? ward_err_sys(err, ENOMEM, "audit") : 0;
	if (r == 0 && audit_copy(m.audit, l->audit, err) < 0) {
		free(m.audit);
		m.audit = NULL;
		r = -1;
	}
	if (r == 0)
		r = setup(&m, l, info, err);
	if (r == 0)
		r = launch(&m, &mpid, &gpid, err);
	step("monitor and guard started");
	if (r == 0) {
		json_object_set_new(info, "pid", json_integer(mpid));
		json_object_set_new(info, "pidStart",
				    json_integer((json_int_t)ward_proc_start_time(mpid, NULL)));
		json_object_set_new(info, "guardPid", json_integer(gpid));
		json_object_set_new(info, "hostList",
				    m.hostconf.host_list ? json_string(m.hostconf.host_list)
							 : json_null());
		json_object_set_new(info, "keep", json_boolean(m.pol.conf.keep));
		_cleanup_free_ char *text = json_dumps(info, JSON_COMPACT);
		r = ward_write_atomic_at(m.dirfd, "monitor.json", text, strlen(text), err);
		if (r < 0)
			kill(mpid, SIGKILL); /* its guard then closes the container */
	}
	json_decref(info);
	monitor_release(&m);
	if (r < 0)
		ward_err_wrap(err, "integrity");
	return r;
}
