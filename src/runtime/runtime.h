/* Container lifecycle: create/start/run/exec/kill/delete/state/list, the state
 * directory, locking and hooks. */
#ifndef WARD_RUNTIME_H
#define WARD_RUNTIME_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "../oci/spec.h"
#include "../util/err.h"

struct ward_audit;
struct ward_ctx {
	char *root; /* state root: /run/ward, or $XDG_RUNTIME_DIR/ward */
	bool systemd_cgroup;
	struct ward_audit *audit; /* the audit layer's settings (audit/audit.h) */
	const char *criu; /* --criu: the criu binary (NULL: "criu" from PATH) */
	const char *policy_file;  /* --policy / WARD_POLICY: added to the system policy */
};

/* UNKNOWN: the init's /proc/PID/stat could not be read (hidepid, a
 * sandbox, fd exhaustion): whether it lives is not known, and saying
 * "stopped" would let delete remove a live container's state. */
enum ward_status { WARD_CREATING, WARD_CREATED, WARD_RUNNING, WARD_PAUSED, WARD_STOPPED,
		   WARD_UNKNOWN };
const char *ward_status_name(enum ward_status s);

struct ward_state {
	char *id;
	pid_t pid;
	unsigned long long pid_start;
	char *bundle;
	char *rootfs;
	char *created; /* RFC 3339, UTC */
	uid_t owner_uid;
	char *oci_version;    /* the config's ociVersion */
	json_t *annotations;  /* the config's annotations (an object, maybe empty) */
	bool has_poststart;   /* the config has hooks of these kinds: start and */
	bool has_poststop;    /* delete parse the config only when it does */
	json_t *config;	      /* the config document, loaded by ward_state_config() */
	const char *config_text; /* at create: the config's text, saved with the state */
	char *config_raw;     /* after a full load: the saved config text, unparsed */
	size_t config_raw_len;
	json_t *extra;	      /* runtime data for other modules (cgroup, ...) */
	char *freeze_file;    /* the cgroup file that says whether it is paused */
	enum ward_status status;
	int status_errno; /* WARD_UNKNOWN: why /proc/PID/stat could not be read */
	/* create has not finished: the state is written ahead of each step that
	 * leaves something behind, so delete --force finds it after a crash */
	bool creating;
	int dirfd; /* the container's state dir, locked when loaded with lock=true */
};

/* Where compiled seccomp filters are cached (below the state root). */
void ward_seccomp_cache_dir(const struct ward_ctx *ctx, char *buf, size_t len);

/* ---- state.c ---- */
int ward_state_root_open(const struct ward_ctx *ctx, bool create, ward_err *err);
int ward_id_validate(const char *id, ward_err *err);
/* Load and compute the current status. Missing container: errnum ENOENT. */
int ward_state_load(const struct ward_ctx *ctx, const char *id, bool lock, struct ward_state *st,
		    ward_err *err);
/* For list and state: the status and the fields runc prints, without the
 * runtime data (st->extra stays NULL); rootfd is the open state root. */
int ward_state_load_status(int rootfd, const char *id, struct ward_state *st, ward_err *err);
int ward_state_save(const struct ward_state *st, ward_err *err);
/* The container's config, as create saved it with the state (the last
 * document of state.json). Parsed on first use and kept in st->config. */
json_t *ward_state_config(struct ward_state *st, ward_err *err);
struct ward_spec *ward_state_spec(struct ward_state *st, ward_err *err);
/* Replace the saved config (update). */
int ward_state_save_config(struct ward_state *st, ward_err *err);
void ward_state_release(struct ward_state *st);
/* The state as runc prints it (and as hooks receive it, with hooks=true). */
json_t *ward_state_to_json(const struct ward_state *st, bool hooks);
/* Why the status is WARD_UNKNOWN ("/proc/PID/stat: ..."), in buf. */
const char *ward_state_status_reason(const struct ward_state *st, char *buf, size_t len);
/* Re-derive status from the process and exec.fifo. */
enum ward_status ward_state_refresh(struct ward_state *st);
/* The init still waits for start (the exec fifo is there): true of a
 * created container, and of one paused while created. */
