/* Inside the policy module: configured rules, the built-in rule table and
 * the engine interface for custom rules. */
#ifndef WARD_POLICY_INTERNAL_H
#define WARD_POLICY_INTERNAL_H

#include "policy.h"

#define OP_BIT(op) (1u << (op))
#define OPS_CREATE OP_BIT(WARD_POP_CREATE)
#define OPS_EXEC   OP_BIT(WARD_POP_EXEC)
#define OPS_UPDATE OP_BIT(WARD_POP_UPDATE)

/* Findings collected while a layer's rules run. */
struct ward_finding_list {
	struct ward_policy_finding *v;
	size_t n, cap;
};

/* What a rule sees while it runs. */
struct ward_rule_ctx {
	const struct ward_policy_input *in;
	json_t *params;
	const char *name;
	const char *origin;
	enum ward_policy_mode mode;
	size_t layer;
	size_t reported; /* findings of this rule so far */
	struct ward_finding_list *out;
};
/* Record a finding (the field and a reason; printf style). A rule reports
 * at most RULE_MAX_FINDINGS; the last one says how many more there were. */
#define RULE_MAX_FINDINGS 8
void ward_rule_report(struct ward_rule_ctx *rc, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int ward_finding_push(struct ward_finding_list *l, const struct ward_policy_finding *f);

/* ---- built-in rules (rules_*.c) ---- */
enum ward_param_type { WARD_PARAM_STRINGS, WARD_PARAM_INT, WARD_PARAM_BOOL };
struct ward_rule_param {
	const char *key;
	enum ward_param_type type;
};
struct ward_rule_def {
	const char *name;
	/* On from this level up; WARD_LEVEL_RESTRICTED + 1: only when a policy
	 * turns it on. */
	int level;
	bool ward;	    /* ward's own rule, beyond the Pod Security Standards */
	bool fixed;	    /* always enforced, never exempted (audit-control) */
	unsigned ops;	    /* the operations it judges */
	const char *params; /* default parameters (JSON), baseline level */
	const char *params_restricted; /* at restricted, when they differ */
	const struct ward_rule_param *param_types;
	void (*check)(struct ward_rule_ctx *rc);
	const char *summary;
};
extern const struct ward_rule_def ward_rule_defs[];
extern const size_t ward_n_rule_defs;
const struct ward_rule_def *ward_rule_def_find(const char *name);

/* Helpers shared by the rules. */
/* The index of the namespace of this type in the config's linux.namespaces. */
long ward_rule_ns_index(const struct ward_spec *spec, enum ward_ns_type t);
bool ward_rule_params_has(json_t *params, const char *key, const char *value);
/* Every capability the process could hold (no capabilities field: all). */
uint64_t ward_rule_caps_union(const struct ward_process *p, uint64_t host_caps);
/* The first capability set of p holding cap ("bounding", ...). */
const char *ward_rule_caps_set_of(const struct ward_process *p, int cap);

/* ---- a configured rule ---- */
struct ward_policy_engine;
struct ward_policy_rule {
	char *name;
	const struct ward_rule_def *def; /* built-in, or NULL: custom */
	enum ward_policy_mode mode;	  /* OFF when not on at the layer's level */
	json_t *params;			  /* built-in: the level's defaults, the file's over them */
	/* custom rules */
	const struct ward_policy_engine *engine;
	char *source_name; /* the rule file, or "<path>: rules.NAME" for inline text */
	char *source;
	size_t source_len;
	long max_instructions;
	long max_memory;
};

/* ---- engines for custom rules (engine.c, lua.c) ---- */
struct ward_policy_engine {
	const char *name; /* "lua" */
	const char *file_key, *source_key; /* keys of a rule object: "lua", "luaSource" */
	/* Compile only: syntax errors surface when the policy loads. */
	int (*check)(const struct ward_policy_rule *r, ward_err *err);
	/* Run the rule on rc->in; findings through ward_rule_report. */
	int (*run)(const struct ward_policy_rule *r, struct ward_rule_ctx *rc, ward_err *err);
};
extern const struct ward_policy_engine ward_policy_engine_lua;
/* The engine a rule object names (by one of its keys), or NULL. */
const struct ward_policy_engine *ward_policy_engine_for(json_t *rule_obj);
/* Keys of languages ward knows of but was not built with (rego, cel). */
const char *ward_policy_engine_unsupported(json_t *rule_obj);

#define WARD_LUA_MAX_INSTRUCTIONS 1000000L
#define WARD_LUA_MAX_MEMORY	  (8L << 20)

/* ---- file.c ---- */
const struct ward_policy_rule *ward_policy_layer_rule(const struct ward_policy_layer *l,
						      const char *name);

#endif
