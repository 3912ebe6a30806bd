/* Policy files:
 *   {"level": "privileged"|"baseline"|"restricted",   (default privileged)
 *    "mode": "enforce"|"warn"|"audit",                  (default enforce)
 *    "rules": {"NAME": {"mode": ..., PARAMETER: ...},   built-in rules
 *              "NAME": {"lua": "file.lua", "mode": ..., "limits": {...}}},
 *    "exemptions": [{"namespaces": [...], "ids": [...], "uids": [...],
 *                    "rules": [...]}],
 *    "namespaceSources": [{"annotation": KEY, "callers": [...],
 *                          "callerArgs": [...]}]}
 * Everything is validated when the file loads; an error names the file and
 * the line of the offending key (jansson keeps no positions, so the line is
 * found in the text: the first occurrence of the key path). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/sha256.h"
#include "internal.h"

struct pctx {
	const char *text;
	size_t len;
	const char *path;
	bool system;
	struct ward_policy_layer *l;
};

static const char *const mode_names[] = {"off", "audit", "warn", "enforce"};
static const char *const level_names[] = {"privileged", "baseline", "restricted"};

const char *ward_policy_mode_name(enum ward_policy_mode m)
{
	return (unsigned)m < ARRAY_SIZE(mode_names) ? mode_names[m] : "?";
}

const char *ward_policy_level_name(enum ward_policy_level l)
{
	return (unsigned)l < ARRAY_SIZE(level_names) ? level_names[l] : "?";
}

const char *ward_policy_op_name(enum ward_policy_op op)
{
	static const char *const n[] = {"create", "exec", "update"};
	return (unsigned)op < ARRAY_SIZE(n) ? n[op] : "?";
}

/* The line of the key path keys[0].keys[1]...: each searched after the
 * previous one. 0 when not found. */
static int line_of(const struct pctx *c, const char *const *keys, size_t n)
{
	const char *p = c->text, *end = c->text + c->len;
	for (size_t k = 0; k < n && keys[k]; k++) {
		char q[300];
		snprintf(q, sizeof(q), "\"%s\"", keys[k]);
		const char *hit = memmem(p, (size_t)(end - p), q, strlen(q));
		if (!hit)
			break;
		p = hit;
	}
	if (p == c->text)
		return 0;
	int line = 1;
	for (const char *s = c->text; s < p; s++)
		line += *s == '\n';
	return line;
}

/* "path:LINE: k0.k1: message" */
__attribute__((format(printf, 6, 7))) static int fail(ward_err *err, const struct pctx *c,
						     const char *const *keys, size_t n,
						     const char *field, const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	int line = line_of(c, keys, n);
	if (line)
		return ward_err_set(err, "%s:%d: %s: %s", c->path, line, field, msg);
	return ward_err_set(err, "%s: %s: %s", c->path, field, msg);
}

