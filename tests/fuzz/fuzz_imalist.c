/* libFuzzer: IMA binary measurement lists (what `ward integrity log --binary`
 * and the kept lists hold, read back by ward_ima_replay). Every record is
 * parsed within the buffer; a list that replays has as many records as a
 * walk with ward_ima_parse_record finds. */
#include <stdint.h>
#include <string.h>

#include "integrity/integrity.h"

#define FUZZ_NAME "fuzz_imalist"
#include "check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1 << 20)
		return 0;
	size_t walked = 0, off = 0;
	bool whole = true;
	while (off < size) {
		struct ward_ima_parsed p;
		size_t used;
		ward_err err = {0};
		if (ward_ima_parse_record(data + off, size - off, &p, &used, &err) < 0) {
			whole = false;
			break;
		}
		CHECK(used > 0 && used <= size - off);
		CHECK(p.data >= data + off && p.data + p.data_len <= data + off + used);
		CHECK(strlen(p.name) > 0 && strlen(p.name) < sizeof(p.name));
		off += used;
		walked++;
	}
	struct ward_pcr pcr;
	size_t count = 0;
	ward_err err = {0};
	if (ward_ima_replay(data, size, &pcr, &count, &err) == 0)
		CHECK(whole && count == walked);
	else
		CHECK(err.msg[0]);
	return 0;
}
