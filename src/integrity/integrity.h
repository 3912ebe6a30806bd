/* The per-container integrity namespace: a measurement list in IMA's own
 * formats with a software PCR, appraisal of what runs against the
 * container's keys or allow-list, and the monitor process that enforces it
 * with fanotify permission events. docs/integrity.md has the whole story;
 * each file says why it does what it does.
 *
 * Nothing here trusts what the container can write: its files are only
 * hashed through the fds fanotify opened for us (never opened by path),
 * signatures are verified against keys the host gave, and every setting
 * comes from config.json, annotations or root-only host files. */
#ifndef WARD_INTEGRITY_H
#define WARD_INTEGRITY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../util/err.h"

/* ---- start.c, lifecycle.c: what the runtime calls ---- */
struct ward_audit;
struct ward_integrity; /* a container's integrity settings, between prepare and start */
/* create, before anything is made: parse linux.integrity and the
 * annotations, load the host's settings, keys, allow-list and signatures.
 * *out is NULL when neither the container nor the host asks for integrity. */
int ward_integrity_prepare(json_t *config, const char *file, struct ward_integrity **out,
			   ward_err *err);
struct ward_integrity_launch {
	const char *id;
	const char *audit_id;
	int state_dirfd; /* the container's state dir */
	pid_t init_pid;	 /* waiting for start */
	json_t *extra;	 /* the state's runtime data (its cgroup) */
	struct ward_audit *audit;
	bool userns; /* a user namespace of its own */
	bool pidns;  /* a pid namespace of its own */
};
/* create, once the init is ready: the monitor runs when this returns 0. */
int ward_integrity_start(struct ward_integrity *in, const struct ward_integrity_launch *l,
			 ward_err *err);
void ward_integrity_free(struct ward_integrity *in);
/* delete, after the container's processes are gone. */
int ward_integrity_stop(int state_dirfd, const char *state_root, const char *id,
			const char *audit_id, ward_err *err);
/* exec: 0, or -1 when the container has a monitor that does not answer. */
int ward_integrity_exec_check(int state_dirfd, ward_err *err);
/* inspect: mode, keys, list length, PCR, coverage (null without integrity). */
json_t *ward_integrity_inspect(int state_dirfd);
json_t *ward_integrity_status(int state_dirfd, ward_err *err);
json_t *ward_integrity_gaps(json_t *info);
/* ward integrity: the list (an fd to read), the PCR, a replacement policy. */
int ward_integrity_list_fd(int state_dirfd, bool binary, ward_err *err);
struct ward_pcr;
int ward_integrity_pcr_read(int state_dirfd, struct ward_pcr *pcr, uint64_t *count, ward_err *err);
int ward_integrity_replace_policy(int state_dirfd, json_t *policy, json_t **status, ward_err *err);
/* The host's list (/etc/ward/integrity.json hostList), or NULL. */
struct ward_mlist;
int ward_integrity_host_list_open(struct ward_mlist *l, const char *dir, ward_err *err);

#define WARD_IMA_PCR	  10 /* IMA's PCR, so tools that expect it find it */
#define WARD_SHA1_LEN	  20
#define WARD_SHA256_LEN	  32
#define WARD_DIGEST_MAX	  64
#define WARD_IMA_NAME_MAX 4096

/* ---- template.c: IMA's templates, its two list formats, the PCR ---- */
enum ward_ima_template { WARD_IMA_NG, WARD_IMA_SIG, WARD_IMA_BUF };
const char *ward_ima_template_name(enum ward_ima_template t);

/* One measurement. A violation has no file digest: IMA writes a zero
 * template digest to the list and extends the PCR with all ones. */
struct ward_ima_entry {
	enum ward_ima_template tmpl;
	bool violation;
	const char *algo; /* "sha256" */
	uint8_t digest[WARD_DIGEST_MAX];
	size_t digest_len;
	const char *name;     /* path, or the event's name (ima-buf) */
	const uint8_t *extra; /* the signature (ima-sig) or the buffer (ima-buf) */
	size_t extra_len;
};

