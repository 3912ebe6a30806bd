/* A container's keys: X.509 certificates (PEM or DER) from host paths,
 * each accepted only if it chains to a CA the host trusts when the host
 * configures one (/etc/ward/integrity.json "ca"), as IMA accepts only keys
 * signed by a key in the kernel's builtin or secondary keyring.
 *
 * A key is named in signatures by a 32-bit ID: the last 4 bytes of the SHA-1
 * of its public key (what evmctl computes), or of its SubjectKeyIdentifier
 * (what evmctl uses with a certificate); both are tried. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "crypto_dl.h"
#include "integrity.h"

static uint32_t last4(const unsigned char *p, size_t n)
{
	return (uint32_t)p[n - 4] << 24 | (uint32_t)p[n - 3] << 16 | (uint32_t)p[n - 2] << 8 |
	       p[n - 1];
}

static const char *openssl_reason(void)
{
	unsigned long e = ward_ossl.ERR_get_error();
	const char *r = e ? ward_ossl.ERR_reason_error_string(e) : NULL;
	ward_ossl.ERR_clear_error();
	return r ? r : "not a certificate";
}

/* PEM or DER, whichever the text is. */
static X509 *parse_cert(const char *text, size_t len)
{
	BIO *b = ward_ossl.BIO_new_mem_buf(text, (int)len);
	X509 *x = b ? ward_ossl.PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	ward_ossl.BIO_free(b);
	if (!x) {
		ward_ossl.ERR_clear_error();
		const unsigned char *p = (const unsigned char *)text;
		x = ward_ossl.d2i_X509(NULL, &p, (long)len);
	}
	return x;
}

static int read_cert(const char *path, X509 **out, ward_err *err)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	if (ward_integrity_read_trusted(path, &text, &len, err) < 0)
		return -1;
	*out = parse_cert(text, len);
	if (!*out)
		return ward_err_set(err, "%s: not an X.509 certificate (PEM or DER): %s", path,
				    openssl_reason());
	return 0;
}

int ward_ima_ca_load(char **paths, size_t n, X509_STORE **out, ward_err *err)
{
	*out = NULL;
	if (!n)
		return 0;
	if (ward_crypto_load(err) < 0)
		return -1;
	X509_STORE *st = ward_ossl.X509_STORE_new();
	if (!st)
		return ward_err_sys(err, ENOMEM, "CA store");
	for (size_t i = 0; i < n; i++) {
		X509 *x = NULL;
		if (read_cert(paths[i], &x, err) < 0) {
			ward_ossl.X509_STORE_free(st);
			return -1;
		}
		ward_ossl.X509_STORE_add_cert(st, x);
		ward_ossl.X509_free(x);
	}
	*out = st;
	return 0;
}

static int check_chain(X509 *x, X509_STORE *ca, const char *path, ward_err *err)
{
	X509_STORE_CTX *ctx = ward_ossl.X509_STORE_CTX_new();
	if (!ctx || ward_ossl.X509_STORE_CTX_init(ctx, ca, x, NULL) != 1) {
		ward_ossl.X509_STORE_CTX_free(ctx);
		return ward_err_sys(err, ENOMEM, "%s: verify", path);
	}
	int ok = ward_ossl.X509_verify_cert(ctx);
	int code = ward_ossl.X509_STORE_CTX_get_error(ctx);
	ward_ossl.X509_STORE_CTX_free(ctx);
	ward_ossl.ERR_clear_error();
	if (ok != 1)
		return ward_err_set(err, "%s: not certified by a CA the host trusts: %s", path,
				    ward_ossl.X509_verify_cert_error_string(code));
	return 0;
}

static int key_ids(X509 *x, struct ward_ima_key *k)
{
	const ASN1_BIT_STRING *bits = ward_ossl.X509_get0_pubkey_bitstr(x);
	if (!bits || bits->length < 4)
		return -1;
	unsigned char sha1[SHA_DIGEST_LENGTH];
	ward_ossl.SHA1(bits->data, (size_t)bits->length, sha1);
	k->keyid = last4(sha1, sizeof(sha1));
	const ASN1_OCTET_STRING *skid = ward_ossl.X509_get0_subject_key_id(x);
	if (skid && skid->length >= 4) {
		k->has_skid = true;
		k->skid = last4(skid->data, (size_t)skid->length);
	}
	return 0;
}

