/* SHA-256 (FIPS 180-4), for the digests of files whose content decides what
 * ward enforces (policy files in audit records). */
#ifndef WARD_UTIL_SHA256_H
#define WARD_UTIL_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct ward_sha256 {
	uint32_t h[8];
	uint64_t total;
	unsigned char buf[64];
	size_t used;
};
void ward_sha256_init(struct ward_sha256 *s);
void ward_sha256_update(struct ward_sha256 *s, const void *data, size_t len);
void ward_sha256_final(struct ward_sha256 *s, unsigned char out[32]);
/* The digest of data as 64 lower-case hex digits. */
void ward_sha256_hex(const void *data, size_t len, char out[65]);

#endif
