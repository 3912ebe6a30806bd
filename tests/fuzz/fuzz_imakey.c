/* libFuzzer: integrity keys from certificate text (ward_ima_key_from_text),
 * as the monitor takes them from a nested container's request (PEM) and
 * the key files a config names (PEM or DER). OpenSSL is not instrumented:
 * the fuzzer mostly sees ward's side, what it makes of a certificate that
 * parses. Promises checked: a refusal says why; an accepted key has a
 * public key, its certificate's DER (which loads back to the same key IDs,
 * as the list's key record is read back), a NUL-terminated subject, and
 * "(sent)" as its name. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "integrity/integrity.h"

#define FUZZ_NAME "fuzz_imakey"
#include "check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ward_ima_key k;
	ward_err err = {0};
	if (ward_ima_key_from_text((const char *)data, size, NULL, &k, &err) < 0) {
		CHECK(err.msg[0] && memchr(err.msg, '\0', sizeof(err.msg)));
		CHECK(!k.pkey && !k.der);
		return 0;
	}
	CHECK_NO_ERROR(err);
	CHECK(k.pkey);
	CHECK(k.der && k.der_len > 0);
	CHECK(memchr(k.subject, '\0', sizeof(k.subject)));
	CHECK(!strcmp(k.path, "(sent)"));
	struct ward_ima_key again;
	CHECK(ward_ima_key_from_text((const char *)k.der, k.der_len, NULL, &again, &err) == 0);
	CHECK(again.keyid == k.keyid);
	CHECK(again.has_skid == k.has_skid && (!k.has_skid || again.skid == k.skid));
	CHECK(again.der_len == k.der_len && !memcmp(again.der, k.der, k.der_len));
	CHECK(!strcmp(again.subject, k.subject));
	ward_ima_key_release(&again);
	ward_ima_key_release(&k);
	return 0;
}
