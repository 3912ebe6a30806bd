/* cgroups: v1, v2 and hybrid hosts. What the container's cgroup is lives in
 * the state's "extra" object under "cgroup", so every command finds it again. */
#ifndef WARD_CGROUP_H
#define WARD_CGROUP_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "../oci/spec.h"
#include "../util/err.h"

enum ward_cgroup_layout { WARD_CG_V1, WARD_CG_V2, WARD_CG_HYBRID, WARD_CG_NONE };
enum ward_cgroup_layout ward_cgroup_layout(void);
const char *ward_cgroup_layout_name(enum ward_cgroup_layout l);
/* This process's cgroup in the v1 hierarchy of these controllers ("cpu",
 * "name=systemd"), or in the v2 tree with controllers "". */
/* The same, from the text of /proc/self/cgroup read earlier. */
int ward_cgroup_own_path_in(const char *text, const char *controllers, char *out, size_t len);
int ward_cgroup_own_path(const char *controllers, char *out, size_t len);

/* Record in extra["cgroup"] which cgroups create is going to make
 * ("planned"), before any exists, so that a state written then lets
 * delete --force remove them after a crash (ward_cgroup_remove_planned). */
int ward_cgroup_plan(const struct ward_spec *spec, const char *id, json_t *extra, ward_err *err);
/* Create the planned cgroup(s) and record them in extra["cgroup"]["dirs"].
 * *claim_fd: the first one, flock'ed: held (and closed) by the caller until
 * the init is in the cgroup; another create on the same path fails while it
 * is held. A rootless caller without delegation gets no cgroup (and a
 * debug line). */
int ward_cgroup_create(json_t *extra, int *claim_fd, ward_err *err);
/* create succeeded: forget the plan (the dirs are what counts). */
void ward_cgroup_plan_done(json_t *extra);
/* Remove the planned cgroups that are empty and unclaimed (a create that
 * died before recording them). */
void ward_cgroup_remove_planned(json_t *extra);
/* Move pid into every hierarchy of the container's cgroup (but the v2 one
 * with skip_v2: the process was born there, see ward_cgroup_clone3). */
int ward_cgroup_enter(json_t *extra, pid_t pid, bool skip_v2, ward_err *err);
/* clone3 (ward_clone3's flags and pidfd), born in the container's cgroup2
 * cgroup when it has one (CLONE_INTO_CGROUP; *born_in_v2 says so, for
 * ward_cgroup_enter). Being born in a cgroup skips the cgroup.procs write,
 * whose global lock waits an RCU grace period (10-15 ms) when no migration
 * happened lately. Returns as clone3: 0 in the child. */
long ward_cgroup_clone3(json_t *extra, uint64_t flags, int *pidfd, bool *born_in_v2);
/* Remove the cgroup directories (after the processes are gone). */
int ward_cgroup_destroy(json_t *extra, ward_err *err);
/* Signal every process in the container's cgroup. */
int ward_cgroup_kill_all(json_t *extra, int sig, ward_err *err);
/* Pids in the container's cgroup (malloc'd array). */
int ward_cgroup_pids(json_t *extra, pid_t **pids, size_t *n, ward_err *err);
bool ward_cgroup_is_frozen(json_t *extra);
/* The file that says whether the container is frozen (v1 freezer.state, v2
 * cgroup.freeze; malloc'd, NULL without one), and reading it. */
char *ward_cgroup_freeze_file(json_t *extra);
bool ward_cgroup_file_frozen(const char *file);
/* The container's directory holding a controller ("memory", "pids", ...),
 * v1 or v2 (*v2 tells which). controller NULL: any directory, v2 preferred. */
const char *ward_cgroup_dir_for(json_t *extra, const char *controller, bool *v2);
bool ward_cgroup_present(json_t *extra);

/* systemd.c: --systemd-cgroup. cgroupsPath "slice:prefix:name" (empty:
 * "system.slice:ward:ID") to the path systemd gives that unit, e.g.
 * "a-b.slice:p:n" -> "/a.slice/a-b.slice/p-n.scope". */
int ward_cgroup_systemd_path(const char *cgroups_path, const char *id, char *out, size_t len,
			     ward_err *err);
/* The same, replacing spec->lx.cgroups_path. */
int ward_cgroup_systemd_resolve(struct ward_spec *spec, const char *id, ward_err *err);

/* stats.c: runc's stats object (events --stats) */
json_t *ward_cgroup_stats(json_t *extra);
/* Freeze or thaw, waiting until the kernel says it is done. */
int ward_cgroup_freeze(json_t *extra, bool freeze, ward_err *err);
/* An fd that becomes readable on OOM (v1 eventfd, v2 inotify on memory.events). */
int ward_cgroup_oom_fd(json_t *extra, int *kind, ward_err *err);
uint64_t ward_cgroup_oom_count(json_t *extra);

#endif
