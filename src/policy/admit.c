/* The hooks of create/run, exec and update: load the policy files, gather
 * the host facts, decide, and report every finding through the audit
 * layer's one path (op "deny" for a refusal, "policy" for the rest). The
 * decision code itself (decide.c, rules*.c) never looks at the system. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../audit/audit.h"
#include "../runtime/runtime.h"
#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/log.h"
#include "../util/rootless.h"
#include "internal.h"

static int load_layer(struct ward_policy *p, const char *path, bool system, bool must_exist,
		      ward_err *err)
{
	/* (a user's own policy behind a directory they cannot search, as a
	 * HOME inherited from root, is not theirs: absent) */
	if (!must_exist && access(path, F_OK) < 0 &&
	    (errno == ENOENT || errno == ENOTDIR || (!system && errno == EACCES)))
		return 0;
	/* The system policy decides what is enforced: a file another user
	 * could have written would be a way around it. */
	_cleanup_close_ int fd = system ? ward_open_trusted(path, err)
					: open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return system ? -1 : ward_err_sys(err, errno, "%s", path);
	_cleanup_free_ char *text = NULL;
	size_t len;
	if (ward_read_fd(fd, &text, &len, err) < 0)
		return ward_err_wrap(err, "%s", path);
	struct ward_policy_layer l;
	/* named absolutely in records and messages */
	_cleanup_free_ char *abs = realpath(path, NULL);
	if (ward_policy_layer_parse(&l, text, len, abs ? abs : path, system, err) < 0)
		return -1;
	if (ward_policy_add_layer(p, &l, err) < 0) {
		ward_policy_layer_release(&l);
		return -1;
	}
	return 0;
}

/* A rootless user's own policy: $XDG_CONFIG_HOME/ward/policy.json. */
static void user_policy_path(char *buf, size_t len)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	buf[0] = '\0';
	if (xdg && xdg[0] == '/')
		snprintf(buf, len, "%s/ward/policy.json", xdg);
	else if (home && home[0] == '/')
		snprintf(buf, len, "%s/.config/ward/policy.json", home);
}

int ward_policy_load(const struct ward_ctx *ctx, struct ward_policy *p, ward_err *err)
{
	memset(p, 0, sizeof(*p));
	int r = load_layer(p, WARD_POLICY_SYSTEM, true, false, err);
	char user[PATH_MAX];
	if (r == 0 && ward_running_rootless()) {
		user_policy_path(user, sizeof(user));
		if (user[0])
			r = load_layer(p, user, false, false, err);
	}
	const char *extra = ctx && ctx->policy_file ? ctx->policy_file : getenv("WARD_POLICY");
	if (r == 0 && extra && *extra)
		r = load_layer(p, extra, false, true, err);
	if (r < 0) {
		ward_policy_release(p);
		return ward_err_wrap(err, "policy");
	}
	return 0;
}

json_t *ward_policy_process_json(const struct ward_process *p)
{
	json_t *caps = json_object();
	static const char *const sets[] = {"bounding", "effective", "permitted", "inheritable",
					   "ambient"};
	const uint64_t v[] = {p->caps.bounding, p->caps.effective, p->caps.permitted,
			      p->caps.inheritable, p->caps.ambient};
	for (size_t s = 0; p->caps.present && s < ARRAY_SIZE(sets); s++) {
		json_t *a = json_array();
		for (int c = 0; c < 64; c++)
			if ((v[s] >> c) & 1 && ward_cap_name(c))
				json_array_append_new(a, json_string(ward_cap_name(c)));
		json_object_set_new(caps, sets[s], a);
	}
	json_t *args = json_array();
	for (size_t i = 0; p->args && p->args[i]; i++)
		json_array_append_new(args, json_string(p->args[i]));
	json_t *o = json_pack("{s:o, s:{s:I, s:I}, s:b, s:b, s:s}", "args", args, "user", "uid",
			      (json_int_t)p->user.uid, "gid", (json_int_t)p->user.gid, "terminal",
			      p->terminal, "noNewPrivileges", p->no_new_privileges, "cwd",
			      p->cwd ? p->cwd : "/");
	if (p->caps.present)
		json_object_set_new(o, "capabilities", caps);
	else
		json_decref(caps);
	if (p->apparmor_profile)
		json_object_set_new(o, "apparmorProfile", json_string(p->apparmor_profile));
	if (p->selinux_label)
		json_object_set_new(o, "selinuxLabel", json_string(p->selinux_label));
	return o;
}

