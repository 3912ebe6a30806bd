/* libFuzzer: security.ima values (what a container can write into an xattr)
 * and detached signature files (getfattr --dump text). A value parses only
 * into a v2 signature that exactly fills it with an accepted algorithm; a
 * dump gives entries each found again by its own name. */
#include <stdint.h>
#include <string.h>

#include "integrity/integrity.h"

#define FUZZ_NAME "fuzz_imasig"
#include "check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	struct ward_ima_sig s;
	ward_err err = {0};
	if (ward_ima_sig_parse(data, size, &s, &err) == 0) {
		size_t dlen = 0;
		CHECK(ward_ima_hash_algo_name(s.hash_algo, &dlen) && dlen >= 28);
		CHECK(s.sig == data + 9 && s.sig_len == size - 9 && s.sig_len > 0);
	} else {
		CHECK(err.msg[0]);
	}
	struct ward_manifest m;
	ward_err_clear(&err);
	if (ward_manifest_parse((const char *)data, size, "sigs", &m, &err) == 0) {
		size_t seen = 0;
		for (size_t i = 0; i < m.cap; i++) {
			if (!m.slots[i].path)
				continue;
			seen++;
			CHECK(m.slots[i].sig_len > 0 && m.slots[i].sig_len <= 4096);
			CHECK(ward_manifest_find(&m, m.slots[i].path) == &m.slots[i]);
		}
		CHECK(seen == m.n);
		ward_manifest_release(&m);
	} else {
		CHECK(strncmp(err.msg, "sigs: line ", 11) == 0);
	}
	return 0;
}
