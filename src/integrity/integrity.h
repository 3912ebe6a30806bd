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

#define WARD_IMA_PCR	    10 /* IMA's PCR, so tools that expect it find it */
#define WARD_SHA1_LEN	    20
#define WARD_SHA256_LEN	    32
#define WARD_DIGEST_MAX	    64
#define WARD_IMA_NAME_MAX   4096

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
	const char *name;	 /* path, or the event's name (ima-buf) */
	const uint8_t *extra;	 /* the signature (ima-sig) or the buffer (ima-buf) */
	size_t extra_len;
};

/* A record in both encodings, with its template digests. */
struct ward_ima_record {
	uint8_t *binary; /* as binary_runtime_measurements holds it */
	size_t binary_len;
	char *ascii; /* one line of ascii_runtime_measurements, '\n' included */
	size_t ascii_len;
	uint8_t sha1[WARD_SHA1_LEN];	 /* template digests (zero for a violation) */
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
	bool shared; /* other processes append too: lock, reread the PCR */
	struct ward_pcr pcr;
	uint64_t count, violations;
};
/* Open (create: make ima/ with files readable by group gid, or (gid_t)-1). */
int ward_mlist_open(struct ward_mlist *l, int dirfd, bool create, bool shared, gid_t gid,
		    ward_err *err);
/* Write the PCR file of a new list (all zeros, no records). */
int ward_mlist_init(struct ward_mlist *l, ward_err *err);
int ward_mlist_append(struct ward_mlist *l, const struct ward_ima_entry *e, ward_err *err);
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
	char *allow_list; /* sha256sum-style digests (host path) */
	char *signatures; /* detached signatures: getfattr --dump text (host path) */
	bool libraries;	  /* ELF files opened are measured and appraised */
	bool children_all; /* nested containers' non-root activity goes upward too */
	bool locked;	  /* the policy cannot be replaced */
	bool keep;	  /* the lists outlive delete */
	char *list_path;  /* where the container sees its list, or NULL */
	int timeout_s;	  /* a monitor silent this long counts as hung */
	bool freeze_on_loss; /* freeze instead of kill when the monitor is lost */
};
void ward_integrity_conf_init(struct ward_integrity_conf *c);
void ward_integrity_conf_release(struct ward_integrity_conf *c);
/* From a config document (linux.integrity, annotations); file names the
 * document in errors ("config.json"). Without either, mode is off and
 * present false. */
int ward_integrity_conf_parse(json_t *config, const char *file, struct ward_integrity_conf *c,
			      ward_err *err);
/* Apply one object's fields (where: "config.json: linux.integrity"). */
int ward_integrity_conf_object(struct ward_integrity_conf *c, json_t *obj, const char *where,
			       bool policy_only, ward_err *err);

/* Hex of n bytes into out (2n+1). */
void ward_hex(const uint8_t *in, size_t n, char *out);
/* SHA-256 / SHA-1 of a buffer. */
void ward_sha256(const void *data, size_t len, uint8_t out[WARD_SHA256_LEN]);

#endif
