/* libFuzzer: criu's answers as ward decodes them (src/runtime/criu_pb.c):
 * any bytes decode to an error or to a response whose strings are
 * terminated within their buffers; and fields ward encodes from the input
 * decode back to the same values (the encoder and decoder agree). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/criu.h"

#define FUZZ_NAME "fuzz_criu"
#include "check.h"

static void decode_any(const uint8_t *data, size_t size)
{
	struct ward_criu_resp r;
	ward_err err = {0};
	int rc = ward_criu_resp_decode(data, size, &r, &err);
	CHECK(rc == 0 || rc == -1);
	CHECK(memchr(err.msg, '\0', sizeof(err.msg)) != NULL);
	if (rc == 0) {
		CHECK(memchr(r.errmsg, '\0', sizeof(r.errmsg)) != NULL);
		CHECK(memchr(r.script, '\0', sizeof(r.script)) != NULL);
	}
}

/* input: type (1 byte), pid (4 bytes), then a script name. */
static void round_trip(const uint8_t *data, size_t size)
{
	if (size < 5)
		return;
	int type = data[0] & 0x7f;
	int32_t pid;
	memcpy(&pid, data + 1, sizeof(pid));
	char script[64];
	size_t n = size - 5 < sizeof(script) - 1 ? size - 5 : sizeof(script) - 1;
	memcpy(script, data + 5, n);
	script[n] = '\0';
	struct ward_pb b = {0}, sub = {0};
	ward_pb_uint(&b, 1, (uint64_t)type);
	ward_pb_bool(&b, 2, true);
	ward_pb_str(&sub, 1, script);
	ward_pb_int(&sub, 2, pid);
	ward_pb_msg(&b, 5, &sub);
	struct ward_criu_resp r;
	ward_err err = {0};
	if (!b.failed) {
		CHECK(ward_criu_resp_decode(b.buf, b.len, &r, &err) == 0);
		CHECK(r.type == type && r.success);
		CHECK(r.notify_pid == pid);
		CHECK(strcmp(r.script, script) == 0);
	}
	ward_pb_free(&b);
	ward_pb_free(&sub);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	decode_any(data, size);
	round_trip(data, size);
	return 0;
}
