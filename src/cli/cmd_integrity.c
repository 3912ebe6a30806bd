/* ward integrity: a container's measurement list, its PCR, the one policy
 * replacement; the same for the host's list (--host). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../integrity/integrity.h"
#include "../util/cleanup.h"
#include "../util/fs.h"
#include "cli.h"

static int usage(FILE *f)
{
	fprintf(f, "usage: ward integrity log [options] <container-id>\n"
		   "       ward integrity pcr [options] <container-id>\n"
		   "       ward integrity policy <container-id> FILE\n"
		   "       ward integrity status <container-id>\n\n"
		   "log: the container's measurement list, IMA's ascii (or binary) runtime\n"
		   "measurements. pcr: its PCR 10. policy: replace its policy (a linux.integrity\n"
		   "object; once, unless locked; - reads stdin). status: the monitor's view.\n"
		   "With --host, log and pcr take no container id: the host's list of root's\n"
		   "activity in every container.\n\n"
		   "Options:\n"
		   "  --binary                 log: the binary list (what evmctl reads)\n"
		   "  --host                   log, pcr: the host's list\n"
		   "  -f, --format text|json|pcrs\n"
		   "                           pcr: pcrs is what evmctl ima_measurement --pcrs\n"
		   "                           reads (default text)\n"
		   "  --bank sha1|sha256       pcr --format pcrs: which bank (default sha256)\n");
	return f == stdout ? 0 : 1;
}

/* The container's state dir, opened (the state is not kept locked). */
static int state_dir(struct ward_cli *g, const char *id, ward_err *err)
{
	struct ward_state st;
	if (ward_state_load(&g->ctx, id, false, &st, err) < 0) {
		ward_state_release(&st);
		return -1;
	}
	int fd = fcntl(st.dirfd, F_DUPFD_CLOEXEC, 3);
	ward_state_release(&st);
	return fd < 0 ? ward_err_sys(err, errno, "state dir of %s", id) : fd;
}

static int host_dir(ward_err *err)
{
	struct ward_integrity_host h;
	if (ward_integrity_host_load(&h, err) < 0)
		return -1;
	int fd = h.host_list ? open(h.host_list, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (!h.host_list)
		ward_err_set(err, "the host keeps no list (hostList in /etc/ward/integrity.json)");
	else if (fd < 0)
		ward_err_sys(err, errno, "%s", h.host_list);
	ward_integrity_host_release(&h);
	return fd;
}

static int copy_out(int fd)
{
	char buf[65536];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			return 1;
	return n < 0 ? 1 : 0;
}

static int cmd_log(struct ward_cli *g, const char *id, bool host, bool binary)
{
	ward_err err = {0};
	_cleanup_close_ int fd = -1;
	if (host) {
		_cleanup_close_ int d = host_dir(&err);
		fd = d < 0 ? -1
			   : openat(d,
				    binary ? "ima/binary_runtime_measurements"
					   : "ima/ascii_runtime_measurements",
				    O_RDONLY | O_CLOEXEC);
		if (d >= 0 && fd < 0)
			ward_err_sys(&err, errno, "host list");
	} else {
		_cleanup_close_ int sd = state_dir(g, id, &err);
		fd = sd < 0 ? -1 : ward_integrity_list_fd(sd, binary, &err);
	}
	if (fd < 0)
		return ward_cli_fail(&err);
	return copy_out(fd);
}

static int print_pcr(const struct ward_pcr *p, uint64_t count, const char *format, const char *bank)
{
	char s1[41], s256[65];
	ward_hex(p->sha1, WARD_SHA1_LEN, s1);
	ward_hex(p->sha256, WARD_SHA256_LEN, s256);
	if (!strcmp(format, "json")) {
		json_t *j = json_pack("{s:i, s:s, s:s, s:I}", "index", WARD_IMA_PCR, "sha1", s1,
				      "sha256", s256, "entries", (json_int_t)count);
		ward_cli_print_json(j);
		json_decref(j);
	} else if (!strcmp(format, "pcrs")) {
		/* The TPM's sysfs "pcrs" layout, PCR-00 up: evmctl reads it in order. */
		bool sha1 = !strcmp(bank, "sha1");
		size_t n = sha1 ? WARD_SHA1_LEN : WARD_SHA256_LEN;
		for (int i = 0; i < WARD_IMA_PCR; i++)
			printf("PCR-%02d: %0*d\n", i, (int)(2 * n), 0);
		printf("PCR-%02d: %s\n", WARD_IMA_PCR, sha1 ? s1 : s256);
	} else {
		printf("%d sha1 %s\n%d sha256 %s\n", WARD_IMA_PCR, s1, WARD_IMA_PCR, s256);
	}
	return 0;
}

static int cmd_pcr(struct ward_cli *g, const char *id, bool host, const char *format,
		   const char *bank)
{
	ward_err err = {0};
	struct ward_pcr p;
	uint64_t count = 0;
	if (host) {
		_cleanup_close_ int d = host_dir(&err);
		if (d < 0 || ward_mlist_read_pcr(d, &p, &count, NULL, &err) < 0)
			return ward_cli_fail(&err);
	} else {
		_cleanup_close_ int sd = state_dir(g, id, &err);
		if (sd < 0 || ward_integrity_pcr_read(sd, &p, &count, &err) < 0)
			return ward_cli_fail(&err);
	}
	return print_pcr(&p, count, format, bank);
}

static int cmd_policy(struct ward_cli *g, const char *id, const char *file)
{
	ward_err err = {0};
	_cleanup_free_ char *text = NULL;
	size_t len;
	if (ward_read_file_at(AT_FDCWD, strcmp(file, "-") ? file : "/dev/stdin", &text, &len,
			      &err) < 0)
		return ward_cli_fail(&err);
	json_error_t jerr;
	json_t *pol = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!pol) {
		ward_err_set(&err, "%s:%d:%d: %s", file, jerr.line, jerr.column, jerr.text);
		return ward_cli_fail(&err);
	}
	_cleanup_close_ int sd = state_dir(g, id, &err);
	json_t *status = NULL;
	int r = sd < 0 ? -1 : ward_integrity_replace_policy(sd, pol, &status, &err);
	json_decref(pol);
	if (r < 0) {
		ward_err_wrap(&err, "integrity policy %s", id);
		return ward_cli_fail(&err);
	}
	ward_cli_print_json(status);
	json_decref(status);
	return 0;
}

