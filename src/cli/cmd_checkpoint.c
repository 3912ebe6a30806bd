/* checkpoint and restore: runc's flags (docs/checkpoint.md). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum {
	OPT_IMAGE = 256,
	OPT_WORK,
	OPT_PARENT,
	OPT_LEAVE,
	OPT_TCP,
	OPT_EXT_UNIX,
	OPT_SHELL,
	OPT_LAZY,
	OPT_STATUS_FD,
	OPT_PAGE_SERVER,
	OPT_LOCKS,
	OPT_PRE_DUMP,
	OPT_CG_MODE,
	OPT_EMPTY_NS,
	OPT_DEDUP,
	OPT_CONSOLE,
	OPT_PID_FILE,
	OPT_NO_SUBREAPER,
	OPT_NO_PIVOT,
	OPT_LSM_PROFILE,
	OPT_LSM_MOUNT,
};

/* Both commands parse one table; each refuses the other's flags. */
static const struct option criu_opts[] = {
    {"image-path", required_argument, NULL, OPT_IMAGE},
    {"work-path", required_argument, NULL, OPT_WORK},
    {"parent-path", required_argument, NULL, OPT_PARENT},
    {"leave-running", no_argument, NULL, OPT_LEAVE},
    {"tcp-established", no_argument, NULL, OPT_TCP},
    {"ext-unix-sk", no_argument, NULL, OPT_EXT_UNIX},
    {"shell-job", no_argument, NULL, OPT_SHELL},
    {"lazy-pages", no_argument, NULL, OPT_LAZY},
    {"status-fd", required_argument, NULL, OPT_STATUS_FD},
    {"page-server", required_argument, NULL, OPT_PAGE_SERVER},
    {"file-locks", no_argument, NULL, OPT_LOCKS},
    {"pre-dump", no_argument, NULL, OPT_PRE_DUMP},
    {"manage-cgroups-mode", required_argument, NULL, OPT_CG_MODE},
    {"empty-ns", required_argument, NULL, OPT_EMPTY_NS},
    {"auto-dedup", no_argument, NULL, OPT_DEDUP},
    {"console-socket", required_argument, NULL, OPT_CONSOLE},
    {"bundle", required_argument, NULL, 'b'},
    {"detach", no_argument, NULL, 'd'},
    {"pid-file", required_argument, NULL, OPT_PID_FILE},
    {"no-subreaper", no_argument, NULL, OPT_NO_SUBREAPER},
    {"no-pivot", no_argument, NULL, OPT_NO_PIVOT},
    {"lsm-profile", required_argument, NULL, OPT_LSM_PROFILE},
    {"lsm-mount-context", required_argument, NULL, OPT_LSM_MOUNT},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static const char checkpoint_help[] =
	"usage: ward checkpoint [options] <container-id>\n\n"
	"Save a running container's processes with CRIU (docs/checkpoint.md); the\n"
	"container is then deleted, unless --leave-running or --pre-dump.\n\n"
	"Options:\n"
	"  --image-path DIR              where criu writes its images (default:\n"
	"                                ./checkpoint)\n"
	"  --work-path DIR               criu's logs (default: the image path)\n"
	"  --leave-running               keep the container running afterwards\n"
	"  --pre-dump                    save the memory only, keep running\n"
	"  --parent-path DIR             a previous pre-dump, relative to --image-path\n"
	"  --tcp-established             allow open TCP connections\n"
	"  --ext-unix-sk                 allow unix sockets connected outside\n"
	"  --shell-job                   allow a session outside the container\n"
	"  --file-locks                  allow held file locks\n"
	"  --manage-cgroups-mode soft|full|strict|ignore\n"
	"                                how criu treats cgroups (default: soft)\n"
	"  --empty-ns network            accepted: the network namespace always\n"
	"                                comes back empty (as in runc)\n"
	"  --auto-dedup                  free memory images once merged\n"
	"\nNot supported (refused): --lazy-pages, --page-server, --status-fd.\n";

static const char restore_help[] =
	"usage: ward restore [options] <container-id>\n\n"
	"Create a container from the bundle with the processes of a checkpoint\n"
	"(docs/checkpoint.md); they must come back confined as they were.\n"
	"Without --detach, wait for the container as `ward run` does.\n\n"
	"Options:\n"
	"  --image-path DIR              criu's images (default: ./checkpoint)\n"
	"  --work-path DIR               criu's logs (default: the image path)\n"
	"  -b, --bundle DIR              bundle directory (default: the current\n"
	"                                directory)\n"
	"  -d, --detach                  do not wait for the container\n"
	"  --pid-file FILE               write the restored init's pid to FILE\n"
	"  --console-socket PATH         send the restored terminal's master to\n"
	"                                this AF_UNIX socket\n"
	"  --tcp-established             restore open TCP connections\n"
	"  --ext-unix-sk                 allow unix sockets connected outside\n"
	"  --shell-job                   allow a session outside the container\n"
	"  --file-locks                  restore held file locks\n"
	"  --manage-cgroups-mode soft|full|strict|ignore\n"
	"                                how criu treats cgroups (default: soft)\n"
	"  --empty-ns network            accepted: the network namespace always\n"
	"                                comes back empty (as in runc)\n"
	"  --auto-dedup                  free memory images as they are restored\n"
	"  --no-subreaper                accepted for runc compatibility; ignored\n"
	"  --no-pivot                    accepted for runc compatibility; ignored\n"
	"\nNot supported (refused): --lazy-pages, --lsm-profile, --lsm-mount-context.\n";

struct parsed {
	struct ward_checkpoint_opts ck;
	struct ward_create_opts cr;
	bool detach, help;
	const char *id;
};

/* A flag of the other command, or one ward does not implement. */
static int refused(const char *cmd, int c)
{
	switch (c) {
	case OPT_LAZY:
	case OPT_PAGE_SERVER:
	case OPT_STATUS_FD:
		return ward_cli_usage(cmd, "--lazy-pages, --page-server and --status-fd (lazy "
					   "migration through userfaultfd and a page server) are "
					   "not supported by ward");
	case OPT_LSM_PROFILE:
	case OPT_LSM_MOUNT:
		return ward_cli_usage(cmd, "--lsm-profile and --lsm-mount-context are not "
					   "supported: the restored processes keep their labels");
	default:
		return ward_cli_usage(cmd, "this option belongs to `ward %s`",
				      strcmp(cmd, "restore") ? "restore" : "checkpoint");
	}
}

static int shared_flag(struct ward_criu_opts *o, const char *cmd, int c, const char *arg)
{
	switch (c) {
	case OPT_IMAGE:
		o->image_path = arg;
		return 0;
	case OPT_WORK:
		o->work_path = arg;
		return 0;
	case OPT_TCP:
		o->tcp_established = true;
		return 0;
	case OPT_EXT_UNIX:
		o->ext_unix_sk = true;
		return 0;
	case OPT_SHELL:
		o->shell_job = true;
		return 0;
	case OPT_LOCKS:
		o->file_locks = true;
		return 0;
	case OPT_DEDUP:
		o->auto_dedup = true;
		return 0;
	case OPT_CG_MODE:
		o->manage_cgroups_mode = arg;
		return 0;
	case OPT_EMPTY_NS:
		if (strcmp(arg, "network") != 0)
			return ward_cli_usage(cmd,
					      "--empty-ns: namespace \"%s\" is not supported "
					      "(only network)",
					      arg);
		o->empty_ns_network = true;
		return 0;
	default:
		return 1; /* not a shared flag */
	}
}

static int own_flag(struct parsed *p, bool restore, const char *cmd, int c, const char *arg)
{
	if (!restore) {
		switch (c) {
		case OPT_PARENT:
			p->ck.parent_path = arg;
			return 0;
		case OPT_LEAVE:
			p->ck.leave_running = true;
			return 0;
		case OPT_PRE_DUMP:
			p->ck.pre_dump = true;
			return 0;
		default:
			return refused(cmd, c);
		}
	}
	switch (c) {
	case 'b':
		p->cr.bundle = arg;
		return 0;
	case 'd':
		p->detach = true;
		return 0;
	case OPT_PID_FILE:
		p->cr.pid_file = arg;
		return 0;
	case OPT_CONSOLE:
		p->cr.console_socket = arg;
		return 0;
	case OPT_NO_SUBREAPER:
		return 0; /* as create: ward is no subreaper */
	case OPT_NO_PIVOT:
		return 0; /* criu makes the root, pivot or not */
	default:
		return refused(cmd, c);
	}
}

static int parse(bool restore, int argc, char **argv, struct parsed *p)
{
	const char *cmd = restore ? "restore" : "checkpoint";
	struct ward_criu_opts *shared = &p->ck.c;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long_only(argc, argv, "+b:dh", criu_opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(restore ? restore_help : checkpoint_help, stdout);
			p->help = true;
			return 0;
		}
		if (c == '?' || c == ':')
			return ward_cli_usage(cmd, "unknown option %s", argv[optind - 1]);
		int r = shared_flag(shared, cmd, c, optarg);
		if (r == 1)
			r = own_flag(p, restore, cmd, c, optarg);
		if (r != 0)
			return 1;
	}
	if (optind != argc - 1)
		return ward_cli_usage(cmd, "expects exactly one container id");
	p->id = argv[optind];
	return 0;
}

int ward_cmd_checkpoint(struct ward_cli *g, int argc, char **argv)
{
	struct parsed p = {0};
	if (parse(false, argc, argv, &p) != 0)
		return 1;
	if (p.help)
		return 0;
	ward_err err = {0};
	if (ward_container_checkpoint(&g->ctx, p.id, &p.ck, &err) < 0)
		return ward_cli_fail(&err);
	return 0;
}

int ward_cmd_restore(struct ward_cli *g, int argc, char **argv)
{
	struct parsed p = {0};
	if (parse(true, argc, argv, &p) != 0)
		return 1;
	if (p.help)
		return 0;
	p.cr.id = p.id;
	p.cr.restore = &p.ck.c;
	p.cr.foreground = !p.detach;
	ward_err err = {0};
	int code = 0;
	if (ward_container_restore(&g->ctx, &p.cr, p.detach, &code, &err) < 0)
		return ward_cli_fail(&err);
	return code;
}