bool ward_state_awaits_start(const struct ward_state *st);
int ward_state_remove(const struct ward_ctx *ctx, const char *id, ward_err *err);
/* The container's audit ID (its state's org.ward.audit.id annotation), or
 * NULL when it has none. */
const char *ward_state_audit_id(const struct ward_state *st);

/* ---- trail.c: lifecycle records of audited containers (audit/) ---- */
bool ward_trail_on(const struct ward_state *st);
/* One record (op "start", "kill", ...); failure: the error, or NULL for
 * success; fields: more key/values, taken over (may be NULL). Sent only for
 * an audited container. */
void ward_trail(const struct ward_ctx *ctx, const struct ward_state *st, const char *op, pid_t pid,
		const ward_err *failure, json_t *fields);
/* The same for a container without a loaded state (create, a denial). */
void ward_trail_record(const struct ward_ctx *ctx, const char *id, const char *audit_id,
		       const char *op, pid_t pid, const ward_err *failure, json_t *fields);

/* events --audit: the container's audit records as event lines
 * ({"type":"audit","id":...,"data":record}); follow: until it is deleted. */
int ward_container_audit_events(const struct ward_ctx *ctx, const char *id, bool follow,
				ward_err *err);

/* ---- hooks.c ---- */
/* Run every hook of a kind with the state on stdin. */
int ward_hooks_run(const struct ward_spec *spec, enum ward_hook_kind kind, json_t *state,
		   ward_err *err);

/* ---- checkpoint.c / restore.c: CRIU (docs/checkpoint.md) ---- */
/* The flags checkpoint and restore share (runc's). */
struct ward_criu_opts {
	const char *image_path; /* NULL: ./checkpoint */
	const char *work_path;	/* NULL: criu's logs go to the image path */
	bool tcp_established, ext_unix_sk, shell_job, file_locks, auto_dedup;
	const char *manage_cgroups_mode; /* soft, full, strict, ignore; NULL: criu's */
	bool empty_ns_network; /* --empty-ns network (always on, as in runc) */
};
struct ward_checkpoint_opts {
	struct ward_criu_opts c;
	const char *parent_path; /* previous pre-dump, relative to the image path */
	bool leave_running, pre_dump;
};
int ward_container_checkpoint(const struct ward_ctx *ctx, const char *id,
			      const struct ward_checkpoint_opts *o, ward_err *err);

/* ---- create.c / start.c / run ---- */
struct ward_create_opts {
	const char *id;
	const char *bundle;
	const char *pid_file;
	const char *console_socket;
	bool no_pivot;
	bool no_new_keyring;
	int preserve_fds;
	bool foreground; /* run without --detach: we keep the pty and wait */
	/* restore: the container's processes come from CRIU images instead of
	 * a new init (restore.c); create makes the state dir and cgroup. */
	const struct ward_criu_opts *restore;
};

struct ward_created {
	pid_t pid;
	int pidfd;
	int pty_master; /* run in the foreground with a terminal, else -1 */
	/* If set by the caller (run): receives the state as saved, its dir
	 * still locked, for start and delete without reading it back. */
	struct ward_state *state;
};

int ward_container_create(const struct ward_ctx *ctx, const struct ward_create_opts *o,
			  struct ward_created *out, ward_err *err);
int ward_container_start(const struct ward_ctx *ctx, const char *id, ward_err *err);
/* create + start; returns the exit code to exit with (foreground) or 0. */
int ward_container_run(const struct ward_ctx *ctx, const struct ward_create_opts *o, bool detach,
		       bool keep, int *exit_code, ward_err *err);

/* restore: ward_container_run with o->restore set: the container is
 * created from the bundle, its processes restored, and then (not detached)
 * waited for and deleted, as runc restore does. */