/* A record in both encodings, with its template digests. */
struct ward_ima_record {
	uint8_t *binary; /* as binary_runtime_measurements holds it */
	size_t binary_len;
	char *ascii; /* one line of ascii_runtime_measurements, '\n' included */
	size_t ascii_len;
	uint8_t sha1[WARD_SHA1_LEN]; /* template digests (zero for a violation) */
	uint8_t sha256[WARD_SHA256_LEN];
	bool violation;
};
int ward_ima_record_make(const struct ward_ima_entry *e, struct ward_ima_record *r, ward_err *err);
void ward_ima_record_free(struct ward_ima_record *r);

/* PCR 10 in the two banks evmctl checks. */
struct ward_pcr {
	uint8_t sha1[WARD_SHA1_LEN];
	uint8_t sha256[WARD_SHA256_LEN];
};
/* extend: bank = H(bank || template digest), all ones for a violation. */
void ward_pcr_extend(struct ward_pcr *p, const struct ward_ima_record *r);

/* Parse one record of a binary list at buf (len bytes left): its template
 * name and data; *used: the record's length. Returns 0, or -1 at a
 * truncated or malformed record (with the reason). */
struct ward_ima_parsed {
	uint32_t pcr;
	uint8_t sha1[WARD_SHA1_LEN];
	char name[32];
	const uint8_t *data;
	uint32_t data_len;
};
int ward_ima_parse_record(const uint8_t *buf, size_t len, struct ward_ima_parsed *out, size_t *used,
			  ward_err *err);
/* Recompute the PCR of a whole binary list (what evmctl does). */
int ward_ima_replay(const uint8_t *buf, size_t len, struct ward_pcr *pcr, size_t *count,
		    ward_err *err);

/* ---- mlist.c: a list on disk (DIR/ima/{binary,ascii}_runtime_measurements, DIR/pcr) ---- */
struct ward_mlist {
	int dirfd; /* DIR, open (a shared list is locked through it) */
	int bin_fd, ascii_fd;
	bool shared;	/* other processes append too: lock, reread the PCR */
	bool defer_pcr; /* several records in a row: the PCR file at flush */
	struct ward_pcr pcr;
	uint64_t count, violations;
};
/* Open (create: make ima/ with files readable by group gid, or (gid_t)-1). */
int ward_mlist_open(struct ward_mlist *l, int dirfd, bool create, bool shared, gid_t gid,
		    ward_err *err);
/* Write the PCR file of a new list (all zeros, no records). */
int ward_mlist_init(struct ward_mlist *l, ward_err *err);
int ward_mlist_append(struct ward_mlist *l, const struct ward_ima_entry *e, ward_err *err);
/* Write the PCR file now (after records appended with defer_pcr). */
int ward_mlist_flush(struct ward_mlist *l, ward_err *err);
void ward_mlist_close(struct ward_mlist *l);
int ward_mlist_read_pcr(int dirfd, struct ward_pcr *pcr, uint64_t *count, uint64_t *violations,
			ward_err *err);

/* ---- config.c: linux.integrity, org.ward.integrity.* annotations ---- */
enum ward_integrity_mode {
	WARD_INTEGRITY_OFF,
	WARD_INTEGRITY_MEASURE,
	WARD_INTEGRITY_APPRAISE_LOG,
	WARD_INTEGRITY_ENFORCE,
};
const char *ward_integrity_mode_name(enum ward_integrity_mode m);

