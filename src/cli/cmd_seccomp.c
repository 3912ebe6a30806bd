/* seccomp default | convert: ward's profile, and Docker profiles in OCI form. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "cli.h"

static const uint64_t docker_default_caps =
	(1ULL << 0) | (1ULL << 1) | (1ULL << 3) | (1ULL << 4) | (1ULL << 5) | (1ULL << 6) |
	(1ULL << 7) | (1ULL << 8) | (1ULL << 10) | (1ULL << 13) | (1ULL << 18) | (1ULL << 27) |
	(1ULL << 29) | (1ULL << 31);

static void help(void)
{
	printf("usage: ward seccomp default [options]\n"
	       "       ward seccomp convert [options] PROFILE.json\n\n"
	       "default: print ward's default profile as linux.seccomp JSON.\n"
	       "convert: turn a Docker/podman profile (archMap, includes/excludes) into\n"
	       "linux.seccomp JSON for this machine's architecture and kernel.\n\nOptions:\n"
	       "  -c, --cap CAP   a capability of the container (repeat; default: Docker's 14)\n");
}

int ward_cmd_seccomp(struct ward_cli *g, int argc, char **argv)
{
	(void)g;
	static const struct option opts[] = {
		{"cap", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		help();
		return argc < 2;
	}
	const char *sub = argv[1];
	uint64_t caps = 0;
	bool caps_given = false;
	int c;
	optind = 2;
	opterr = 0;
	while ((c = getopt_long_only(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': {
			int cap = ward_cap_from_name(optarg);
			if (cap < 0)
				return ward_cli_usage("seccomp", "--cap: unknown capability \"%s\"",
						      optarg);
			caps |= 1ULL << cap;
			caps_given = true;
			break;
		}
		case 'h': help(); return 0;
		default: return ward_cli_usage("seccomp", "unknown option %s", argv[optind - 1]);
		}
	}
	if (!caps_given)
		caps = docker_default_caps;
	json_t *out = NULL;
	ward_err err = {0};
	if (!strcmp(sub, "default")) {
		if (optind != argc)
			return ward_cli_usage("seccomp", "default takes no file");
		out = ward_seccomp_default(caps);
	} else if (!strcmp(sub, "convert")) {
		if (optind != argc - 1)
			return ward_cli_usage("seccomp", "convert needs one profile file");
		_cleanup_free_ char *text = NULL;
		size_t len;
		if (ward_read_file_at(AT_FDCWD, argv[optind], &text, &len, &err) < 0)
			return ward_cli_fail(&err);
		json_error_t jerr;
		json_t *p = json_loadb(text, len, 0, &jerr);
		if (!p) {
			ward_err_set(&err, "%s:%d:%d: invalid JSON: %s", argv[optind], jerr.line,
				     jerr.column, jerr.text);
			return ward_cli_fail(&err);
		}
		struct utsname u;
		int kmaj = 0, kmin = 0;
		if (uname(&u) == 0)
			sscanf(u.release, "%d.%d", &kmaj, &kmin);
		out = ward_seccomp_from_docker(p, argv[optind], caps, kmaj, kmin, &err);
		json_decref(p);
		if (!out)
			return ward_cli_fail(&err);
	} else {
		return ward_cli_usage("seccomp", "unknown subcommand \"%s\"", sub);
	}
	ward_cli_print_json(out);
	json_decref(out);
	return 0;
}
