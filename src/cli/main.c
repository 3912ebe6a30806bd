/* ward's command line: runc's global flags and commands. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../audit/audit.h"
#include "../util/cleanup.h"
#include "../util/fault.h"
#include "../util/log.h"
#include "../util/rootless.h"
#include "cli.h"

int ward_cli_fail(const ward_err *err)
{
	char line[WARD_ERR_MSG_MAX + 128];
	ward_error("%s", ward_err_str(err, line, sizeof(line)));
	return 1;
}

int ward_cli_usage(const char *cmd, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ward_error("%s: %s (see `ward %s --help`)", cmd, msg, cmd);
	return 1;
}

void ward_cli_print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_ESCAPE_SLASH * 0);
	if (s) {
		puts(s);
		free(s);
	}
}

int ward_cli_no_options(int argc, char **argv, const char *usage)
{
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] != '-')
			continue;
		if (strcmp(argv[i], "--help") && strcmp(argv[i], "-help") && strcmp(argv[i], "-h"))
			return -ward_cli_usage(argv[0], "unknown option %s", argv[i]);
		fputs(usage, stdout);
		return 1;
	}
	return 0;
}

static int cmd_help(struct ward_cli *g, int argc, char **argv);

static const struct {
	const char *name;
	int (*fn)(struct ward_cli *, int, char **);
	const char *help;
} commands[] = {
	{"create", ward_cmd_create, "create a container"},
	{"start", ward_cmd_start, "start the user process of a created container"},
	{"run", ward_cmd_run, "create and start a container"},
	{"state", ward_cmd_state, "print the state of a container"},
	{"kill", ward_cmd_kill, "send a signal to a container's init"},
	{"delete", ward_cmd_delete, "delete a container and its resources"},
	{"list", ward_cmd_list, "list containers"},
	{"exec", ward_cmd_exec, "run a process inside a running container"},
	{"spec", ward_cmd_spec, "write a new (hardened) config.json"},
	{"features", ward_cmd_features, "print what this runtime implements (JSON)"},
	{"ps", ward_cmd_ps, "list the processes of a container"},
	{"pause", ward_cmd_pause, "freeze every process of a container"},
	{"resume", ward_cmd_pause, "thaw a paused container"},
	{"update", ward_cmd_update, "change a container's resource limits"},
	{"events", ward_cmd_events, "stream stats and OOM events (JSON)"},
	{"inspect", ward_cmd_inspect, "report what confines a running container"},
	{"seccomp", ward_cmd_seccomp, "print ward's seccomp profile, convert Docker's"},
	{"audit", ward_cmd_audit, "a container's audit trail (kernel records, ward's log)"},
	{"checkpoint", ward_cmd_checkpoint, "checkpoint a running container (CRIU)"},
	{"restore", ward_cmd_restore, "restore a container from a checkpoint (CRIU)"},
	{"policy", ward_cmd_policy, "check a config against the admission policy, show it"},
	{"help", cmd_help, "show the help of ward or of one command"},
	{"integrity", ward_cmd_integrity, "a container's measurement list, PCR and policy"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: ward [global options] COMMAND [options] [args]\n\n"
		   "A security-first OCI container runtime, runc-compatible.\n\nCommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\nGlobal options:\n"
		   "  --root DIR                  state directory (default /run/ward; rootless:\n"
		   "                              $XDG_RUNTIME_DIR/ward)\n"
		   "  --log FILE                  log file (default: stderr)\n"
		   "  --log-format text|json      log format (default text)\n"
		   "  --debug                     debug logging\n"
		   "  --audit                     audit this command's containers (docs/audit.md;\n"
		   "                              also WARD_AUDIT=1 or /etc/ward/audit.json)\n"
		   "  --policy FILE               an admission policy added to /etc/ward/policy.json\n"
		   "                              (it can only add restrictions; also WARD_POLICY)\n"
		   "  --systemd-cgroup            cgroupsPath is slice:prefix:name, placed where\n"
		   "                              systemd would put the unit (cgroupfs; no D-Bus)\n"
		   "  --rootless true|false|auto  default auto: not root, or root of a user\n"
		   "                              namespace that is not the host's\n"
		   "  --criu PATH                 criu binary for checkpoint/restore (default:\n"
		   "                              criu from PATH)\n"
		   "  --version, -v               print the version\n"
		   "  --help, -h                  print this help\n"
		   "\n`ward help COMMAND` or `man ward-COMMAND` tells a command's options.\n");
}

/* `ward help [COMMAND]` (runc's): the same text as `ward COMMAND --help`. */
static int cmd_help(struct ward_cli *g, int argc, char **argv)
{
	int h = ward_cli_no_options(argc, argv,
				    "usage: ward help [COMMAND]\n\n"
				    "Print the help of ward, or of one command.\n");
	if (h)
		return h < 0;
	if (argc == 1) {
		usage(stdout);
		return 0;
	}
	if (argc > 2)
		return ward_cli_usage("help", "expects at most one command");
	for (size_t c = 0; c < ARRAY_SIZE(commands); c++) {
		if (strcmp(argv[1], commands[c].name) != 0)
			continue;
		char name[32], flag[] = "--help";
		snprintf(name, sizeof(name), "%s", commands[c].name);
		char *args[] = {name, flag, NULL};
		return commands[c].fn(g, 2, args);
	}
	return ward_cli_usage("help", "unknown command \"%s\"", argv[1]);
}

