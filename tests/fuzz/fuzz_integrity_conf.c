/* libFuzzer: linux.integrity and the org.ward.integrity.* annotations. A
 * document either fails with an error naming config.json, or gives a policy
 * within its bounds: a known mode, absolute paths, a timeout of 1 to 3600 s,
 * appraisal only with something to appraise against. A bare object is also
 * tried as the section itself and as a replacement policy. */
#include <jansson.h>
#include <stdint.h>
#include <string.h>

#include "integrity/integrity.h"

#define FUZZ_NAME "fuzz_integrity_conf"
#include "check.h"

static void check_conf(const struct ward_integrity_conf *c)
{
	CHECK(c->mode <= WARD_INTEGRITY_ENFORCE);
	CHECK(c->timeout_s >= 1 && c->timeout_s <= 3600);
	CHECK(c->mode < WARD_INTEGRITY_APPRAISE_LOG || c->n_keys || c->allow_list);
	for (size_t i = 0; i < c->n_keys; i++)
		CHECK(c->keys[i] && c->keys[i][0] == '/');
	CHECK(!c->keys || !c->keys[c->n_keys]);
	CHECK(!c->allow_list || c->allow_list[0] == '/');
	CHECK(!c->signatures || (c->signatures[0] == '/' && c->n_keys));
	CHECK(!c->list_path || c->list_path[0] == '/');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (!j)
		return 0;
	struct ward_integrity_conf c;
	ward_err err = {0};
	if (ward_integrity_conf_parse(j, "config.json", &c, &err) == 0)
		check_conf(&c);
	else
		CHECK(strncmp(err.msg, "config.json: ", 13) == 0);
	ward_integrity_conf_release(&c);
	if (json_is_object(j)) {
		json_t *doc = json_pack("{s:{s:O}}", "linux", "integrity", j);
		ward_err_clear(&err);
		if (ward_integrity_conf_parse(doc, "config.json", &c, &err) == 0)
			check_conf(&c);
		ward_integrity_conf_release(&c);
		json_decref(doc);
		ward_integrity_conf_init(&c);
		ward_err_clear(&err);
		if (ward_integrity_conf_object(&c, j, "policy", true, &err) == 0)
			CHECK(c.mode <= WARD_INTEGRITY_ENFORCE);
		else
			CHECK(strncmp(err.msg, "policy", 6) == 0);
		ward_integrity_conf_release(&c);
	}
	json_decref(j);
	return 0;
}
