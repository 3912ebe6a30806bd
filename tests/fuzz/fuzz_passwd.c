/* libFuzzer: a container's /etc/passwd (ward_passwd_home), which the init
 * and exec read for HOME before the process is confined; the image, or for
 * exec the container's own processes, wrote it. The input: 4 bytes, the uid
 * asked for, then the file. Promises checked: a home found is terminated
 * within its buffer, holds no newline or ':', and is, whole, the sixth
 * field of an entry of the text whose third field is that uid in decimal;
 * nothing is found for a file with no such entry. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/passwd.h"

#define FUZZ_NAME "fuzz_passwd"
#include "check.h"

/* Digits only (leading zeros allowed, as Go's Atoi in runc), worth uid. */
static int is_uid(const char *s, size_t n, uint32_t uid)
{
	uint64_t v = 0;
	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		if ((v = v * 10 + (uint64_t)(s[i] - '0')) > UINT32_MAX)
			return 0;
	}
	return v == uid;
}

/* Is there a line ...:...:UID:...:...:HOME[:...] in text (any HOME if NULL)? */
static int has_entry(const char *text, size_t n, uint32_t uid, const char *home)
{
	for (size_t start = 0; start < n;) {
		const char *nl = memchr(text + start, '\n', n - start);
		size_t end = nl ? (size_t)(nl - text) : n;
		const char *f[7] = {0};
		size_t fl[7] = {0}, k = 0, at = start;
		while (k < 7 && at <= end) {
			const char *c = memchr(text + at, ':', end - at);
			size_t e = c ? (size_t)(c - text) : end;
			f[k] = text + at;
			fl[k++] = e - at;
			at = e + 1;
			if (!c)
				break;
		}
		if (k >= 6 && is_uid(f[2], fl[2], uid) &&
		    (!home || (fl[5] == strlen(home) && !memcmp(f[5], home, fl[5]))))
			return 1;
		start = end + 1;
	}
	return 0;
}

static size_t longest_line(const char *text, size_t n)
{
	size_t longest = 0;
	for (size_t start = 0; start < n;) {
		const char *nl = memchr(text + start, '\n', n - start);
		size_t end = nl ? (size_t)(nl - text) : n;
		if (end - start > longest)
			longest = end - start;
		start = end + 1;
	}
	return longest;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 4)
		return 0;
	uint32_t uid;
	memcpy(&uid, data, 4);
	uid %= 2000; /* small uids, so that the fuzzer can write them */
	const char *text = (const char *)data + 4;
	size_t n = size - 4;
	FILE *f = fmemopen((void *)text, n ? n : 1, "r");
	CHECK(f);
	char home[64];
	memset(home, 'X', sizeof(home));
	int found = n ? ward_passwd_home(f, uid, home, sizeof(home)) : 0;
	fclose(f);
	CHECK(found == 0 || found == 1);
	if (!found) {
		CHECK(home[0] == 'X');
		/* Lines that fit the parser's buffer, no NUL: every entry was seen. */
		if (!memchr(text, '\0', n) && longest_line(text, n) < 1000)
			CHECK(!has_entry(text, n, uid, NULL));
		return 0;
	}
	CHECK(memchr(home, '\0', sizeof(home)));
	CHECK(!strchr(home, '\n') && !strchr(home, ':'));
	/* A home that filled the buffer was truncated: only its start is known. */
	if (strlen(home) < sizeof(home) - 1 && !memchr(text, '\0', n))
		CHECK(has_entry(text, n, uid, home));
	return 0;
}
