/* The monitor's life: wait for events, control requests, a dead guard or
 * the container's end; heartbeat the guard each second. It ends when the
 * container is gone (its init dead and its cgroup empty) or on "stop". */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/fanotify.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../audit/audit.h"
#include "../cgroup/cgroup.h"
#include "../util/cleanup.h"
#include "integrity.h"

static json_t *fail(const char *fmt, const char *arg)
{
	char msg[512];
	snprintf(msg, sizeof(msg), fmt, arg);
	return json_pack("{s:b, s:s}", "ok", 0, "error", msg);
}

static json_t *pcr_json(const struct ward_mlist *l)
{
	char s1[2 * WARD_SHA1_LEN + 1], s256[2 * WARD_SHA256_LEN + 1];
	ward_hex(l->pcr.sha1, WARD_SHA1_LEN, s1);
	ward_hex(l->pcr.sha256, WARD_SHA256_LEN, s256);
	return json_pack("{s:i, s:s, s:s}", "index", WARD_IMA_PCR, "sha1", s1, "sha256", s256);
}

static json_t *status(struct ward_monitor *m)
{
	json_t *j = json_pack("{s:b, s:s, s:b, s:b, s:I, s:I, s:I, s:I, s:i, s:i}", "ok", 1, "mode",
			      ward_integrity_mode_name(m->pol.conf.mode), "replaced", m->replaced,
			      "locked", m->pol.conf.locked, "events", (json_int_t)m->events,
			      "measured", (json_int_t)m->measured, "denied", (json_int_t)m->denied,
			      "hashedBytes", (json_int_t)m->hashed, "monitorPid", (int)getpid(),
			      "guardPid", (int)m->guard_pid);
	json_object_set_new(j, "policy", ward_integrity_policy_json(&m->pol));
	if (m->has_list) {
		json_object_set_new(j, "entries", json_integer((json_int_t)m->list.count));
		json_object_set_new(j, "violations", json_integer((json_int_t)m->list.violations));
		json_object_set_new(j, "pcr", pcr_json(&m->list));
	}
	json_object_set_new(j, "hostList", json_boolean(m->has_host));
	return j;
}

static json_t *replace(struct ward_monitor *m, json_t *obj)
{
	if (m->pol.conf.locked)
		return fail("the policy is locked (linux.integrity.locked)%s", "");
	if (m->replaced)
		return fail("the policy was replaced once already and is frozen now%s", "");
	struct ward_integrity_policy np = {0};
	ward_integrity_conf_init(&np.conf);
	/* The container's settings stay; the policy is the new one, whole. */
	free(np.conf.list_path);
	np.conf.list_path = m->pol.conf.list_path ? strdup(m->pol.conf.list_path) : NULL;
	np.conf.keep = m->pol.conf.keep;
	np.conf.timeout_s = m->pol.conf.timeout_s;
	np.conf.freeze_on_loss = m->pol.conf.freeze_on_loss;
	ward_err err = {0};
	const char *where = "policy";
	if (ward_integrity_conf_object(&np.conf, obj, where, true, &err) < 0 ||
	    ward_integrity_conf_check(&np.conf, where, &err) < 0 ||
	    ward_integrity_policy_load(&np, &m->hostconf, where, &err) < 0) {
		ward_integrity_policy_release(&np);
		return fail("%s", err.msg);
	}
	if (!m->has_list && np.conf.mode != WARD_INTEGRITY_OFF) {
		ward_integrity_policy_release(&np);
		return fail(
		    "policy.mode: the container was created without a list of its own (mode "
		    "off); a replacement cannot start one%s",
		    "");
	}
	if (np.conf.libraries && !m->pol.conf.libraries) {
		ward_integrity_policy_release(&np);
		return fail("policy.libraries: the container's mounts were marked without library "
			    "opens; it cannot be turned on later%s",
			    "");
	}
	ward_integrity_policy_release(&m->pol);
	m->pol = np;
	m->replaced = true;
	/* Every verdict was the old policy's, the kernel's ignore marks too. */
	ward_cache_clear(&m->cache);
	fanotify_mark(m->fan_fd, FAN_MARK_FLUSH, 0, AT_FDCWD, NULL);
	m->ignore_marks = 0;
	struct ward_target self = ward_monitor_self(m);
	if (ward_monitor_policy_records(m, &self, false, &err) < 0)
		return fail("policy replaced, but not recorded: %s", err.msg);
	return status(m);
}

json_t *ward_ctl_handle(struct ward_monitor *m, json_t *req)
{
	const char *op = json_string_value(json_object_get(req, "op"));
	if (!op)
		return fail("request without an op%s", "");
	if (!strcmp(op, "status"))
		return status(m);
	if (!strcmp(op, "policy"))
		return replace(m, json_object_get(req, "policy"));
	if (!strcmp(op, "stop")) {
		/* delete killed the container; nothing may outlive its monitor. */
		ward_guard_kill_container(m->cgroup, m->init_pidfd);
		m->stopping = true;
		return json_pack("{s:b}", "ok", 1);
	}
	return fail("unknown op \"%s\"", op);
}

static bool container_gone(struct ward_monitor *m)
{
	pid_t *pids = NULL;
	size_t n = 0;
	ward_err err = {0};
	int r = ward_cgroup_pids(m->cgroup, &pids, &n, &err);
	free(pids);
	return r < 0 || n == 0;
}

int ward_monitor_loop(struct ward_monitor *m)
{
	for (;;) {
		ward_monitor_beat(m);
		struct pollfd p[5] = {{m->fan_fd, POLLIN, 0},
				      {m->ctl_fd, POLLIN, 0},
				      {m->guard_pidfd, POLLIN, 0},
				      {m->init_dead ? -1 : m->init_pidfd, POLLIN, 0},
				      {m->nest_fd, POLLIN, 0}};
		int n = poll(p, 5, 1000);
		if (n < 0 && errno != EINTR)
			return 1;
		if ((p[0].revents & POLLIN) && ward_monitor_events(m) < 0)
			return 1;
		if (p[1].revents & POLLIN)
			ward_ctl_serve(m);
		if (p[2].revents & (POLLIN | POLLHUP))
			ward_guard_reap(m);
		if (p[3].revents & (POLLIN | POLLHUP))
			m->init_dead = true;
		if (p[4].revents & POLLIN)
			ward_nest_serve(m);
		if (m->stopping || (m->init_dead && container_gone(m)))
			break;
	}
	/* A clean end: the guard must not take it for a loss; it is ours to reap. */
	(void)!write(m->beat_fd, "q", 1);
	m->stopping = true;
	struct pollfd g = {m->guard_pidfd, POLLIN, 0};
	if (m->guard_pidfd >= 0 && poll(&g, 1, 2000) == 1)
		ward_guard_reap(m);
	return 0;
}
