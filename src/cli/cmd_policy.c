/* policy check | show: the admission policy without creating anything. */
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../policy/policy.h"
#include "../util/cleanup.h"
#include "cli.h"

struct policy_opts {
	const char *bundle, *config, *format, *id;
};

static void help(void)
{
	printf("usage: ward policy check [options]\n"
	       "       ward policy show [options]\n\n"
	       "check: every finding of the admission policy on a config, with its rule,\n"
	       "field and reason; exit 0 when it would be admitted, 1 when refused or the\n"
	       "policy is broken. show: the effective policy, the levels expanded.\n\n"
	       "Options:\n"
	       "  --policy FILE           a policy added to the system's (as the global option)\n"
	       "  -b, --bundle DIR        check DIR/config.json (default: the current directory)\n"
	       "  -c, --config FILE       check this config file\n"
	       "  --id ID                 the container id exemptions see (default: check)\n"
	       "  -f, --format text|json  output (default: text for check, json for show)\n");
}

static int parse_opts(const char *sub, int argc, char **argv, struct ward_cli *g,
		      struct policy_opts *o)
{
	static const struct option opts[] = {
		{"policy", required_argument, NULL, 'p'}, {"bundle", required_argument, NULL, 'b'},
		{"config", required_argument, NULL, 'c'}, {"format", required_argument, NULL, 'f'},
		{"id", required_argument, NULL, 'i'},	  {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long_only(argc, argv, "b:c:f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': g->ctx.policy_file = optarg; break;
		case 'b': o->bundle = optarg; break;
		case 'c': o->config = optarg; break;
		case 'f': o->format = optarg; break;
		case 'i': o->id = optarg; break;
		case 'h': help(); return 2;
		default: return ward_cli_usage("policy", "unknown option %s", argv[optind - 1]);
		}
	}
	if (strcmp(o->format, "text") && strcmp(o->format, "json"))
		return ward_cli_usage("policy", "--format: unknown format \"%s\"", o->format);
	if (o->bundle && o->config)
		return ward_cli_usage("policy", "--bundle and --config exclude each other");
	if (optind != argc)
		return ward_cli_usage("policy", "%s takes no arguments", sub);
	return 0;
}

static void print_text(const struct ward_policy *p, const struct ward_policy_decision *d)
{
	for (size_t i = 0; i < p->n_layers; i++)
		printf("policy %s: %s, %s (sha256 %s)\n", p->layers[i].path,
		       ward_policy_level_name(p->layers[i].level),
		       ward_policy_mode_name(p->layers[i].mode), p->layers[i].sha256);
	size_t enforced = 0;
	for (size_t i = 0; i < d->n; i++) {
		const struct ward_policy_finding *f = &d->findings[i];
		enforced += !f->exempt && f->mode == WARD_PMODE_ENFORCE;
		printf("%-8s %s/%s: %s: %s\n", f->exempt ? "exempt" : ward_policy_mode_name(f->mode),
		       f->origin, f->rule, f->field, f->reason);
	}
	if (d->denied)
		printf("denied: %zu finding%s enforced\n", enforced, enforced == 1 ? "" : "s");
	else
		printf("admitted%s\n", d->n ? " (with the findings above)" : "");
}

static int policy_check(struct ward_cli *g, const struct policy_opts *o)
{
	ward_err err = {0};
	char cfg[PATH_MAX], bundle[PATH_MAX];
	if (o->config)
		snprintf(cfg, sizeof(cfg), "%s", o->config);
	else
		snprintf(cfg, sizeof(cfg), "%s/config.json", o->bundle ? o->bundle : ".");
	snprintf(bundle, sizeof(bundle), "%s", o->bundle ? o->bundle : cfg);
	if (!o->bundle)
		snprintf(bundle, sizeof(bundle), "%s", dirname(bundle));
	struct ward_policy p;
	if (ward_policy_load(&g->ctx, &p, &err) < 0)
		return ward_cli_fail(&err);
	_cleanup_spec_ struct ward_spec *spec = ward_spec_load(cfg, &err);
	if (!spec) {
		ward_policy_release(&p);
		return ward_cli_fail(&err);
	}
	struct ward_policy_facts f;
	ward_policy_facts_gather(&f, spec, bundle, g->ctx.root);
	struct ward_policy_input in = {.op = WARD_POP_CREATE, .id = o->id, .spec = spec,
				       .process = spec->process, .facts = &f};
	struct ward_policy_decision d;
	int rc = 1;
	if (ward_policy_decide(&p, &in, &d, &err) < 0) {
		ward_cli_fail(&err);
	} else {
		if (!strcmp(o->format, "json")) {
			json_t *j = ward_policy_decision_json(&p, &d);
			ward_cli_print_json(j);
			json_decref(j);
		} else if (!p.n_layers) {
			printf("no admission policy applies (%s is absent)\n", WARD_POLICY_SYSTEM);
		} else {
			print_text(&p, &d);
		}
		rc = d.denied ? 1 : 0;
		ward_policy_decision_release(&d);
	}
	ward_policy_facts_release(&f);
	ward_policy_release(&p);
	return rc;
}

static int policy_show(struct ward_cli *g, const struct policy_opts *o)
{
	ward_err err = {0};
	struct ward_policy p;
	if (ward_policy_load(&g->ctx, &p, &err) < 0)
		return ward_cli_fail(&err);
	json_t *j = ward_policy_describe(&p);
	if (!strcmp(o->format, "json") || p.n_layers == 0) {
		if (!p.n_layers && strcmp(o->format, "json"))
			printf("no admission policy applies (%s is absent)\n", WARD_POLICY_SYSTEM);
		else
			ward_cli_print_json(j);
	} else {
		size_t i;
		json_t *l;
		json_array_foreach(json_object_get(j, "layers"), i, l) {
			printf("%s (%s): level %s, mode %s, sha256 %s\n",
			       json_string_value(json_object_get(l, "path")),
			       json_string_value(json_object_get(l, "role")),
			       json_string_value(json_object_get(l, "level")),
			       json_string_value(json_object_get(l, "mode")),
			       json_string_value(json_object_get(l, "sha256")));
			const char *name;
			json_t *r;
			json_object_foreach(json_object_get(l, "rules"), name, r)
				printf("  %-8s %-10s %-16s %s\n",
				       json_string_value(json_object_get(r, "mode")),
				       json_string_value(json_object_get(r, "origin")), name,
				       json_string_value(json_object_get(r, "summary"))
					       ? json_string_value(json_object_get(r, "summary"))
					       : json_string_value(json_object_get(r, "source")));
		}
	}
	json_decref(j);
	ward_policy_release(&p);
	return 0;
}

int ward_cmd_policy(struct ward_cli *g, int argc, char **argv)
{
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		help();
		return 0;
	}
	if (argc < 2 || (strcmp(argv[1], "check") && strcmp(argv[1], "show")))
		return ward_cli_usage("policy", "expects check or show");
	struct policy_opts o = {.format = strcmp(argv[1], "show") ? "text" : "json", .id = "check"};
	int r = parse_opts(argv[1], argc - 1, argv + 1, g, &o);
	if (r)
		return r == 2 ? 0 : r; /* 2: --help was shown */
	return strcmp(argv[1], "check") == 0 ? policy_check(g, &o) : policy_show(g, &o);
}
