#ifndef WARD_CLI_H
#define WARD_CLI_H

#include "../runtime/runtime.h"

#define WARD_VERSION "0.1.0"

struct ward_cli {
	struct ward_ctx ctx;
	const char *log_path;
	bool log_json;
	bool debug;
};

/* Each command: argv[0] is the command name; returns the process exit code. */
int ward_cmd_create(struct ward_cli *g, int argc, char **argv);
int ward_cmd_run(struct ward_cli *g, int argc, char **argv);
int ward_cmd_start(struct ward_cli *g, int argc, char **argv);
int ward_cmd_state(struct ward_cli *g, int argc, char **argv);
int ward_cmd_kill(struct ward_cli *g, int argc, char **argv);
int ward_cmd_delete(struct ward_cli *g, int argc, char **argv);
int ward_cmd_list(struct ward_cli *g, int argc, char **argv);
int ward_cmd_exec(struct ward_cli *g, int argc, char **argv);
int ward_cmd_spec(struct ward_cli *g, int argc, char **argv);
int ward_cmd_features(struct ward_cli *g, int argc, char **argv);
int ward_cmd_seccomp(struct ward_cli *g, int argc, char **argv);
int ward_cmd_ps(struct ward_cli *g, int argc, char **argv);
int ward_cmd_pause(struct ward_cli *g, int argc, char **argv);
int ward_cmd_update(struct ward_cli *g, int argc, char **argv);
int ward_cmd_events(struct ward_cli *g, int argc, char **argv);
int ward_cmd_inspect(struct ward_cli *g, int argc, char **argv);
int ward_cmd_audit(struct ward_cli *g, int argc, char **argv);
int ward_cmd_checkpoint(struct ward_cli *g, int argc, char **argv);
int ward_cmd_restore(struct ward_cli *g, int argc, char **argv);
int ward_cmd_policy(struct ward_cli *g, int argc, char **argv);
int ward_cmd_integrity(struct ward_cli *g, int argc, char **argv);
/* inspect's text form of the integrity section. */
void ward_cli_print_integrity(json_t *j);

/* Print err as one line (stderr and --log) and return 1. */
int ward_cli_fail(const ward_err *err);
/* "ward: <cmd>: <msg>" usage error, exit code 1 (runc's). */
int ward_cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ward_cli_print_json(json_t *j);
/* For a command without options: 1 after printing usage to stdout for
 * --help (-h, -help), -1 after reporting any other option, else 0. */
int ward_cli_no_options(int argc, char **argv, const char *usage);

#endif
