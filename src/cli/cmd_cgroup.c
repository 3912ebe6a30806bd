/* ps, pause, resume, update, events */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "cli.h"

int ward_cmd_pause(struct ward_cli *g, int argc, char **argv)
{
	bool pause = strcmp(argv[0], "pause") == 0;
	int h = ward_cli_no_options(argc, argv,
				    pause ? "usage: ward pause <container-id>\n\n"
					    "Freeze every process of a running container.\n"
					  : "usage: ward resume <container-id>\n\n"
					    "Thaw every process of a paused container.\n");
	if (h)
		return h < 0;
	if (argc != 2 || argv[1][0] == '-')
		return ward_cli_usage(argv[0], "expects exactly one container id");
	ward_err err = {0};
	if (ward_container_pause(&g->ctx, argv[1], pause, &err) < 0)
		return ward_cli_fail(&err);
	return 0;
}

/* "10m", "1G", "512k", "-1": docker/runc's RAMInBytes (binary units). */
static int parse_size(const char *s, int64_t *out)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s)
		return -1;
	if (v < 0) {
		*out = -1;
		return *end ? -1 : 0;
	}
	double mult = 1;
	switch (*end) {
	case 'k': case 'K': mult = 1024.0; end++; break;
	case 'm': case 'M': mult = 1024.0 * 1024; end++; break;
	case 'g': case 'G': mult = 1024.0 * 1024 * 1024; end++; break;
	case 't': case 'T': mult = 1024.0 * 1024 * 1024 * 1024; end++; break;
	default: break;
	}
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end)
		return -1;
	*out = (int64_t)(v * mult);
	return 0;
}

static int parse_int(const char *s, int64_t *out)
{
	char *end;
	long long v = strtoll(s, &end, 10);
	if (end == s || *end)
		return -1;
	*out = v;
	return 0;
}

static const char update_help[] =
	"usage: ward update [options] <container-id>\n\n"
	"Change a running container's resource limits (validated before any write).\n"
	"Sizes take k, m, g, t (binary units); -1 means unlimited.\n\nOptions:\n"
	"  -r, --resources FILE          linux.resources JSON (- for stdin); flags\n"
	"                                given as well override it\n"
	"  --memory SIZE                 memory limit\n"
	"  --memory-reservation SIZE     memory soft limit\n"
	"  --memory-swap SIZE            memory plus swap limit\n"
	"  --kernel-memory SIZE          kernel memory limit (cgroup v1 only)\n"
	"  --kernel-memory-tcp SIZE      kernel TCP buffer limit (cgroup v1 only)\n"
	"  --cpu-share N                 CPU shares (relative weight)\n"
	"  --cpu-quota N                 CPU time per period, in microseconds\n"
	"  --cpu-period N                CPU period, in microseconds\n"
	"  --cpu-burst N                 CPU burst, in microseconds\n"
	"  --cpu-rt-period N             real-time period, in microseconds\n"
	"  --cpu-rt-runtime N            real-time runtime, in microseconds\n"
	"  --cpu-idle 0|1                the cgroup's idle policy (cgroup v2)\n"
	"  --cpuset-cpus LIST            CPUs to run on (e.g. 0-3,6)\n"
	"  --cpuset-mems LIST            memory nodes to use\n"
	"  --pids-limit N                maximum number of processes\n"
	"  --blkio-weight N              block I/O weight\n"
	"  --l3-cache-schema SCHEMA      refused: Intel RDT is not supported\n"
	"  --mem-bw-schema SCHEMA        refused: Intel RDT is not supported\n";