static int parse_name(const char *s, const char *const *names, size_t n)
{
	for (size_t i = 0; s && i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return (int)i;
	return -1;
}

static bool strings_array(json_t *v)
{
	size_t i;
	json_t *e;
	if (!json_is_array(v))
		return false;
	json_array_foreach(v, i, e) if (!json_is_string(e)) return false;
	return true;
}

/* ---- the rules of a layer ---- */
static void rule_release(struct ward_policy_rule *r)
{
	free(r->name);
	json_decref(r->params);
	free(r->source_name);
	free(r->source);
}

static int rules_init(struct ward_policy_layer *l, ward_err *err)
{
	l->rules = calloc(ward_n_rule_defs, sizeof(*l->rules));
	if (!l->rules)
		return ward_err_sys(err, ENOMEM, "policy");
	for (size_t i = 0; i < ward_n_rule_defs; i++) {
		const struct ward_rule_def *d = &ward_rule_defs[i];
		struct ward_policy_rule *r = &l->rules[l->n_rules++];
		r->name = strdup(d->name);
		r->def = d;
		const char *p = l->level == WARD_LEVEL_RESTRICTED && d->params_restricted
					? d->params_restricted
					: d->params;
		r->params = json_loads(p, 0, NULL);
		if (d->fixed)
			r->mode = WARD_PMODE_ENFORCE;
		else
			r->mode = (int)l->level >= d->level ? l->mode : WARD_PMODE_OFF;
		if (!r->name || !r->params)
			return ward_err_sys(err, ENOMEM, "policy: rule %s", d->name);
	}
	return 0;
}

const struct ward_policy_rule *ward_policy_layer_rule(const struct ward_policy_layer *l,
						      const char *name)
{
	for (size_t i = 0; i < l->n_rules; i++)
		if (strcmp(l->rules[i].name, name) == 0)
			return &l->rules[i];
	return NULL;
}

static int parse_mode(const struct pctx *c, json_t *v, const char *rule, bool allow_off,
		      enum ward_policy_mode *out, ward_err *err)
{
	const char *keys[] = {"rules", rule, "mode"};
	const char *const *k = rule ? keys : keys + 2;
	size_t nk = rule ? 3 : 1;
	char field[300];
	snprintf(field, sizeof(field), "%s%s%smode", rule ? "rules." : "", rule ? rule : "",
		 rule ? "." : "");
	int m = parse_name(json_string_value(v), mode_names, ARRAY_SIZE(mode_names));
	if (m < 0 || (m == WARD_PMODE_OFF && !allow_off)) {
		return fail(err, c, k, nk, field, "must be one of %s\"enforce\", \"warn\", \"audit\"",
		     allow_off ? "\"off\", " : "");
	}
	*out = (enum ward_policy_mode)m;
	return 0;
}

static int builtin_param(const struct pctx *c, struct ward_policy_rule *r, const char *key,
			 json_t *v, ward_err *err)
{
	const char *keys[] = {"rules", r->name, key};
	char field[300];
	snprintf(field, sizeof(field), "rules.%s.%s", r->name, key);
	const struct ward_rule_param *pt = r->def->param_types;
	for (; pt->key; pt++)
		if (strcmp(pt->key, key) == 0)
			break;
	if (!pt->key) {
		char known[256] = "";
		for (pt = r->def->param_types; pt->key; pt++)
			snprintf(known + strlen(known), sizeof(known) - strlen(known), "%s%s",
				 known[0] ? ", " : "", pt->key);
		return fail(err, c, keys, 3, field, "unknown parameter (known: mode%s%s)", known[0] ? ", " : "",
		     known);
	}
	bool ok = pt->type == WARD_PARAM_STRINGS ? strings_array(v)
		  : pt->type == WARD_PARAM_INT	  ? json_is_integer(v) && json_integer_value(v) >= 0
						  : json_is_boolean(v);
	if (!ok) {
		return fail(err, c, keys, 3, field, "must be %s",
		     pt->type == WARD_PARAM_STRINGS ? "an array of strings"
		     : pt->type == WARD_PARAM_INT   ? "a non-negative integer"
						    : "true or false");
	}
	if (strcmp(r->name, "capabilities") == 0 && strcmp(key, "allowed") == 0) {
		size_t i;
		json_t *e;
		json_array_foreach(v, i, e) {
			int cap = ward_cap_from_name(json_string_value(e));
			char f2[320];
			snprintf(f2, sizeof(f2), "%s[%zu]", field, i);
			if (cap < 0) {
				return fail(err, c, keys, 3, f2, "unknown capability \"%s\"", json_string_value(e));
			}
			if (cap == 30 /* CAP_AUDIT_CONTROL */) {
				return fail(err, c, keys, 3, f2,
				     "CAP_AUDIT_CONTROL can never be allowed (it can change or stop "
				     "the kernel's audit, which ward's audit records rely on)");
			}
			/* kept as the canonical name the rule compares */
			json_array_set_new(v, i, json_string(ward_cap_name(cap)));
		}
	}
	json_object_set(r->params, key, v);
	return 0;
}

static int builtin_rule(const struct pctx *c, struct ward_policy_rule *r, json_t *o, ward_err *err)
{
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v) {
		if (strcmp(k, "mode") == 0) {
			enum ward_policy_mode m;
			if (parse_mode(c, v, r->name, !r->def->fixed, &m, err) < 0)
				return -1;
			if (r->def->fixed && m != WARD_PMODE_ENFORCE) {
				const char *keys[] = {"rules", r->name, "mode"};
				char field[300];
				snprintf(field, sizeof(field), "rules.%s.mode", r->name);
				return fail(err, c, keys, 3, field, "this rule is always enforced");
			}
			r->mode = m;
		} else if (builtin_param(c, r, k, v, err) < 0) {
			return -1;
		}
	}
	return 0;
}

