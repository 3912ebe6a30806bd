/* Admission policy: may this container (or this exec, this update) run at
 * all? Decided on the parsed config only, before anything exists; every
 * finding names its rule, the config field and the reason (docs/policy.md).
 *
 * Layout of the module:
 *   file.c     the policy files: parse, validate (file and line in errors),
 *              expand the built-in levels (`ward policy show`)
 *   rules*.c   the built-in rules (Pod Security Standards on the OCI config)
 *   decide.c   run every layer's rules, apply exemptions, order findings
 *   engine.c   the interface custom-rule engines implement; lua.c: Lua 5.4
 *   facts.c    the host facts the rules need, gathered before deciding
 *   admit.c    the hooks of create/run, exec and update: load, gather,
 *              decide, report through the audit layer, keep the decision
 * Only facts.c and admit.c look at the system; the rest is pure and unit
 * tested (tests/unit/test_policy.c). */
#ifndef WARD_POLICY_H
#define WARD_POLICY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../oci/spec.h"
#include "../util/err.h"

#define WARD_POLICY_SYSTEM "/etc/ward/policy.json"

enum ward_policy_mode { WARD_PMODE_OFF, WARD_PMODE_AUDIT, WARD_PMODE_WARN, WARD_PMODE_ENFORCE };
enum ward_policy_level { WARD_LEVEL_PRIVILEGED, WARD_LEVEL_BASELINE, WARD_LEVEL_RESTRICTED };
/* What is being admitted. A rule looks only at what the operation changes:
 * exec the process it would start, update the new resources. */
enum ward_policy_op { WARD_POP_CREATE, WARD_POP_EXEC, WARD_POP_UPDATE };

const char *ward_policy_mode_name(enum ward_policy_mode m);
const char *ward_policy_level_name(enum ward_policy_level l);
const char *ward_policy_op_name(enum ward_policy_op op);

/* ---- facts.c: what the rules need to know about the host ---- */
enum ward_ns_fact { WARD_NSF_NEW, WARD_NSF_ABSENT, WARD_NSF_JOINED, WARD_NSF_HOST, WARD_NSF_UNKNOWN };
struct ward_policy_facts {
	enum ward_ns_fact ns[WARD_NS_COUNT]; /* for each namespace of the config */
	int ns_errno[WARD_NS_COUNT];	     /* WARD_NSF_UNKNOWN: why */
	char **bind_real;    /* realpath of each mount's source (NULL: not a bind) */
	int *bind_errno;     /* a bind source realpath could not resolve */
	size_t n_mounts;
	bool join_user_map_known; /* a user namespace joined by /proc/PID/ns/user */
	struct ward_id_map *join_uid_map;
	size_t n_join_uid_map;
	uid_t caller_uid;   /* the caller's uid on the host (through our uid_map) */
	bool rootless;
	char *caller_exe;   /* the parent process's executable (realpath), or NULL */
	char **caller_argv; /* its command line */
	uint64_t host_caps; /* our own bounding set: "all the capabilities there are" */
	bool apparmor;	    /* the host runs AppArmor */
	char *state_root;   /* ward's state root (/run/ward): a runtime's state */
};
/* Gather the facts about spec (process: the one being started; bundle: for
 * relative bind sources). Never fails: what cannot be learnt is recorded as
 * unknown, and the rules treat unknown as not allowed. */
void ward_policy_facts_gather(struct ward_policy_facts *f, const struct ward_spec *spec,
			      const char *bundle, const char *state_root);
void ward_policy_facts_release(struct ward_policy_facts *f);

/* ---- a finding ---- */
struct ward_policy_finding {
	char *rule;   /* "host-namespaces", or a custom rule's name */
	char *origin; /* "baseline", "restricted", "ward" (ward's own), or the engine: "lua" */
	char *field;  /* "linux.namespaces[1].path" */
	char *reason;
	enum ward_policy_mode mode;
	bool exempt;  /* an exemption waived it (kept for the record) */
	size_t layer; /* which policy file */
};

/* ---- file.c: the policy files ---- */
struct ward_policy_rule; /* a configured rule (file.c) */
struct ward_policy_layer {
	char *path;	     /* the file, or "(inline)" */
	char sha256[65];     /* of its text */
	bool system;	     /* the system policy (the others only add restrictions) */
	enum ward_policy_level level;
	enum ward_policy_mode mode;
	struct ward_policy_rule *rules; /* every built-in rule, then the custom ones */
	size_t n_rules;
	json_t *exemptions;  /* validated array */
	json_t *ns_sources;  /* who may say which namespace a container is in */
};
struct ward_policy {
	struct ward_policy_layer *layers;
	size_t n_layers;
};

