/* kill, delete */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

int ward_cmd_kill(struct ward_cli *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{"all", no_argument, NULL, 'a'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	bool all = false;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long_only(argc, argv, "+ah", opts, NULL)) != -1) {
		switch (c) {
		case 'a': all = true; break;
		case 'h':
			printf("usage: ward kill [options] <container-id> [signal]\n\n"
			       "Send a signal (default SIGTERM; a name, with or without SIG, or a number)\n"
			       "to the container's init.\n\nOptions:\n"
			       "  -a, --all   signal every process in the container's cgroup\n");
			return 0;
		default: return ward_cli_usage("kill", "unknown option %s", argv[optind - 1]);
		}
	}
	int left = argc - optind;
	if (left < 1 || left > 2)
		return ward_cli_usage("kill", "expects a container id and an optional signal");
	int sig = SIGTERM;
	if (left == 2 && (sig = ward_signal_from_name(argv[optind + 1])) < 0) {
		ward_err err;
		ward_err_set(&err, "kill: unknown signal \"%s\"", argv[optind + 1]);
		return ward_cli_fail(&err);
	}
	ward_err err = {0};
	if (ward_container_kill(&g->ctx, argv[optind], sig, all, &err) < 0)
		return ward_cli_fail(&err);
	return 0;
}

int ward_cmd_delete(struct ward_cli *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{"force", no_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	bool force = false;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long_only(argc, argv, "fh", opts, NULL)) != -1) {
		switch (c) {
		case 'f': force = true; break;
		case 'h':
			printf("usage: ward delete [options] <container-id>\n\n"
			       "Remove a stopped or created container: its processes, cgroup and state.\n\n"
			       "Options:\n"
			       "  -f, --force   also a running or paused one (SIGKILL first); no error\n"
			       "                when it does not exist\n");
			return 0;
		default: return ward_cli_usage("delete", "unknown option %s", argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return ward_cli_usage("delete", "expects exactly one container id");
	ward_err err = {0};
	if (ward_container_delete(&g->ctx, argv[optind], force, &err) < 0)
		return ward_cli_fail(&err);
	return 0;
}