int ward_cmd_update(struct ward_cli *g, int argc, char **argv)
{
	enum { BLKIO = 256, CPERIOD, CQUOTA, CBURST, RTP, RTR, SHARES, CPUS, MEMS, KMEM, KTCP, MEM,
	       MRES, MSWAP, PIDS, L3, MBW, IDLE };
	static const struct option opts[] = {
		{"resources", required_argument, NULL, 'r'},
		{"blkio-weight", required_argument, NULL, BLKIO},
		{"cpu-period", required_argument, NULL, CPERIOD},
		{"cpu-quota", required_argument, NULL, CQUOTA},
		{"cpu-burst", required_argument, NULL, CBURST},
		{"cpu-rt-period", required_argument, NULL, RTP},
		{"cpu-rt-runtime", required_argument, NULL, RTR},
		{"cpu-share", required_argument, NULL, SHARES},
		{"cpu-idle", required_argument, NULL, IDLE},
		{"cpuset-cpus", required_argument, NULL, CPUS},
		{"cpuset-mems", required_argument, NULL, MEMS},
		{"kernel-memory", required_argument, NULL, KMEM},
		{"kernel-memory-tcp", required_argument, NULL, KTCP},
		{"memory", required_argument, NULL, MEM},
		{"memory-reservation", required_argument, NULL, MRES},
		{"memory-swap", required_argument, NULL, MSWAP},
		{"pids-limit", required_argument, NULL, PIDS},
		{"l3-cache-schema", required_argument, NULL, L3},
		{"mem-bw-schema", required_argument, NULL, MBW},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	json_t *res = json_object();
	const char *file = NULL;
	int c;
	optind = 1;
	opterr = 0;
#define SECTION(name)                                                                              \
	({                                                                                         \
		json_t *_s = json_object_get(res, name);                                           \
		if (!_s) {                                                                         \
			_s = json_object();                                                        \
			json_object_set_new(res, name, _s);                                        \
		}                                                                                  \
		_s;                                                                                \
	})
	while ((c = getopt_long_only(argc, argv, "r:h", opts, NULL)) != -1) {
		int64_t v = 0;
		const char *flag = c > 255 ? opts[0].name : "";
		for (size_t i = 0; opts[i].name; i++)
			if (opts[i].val == c)
				flag = opts[i].name;
		bool size = c == KMEM || c == KTCP || c == MEM || c == MRES || c == MSWAP;
		bool text = c == CPUS || c == MEMS || c == 'r' || c == L3 || c == MBW;
		if (c > 255 && !text && (size ? parse_size(optarg, &v) : parse_int(optarg, &v)) < 0) {
			json_decref(res);
			return ward_cli_usage("update", "--%s: \"%s\" is not a valid %s", flag, optarg,
					      size ? "size" : "number");
		}
		switch (c) {
		case 'r': file = optarg; break;
		case BLKIO: json_object_set_new(SECTION("blockIO"), "weight", json_integer(v)); break;
		case CPERIOD: json_object_set_new(SECTION("cpu"), "period", json_integer(v)); break;
		case CQUOTA: json_object_set_new(SECTION("cpu"), "quota", json_integer(v)); break;
		case CBURST: json_object_set_new(SECTION("cpu"), "burst", json_integer(v)); break;
		case RTP: json_object_set_new(SECTION("cpu"), "realtimePeriod", json_integer(v)); break;
		case RTR: json_object_set_new(SECTION("cpu"), "realtimeRuntime", json_integer(v)); break;
		case SHARES: json_object_set_new(SECTION("cpu"), "shares", json_integer(v)); break;
		case IDLE: json_object_set_new(SECTION("cpu"), "idle", json_integer(v)); break;
		case CPUS: json_object_set_new(SECTION("cpu"), "cpus", json_string(optarg)); break;
		case MEMS: json_object_set_new(SECTION("cpu"), "mems", json_string(optarg)); break;
		case KMEM: json_object_set_new(SECTION("memory"), "kernel", json_integer(v)); break;
		case KTCP: json_object_set_new(SECTION("memory"), "kernelTCP", json_integer(v)); break;
		case MEM: json_object_set_new(SECTION("memory"), "limit", json_integer(v)); break;
		case MRES: json_object_set_new(SECTION("memory"), "reservation", json_integer(v)); break;
		case MSWAP: json_object_set_new(SECTION("memory"), "swap", json_integer(v)); break;
		case PIDS: json_object_set_new(SECTION("pids"), "limit", json_integer(v)); break;
		case L3:
		case MBW:
			json_decref(res);
			return ward_cli_usage("update", "Intel RDT is not supported by ward");
		case 'h':
			fputs(update_help, stdout);
			json_decref(res);
			return 0;
		default:
			json_decref(res);
			return ward_cli_usage("update", "unknown option %s", argv[optind - 1]);
		}
	}
#undef SECTION
	if (argc - optind != 1) {
		json_decref(res);
		return ward_cli_usage("update", "expects exactly one container id");
	}
	ward_err err = {0};
	if (file) {
		json_error_t jerr;
		json_t *fromfile = strcmp(file, "-") == 0 ? json_loadf(stdin, 0, &jerr)
							  : json_load_file(file, 0, &jerr);
		if (!fromfile) {
			json_decref(res);
			ward_err_set(&err, "update: %s:%d:%d: invalid JSON: %s", file, jerr.line,
				     jerr.column, jerr.text);
			return ward_cli_fail(&err);
		}
		/* Flags given as well override the file, as runc. */
		json_object_update_recursive(fromfile, res);
		json_decref(res);
		res = fromfile;
	}
	int r = ward_container_update(&g->ctx, argv[optind], res, &err);
	json_decref(res);
	return r < 0 ? ward_cli_fail(&err) : 0;
}

int ward_cmd_events(struct ward_cli *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{"stats", no_argument, NULL, 's'},
		{"interval", required_argument, NULL, 'i'},
		{"audit", no_argument, NULL, 'a'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	bool stats = false, audit = false;
	int interval = 5000;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long_only(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's': stats = true; break;
		case 'a': audit = true; break;
		case 'i': {
			/* Go durations as runc: "5s", "500ms", "1m". */
			char *end;
			double v = strtod(optarg, &end);
			double ms = !strcmp(end, "ms") ? v : !strcmp(end, "s") || !*end ? v * 1000
				    : !strcmp(end, "m")			      ? v * 60000
										      : -1;
			if (ms <= 0)
				return ward_cli_usage("events", "--interval: \"%s\" is not a duration",
						      optarg);
			interval = (int)ms;
			break;
		}
		case 'h':
			printf("usage: ward events [options] <container-id>\n\n"
			       "Stream a container's stats (every interval) and OOM events as\n"
			       "JSON lines until it exits (runc's format).\n\n"
			       "Options:\n"
			       "  --stats               print the stats once and exit\n"
			       "  --interval DURATION   time between stats (default 5s)\n"
			       "  --audit               the container's audit records instead, until\n"
			       "                        it is deleted (with --stats: those so far)\n");
			return 0;
		default: return ward_cli_usage("events", "unknown option %s", argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return ward_cli_usage("events", "expects exactly one container id");
	ward_err err = {0};
	if (audit) {
		if (ward_container_audit_events(&g->ctx, argv[optind], !stats, &err) < 0)
			return ward_cli_fail(&err);
		return 0;
	}
	if (ward_container_events(&g->ctx, argv[optind], stats, interval, &err) < 0)
		return ward_cli_fail(&err);
	return 0;
}

static bool has_pid(const pid_t *pids, size_t n, long pid)
{
	for (size_t i = 0; i < n; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

int ward_cmd_ps(struct ward_cli *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{"format", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *format = "table";
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long_only(argc, argv, "+f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f': format = optarg; break;
		case 'h':
			printf("usage: ward ps [options] <container-id> [ps options]\n\n"
			       "List the processes of a container: the host's ps(1) output for\n"
			       "them (default: ps -ef), or their pids as JSON.\n\nOptions:\n"
			       "  -f, --format table|json   ps(1)'s table (default) or JSON\n");
			return 0;
		default: return ward_cli_usage("ps", "unknown option %s", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return ward_cli_usage("ps", "expects a container id");
	if (strcmp(format, "table") && strcmp(format, "json"))
		return ward_cli_usage("ps", "--format: unknown format \"%s\"", format);
	const char *id = argv[optind];
	ward_err err = {0};
	_cleanup_free_ pid_t *pids = NULL;
	size_t n;
	if (ward_container_pids(&g->ctx, id, &pids, &n, &err) < 0)
		return ward_cli_fail(&err);
	if (!strcmp(format, "json")) {
		if (argc - optind > 1)
			return ward_cli_usage("ps", "ps options cannot be used with --format json");
		json_t *a = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(a, json_integer(pids[i]));
		char *s = json_dumps(a, JSON_COMPACT);
		puts(s ? s : "[]");
		free(s);
		json_decref(a);
		return 0;
	}
	/* Run the host's ps and keep the header and our processes (runc's way). */
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		ward_err_sys(&err, errno, "pipe");
		return ward_cli_fail(&err);
	}
	pid_t child = fork();
	if (child == 0) {
		dup2(pfd[1], 1);
		int extra = argc - optind - 1;
		char **args = calloc((size_t)extra + 3, sizeof(char *));
		args[0] = "ps";
		if (extra == 0)
			args[1] = "-ef";
		for (int i = 0; i < extra; i++)
			args[1 + i] = argv[optind + 1 + i];
		execvp("ps", args);
		dprintf(2, "ward: ps: exec ps: %s\n", strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	FILE *f = fdopen(pfd[0], "r");
	char line[4096];
	int pidcol = -1;
	bool header = true;
	while (f && fgets(line, sizeof(line), f)) {
		if (header) {
			header = false;
			char copy[4096];
			snprintf(copy, sizeof(copy), "%s", line);
			int col = 0;
			char *save = NULL;
			for (char *t = strtok_r(copy, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save), col++)
				if (!strcmp(t, "PID"))
					pidcol = col;
			fputs(line, stdout);
			continue;
		}
		char copy[4096];
		snprintf(copy, sizeof(copy), "%s", line);
		char *save = NULL;
		int col = 0;
		for (char *t = strtok_r(copy, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save), col++)
			if (col == pidcol) {
				if (has_pid(pids, n, strtol(t, NULL, 10)))
					fputs(line, stdout);
				break;
			}
	}
	if (f)
		fclose(f);
	int status;
	waitpid(child, &status, 0);
	if (pidcol < 0) {
		ward_err_set(&err, "ps: the output of ps has no PID column");
		return ward_cli_fail(&err);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
