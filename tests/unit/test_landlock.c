/* process.landlock negotiation (confine/landlock.c): ward_landlock_parse
 * takes the kernel's ABI as an argument, so best effort and
 * disableBestEffort are checked here for every older ABI, whatever kernel
 * runs the tests (the integration tests need a real old kernel for that:
 * tests/lanes/landlock-abi2.sh). */
#include "unit.h"

#include <jansson.h>

#include "confine/landlock.h"

static json_t *J(const char *tmpl)
{
	char *s = unit_json(tmpl);
	json_error_t e;
	json_t *j = json_loads(s, 0, &e);
	free(s);
	assert_non_null(j);
	return j;
}

/* Parse at abi; returns 0/-1 and fills ll/err. */
static int parse_at(const char *tmpl, int abi, struct ward_landlock *ll, ward_err *err)
{
	json_t *j = J(tmpl);
	int r = ward_landlock_parse(j, "config.json: process.landlock", abi, ll, err);
	json_decref(j);
	return r;
}

static void expect_err(const char *tmpl, int abi, const char *want)
{
	struct ward_landlock ll;
	ward_err err = {0};
	int r = parse_at(tmpl, abi, &ll, &err);
	if (r == 0 || strcmp(err.msg, want) != 0)
		print_error("# policy %s at ABI %d\n# got: %s\n# want: %s\n", tmpl, abi,
			    r == 0 ? "(parsed)" : err.msg, want);
	assert_int_equal(r, -1);
	assert_string_equal(err.msg, want);
	ward_landlock_release(&ll);
}

#define BIT_FS(name) (1ULL << fs_bit(name))
static int fs_bit(const char *name)
{
	for (int i = 0; ward_landlock_fs_rights[i].name; i++)
		if (!strcmp(ward_landlock_fs_rights[i].name, name))
			return i;
	fail_msg("no right %s", name);
	return -1;
}

static const char *MIXED = "{'ruleset': {'handledAccessFS': ['make_dir', 'truncate', 'ioctl_dev'],"
			   " 'handledAccessNet': ['bind_tcp'], 'scoped': ['signal']},"
			   " 'rules': {'pathBeneath': [{'allowedAccess': ['make_dir', 'truncate'],"
			   " 'paths': ['/tmp']}],"
			   " 'netPort': [{'allowedAccess': ['bind_tcp'], 'ports': [80]}]}}";

static void test_best_effort_drops_by_abi(void **state)
{
	(void)state;
	struct ward_landlock ll;
	ward_err err = {0};
	/* ABI 2: truncate (3), bind_tcp (4), ioctl_dev (5), signal (6) go. */
	assert_int_equal(parse_at(MIXED, 2, &ll, &err), 0);
	assert_true(ward_landlock_enforced(&ll));
	assert_int_equal(ll.handled_fs, BIT_FS("make_dir"));
	assert_int_equal(ll.handled_net, 0);
	assert_int_equal(ll.scoped, 0);
	assert_string_equal(ll.dropped, "truncate,ioctl_dev,bind_tcp,signal");
	/* The path rule keeps what the kernel knows; the port rule is gone. */
	assert_int_equal(ll.n_paths, 1);
	assert_int_equal(ll.paths[0].access, BIT_FS("make_dir"));
	assert_int_equal(ll.n_ports, 0);
	json_t *d = ward_landlock_describe(&ll);
	assert_int_equal(json_array_size(json_object_get(d, "dropped")), 4);
	assert_true(json_is_true(json_object_get(d, "enforced")));
	json_decref(d);
	ward_landlock_release(&ll);

	/* ABI 5: only the scope goes. */
	assert_int_equal(parse_at(MIXED, 5, &ll, &err), 0);
	assert_string_equal(ll.dropped, "signal");
	assert_int_equal(ll.handled_fs,
			 BIT_FS("make_dir") | BIT_FS("truncate") | BIT_FS("ioctl_dev"));
	assert_int_equal(ll.n_ports, 1);
	ward_landlock_release(&ll);

	/* ABI 7: nothing. */
	assert_int_equal(parse_at(MIXED, 7, &ll, &err), 0);
	assert_string_equal(ll.dropped, "");
	assert_int_equal(ll.scoped, 2);
	ward_landlock_release(&ll);
}

