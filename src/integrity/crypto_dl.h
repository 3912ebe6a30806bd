/* OpenSSL's libcrypto, loaded when the integrity layer first needs it.
 *
 * Only integrity uses libcrypto, and loading the shared library (relocating
 * ~4.7 MB) costs a process about a millisecond; linking it statically made
 * ward's binary 6.9 MB, which the sealed re-exec (protect.c) copies on every
 * create and exec that takes it. So ward links no libcrypto at all: the
 * integrity code calls OpenSSL through the table ward_ossl, which
 * ward_crypto_load fills with dlopen/dlsym, once, in the process that needs
 * it (create's, before anything is made, and the monitor it forks inherits
 * it). ward-static, which cannot dlopen, fills the same table from the
 * libcrypto.a it links (WARD_CRYPTO_STATIC): the callers are the same.
 *
 * The rule: every integrity function with a ward_err that reaches OpenSSL
 * calls ward_crypto_load first (a flag test once loaded). The void ones
 * (ward_pcr_extend, ward_ima_sig_verify, the releases) only ever see what
 * such a function made, so the table is there. Load only on the host's side:
 * a dlopen inside a container's mount namespace would run its libcrypto. */
#ifndef WARD_INTEGRITY_CRYPTO_DL_H
#define WARD_INTEGRITY_CRYPTO_DL_H

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdbool.h>

#include "../util/err.h"

/* OpenSSL 3's soname (Debian 12: package libssl3). */
#define WARD_LIBCRYPTO "libcrypto.so.3"

/* Every function ward calls, by its OpenSSL name. Macros of OpenSSL's are
 * spelt out at the call: BIO_get_mem_data is BIO_ctrl(BIO_CTRL_INFO),
 * OPENSSL_free is CRYPTO_free. */
#define WARD_CRYPTO_FUNCS(X)                                                                       \
	X(BIO_ctrl)                                                                                \
	X(BIO_free)                                                                                \
	X(BIO_new)                                                                                 \
	X(BIO_new_mem_buf)                                                                         \
	X(BIO_s_mem)                                                                               \
	X(CRYPTO_free)                                                                             \
	X(ERR_clear_error)                                                                         \
	X(ERR_get_error)                                                                           \
	X(ERR_reason_error_string)                                                                 \
	X(EVP_DecodeBlock)                                                                         \
	X(EVP_Digest)                                                                              \
	X(EVP_DigestFinal_ex)                                                                      \
	X(EVP_DigestInit_ex)                                                                       \
	X(EVP_DigestUpdate)                                                                        \
	X(EVP_MD_CTX_free)                                                                         \
	X(EVP_MD_CTX_new)                                                                          \
	X(EVP_PKEY_CTX_free)                                                                       \
	X(EVP_PKEY_CTX_new)                                                                        \
	X(EVP_PKEY_CTX_set_signature_md)                                                           \
	X(EVP_PKEY_free)                                                                           \
	X(EVP_PKEY_verify)                                                                         \
	X(EVP_PKEY_verify_init)                                                                    \
	X(EVP_get_digestbyname)                                                                    \
	X(EVP_sha256)                                                                              \
	X(OpenSSL_version)                                                                         \
	X(PEM_read_bio_X509)                                                                       \
	X(PEM_write_bio_X509)                                                                      \
	X(SHA1)                                                                                    \
	X(X509_NAME_oneline)                                                                       \
	X(X509_STORE_CTX_free)                                                                     \
	X(X509_STORE_CTX_get_error)                                                                \
	X(X509_STORE_CTX_init)                                                                     \
	X(X509_STORE_CTX_new)                                                                      \
	X(X509_STORE_add_cert)                                                                     \
	X(X509_STORE_free)                                                                         \
	X(X509_STORE_new)                                                                          \
	X(X509_free)                                                                               \
	X(X509_get0_pubkey_bitstr)                                                                 \
	X(X509_get0_subject_key_id)                                                                \
	X(X509_get_key_usage)                                                                      \
	X(X509_get_pubkey)                                                                         \
	X(X509_get_subject_name)                                                                   \
	X(X509_verify_cert)                                                                        \
	X(X509_verify_cert_error_string)                                                           \
	X(d2i_X509)                                                                                \
	X(i2d_X509)

/* Each member has the type of OpenSSL's own prototype: a header that does
 * not match the library ward was built against fails to compile. */
#define WARD_CRYPTO_MEMBER(f) __typeof__(&f) f;
struct ward_crypto_table {
	WARD_CRYPTO_FUNCS(WARD_CRYPTO_MEMBER)
};
#undef WARD_CRYPTO_MEMBER

/* The table; only valid once ward_crypto_load returned 0. */
extern struct ward_crypto_table ward_ossl;

/* Load libcrypto and fill ward_ossl (once; 0 at once when it is). A missing
 * library or symbol is an error naming it; the table stays unset. */
int ward_crypto_load(ward_err *err);
bool ward_crypto_loaded(void);
/* Resolve every function from the library soname into *t, without touching
 * ward_ossl (for tests: a library that is not libcrypto must be refused).
 * ward-static has no dynamic loader: there it fails. */
int ward_crypto_open(const char *soname, struct ward_crypto_table *t, ward_err *err);

#endif
