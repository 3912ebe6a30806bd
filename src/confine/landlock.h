/* process.landlock: a container's own access-control policy, enforced by the
 * kernel's Landlock LSM whatever else the host runs. Shape of runtime-spec
 * PR #1111 (ruleset.handledAccessFS, rules.pathBeneath, disableBestEffort)
 * plus ward's handledAccessNet/netPort, scoped, restrictSelf log flags and a
 * "preset" computed from the container's own mounts. */
#ifndef WARD_CONFINE_LANDLOCK_H
#define WARD_CONFINE_LANDLOCK_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../util/err.h"

struct ward_landlock_path {
	char *path;
	uint64_t access;
	size_t rule, index; /* rules.pathBeneath[rule].paths[index], for messages */
	bool missing;	    /* found missing after create (best effort: skipped) */
};

struct ward_landlock_port {
	uint64_t port;
	uint64_t access;
};

struct ward_landlock {
	bool present;
	int abi;	     /* the kernel's, at negotiation */
	bool strict;	     /* disableBestEffort */
	uint64_t handled_fs; /* effective (after best effort) */
	uint64_t handled_net;
	uint64_t scoped;
	uint32_t restrict_flags;
	char *preset; /* "wx" or NULL */
	struct ward_landlock_path *paths;
	size_t n_paths;
	struct ward_landlock_port *ports;
	size_t n_ports;
	char dropped[512]; /* rights the kernel lacks, dropped under best effort */
	char *field;	   /* "config.json: process.landlock", for messages */
	bool memfd_noexec; /* wx: the init sets vm.memfd_noexec=2 in its pid namespace */
};

struct ward_landlock_right {
	const char *name;
	uint64_t bit;
	int abi; /* first ABI with it */
};
extern const struct ward_landlock_right ward_landlock_fs_rights[];
extern const struct ward_landlock_right ward_landlock_net_rights[];
extern const struct ward_landlock_right ward_landlock_scopes[];
extern const struct ward_landlock_right ward_landlock_restrict_flags[];

/* The running kernel's Landlock ABI (0: not available). */
int ward_landlock_abi(void);
/* Parse and negotiate against abi. field: "config.json: process.landlock". */
int ward_landlock_parse(json_t *obj, const char *field, int abi, struct ward_landlock *out,
			ward_err *err);
void ward_landlock_release(struct ward_landlock *ll);
/* The "wx" preset also stops executable memfds (which Landlock does not see:
 * they live on an internal mount) with vm.memfd_noexec=2, a setting of the
 * pid namespace: possible with a new pid namespace, outside a user namespace
 * (the sysctl file is writable by the host's root only), on Linux >= 6.3.
 * Decides ll->memfd_noexec; where impossible, a warning under best effort,
 * an error with disableBestEffort. */
int ward_landlock_plan_memfd(struct ward_landlock *ll, bool new_pidns, bool userns,
			     ward_err *err);
/* In the container's init, in its new pid namespace, before the rootfs is
 * set up (the host's /proc/sys is still reachable). */
int ward_landlock_set_memfd_noexec(const struct ward_landlock *ll, ward_err *err);
/* Does the policy restrict anything (false: every handled right was dropped
 * under best effort, or Landlock is not available)? */
bool ward_landlock_enforced(const struct ward_landlock *ll);
/* What was enforced, for the state and `ward inspect`. */
json_t *ward_landlock_describe(const struct ward_landlock *ll);
/* The init's report of the rule paths best effort skipped: one '0' or '1'
 * per path (at most len - 1 of them; the rest count as present). */
void ward_landlock_skipped_report(const bool *missing, size_t n, char *out, size_t len);
/* Apply such a report to ll's paths (their .missing). */
void ward_landlock_skipped_apply(struct ward_landlock *ll, const char *report);
/* Build the ruleset (paths resolved in our current root). Returns an fd, -2
 * when nothing is enforced. missing (n_paths entries, or NULL) receives the
 * paths skipped because they do not exist (best effort). */
int ward_landlock_prepare(const struct ward_landlock *ll, bool *missing, ward_err *err);
int ward_landlock_enforce(int ruleset_fd, const struct ward_landlock *ll, ward_err *err);
/* `ward spec --landlock`: the policy object ward writes. */
json_t *ward_landlock_default_policy(void);

#endif