int ward_container_restore(const struct ward_ctx *ctx, const struct ward_create_opts *o,
			   bool detach, int *exit_code, ward_err *err);
/* The step of create that restore replaces (restore.c): bring the
 * container's processes back into the state dir and cgroup create made. */
struct ward_restore_target {
	const struct ward_spec *spec;
	struct ward_state *st; /* id, bundle, dirfd, extra (the cgroup) */
	const char *rootfs;
	pid_t pid;	/* out: the restored init, our child */
	int pidfd;	/* out */
	int pty_master; /* out: with a terminal and no --console-socket, or -1 */
};
int ward_restore_spawn(const struct ward_ctx *ctx, const struct ward_create_opts *o,
		       struct ward_restore_target *t, ward_err *err);

/* ---- kill.c / delete.c ---- */
int ward_container_kill(const struct ward_ctx *ctx, const char *id, int sig, bool all,
			ward_err *err);
/* delete of a container whose state is loaded and locked (st is released). */
int ward_container_delete_loaded(const struct ward_ctx *ctx, struct ward_state *st, bool force,
				 ward_err *err);
int ward_container_delete(const struct ward_ctx *ctx, const char *id, bool force, ward_err *err);

/* ---- manage.c (through the cgroups) ---- */
int ward_container_pause(const struct ward_ctx *ctx, const char *id, bool pause, ward_err *err);
/* resources: a linux.resources object (runc update's -r form). */
int ward_container_update(const struct ward_ctx *ctx, const char *id, json_t *resources,
			  ward_err *err);
int ward_container_events(const struct ward_ctx *ctx, const char *id, bool stats_once,
			  int interval_ms, ward_err *err);
int ward_container_pids(const struct ward_ctx *ctx, const char *id, pid_t **pids, size_t *n,
			ward_err *err);

/* ---- inspect.c ---- */
json_t *ward_container_inspect(const struct ward_ctx *ctx, const char *id, ward_err *err);

/* ---- exec.c ---- */
struct ward_exec_opts {
	const char *id;
	const char *process_file;
	char **args;
	bool tty;
	const char *cwd;
	char **env;
	bool has_user;
	uid_t uid;
	gid_t gid;
	bool has_gid;
	gid_t *additional_gids;
	size_t n_additional_gids;
	char **caps;
	bool no_new_privs;
	bool detach;
	const char *pid_file;
	const char *console_socket;
	int preserve_fds;
	const char *apparmor;
	const char *process_label;
};
int ward_container_exec(const struct ward_ctx *ctx, const struct ward_exec_opts *o, int *exit_code,
			ward_err *err);

/* ---- wait.c ---- */
/* Forward signals to pid and proxy a pty until it exits; returns the exit code
 * (128+N for a signal). */
int ward_wait_foreground(pid_t pid, int pidfd, int pty_master, ward_err *err);
int ward_write_pid_file(const char *path, pid_t pid, ward_err *err);

/* ---- init.c (runs in the container's first process) ---- */
struct ward_seccomp;
struct ward_landlock;
struct ward_init_args {
	const struct ward_spec *spec;
	const char *id;
	const char *bundle;
	const char *rootfs;
	int sync;
	int fifo_fd;
	bool userns_new;
	bool no_pivot;
	bool no_new_keyring;
	int preserve_fds;
	bool has_pre_hooks; /* prestart/createRuntime: ask the parent */
	bool setgroups_denied; /* decided by the parent, which knows who it is */
	const struct ward_seccomp *seccomp; /* compiled by the parent, or NULL */
	const struct ward_landlock *landlock; /* negotiated by the parent, or NULL */
	const int *idmap_trees; /* idmapped bind trees made by the parent, or NULL */
	int stub_fd;		/* the sealed exec stub, or -1: exec directly */
	long audit_loginuid;	/* begin an audit session with it first, or -1 */
	const char *audit_id;	/* the container's audit ID when audited, else NULL */
};
__attribute__((noreturn)) void ward_init_main(const struct ward_init_args *a);

