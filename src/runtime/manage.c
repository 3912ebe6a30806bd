/* pause, resume, update, events, ps: the commands that act through the
 * container's cgroups. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <unistd.h>

#include "../cgroup/cgroup.h"
#include "../cgroup/resources.h"
#include "../policy/policy.h"
#include "../util/cleanup.h"
#include "../util/log.h"
#include "runtime.h"

static int load_live(const struct ward_ctx *ctx, const char *id, bool lock, struct ward_state *st,
		     ward_err *err)
{
	if (ward_state_load(ctx, id, lock, st, err) < 0)
		return -1;
	if (st->status == WARD_STOPPED || st->status == WARD_CREATING)
		return ward_err_set(err, "container %s is not running", id);
	if (!ward_cgroup_present(st->extra))
		return ward_err_set(err, "container %s has no cgroup", id);
	return 0;
}

int ward_container_pause(const struct ward_ctx *ctx, const char *id, bool pause, ward_err *err)
{
	struct ward_state st;
	int r = -1;
	if (load_live(ctx, id, true, &st, err) < 0)
		goto out;
	if (pause && st.status != WARD_RUNNING && st.status != WARD_CREATED) {
		ward_err_set(err, "container %s is not running", id);
		goto out;
	}
	if (!pause && st.status != WARD_PAUSED) {
		ward_err_set(err, "container %s is not paused", id);
		goto out;
	}
	r = ward_cgroup_freeze(st.extra, pause, err);
out:
	ward_trail(ctx, &st, pause ? "pause" : "resume", st.pid, r < 0 ? err : NULL, NULL);
	ward_state_release(&st);
	if (r < 0)
		ward_err_wrap(err, "%s %s", pause ? "pause" : "resume", id);
	return r;
}

/* containerd's CRI UpdateContainerResources resends the container's whole
 * linux.resources, device rules included (runc ignores them). The rules the
 * container already has are accepted as they are; a change is refused, as
 * ward cannot swap a device filter under a running container safely. */
static bool devices_unchanged(json_t *config, json_t *resources)
{
	json_t *cur = json_object_get(json_object_get(json_object_get(config, "linux"), "resources"),
				      "devices");
	json_t *req = json_object_get(resources, "devices");
	if (!cur)
		return json_array_size(req) == 0;
	return json_equal(cur, req);
}

int ward_container_update(const struct ward_ctx *ctx, const char *id, json_t *resources,
			  ward_err *err)
{
	struct ward_state st;
	struct ward_resources res;
	memset(&res, 0, sizeof(res));
	int r = -1;
	if (load_live(ctx, id, true, &st, err) < 0)
		goto out;
	/* Everything is validated before the first write. */
	if (ward_resources_parse(resources, "resources", &res, err) < 0)
		goto out;
	json_t *config = ward_state_config(&st, err);
	if (!config)
		goto out;
	if (res.has_devices && !devices_unchanged(config, resources)) {
		ward_err_set(err, "resources.devices: device rules cannot be changed by update");
		goto out;
	}
	res.has_devices = false;
	/* The new values merged into the config's: the admission policy judges
	 * the resources the container would have, before the first write. */
	json_t *lx = json_object_get(config, "linux");
	if (!lx) {
		lx = json_object();
		json_object_set_new(config, "linux", lx);
	}
	json_t *cur = json_object_get(lx, "resources");
	if (!cur) {
		cur = json_object();
		json_object_set_new(lx, "resources", cur);
	}
	const char *k;
	json_t *v;
	json_object_foreach(resources, k, v)
	{
		json_t *old = json_object_get(cur, k);
		if (json_is_object(old) && json_is_object(v))
			json_object_update(old, v);
		else
			json_object_set(cur, k, v);
	}
	if (ward_policy_admit_now(ctx, &(struct ward_policy_request){.op = WARD_POP_UPDATE,
				  .id = id, .audit_id = ward_state_audit_id(&st), .config = config,
				  .resources = cur}, err) < 0)
		goto out;
	if (ward_resources_apply(st.extra, &res, true, err) < 0)
		goto out;
	/* Remember the new values: later commands read the config from the state. */
	r = ward_state_save_config(&st, err);
out:
	if (ward_trail_on(&st)) {
		_cleanup_free_ char *text = json_dumps(resources, JSON_COMPACT | JSON_SORT_KEYS);
		ward_trail(ctx, &st, "update", st.pid, r < 0 ? err : NULL,
			   json_pack("{s:s}", "resources", text ? text : "?"));
	}
	ward_resources_free(&res);
	ward_state_release(&st);
	if (r < 0)
		ward_err_wrap(err, "update %s", id);
	return r;
}

