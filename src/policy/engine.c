/* The one interface of custom-rule engines: a rule object names its
 * language by its keys ("lua": a file, "luaSource": the text). Another
 * language (Rego, CEL) is another entry here. */
#include <string.h>

#include "../util/cleanup.h"
#include "internal.h"

static const struct ward_policy_engine *const engines[] = {&ward_policy_engine_lua};

const struct ward_policy_engine *ward_policy_engine_for(json_t *rule_obj)
{
	for (size_t i = 0; i < ARRAY_SIZE(engines); i++)
		if (json_object_get(rule_obj, engines[i]->file_key) ||
		    json_object_get(rule_obj, engines[i]->source_key))
			return engines[i];
	return NULL;
}

const char *ward_policy_engine_unsupported(json_t *rule_obj)
{
	static const char *const later[][2] = {{"rego", "Rego"}, {"regoSource", "Rego"},
					       {"cel", "CEL"}, {"celSource", "CEL"}};
	for (size_t i = 0; i < ARRAY_SIZE(later); i++)
		if (json_object_get(rule_obj, later[i][0]))
			return later[i][1];
	return NULL;
}
