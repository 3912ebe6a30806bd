/* libFuzzer: the allow-list (sha256sum lines). Parsed, it holds at most one
 * digest a line, sorted, each found by lookup; refused, the error names the
 * line. */
#include <stdint.h>
#include <string.h>

#include "integrity/integrity.h"

#define FUZZ_NAME "fuzz_allowlist"
#include "check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	struct ward_allowlist a;
	ward_err err = {0};
	if (ward_allowlist_parse((const char *)data, size, "allow", &a, &err) < 0) {
		CHECK(strncmp(err.msg, "allow: line ", 12) == 0);
		return 0;
	}
	size_t lines = 1;
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	CHECK(a.n <= lines);
	for (size_t i = 0; i < a.n; i++) {
		CHECK(ward_allowlist_has(&a, a.digests[i]));
		if (i)
			CHECK(memcmp(a.digests[i - 1], a.digests[i], WARD_SHA256_LEN) <= 0);
	}
	ward_allowlist_release(&a);
	return 0;
}
