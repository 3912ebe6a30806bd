/* libFuzzer: the seccomp BPF interpreter (src/confine/bpf.c) on arbitrary
 * programs and inputs, and the sync error record parser (src/linux/sync.c)
 * on arbitrary bytes. The input: a struct seccomp_data (64 bytes), then
 * struct sock_filter instructions (8 bytes each). Invariants: the
 * interpreter answers -1 or 0, the same twice; a parsed record has an errno
 * in range and a NUL-terminated message. */
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "confine/bpf.h"
#include "linux/linux.h"

#define FUZZ_NAME "fuzz_bpf"
#include "check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ward_err err = {0};
	if (ward_sync_error_parse(data, size, &err) == 0) {
		CHECK(err.errnum >= 0 && err.errnum <= 4095);
		CHECK(memchr(err.msg, '\0', sizeof(err.msg)) != NULL);
	}
	struct seccomp_data d;
	if (size < sizeof(d))
		return 0;
	memcpy(&d, data, sizeof(d));
	size_t n = (size - sizeof(d)) / sizeof(struct sock_filter);
	if (n > BPF_MAXINSNS + 1)
		n = BPF_MAXINSNS + 1;
	struct sock_filter *prog = malloc((n ? n : 1) * sizeof(*prog));
	if (!prog)
		return 0;
	memcpy(prog, data + sizeof(d), n * sizeof(*prog));
	uint32_t r1 = 0, r2 = 0;
	int a = ward_bpf_run(prog, n, &d, &r1);
	int b = ward_bpf_run(prog, n, &d, &r2);
	CHECK(a == 0 || a == -1);
	CHECK(a == b);
	CHECK(a != 0 || r1 == r2);
	CHECK(n != 0 || a == -1);
	free(prog);
	return 0;
}
