/* libFuzzer: the policy a nested ward sends the outer container's monitor
 * (ward_nest_policy), as the monitor reads it from <listPath>/ward-nest.sock:
 * the request is the container's, so the least trusted input the monitor
 * has. The host here configures no CA. Promises checked: a refusal says
 * why; an accepted policy is within the bounds a policy from config.json
 * has (a known mode, a timeout of 1 to 3600 s, appraisal only with
 * something to appraise against), takes no key (without a CA a nested
 * container gets none) and no host path to read (keys, allowList and
 * signatures come as text, never as the outer container's paths); the
 * request is not changed. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "integrity/integrity.h"

#define FUZZ_NAME "fuzz_nest"
#include "check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	json_t *req = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (!req)
		return 0;
	json_t *copy = json_deep_copy(req);
	static struct ward_monitor m; /* no CA, nothing else the policy needs */
	struct ward_child *ch = calloc(1, sizeof(*ch));
	CHECK(ch);
	ward_err err = {0};
	int r = ward_nest_policy(&m, ch, req, &err);
	CHECK(json_equal(req, copy));
	json_decref(copy);
	if (r < 0) {
		CHECK(err.msg[0] && memchr(err.msg, '\0', sizeof(err.msg)));
	} else {
		CHECK(r == 0);
		CHECK_NO_ERROR(err);
		const struct ward_integrity_conf *c = &ch->pol.conf;
		CHECK(c->mode <= WARD_INTEGRITY_ENFORCE);
		CHECK(c->timeout_s >= 1 && c->timeout_s <= 3600);
		CHECK(ch->pol.keys.n == 0);
		CHECK(c->n_keys == 0 && !c->allow_list && !c->signatures);
		CHECK(c->mode < WARD_INTEGRITY_APPRAISE_LOG || ch->pol.allow.n);
	}
	ward_integrity_policy_release(&ch->pol);
	free(ch);
	json_decref(req);
	return 0;
}