static void test_strict_names_the_first_right_too_new(void **state)
{
	(void)state;
	const char *strict = "{'disableBestEffort': true, 'ruleset': {'handledAccessFS': "
			     "['make_dir', 'truncate']}}";
	expect_err(strict, 2,
		   "config.json: process.landlock.ruleset.handledAccessFS[1]: \"truncate\" needs "
		   "Landlock ABI 3; this kernel has ABI 2 (disableBestEffort is set)");
	struct ward_landlock ll;
	ward_err err = {0};
	json_t *j = J(strict);
	assert_int_equal(ward_landlock_parse(j, "config.json: process.landlock", 3, &ll, &err), 0);
	json_decref(j);
	ward_landlock_release(&ll);
	expect_err("{'disableBestEffort': true, 'ruleset': {'scoped': ['abstract_unix_socket']}}", 5,
		   "config.json: process.landlock.ruleset.scoped[0]: \"abstract_unix_socket\" needs "
		   "Landlock ABI 6; this kernel has ABI 5 (disableBestEffort is set)");
	expect_err("{'disableBestEffort': true, 'ruleset': {'handledAccessFS': ['make_dir']}, "
		   "'restrictSelf': ['log_new_exec_on']}",
		   6,
		   "config.json: process.landlock.restrictSelf[0]: \"log_new_exec_on\" needs Landlock "
		   "ABI 7; this kernel has ABI 6 (disableBestEffort is set)");
	expect_err("{'disableBestEffort': true, 'ruleset': {'handledAccessFS': ['make_dir']}}", 0,
		   "config.json: process.landlock: Landlock is not available on this kernel "
		   "(disableBestEffort is set)");
}

/* The init's report of skipped rule paths, as the parent applies it. */
static void test_skipped_report_round_trip(void **state)
{
	(void)state;
	struct ward_landlock ll;
	ward_err err = {0};
	assert_int_equal(parse_at("{'ruleset': {'handledAccessFS': ['read_file']}, 'rules': {'pathBeneath': [{'allowedAccess': ['read_file'], "
				  "'paths': ['/a', '/b', '/c']}]}}",
				  3, &ll, &err),
			 0);
	assert_int_equal(ll.n_paths, 3);
	bool missing[3] = {false, true, true};
	char report[8];
	ward_landlock_skipped_report(missing, 3, report, sizeof(report));
	assert_string_equal(report, "011");
	ward_landlock_skipped_apply(&ll, report);
	assert_false(ll.paths[0].missing);
	assert_true(ll.paths[1].missing);
	assert_true(ll.paths[2].missing);
	json_t *d = ward_landlock_describe(&ll);
	char *sk = json_dumps(json_object_get(d, "skippedPaths"), JSON_COMPACT);
	assert_string_equal(sk, "[\"/b\",\"/c\"]");
	free(sk);
	json_decref(d);
	/* A report cut short (more paths than fit): the rest count as present. */
	ward_landlock_skipped_report(missing, 3, report, 3);
	assert_string_equal(report, "01");
	ward_landlock_skipped_apply(&ll, report);
	assert_true(ll.paths[1].missing);
	assert_false(ll.paths[2].missing);
	ward_landlock_release(&ll);
}

static void test_everything_dropped_is_not_enforced(void **state)
{
	(void)state;
	struct ward_landlock ll;
	ward_err err = {0};
	assert_int_equal(parse_at("{'ruleset': {'handledAccessNet': ['bind_tcp', 'connect_tcp']}}",
				  3, &ll, &err),
			 0);
	assert_false(ward_landlock_enforced(&ll));
	assert_int_equal(ward_landlock_prepare(&ll, NULL, &err), -2); /* nothing to enforce */
	json_t *d = ward_landlock_describe(&ll);
	assert_true(json_is_false(json_object_get(d, "enforced")));
	json_decref(d);
	ward_landlock_release(&ll);
	/* No Landlock at all. */
	assert_int_equal(parse_at("{'ruleset': {'handledAccessFS': ['make_dir']}}", 0, &ll, &err), 0);
	assert_false(ward_landlock_enforced(&ll));
	assert_string_equal(ll.dropped, "all (no Landlock)");
	ward_landlock_release(&ll);
}

