/* spec, features */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../cgroup/cgroup.h"
#include "../confine/landlock.h"
#include "../confine/seccomp.h"
#include "../linux/linux.h"
#include "../util/cleanup.h"
#include "../util/fs.h"
#include "cli.h"

int ward_cmd_spec(struct ward_cli *g, int argc, char **argv)
{
	(void)g;
	static const struct option opts[] = {
		{"bundle", required_argument, NULL, 'b'},
		{"rootless", no_argument, NULL, 'r'},
		{"landlock", no_argument, NULL, 'l'},
		{"restricted", no_argument, NULL, 'R'},
		{"integrity", no_argument, NULL, 'i'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *bundle = ".";
	bool rootless = false, landlock = false, restricted = false, integrity = false;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long_only(argc, argv, "b:h", opts, NULL)) != -1) {
		switch (c) {
		case 'b': bundle = optarg; break;
		case 'r': rootless = true; break;
		case 'l': landlock = true; break;
		case 'R': restricted = landlock = true; break;
		case 'i': integrity = true; break;
		case 'h':
			printf("usage: ward spec [options]\n\n"
			       "Write a hardened config.json into the bundle.\n\nOptions:\n"
			       "  -b, --bundle DIR   bundle directory (default: the current directory)\n"
			       "  --rootless         map the caller's uid and gid to root in a user\n"
			       "                     namespace, for an unprivileged user\n"
			       "  --landlock         add a Landlock policy: execute only beneath read-only\n"
			       "                     mounts, write only beneath writable ones, no\n"
			       "                     abstract-unix or signal escape\n"
			       "  --restricted       a config the admission policy's restricted level\n"
			       "                     admits (docs/policy.md): a user namespace,\n"
			       "                     capabilities at most NET_BIND_SERVICE, no_new_privs,\n"
			       "                     read-only root, the Landlock policy\n"
			       "  --integrity        measure what runs into the container's own list\n"
			       "                     (linux.integrity, docs/integrity.md)\n");
			return 0;
		default: return ward_cli_usage("spec", "unknown option %s", argv[optind - 1]);
		}
	}
	if (optind != argc)
		return ward_cli_usage("spec", "takes no arguments");
	ward_err err = {0};
	_cleanup_close_ int dir = open(bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0) {
		ward_err_sys(&err, errno, "spec: bundle %s", bundle);
		return ward_cli_fail(&err);
	}
	if (faccessat(dir, "config.json", F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		ward_err_set(&err, "spec: %s/config.json exists; remove it first", bundle);
		return ward_cli_fail(&err);
	}
	json_t *j = restricted ? ward_spec_restricted(rootless) : ward_spec_default(rootless);
	if (landlock)
		json_object_set_new(json_object_get(j, "process"), "landlock",
				    ward_landlock_default_policy());
	if (integrity)
		json_object_set_new(json_object_get(j, "linux"), "integrity",
				    json_pack("{s:s}", "mode", "measure"));
	char *text = json_dumps(j, JSON_INDENT(2));
	json_decref(j);
	if (!text) {
		ward_err_sys(&err, ENOMEM, "spec");
		return ward_cli_fail(&err);
	}
	size_t len = strlen(text);
	text = realloc(text, len + 2);
	text[len++] = '\n';
	text[len] = '\0';
	int r = ward_write_atomic_at(dir, "config.json", text, len, &err);
	free(text);
	if (r < 0)
		return ward_cli_fail(&err);
	(void)!fchmodat(dir, "config.json", 0644, 0);
	return 0;
}

int ward_cmd_features(struct ward_cli *g, int argc, char **argv)
{
	(void)g;
	int h = ward_cli_no_options(argc, argv,
				    "usage: ward features\n\n"
				    "Print what this build implements, as runtime-spec features JSON.\n");
	if (h)
		return h < 0;
	if (argc > 1)
		return ward_cli_usage("features", "takes no arguments");
	json_t *hooks = json_array();
	for (int k = 0; k < WARD_HOOK_COUNT; k++)
		json_array_append_new(hooks, json_string(ward_hook_names[k]));
	/* idmap/ridmap need mount_setattr (Linux >= 5.12): listed where ward can
	 * make them. */
	bool idmap = ward_idmap_supported();
	json_t *mopts = json_array();
	for (size_t i = 0; i < ward_n_mount_options; i++) {
		const char *n = ward_mount_options[i].name;
		if (idmap || (strcmp(n, "idmap") && strcmp(n, "ridmap")))
			json_array_append_new(mopts, json_string(n));
	}
	json_t *ns = json_array();
	for (int i = 0; i < WARD_NS_COUNT; i++)
		json_array_append_new(ns, json_string(ward_ns_table[i].spec_name));
	json_t *caps = json_array();
	for (int i = 0; i <= ward_cap_last(); i++)
		json_array_append_new(caps, json_string(ward_cap_name(i)));
	enum ward_cgroup_layout layout = ward_cgroup_layout();
	json_t *seccomp = json_pack("{s:b}", "enabled", 1);
	const char *const *tables[] = {ward_seccomp_actions, ward_seccomp_operators,
				       ward_seccomp_archs, ward_seccomp_flags, ward_seccomp_flags};
	const char *keys[] = {"actions", "operators", "archs", "knownFlags", "supportedFlags"};
	for (size_t t = 0; t < 5; t++) {
		json_t *a = json_array();
		for (const char *const *v = tables[t]; *v; v++)
			json_array_append_new(a, json_string(*v));
		json_object_set_new(seccomp, keys[t], a);
	}
	json_t *lxj = json_pack(
		"{s:o, s:o, s:{s:b, s:b, s:b, s:b, s:b}, s:o, s:{s:b}, s:{s:b}, s:{s:b}, "
		"s:{s:{s:b}}}",
		"namespaces", ns, "capabilities", caps, "cgroup", "v1", 1, "v2", 1, "systemd", 0,
		"systemdUser", 0, "rdma", 0, "seccomp", seccomp, "apparmor", "enabled", 0,
		"selinux", "enabled", 0, "intelRdt", "enabled", 0, "mountExtensions", "idmap",
		"enabled", idmap);
	/* checkpoint/restore: runc's key, which tools probe (crun prints it too). */
	json_t *annotations = json_pack("{s:s, s:s, s:s}", "io.github.ward.version",
					WARD_VERSION, "io.github.ward.cgroup.layout",
					ward_cgroup_layout_name(layout),
					"org.opencontainers.runc.checkpoint.enabled", "true");
	json_t *j = json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:[s]}", "ociVersionMin", "1.0.0",
			      "ociVersionMax", WARD_OCI_VERSION, "hooks", hooks, "mountOptions",
			      mopts, "linux", lxj, "annotations", annotations,
			      "potentiallyUnsafeConfigAnnotations", "org.criu.config");
	ward_cli_print_json(j);
	json_decref(j);
	return 0;
}
