/* The audit layer's pure parts: the ID, the settings file, the JSON record. */
#include "unit.h"

#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/audit.h"
#include "util/cleanup.h"
#include "util/fs.h"

static void test_id_generate_is_v4_and_unique(void **state)
{
	(void)state;
	char a[WARD_AUDIT_ID_LEN + 1], b[WARD_AUDIT_ID_LEN + 1], back[WARD_AUDIT_ID_LEN + 1];
	ward_err e = {0};
	assert_int_equal(ward_audit_id_generate(a, &e), 0);
	assert_int_equal(ward_audit_id_generate(b, &e), 0);
	assert_string_not_equal(a, b);
	regex_t re;
	assert_int_equal(regcomp(&re, "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-"
				      "[0-9a-f]{12}$",
				 REG_EXTENDED | REG_NOSUB),
			 0);
	assert_int_equal(regexec(&re, a, 0, NULL, 0), 0);
	regfree(&re);
	assert_int_equal(ward_audit_id_parse(a, back, &e), 0);
	assert_string_equal(a, back);
}

static void test_id_parse(void **state)
{
	(void)state;
	char out[WARD_AUDIT_ID_LEN + 1];
	ward_err e = {0};
	assert_int_equal(ward_audit_id_parse("3F2A6C1E-0B7D-4E58-9A43-5C1D2E3F4A5B", out, &e), 0);
	assert_string_equal(out, "3f2a6c1e-0b7d-4e58-9a43-5c1d2e3f4a5b");
	static const char *const bad[] = {
		"", "3f2a6c1e0b7d4e589a435c1d2e3f4a5b", "3f2a6c1e-0b7d-4e58-9a43-5c1d2e3f4a5",
		"3f2a6c1e-0b7d-4e58-9a43-5c1d2e3f4a5bb", "3f2a6c1e-0b7d-4e58-9a43_5c1d2e3f4a5b",
		"3f2a6c1g-0b7d-4e58-9a43-5c1d2e3f4a5b", "00000000-0000-0000-0000-000000000000",
		"{3f2a6c1e-0b7d-4e58-9a43-5c1d2e3f4a5}"};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		ward_err_clear(&e);
		assert_int_equal(ward_audit_id_parse(bad[i], out, &e), -1);
		assert_non_null(strstr(e.msg, "UUID"));
	}
}

static void test_id_for_annotations(void **state)
{
	(void)state;
	char out[WARD_AUDIT_ID_LEN + 1];
	bool given;
	ward_err e = {0};
	json_t *a = json_pack("{s:s}", WARD_AUDIT_ANNOTATION, "3f2a6c1e-0b7d-4e58-9a43-5c1d2e3f4a5b");
	assert_int_equal(ward_audit_id_for(a, "config.json", out, &given, &e), 0);
	assert_true(given);
	assert_string_equal(out, "3f2a6c1e-0b7d-4e58-9a43-5c1d2e3f4a5b");
	json_object_set_new(a, WARD_AUDIT_ANNOTATION, json_string("c1"));
	assert_int_equal(ward_audit_id_for(a, "config.json", out, &given, &e), -1);
	assert_non_null(strstr(e.msg, "config.json: annotations.org.ward.audit.id: \"c1\""));
	json_object_set_new(a, WARD_AUDIT_ANNOTATION, json_integer(7));
	assert_int_equal(ward_audit_id_for(a, "config.json", out, &given, &e), -1);
	assert_non_null(strstr(e.msg, "must be a string"));
	json_object_clear(a);
	assert_int_equal(ward_audit_id_for(a, "config.json", out, &given, &e), 0);
	assert_false(given);
	assert_int_equal(strlen(out), WARD_AUDIT_ID_LEN);
	json_decref(a);
}

/* A settings file in a fresh root-owned directory. */
static char *write_conf(char *dir, const char *text, mode_t mode)
{
	assert_non_null(mkdtemp(dir));
	char *path = NULL;
	assert_true(asprintf(&path, "%s/audit.json", dir) > 0);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	fchmod(fd, mode);
	close(fd);
	return path;
}

