/* The audit ID: a UUID in its canonical text form. Generated from
 * getrandom() (version 4, RFC 9562) or taken from the engine's annotation,
 * which must be a well-formed, non-nil UUID. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "audit.h"

int ward_audit_id_generate(char out[WARD_AUDIT_ID_LEN + 1], ward_err *err)
{
	unsigned char b[16];
	size_t got = 0;
	while (got < sizeof(b)) {
		ssize_t n = getrandom(b + got, sizeof(b) - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return ward_err_sys(err, errno, "audit ID: getrandom");
		}
		got += (size_t)n;
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* variant 10 */
	snprintf(out, WARD_AUDIT_ID_LEN + 1,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
		 b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
		 b[15]);
	return 0;
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int ward_audit_id_parse(const char *text, char out[WARD_AUDIT_ID_LEN + 1], ward_err *err)
{
	static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
	if (!text || strlen(text) != WARD_AUDIT_ID_LEN)
		return ward_err_set(err, "\"%s\" is not a UUID (want 8-4-4-4-12 hex digits, "
					 "e.g. 3f2a6c1e-0b7d-4e58-9a43-5c1d2e3f4a5b)",
				    text ? text : "");
	bool nil = true;
	for (size_t i = 0; i < WARD_AUDIT_ID_LEN; i++) {
		char c = text[i];
		if (shape[i] == '-' ? c != '-' : !is_hex(c))
			return ward_err_set(err, "\"%s\" is not a UUID: character %zu is '%c' "
						 "(want 8-4-4-4-12 hex digits)",
					    text, i + 1, c);
		if (shape[i] != '-' && c != '0')
			nil = false;
		out[i] = (c >= 'A' && c <= 'F') ? (char)(c - 'A' + 'a') : c;
	}
	out[WARD_AUDIT_ID_LEN] = '\0';
	if (nil)
		return ward_err_set(err, "\"%s\" is the nil UUID, which names no container", text);
	return 0;
}

int ward_audit_id_for(json_t *annotations, const char *where, char out[WARD_AUDIT_ID_LEN + 1],
		      bool *given, ward_err *err)
{
	json_t *v = json_object_get(annotations, WARD_AUDIT_ANNOTATION);
	*given = v != NULL;
	if (!v)
		return ward_audit_id_generate(out, err);
	if (!json_is_string(v))
		return ward_err_set(err, "%s: annotations.%s: must be a string", where,
				    WARD_AUDIT_ANNOTATION);
	if (ward_audit_id_parse(json_string_value(v), out, err) < 0)
		return ward_err_wrap(err, "%s: annotations.%s", where, WARD_AUDIT_ANNOTATION);
	return 0;
}