/* A custom rule's text: a file (relative to the policy's directory; root's
 * when the policy is the system's) or inline. */
static int custom_source(const struct pctx *c, struct ward_policy_rule *r, json_t *o,
			 ward_err *err)
{
	const char *file = json_string_value(json_object_get(o, r->engine->file_key));
	const char *inline_src = json_string_value(json_object_get(o, r->engine->source_key));
	const char *keys[] = {"rules", r->name};
	char field[300];
	snprintf(field, sizeof(field), "rules.%s", r->name);
	if (!!file == !!inline_src) {
		return fail(err, c, keys, 2, field, "give the rule as \"%s\" (a file) or \"%s\" (its text)",
		     r->engine->file_key, r->engine->source_key);
	}
	if (inline_src) {
		r->source = strdup(inline_src);
		r->source_len = strlen(inline_src);
		if (asprintf(&r->source_name, "%s: rules.%s", c->path, r->name) < 0)
			r->source_name = NULL;
		return r->source && r->source_name ? 0 : ward_err_sys(err, ENOMEM, "policy");
	}
	char full[PATH_MAX];
	const char *slash = strrchr(c->path, '/');
	if (file[0] == '/' || !slash)
		snprintf(full, sizeof(full), "%s", file);
	else
		snprintf(full, sizeof(full), "%.*s/%s", (int)(slash - c->path), c->path, file);
	r->source_name = strdup(full);
	_cleanup_close_ int fd = c->system ? ward_open_trusted(full, err)
					   : open(full, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && !c->system)
		ward_err_sys(err, errno, "%s", full);
	if (fd < 0 || ward_read_fd(fd, &r->source, &r->source_len, err) < 0) {
		ward_err_wrap(err, "%s:%d: %s", c->path, line_of(c, keys, 2), field);
		return -1;
	}
	return 0;
}

static int custom_limits(const struct pctx *c, struct ward_policy_rule *r, json_t *lim,
			 ward_err *err)
{
	r->max_instructions = WARD_LUA_MAX_INSTRUCTIONS;
	r->max_memory = WARD_LUA_MAX_MEMORY;
	if (!lim)
		return 0;
	const char *keys[] = {"rules", r->name, "limits"};
	char field[300];
	snprintf(field, sizeof(field), "rules.%s.limits", r->name);
	const char *k;
	json_t *v;
	json_object_foreach(lim, k, v) {
		bool ins = strcmp(k, "instructions") == 0, mem = strcmp(k, "memory") == 0;
		if ((!ins && !mem) || !json_is_integer(v) || json_integer_value(v) < 1000) {
			return fail(err, c, keys, 3, field,
			     "%s: must be \"instructions\" or \"memory\" (bytes), an integer of at "
			     "least 1000",
			     k);
		}
		if (ins)
			r->max_instructions = (long)json_integer_value(v);
		else
			r->max_memory = (long)json_integer_value(v);
	}
	return 0;
}

