/* Fail closed when the monitor is lost. When the last holder of a fanotify
 * group closes it, the kernel answers every pending permission event with
 * FAN_ALLOW and drops the marks (fanotify_release): a monitor killed alone
 * would let the container run unappraised code from then on. So a second,
 * tiny process - the guard - holds the same group and never reads it:
 *
 *   - the monitor dies (its pidfd) or falls silent for timeoutSeconds (the
 *     heartbeat pipe): the group stays open through the guard, so the
 *     container's execs and opens wait unanswered; the guard kills the
 *     container's cgroup (cgroup.kill, then every pid; the init last) or,
 *     with onMonitorLoss "freeze", freezes it and keeps holding the group;
 *   - only once the container is gone does the guard let the group go;
 *   - the monitor respawns a guard that dies (ward_guard_spawn again).
 *
 * A permission wait is killable and freezable (Linux 6.x), so neither step
 * waits for an answer. What is left: a host root that kills monitor and
 * guard together lifts enforcement; host root is trusted (docs/integrity.md). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../audit/audit.h"
#include "../cgroup/cgroup.h"
#include "../linux/linux.h"
#include "../util/cleanup.h"
#include "integrity.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		(void)!write(fd, s, strlen(s));
		close(fd);
	}
}

/* Everything of the container, now: cgroup v2's cgroup.kill takes the whole
 * tree at once (a fork cannot outrun it); v1 hierarchies pid by pid. */
void ward_guard_kill_container(json_t *cgroup, int init_pidfd)
{
	bool v2 = false;
	const char *dir = ward_cgroup_dir_for(cgroup, NULL, &v2);
	if (dir && v2) {
		char f[4200];
		snprintf(f, sizeof(f), "%s/cgroup.kill", dir);
		write_str(f, "1");
	}
	ward_err ignored = {0};
	ward_cgroup_kill_all(cgroup, SIGKILL, &ignored);
	if (init_pidfd >= 0)
		syscall(SYS_pidfd_send_signal, init_pidfd, SIGKILL, NULL, 0);
}

static void lost(struct ward_monitor *m, int mon_pidfd, const char *why)
{
	if (mon_pidfd >= 0)
		syscall(SYS_pidfd_send_signal, mon_pidfd, SIGKILL, NULL, 0);
	ward_err ignored = {0};
	bool freeze =
	    m->pol.conf.freeze_on_loss && ward_cgroup_freeze(m->cgroup, true, &ignored) == 0;
	if (!freeze)
		ward_guard_kill_container(m->cgroup, m->init_pidfd);
	struct ward_audit_event ev = {.op = "integrity-monitor",
				      .id = m->id,
				      .audit_id = m->audit_id,
				      .pid = m->init_pid,
				      .success = false,
				      .reason = why};
	json_t *f = json_pack("{s:s}", "action", freeze ? "frozen" : "killed");
	ev.fields = f;
	ward_audit_emit(m->audit, &ev);
	json_decref(f);
	/* Hold the group until nothing of the container is left: a frozen
	 * container keeps it until it is deleted. */
	struct pollfd p = {m->init_pidfd, POLLIN, 0};
	while (m->init_pidfd >= 0 && poll(&p, 1, freeze ? -1 : 10000) < 0 && errno == EINTR)
		;
	if (!freeze) {
		for (int i = 0; i < 200; i++) {
			pid_t *pids = NULL;
			size_t n = 0;
			int r = ward_cgroup_pids(m->cgroup, &pids, &n, &ignored);
			free(pids);
			if (r < 0 || n == 0)
				break;
			ward_guard_kill_container(m->cgroup, -1);
			struct timespec ts = {0, 50 * 1000 * 1000};
			nanosleep(&ts, NULL);
		}
	}
	_exit(0);
}

__attribute__((noreturn)) static void guard_main(struct ward_monitor *m, int mon_pidfd)
{
	prctl(PR_SET_NAME, "ward-guard", 0, 0, 0);
	int keep[] = {m->fan_fd,     m->beat_rd,	   mon_pidfd,
		      m->init_pidfd, m->audit->logs[0].fd, m->audit->logs[1].fd};
	ward_close_fds_except(3, keep, ARRAY_SIZE(keep));
	/* Not the monitor's audit socket (its replies are the monitor's): the
	 * guard's first record opens its own. */
	m->audit->nlfd = -1;
	m->audit->probed = false;
	double last = mono();
	char buf[256];
	for (;;) {
		struct pollfd p[2] = {{m->beat_rd, POLLIN, 0}, {mon_pidfd, POLLIN, 0}};
		double left = m->pol.conf.timeout_s - (mono() - last);
		int r = left > 0 ? poll(p, 2, (int)(left * 1000) + 1) : 0;
		if (r < 0 && errno == EINTR)
			continue;
		if (p[0].revents & POLLIN) {
			ssize_t n = read(m->beat_rd, buf, sizeof(buf));
			if (n > 0 && memchr(buf, 'q', (size_t)n))
				_exit(0); /* the monitor stops cleanly: the container is gone */
			if (n > 0)
				last = mono();
		}
		if (p[1].revents & POLLIN)
			lost(m, -1, "the integrity monitor died");
		if (mono() - last >= m->pol.conf.timeout_s)
			lost(m, mon_pidfd, "the integrity monitor stopped answering");
	}
}

/* Fork a guard for the running monitor m (the caller). */
int ward_guard_spawn(struct ward_monitor *m, ward_err *err)
{
	pid_t self = getpid();
	int mon_pidfd = (int)syscall(SYS_pidfd_open, self, 0);
	if (mon_pidfd < 0)
		return ward_err_sys(err, errno, "pidfd_open of the monitor");
	int gpidfd = -1;
	long pid = ward_clone3(0, &gpidfd, -1);
	if (pid < 0) {
		close(mon_pidfd);
		return ward_err_sys(err, errno, "fork the guard");
	}
	if (pid == 0)
		guard_main(m, mon_pidfd);
	close(mon_pidfd);
	if (m->guard_pidfd >= 0)
		close(m->guard_pidfd);
	m->guard_pidfd = gpidfd;
	m->guard_pid = (pid_t)pid;
	return 0;
}

/* The guard died (a signal, or it exited after a clean 'q'): reap it, and
 * start another unless we are stopping. */
void ward_guard_reap(struct ward_monitor *m)
{
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	waitid((idtype_t)P_PIDFD, (id_t)m->guard_pidfd, &si, WEXITED | WNOHANG);
	close(m->guard_pidfd);
	m->guard_pidfd = -1;
	if (m->stopping)
		return;
	ward_err err = {0};
	struct ward_audit_event ev = {.op = "integrity-monitor",
				      .id = m->id,
				      .audit_id = m->audit_id,
				      .success = false,
				      .reason = "the integrity guard died; a new "
						"one is started"};
	ward_audit_emit(m->audit, &ev);
	if (ward_guard_spawn(m, &err) < 0) {
		/* Without a guard our death would open the container: close it now. */
		ward_guard_kill_container(m->cgroup, m->init_pidfd);
	}
}