struct ward_integrity_conf {
	bool present; /* the config asked for integrity at all */
	enum ward_integrity_mode mode;
	char **keys; /* X.509 certificates (host paths) */
	size_t n_keys;
	char *allow_list;    /* sha256sum-style digests (host path) */
	char *signatures;    /* detached signatures: getfattr --dump text (host path) */
	bool libraries;	     /* ELF files opened are measured and appraised */
	bool children_all;   /* nested containers' non-root activity goes upward too */
	bool locked;	     /* the policy cannot be replaced */
	bool keep;	     /* the lists outlive delete */
	char *list_path;     /* where the container sees its list, or NULL */
	int timeout_s;	     /* a monitor silent this long counts as hung */
	bool freeze_on_loss; /* freeze instead of kill when the monitor is lost */
};
void ward_integrity_conf_init(struct ward_integrity_conf *c);
void ward_integrity_conf_release(struct ward_integrity_conf *c);
/* From a config document (linux.integrity, annotations); file names the
 * document in errors ("config.json"). Without either, mode is off and
 * present false. */
int ward_integrity_conf_parse(json_t *config, const char *file, struct ward_integrity_conf *c,
			      ward_err *err);
/* The rules across fields (appraisal needs something to appraise against). */
int ward_integrity_conf_check(const struct ward_integrity_conf *c, const char *where,
			      ward_err *err);
/* Apply one object's fields (where: "config.json: linux.integrity"). */
int ward_integrity_conf_object(struct ward_integrity_conf *c, json_t *obj, const char *where,
			       bool policy_only, ward_err *err);

/* ---- keys.c: X.509 keys, the host's CAs ---- */
typedef struct x509_store_st X509_STORE;
typedef struct evp_pkey_st EVP_PKEY;
struct ward_ima_key {
	EVP_PKEY *pkey;
	uint32_t keyid; /* last 4 bytes of SHA-1(public key), evmctl's */
	uint32_t skid;	/* last 4 bytes of the SubjectKeyIdentifier */
	bool has_skid;
	unsigned char *der; /* the certificate, for the list's key record */
	size_t der_len;
	char subject[256];
	char path[512];
};
struct ward_ima_keyring {
	struct ward_ima_key *keys;
	size_t n;
};
/* The host's trusted CAs (NULL store when n is 0: no CA configured). */
int ward_ima_ca_load(char **paths, size_t n, X509_STORE **out, ward_err *err);
/* One certificate, checked against ca when there is one. */
int ward_ima_key_load(const char *path, X509_STORE *ca, struct ward_ima_key *k, ward_err *err);
/* The same from a certificate's text (PEM), for keys sent by a nested ward. */
int ward_ima_key_from_text(const char *text, size_t len, X509_STORE *ca, struct ward_ima_key *k,
			   ward_err *err);
void ward_ima_key_release(struct ward_ima_key *k);
/* where: the field in errors ("config.json: linux.integrity.keys"). */
int ward_ima_keyring_load(struct ward_ima_keyring *r, char **paths, size_t n, X509_STORE *ca,
			  const char *where, ward_err *err);
void ward_ima_keyring_release(struct ward_ima_keyring *r);

/* ---- sig.c: security.ima v2 signatures ---- */
struct ward_ima_sig {
	uint8_t hash_algo; /* the kernel's enum hash_algo */
	uint32_t keyid;
	const uint8_t *sig; /* points into the parsed value */
	size_t sig_len;
};
/* OpenSSL's name of a kernel hash_algo a signature may use (NULL: refused). */
const char *ward_ima_hash_algo_name(uint8_t id, size_t *len);
int ward_ima_sig_parse(const uint8_t *v, size_t len, struct ward_ima_sig *out, ward_err *err);
bool ward_ima_sig_verify(const struct ward_ima_key *key, const struct ward_ima_sig *sig,
			 const uint8_t *digest, size_t digest_len);
const struct ward_ima_key *ward_ima_keyring_find(const struct ward_ima_keyring *r, uint32_t keyid);

/* ---- allowlist.c: sha256sum-style digests ---- */
struct ward_allowlist {
	uint8_t (*digests)[WARD_SHA256_LEN]; /* sorted */
	size_t n;
};
int ward_allowlist_parse(const char *text, size_t len, const char *where, struct ward_allowlist *a,
			 ward_err *err);
int ward_allowlist_load(const char *path, const char *where, struct ward_allowlist *a,
			ward_err *err);
