/* Hash one file through the fd fanotify opened for us and judge it by the
 * policy: a security.ima signature (the file's xattr, else its detached
 * signature) verified with the container's keys, or its digest on the
 * allow-list. The file is read through that fd only: opening it by a path
 * the container chose would follow the container's symlinks, and would
 * block on our own mark. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "crypto_dl.h"
#include "integrity.h"

#define CHUNK	   (256 * 1024)
#define HASH_TRIES 3

void ward_cookie_of(const struct stat *st, struct ward_cookie *k)
{
	*k = (struct ward_cookie){
	    .dev = st->st_dev,
	    .ino = st->st_ino,
	    .ctime_sec = (uint64_t)st->st_ctim.tv_sec,
	    .ctime_nsec = (uint64_t)st->st_ctim.tv_nsec,
	    .mtime_sec = (uint64_t)st->st_mtim.tv_sec,
	    .mtime_nsec = (uint64_t)st->st_mtim.tv_nsec,
	    .size = (uint64_t)st->st_size,
	};
}

/* The signature to check: the xattr, else the detached one for path. */
static void find_signature(const struct ward_integrity_policy *p, int fd, const char *path,
			   struct ward_appraisal *a)
{
	ssize_t n = fgetxattr(fd, "security.ima", a->sig, sizeof(a->sig));
	if (n > 0) {
		a->sig_len = (size_t)n;
		a->sig_source = "xattr";
		return;
	}
	const struct ward_manifest_entry *e = ward_manifest_find(&p->sigs, path);
	if (e && e->sig_len <= sizeof(a->sig)) {
		memcpy(a->sig, e->sig, e->sig_len);
		a->sig_len = e->sig_len;
		a->sig_source = "detached";
	}
}

static int hash_once(int fd, const EVP_MD *extra_md, struct ward_appraisal *a,
		     ward_integrity_beat_fn beat, void *arg, ward_err *err)
{
	static unsigned char buf[CHUNK];
	EVP_MD_CTX *c256 = ward_ossl.EVP_MD_CTX_new(),
		   *cx = extra_md ? ward_ossl.EVP_MD_CTX_new() : NULL;
	int r = -1;
	if (!c256 || (extra_md && !cx) ||
	    ward_ossl.EVP_DigestInit_ex(c256, ward_ossl.EVP_sha256(), NULL) != 1 ||
	    (cx && ward_ossl.EVP_DigestInit_ex(cx, extra_md, NULL) != 1)) {
		ward_err_sys(err, ENOMEM, "hash");
		goto out;
	}
	off_t off = 0;
	for (;;) {
		ssize_t n = pread(fd, buf, sizeof(buf), off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ward_err_sys(err, errno, "read");
			goto out;
		}
		if (n == 0)
			break;
		ward_ossl.EVP_DigestUpdate(c256, buf, (size_t)n);
		if (cx)
			ward_ossl.EVP_DigestUpdate(cx, buf, (size_t)n);
		off += n;
		/* A large file must not make a live monitor look hung. */
		if (beat && (off & (64 * 1024 * 1024 - 1)) == 0)
			beat(arg);
	}
	unsigned int len;
	ward_ossl.EVP_DigestFinal_ex(c256, a->sha256, &len);
	if (cx)
		ward_ossl.EVP_DigestFinal_ex(cx, a->sig_digest, &len);
	a->bytes += (uint64_t)off;
	r = 0;
out:
	ward_ossl.EVP_MD_CTX_free(c256);
	ward_ossl.EVP_MD_CTX_free(cx);
	return r;
}

