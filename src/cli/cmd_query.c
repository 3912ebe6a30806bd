/* state, list */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/cleanup.h"
#include "../util/log.h"
#include "cli.h"

int ward_cmd_state(struct ward_cli *g, int argc, char **argv)
{
	int h = ward_cli_no_options(argc, argv,
				    "usage: ward state <container-id>\n\n"
				    "Print the state of a container as JSON (runc's format).\n");
	if (h)
		return h < 0;
	if (argc != 2 || argv[1][0] == '-')
		return ward_cli_usage("state", "expects exactly one container id");
	struct ward_state st;
	ward_err err = {0};
	_cleanup_close_ int root = open(g->ctx.root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0 && errno != ENOENT) {
		ward_err_sys(&err, errno, "open state root %s", g->ctx.root);
		return ward_cli_fail(&err);
	}
	if (root < 0) {
		ward_err_sys(&err, ENOENT, "container \"%s\" does not exist", argv[1]);
		return ward_cli_fail(&err);
	}
	if (ward_state_load_status(root, argv[1], &st, &err) < 0) {
		ward_state_release(&st);
		return ward_cli_fail(&err);
	}
	json_t *j = ward_state_to_json(&st, false);
	ward_cli_print_json(j);
	json_decref(j);
	ward_state_release(&st);
	return 0;
}

/* The owner's name; containers almost always share one owner, so the last
 * lookup is remembered (getpwuid reads /etc/passwd each time). */
static const char *owner_name(uid_t uid)
{
	static char name[64];
	static uid_t cached = (uid_t)-1;
	static bool have;
	if (have && cached == uid)
		return name;
	struct passwd *pw = getpwuid(uid);
	if (pw)
		snprintf(name, sizeof(name), "%s", pw->pw_name);
	else
		snprintf(name, sizeof(name), "#%u", uid);
	cached = uid;
	have = true;
	return name;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int ward_cmd_list(struct ward_cli *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{"format", required_argument, NULL, 'f'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *format = "table";
	bool quiet = false;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long_only(argc, argv, "f:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'f': format = optarg; break;
		case 'q': quiet = true; break;
		case 'h':
			printf("usage: ward list [options]\n\nList the containers under the state root.\n\n"
			       "Options:\n"
			       "  -f, --format table|json   a table (default) or a JSON array of states\n"
			       "  -q, --quiet               print the container ids only\n");
			return 0;
		default: return ward_cli_usage("list", "unknown option %s", argv[optind - 1]);
		}
	}
	if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
		return ward_cli_usage("list", "--format: unknown format \"%s\"", format);
	bool json = strcmp(format, "json") == 0;

	/* Collect ids sorted, as runc's output is stable. */
	size_t n = 0, cap = 16;
	_cleanup_free_ char **ids = malloc(cap * sizeof(char *));
	_cleanup_dir_ DIR *d = opendir(g->ctx.root);
	if (!d && errno != ENOENT) {
		ward_err err;
		ward_err_sys(&err, errno, "list: open %s", g->ctx.root);
		return ward_cli_fail(&err);
	}
	struct dirent *de;
	while (d && ids && (de = readdir(d))) {
		/* Every directory named like a container id; ids may start with a dot
		 * (runc accepts ".x"), ward's own entries use a character ids cannot. */
		ward_err ignored;
		if (de->d_type != DT_DIR || ward_id_validate(de->d_name, &ignored) < 0)
			continue;
		if (n == cap) {
			char **nv = realloc(ids, (cap *= 2) * sizeof(char *));
			if (!nv)
				break;
			ids = nv;
		}
		ids[n++] = strdup(de->d_name);
	}
	if (n)
		qsort(ids, n, sizeof(char *), cmp_names);

	json_t *arr = json_array();
	if (!json && !quiet)
		printf("%-12s %-12s %-12s %-12s %-12s %s\n", "ID", "PID", "STATUS", "BUNDLE",
		       "CREATED", "OWNER");
	for (size_t i = 0; i < n; i++) {
		struct ward_state st;
		ward_err err = {0};
		if (ward_state_load_status(dirfd(d), ids[i], &st, &err) < 0) {
			/* Still listed with -q: `list -q` then `delete -f` is how
			 * leftovers are cleaned, and this one has a state dir. */
			char line[WARD_ERR_MSG_MAX + 128];
			ward_warn("list: %s", ward_err_str(&err, line, sizeof(line)));
			if (quiet)
				printf("%s\n", ids[i]);
			ward_state_release(&st);
			free(ids[i]);
			continue;
		}
		if (st.status == WARD_UNKNOWN) {
			char why[160];
			ward_warn("list: container %s: status unknown: %s", st.id,
				  ward_state_status_reason(&st, why, sizeof(why)));
		}
		const char *owner = quiet ? "" : owner_name(st.owner_uid);
		if (quiet) {
			printf("%s\n", st.id);
		} else if (json) {
			json_t *j = ward_state_to_json(&st, false);
			json_object_set_new(j, "owner", json_string(owner));
			json_array_append_new(arr, j);
		} else {
			printf("%-12s %-12d %-12s %-12s %-12s %s\n", st.id,
			       st.status == WARD_STOPPED ? 0 : st.pid, ward_status_name(st.status),
			       st.bundle, st.created, owner);
		}
		ward_state_release(&st);
		free(ids[i]);
	}
	if (json && !quiet) {
		char *s = json_dumps(arr, JSON_COMPACT);
		if (s) {
			puts(s);
			free(s);
		}
	}
	json_decref(arr);
	return 0;
}