bool ward_allowlist_has(const struct ward_allowlist *a, const uint8_t digest[WARD_SHA256_LEN]);
void ward_allowlist_release(struct ward_allowlist *a);

/* ---- manifest.c: detached signatures (getfattr --dump text) ---- */
struct ward_manifest_entry {
	char *path; /* relative to the container's root */
	uint8_t *sig;
	size_t sig_len;
};
struct ward_manifest {
	struct ward_manifest_entry *slots; /* open addressing */
	size_t cap, n;
};
int ward_manifest_parse(const char *text, size_t len, const char *where, struct ward_manifest *m,
			ward_err *err);
int ward_manifest_load(const char *path, const char *where, struct ward_manifest *m, ward_err *err);
const struct ward_manifest_entry *ward_manifest_find(const struct ward_manifest *m,
						     const char *path);
void ward_manifest_release(struct ward_manifest *m);

/* ---- policy.c: the policy in force, the host's settings ---- */
struct ward_integrity_host {
	char **ca; /* trusted CA certificates: keys must chain to one */
	size_t n_ca;
	char *host_list; /* directory of the host-wide list, or NULL: none */
	char *conf_path; /* the file read, or NULL */
};
int ward_integrity_host_load(struct ward_integrity_host *h, ward_err *err);
/* A file's text, if only root could have written it (ward_open_trusted). */
int ward_integrity_read_trusted(const char *path, char **text, size_t *len, ward_err *err);
void ward_integrity_host_release(struct ward_integrity_host *h);

struct ward_integrity_policy {
	struct ward_integrity_conf conf;
	struct ward_ima_keyring keys;
	struct ward_allowlist allow;
	struct ward_manifest sigs;
};
int ward_integrity_policy_load(struct ward_integrity_policy *p, const struct ward_integrity_host *h,
			       const char *where, ward_err *err);
void ward_integrity_policy_release(struct ward_integrity_policy *p);
json_t *ward_integrity_policy_json(const struct ward_integrity_policy *p);

/* ---- cache.c, appraise.c: verdicts by (device, inode, change cookie) ---- */
struct ward_cookie { /* all 64-bit: compared with memcmp */
	uint64_t dev, ino;
	uint64_t ctime_sec, ctime_nsec, mtime_sec, mtime_nsec, size;
};
struct stat;
void ward_cookie_of(const struct stat *st, struct ward_cookie *k);

struct ward_verdict {
	bool used;
	struct ward_cookie cookie;
	bool ok;	     /* passes the policy in force */
	bool measured;	     /* in the container's list */
	bool host_logged;    /* root ran it: in the host list */
	bool failure_logged; /* appraise-log: its failure was recorded */
	uint8_t sha256[WARD_SHA256_LEN];
};
struct ward_cache {
	struct ward_verdict *slots;
	size_t cap, n;
};
void ward_cache_init(struct ward_cache *c);
void ward_cache_release(struct ward_cache *c);
void ward_cache_clear(struct ward_cache *c);
struct ward_verdict *ward_cache_find(struct ward_cache *c, const struct ward_cookie *k);
struct ward_verdict *ward_cache_put(struct ward_cache *c, const struct ward_cookie *k);

#define WARD_IMA_SIG_MAX 4096
struct ward_appraisal {
	uint8_t sha256[WARD_SHA256_LEN];
	uint8_t sig_digest[WARD_DIGEST_MAX]; /* in the signature's algorithm, when not sha256 */
	uint8_t sig[WARD_IMA_SIG_MAX];	     /* the signature found, for ima-sig */
	size_t sig_len;
	const char *sig_source; /* "xattr" or "detached" */
	bool ok;
	const char *how;  /* "signature", "allow-list", "measured" */
	char reason[256]; /* why not ok */
	bool changed;	  /* written to while hashed: a violation */
	uint64_t bytes;
};
typedef void (*ward_integrity_beat_fn)(void *arg);
/* Hash fd (twice more if it changes meanwhile) and judge it; *cookie: the
 * file's state the verdict is for. */
