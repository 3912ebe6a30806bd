/* The audit layer: a container's audit ID, kernel audit records (libaudit)
 * and ward's JSON-lines audit log. It is the one path every other layer
 * (lifecycle, admission policy, integrity) reports through; nothing else in
 * ward writes audit records of its own.
 *
 * The ID: a 128-bit UUID per container, fixed at create (the annotation
 * org.ward.audit.id, else random), unique among live containers of the host.
 *
 * Sinks of every record (docs/audit.md):
 *   - the kernel audit log: VIRT_CONTROL / VIRT_MACHINE_ID /
 *     VIRT_INTEGRITY_CHECK user records in libvirt's shape
 *     ("virt=ward op=start reason=... vm=\"c1\" uuid=... vm-pid=1234"), found
 *     by `ausearch --uuid ID` or `--vm-name NAME`;
 *   - the container's JSON log <state root>/@audit/<container id>.jsonl,
 *     kept after delete until rotated;
 *   - the host's JSON log /var/log/ward/audit.jsonl (as root).
 * Each JSON record says which sinks took it; a sink that refused is named
 * there, never skipped silently. */
#ifndef WARD_AUDIT_H
#define WARD_AUDIT_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "../util/err.h"

#define WARD_AUDIT_ANNOTATION "org.ward.audit.id"
#define WARD_AUDIT_ID_LEN     36 /* 8-4-4-4-12 hex digits, lower case */

/* ---- id.c ---- */
/* A random (version 4) UUID. */
int ward_audit_id_generate(char out[WARD_AUDIT_ID_LEN + 1], ward_err *err);
/* Validate a UUID in text form (any case) and write it in lower case. The
 * nil UUID is refused. */
int ward_audit_id_parse(const char *text, char out[WARD_AUDIT_ID_LEN + 1], ward_err *err);
/* The ID a config asks for (annotation) or a new one. where names the file
 * in messages ("config.json"). *given: the annotation set it. */
int ward_audit_id_for(json_t *annotations, const char *where, char out[WARD_AUDIT_ID_LEN + 1],
		      bool *given, ward_err *err);

/* ---- conf.c: is auditing configured, and where do records go ---- */
struct log {
	char *path;
	int fd; /* open for appending, or -1 */
};
struct ward_audit {
	bool enabled;	     /* lifecycle records and the ID for every container */
	bool kernel;	     /* send records to the kernel audit log */
	bool session;	     /* give each container's init (and exec) a new audit session */
	char *host_log;	     /* host-wide JSON log, or NULL */
	char *root;	     /* the state root (the containers' JSON logs below it) */
	long rotate_bytes;   /* a JSON log larger than this is rotated (.1) */
	char *conf_path;     /* the file the settings came from, or NULL */
	char parent[WARD_AUDIT_ID_LEN + 1]; /* our own container's ID when nested, or "" */
	unsigned self_auid;  /* our kernel-set login uid and audit session */
	unsigned self_ses;   /* ((unsigned)-1: unset) */
	/* probed on first use */
	int nlfd;	     /* netlink audit socket, or -1 */
	int kstate;	     /* enum ward_audit_kstate */
	int kerrno;	     /* why the kernel refused */
	bool probed;
	bool self_read;	     /* self_auid, self_ses are read */
	struct log logs[2];  /* the container's and the host's JSON log, kept open */
};

/* Where the kernel record went (probed once per command). */
enum ward_audit_kstate {
	WARD_AUDIT_K_OFF,     /* not configured to send */
	WARD_AUDIT_K_AUDITD,  /* auditd is running and takes it */
	WARD_AUDIT_K_KMSG,    /* audit enabled, no auditd: the kernel prints it (dmesg) */
	WARD_AUDIT_K_DISABLED, /* audit is disabled in the kernel: it would drop it */
	WARD_AUDIT_K_REFUSED, /* the kernel refused (rootless, a user namespace...) */
	WARD_AUDIT_K_SENT,    /* taken; whether auditd runs is not ours to ask */
};
const char *ward_audit_kstate_name(int kstate);

