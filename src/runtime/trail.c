/* A container's audit trail: each lifecycle command of an audited container
 * sends its record through the audit layer's one path (audit/emit.c). A
 * container is audited when create said so (the audit layer was on, or the
 * engine gave it an ID): its runtime data then holds an "audit" object. */
#include <stdio.h>
#include <string.h>

#include "../audit/audit.h"
#include "runtime.h"

bool ward_trail_on(const struct ward_state *st)
{
	return json_is_object(json_object_get(st->extra, "audit")) && ward_state_audit_id(st);
}

void ward_trail_record(const struct ward_ctx *ctx, const char *id, const char *audit_id,
		       const char *op, pid_t pid, const ward_err *failure, json_t *fields)
{
	if (!ctx->audit || !audit_id) {
		json_decref(fields);
		return;
	}
	char reason[WARD_ERR_MSG_MAX + 64];
	struct ward_audit_event ev = {
		.op = op,
		.id = id,
		.audit_id = audit_id,
		.pid = pid,
		.success = failure == NULL,
		.reason = failure ? ward_err_str(failure, reason, sizeof(reason)) : NULL,
		.fields = fields,
	};
	ward_audit_emit(ctx->audit, &ev);
	json_decref(fields);
}

void ward_trail(const struct ward_ctx *ctx, const struct ward_state *st, const char *op, pid_t pid,
		const ward_err *failure, json_t *fields)
{
	if (st && st->id && ward_trail_on(st))
		ward_trail_record(ctx, st->id, ward_state_audit_id(st), op, pid, failure, fields);
	else
		json_decref(fields);
}