/* Parse one policy file's text. path names it in messages; dir: where its
 * rule files are (NULL: the directory of path); trusted: rule files must be
 * root's (ward_open_trusted), as the file itself. */
int ward_policy_layer_parse(struct ward_policy_layer *l, const char *text, size_t len,
			    const char *path, bool system, ward_err *err);
void ward_policy_layer_release(struct ward_policy_layer *l);
/* Add a parsed layer (moved in). */
int ward_policy_add_layer(struct ward_policy *p, struct ward_policy_layer *l, ward_err *err);
void ward_policy_release(struct ward_policy *p);
/* The effective policy with the levels expanded (`ward policy show`). */
json_t *ward_policy_describe(const struct ward_policy *p);
/* The names of the built-in rules, NULL-terminated (docs, tests). */
const char *const *ward_policy_rule_names(void);

/* ---- decide.c ---- */
struct ward_policy_input {
	enum ward_policy_op op;
	const char *id;			  /* container id */
	const struct ward_spec *spec;	  /* the container's config */
	const struct ward_process *process; /* exec: the new process; else spec->process */
	json_t *process_json;		  /* exec: the new process as JSON (custom rules) */
	json_t *resources;		  /* update: the new linux.resources (merged) */
	const struct ward_policy_facts *facts;
};
struct ward_policy_decision {
	struct ward_policy_finding *findings; /* enforce first, then warn, audit, exempt */
	size_t n;
	bool denied;
	bool configured; /* a policy applied at all */
};
/* Every layer's rules on in. Fails (fail closed: the caller refuses) when a
 * custom rule errs or exceeds its limits, naming the file and line. */
int ward_policy_decide(const struct ward_policy *p, const struct ward_policy_input *in,
		       struct ward_policy_decision *d, ward_err *err);
void ward_policy_decision_release(struct ward_policy_decision *d);
/* The one line of a refusal: "policy baseline/host-namespaces: FIELD: REASON". */
void ward_policy_denial_message(const struct ward_policy_decision *d, ward_err *err);
/* The decision as JSON (stored with the state, `inspect`, `policy check`). */
json_t *ward_policy_decision_json(const struct ward_policy *p, const struct ward_policy_decision *d);

/* ---- admit.c: the hooks ---- */
struct ward_ctx;
/* Load the policy layers: the system policy (if present), a rootless
 * user's own, then ctx's --policy / WARD_POLICY file. No layer: p stays
 * empty. */
int ward_policy_load(const struct ward_ctx *ctx, struct ward_policy *p, ward_err *err);

struct ward_policy_request {
	enum ward_policy_op op;
	const char *id;
	const char *audit_id;		    /* the container's audit ID, or NULL */
	const struct ward_spec *spec;	    /* the container's config, or NULL and: */
	json_t *config;			    /* ... its JSON, parsed only if a policy applies */
	const struct ward_process *process; /* exec: the process it would start */
	json_t *resources;		    /* update: linux.resources with the new values */
	const char *bundle;		    /* create: relative bind sources */
};
struct ward_policy_admission {
	enum ward_policy_op op;
	char *id, *audit_id;
	struct ward_policy policy;
	struct ward_policy_decision decision;
	struct ward_policy_facts facts;
	struct ward_spec *spec; /* parsed from rq->config */
};
/* Decide on rq before anything exists. A refusal (or a policy that does not
 * load, a custom rule that fails: fail closed) is recorded through the
 * audit layer (op "deny") and returned as the error; a->decision.configured
 * says whether any policy applies. */
int ward_policy_admit(const struct ward_ctx *ctx, const struct ward_policy_request *rq,
		      struct ward_policy_admission *a, ward_err *err);
/* Once the operation goes ahead (after a protective re-exec, so records are
 * not doubled): print the warn findings, record warn/audit/exempt findings
 * (op "policy") and keep the decision in extra (NULL: not kept). */
void ward_policy_admit_commit(const struct ward_ctx *ctx, struct ward_policy_admission *a,
			      json_t *extra);
void ward_policy_admission_release(struct ward_policy_admission *a);
static inline void ward_policy_admission_freep(struct ward_policy_admission *a)
{
	ward_policy_admission_release(a);
}
#define _cleanup_admission_ __attribute__((cleanup(ward_policy_admission_freep)))
/* admit, commit and release at once (update). */
int ward_policy_admit_now(const struct ward_ctx *ctx, const struct ward_policy_request *rq,
			  ward_err *err);

/* A process as JSON (the fields the rules look at). */
json_t *ward_policy_process_json(const struct ward_process *p);

#endif
