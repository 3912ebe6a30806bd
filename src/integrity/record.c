/* What the monitor writes: measurements into the container's list, root's
 * execs into the host's, and records through the audit layer (appraisal
 * failures, refusals, root's activity, the policy in force). The list
 * itself begins with what decides: a boot_aggregate, the policy and each
 * key (ima-buf, as IMA measures its keys), so the chain has no gap. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../audit/audit.h"
#include "../util/cleanup.h"
#include "integrity.h"

/* The namespace a record is about: the container, or one nested in it. */
struct ward_target ward_monitor_self(struct ward_monitor *m)
{
	return (struct ward_target){.id = m->id,
				    .audit_id = m->audit_id,
				    .pol = &m->pol,
				    .list = m->has_list ? &m->list : NULL};
}

static void emit(struct ward_monitor *m, const struct ward_target *t, const char *op, bool ok,
		 const char *reason, pid_t pid, json_t *fields)
{
	struct ward_audit_event ev = {.op = op,
				      .id = t->id,
				      .audit_id = t->audit_id,
				      .pid = pid,
				      .success = ok,
				      .reason = reason,
				      .fields = fields};
	if (t->id != m->id && fields) /* nested: whose child it is */
		json_object_set_new(fields, "parentAuditId", json_string(m->audit_id));
	ward_audit_emit(m->audit, &ev);
	json_decref(fields);
}

static json_t *file_fields(const struct ward_target *t, const uint8_t *digest, const char *path,
			   const struct ward_subject *s)
{
	char hex[2 * WARD_SHA256_LEN + 8] = "sha256:";
	ward_hex(digest, WARD_SHA256_LEN, hex + 7);
	json_t *f = json_pack("{s:s, s:s, s:s, s:I, s:I}", "path", path, "digest", hex, "mode",
			      ward_integrity_mode_name(t->pol->conf.mode), "uid",
			      (json_int_t)s->ruid, "euid", (json_int_t)s->euid);
	return f;
}

static void list_append(struct ward_monitor *m, const struct ward_target *t, struct ward_mlist *l,
			const struct ward_ima_entry *e)
{
	ward_err err = {0};
	if (ward_mlist_append(l, e, &err) < 0) {
		/* A record lost is a gap: say so where the operator looks. */
		emit(m, t, "integrity-list", false, err.msg, 0,
		     json_pack("{s:s}", "path", e->name ? e->name : ""));
	}
}

/* The file's record in list l (a violation first when it changed while
 * hashed). */
void ward_monitor_list_file(struct ward_monitor *m, const struct ward_target *t,
			    struct ward_mlist *l, const struct ward_appraisal *a, const char *path)
{
	struct ward_ima_entry e = {.tmpl = WARD_IMA_SIG,
				   .algo = "sha256",
				   .name = path,
				   .digest_len = WARD_SHA256_LEN,
				   .extra = a->sig,
				   .extra_len = a->sig_len};
	memcpy(e.digest, a->sha256, WARD_SHA256_LEN);
	if (a->changed) {
		/* IMA's time-of-measure/time-of-use violation: what runs may
		 * not be what was measured. */
		struct ward_ima_entry viol = e;
		viol.violation = true;
		viol.extra_len = 0;
		list_append(m, t, l, &viol);
	}
	list_append(m, t, l, &e);
}

void ward_monitor_failure_record(struct ward_monitor *m, const struct ward_target *t,
				 const struct ward_appraisal *a, const char *path,
				 const struct ward_subject *s)
{
	bool enforce = t->pol->conf.mode == WARD_INTEGRITY_ENFORCE;
	json_t *f = file_fields(t, a->sha256, path, s);
	json_object_set_new(f, "verdict",
			    json_string(a->ok	  ? "allowed"
					: enforce ? "denied"
						  : "logged"));
	if (a->sig_source)
		json_object_set_new(f, "signature", json_string(a->sig_source));
	json_object_set_new(f, "pcr", json_integer(WARD_IMA_PCR));
	emit(m, t, "integrity", false, a->reason[0] ? a->reason : "appraisal failed", s->pid, f);
}

