/* The decision: every layer's rules on the input, each layer's exemptions
 * on its own findings only. A container is refused when any layer enforces
 * a finding, so an added layer (--policy, a rootless user's own) can add
 * refusals but never take one of the system policy's away. */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/cleanup.h"
#include "internal.h"

static const char *rule_origin(const struct ward_policy_layer *l, const struct ward_policy_rule *r)
{
	if (!r->def)
		return r->engine->name;
	if (r->def->ward)
		return "ward";
	enum ward_policy_level lv = (int)l->level >= r->def->level ? l->level
								 : (enum ward_policy_level)r->def->level;
	return ward_policy_level_name(lv);
}

static bool has_string(json_t *arr, const char *s)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v) if (s && strcmp(json_string_value(v), s) == 0) return true;
	return false;
}

/* argv holds want as a consecutive run. */
static bool args_contain(char **argv, json_t *want)
{
	size_t n = json_array_size(want);
	if (!n)
		return true;
	for (size_t i = 0; argv && argv[i]; i++) {
		size_t k = 0;
		while (k < n && argv[i + k] &&
		       strcmp(argv[i + k], json_string_value(json_array_get(want, k))) == 0)
			k++;
		if (k == n)
			return true;
	}
	return false;
}

/* The Kubernetes namespace of the container, when an engine that sets the
 * key itself said it (annotations alone are the caller's claims). */
static const char *trusted_namespace(const struct ward_policy_layer *l,
				     const struct ward_policy_input *in)
{
	const struct ward_policy_facts *f = in->facts;
	if (!f || f->rootless || !f->caller_exe)
		return NULL;
	size_t i;
	json_t *src;
	json_array_foreach(l->ns_sources, i, src) {
		const char *key = json_string_value(json_object_get(src, "annotation"));
		const char *ns = json_string_value(json_object_get(in->spec->annotations, key));
		if (ns && has_string(json_object_get(src, "callers"), f->caller_exe) &&
		    args_contain(f->caller_argv, json_object_get(src, "callerArgs")))
			return ns;
	}
	return NULL;
}

static bool uid_listed(json_t *uids, uid_t uid)
{
	size_t i;
	json_t *v;
	json_array_foreach(uids, i, v) if ((uid_t)json_integer_value(v) == uid) return true;
	return false;
}

static bool id_matches(json_t *ids, const char *id)
{
	size_t i;
	json_t *v;
	json_array_foreach(ids, i, v) if (id && fnmatch(json_string_value(v), id, 0) == 0) return true;
	return false;
}

static bool exempted(const struct ward_policy_layer *l, const struct ward_policy_input *in,
		     const char *ns, const char *rule)
{
	size_t i;
	json_t *e;
	json_array_foreach(l->exemptions, i, e) {
		json_t *rules = json_object_get(e, "rules"), *nss = json_object_get(e, "namespaces"),
		       *ids = json_object_get(e, "ids"), *uids = json_object_get(e, "uids");
		if (rules && !has_string(rules, rule))
			continue;
		if (nss && !has_string(nss, ns))
			continue;
		if (ids && !id_matches(ids, in->id))
			continue;
		if (uids && !(in->facts && uid_listed(uids, in->facts->caller_uid)))
			continue;
		return true;
	}
	return false;
}

static int run_layer(const struct ward_policy *p, size_t li, const struct ward_policy_input *in,
		     struct ward_finding_list *out, ward_err *err)
{
	const struct ward_policy_layer *l = &p->layers[li];
	size_t first = out->n;
	for (size_t k = 0; k < l->n_rules; k++) {
		const struct ward_policy_rule *r = &l->rules[k];
		if (r->mode == WARD_PMODE_OFF || (r->def && !(r->def->ops & OP_BIT(in->op))))
			continue;
		struct ward_rule_ctx rc = {.in = in, .params = r->params, .name = r->name,
					   .origin = rule_origin(l, r), .mode = r->mode,
					   .layer = li, .out = out};
		if (r->def) {
			r->def->check(&rc);
		} else if (r->engine->run(r, &rc, err) < 0) {
			/* fail closed: the caller refuses */
			return ward_err_wrap(err, "policy %s: rules.%s", l->path, r->name);
		}
	}
	const char *ns = trusted_namespace(l, in);
	for (size_t i = first; i < out->n; i++) {
		const struct ward_policy_rule *r = ward_policy_layer_rule(l, out->v[i].rule);
		if (!(r && r->def && r->def->fixed) && exempted(l, in, ns, out->v[i].rule))
			out->v[i].exempt = true;
	}
	return 0;
}