/* A rule allowing a right the ruleset does not handle is wrong on every
 * kernel, also where best effort drops both. */
static void test_rule_rights_checked_before_negotiation(void **state)
{
	(void)state;
	const char *p = "{'ruleset': {'handledAccessNet': ['bind_tcp']}, 'rules': {'netPort': "
			"[{'allowedAccess': ['connect_tcp'], 'ports': [80]}]}}";
	const char *want = "config.json: process.landlock.rules.netPort[0].allowedAccess: "
			   "\"connect_tcp\" is not in ruleset.handledAccessNet (a rule can only allow "
			   "rights the ruleset handles)";
	expect_err(p, 2, want);
	expect_err(p, 7, want);
	expect_err("{'ruleset': {'handledAccessFS': ['make_dir']}, 'rules': {'pathBeneath': "
		   "[{'allowedAccess': ['make_dir', 'truncate'], 'paths': ['/']}]}}",
		   2,
		   "config.json: process.landlock.rules.pathBeneath[0].allowedAccess: \"truncate\" is "
		   "not in ruleset.handledAccessFS (a rule can only allow rights the ruleset handles)");
	/* The preset handles every filesystem right, even those the kernel lacks. */
	struct ward_landlock ll;
	ward_err err = {0};
	assert_int_equal(parse_at("{'preset': 'wx', 'rules': {'pathBeneath': [{'allowedAccess': "
				  "['ioctl_dev'], 'paths': ['/dev/null']}]}}",
				  3, &ll, &err),
			 0);
	ward_landlock_release(&ll);
}

static void test_preset_handles_what_the_kernel_knows(void **state)
{
	(void)state;
	struct ward_landlock ll;
	ward_err err = {0};
	assert_int_equal(parse_at("{'preset': 'wx'}", 3, &ll, &err), 0);
	uint64_t want = 0;
	for (int i = 0; ward_landlock_fs_rights[i].name; i++)
		if (ward_landlock_fs_rights[i].abi <= 3)
			want |= ward_landlock_fs_rights[i].bit;
	assert_int_equal(ll.handled_fs, want);
	assert_int_equal(ll.scoped, 0);
	assert_string_equal(ll.preset, "wx");
	ward_landlock_release(&ll);
	assert_int_equal(parse_at("{'preset': 'wx'}", 6, &ll, &err), 0);
	assert_int_equal(ll.scoped, 3);
	ward_landlock_release(&ll);
}

static void test_bad_shapes(void **state)
{
	(void)state;
	expect_err("{}", 7,
		   "config.json: process.landlock.ruleset: handles no access right (name rights in "
		   "handledAccessFS, handledAccessNet or scoped, or use a preset); such a policy "
		   "would restrict nothing");
	expect_err("{'ruleset': {'handledAccessFS': 'make_dir'}}", 7,
		   "config.json: process.landlock.ruleset.handledAccessFS: must be an array of "
		   "strings");
	expect_err("{'ruleset': {'handledAccessFS': ['make_dir', 3]}}", 7,
		   "config.json: process.landlock.ruleset.handledAccessFS[1]: unknown access right "
		   "\"(not a string)\"");
	expect_err("{'ruleset': {'handledAccessFS': ['make_dir']}, 'rules': {'pathBeneath': "
		   "[{'allowedAccess': ['make_dir'], 'paths': ['/ok', 'rel']}]}}",
		   7,
		   "config.json: process.landlock.rules.pathBeneath[0].paths[1]: must be an absolute "
		   "path");
	expect_err("{'ruleset': {'handledAccessNet': ['bind_tcp']}, 'rules': {'netPort': "
		   "[{'allowedAccess': ['bind_tcp'], 'ports': [-1]}]}}",
		   7, "config.json: process.landlock.rules.netPort[0].ports[0]: must be a port number");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_best_effort_drops_by_abi),
		cmocka_unit_test(test_strict_names_the_first_right_too_new),
		cmocka_unit_test(test_everything_dropped_is_not_enforced),
		cmocka_unit_test(test_rule_rights_checked_before_negotiation),
		cmocka_unit_test(test_preset_handles_what_the_kernel_knows),
		cmocka_unit_test(test_bad_shapes),
		cmocka_unit_test(test_skipped_report_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