static void print_event(const char *type, const char *id, json_t *data)
{
	json_t *e = json_pack("{s:s, s:s}", "type", type, "id", id);
	if (data)
		json_object_set_new(e, "data", data);
	char *s = json_dumps(e, JSON_COMPACT);
	if (s) {
		puts(s);
		fflush(stdout);
		free(s);
	}
	json_decref(e);
}

int ward_container_events(const struct ward_ctx *ctx, const char *id, bool stats_once,
			  int interval_ms, ward_err *err)
{
	struct ward_state st;
	int r = -1;
	_cleanup_close_ int pidfd = -1, oomfd = -1;
	if (load_live(ctx, id, false, &st, err) < 0)
		goto out;
	if (stats_once) {
		print_event("stats", id, ward_cgroup_stats(st.extra));
		r = 0;
		goto out;
	}
	pidfd = pidfd_open(st.pid, 0);
	int kind = 0;
	ward_err oerr = {0};
	oomfd = ward_cgroup_oom_fd(st.extra, &kind, &oerr);
	if (oomfd < 0)
		ward_debug("events: no OOM notifications: %s", oerr.msg);
	uint64_t ooms = ward_cgroup_oom_count(st.extra);
	for (;;) {
		struct pollfd p[2] = {{.fd = oomfd, .events = POLLIN}, {.fd = pidfd, .events = POLLIN}};
		int n = poll(p, 2, interval_ms);
		if (n < 0 && errno != EINTR) {
			ward_err_sys(err, errno, "poll");
			goto out;
		}
		if (n > 0 && (p[0].revents & POLLIN)) {
			char buf[4096];
			(void)!read(oomfd, buf, sizeof(buf));
			uint64_t now = ward_cgroup_oom_count(st.extra);
			/* The oom_kill counter decides (v1's eventfd can fire more than once
			 * per OOM, v2's inotify on any memory.events change); a v1 kernel
			 * without the counter relies on the eventfd alone. */
			if (now > ooms || (kind == 1 && now == 0))
				print_event("oom", id, NULL);
			ooms = now;
		}
		if (n > 0 && (p[1].revents & POLLIN)) {
			/* The container is gone: report a last OOM if there was one. */
			if (ward_cgroup_oom_count(st.extra) > ooms)
				print_event("oom", id, NULL);
			r = 0;
			goto out;
		}
		if (n == 0)
			print_event("stats", id, ward_cgroup_stats(st.extra));
	}
out:
	ward_state_release(&st);
	if (r < 0)
		ward_err_wrap(err, "events %s", id);
	return r;
}

int ward_container_pids(const struct ward_ctx *ctx, const char *id, pid_t **pids, size_t *n,
			ward_err *err)
{
	struct ward_state st;
	int r = -1;
	*pids = NULL;
	*n = 0;
	if (ward_state_load(ctx, id, false, &st, err) < 0)
		goto out;
	if (st.status == WARD_STOPPED) {
		r = 0;
		goto out;
	}
	if (ward_cgroup_present(st.extra)) {
		r = ward_cgroup_pids(st.extra, pids, n, err);
	} else {
		*pids = malloc(sizeof(pid_t));
		if (*pids) {
			(*pids)[0] = st.pid;
			*n = 1;
			r = 0;
		}
	}
out:
	ward_state_release(&st);
	if (r < 0)
		ward_err_wrap(err, "ps %s", id);
	return r;
}