static int custom_rule(const struct pctx *c, const char *name, json_t *o, ward_err *err)
{
	struct ward_policy_layer *l = c->l;
	const char *keys[] = {"rules", name};
	char field[300];
	snprintf(field, sizeof(field), "rules.%s", name);
	const struct ward_policy_engine *e = ward_policy_engine_for(o);
	if (!e) {
		const char *lang = ward_policy_engine_unsupported(o);
		if (lang)
			return fail(err, c, keys, 2, field,
				    "rules in %s are not supported by this build (lua is)", lang);
		return fail(err, c, keys, 2, field,
			    "unknown rule (not built in, and no \"lua\" or \"luaSource\" key; "
			    "see `ward policy show`)");
	}
	struct ward_policy_rule *nv = realloc(l->rules, (l->n_rules + 1) * sizeof(*nv));
	if (!nv)
		return ward_err_sys(err, ENOMEM, "policy");
	l->rules = nv;
	struct ward_policy_rule *r = &l->rules[l->n_rules++];
	memset(r, 0, sizeof(*r));
	r->name = strdup(name);
	r->engine = e;
	r->mode = l->mode;
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v) {
		if (strcmp(k, "mode") == 0) {
			if (parse_mode(c, v, name, true, &r->mode, err) < 0)
				return -1;
		} else if (strcmp(k, e->file_key) && strcmp(k, e->source_key) &&
			   strcmp(k, "limits") && strcmp(k, "description")) {
			return fail(err, c, keys, 2, field, "%s: unknown key (known: mode, %s, %s, limits, "
						"description)",
			     k, e->file_key, e->source_key);
		}
	}
	if (custom_limits(c, r, json_object_get(o, "limits"), err) < 0 ||
	    custom_source(c, r, o, err) < 0)
		return -1;
	if (e->check(r, err) < 0)
		return ward_err_wrap(err, "%s: %s", c->path, field);
	return 0;
}

static int parse_rules(const struct pctx *c, json_t *rules, ward_err *err)
{
	const char *keys[] = {"rules"};
	if (!json_is_object(rules)) {
		return fail(err, c, keys, 1, "rules", "must be an object of rule names");
	}
	const char *name;
	json_t *o;
	json_object_foreach(rules, name, o) {
		const char *k2[] = {"rules", name};
		char field[300];
		snprintf(field, sizeof(field), "rules.%s", name);
		if (!json_is_object(o)) {
			return fail(err, c, k2, 2, field, "must be an object");
		}
		const struct ward_rule_def *d = ward_rule_def_find(name);
		if (d) {
			struct ward_policy_rule *r =
				(struct ward_policy_rule *)ward_policy_layer_rule(c->l, name);
			/* parameters alone leave the mode as the level has it; a rule the
			 * level does not hold is turned on by giving it a mode */
			if (builtin_rule(c, r, o, err) < 0)
				return -1;
		} else if (custom_rule(c, name, o, err) < 0) {
			return -1;
		}
	}
	return 0;
}

static int check_strings(const struct pctx *c, json_t *o, const char *key, const char *f0,
			 size_t idx, ward_err *err)
{
	json_t *v = json_object_get(o, key);
	if (!v || strings_array(v))
		return 0;
	const char *keys[] = {f0, key};
	char field[128];
	snprintf(field, sizeof(field), "%s[%zu].%s", f0, idx, key);
	return fail(err, c, keys, 2, field, "must be an array of strings");
}

static int parse_exemption(const struct pctx *c, json_t *e, size_t i, ward_err *err)
{
	const char *keys[] = {"exemptions"};
	char field[128];
	snprintf(field, sizeof(field), "exemptions[%zu]", i);
	if (!json_is_object(e)) {
		return fail(err, c, keys, 1, field, "must be an object");
	}
	const char *k;
	json_t *v;
	int selectors = 0;
	json_object_foreach(e, k, v) {
		bool sel = !strcmp(k, "namespaces") || !strcmp(k, "ids") || !strcmp(k, "uids");
		if (!sel && strcmp(k, "rules") && strcmp(k, "reason")) {
			const char *k2[] = {"exemptions", k};
			return fail(err, c, k2, 2, field, "%s: unknown key (known: namespaces, ids, uids, rules, "
					      "reason)",
			     k);
		}
		selectors += sel;
	}
	if (!selectors) {
		return fail(err, c, keys, 1, field, "names nothing to match (namespaces, ids or uids)");
	}
	if (check_strings(c, e, "namespaces", "exemptions", i, err) < 0 ||
	    check_strings(c, e, "ids", "exemptions", i, err) < 0 ||
	    check_strings(c, e, "rules", "exemptions", i, err) < 0)
		return -1;
	size_t j;
	json_t *uids = json_object_get(e, "uids");
	bool uids_ok = !uids || json_is_array(uids);
	json_array_foreach(uids, j, v) uids_ok &= json_is_integer(v) && json_integer_value(v) >= 0;
	if (!uids_ok)
		return fail(err, c, keys, 1, field, "uids: must be an array of uids");
	json_array_foreach(json_object_get(e, "rules"), j, v) {
		const struct ward_policy_rule *r =
			ward_policy_layer_rule(c->l, json_string_value(v));
		const char *k2[] = {"exemptions", json_string_value(v)};
		if (!r || (r->def && r->def->fixed)) {
			return fail(err, c, k2, 2, field, "rules[%zu]: %s \"%s\"", j,
			     r ? "this rule is never exempted:" : "unknown rule", json_string_value(v));
		}
	}
	return 0;
}

