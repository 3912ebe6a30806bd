/* ward's command line: runc's global flags and commands. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/log.h"
#include "../util/rootless.h"
#include "cli.h"

extern char **environ;

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

static const struct {
	const char *name;
	int (*fn)(struct ward_cli *, int, char **);
	bool enters_container; /* runs code inside a container: see self_protect() */
	const char *help;
} commands[] = {
	{"create", ward_cmd_create, true, "create a container"},
	{"start", ward_cmd_start, false, "start the user process of a created container"},
	{"run", ward_cmd_run, true, "create and start a container"},
	{"state", ward_cmd_state, false, "print the state of a container"},
	{"kill", ward_cmd_kill, false, "send a signal to a container's init"},
	{"delete", ward_cmd_delete, false, "delete a container and its resources"},
	{"list", ward_cmd_list, false, "list containers"},
	{"exec", ward_cmd_exec, true, "run a process inside a running container"},
	{"spec", ward_cmd_spec, false, "write a new (hardened) config.json"},
	{"features", ward_cmd_features, false, "print what this runtime implements (JSON)"},
	{"ps", ward_cmd_ps, false, "list the processes of a container"},
	{"pause", ward_cmd_pause, false, "freeze every process of a container"},
	{"resume", ward_cmd_pause, false, "thaw a paused container"},
	{"update", ward_cmd_update, false, "change a container's resource limits"},
	{"events", ward_cmd_events, false, "stream stats and OOM events (JSON)"},
	{"inspect", ward_cmd_inspect, false, "report what confines a running container"},
	{"seccomp", ward_cmd_seccomp, false, "print ward's seccomp profile, convert Docker's"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: ward [global options] COMMAND [options] [args]\n\n"
		   "A security-first OCI container runtime, runc-compatible.\n\nCommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\nGlobal options:\n"
		   "  --root DIR          state directory (default /run/ward, rootless "
		   "$XDG_RUNTIME_DIR/ward)\n"
		   "  --log FILE          log file (default: stderr)\n"
		   "  --log-format FMT    text or json\n"
		   "  --debug             debug logging\n"
		   "  --systemd-cgroup    cgroupsPath is slice:prefix:name, placed where systemd\n"
		   "                      would put the unit (cgroupfs; no D-Bus)\n"
		   "  --rootless VALUE    true, false or auto (default: auto: not root, or\n"
		   "                      root of a user namespace that is not the host's)\n"
		   "  --version, -v       print the version\n");
}

static int version(void)
{
	printf("ward version %s\nspec: %s\n", WARD_VERSION, WARD_OCI_VERSION);
	return 0;
}

/* CVE-2019-5736: a container process may get the kernel to execute
 * /proc/self/exe of a runtime process that is inside the container (a #! or
 * ELF interpreter pointing there), then reopen that file for writing and
 * overwrite the runtime on the host. Commands that enter a container
 * therefore run from a sealed in-memory copy of the binary, unless the binary
 * cannot be written anyway (a read-only mount or the immutable attribute). */
static bool exe_is_safe(int fd)
{
	int seals = fcntl(fd, F_GET_SEALS);
	if (seals >= 0 && (seals & F_SEAL_WRITE))
		return true;
	struct statvfs vfs;
	if (fstatvfs(fd, &vfs) == 0 && (vfs.f_flag & ST_RDONLY))
		return true;
	int attr = 0;
	_cleanup_close_ int rfd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (rfd >= 0 && ioctl(rfd, FS_IOC_GETFLAGS, &attr) == 0 && (attr & FS_IMMUTABLE_FL))
		return true;
	return false;
}

static void self_protect(char **argv)
{
	_cleanup_close_ int exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (exe < 0 || exe_is_safe(exe))
		return;
	struct stat st;
	if (fstat(exe, &st) < 0)
		return;
	_cleanup_close_ int mfd = memfd_create("ward", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0)
		return;
	off_t off = 0;
	while (off < st.st_size) {
		ssize_t n = sendfile(mfd, exe, &off, (size_t)(st.st_size - off));
		if (n <= 0)
			return;
	}
	if (fcntl(mfd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)
		return;
	fexecve(mfd, argv, environ);
	/* fexecve failed (noexec /dev/shm policy...): refuse rather than run unprotected. */
	dprintf(STDERR_FILENO, "ward: cannot re-execute from a sealed copy: %s\n", strerror(errno));
	exit(1);
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
	const char *root = NULL, *log_format = "text";
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
		else if (IS("rootless")) {
			const char *v = VALUE();
			if (ward_rootless_set(v) < 0) {
				fprintf(stderr, "ward: --rootless: \"%s\" is not true, false or auto\n", v);
				return 1;
			}
		} else if (IS("criu"))
			(void)VALUE();
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
	for (size_t c = 0; c < ARRAY_SIZE(commands); c++) {
		if (strcmp(argv[i], commands[c].name) != 0)
			continue;
		if (commands[c].enters_container)
			self_protect(argv);
		int rc = commands[c].fn(&g, argc - i, argv + i);
		free(g.ctx.root);
		return rc;
	}
	ward_error("unknown command \"%s\" (see `ward --help`)", argv[i]);
	return 1;
}