static int cmd_status(struct ward_cli *g, const char *id)
{
	ward_err err = {0};
	_cleanup_close_ int sd = state_dir(g, id, &err);
	json_t *j = sd < 0 ? NULL : ward_integrity_status(sd, &err);
	if (!j)
		return ward_cli_fail(&err);
	ward_cli_print_json(j);
	json_decref(j);
	return 0;
}

int ward_cmd_integrity(struct ward_cli *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"binary", no_argument, NULL, 'b'},	      {"host", no_argument, NULL, 'H'},
	    {"format", required_argument, NULL, 'f'}, {"bank", required_argument, NULL, 'k'},
	    {"help", no_argument, NULL, 'h'},	      {NULL, 0, NULL, 0},
	};
	if (argc < 2)
		return usage(stderr);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return usage(stdout);
	const char *sub = argv[1];
	bool binary = false, host = false;
	const char *format = "text", *bank = "sha256";
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long_only(argc - 1, argv + 1, "f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			binary = true;
			break;
		case 'H':
			host = true;
			break;
		case 'f':
			format = optarg;
			break;
		case 'k':
			bank = optarg;
			break;
		case 'h':
			return usage(stdout);
		default:
			return ward_cli_usage("integrity", "unknown option %s", argv[optind]);
		}
	}
	int nargs = argc - 1 - optind;
	char **args = argv + 1 + optind;
	if (strcmp(format, "text") && strcmp(format, "json") && strcmp(format, "pcrs"))
		return ward_cli_usage("integrity", "--format: unknown format \"%s\"", format);
	if (strcmp(bank, "sha1") && strcmp(bank, "sha256"))
		return ward_cli_usage("integrity", "--bank: sha1 or sha256, not \"%s\"", bank);
	bool one_id = nargs == 1 && !host, none = nargs == 0 && host;
	if (!strcmp(sub, "log") && (one_id || none))
		return cmd_log(g, host ? NULL : args[0], host, binary);
	if (!strcmp(sub, "pcr") && (one_id || none))
		return cmd_pcr(g, host ? NULL : args[0], host, format, bank);
	if (!strcmp(sub, "policy") && nargs == 2 && !host)
		return cmd_policy(g, args[0], args[1]);
	if (!strcmp(sub, "status") && one_id)
		return cmd_status(g, args[0]);
	if (!strcmp(sub, "log") || !strcmp(sub, "pcr") || !strcmp(sub, "policy") ||
	    !strcmp(sub, "status"))
		return ward_cli_usage("integrity", "%s: wrong arguments", sub);
	return ward_cli_usage("integrity", "unknown subcommand \"%s\"", sub);
}

void ward_cli_print_integrity(json_t *j)
{
	printf("\nintegrity:\n");
	if (!json_is_object(j)) {
		printf("  none\n");
		return;
	}
	json_t *pol = json_object_get(j, "policy");
	printf("  mode           %s (monitor %s%s)\n",
	       json_string_value(json_object_get(j, "mode")) ?: "?",
	       json_string_value(json_object_get(j, "monitor")) ?: "?",
	       json_is_true(json_object_get(j, "replaced")) ? ", policy replaced" : "");
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(pol, "keys"), i, v)
	    printf("  key            %s %s\n", json_string_value(json_object_get(v, "keyid")),
		   json_string_value(json_object_get(v, "subject")));
	json_t *pcr = json_object_get(j, "pcr");
	printf("  list           %lld entries, %lld violations\n",
	       (long long)json_integer_value(json_object_get(j, "entries")),
	       (long long)json_integer_value(json_object_get(j, "violations")));
	if (pcr)
		printf("  PCR 10         sha256:%s\n",
		       json_string_value(json_object_get(pcr, "sha256")));
	json_array_foreach(json_object_get(j, "mounts"), i, v)
	    printf("  watched        %s (%s)\n", json_string_value(json_object_get(v, "path")),
		   json_string_value(json_object_get(v, "type")));
	json_array_foreach(json_object_get(j, "gaps"), i, v)
	    printf("  not covered    %s\n", json_string_value(v));
}
