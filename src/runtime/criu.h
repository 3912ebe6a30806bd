/* CRIU, driven as runc drives it: `criu swrk 3` with a SOCK_SEQPACKET
 * socket, one protobuf message per packet (criu's rpc.proto, which Debian's
 * criu ships as /usr/include/criu/rpc.proto). Only the few messages and
 * fields ward uses are encoded here, by field number; the wire format is
 * protobuf's (proto2). Internal to runtime/ (checkpoint.c, restore.c). */
#ifndef WARD_RUNTIME_CRIU_H
#define WARD_RUNTIME_CRIU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../util/err.h"

/* ---- protobuf wire format ---- */
struct ward_pb {
	uint8_t *buf;
	size_t len, cap;
	bool failed; /* out of memory: the message is unusable */
};
void ward_pb_uint(struct ward_pb *b, uint32_t field, uint64_t v);
/* int32/int64 fields: a negative value is a 10-byte varint, as protobuf does. */
void ward_pb_int(struct ward_pb *b, uint32_t field, int64_t v);
void ward_pb_bool(struct ward_pb *b, uint32_t field, bool v);
void ward_pb_str(struct ward_pb *b, uint32_t field, const char *s);
void ward_pb_bytes(struct ward_pb *b, uint32_t field, const void *p, size_t n);
/* A nested message (sub is left as it is). */
void ward_pb_msg(struct ward_pb *b, uint32_t field, const struct ward_pb *sub);
/* A nested message of two fields, key (1) and a string or int value (2):
 * ext_mount_map, inherit_fd, cgroup_root. key NULL: field 1 absent. */
void ward_pb_pair_str(struct ward_pb *b, uint32_t field, const char *key, const char *val);
void ward_pb_pair_int(struct ward_pb *b, uint32_t field, const char *key, int64_t val);
void ward_pb_free(struct ward_pb *b);

enum { WARD_PB_VARINT = 0, WARD_PB_I64 = 1, WARD_PB_LEN = 2, WARD_PB_I32 = 5 };
struct ward_pb_field {
	uint32_t num;
	uint8_t wire;
	uint64_t u;	  /* VARINT, I64, I32 */
	const uint8_t *p; /* LEN */
	size_t n;
};
/* The field at *cur (before end), advancing *cur: 1 a field, 0 the end, -1
 * malformed (truncated, a bad wire type, a length past the end). */
int ward_pb_next(const uint8_t **cur, const uint8_t *end, struct ward_pb_field *f);

/* ---- rpc.proto: request types and field numbers ---- */
enum {
	CRIU_REQ_DUMP = 1,
	CRIU_REQ_RESTORE = 2,
	CRIU_REQ_PRE_DUMP = 4,
	CRIU_REQ_NOTIFY = 6,
	CRIU_REQ_FEATURE_CHECK = 9,
	CRIU_REQ_VERSION = 10,
};
/* criu_req */
enum {
	CRIU_REQ_F_TYPE = 1,
	CRIU_REQ_F_OPTS = 2,
	CRIU_REQ_F_NOTIFY_SUCCESS = 3,
	CRIU_REQ_F_FEATURES = 5
};
/* criu_opts */
enum {
	CRIU_O_IMAGES_DIR_FD = 1,
	CRIU_O_PID = 2,
	CRIU_O_LEAVE_RUNNING = 3,
	CRIU_O_EXT_UNIX_SK = 4,
	CRIU_O_TCP_ESTABLISHED = 5,
	CRIU_O_EVASIVE_DEVICES = 6,
	CRIU_O_SHELL_JOB = 7,
	CRIU_O_FILE_LOCKS = 8,
	CRIU_O_LOG_LEVEL = 9,
	CRIU_O_LOG_FILE = 10,
	CRIU_O_NOTIFY_SCRIPTS = 12,
	CRIU_O_ROOT = 13,
	CRIU_O_PARENT_IMG = 14,
	CRIU_O_TRACK_MEM = 15,
	CRIU_O_AUTO_DEDUP = 16,
	CRIU_O_WORK_DIR_FD = 17,
	CRIU_O_EXT_MNT = 23,
	CRIU_O_MANAGE_CGROUPS = 24,
	CRIU_O_CG_ROOT = 25,
	CRIU_O_RST_SIBLING = 26,
	CRIU_O_INHERIT_FD = 27,
	CRIU_O_MANAGE_CGROUPS_MODE = 34,
	CRIU_O_EXTERNAL = 37,
	CRIU_O_EMPTY_NS = 38,
	CRIU_O_FREEZE_CGROUP = 44,
	CRIU_O_ORPHAN_PTS_MASTER = 50,
	CRIU_O_CONFIG_FILE = 51,
	CRIU_O_NETWORK_LOCK = 64,
};
/* criu_cg_mode and criu_network_lock_method */
enum {
	CRIU_CG_IGNORE = 0,
	CRIU_CG_SOFT = 3,
	CRIU_CG_FULL = 4,
	CRIU_CG_STRICT = 5,
	CRIU_CG_DEFAULT = 6
};
enum { CRIU_NETLOCK_IPTABLES = 1, CRIU_NETLOCK_NFTABLES = 2 };

