/* libFuzzer: the name tables on arbitrary strings: signal names as `ward kill`
 * takes them, capability names as config.json and `ward exec --cap` take them,
 * rlimit and namespace names. Results must be -1 or a valid number, and a
 * capability found by name must name itself back. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "oci/spec.h"

#define FUZZ_NAME "fuzz_signal"
#include "check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0'; /* C strings: whatever follows an embedded NUL is not seen */

	int sig = ward_signal_from_name(s);
	CHECK(sig == -1 || (sig >= 1 && sig < NSIG));

	int cap = ward_cap_from_name(s);
	CHECK(cap >= -1 && cap <= ward_cap_last());
	if (cap >= 0) {
		const char *name = ward_cap_name(cap);
		CHECK(name && strncmp(name, "CAP_", 4) == 0);
		CHECK(strcasecmp(name, s) == 0 || strcasecmp(name + 4, s) == 0);
	}

	int rl = ward_rlimit_from_name(s);
	CHECK(rl == -1 || (rl >= 0 && rl < 16));

	int ns = ward_ns_from_name(s);
	CHECK(ns == -1 || (ns >= 0 && ns < WARD_NS_COUNT));
	if (ns >= 0)
		CHECK(strcmp(ward_ns_table[ns].spec_name, s) == 0);

	free(s);
	return 0;
}
