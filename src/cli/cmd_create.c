/* create, run, start */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { OPT_PID_FILE = 256, OPT_CONSOLE, OPT_NO_PIVOT, OPT_NO_KEYRING, OPT_PRESERVE, OPT_KEEP,
       OPT_NO_SUBREAPER };

static const struct option create_opts[] = {
	{"bundle", required_argument, NULL, 'b'},
	{"pid-file", required_argument, NULL, OPT_PID_FILE},
	{"console-socket", required_argument, NULL, OPT_CONSOLE},
	{"no-pivot", no_argument, NULL, OPT_NO_PIVOT},
	{"no-new-keyring", no_argument, NULL, OPT_NO_KEYRING},
	{"preserve-fds", required_argument, NULL, OPT_PRESERVE},
	{"detach", no_argument, NULL, 'd'},
	{"keep", no_argument, NULL, OPT_KEEP},
	{"no-subreaper", no_argument, NULL, OPT_NO_SUBREAPER},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static void help(const char *cmd)
{
	bool run = strcmp(cmd, "run") == 0;
	printf("usage: ward %s [options] <container-id>\n\n%s\n\nOptions:\n"
	       "  -b, --bundle DIR        bundle directory (default: the current directory)\n"
	       "  --pid-file FILE         write the init's pid to FILE\n"
	       "  --console-socket PATH   send the pty master to this AF_UNIX socket\n"
	       "  --no-pivot              use MS_MOVE+chroot instead of pivot_root (weaker)\n"
	       "  --no-new-keyring        keep the caller's session keyring\n"
	       "  --preserve-fds N        pass N more fds (from 3) to the process\n"
	       "  --no-subreaper          accepted for runc compatibility; ignored\n",
	       cmd,
	       run ? "Create a container from the bundle and run its process; in the foreground,\n"
		     "exit with its status (128+N when a signal N ended it)."
		   : "Create a container from the bundle; its process waits for `ward start`.");
	if (run)
		printf("  -d, --detach            do not wait for the container\n"
		       "  --keep                  do not delete the container after it exits\n");
}

static int parse(const char *cmd, bool run, int argc, char **argv, struct ward_create_opts *o,
		 bool *detach, bool *keep, bool *help_shown)
{
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long_only(argc, argv, run ? "+b:dh" : "+b:h", create_opts, NULL)) != -1) {
		switch (c) {
		case 'b': o->bundle = optarg; break;
		case OPT_PID_FILE: o->pid_file = optarg; break;
		case OPT_CONSOLE: o->console_socket = optarg; break;
		case OPT_NO_PIVOT: o->no_pivot = true; break;
		case OPT_NO_KEYRING: o->no_new_keyring = true; break;
		case OPT_NO_SUBREAPER: break;
		case OPT_PRESERVE: {
			char *end;
			long n = strtol(optarg, &end, 10);
			if (*end || n < 0 || n > 65536)
				return ward_cli_usage(cmd, "--preserve-fds: \"%s\" is not a count", optarg);
			o->preserve_fds = (int)n;
			break;
		}
		case 'd':
			if (!run)
				return ward_cli_usage(cmd, "unknown option --detach");
			*detach = true;
			break;
		case OPT_KEEP:
			if (!run)
				return ward_cli_usage(cmd, "unknown option --keep");
			*keep = true;
			break;
		case 'h': help(cmd); *help_shown = true; return 0;
		default: return ward_cli_usage(cmd, "unknown option %s", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return ward_cli_usage(cmd, "expects exactly one container id");
	o->id = argv[optind];
	return 0;
}

int ward_cmd_create(struct ward_cli *g, int argc, char **argv)
{
	struct ward_create_opts o = {0};
	bool detach = false, keep = false, shown = false;
	if (parse("create", false, argc, argv, &o, &detach, &keep, &shown) != 0)
		return 1;
	if (shown)
		return 0;
	ward_err err = {0};
	struct ward_created c = {0};
	if (ward_container_create(&g->ctx, &o, &c, &err) < 0)
		return ward_cli_fail(&err);
	return 0;
}

int ward_cmd_run(struct ward_cli *g, int argc, char **argv)
{
	struct ward_create_opts o = {0};
	bool detach = false, keep = false, shown = false;
	if (parse("run", true, argc, argv, &o, &detach, &keep, &shown) != 0)
		return 1;
	if (shown)
		return 0;
	if (detach && keep)
		return ward_cli_usage("run", "--keep cannot be used with --detach");
	o.foreground = !detach;
	ward_err err = {0};
	int code = 0;
	if (ward_container_run(&g->ctx, &o, detach, keep, &code, &err) < 0)
		return ward_cli_fail(&err);
	return code;
}

int ward_cmd_start(struct ward_cli *g, int argc, char **argv)
{
	int h = ward_cli_no_options(argc, argv,
				    "usage: ward start <container-id>\n\n"
				    "Run the process of a created container.\n");
	if (h)
		return h < 0;
	if (argc != 2 || argv[1][0] == '-')
		return ward_cli_usage("start", "expects exactly one container id");
	ward_err err = {0};
	if (ward_container_start(&g->ctx, argv[1], &err) < 0)
		return ward_cli_fail(&err);
	return 0;
}