static void judge(const struct ward_integrity_policy *p, struct ward_appraisal *a)
{
	if (p->conf.mode < WARD_INTEGRITY_APPRAISE_LOG) {
		a->ok = true;
		a->how = "measured";
		return;
	}
	if (ward_allowlist_has(&p->allow, a->sha256)) {
		a->ok = true;
		a->how = "allow-list";
		return;
	}
	if (!a->sig_len) {
		snprintf(a->reason, sizeof(a->reason), "no signature%s",
			 p->allow.n ? " and not on the allow-list" : "");
		return;
	}
	struct ward_ima_sig sig;
	ward_err e = {0};
	if (ward_ima_sig_parse(a->sig, a->sig_len, &sig, &e) < 0) {
		snprintf(a->reason, sizeof(a->reason), "%s signature: %s", a->sig_source, e.msg);
		return;
	}
	const struct ward_ima_key *key = ward_ima_keyring_find(&p->keys, sig.keyid);
	if (!key) {
		snprintf(a->reason, sizeof(a->reason),
			 "%s signature by key %08x, not one of the "
			 "container's keys",
			 a->sig_source, sig.keyid);
		return;
	}
	const uint8_t *d = sig.hash_algo == 4 ? a->sha256 : a->sig_digest;
	size_t dlen = 0;
	ward_ima_hash_algo_name(sig.hash_algo, &dlen);
	if (!ward_ima_sig_verify(key, &sig, d, dlen)) {
		snprintf(a->reason, sizeof(a->reason),
			 "%s signature does not verify with key %08x "
			 "(the file changed, or another file's signature)",
			 a->sig_source, sig.keyid);
		return;
	}
	a->ok = true;
	a->how = "signature";
}

int ward_appraise_fd(const struct ward_integrity_policy *p, int fd, const char *path,
		     struct ward_cookie *cookie, ward_integrity_beat_fn beat, void *arg,
		     struct ward_appraisal *a, ward_err *err)
{
	memset(a, 0, sizeof(*a));
	if (ward_crypto_load(err) < 0)
		return -1;
	find_signature(p, fd, path, a);
	/* A signature made with another algorithm needs that digest too. */
	const EVP_MD *extra = NULL;
	if (a->sig_len >= 3 && a->sig[0] == 0x03 && a->sig[2] != 4) {
		const char *name = ward_ima_hash_algo_name(a->sig[2], NULL);
		extra = name ? ward_ossl.EVP_get_digestbyname(name) : NULL;
	}
	for (int tries = 0;; tries++) {
		struct stat before, after;
		if (fstat(fd, &before) < 0 || hash_once(fd, extra, a, beat, arg, err) < 0 ||
		    fstat(fd, &after) < 0)
			return err->msg[0] ? -1 : ward_err_sys(err, errno, "fstat");
		struct ward_cookie kb, ka;
		ward_cookie_of(&before, &kb);
		ward_cookie_of(&after, &ka);
		if (memcmp(&kb, &ka, sizeof(kb)) == 0) {
			*cookie = ka;
			break;
		}
		/* Written to while we read it: what we hashed may not be what
		 * runs. IMA calls this a violation; after a few tries, so do we. */
		if (tries + 1 == HASH_TRIES) {
			*cookie = ka;
			a->changed = true;
			break;
		}
	}
	judge(p, a);
	if (a->changed && a->ok) {
		a->ok = p->conf.mode < WARD_INTEGRITY_APPRAISE_LOG;
		snprintf(a->reason, sizeof(a->reason), "the file changed while it was measured");
	}
	return 0;
}

void ward_appraise_rejudge(const struct ward_integrity_policy *p, int fd, const char *path,
			   struct ward_appraisal *a)
{
	bool changed = a->changed;
	uint8_t sig_algo = a->sig_len >= 3 ? a->sig[2] : 0;
	a->sig_len = 0;
	a->sig_source = NULL;
	a->ok = false;
	a->how = NULL;
	a->reason[0] = '\0';
	find_signature(p, fd, path, a);
	/* Only the digests taken once: sha256, and the first policy's other one. */
	if (a->sig_len >= 3 && a->sig[2] != 4 && a->sig[2] != sig_algo) {
		snprintf(a->reason, sizeof(a->reason),
			 "signature with hash algorithm %u: only sha256 "
			 "in a nested namespace",
			 a->sig[2]);
		return;
	}
	judge(p, a);
	if (changed && a->ok && p->conf.mode >= WARD_INTEGRITY_APPRAISE_LOG) {
		a->ok = false;
		snprintf(a->reason, sizeof(a->reason), "the file changed while it was measured");
	}
}
