/* libFuzzer: the admission policy file parser (ward_policy_layer_parse), as
 * create loads /etc/ward/policy.json or --policy FILE, then the decision of
 * the parsed policy on a fixed config with fixed facts. Inputs naming a rule
 * file ("lua": PATH) are skipped: the harness must not read the host's files.
 * Aborts when a refusal does not name the file, an acceptance leaves an
 * error behind, or a decision breaks its invariants (denied exactly when a
 * non-exempt finding is enforced; every finding has a rule, field, reason). */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci/spec.h"
#include "policy/policy.h"

#define FUZZ_NAME "fuzz_policy"
#include "check.h"

static const char config[] =
	"{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"},"
	" \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"user\": {\"uid\": 0, \"gid\": 0},"
	"  \"capabilities\": {\"bounding\": [\"CAP_SYS_ADMIN\", \"CAP_CHOWN\"]}},"
	" \"mounts\": [{\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},"
	"  {\"destination\": \"/h\", \"type\": \"bind\", \"source\": \"/etc\"}],"
	" \"annotations\": {\"io.kubernetes.cri.sandbox-namespace\": \"kube-system\"},"
	" \"linux\": {\"namespaces\": [{\"type\": \"mount\"}, {\"type\": \"network\"}],"
	"  \"sysctl\": {\"net.core.somaxconn\": \"1\"},"
	"  \"resources\": {\"pids\": {\"limit\": 10}, \"devices\": [{\"allow\": true}]}}}";

static void check_decision(const struct ward_policy *p, const struct ward_policy_decision *d)
{
	bool enforced = false;
	for (size_t i = 0; i < d->n; i++) {
		const struct ward_policy_finding *f = &d->findings[i];
		CHECK(f->rule && f->rule[0] && f->field && f->field[0] && f->reason && f->origin);
		CHECK(f->layer < p->n_layers);
		enforced |= !f->exempt && f->mode == WARD_PMODE_ENFORCE;
	}
	CHECK(enforced == d->denied);
	CHECK(d->configured);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (memmem(data, size, "\"lua\"", 5))
		return 0;
	static struct ward_spec *spec;
	ward_err err = {0};
	if (!spec) {
		spec = ward_spec_parse(config, strlen(config), "config.json", &err);
		if (!spec)
			fprintf(stderr, "fuzz_policy: the fixed config: %s\n", err.msg);
		CHECK(spec);
	}
	struct ward_policy_layer l;
	if (ward_policy_layer_parse(&l, (const char *)data, size, "policy.json", false, &err) < 0) {
		CHECK(strncmp(err.msg, "policy.json", 11) == 0);
		return 0;
	}
	CHECK_NO_ERROR(err);
	struct ward_policy p = {0};
	CHECK(ward_policy_add_layer(&p, &l, &err) == 0);
	json_t *desc = ward_policy_describe(&p);
	CHECK(desc);
	json_decref(desc);
	struct ward_policy_facts facts = {0};
	facts.ns[WARD_NS_PID] = facts.ns[WARD_NS_IPC] = WARD_NSF_ABSENT;
	facts.ns[WARD_NS_MNT] = facts.ns[WARD_NS_NET] = WARD_NSF_NEW;
	char *real[] = {NULL, "/etc", NULL};
	int errs[3] = {0};
	facts.bind_real = real;
	facts.bind_errno = errs;
	facts.n_mounts = 2;
	facts.host_caps = (1ULL << 41) - 1;
	char *argv[] = {"containerd-shim-runc-v2", "-namespace", "k8s.io", NULL};
	facts.caller_exe = "/usr/bin/containerd-shim-runc-v2";
	facts.caller_argv = argv;
	for (int op = WARD_POP_CREATE; op <= WARD_POP_UPDATE; op++) {
		struct ward_policy_input in = {.op = op, .id = "c1", .spec = spec,
					       .process = spec->process, .facts = &facts,
					       .resources = spec->lx.resources};
		struct ward_policy_decision d;
		if (ward_policy_decide(&p, &in, &d, &err) == 0) {
			check_decision(&p, &d);
			json_t *j = ward_policy_decision_json(&p, &d);
			CHECK(j);
			json_decref(j);
			ward_policy_decision_release(&d);
		} else {
			CHECK(strncmp(err.msg, "policy policy.json: rules.", 26) == 0);
		}
	}
	ward_policy_release(&p);
	return 0;
}
