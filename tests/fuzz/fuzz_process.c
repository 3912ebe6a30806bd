/* libFuzzer: ward_process_parse on a JSON object, as `ward exec --process FILE`
 * feeds it (after json_loadb with JSON_REJECT_DUPLICATES). Inputs that are not
 * a JSON object are skipped, as exec refuses them before parsing. Aborts when
 * an accepted process breaks what exec relies on, or when a rejection has no
 * message or an acceptance leaves an error behind. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci/spec.h"

#define FUZZ_NAME "fuzz_process"
#include "check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t jerr;
	json_t *obj = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
	if (!obj)
		return 0;
	if (!json_is_object(obj)) {
		json_decref(obj);
		return 0;
	}
	json_t *copy = json_deep_copy(obj);
	ward_err err = {0};
	struct ward_process *p = ward_process_parse(obj, "process.json", "process", &err);
	if (!p) {
		CHECK(strncmp(err.msg, "process.json: process", 21) == 0);
	} else {
		CHECK_NO_ERROR(err);
		CHECK(p->args && p->args[0]);
		CHECK(p->cwd && p->cwd[0] == '/');
		for (size_t i = 0; p->env && p->env[i]; i++)
			CHECK(p->env[i][0] != '=' && strchr(p->env[i], '='));
		CHECK(!p->user.has_umask || p->user.umask <= 0777);
		for (size_t i = 0; i < p->n_rlimits; i++)
			CHECK(p->rlimits[i].soft <= p->rlimits[i].hard);
		uint64_t all = p->caps.bounding | p->caps.effective | p->caps.permitted |
			       p->caps.inheritable | p->caps.ambient;
		CHECK((all >> (ward_cap_last() + 1)) == 0);
		CHECK(!p->landlock || json_is_object(p->landlock));
		ward_process_free(p);
	}
	/* The parser only reads the document. */
	CHECK(json_equal(obj, copy));
	json_decref(copy);
	json_decref(obj);
	return 0;
}