static void emit(const struct ward_ctx *ctx, const struct ward_policy_admission *a,
		 const char *op, bool success, const char *rule, const char *field,
		 const char *reason, const char *mode, const char *level, size_t layer)
{
	if (!ctx || !ctx->audit)
		return;
	/* A refusal comes before create made the state root, where the
	 * container's audit log lives (the audit layer makes only @audit). */
	ward_err ignored = {0};
	int rootfd = ward_state_root_open(ctx, true, &ignored);
	if (rootfd >= 0)
		close(rootfd);
	const struct ward_policy_layer *l =
		layer < a->policy.n_layers ? &a->policy.layers[layer] : NULL;
	json_t *fields = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "rule", rule, "field",
				   field, "mode", mode, "level", level, "policy",
				   l ? l->path : "?", "policy-sha256", l ? l->sha256 : "?",
				   "operation", ward_policy_op_name(a->op));
	struct ward_audit_event ev = {
		.op = op,
		.id = a->id,
		.audit_id = a->audit_id,
		.success = success,
		.reason = reason,
		.fields = fields,
	};
	ward_audit_emit(ctx->audit, &ev);
	json_decref(fields);
}

/* deny: the enforced findings of a refusal (op "deny"); else the others
 * (op "policy": warn, audit, exempt). */
static void emit_findings(const struct ward_ctx *ctx, const struct ward_policy_admission *a,
			  bool deny)
{
	for (size_t i = 0; i < a->decision.n; i++) {
		const struct ward_policy_finding *f = &a->decision.findings[i];
		bool enforced = !f->exempt && f->mode == WARD_PMODE_ENFORCE;
		if (enforced != deny)
			continue;
		emit(ctx, a, enforced ? "deny" : "policy", !enforced, f->rule, f->field, f->reason,
		     f->exempt ? "exempt" : ward_policy_mode_name(f->mode), f->origin, f->layer);
	}
}

int ward_policy_admit(const struct ward_ctx *ctx, const struct ward_policy_request *rq,
		      struct ward_policy_admission *a, ward_err *err)
{
	memset(a, 0, sizeof(*a));
	a->op = rq->op;
	a->id = rq->id ? strdup(rq->id) : NULL;
	a->audit_id = rq->audit_id ? strdup(rq->audit_id) : NULL;
	if (ward_policy_load(ctx, &a->policy, err) < 0) {
		/* fail closed, and say so in the audit trail */
		emit(ctx, a, "deny", false, "(policy)", "policy", err->msg, "enforce", "ward",
		     (size_t)-1);
		return -1;
	}
	if (!a->policy.n_layers)
		return 0;
	const struct ward_spec *spec = rq->spec;
	if (!spec) {
		char *text = json_dumps(rq->config, JSON_COMPACT);
		a->spec = text ? ward_spec_parse(text, strlen(text), "config.json", err) : NULL;
		free(text);
		if (!a->spec)
			return -1;
		spec = a->spec;
	}
	ward_policy_facts_gather(&a->facts, spec, rq->bundle, ctx ? ctx->root : NULL);
	json_t *pj = rq->process ? ward_policy_process_json(rq->process) : NULL;
	struct ward_policy_input in = {
		.op = rq->op,
		.id = rq->id,
		.spec = spec,
		.process = rq->process ? rq->process : spec->process,
		.process_json = pj,
		.resources = rq->resources,
		.facts = &a->facts,
	};
	int r = ward_policy_decide(&a->policy, &in, &a->decision, err);
	json_decref(pj);
	if (r < 0) {
		emit(ctx, a, "deny", false, "(policy)", "policy", err->msg, "enforce",
			     "ward", (size_t)-1);
		return -1;
	}
	if (!a->decision.denied)
		return 0;
	emit_findings(ctx, a, true);
	emit_findings(ctx, a, false);
	ward_policy_denial_message(&a->decision, err);
	return -1;
}

void ward_policy_admit_commit(const struct ward_ctx *ctx, struct ward_policy_admission *a,
			      json_t *extra)
{
	if (!a->policy.n_layers)
		return;
	for (size_t i = 0; i < a->decision.n; i++) {
		const struct ward_policy_finding *f = &a->decision.findings[i];
		if (!f->exempt && f->mode == WARD_PMODE_WARN)
			ward_warn("%s %s: policy %s/%s: %s: %s (warn mode: allowed)",
				  ward_policy_op_name(a->op), a->id ? a->id : "", f->origin, f->rule,
				  f->field, f->reason);
	}
	emit_findings(ctx, a, false);
	if (extra) {
		json_t *j = ward_policy_decision_json(&a->policy, &a->decision);
		json_object_set_new(j, "operation", json_string(ward_policy_op_name(a->op)));
		json_object_set_new(extra, "policy", j);
	}
}

void ward_policy_admission_release(struct ward_policy_admission *a)
{
	ward_policy_decision_release(&a->decision);
	ward_policy_facts_release(&a->facts);
	ward_policy_release(&a->policy);
	ward_spec_free(a->spec);
	free(a->id);
	free(a->audit_id);
	memset(a, 0, sizeof(*a));
}

int ward_policy_admit_now(const struct ward_ctx *ctx, const struct ward_policy_request *rq,
			  ward_err *err)
{
	struct ward_policy_admission a;
	int r = ward_policy_admit(ctx, rq, &a, err);
	if (r == 0)
		ward_policy_admit_commit(ctx, &a, NULL);
	ward_policy_admission_release(&a);
	return r;
}
