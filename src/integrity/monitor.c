/* The monitor: one process per container, outside its namespaces and
 * cgroup, holding a fanotify group (FAN_CLASS_CONTENT) whose marks cover
 * the container's mounts. Every exec (FAN_OPEN_EXEC_PERM) and, with
 * libraries on, every open (FAN_OPEN_PERM) by the container's processes
 * waits for its answer:
 *
 *   - a file seen before and unchanged (cache): the verdict at once;
 *   - an open of a file that is not ELF: allowed, and an ignore mark on its
 *     inode keeps the kernel from asking again until it is written to;
 *   - code (anything exec'd, ELF files opened): hashed through the event's
 *     fd, appraised, measured into the list (and the host's for root), then
 *     allowed or, appraise-enforce and a failure, denied with EPERM.
 *
 * The queue is unlimited (an overflowing fanotify queue lets permission
 * events through); its length is bounded by the container's tasks, each
 * blocked on its own event. Fail-closed is the guard's job (guard.c). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../audit/audit.h"
#include "../util/cleanup.h"
#include "integrity.h"

#ifndef FAN_MARK_IGNORE
#define FAN_MARK_IGNORE 0x00000400
#endif

/* PIDFD_GET_INFO (Linux 6.13): the subject's creds and cgroup in one call. */
struct pidfd_info_v0 {
	uint64_t mask;
	uint64_t cgroupid;
	uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
	uint32_t spare0[1];
};
#define PIDFD_GET_INFO_V0   _IOWR(0xFF, 11, struct pidfd_info_v0)
#define PIDFD_INFO_CREDS    (1UL << 1)
#define PIDFD_INFO_CGROUPID (1UL << 2)

#define IGNORE_MARKS_MAX 16384 /* inodes pinned by ignore marks, at most */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void ward_monitor_beat(void *arg)
{
	struct ward_monitor *m = arg;
	double t = now_s();
	if (t - m->last_beat < 1.0)
		return;
	m->last_beat = t;
	/* Non-blocking: a guard that is behind must not stall the monitor. */
	(void)!write(m->beat_fd, "b", 1);
}

/* Is cgroup path p (as /proc/PID/cgroup shows it) the container's or below? */
static bool below(const char *p, const char *cg)
{
	size_t n = strlen(cg);
	return strncmp(p, cg, n) == 0 && (p[n] == '\0' || p[n] == '/' || p[n] == '\n');
}

static bool proc_cgroup_inside(const struct ward_monitor *m, pid_t pid)
{
	char path[64], buf[4096];
	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (n <= 0)
		return true; /* gone, or hidden: count it in, the safe side */
	buf[n] = '\0';
	for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (strncmp(l, "0::", 3) == 0)
			return below(l + 3, m->cgpath);
	return true;
}

static bool cgid_inside(struct ward_monitor *m, uint64_t cgid, pid_t pid)
{
	if (cgid == m->cgid)
		return true;
	for (size_t i = 0; i < m->n_cgseen; i++)
		if (m->cgseen[i].id == cgid)
			return m->cgseen[i].inside;
	bool in = proc_cgroup_inside(m, pid);
	if (m->n_cgseen < ARRAY_SIZE(m->cgseen))
		m->cgseen[m->n_cgseen++] = (struct ward_cgseen){cgid, in};
	return in;
}

static void status_uids(pid_t pid, uid_t *ruid, uid_t *euid)
{
	char path[64], buf[2048];
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	*ruid = *euid = (uid_t)-1;
	if (n <= 0)
		return;
	buf[n] = '\0';
	char *u = strstr(buf, "\nUid:");
	unsigned r, e;
	if (u && sscanf(u + 5, "%u %u", &r, &e) == 2) {
		*ruid = r;
		*euid = e;
	}
}

/* Who opened the file: one of the container's processes, and root? */
void ward_monitor_subject(struct ward_monitor *m, pid_t pid, int pidfd, struct ward_subject *s)
{
	struct pidfd_info_v0 info = {.mask = PIDFD_INFO_CREDS | PIDFD_INFO_CGROUPID};
	s->pid = pid;
	if (pidfd >= 0 && !m->no_pidfd_info && ioctl(pidfd, PIDFD_GET_INFO_V0, &info) == 0) {
		s->ruid = info.ruid;
		s->euid = info.euid;
		s->inside = !m->cgid || !(info.mask & PIDFD_INFO_CGROUPID) ||
			    cgid_inside(m, info.cgroupid, pid);
	} else {
		if (pidfd >= 0 && errno != ESRCH)
			m->no_pidfd_info = true; /* before 6.13: /proc, slower */
		status_uids(pid, &s->ruid, &s->euid);
		s->inside = !m->cgid || proc_cgroup_inside(m, pid);
	}
	/* Root: uid 0 of the container's user namespace; without one, every
	 * uid is the host's own and counts. */
	s->root = m->root_uid == (uid_t)-1 || s->ruid == m->root_uid || s->euid == m->root_uid;
}

static bool is_elf(int fd)
{
	unsigned char h[4];
	return pread(fd, h, sizeof(h), 0) == 4 && memcmp(h, "\177ELF", 4) == 0;
}

static void ignore_mark(struct ward_monitor *m, int fd)
{
	if (m->ignore_marks >= IGNORE_MARKS_MAX)
		return;
	/* Dropped by the kernel at the file's next modification. */
	if (fanotify_mark(m->fan_fd, FAN_MARK_ADD | FAN_MARK_IGNORE, FAN_OPEN_PERM, fd, NULL) ==
		0 ||
	    fanotify_mark(m->fan_fd, FAN_MARK_ADD | FAN_MARK_IGNORED_MASK, FAN_OPEN_PERM, fd,
			  NULL) == 0)
		m->ignore_marks++;
}