/* The commands that leave audit records (audit/). */
static bool command_records(const char *cmd)
{
	static const char *const rec[] = {"create", "run",   "start",  "exec",  "kill",
					  "delete", "pause", "resume", "update", "checkpoint",
					  "restore"};
	for (size_t i = 0; i < ARRAY_SIZE(rec); i++)
		if (strcmp(cmd, rec[i]) == 0)
			return true;
	return false;
}

static int version(void)
{
	printf("ward version %s\nspec: %s\n", WARD_VERSION, WARD_OCI_VERSION);
	return 0;
}

static char *default_root(void)
{
	if (!ward_running_rootless())
		return strdup("/run/ward");
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	char *r = NULL;
	if (xdg && *xdg) {
		if (asprintf(&r, "%s/ward", xdg) < 0)
			r = NULL;
	} else if (asprintf(&r, "/tmp/ward-%u", geteuid()) < 0) {
		r = NULL;
	}
	return r;
}

int main(int argc, char **argv)
{
	struct ward_cli g = {0};
	ward_protect_init(argv); /* create, run and exec may re-execute (protect.c) */
	const char *root = NULL, *log_format = "text";
	bool audit_on = false;
	int i = 1;
	/* Global options come before the command; -opt and --opt both work (runc). */
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i] + (argv[i][1] == '-' ? 2 : 1);
		const char *eq = strchr(a, '=');
		size_t klen = eq ? (size_t)(eq - a) : strlen(a);
#define IS(name) (klen == strlen(name) && strncmp(a, name, klen) == 0)
#define VALUE()                                                                                    \
	(eq ? eq + 1 : (i + 1 < argc ? argv[++i] : (fprintf(stderr, "ward: %s needs a value\n", argv[i]), exit(1), "")))
		if (IS("root"))
			root = VALUE();
		else if (IS("log"))
			g.log_path = VALUE();
		else if (IS("log-format"))
			log_format = VALUE();
		else if (IS("debug"))
			g.debug = true;
		else if (IS("systemd-cgroup"))
			g.ctx.systemd_cgroup = true;
		else if (IS("audit"))
			audit_on = true;
		else if (IS("policy"))
			g.ctx.policy_file = VALUE();
		else if (IS("rootless")) {
			const char *v = VALUE();
			if (ward_rootless_set(v) < 0) {
				fprintf(stderr, "ward: --rootless: \"%s\" is not true, false or auto\n", v);
				return 1;
			}
		} else if (IS("criu"))
			g.ctx.criu = VALUE();
		else if (IS("version") || IS("v"))
			return version();
		else if (IS("help") || IS("h")) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "ward: unknown global option %s\n", argv[i]);
			return 1;
		}
#undef IS
#undef VALUE
	}
	if (strcmp(log_format, "json") == 0)
		g.log_json = true;
	else if (strcmp(log_format, "text") != 0) {
		fprintf(stderr, "ward: --log-format: unknown format \"%s\" (want text or json)\n",
			log_format);
		return 1;
	}
	if (ward_log_init(g.log_path, g.log_json ? WARD_LOG_JSON : WARD_LOG_TEXT, g.debug) < 0) {
		fprintf(stderr, "ward: --log %s: %s\n", g.log_path, strerror(errno));
		return 1;
	}
	if (i >= argc) {
		usage(stderr);
		return 1;
	}
	/* Decided now, before any namespace is made (rootless.h): the answer is
	 * cached, and exec's child asks again after joining the container's. */
	bool rootless = ward_running_rootless();
	ward_debug("rootless: %s", rootless ? "yes" : "no");
	g.ctx.root = root ? strdup(root) : default_root();
	if (!g.ctx.root) {
		ward_error("cannot determine the state root; pass --root");
		return 1;
	}
	struct ward_audit audit;
	ward_err aerr = {0};
	int rc = 1;
	if (ward_audit_setup(&audit, g.ctx.root, audit_on, &aerr) < 0) {
		/* Fail closed where records are due; reading state needs none. */
		ward_err_wrap(&aerr, "audit settings");
		if (command_records(argv[i])) {
			rc = ward_cli_fail(&aerr);
			goto out;
		}
		ward_audit_release(&audit);
		ward_audit_setup_off(&audit, g.ctx.root);
	}
	g.ctx.audit = &audit;
	ward_fault_init(argv[i]);
	size_t c = 0;
	while (c < ARRAY_SIZE(commands) && strcmp(argv[i], commands[c].name) != 0)
		c++;
	if (c < ARRAY_SIZE(commands))
		rc = commands[c].fn(&g, argc - i, argv + i);
	else
		ward_error("unknown command \"%s\" (see `ward --help`)", argv[i]);
out:
	ward_audit_release(&audit);
	free(g.ctx.root);
	return rc;
}