int ward_appraise_fd(const struct ward_integrity_policy *p, int fd, const char *path,
		     struct ward_cookie *cookie, ward_integrity_beat_fn beat, void *arg,
		     struct ward_appraisal *a, ward_err *err);
/* Judge an appraisal again by another policy p (a nested namespace's): its
 * own signature source, the digest already taken. */
void ward_appraise_rejudge(const struct ward_integrity_policy *p, int fd, const char *path,
			   struct ward_appraisal *a);

/* ---- monitor.c, record.c, guard.c, ctl.c: the monitor process ---- */
struct ward_audit;
struct ward_cgseen {
	uint64_t id;
	bool inside;
};
struct ward_subject {
	pid_t pid;
	uid_t ruid, euid; /* as the host sees them */
	bool inside;	  /* one of the container's processes */
	bool root;	  /* root of the container (every uid without a user namespace) */
};
/* A namespace nested in the container (nest.c): a ward inside it asked. */
#define WARD_NEST_MAX 16
struct ward_child {
	int index;
	char id[256], audit_id[40];
	struct ward_integrity_policy pol;
	bool replaced;
	struct ward_mlist list;
	bool has_list;
	uid_t root_uid; /* host uid of its root ((uid_t)-1: every uid) */
	pid_t init_pid;
	int init_pidfd;
	int dirfd;	  /* integrity/nested/N */
	uint64_t mnt[64]; /* the mount IDs that are its */
	size_t n_mnt;
	struct ward_cache cache;
	uint64_t measured, denied;
};
struct ward_monitor {
	char id[256];
	char audit_id[40];
	pid_t init_pid;
	int init_pidfd;
	uint64_t cgid;	   /* the container's cgroup v2 id (0: none; all count as inside) */
	char cgpath[4096]; /* its path in the v2 hierarchy */
	struct ward_cgseen cgseen[64];
	size_t n_cgseen;
	uid_t root_uid; /* host uid of the container's root, (uid_t)-1: no user namespace */
	struct ward_integrity_policy pol;
	struct ward_integrity_host hostconf; /* the host's CAs, for a replacement's keys */
	bool replaced;			     /* the one replacement happened */
	struct ward_mlist list;
	bool has_list;
	struct ward_mlist host;
	bool has_host;
	struct ward_audit *audit; /* the monitor's own (copied from create's) */
	int fan_fd;
	int ctl_fd;	 /* listening control socket */
	int beat_fd;	 /* heartbeat pipe to the guard (write end) */
	int beat_rd;	 /* its read end, kept for a new guard */
	int guard_pidfd; /* -1 when none */
	pid_t guard_pid;
	int dirfd;	/* the container's integrity directory */
	json_t *cgroup; /* the state's runtime data (its "cgroup"), for the guard */
	struct ward_cache cache;
	size_t ignore_marks;
	bool no_pidfd_info;
	bool init_dead, stopping;
	double last_beat;
	uint64_t events, measured, denied, hashed;
	int nest_fd; /* <list>/ward-nest.sock, in the container's view, or -1 */
	struct ward_child *children[WARD_NEST_MAX];
	size_t n_children;
};
/* Whose records: the container, or a namespace nested in it (nest.c). */
struct ward_target {
	const char *id, *audit_id;
	const struct ward_integrity_policy *pol;
	struct ward_mlist *list; /* NULL: it keeps none */
};
struct ward_target ward_monitor_self(struct ward_monitor *m);
void ward_monitor_beat(void *arg);
void ward_monitor_subject(struct ward_monitor *m, pid_t pid, int pidfd, struct ward_subject *s);
/* The host id of the container's id 0 in /proc/PID/{uid,gid}_map, or -1. */
long ward_integrity_root_of(pid_t pid, const char *map);
int ward_monitor_events(struct ward_monitor *m);
void ward_monitor_measure(struct ward_monitor *m, struct ward_verdict *v,
			  const struct ward_appraisal *a, const char *path,
			  const struct ward_subject *s);