static void fd_path(int fd, char *out, size_t len)
{
	char link[64];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, out, len - 1);
	if (n < 0)
		snprintf(out, len, "(unknown)");
	else
		out[n] = '\0';
}

/* Appraise and measure a file not in the cache; NULL when the cache has no
 * room (the verdict in *tmp then). */
static struct ward_verdict *first_sight(struct ward_monitor *m, int fd, const char *path,
					const struct ward_subject *s, struct ward_verdict *tmp)
{
	struct ward_appraisal a;
	struct ward_cookie k;
	ward_err err = {0};
	if (ward_appraise_fd(&m->pol, fd, path, &k, ward_monitor_beat, m, &a, &err) < 0) {
		/* Unreadable: nothing was measured, so nothing may run. */
		a.ok = m->pol.conf.mode < WARD_INTEGRITY_ENFORCE;
		snprintf(a.reason, sizeof(a.reason), "cannot be measured: %s", err.msg);
		a.changed = true;
		struct stat st;
		if (fstat(fd, &st) == 0)
			ward_cookie_of(&st, &k);
	}
	m->hashed += a.bytes;
	struct ward_verdict *v = ward_cache_put(&m->cache, &k);
	if (!v) {
		memset(tmp, 0, sizeof(*tmp));
		v = tmp;
		v->cookie = k;
	}
	v->ok = a.ok;
	memcpy(v->sha256, a.sha256, sizeof(v->sha256));
	ward_monitor_measure(m, v, &a, path, s);
	return v == tmp ? NULL : v;
}

static uint32_t decide(struct ward_monitor *m, const struct fanotify_event_metadata *md, int pidfd)
{
	struct stat st;
	if (fstat(md->fd, &st) < 0 || !S_ISREG(st.st_mode))
		return FAN_ALLOW;
	struct ward_subject s;
	ward_monitor_subject(m, md->pid, pidfd, &s);
	if (!s.inside)
		return FAN_ALLOW; /* the host looking in through /proc/PID/root */
	bool exec = md->mask & FAN_OPEN_EXEC_PERM;
	struct ward_child *ch = m->n_children ? ward_nest_of_fd(m, md->fd) : NULL;
	if (ch)
		return ward_nest_decide(m, ch, md->fd, exec, &s, &st);
	struct ward_cookie k;
	ward_cookie_of(&st, &k);
	struct ward_verdict *v = ward_cache_find(&m->cache, &k), tmp;
	char path[WARD_IMA_NAME_MAX] = "";
	bool fresh = !v;
	if (fresh) {
		if (!exec && !is_elf(md->fd)) {
			ignore_mark(m, md->fd);
			return FAN_ALLOW;
		}
		fd_path(md->fd, path, sizeof(path));
		v = first_sight(m, md->fd, path, &s, &tmp);
		if (!v)
			v = &tmp;
	}
	struct ward_target self = ward_monitor_self(m);
	if (exec && s.root && !v->host_logged) {
		if (!path[0])
			fd_path(md->fd, path, sizeof(path));
		ward_monitor_host_record(m, &self, v, path, &s);
	}
	if (v->ok || m->pol.conf.mode != WARD_INTEGRITY_ENFORCE) {
		/* Plain opens of code already judged need not ask again until it
		 * changes (the mark goes at the next write); execs still do, for
		 * root's record. Not while nested namespaces exist: their
		 * policies judge the same inodes again. */
		if (!exec && !m->n_children)
			ignore_mark(m, md->fd);
		return FAN_ALLOW;
	}
	m->denied++;
	if (!fresh) {
		/* Refused again: each refusal is a record of its own (the first
		 * was recorded with the appraisal). */
		fd_path(md->fd, path, sizeof(path));
		ward_monitor_denial_record(m, &self, v, path, &s);
	}
	return FAN_DENY;
}

static int pidfd_of(const struct fanotify_event_metadata *md)
{
	const char *p = (const char *)md + md->metadata_len,
		   *end = (const char *)md + md->event_len;
	while (p + sizeof(struct fanotify_event_info_header) <= end) {
		const struct fanotify_event_info_header *h = (const void *)p;
		if (h->len < sizeof(*h) || p + h->len > end)
			break;
		if (h->info_type == FAN_EVENT_INFO_TYPE_PIDFD)
			return ((const struct fanotify_event_info_pidfd *)p)->pidfd;
		p += h->len;
	}
	return -1;
}

/* Read and answer what is queued (one read: poll says when there is more,
 * and an extra read that finds nothing is a system call per exec). Returns
 * -1 when the group is broken. */
int ward_monitor_events(struct ward_monitor *m)
{
	char buf[16384] __attribute__((aligned(__alignof__(struct fanotify_event_metadata))));
	ssize_t len;
	do
		len = read(m->fan_fd, buf, sizeof(buf));
	while (len < 0 && errno == EINTR);
	if (len < 0)
		return errno == EAGAIN ? 0 : -1;
	struct fanotify_event_metadata *md = (void *)buf;
	for (; FAN_EVENT_OK(md, len); md = FAN_EVENT_NEXT(md, len)) {
		int pidfd = pidfd_of(md);
		if (md->vers != FANOTIFY_METADATA_VERSION)
			return -1;
		if (md->fd >= 0) {
			m->events++;
			struct fanotify_response r = {.fd = md->fd,
						      .response = decide(m, md, pidfd)};
			(void)!write(m->fan_fd, &r, sizeof(r));
			close(md->fd);
		}
		if (pidfd >= 0)
			close(pidfd);
	}
	ward_monitor_beat(m);
	return 0;
}
