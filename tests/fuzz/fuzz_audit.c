/* libFuzzer: the audit layer's parsers on arbitrary bytes: the settings
 * file (/etc/ward/audit.json), the audit ID (an engine's annotation), and
 * the kernel log lines `ward audit search` reads without auditd. Settings
 * that parse must be in range; an ID that parses is canonical and parses
 * back to itself; a converted kernel line is one "type=... msg=audit(...)"
 * line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"

#define FUZZ_NAME "fuzz_audit"
#include "check.h"

static void settings(const char *s, size_t len)
{
	struct ward_audit a;
	ward_audit_setup_off(&a, "/nonexistent");
	ward_err e = {0};
	if (ward_audit_conf_parse(&a, s, len, "audit.json", &e) == 0) {
		CHECK(a.rotate_bytes >= 4096);
		CHECK(!a.host_log || a.host_log[0] == '/');
	} else {
		CHECK(strncmp(e.msg, "audit.json", 10) == 0);
	}
	ward_audit_release(&a);
}

static void audit_id(const char *s)
{
	char out[WARD_AUDIT_ID_LEN + 1], again[WARD_AUDIT_ID_LEN + 1];
	ward_err e = {0};
	if (ward_audit_id_parse(s, out, &e) < 0)
		return;
	CHECK(strlen(out) == WARD_AUDIT_ID_LEN);
	for (size_t i = 0; i < WARD_AUDIT_ID_LEN; i++)
		CHECK(i == 8 || i == 13 || i == 18 || i == 23 ? out[i] == '-'
							      : strchr("0123456789abcdef", out[i]) != NULL);
	CHECK(ward_audit_id_parse(out, again, &e) == 0 && strcmp(out, again) == 0);
}

static void kmsg(const char *s)
{
	char line[512];
	if (ward_audit_kmsg_line(s, line, sizeof(line)) < 0)
		return;
	CHECK(strncmp(line, "type=", 5) == 0);
	CHECK(strstr(line, " msg=audit(") != NULL);
	size_t n = strlen(line);
	CHECK(n > 0 && line[n - 1] == '\n' && !memchr(line, '\n', n - 1));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	settings(s, size);
	audit_id(s);
	kmsg(s);
	free(s);
	return 0;
}