/* What ward reads of a criu_resp. */
struct ward_criu_resp {
	int type;
	bool success;
	int cr_errno;
	char errmsg[256]; /* cr_errmsg */
	int restore_pid;  /* restore.pid */
	char script[64];  /* notify.script */
	int notify_pid;	  /* notify.pid */
	int version;	  /* major * 10000 + minor * 100 + sublevel, 0: none */
	bool has_mem_track, mem_track;
};
int ward_criu_resp_decode(const uint8_t *p, size_t n, struct ward_criu_resp *r, ward_err *err);

/* ---- the service process ---- */
struct ward_criu {
	pid_t pid; /* `criu swrk`, our child */
	int sock;  /* our end */
	int pidfd;
	bool waited;
	int status;	    /* its wait status, once waited */
	bool notify_failed; /* the request failed in ward's notification handler */
};
struct ward_criu_spawn {
	const char *binary; /* NULL: "criu" from PATH */
	const int *fds;	    /* become fds 4, 5, ... of criu (inherit_fd numbers) */
	size_t n_fds;
	bool no_new_privs; /* set on criu before it runs: the restored tree inherits it */
};
int ward_criu_start(struct ward_criu *c, const struct ward_criu_spawn *s, ward_err *err);
/* A notification ("setup-namespaces", "post-restore", ...), fd passed with
 * it or -1 (the callee owns it). Returning -1 fails the request: criu is told
 * the script failed and aborts (a restore kills what it restored). */
typedef int (*ward_criu_notify_fn)(void *arg, const struct ward_criu_resp *n, int fd,
				   ward_err *err);
/* Send req and serve notifications until criu's answer, in *out. A refused
 * request (success false) is an error naming the type and criu's errno. */
int ward_criu_call(struct ward_criu *c, const struct ward_pb *req, ward_criu_notify_fn fn,
		   void *arg, struct ward_criu_resp *out, ward_err *err);
/* Close the socket and reap criu; returns its wait status (or -1). */
int ward_criu_stop(struct ward_criu *c);
/* SIGKILL and reap (error paths). */
void ward_criu_kill(struct ward_criu *c);
/* criu's version (major * 10000 + minor * 100 + sublevel) by the VERSION
 * request, which works even where criu cannot initialize for the kernel. */
int ward_criu_version(const char *binary, ward_err *err);
/* "3.17.1" */
void ward_criu_version_str(int v, char *buf, size_t len);

/* criu's log (file in dirfd): its first "Error" line, for the message of a
 * failed request; every Error line with the lines before it goes to ward's
 * log as warnings (as runc quotes it). Empty when there is none. */
void ward_criu_log_errors(int dirfd, const char *file, char *first, size_t len);

/* ---- shared by checkpoint.c and restore.c (defined in checkpoint.c) ---- */
#include <jansson.h>

#include "../oci/spec.h"
#include "runtime.h"

/* ward's own record in the image directory: what confined every task at
 * checkpoint, the external mounts and stdio (docs/checkpoint.md). */
#define WARD_CRIU_RECORD "ward-checkpoint.json"
/* CRIU restores no_new_privs itself from 3.19 (its PR #2228); before, the
 * restored tree would lose it unless criu runs with it (restore.c). */
#define WARD_CRIU_NNP_VERSION 31900

/* Every thread of the tree below root (children as /proc/PID/task/TID/
 * children lists them), with what confines it: ids, capability sets,
 * no_new_privs, seccomp mode and filter count, LSM label. */
json_t *ward_criu_tasks(pid_t root, ward_err *err);
/* 0 when every thread of got is confined as want recorded it (a thread
 * of want gone since has exited; one new in got, born after the restore,
 * must not be less confined than any of want); else -1, err naming the
 * first difference. The root of want must be in got. */
int ward_criu_tasks_match(json_t *want, json_t *got, ward_err *err);
/* The parts of a config that say how its processes are confined. */
json_t *ward_criu_confinement(json_t *config);
/* What neither command can carry through CRIU, refused with the field. */
int ward_criu_refuse(const struct ward_spec *spec, json_t *extra, ward_err *err);
/* A directory named by a flag ("--image-path"), made (mkdir -p) if asked. */
int ward_criu_dir(const char *path, const char *flag, bool create, ward_err *err);
/* The criu_opts both requests carry, from the shared flags. */
int ward_criu_shared_opts(struct ward_pb *opts, const struct ward_criu_opts *c, ward_err *err);
/* runc's default --image-path. */
#define WARD_CRIU_IMAGES "checkpoint"
/* criu's own config file: the annotation org.criu.config (runc's), else
 * /etc/criu/ward.conf ("" : none). */
const char *ward_criu_config_file(const struct ward_spec *s);
/* The source of the config's bind mount at mountpoint, or NULL. */
const char *ward_criu_bind_source(const struct ward_spec *s, const char *mountpoint);
/* criu's log of a failed request (file in dirfd, shown as dir) into err. */
int ward_criu_fail(ward_err *err, int dirfd, const char *dir, const char *file);

#endif