void ward_monitor_measure(struct ward_monitor *m, struct ward_verdict *v,
			  const struct ward_appraisal *a, const char *path,
			  const struct ward_subject *s)
{
	struct ward_target t = ward_monitor_self(m);
	if (m->has_list && m->pol.conf.mode != WARD_INTEGRITY_OFF) {
		ward_monitor_list_file(m, &t, &m->list, a, path);
		v->measured = true;
		m->measured++;
	}
	if (a->ok && !a->changed)
		return;
	ward_monitor_failure_record(m, &t, a, path, s);
	v->failure_logged = true;
}

void ward_monitor_denial_record(struct ward_monitor *m, const struct ward_target *t,
				const struct ward_verdict *v, const char *path,
				const struct ward_subject *s)
{
	json_t *f = file_fields(t, v->sha256, path, s);
	json_object_set_new(f, "verdict", json_string("denied"));
	emit(m, t, "integrity", false, "appraisal failed before (file unchanged)", s->pid, f);
}

void ward_monitor_host_record(struct ward_monitor *m, const struct ward_target *t,
			      struct ward_verdict *v, const char *path,
			      const struct ward_subject *s)
{
	v->host_logged = true;
	if (!m->has_host)
		return;
	/* The host's list is one list for every container: each name says
	 * whose root ran it, by the container's audit ID. */
	_cleanup_free_ char *name = NULL;
	if (asprintf(&name, "%s:%s", t->audit_id, path) < 0)
		return;
	struct ward_ima_entry e = {
	    .tmpl = WARD_IMA_NG, .algo = "sha256", .name = name, .digest_len = WARD_SHA256_LEN};
	memcpy(e.digest, v->sha256, WARD_SHA256_LEN);
	list_append(m, t, &m->host, &e);
	json_t *f = file_fields(t, v->sha256, path, s);
	json_object_set_new(f, "list", json_string("host"));
	emit(m, t, "integrity-host", true, "root's exec in the container", s->pid, f);
}

/* A list's first records, and again after a policy replacement: what
 * decides comes first, so the chain has no gap. */
static int policy_records(struct ward_monitor *m, const struct ward_target *t, bool first,
			  ward_err *err)
{
	if (first && t->list) {
		struct ward_ima_entry boot = {.tmpl = WARD_IMA_SIG,
					      .algo = "sha256",
					      .name = "boot_aggregate",
					      .digest_len = WARD_SHA256_LEN};
		/* No TPM PCRs 0-9 behind a container: zeros, as IMA without a TPM. */
		if (ward_mlist_append(t->list, &boot, err) < 0)
			return -1;
	}
	json_t *pj = ward_integrity_policy_json(t->pol);
	_cleanup_free_ char *text = json_dumps(pj, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(pj);
	if (!text)
		return ward_err_set(err, "policy record: out of memory");
	if (t->list) {
		struct ward_ima_entry e = {.tmpl = WARD_IMA_BUF,
					   .algo = "sha256",
					   .name = "ward-policy",
					   .digest_len = WARD_SHA256_LEN,
					   .extra = (uint8_t *)text,
					   .extra_len = strlen(text)};
		ward_sha256(text, strlen(text), e.digest);
		if (ward_mlist_append(t->list, &e, err) < 0)
			return -1;
		for (size_t i = 0; i < t->pol->keys.n; i++) {
			const struct ward_ima_key *k = &t->pol->keys.keys[i];
			struct ward_ima_entry ke = {.tmpl = WARD_IMA_BUF,
						    .algo = "sha256",
						    .name = ".ima",
						    .digest_len = WARD_SHA256_LEN,
						    .extra = k->der,
						    .extra_len = k->der_len};
			ward_sha256(k->der, k->der_len, ke.digest);
			if (ward_mlist_append(t->list, &ke, err) < 0)
				return -1;
		}
	}
	emit(m, t, "integrity-policy", true, first ? "policy loaded" : "policy replaced", 0,
	     json_pack("{s:s, s:s, s:I, s:b}", "mode", ward_integrity_mode_name(t->pol->conf.mode),
		       "policy", text, "keys", (json_int_t)t->pol->keys.n, "replaced", !first));
	return 0;
}

int ward_monitor_policy_records(struct ward_monitor *m, const struct ward_target *t, bool first,
				ward_err *err)
{
	/* A shared list rereads its PCR per record: only a private one batches. */
	if (t->list && !t->list->shared)
		t->list->defer_pcr = true;
	int r = policy_records(m, t, first, err);
	if (t->list && t->list->defer_pcr && ward_mlist_flush(t->list, err) < 0)
		r = -1;
	return r;
}