/* Shared by init and exec: find the program as execvp would, inside our root. */
int ward_find_executable(const char *name, char *const *env, char *out, size_t len, ward_err *err);
/* Add HOME from the container's /etc/passwd when the process env lacks it. */
int ward_env_complete(char ***env, uid_t uid, ward_err *err);
/* WARD_AUDIT_ID=<audit_id> in env when the container is audited (NULL: no-op). */
int ward_env_audit_id(char ***env, const char *audit_id, ward_err *err);

/* ---- hostns.c ---- */
/* Refuse a hostname or sysctl for a namespace joined by path (fds: opened
 * by ward_ns_open_paths) that is the runtime's own, the host's. */
int ward_check_own_namespaces(const struct ward_spec *s, const int fds[WARD_NS_COUNT],
			      ward_err *err);
/* No mount namespace: refuse what would be done to the caller's mounts. */
int ward_check_shared_mntns(const struct ward_spec *s, ward_err *err);

/* ---- protect.c: CVE-2019-5736, the binary kept from the container ---- */
struct ward_seccomp;
/* main: argv for a re-exec of the whole CLI. */
void ward_protect_init(char **argv);
struct ward_protect_query {
	const struct ward_process *p;	    /* the process about to be exec'd */
	const struct ward_process *container; /* the container's (exec: its config) */
	const struct ward_seccomp *seccomp; /* compiled filter, or NULL */
	bool container_hooks;		    /* createContainer/startContainer */
	bool shared_pidns;		    /* the init joins a pid namespace or the host's */
	bool ptrace_exec;		    /* an exec brought CAP_SYS_PTRACE in */
};
enum ward_protect_mode { WARD_PROTECT_NONE, WARD_PROTECT_STUB, WARD_PROTECT_REEXEC };
/* Which protection q needs (*why: the reason for a re-exec); logged. */
enum ward_protect_mode ward_protect_plan(const struct ward_protect_query *q, const char **why);
/* Before anything is made: for REEXEC, re-execute the whole process from a
 * sealed copy of the binary (returns only on failure); for STUB, set *stub
 * to the sealed exec stub (close-on-exec); else *stub = -1. */
int ward_protect_apply(enum ward_protect_mode mode, const char *why, int *stub, ward_err *err);
/* plan + apply. */
int ward_protect_choose(const struct ward_protect_query *q, int *stub, ward_err *err);
/* Before a re-exec: input already read from the command-line argument arg
 * (a pointer into argv: a pipe, /dev/stdin...) is handed to the new process
 * through a memfd that replaces it in argv. */
int ward_protect_pass_input(const char *arg, const char *text, size_t len, ward_err *err);
/* The binary of pid (0: ours) cannot be written: sealed, read-only, immutable. */
bool ward_protect_exe_safe(pid_t pid);
/* The process may hold CAP_SYS_PTRACE (in any set, or no capabilities field). */
bool ward_protect_may_ptrace(const struct ward_process *p);
struct ward_launch {
	int stub_fd;
	char **argv; /* the stub's: ward-stub:FD, exe, argv... */
	char name[32];
};
/* In the child, before seccomp: build the stub's argv and keep report_fd
 * (socket or fifo) open across the stub's exec. */
int ward_protect_launch_prepare(struct ward_launch *l, int stub, int report_fd, const char *exe,
				char *const argv[], ward_err *err);
/* The last step: exec exe through the stub, or directly. Returns on failure
 * only, with errno set. */
void ward_protect_launch(const struct ward_launch *l, const char *exe, char *const argv[],
			 char *const env[]);
/* The error for a failed exec of the stub itself (for exe). Returns -1. */
int ward_protect_launch_error(ward_err *err, int errnum, const char *exe);

#endif
