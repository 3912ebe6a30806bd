/* start and run. start opens the exec fifo the waiting init blocks on, reads
 * its byte, then waits for the fifo to close: closed by execve (CLOEXEC) means
 * the program runs; anything written first is the init's error. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../cgroup/cgroup.h"
#include "../linux/linux.h"
#include "../util/cleanup.h"
#include "../util/fault.h"
#include "../util/log.h"
#include "runtime.h"

static int read_fifo(int fifo, int pidfd, ward_err *err)
{
	char buf[WARD_ERR_MSG_MAX + 256];
	size_t n = 0;
	bool got_start = false;
	for (;;) {
		struct pollfd p[2] = {{.fd = fifo, .events = POLLIN}, {.fd = pidfd, .events = POLLIN}};
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return ward_err_sys(err, errno, "poll exec fifo");
		}
		if (p[0].revents & (POLLIN | POLLHUP)) {
			ssize_t r = read(fifo, buf + n, sizeof(buf) - 1 - n);
			if (r > 0) {
				n += (size_t)r;
				if (n >= sizeof(buf) - 1)
					break;
				continue;
			}
			if (r == 0 && n > 0)
				break; /* the init closed its end: exec'd or failed */
			if (r < 0 && errno != EAGAIN && errno != EINTR)
				return ward_err_sys(err, errno, "read exec fifo");
		}
		if ((p[1].revents & POLLIN) && !(p[0].revents & POLLIN)) {
			/* The init died; take what it wrote and stop. */
			ssize_t r = read(fifo, buf + n, sizeof(buf) - 1 - n);
			if (r > 0)
				n += (size_t)r;
			break;
		}
	}
	buf[n] = '\0';
	got_start = n > 0 && buf[0] == '0';
	if (!got_start)
		return ward_err_set(err, "the container's init exited before it could start");
	if (n > 1) {
		/* An error record from the init or the exec stub; an init made by an
		 * older ward wrote the line as text. */
		if (ward_sync_error_parse(buf + 1, n - 1, err) == 0)
			return -1;
		for (size_t i = 1; i < n; i++)
			if ((unsigned char)buf[i] < ' ' && buf[i] != '\n' && buf[i] != '\t')
				return ward_err_set(err, "the container's init failed (its report "
							 "is unreadable)");
		return ward_err_set(err, "%s", buf + 1);
	}
	return 0;
}

static int start_locked(struct ward_state *st, int pidfd, ward_err *err)
{
	_cleanup_close_ int fifo = openat(st->dirfd, "exec.fifo", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fifo < 0)
		return ward_err_sys(err, errno, "open exec fifo");
	/* At once: the open let the init go on, and the fifo is what says
	 * "created". Unlinked after the read, a start killed in between left a
	 * running container marked created, and the next start waited forever
	 * on a fifo nobody writes. (Between the two calls there is still that
	 * window, as in runc.) */
	unlinkat(st->dirfd, "exec.fifo", 0);
	ward_fault_point("exec fifo opened");
	int r = read_fifo(fifo, pidfd, err);
	if (r < 0)
		return -1;
	ward_fault_point("init started");
	if (!st->has_poststart)
		return 0;
	ward_err herr = {0};
	_cleanup_spec_ struct ward_spec *spec = ward_state_spec(st, &herr);
	if (!spec) {
		ward_warn("start %s: poststart hooks not run: %s", st->id, herr.msg);
		return 0;
	}
	if (spec->hooks.n[WARD_HOOK_POSTSTART]) {
		st->status = WARD_RUNNING;
		json_t *j = ward_state_to_json(st, true);
		/* Failures are warnings (hooks.c); the container runs on. */
		ward_hooks_run(spec, WARD_HOOK_POSTSTART, j, &herr);
		json_decref(j);
		ward_fault_point("poststart hooks run");
	}
	return 0;
}

static int check_startable(const struct ward_state *st, ward_err *err)
{
	switch (st->status) {
	case WARD_CREATED:
		return 0;
	case WARD_STOPPED:
		return ward_err_set(err, "cannot start a container that has stopped");
	case WARD_RUNNING:
		return ward_err_set(err, "cannot start an already running container");
	default:
		return ward_err_set(err, "cannot start a container in the %s state",
				    ward_status_name(st->status));
	}
}

int ward_container_start(const struct ward_ctx *ctx, const char *id, ward_err *err)
{
	struct ward_state st;
	int r = -1;
	_cleanup_close_ int pidfd = -1;
	if (ward_state_load(ctx, id, true, &st, err) < 0)
		goto out;
	if (check_startable(&st, err) < 0)
		goto out;
	ward_fault_point("state loaded and locked");
	pidfd = pidfd_open(st.pid, 0);
	if (pidfd < 0) {
		ward_err_sys(err, errno, "pidfd_open %d", st.pid);
		goto out;
	}
	r = start_locked(&st, pidfd, err);
out:
	ward_trail(ctx, &st, "start", st.pid, r < 0 ? err : NULL, NULL);
	ward_state_release(&st);
	if (r < 0)
		ward_err_wrap(err, "start %s", id);
	return r;
}

/* run keeps the state create saved: start and delete use it as it is, the
 * state dir locked around each (not while the container runs: kill, state,
 * exec and delete from elsewhere must not wait for it). */
int ward_container_run(const struct ward_ctx *ctx, const struct ward_create_opts *o, bool detach,
		       bool keep, int *exit_code, ward_err *err)
{
	struct ward_state st;
	struct ward_created c = {.pidfd = -1, .pty_master = -1, .state = &st};
	*exit_code = 0;
	if (ward_container_create(ctx, o, &c, err) < 0)
		return -1;
	/* A restored container runs already. */
	int r = o->restore ? 0 : start_locked(&st, c.pidfd, err);
	if (!o->restore)
		ward_trail(ctx, &st, "start", st.pid, r < 0 ? err : NULL, NULL);
	if (r < 0) {
		ward_err_wrap(err, "run %s", o->id);
		ward_err ignored = {0};
		ward_container_delete_loaded(ctx, &st, true, &ignored);
		goto out;
	}
	if (detach || keep) {
		ward_state_release(&st);
		if (detach)
			goto out;
	} else if (flock(st.dirfd, LOCK_UN) < 0) {
		ward_warn("run %s: unlock the state: %s", o->id, strerror(errno));
	}
	r = ward_wait_foreground(c.pid, c.pidfd, c.pty_master, err);
	if (r >= 0) {
		*exit_code = r;
		r = 0;
		ward_trail(ctx, &st, "stop", st.pid, NULL, json_pack("{s:i}", "exit", *exit_code));
	}
	if (!keep) {
		ward_err derr = {0};
		/* Deleted from elsewhere meanwhile (our dir is gone, maybe a new
		 * container has the id): nothing left for us to do. */
		struct stat sb;
		if (flock(st.dirfd, LOCK_EX) < 0)
			ward_warn("run %s: lock the state: %s", o->id, strerror(errno));
		if (fstat(st.dirfd, &sb) == 0 && sb.st_nlink == 0) {
			ward_state_release(&st);
		} else {
			/* As it is now: stopped (the init was reaped), or paused
			 * from elsewhere meanwhile, which delete must thaw. */
			ward_state_refresh(&st);
			if (ward_container_delete_loaded(ctx, &st, true, &derr) < 0 && r == 0) {
				*err = derr;
				r = -1;
			}
		}
	}
out:
	if (c.pidfd >= 0)
		close(c.pidfd);
	if (c.pty_master >= 0)
		close(c.pty_master);
	return r;
}
