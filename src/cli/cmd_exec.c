/* exec */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/log.h"
#include "../util/strv.h"
#include "cli.h"

enum { OPT_CONSOLE = 256, OPT_PID_FILE, OPT_NNP, OPT_PRESERVE, OPT_APPARMOR, OPT_LABEL,
       OPT_CGROUP, OPT_IGNORE_PAUSED };

static const char exec_help[] =
	"usage: ward exec [options] <container-id> [command [args...]]\n\n"
	"Run a process in a running container: its namespaces, cgroup, seccomp\n"
	"filter and Landlock policy. The container's process settings are the\n"
	"base; the options change them.\n\nOptions:\n"
	"  -p, --process FILE          process.json to run (instead of a command)\n"
	"  -t, --tty                   allocate a pty\n"
	"  -w, --cwd DIR               working directory in the container\n"
	"  -e, --env NAME=VALUE        add an environment variable (repeat)\n"
	"  -u, --user UID[:GID]        run as this uid (and gid)\n"
	"  -g, --additional-gids GIDS  comma-separated supplementary gids\n"
	"  -c, --cap CAP               add a capability: bounding, effective and\n"
	"                              permitted sets (repeat)\n"
	"  --no-new-privs              set no_new_privs\n"
	"  -d, --detach                do not wait for the process\n"
	"  --pid-file FILE             write the process's pid to FILE\n"
	"  --console-socket PATH       send the pty master to this AF_UNIX socket\n"
	"  --preserve-fds N            pass N more fds (from 3) to the process\n"
	"  --apparmor PROFILE          AppArmor profile for the process\n"
	"  --process-label LABEL       SELinux label for the process\n"
	"  --cgroup PATH               accepted for runc compatibility; ignored\n"
	"  --ignore-paused             accepted for runc compatibility; ignored\n";

static int parse_user(const char *s, struct ward_exec_opts *o)
{
	char *end;
	unsigned long uid = strtoul(s, &end, 10);
	if (end == s || (*end && *end != ':'))
		return -1;
	o->has_user = true;
	o->uid = (uid_t)uid;
	if (*end == ':') {
		const char *g = end + 1;
		unsigned long gid = strtoul(g, &end, 10);
		if (end == g || *end)
			return -1;
		o->has_gid = true;
		o->gid = (gid_t)gid;
	}
	return 0;
}

static int parse_gids(const char *s, struct ward_exec_opts *o)
{
	char *copy = strdup(s), *save = NULL;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *end;
		unsigned long g = strtoul(t, &end, 10);
		if (*end || end == t) {
			free(copy);
			return -1;
		}
		gid_t *nv = realloc(o->additional_gids, (o->n_additional_gids + 1) * sizeof(gid_t));
		if (!nv) {
			free(copy);
			return -1;
		}
		o->additional_gids = nv;
		o->additional_gids[o->n_additional_gids++] = (gid_t)g;
	}
	free(copy);
	return 0;
}

int ward_cmd_exec(struct ward_cli *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{"console-socket", required_argument, NULL, OPT_CONSOLE},
		{"cwd", required_argument, NULL, 'w'},
		{"env", required_argument, NULL, 'e'},
		{"tty", no_argument, NULL, 't'},
		{"user", required_argument, NULL, 'u'},
		{"additional-gids", required_argument, NULL, 'g'},
		{"process", required_argument, NULL, 'p'},
		{"detach", no_argument, NULL, 'd'},
		{"pid-file", required_argument, NULL, OPT_PID_FILE},
		{"process-label", required_argument, NULL, OPT_LABEL},
		{"apparmor", required_argument, NULL, OPT_APPARMOR},
		{"no-new-privs", no_argument, NULL, OPT_NNP},
		{"cap", required_argument, NULL, 'c'},
		{"preserve-fds", required_argument, NULL, OPT_PRESERVE},
		{"cgroup", required_argument, NULL, OPT_CGROUP},
		{"ignore-paused", no_argument, NULL, OPT_IGNORE_PAUSED},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct ward_exec_opts o = {0};
	_cleanup_strv_ char **env = NULL;
	_cleanup_strv_ char **caps = NULL;
	int c;
	optind = 1;
	opterr = 0;
	/* '+': stop at the first non-option, the command's own flags are its own. */
	while ((c = getopt_long_only(argc, argv, "+w:e:tu:g:p:dc:h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_CONSOLE: o.console_socket = optarg; break;
		case 'w': o.cwd = optarg; break;
		case 'e':
			if (!strchr(optarg, '='))
				return ward_cli_usage("exec", "--env \"%s\": want NAME=value", optarg);
			ward_strv_push(&env, optarg);
			break;
		case 't': o.tty = true; break;
		case 'u':
			if (parse_user(optarg, &o) < 0)
				return ward_cli_usage("exec", "--user \"%s\": want uid[:gid]", optarg);
			break;
		case 'g':
			if (parse_gids(optarg, &o) < 0)
				return ward_cli_usage("exec", "--additional-gids \"%s\": want gids",
						      optarg);
			break;
		case 'p': o.process_file = optarg; break;
		case 'd': o.detach = true; break;
		case OPT_PID_FILE: o.pid_file = optarg; break;
		case OPT_LABEL: o.process_label = optarg; break;
		case OPT_APPARMOR: o.apparmor = optarg; break;
		case OPT_NNP: o.no_new_privs = true; break;
		case 'c':
			/* As runc: a name this build does not know is ignored, said. */
			if (ward_cap_from_name(optarg) < 0)
				ward_warn("exec: --cap: ignoring unknown capability \"%s\"", optarg);
			else
				ward_strv_push(&caps, optarg);
			break;
		case OPT_PRESERVE: o.preserve_fds = atoi(optarg); break;
		case OPT_CGROUP:
		case OPT_IGNORE_PAUSED: break;
		case 'h':
			fputs(exec_help, stdout);
			return 0;
		default: return ward_cli_usage("exec", "unknown option %s", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return ward_cli_usage("exec", "expects a container id");
	o.id = argv[optind];
	o.args = argv + optind + 1;
	if (!o.process_file && !o.args[0])
		return ward_cli_usage("exec", "expects a command or --process");
	o.env = env;
	o.caps = caps;
	ward_err err = {0};
	int code = 0;
	int r = ward_container_exec(&g->ctx, &o, &code, &err);
	free(o.additional_gids);
	if (r < 0)
		return ward_cli_fail(&err);
	return code;
}