/* Who may say which Kubernetes namespace a container is in: the key an
 * engine sets itself, and the engine's process that runs ward. By default
 * containerd's CRI plugin (it overwrites its io.kubernetes.cri.* keys after
 * copying a pod's annotations: tests/fixtures/cri/README.md). */
#define DEFAULT_NS_SOURCES                                                                         \
	"[{\"annotation\": \"io.kubernetes.cri.sandbox-namespace\", \"callers\": "               \
	"[\"/usr/bin/containerd-shim-runc-v2\", \"/usr/local/bin/containerd-shim-runc-v2\", "      \
	"\"/usr/bin/containerd-shim-runc-v1\", \"/usr/local/bin/containerd-shim-runc-v1\"], "      \
	"\"callerArgs\": [\"-namespace\", \"k8s.io\"]}]"

static int parse_ns_sources(const struct pctx *c, json_t *v, ward_err *err)
{
	const char *keys[] = {"namespaceSources"};
	size_t i;
	json_t *e;
	if (!json_is_array(v)) {
		return fail(err, c, keys, 1, "namespaceSources", "must be an array");
	}
	json_array_foreach(v, i, e) {
		char field[128];
		snprintf(field, sizeof(field), "namespaceSources[%zu]", i);
		if (!json_is_object(e) || !json_is_string(json_object_get(e, "annotation")) ||
		    !strings_array(json_object_get(e, "callers")) ||
		    (json_object_get(e, "callerArgs") &&
		     !strings_array(json_object_get(e, "callerArgs")))) {
			return fail(err, c, keys, 1, field,
			     "must be {\"annotation\": KEY, \"callers\": [EXECUTABLE...], "
			     "\"callerArgs\": [ARG...]}");
		}
	}
	c->l->ns_sources = json_incref(v);
	return 0;
}

static int parse_top(const struct pctx *c, json_t *o, ward_err *err)
{
	static const char *const known[] = {"level", "mode", "rules", "exemptions",
					    "namespaceSources", "description"};
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v) {
		if (parse_name(k, known, ARRAY_SIZE(known)) < 0) {
			const char *keys[] = {k};
			return fail(err, c, keys, 1, k, "unknown key (known: level, mode, rules, exemptions, "
					    "namespaceSources, description)");
		}
	}
	struct ward_policy_layer *l = c->l;
	l->level = WARD_LEVEL_PRIVILEGED;
	l->mode = WARD_PMODE_ENFORCE;
	if ((v = json_object_get(o, "level"))) {
		int lv = parse_name(json_string_value(v), level_names, ARRAY_SIZE(level_names));
		if (lv < 0) {
			const char *keys[] = {"level"};
			return fail(err, c, keys, 1, "level", "unknown level %s%s%s (known: privileged, baseline, "
						  "restricted)",
			     json_is_string(v) ? "\"" : "",
			     json_is_string(v) ? json_string_value(v) : "(not a string)",
			     json_is_string(v) ? "\"" : "");
		}
		l->level = (enum ward_policy_level)lv;
	}
	if ((v = json_object_get(o, "mode")) && parse_mode(c, v, NULL, false, &l->mode, err) < 0)
		return -1;
	if (rules_init(l, err) < 0)
		return -1;
	if ((v = json_object_get(o, "rules")) && parse_rules(c, v, err) < 0)
		return -1;
	v = json_object_get(o, "exemptions");
	if (v && !json_is_array(v)) {
		const char *keys[] = {"exemptions"};
		return fail(err, c, keys, 1, "exemptions", "must be an array");
	}
	size_t i;
	json_t *e;
	json_array_foreach(v, i, e) if (parse_exemption(c, e, i, err) < 0) return -1;
	l->exemptions = v ? json_incref(v) : json_array();
	if ((v = json_object_get(o, "namespaceSources")))
		return parse_ns_sources(c, v, err);
	l->ns_sources = json_loads(DEFAULT_NS_SOURCES, 0, NULL);
	return 0;
}

