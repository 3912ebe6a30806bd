/* A nested namespace's events and its policy replacement (nest.c has the
 * why). One hash, two judgements: the outer policy's and the inner one's;
 * either may refuse. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "integrity.h"

static bool root_in(const struct ward_child *ch, const struct ward_subject *s)
{
	return ch->root_uid == (uid_t)-1 || s->ruid == ch->root_uid || s->euid == ch->root_uid;
}

static bool elf(int fd)
{
	unsigned char h[4];
	return pread(fd, h, sizeof(h), 0) == 4 && memcmp(h, "\177ELF", 4) == 0;
}

static void path_of(int fd, char *out, size_t len)
{
	char link[64];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, out, len - 1);
	out[n > 0 ? n : 0] = '\0';
}

/* Measure and judge a file the nested namespace has not seen: its own list,
 * the outer list (its root's doing, or every uid with logChildren "all"),
 * failures by whichever policy refuses. */
static void first_sight(struct ward_monitor *m, struct ward_child *ch, int fd, const char *path,
			const struct ward_subject *s, struct ward_verdict *v)
{
	struct ward_appraisal outer, inner;
	struct ward_cookie k = v->cookie;
	ward_err err = {0};
	if (ward_appraise_fd(&m->pol, fd, path, &k, ward_monitor_beat, m, &outer, &err) < 0) {
		outer.ok = false;
		snprintf(outer.reason, sizeof(outer.reason), "cannot be measured: %s", err.msg);
	}
	m->hashed += outer.bytes;
	inner = outer;
	ward_appraise_rejudge(&ch->pol, fd, path, &inner);
	memcpy(v->sha256, outer.sha256, sizeof(v->sha256));
	bool outer_refuses = !outer.ok && m->pol.conf.mode == WARD_INTEGRITY_ENFORCE;
	bool inner_refuses = !inner.ok && ch->pol.conf.mode == WARD_INTEGRITY_ENFORCE;
	v->ok = !outer_refuses && !inner_refuses;
	struct ward_target in = ward_nest_target(ch), self = ward_monitor_self(m);
	if (ch->pol.conf.mode != WARD_INTEGRITY_OFF) {
		ward_monitor_list_file(m, &in, &ch->list, &inner, path);
		ch->measured++;
	}
	if (m->has_list && m->pol.conf.mode != WARD_INTEGRITY_OFF &&
	    (root_in(ch, s) || m->pol.conf.children_all)) {
		/* Upward, named by the nested container's audit ID. */
		_cleanup_free_ char *name = NULL;
		if (asprintf(&name, "%s:%s", ch->audit_id, path) >= 0)
			ward_monitor_list_file(m, &self, &m->list, &outer, name);
	}
	if ((!outer.ok || outer.changed) && m->pol.conf.mode >= WARD_INTEGRITY_APPRAISE_LOG)
		ward_monitor_failure_record(m, &self, &outer, path, s);
	if (!inner.ok && ch->pol.conf.mode >= WARD_INTEGRITY_APPRAISE_LOG)
		ward_monitor_failure_record(m, &in, &inner, path, s);
}

uint32_t ward_nest_decide(struct ward_monitor *m, struct ward_child *ch, int fd, bool exec,
			  const struct ward_subject *s, const struct stat *st)
{
	struct ward_cookie k;
	ward_cookie_of(st, &k);
	struct ward_verdict *v = ward_cache_find(&ch->cache, &k), tmp;
	char path[WARD_IMA_NAME_MAX] = "";
	bool fresh = !v;
	if (fresh) {
		if (!exec && !elf(fd))
			return FAN_ALLOW;
		v = ward_cache_put(&ch->cache, &k);
		if (!v) {
			memset(&tmp, 0, sizeof(tmp));
			tmp.cookie = k;
			v = &tmp;
		}
		path_of(fd, path, sizeof(path));
		first_sight(m, ch, fd, path, s, v);
	}
	if (exec && root_in(ch, s) && !v->host_logged) {
		if (!path[0])
			path_of(fd, path, sizeof(path));
		struct ward_target in = ward_nest_target(ch);
		ward_monitor_host_record(m, &in, v, path, s);
	}
	if (v->ok)
		return FAN_ALLOW;
	ch->denied++;
	m->denied++;
	if (!fresh) {
		path_of(fd, path, sizeof(path));
		struct ward_target in = ward_nest_target(ch);
		ward_monitor_denial_record(m, &in, v, path, s);
	}
	return FAN_DENY;
}

json_t *ward_nest_replace(struct ward_monitor *m, struct ward_child *ch, json_t *req)
{
	if (ch->pol.conf.locked || ch->replaced)
		return json_pack("{s:b, s:s}", "ok", 0, "error",
				 ch->replaced
				     ? "the policy was replaced once already and is frozen now"
				     : "the policy is locked (linux.integrity.locked)");
	/* A fresh child built from the request, then its policy moved over. */
	struct ward_child *nc = calloc(1, sizeof(*nc));
	if (!nc)
		return json_pack("{s:b, s:s}", "ok", 0, "error", "out of memory");
	ward_err err = {0};
	int r = ward_nest_policy(m, nc, req, &err);
	if (r < 0) {
		ward_integrity_policy_release(&nc->pol);
		free(nc);
		return json_pack("{s:b, s:s}", "ok", 0, "error", err.msg);
	}
	ward_integrity_policy_release(&ch->pol);
	ch->pol = nc->pol;
	free(nc);
	ch->replaced = true;
	ward_cache_clear(&ch->cache);
	struct ward_target t = ward_nest_target(ch);
	if (ward_monitor_policy_records(m, &t, false, &err) < 0)
		return json_pack("{s:b, s:s}", "ok", 0, "error", err.msg);
	return json_pack("{s:b, s:s}", "ok", 1, "mode",
			 ward_integrity_mode_name(ch->pol.conf.mode));
}
