/* audit: a container's audit trail.
 *   ward audit search [--input FILE] [--kmsg] [--format text|json] ID
 *     every kernel record of the container: ward's (checked against forgery)
 *     and its processes' (by audit session); ID is a container id or an
 *     audit ID.
 *   ward audit log ID      ward's JSON-lines log of the container. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../audit/audit.h"
#include "../util/cleanup.h"
#include "cli.h"

static void help(void)
{
	printf("usage: ward audit search [options] <container-id>\n"
	       "       ward audit log <container-id>\n\n"
	       "search: every kernel audit record of one container: ward's own (checked:\n"
	       "a record sent from inside a container is marked FORGED) and those its\n"
	       "processes made. log: ward's JSON-lines audit log of the container.\n"
	       "search also takes the container's audit ID (a UUID) instead of its id.\n\n"
	       "Options:\n"
	       "  -i, --input FILE         search this audit log file (default: auditd's\n"
	       "                           logs, or the kernel log when no auditd runs)\n"
	       "  -k, --kmsg               search the kernel log (/dev/kmsg)\n"
	       "  -f, --format text|json   search's output (default text)\n");
}

static void json_log_path(const struct ward_cli *g, const char *id, char *buf, size_t len)
{
	snprintf(buf, len, "%s/@audit/%s.jsonl", g->ctx.root, id);
}

/* The audit ID of container id: its state's, else (deleted) the last in its
 * JSON log. */
static int resolve(const struct ward_cli *g, const char *arg, char *audit_id, char *log,
		   size_t loglen, ward_err *err)
{
	ward_err ignored = {0};
	if (ward_audit_id_parse(arg, audit_id, &ignored) == 0) {
		log[0] = '\0';
		return 0;
	}
	if (ward_id_validate(arg, err) < 0)
		return -1;
	json_log_path(g, arg, log, loglen);
	struct ward_state st;
	_cleanup_close_ int root = open(g->ctx.root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root >= 0 && ward_state_load_status(root, arg, &st, &ignored) == 0 &&
	    ward_state_audit_id(&st)) {
		snprintf(audit_id, WARD_AUDIT_ID_LEN + 1, "%s", ward_state_audit_id(&st));
		ward_state_release(&st);
		return 0;
	}
	ward_state_release(&st);
	_cleanup_file_ FILE *f = fopen(log, "re");
	char *line = NULL;
	size_t cap = 0;
	audit_id[0] = '\0';
	while (f && getline(&line, &cap, f) > 0) {
		json_t *j = json_loads(line, 0, NULL);
		const char *a = json_string_value(json_object_get(j, "auditId"));
		if (a && ward_audit_id_parse(a, audit_id, &ignored) < 0)
			audit_id[0] = '\0';
		json_decref(j);
	}
	free(line);
	if (!audit_id[0])
		return ward_err_set(err, "container \"%s\" has no audit ID here (not audited, or "
					 "its log %s is gone)",
				    arg, log);
	return 0;
}

static void print_text(json_t *r)
{
	printf("# audit ID %s, from %s\n", json_string_value(json_object_get(r, "auditId")),
	       json_string_value(json_object_get(r, "source")));
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(r, "sessions"), i, s)
		printf("# session %lld\n", (long long)json_integer_value(json_object_get(s, "ses")));
	json_t *e;
	json_array_foreach(json_object_get(r, "events"), i, e) {
		const char *kind = json_string_value(json_object_get(e, "kind"));
		time_t t = (time_t)json_real_value(json_object_get(e, "time"));
		char when[64];
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime(&t));
		printf("---- %s %s serial %lld\n", kind, when,
		       (long long)json_integer_value(json_object_get(e, "serial")));
		const char *why = json_string_value(json_object_get(e, "why"));
		if (strcmp(kind, "forged") == 0)
			printf("# FORGED: %s\n", why);
		else if (why)
			printf("# %s: %s\n", kind, why);
		size_t k;
		json_t *rec;
		json_array_foreach(json_object_get(e, "records"), k, rec)
			printf("%s\n", json_string_value(rec));
	}
}

static int cmd_search(struct ward_cli *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{"input", required_argument, NULL, 'i'}, {"kmsg", no_argument, NULL, 'k'},
		{"format", required_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct ward_audit_query q = {0};
	bool json = false, kmsg = false;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+i:kf:h", opts, NULL)) != -1) {
		switch (c) {
		case 'i': q.input = optarg; break;
		case 'k': kmsg = true; break;
		case 'f':
			if (strcmp(optarg, "json") != 0 && strcmp(optarg, "text") != 0)
				return ward_cli_usage("audit search", "--format: \"%s\" is not text "
								      "or json", optarg);
			json = strcmp(optarg, "json") == 0;
			break;
		case 'h': help(); return 0;
		default: return ward_cli_usage("audit search", "unknown option %s", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return ward_cli_usage("audit search", "expects exactly one container id or audit ID");
	char audit_id[WARD_AUDIT_ID_LEN + 1], log[4200];
	ward_err err = {0};
	if (resolve(g, argv[optind], audit_id, log, sizeof(log), &err) < 0)
		return ward_cli_fail(&err);
	q.audit_id = audit_id;
	q.json_log = log[0] && access(log, R_OK) == 0 ? log : NULL;
	/* Without auditd the kernel printed what it had: read that. */
	q.kmsg = kmsg || (!q.input && ward_audit_kernel_state(g->ctx.audit) != WARD_AUDIT_K_AUDITD);
	json_t *r = ward_audit_search(&q, &err);
	if (!r) {
		ward_err_wrap(&err, "audit search");
		return ward_cli_fail(&err);
	}
	if (json)
		ward_cli_print_json(r);
	else
		print_text(r);
	json_decref(r);
	return 0;
}

static int cmd_log(struct ward_cli *g, int argc, char **argv)
{
	if (argc != 2 || argv[1][0] == '-')
		return ward_cli_usage("audit log", "expects exactly one container id");
	ward_err err = {0};
	if (ward_id_validate(argv[1], &err) < 0)
		return ward_cli_fail(&err);
	char log[4200];
	json_log_path(g, argv[1], log, sizeof(log));
	_cleanup_close_ int fd = open(log, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ward_err_sys(&err, errno, "audit log of %s: %s", argv[1], log);
		return ward_cli_fail(&err);
	}
	char buf[65536];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			return 1;
	return n < 0 ? 1 : 0;
}

int ward_cmd_audit(struct ward_cli *g, int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		help();
		return argc < 2;
	}
	if (strcmp(argv[1], "search") == 0)
		return cmd_search(g, argc - 1, argv + 1);
	if (strcmp(argv[1], "log") == 0)
		return cmd_log(g, argc - 1, argv + 1);
	return ward_cli_usage("audit", "unknown subcommand \"%s\" (search, log)", argv[1]);
}
