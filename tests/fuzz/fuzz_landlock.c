/* libFuzzer: process.landlock (ward_landlock_parse, as create and exec call
 * it) negotiated against every kernel ABI from 0 (no Landlock) to 8. The
 * input: one byte, the ABI (modulo 9), then the JSON policy. Also the
 * init's report of skipped paths (ward_landlock_skipped_apply), the rest
 * of the input taken as the report.
 * Promises checked: a refusal names the field; an acceptance leaves no
 * error behind and gives a ruleset the kernel accepts: only rights and
 * scopes of that ABI, every rule's rights handled by the ruleset (the
 * kernel refuses the rule otherwise), absolute paths, ports <= 65535 with
 * some right; with disableBestEffort nothing is silently dropped; the
 * parser does not change the document. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "confine/landlock.h"
#include "util/log.h"

#define FUZZ_NAME "fuzz_landlock"
#include "check.h"

#define FIELD "config.json: process.landlock"

static uint64_t rights_of(const struct ward_landlock_right *t, int abi)
{
	uint64_t m = 0;
	for (; t->name; t++)
		if (t->abi <= abi)
			m |= t->bit;
	return m;
}

static void check_policy(const struct ward_landlock *ll, int abi)
{
	CHECK(ll->present);
	CHECK(ll->abi == abi);
	CHECK(ll->field && !strcmp(ll->field, FIELD));
	CHECK((ll->handled_fs & ~rights_of(ward_landlock_fs_rights, abi)) == 0);
	CHECK((ll->handled_net & ~rights_of(ward_landlock_net_rights, abi)) == 0);
	CHECK((ll->scoped & ~rights_of(ward_landlock_scopes, abi)) == 0);
	CHECK((ll->restrict_flags & ~rights_of(ward_landlock_restrict_flags, abi)) == 0);
	CHECK(!ll->preset || !strcmp(ll->preset, "wx"));
	CHECK(memchr(ll->dropped, '\0', sizeof(ll->dropped)));
	CHECK(!(ll->strict && abi >= 1) || !ll->dropped[0]);
	CHECK(abi >= 1 || !ward_landlock_enforced(ll));
	for (size_t i = 0; i < ll->n_paths; i++) {
		CHECK(ll->paths[i].path && ll->paths[i].path[0] == '/');
		CHECK((ll->paths[i].access & ~ll->handled_fs) == 0);
		CHECK(!ll->paths[i].missing);
	}
	for (size_t i = 0; i < ll->n_ports; i++) {
		CHECK(ll->ports[i].port <= 65535);
		CHECK(ll->ports[i].access && (ll->ports[i].access & ~ll->handled_net) == 0);
	}
	json_t *d = ward_landlock_describe(ll);
	CHECK(d && json_is_object(d));
	json_decref(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	if (!init) {
		/* Best-effort warnings go to the log, not to the fuzzer's output. */
		ward_log_init("/dev/null", WARD_LOG_TEXT, false);
		init = true;
	}
	if (size < 1)
		return 0;
	int abi = data[0] % 9;
	json_error_t jerr;
	json_t *obj = json_loadb((const char *)data + 1, size - 1,
				 JSON_REJECT_DUPLICATES | JSON_DISABLE_EOF_CHECK, &jerr);
	if (!obj)
		return 0;
	json_t *copy = json_deep_copy(obj);
	struct ward_landlock ll;
	ward_err err = {0};
	int r = ward_landlock_parse(obj, FIELD, abi, &ll, &err);
	CHECK(json_equal(obj, copy));
	json_decref(copy);
	if (r < 0) {
		CHECK_REFUSAL(err, FIELD);
	} else {
		CHECK(r == 0);
		CHECK_NO_ERROR(err);
		check_policy(&ll, abi);
		/* The init's report: whatever follows the JSON document. */
		size_t used = (size_t)jerr.position < size - 1 ? (size_t)jerr.position : size - 1;
		char report[256];
		size_t n =
		    size - 1 - used < sizeof(report) - 1 ? size - 1 - used : sizeof(report) - 1;
		memcpy(report, data + 1 + used, n);
		report[n] = '\0';
		ward_landlock_skipped_apply(&ll, report);
		for (size_t i = 0; i < ll.n_paths; i++)
			CHECK(!ll.paths[i].missing || (i < strlen(report) && report[i] == '1'));
		/* And what the init writes reads back the same. */
		bool missing[64];
		size_t m = ll.n_paths < 64 ? ll.n_paths : 64;
		for (size_t i = 0; i < m; i++)
			missing[i] = ll.paths[i].missing;
		char again[80];
		ward_landlock_skipped_report(missing, m, again, sizeof(again));
		CHECK(strlen(again) <= sizeof(again) - 1);
		for (size_t i = 0; i < strlen(again); i++)
			CHECK(again[i] == (missing[i] ? '1' : '0'));
	}
	ward_landlock_release(&ll);
	json_decref(obj);
	return 0;
}