void ward_monitor_list_file(struct ward_monitor *m, const struct ward_target *t,
			    struct ward_mlist *l, const struct ward_appraisal *a, const char *path);
void ward_monitor_failure_record(struct ward_monitor *m, const struct ward_target *t,
				 const struct ward_appraisal *a, const char *path,
				 const struct ward_subject *s);
void ward_monitor_denial_record(struct ward_monitor *m, const struct ward_target *t,
				const struct ward_verdict *v, const char *path,
				const struct ward_subject *s);
void ward_monitor_host_record(struct ward_monitor *m, const struct ward_target *t,
			      struct ward_verdict *v, const char *path,
			      const struct ward_subject *s);
int ward_monitor_policy_records(struct ward_monitor *m, const struct ward_target *t, bool first,
				ward_err *err);
int ward_monitor_loop(struct ward_monitor *m);
int ward_guard_spawn(struct ward_monitor *m, ward_err *err);
void ward_guard_reap(struct ward_monitor *m);
void ward_guard_kill_container(json_t *extra, int init_pidfd);
int ward_ctl_listen(int dirfd, ward_err *err);
void ward_ctl_serve(struct ward_monitor *m);
json_t *ward_ctl_handle(struct ward_monitor *m, json_t *req);
/* One JSON reply (or request) line. */
int ward_ctl_write(int fd, json_t *j);
/* A request to the monitor of the container whose integrity dir is dirfd. */
json_t *ward_ctl_request(int dirfd, json_t *req, ward_err *err);

/* ---- nest.c: namespaces nested in the container ---- */
int ward_nest_listen(struct ward_monitor *m, int listdir, gid_t gid, ward_err *err);
void ward_nest_serve(struct ward_monitor *m);
struct ward_child *ward_nest_of_fd(struct ward_monitor *m, int fd);
struct ward_target ward_nest_target(struct ward_child *ch);
json_t *ward_nest_replace(struct ward_monitor *m, struct ward_child *ch, json_t *req);
/* A nested policy from a request (the contents of its keys, allow-list, signatures). */
int ward_nest_policy(struct ward_monitor *m, struct ward_child *ch, json_t *req, ward_err *err);
void ward_nest_free(struct ward_child *ch);
uint32_t ward_nest_decide(struct ward_monitor *m, struct ward_child *ch, int fd, bool exec,
			  const struct ward_subject *s, const struct stat *st);
/* The inner ward's side (nestc.c): is there a parent to ask, and asking. */
const char *ward_nest_parent(void);
json_t *ward_nest_request(const char *sock, json_t *req, int fd, int out_fd, ward_err *err);
json_t *ward_nest_policy_request(const char *op, const struct ward_integrity_policy *p,
				 ward_err *err);
int ward_nest_start(const struct ward_integrity_policy *p, const struct ward_integrity_launch *l,
		    const char *sock, ward_err *err);
/* req (taken) about the container's nested namespace; *nested false (and
 * NULL) when it has none. out_fd receives a list's bytes. */
json_t *ward_nest_ask(int dirfd, json_t *req, int out_fd, bool *nested, ward_err *err);

/* ---- mounts.c: the container's side, set up from outside ---- */
int ward_integrity_mark_mounts(int fan, pid_t pid, uint64_t mask, json_t *marked, ward_err *err);
/* 0, 1 when the kernel has no such setting, -1. */
int ward_integrity_memfd_noexec(pid_t pid, ward_err *err);
int ward_integrity_mount_list(pid_t pid, int dirfd, const char *target, ward_err *err);

/* n bytes from exactly 2n lower-case hex digits: 0, or -1. */
int ward_unhex(const char *hex, uint8_t *out, size_t n);
/* Hex of n bytes into out (2n+1). */
void ward_hex(const uint8_t *in, size_t n, char *out);
/* SHA-256 / SHA-1 of a buffer. */
void ward_sha256(const void *data, size_t len, uint8_t out[WARD_SHA256_LEN]);

#endif
