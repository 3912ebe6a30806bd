/* inspect: the confinement report of a running container. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "../util/cleanup.h"
#include "cli.h"

static void print_list(const char *label, json_t *arr)
{
	printf("%-16s", label);
	size_t i;
	json_t *v;
	if (!json_array_size(arr))
		printf(" (none)");
	json_array_foreach(arr, i, v) printf("%s%s", i ? ", " : " ", json_string_value(v));
	printf("\n");
}

static void print_audit(json_t *a)
{
	printf("\naudit:\n");
	if (!json_is_object(a)) {
		printf("  not audited\n");
		return;
	}
	json_t *m = json_object_get(a, "mapping");
	printf("  %-14s %s\n", "audit ID", json_string_value(json_object_get(a, "id")));
	const char *attr = json_string_value(json_object_get(m, "attribution"));
	if (attr && strcmp(attr, "session") == 0)
		printf("  %-14s session %lld (now %lld%s)\n", "attribution",
		       (long long)json_integer_value(json_object_get(m, "ses")),
		       (long long)json_integer_value(json_object_get(a, "sessionNow")),
		       json_is_true(json_object_get(a, "sessionKept")) ? "" : ": LEFT");
	else
		printf("  %-14s %s (%s)\n", "attribution", attr ? attr : "?",
		       json_string_value(json_object_get(m, "session-error")));
	if (json_is_true(json_object_get(m, "audit-control")))
		printf("  %-14s HELD: a process could begin a session of its own\n",
		       "AUDIT_CONTROL");
	printf("  %-14s %s\n", "kernel", json_string_value(json_object_get(a, "kernel")));
	printf("  %-14s %s\n", "log", json_string_value(json_object_get(a, "log")));
	const char *host = json_string_value(json_object_get(a, "hostLog"));
	printf("  %-14s %s\n", "host log", host ? host : "(none)");
}

static void print_policy(json_t *pol)
{
	printf("\nadmission policy:\n");
	if (!json_is_object(pol)) {
		printf("  none applied at create\n");
		return;
	}
	size_t i;
	json_t *v;
	printf("  %s at %s\n", json_string_value(json_object_get(pol, "decision")),
	       json_string_value(json_object_get(pol, "operation")));
	json_array_foreach(json_object_get(pol, "policies"), i, v)
		printf("  policy %s: %s, %s (sha256 %s)\n", json_string_value(json_object_get(v, "path")),
		       json_string_value(json_object_get(v, "level")),
		       json_string_value(json_object_get(v, "mode")),
		       json_string_value(json_object_get(v, "sha256")));
	json_array_foreach(json_object_get(pol, "findings"), i, v)
		printf("  %-8s %s/%s: %s: %s\n",
		       json_is_true(json_object_get(v, "exempt"))
			       ? "exempt"
			       : json_string_value(json_object_get(v, "mode")),
		       json_string_value(json_object_get(v, "origin")),
		       json_string_value(json_object_get(v, "rule")),
		       json_string_value(json_object_get(v, "field")),
		       json_string_value(json_object_get(v, "reason")));
}

static void print_human(json_t *j)
{
	printf("container %s (%s), init pid %lld\n", json_string_value(json_object_get(j, "id")),
	       json_string_value(json_object_get(j, "status")),
	       (long long)json_integer_value(json_object_get(j, "pid")));
	printf("\nnamespaces:\n");
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(j, "namespaces"), i, v)
		printf("  %-8s %-10s inode %lld\n", json_string_value(json_object_get(v, "type")),
		       json_is_true(json_object_get(v, "private")) ? "private" : "HOST's",
		       (long long)json_integer_value(json_object_get(v, "inode")));
	printf("\nidentity:\n");
	printf("  uid %s / gid %s\n", json_string_value(json_object_get(j, "uid")),
	       json_string_value(json_object_get(j, "gid")));
	print_list("  uid_map", json_object_get(j, "uidMap"));
	print_list("  gid_map", json_object_get(j, "gidMap"));
	printf("\ncapabilities:\n");
	const char *sets[] = {"bounding", "permitted", "effective", "inheritable", "ambient"};
	json_t *caps = json_object_get(j, "capabilities");
	for (size_t s = 0; s < 5; s++) {
		json_t *set = json_object_get(caps, sets[s]);
		char label[32];
		snprintf(label, sizeof(label), "  %s", sets[s]);
		print_list(label, json_object_get(set, "names"));
	}
	printf("\nsyscalls and privileges:\n");
	printf("  no_new_privs   %s\n", json_is_true(json_object_get(j, "noNewPrivs")) ? "yes" : "NO");
	long long mode = json_integer_value(json_object_get(j, "seccompMode"));
	printf("  seccomp        %s (%lld filter%s)\n",
	       mode == 2 ? "filter" : mode == 1 ? "strict" : "DISABLED",
	       (long long)json_integer_value(json_object_get(j, "seccompFilters")),
	       json_integer_value(json_object_get(j, "seccompFilters")) == 1 ? "" : "s");
	printf("\nLSM:\n");
	json_t *lsm = json_object_get(j, "lsm");
	print_list("  active", json_object_get(lsm, "active"));
	static const char *const labelled[] = {"apparmor", "selinux"};
	for (size_t l = 0; l < ARRAY_SIZE(labelled); l++) {
		json_t *m = json_object_get(lsm, labelled[l]);
		const char *req = json_string_value(json_object_get(m, "requested"));
		const char *cur = json_string_value(json_object_get(m, "label"));
		if (!json_is_true(json_object_get(m, "enabled")))
			printf("  %-14s not enabled on this host%s%s\n", labelled[l],
			       req ? ", but the config asks for " : "", req ? req : "");
		else
			printf("  %-14s label %s (config: %s)\n", labelled[l], cur ? cur : "(none)",
			       req ? req : "none");
	}
	json_t *ll = json_object_get(j, "landlock");
	if (json_is_object(ll)) {
		json_t *p = json_object_get(ll, "policy");
		printf("  %-14s %s, kernel ABI %lld, %s", "landlock",
		       json_is_true(json_object_get(p, "enforced")) ? "ENFORCED" : "NOT ENFORCED",
		       (long long)json_integer_value(json_object_get(p, "abi")),
		       json_is_true(json_object_get(p, "disableBestEffort")) ? "strict" : "best effort");
		const char *preset = json_string_value(json_object_get(p, "preset"));
		if (preset)
			printf(", preset %s", preset);
		printf(", %lld path rule(s), %lld port rule(s)\n",
		       (long long)json_integer_value(json_object_get(p, "pathRules")),
		       (long long)json_integer_value(json_object_get(p, "portRules")));
		print_list("    handled fs", json_object_get(p, "handledAccessFS"));
		print_list("    handled net", json_object_get(p, "handledAccessNet"));
		print_list("    scoped", json_object_get(p, "scoped"));
		if (json_array_size(json_object_get(p, "dropped")))
			print_list("    DROPPED", json_object_get(p, "dropped"));
		if (json_array_size(json_object_get(p, "skippedPaths")))
			print_list("    SKIPPED", json_object_get(p, "skippedPaths"));
	} else {
		printf("  %-14s none\n", "landlock");
	}
	printf("\nmasked paths:\n");
	json_array_foreach(json_object_get(j, "maskedPaths"), i, v)
		printf("  %-32s %s\n", json_string_value(json_object_get(v, "path")),
		       json_is_true(json_object_get(v, "masked"))   ? "masked"
		       : json_is_true(json_object_get(v, "absent")) ? "absent"
								    : "NOT MASKED");
	printf("read-only paths:\n");
	json_array_foreach(json_object_get(j, "readonlyPaths"), i, v)
		printf("  %-32s %s\n", json_string_value(json_object_get(v, "path")),
		       json_is_true(json_object_get(v, "readonly")) ? "read-only"
		       : json_is_true(json_object_get(v, "absent")) ? "absent"
								    : "WRITABLE");
	const char *k;
	json_t *cg = json_object_get(j, "cgroup");
	printf("\ncgroup (%s):\n", json_string_value(json_object_get(cg, "layout")));
	json_array_foreach(json_object_get(cg, "paths"), i, v) printf("  %s\n", json_string_value(v));
	json_object_foreach(json_object_get(cg, "limits"), k, v)
	{
		if (json_is_integer(v))
			printf("  limit %-8s %lld\n", k, (long long)json_integer_value(v));
		else
			printf("  limit %-8s %s\n", k, json_string_value(v));
	}
	print_policy(json_object_get(j, "policy"));
	printf("\nrlimits:\n");
	json_array_foreach(json_object_get(j, "rlimits"), i, v)
		printf("  %-26s %-12s %s\n", json_string_value(json_object_get(v, "name")),
		       json_string_value(json_object_get(v, "soft")),
		       json_string_value(json_object_get(v, "hard")));
	print_audit(json_object_get(j, "audit"));
	ward_cli_print_integrity(json_object_get(j, "integrity"));
}

int ward_cmd_inspect(struct ward_cli *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{"format", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *format = "text";
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long_only(argc, argv, "f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f': format = optarg; break;
		case 'h':
			printf("usage: ward inspect [options] <container-id>\n\n"
			       "Report what confines a running container, read back from the kernel.\n\n"
			       "Options:\n"
			       "  -f, --format text|json   a report for people (default) or JSON\n");
			return 0;
		default: return ward_cli_usage("inspect", "unknown option %s", argv[optind - 1]);
		}
	}
	if (strcmp(format, "text") && strcmp(format, "json") && strcmp(format, "table"))
		return ward_cli_usage("inspect", "--format: unknown format \"%s\"", format);
	if (argc - optind != 1)
		return ward_cli_usage("inspect", "expects exactly one container id");
	ward_err err = {0};
	json_t *j = ward_container_inspect(&g->ctx, argv[optind], &err);
	if (!j)
		return ward_cli_fail(&err);
	if (!strcmp(format, "json"))
		ward_cli_print_json(j);
	else
		print_human(j);
	json_decref(j);
	return 0;
}