/* A key from its certificate; name says where it came from in errors. */
static int key_from_cert(X509 *x, const char *name, X509_STORE *ca, struct ward_ima_key *k,
			 ward_err *err)
{
	uint32_t usage = ward_ossl.X509_get_key_usage(x);
	if (ca && check_chain(x, ca, name, err) < 0)
		return -1;
	/* A signing key: the digitalSignature use, when the certificate limits its uses. */
	if (usage != UINT32_MAX && !(usage & KU_DIGITAL_SIGNATURE))
		return ward_err_set(err,
				    "%s: the certificate's key usage does not allow digital "
				    "signatures",
				    name);
	k->pkey = ward_ossl.X509_get_pubkey(x);
	if (!k->pkey || key_ids(x, k) < 0)
		return ward_err_set(err, "%s: no usable public key", name);
	int n = ward_ossl.i2d_X509(x, &k->der);
	k->der_len = n > 0 ? (size_t)n : 0;
	ward_ossl.X509_NAME_oneline(ward_ossl.X509_get_subject_name(x), k->subject,
				    sizeof(k->subject));
	snprintf(k->path, sizeof(k->path), "%s", name);
	return 0;
}

int ward_ima_key_load(const char *path, X509_STORE *ca, struct ward_ima_key *k, ward_err *err)
{
	memset(k, 0, sizeof(*k));
	X509 *x = NULL;
	if (ward_crypto_load(err) < 0 || read_cert(path, &x, err) < 0)
		return -1;
	int r = key_from_cert(x, path, ca, k, err);
	ward_ossl.X509_free(x);
	if (r < 0)
		ward_ima_key_release(k);
	return r;
}

int ward_ima_key_from_text(const char *text, size_t len, X509_STORE *ca, struct ward_ima_key *k,
			   ward_err *err)
{
	memset(k, 0, sizeof(*k));
	if (ward_crypto_load(err) < 0)
		return -1;
	X509 *x = parse_cert(text, len);
	if (!x)
		return ward_err_set(err, "not an X.509 certificate (PEM): %s", openssl_reason());
	int r = key_from_cert(x, "(sent)", ca, k, err);
	ward_ossl.X509_free(x);
	if (r < 0)
		ward_ima_key_release(k);
	return r;
}

void ward_ima_key_release(struct ward_ima_key *k)
{
	/* Either is only set once libcrypto is loaded: a key never loaded
	 * (a failed load, a zeroed keyring) needs no table. */
	if (k->pkey)
		ward_ossl.EVP_PKEY_free(k->pkey);
	if (k->der)
		ward_ossl.CRYPTO_free(k->der, OPENSSL_FILE, OPENSSL_LINE);
	memset(k, 0, sizeof(*k));
}

int ward_ima_keyring_load(struct ward_ima_keyring *r, char **paths, size_t n, X509_STORE *ca,
			  const char *where, ward_err *err)
{
	memset(r, 0, sizeof(*r));
	if (!n)
		return 0;
	r->keys = calloc(n, sizeof(*r->keys));
	if (!r->keys)
		return ward_err_sys(err, ENOMEM, "keys");
	for (size_t i = 0; i < n; i++) {
		if (ward_ima_key_load(paths[i], ca, &r->keys[i], err) < 0) {
			ward_ima_keyring_release(r);
			return ward_err_wrap(err, "%s[%zu]", where, i);
		}
		r->n++;
	}
	return 0;
}

void ward_ima_keyring_release(struct ward_ima_keyring *r)
{
	for (size_t i = 0; i < r->n; i++)
		ward_ima_key_release(&r->keys[i]);
	free(r->keys);
	memset(r, 0, sizeof(*r));
}
