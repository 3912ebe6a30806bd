/* security.ima signatures as `evmctl ima_sign` writes them (the kernel's
 * "digital signature v2", include/linux/integrity.h and ima-evm-utils):
 *
 *   u8  type      0x03 EVM_IMA_XATTR_DIGSIG
 *   u8  version   2
 *   u8  hash_algo the kernel's enum hash_algo (4 = sha256, ...)
 *   u32 keyid     big-endian: the last 4 bytes of the key's identifier
 *   u16 sig_size  big-endian
 *   u8  sig[]     EVP_PKEY_sign over the file digest: RSA PKCS#1 v1.5 with
 *                 the algorithm's DigestInfo, or ECDSA (DER)
 *
 * A detached signature (signatures file) is the same bytes. Digest-only
 * values (0x01, 0x04: `evmctl ima_hash`) prove nothing here: whoever can
 * write the file can write its xattr, so only signatures count. */
#include <arpa/inet.h>
#include <string.h>

#include "crypto_dl.h"
#include "integrity.h"

#define EVM_IMA_XATTR_DIGSIG 0x03
#define DIGSIG_VERSION_2     2
#define V2_HEADER	     (1 + 1 + 1 + 4 + 2)

/* The kernel's enum hash_algo, for the algorithms a signature may use. */
static const struct {
	uint8_t id;
	const char *name;
	size_t len;
} algos[] = {
    {4, "sha256", 32},
    {5, "sha384", 48},
    {6, "sha512", 64},
    {7, "sha224", 28},
};

const char *ward_ima_hash_algo_name(uint8_t id, size_t *len)
{
	for (size_t i = 0; i < sizeof(algos) / sizeof(algos[0]); i++)
		if (algos[i].id == id) {
			if (len)
				*len = algos[i].len;
			return algos[i].name;
		}
	return NULL;
}

int ward_ima_sig_parse(const uint8_t *v, size_t len, struct ward_ima_sig *out, ward_err *err)
{
	if (len < 1)
		return ward_err_set(err, "empty value");
	if (v[0] == 0x01 || v[0] == 0x04)
		return ward_err_set(err, "a bare digest, not a signature (evmctl ima_hash); only "
					 "signatures are accepted");
	if (v[0] != EVM_IMA_XATTR_DIGSIG)
		return ward_err_set(err, "unknown type 0x%02x", v[0]);
	if (len < V2_HEADER)
		return ward_err_set(err, "truncated signature header");
	if (v[1] != DIGSIG_VERSION_2)
		return ward_err_set(err, "signature version %u (only 2 is known)", v[1]);
	out->hash_algo = v[2];
	if (!ward_ima_hash_algo_name(v[2], NULL))
		return ward_err_set(err,
				    "unsupported hash algorithm %u (sha224, sha256, sha384 and "
				    "sha512 are accepted)",
				    v[2]);
	uint32_t kid;
	uint16_t size;
	memcpy(&kid, v + 3, 4);
	memcpy(&size, v + 7, 2);
	out->keyid = ntohl(kid);
	out->sig_len = ntohs(size);
	if (out->sig_len == 0 || out->sig_len != len - V2_HEADER)
		return ward_err_set(err, "signature size %zu does not match the value (%zu bytes)",
				    out->sig_len, len - V2_HEADER);
	out->sig = v + V2_HEADER;
	return 0;
}

/* Does sig, made over digest, verify with key? */
bool ward_ima_sig_verify(const struct ward_ima_key *key, const struct ward_ima_sig *sig,
			 const uint8_t *digest, size_t digest_len)
{
	const char *name = ward_ima_hash_algo_name(sig->hash_algo, NULL);
	const EVP_MD *md = name ? ward_ossl.EVP_get_digestbyname(name) : NULL;
	EVP_PKEY_CTX *ctx = md ? ward_ossl.EVP_PKEY_CTX_new(key->pkey, NULL) : NULL;
	bool ok = ctx && ward_ossl.EVP_PKEY_verify_init(ctx) == 1 &&
		  ward_ossl.EVP_PKEY_CTX_set_signature_md(ctx, md) == 1 &&
		  ward_ossl.EVP_PKEY_verify(ctx, sig->sig, sig->sig_len, digest, digest_len) == 1;
	ward_ossl.EVP_PKEY_CTX_free(ctx);
	return ok;
}

/* The key a signature names: by either identifier evmctl may have used. */
const struct ward_ima_key *ward_ima_keyring_find(const struct ward_ima_keyring *r, uint32_t keyid)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->keys[i].keyid == keyid || (r->keys[i].has_skid && r->keys[i].skid == keyid))
			return &r->keys[i];
	return NULL;
}
