/* A container's audit trail: each lifecycle command of an audited container
 * sends its record through the audit layer's one path (audit/emit.c). A
 * container is audited when create said so (the audit layer was on, or the
 * engine gave it an ID): its runtime data then holds an "audit" object. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* Print each record of the log from fd on, as an event line. */
static void drain(int fd, const char *id, char **pending, size_t *plen)
{
	char buf[8192];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		char *nb = realloc(*pending, *plen + (size_t)n + 1);
		if (!nb)
			return;
		*pending = nb;
		memcpy(*pending + *plen, buf, (size_t)n);
		*plen += (size_t)n;
		(*pending)[*plen] = '\0';
		char *line = *pending, *nl;
		while ((nl = strchr(line, '\n'))) {
			*nl = '\0';
			json_t *rec = json_loads(line, 0, NULL);
			if (rec) {
				json_t *e = json_pack("{s:s, s:s, s:o}", "type", "audit", "id", id,
						      "data", rec);
				char *s = e ? json_dumps(e, JSON_COMPACT) : NULL;
				if (s)
					printf("%s\n", s);
				free(s);
				json_decref(e);
			}
			line = nl + 1;
		}
		*plen -= (size_t)(line - *pending);
		memmove(*pending, line, *plen + 1);
		fflush(stdout);
	}
}

int ward_container_audit_events(const struct ward_ctx *ctx, const char *id, bool follow,
				ward_err *err)
{
	if (ward_id_validate(id, err) < 0)
		return -1;
	char path[4200], dir[4200];
	snprintf(path, sizeof(path), "%s/@audit/%s.jsonl", ctx->root, id);
	snprintf(dir, sizeof(dir), "%s/%s", ctx->root, id);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ward_err_sys(err, errno, "events --audit %s: %s (not audited?)", id, path);
	char *pending = NULL;
	size_t plen = 0;
	struct stat now, was;
	fstat(fd, &was);
	for (;;) {
		drain(fd, id, &pending, &plen);
		/* Until the container is deleted (and its delete record read). */
		if (!follow || access(dir, F_OK) < 0)
			break;
		usleep(100 * 1000);
		if (stat(path, &now) == 0 && now.st_ino != was.st_ino) {
			drain(fd, id, &pending, &plen); /* rotated: the rest of the old one */
			close(fd);
			if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
				break;
			fstat(fd, &was);
		}
	}
	if (fd >= 0) {
		drain(fd, id, &pending, &plen);
		close(fd);
	}
	free(pending);
	return 0;
}