static void test_conf(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	char dir[] = "/tmp/ward-audit-conf.XXXXXX";
	_cleanup_free_ char *path = write_conf(dir, "{\"enabled\": true, \"kernel\": false, "
						    "\"hostLog\": null}",
					       0644);
	struct ward_audit a;
	ward_err e = {0};
	setenv("WARD_AUDIT_CONF", path, 1);
	unsetenv("WARD_AUDIT");
	assert_int_equal(ward_audit_setup(&a, "/tmp/r", false, &e), 0);
	assert_true(a.enabled);
	assert_false(a.kernel);
	assert_null(a.host_log);
	assert_string_equal(a.conf_path, path);
	ward_audit_release(&a);

	/* A misspelt key, a wrong type, a file others could write: refused. */
	static const struct {
		const char *text;
		mode_t mode;
		const char *want;
	} bad[] = {
		{"{\"enable\": true}", 0644, "enable: unknown setting"},
		{"{\"kernel\": 1}", 0644, "kernel: must be true or false"},
		{"{\"hostLog\": \"rel\"}", 0644, "hostLog: must be an absolute path"},
		{"{\"rotateBytes\": 10}", 0644, "rotateBytes"},
		{"{\"enabled\": true", 0644, "audit.json:1:"},
		{"{\"enabled\": true}", 0666, "writable by a user other than root"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		FILE *f = fopen(path, "w");
		fputs(bad[i].text, f);
		fclose(f);
		chmod(path, bad[i].mode);
		ward_err_clear(&e);
		assert_int_equal(ward_audit_setup(&a, "/tmp/r", false, &e), -1);
		if (!strstr(e.msg, bad[i].want))
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, e.msg, bad[i].want);
		ward_audit_release(&a);
	}
	unlink(path);
	/* Named by the environment but missing: an error, not auditing off. */
	ward_err_clear(&e);
	assert_int_equal(ward_audit_setup(&a, "/tmp/r", false, &e), -1);
	ward_audit_release(&a);
	unsetenv("WARD_AUDIT_CONF");
	rmdir(dir);
}

static void test_emit_json_record(void **state)
{
	(void)state;
	char root[] = "/tmp/ward-audit-root.XXXXXX";
	assert_non_null(mkdtemp(root));
	struct ward_audit a;
	ward_audit_setup_off(&a, root);
	a.kernel = false; /* the kernel path is the integration tests' */
	free(a.host_log);
	a.host_log = NULL;
	a.rotate_bytes = 1 << 20;
	json_t *f = json_pack("{s:s, s:i}", "signal", "SIGTERM", "count", 3);
	struct ward_audit_event ev = {.op = "kill", .id = "c1",
				      .audit_id = "3f2a6c1e-0b7d-4e58-9a43-5c1d2e3f4a5b",
				      .pid = 1234, .success = true, .fields = f};
	assert_int_equal(ward_audit_emit(&a, &ev), 0);
	ev.success = false;
	ev.reason = "no such process";
	assert_int_equal(ward_audit_emit(&a, &ev), 0);
	char path[256];
	snprintf(path, sizeof(path), "%s/@audit/c1.jsonl", root);
	FILE *in = fopen(path, "r");
	assert_non_null(in);
	char line[4096];
	int n = 0;
	while (fgets(line, sizeof(line), in)) {
		json_error_t je;
		json_t *j = json_loads(line, 0, &je);
		assert_non_null(j);
		assert_string_equal(json_string_value(json_object_get(j, "op")), "kill");
		assert_string_equal(json_string_value(json_object_get(j, "auditId")), ev.audit_id);
		assert_int_equal(json_integer_value(json_object_get(j, "pid")), 1234);
		assert_string_equal(json_string_value(json_object_get(j, "signal")), "SIGTERM");
		assert_string_equal(json_string_value(json_object_get(j, "kernel")), "off");
		assert_string_equal(json_string_value(json_object_get(j, "result")),
				    n == 0 ? "success" : "failed");
		json_decref(j);
		n++;
	}
	fclose(in);
	assert_int_equal(n, 2);
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	json_decref(f);
	ward_audit_release(&a);
	ward_err e = {0};
	ward_rm_rf_at(AT_FDCWD, root, &e);
}

static void test_emit_rotates(void **state)
{
	(void)state;
	char root[] = "/tmp/ward-audit-rot.XXXXXX";
	assert_non_null(mkdtemp(root));
	struct ward_audit a;
	ward_audit_setup_off(&a, root);
	a.kernel = false;
	free(a.host_log);
	a.host_log = NULL;
	a.rotate_bytes = 4096;
	struct ward_audit_event ev = {.op = "start", .id = "c2", .audit_id = "x", .success = true};
	for (int i = 0; i < 40; i++)
		assert_int_equal(ward_audit_emit(&a, &ev), 0);
	char path[256], old[256];
	snprintf(path, sizeof(path), "%s/@audit/c2.jsonl", root);
	snprintf(old, sizeof(old), "%s.1", path);
	struct stat sb, so;
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(stat(old, &so), 0);
	assert_true(sb.st_size <= 4096 + 512);
	assert_true(so.st_size > 4096);
	ward_audit_release(&a);
	ward_err e = {0};
	ward_rm_rf_at(AT_FDCWD, root, &e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id_generate_is_v4_and_unique),
		cmocka_unit_test(test_id_parse),
		cmocka_unit_test(test_id_for_annotations),
		cmocka_unit_test(test_conf),
		cmocka_unit_test(test_emit_json_record),
		cmocka_unit_test(test_emit_rotates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