int ward_policy_layer_parse(struct ward_policy_layer *l, const char *text, size_t len,
			    const char *path, bool system, ward_err *err)
{
	memset(l, 0, sizeof(*l));
	l->path = strdup(path);
	l->system = system;
	ward_sha256_hex(text, len, l->sha256);
	struct pctx c = {text, len, path, system, l};
	json_error_t jerr;
	json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!o) {
		ward_err_set(err, "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
		ward_policy_layer_release(l);
		return -1;
	}
	int r = json_is_object(o) ? parse_top(&c, o, err)
				  : ward_err_set(err, "%s: must be a JSON object", path);
	json_decref(o);
	if (r < 0)
		ward_policy_layer_release(l);
	return r;
}

void ward_policy_layer_release(struct ward_policy_layer *l)
{
	for (size_t i = 0; i < l->n_rules; i++)
		rule_release(&l->rules[i]);
	free(l->rules);
	free(l->path);
	json_decref(l->exemptions);
	json_decref(l->ns_sources);
	memset(l, 0, sizeof(*l));
}

int ward_policy_add_layer(struct ward_policy *p, struct ward_policy_layer *l, ward_err *err)
{
	struct ward_policy_layer *nv = realloc(p->layers, (p->n_layers + 1) * sizeof(*nv));
	if (!nv)
		return ward_err_sys(err, ENOMEM, "policy");
	p->layers = nv;
	p->layers[p->n_layers++] = *l;
	memset(l, 0, sizeof(*l));
	return 0;
}

void ward_policy_release(struct ward_policy *p)
{
	for (size_t i = 0; i < p->n_layers; i++)
		ward_policy_layer_release(&p->layers[i]);
	free(p->layers);
	p->layers = NULL;
	p->n_layers = 0;
}

static json_t *describe_rule(const struct ward_policy_layer *l, const struct ward_policy_rule *r)
{
	json_t *o = json_pack("{s:s, s:s}", "mode", ward_policy_mode_name(r->mode), "origin",
			      r->def ? (r->def->ward ? "ward" : (r->def->level == WARD_LEVEL_RESTRICTED
								    ? "restricted"
								    : "baseline"))
				     : r->engine->name);
	if (r->def) {
		json_object_set_new(o, "summary", json_string(r->def->summary));
		if (json_object_size(r->params))
			json_object_set(o, "parameters", r->params);
		if (r->def->fixed)
			json_object_set_new(o, "fixed", json_true());
	} else {
		json_object_set_new(o, "source", json_string(r->source_name));
		json_object_set_new(o, "limits",
				    json_pack("{s:I, s:I}", "instructions",
					      (json_int_t)r->max_instructions, "memory",
					      (json_int_t)r->max_memory));
	}
	(void)l;
	return o;
}

json_t *ward_policy_describe(const struct ward_policy *p)
{
	json_t *layers = json_array();
	for (size_t i = 0; i < p->n_layers; i++) {
		const struct ward_policy_layer *l = &p->layers[i];
		json_t *rules = json_object();
		for (size_t k = 0; k < l->n_rules; k++)
			json_object_set_new(rules, l->rules[k].name, describe_rule(l, &l->rules[k]));
		json_array_append_new(
			layers, json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:O, s:O}", "path", l->path,
					  "sha256", l->sha256, "role",
					  l->system ? "system" : "added (can only restrict)", "level",
					  ward_policy_level_name(l->level), "mode",
					  ward_policy_mode_name(l->mode), "rules", rules, "exemptions",
					  l->exemptions, "namespaceSources", l->ns_sources));
	}
	return json_pack("{s:o}", "layers", layers);
}