/* Load the settings: /etc/ward/audit.json (or $WARD_AUDIT_CONF) and the
 * environment (WARD_AUDIT=1|0). force_on: the --audit global option.
 * A file that does not parse is an error naming it. */
int ward_audit_setup(struct ward_audit *a, const char *state_root, bool force_on, ward_err *err);
void ward_audit_release(struct ward_audit *a);
/* The settings file's text onto a (path names it in messages). */
int ward_audit_conf_parse(struct ward_audit *a, const char *text, size_t len, const char *path,
			  ward_err *err);
/* The defaults alone (auditing off), for commands that record nothing when
 * the settings file is refused. */
void ward_audit_setup_off(struct ward_audit *a, const char *state_root);
/* Read our own login uid and session into a (done before the first record). */
void ward_audit_self(struct ward_audit *a);

/* ---- registry.c: one audit ID, one live container on the host ---- */
/* Claim audit_id for container id (its state dir made and locked). Refused,
 * naming the holder, when a live container has it. */
int ward_audit_claim(const struct ward_audit *a, const char *audit_id, const char *id,
		     ward_err *err);
/* Release our claim (after delete, or a failed create). */
void ward_audit_unclaim(const struct ward_audit *a, const char *audit_id, const char *id);

/* ---- session.c: a kernel audit session per container ---- */
/* The loginuid a container's session begins with: the caller's, else (a
 * daemon's caller has none) the uid running ward. */
unsigned ward_audit_session_loginuid(const struct ward_audit *a);
/* In the task itself: a new session. Returns 0 (*ses set) or an errno
 * (EPERM: no CAP_AUDIT_CONTROL, or the loginuid is immutable). */
int ward_audit_session_begin(unsigned loginuid, unsigned *ses);
/* A process's session id ((unsigned)-1 when unreadable or unset). */
unsigned ward_audit_session_of(pid_t pid);

/* ---- emit.c: the one path ---- */
struct ward_audit_event {
	const char *op;	      /* create start exec kill pause resume update delete deny
				 map policy integrity ... */
	const char *id;	      /* the container's id */
	const char *audit_id; /* its audit ID */
	pid_t pid;	      /* host pid concerned (vm-pid), 0 when none */
	bool success;
	const char *reason;   /* short reason text, or NULL */
	json_t *fields;	      /* more key/values (strings, integers, booleans; borrowed), or NULL */
};
/* Send ev to every configured sink. Returns 0 when at least one sink took
 * it, -1 (a warning logged) when none did. Lifecycle records are sent only
 * when the container is audited (the caller knows); records of the policy
 * and integrity layers are sent whenever those layers are on. */
int ward_audit_emit(struct ward_audit *a, const struct ward_audit_event *ev);
/* Where a record would go now (enum ward_audit_kstate; probed once). */
int ward_audit_kernel_state(struct ward_audit *a);

/* ---- search.c: a container's kernel records (libauparse) ---- */
struct ward_audit_query {
	const char *audit_id;
	const char *input;    /* an audit log file, or NULL: auditd's logs (auditd.conf) */
	bool kmsg;	      /* with no input: the kernel's log instead (no auditd ran) */
	const char *json_log; /* ward's JSON log of the container (the twin check), or NULL */
};
/* {"auditId", "source", "sessions": [{ses, from, to}], "events": [{time,
 * serial, kind: ward|nested|container|forged|unverified, why, records: [text]}]},
 * in log order. */
json_t *ward_audit_search(const struct ward_audit_query *q, ward_err *err);
/* One /dev/kmsg record ("6,123,456,-;audit: type=1300 audit(...): ...") as
 * an audit log line ("type=SYSCALL msg=audit(...): ...\n"); 0, or -1 when
 * it is not an audit record or does not fit. */
int ward_audit_kmsg_line(const char *rec, char *out, size_t len);

#endif