static int rank(const struct ward_policy_finding *f)
{
	return f->exempt ? 0 : (int)f->mode;
}

/* Enforced first, then warn, audit, exempt; the rules' order within each
 * (an insertion sort: stable, and the lists are short). */
static void order(struct ward_policy_finding *v, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct ward_policy_finding f = v[i];
		size_t j = i;
		for (; j > 0 && rank(&v[j - 1]) < rank(&f); j--)
			v[j] = v[j - 1];
		v[j] = f;
	}
}

int ward_policy_decide(const struct ward_policy *p, const struct ward_policy_input *in,
		       struct ward_policy_decision *d, ward_err *err)
{
	memset(d, 0, sizeof(*d));
	d->configured = p->n_layers > 0;
	struct ward_finding_list out = {0};
	for (size_t li = 0; li < p->n_layers; li++) {
		if (run_layer(p, li, in, &out, err) < 0) {
			d->findings = out.v;
			d->n = out.n;
			ward_policy_decision_release(d);
			return -1;
		}
	}
	order(out.v, out.n);
	d->findings = out.v;
	d->n = out.n;
	for (size_t i = 0; i < d->n; i++)
		d->denied |= !d->findings[i].exempt && d->findings[i].mode == WARD_PMODE_ENFORCE;
	return 0;
}

void ward_policy_decision_release(struct ward_policy_decision *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->findings[i].rule);
		free(d->findings[i].origin);
		free(d->findings[i].field);
		free(d->findings[i].reason);
	}
	free(d->findings);
	memset(d, 0, sizeof(*d));
}

void ward_policy_denial_message(const struct ward_policy_decision *d, ward_err *err)
{
	size_t more = 0;
	const struct ward_policy_finding *first = NULL;
	for (size_t i = 0; i < d->n; i++) {
		const struct ward_policy_finding *f = &d->findings[i];
		if (f->exempt || f->mode != WARD_PMODE_ENFORCE)
			continue;
		if (first)
			more++;
		else
			first = f;
	}
	if (!first) {
		ward_err_set(err, "policy: refused");
		return;
	}
	if (more)
		ward_err_set(err, "policy %s/%s: %s: %s (and %zu more: see `ward policy check`)",
			     first->origin, first->rule, first->field, first->reason, more);
	else
		ward_err_set(err, "policy %s/%s: %s: %s", first->origin, first->rule, first->field,
			     first->reason);
}

json_t *ward_policy_decision_json(const struct ward_policy *p, const struct ward_policy_decision *d)
{
	json_t *layers = json_array(), *findings = json_array();
	for (size_t i = 0; i < p->n_layers; i++) {
		const struct ward_policy_layer *l = &p->layers[i];
		json_array_append_new(layers,
				      json_pack("{s:s, s:s, s:s, s:s}", "path", l->path, "sha256",
						l->sha256, "level", ward_policy_level_name(l->level),
						"mode", ward_policy_mode_name(l->mode)));
	}
	for (size_t i = 0; i < d->n; i++) {
		const struct ward_policy_finding *f = &d->findings[i];
		json_array_append_new(
			findings, json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:s}", "rule", f->rule,
					    "origin", f->origin, "field", f->field, "reason",
					    f->reason, "mode", ward_policy_mode_name(f->mode), "exempt",
					    f->exempt, "policy",
					    f->layer < p->n_layers ? p->layers[f->layer].path : "?"));
	}
	return json_pack("{s:s, s:o, s:o}", "decision", d->denied ? "denied" : "admitted",
			 "policies", layers, "findings", findings);
}
