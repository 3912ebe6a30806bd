/* linux.seccomp compilation (src/confine/seccomp.c), its cache, ward's default
 * profile (src/oci/seccomp_profile.c) and the Docker profile converter
 * (src/oci/docker_seccomp.c). The compiled BPF is inspected directly: the
 * return instructions say which actions and errnos a filter can produce. */
#include "unit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "confine/seccomp.h"
#include "oci/spec.h"
#include "util/cleanup.h"

#define CAP(n) (1ULL << (n))
/* Docker's 14 default capabilities. */
static const uint64_t docker_caps = CAP(0) | CAP(1) | CAP(3) | CAP(4) | CAP(5) | CAP(6) |
				    CAP(7) | CAP(8) | CAP(10) | CAP(13) | CAP(18) | CAP(27) |
				    CAP(29) | CAP(31);
enum {
	CAP_DAC_READ_SEARCH_ = 2,
	CAP_SYS_MODULE_ = 16,
	CAP_SYS_PTRACE_ = 19,
	CAP_SYS_ADMIN_ = 21,
	CAP_SYS_BOOT_ = 22,
	CAP_SYS_TIME_ = 25,
	CAP_PERFMON_ = 38,
	CAP_BPF_ = 39,
};

/* ---- helpers ---- */

static json_t *load(const char *tmpl)
{
	char *js = unit_json(tmpl);
	json_error_t jerr;
	json_t *j = json_loads(js, 0, &jerr);
	if (!j)
		fail_msg("bad test JSON %s: %s", js, jerr.text);
	free(js);
	return j;
}

/* Compile a profile written with ' for ", expecting success. */
static void compile_ok(const char *tmpl, const char *cache, struct ward_seccomp *out)
{
	json_t *j = load(tmpl);
	ward_err err = {0};
	int r = ward_seccomp_compile(j, cache, out, &err);
	json_decref(j);
	if (r != 0)
		fail_msg("compile failed: %s", err.msg);
	assert_non_null(out->bpf);
	assert_true(out->bpf_len > 0);
}

/* Compile expecting failure; the message must contain every needle. */
static void compile_fails(const char *tmpl, const char *needle1, const char *needle2)
{
	json_t *j = load(tmpl);
	ward_err err = {0};
	struct ward_seccomp out;
	memset(&out, 0xab, sizeof(out));
	int r = ward_seccomp_compile(j, NULL, &out, &err);
	json_decref(j);
	if (r != -1)
		fail_msg("compile of %s succeeded", tmpl);
	if (!strstr(err.msg, needle1) || (needle2 && !strstr(err.msg, needle2)))
		fail_msg("error \"%s\" lacks \"%s\" / \"%s\"", err.msg, needle1, needle2 ? needle2 : "");
	/* Nothing half-built is left for the caller. */
	assert_null(out.bpf);
	assert_int_equal(out.bpf_len, 0);
	assert_null(out.listener_path);
}

/* Does the program contain "ret K"? */
static bool has_ret(const struct ward_seccomp *s, uint32_t k)
{
	const struct sock_filter *f = s->bpf;
	for (size_t i = 0; i < s->bpf_len; i++)
		if (f[i].code == (BPF_RET | BPF_K) && f[i].k == k)
			return true;
	return false;
}

static bool same_bpf(const struct ward_seccomp *a, const struct ward_seccomp *b)
{
	return a->bpf_len == b->bpf_len &&
	       memcmp(a->bpf, b->bpf, a->bpf_len * sizeof(struct sock_filter)) == 0;
}

#define RET_ERRNO(e) (SECCOMP_RET_ERRNO | (uint32_t)(e))
#define RET_TRACE(e) (SECCOMP_RET_TRACE | (uint32_t)(e))

static char *make_tmpdir(void)
{
	char *d = strdup("/tmp/ward-unit-seccomp.XXXXXX");
	assert_non_null(d);
	assert_non_null(mkdtemp(d));
	return d;
}

static void rm_tree(const char *dir)
{
	DIR *d = opendir(dir);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			char p[4096];
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			struct stat st;
			if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
				rm_tree(p);
			else
				unlink(p);
		}
		closedir(d);
	}
	rmdir(dir);
}

/* Per-test temporary directory, removed even when the test fails. */
static int tmpdir_setup(void **state)
{
	*state = make_tmpdir();
	return 0;
}

static int tmpdir_teardown(void **state)
{
	rm_tree(*state);
	free(*state);
	return 0;
}

static int count_files(const char *dir, const char *suffix)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	int n = 0;
	struct dirent *e;
	size_t sl = strlen(suffix);
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (l > sl && !strcmp(e->d_name + l - sl, suffix))
			n++;
	}
	closedir(d);
	return n;
}

/* ---- compile: valid profiles ---- */

static void test_compile_null_is_nothing(void **state)
{
	(void)state;
	struct ward_seccomp out;
	ward_err err = {0};
	assert_int_equal(ward_seccomp_compile(NULL, NULL, &out, &err), 0);
	assert_null(out.bpf);
	assert_int_equal(out.bpf_len, 0);
	assert_false(out.notify);
}

static void test_compile_valid(void **state)
{
	(void)state;
	struct ward_seccomp out;
	compile_ok("{'defaultAction': 'SCMP_ACT_ALLOW',"
		   " 'architectures': ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],"
		   " 'syscalls': [{'names': ['mkdir', 'mkdirat'], 'action': 'SCMP_ACT_ERRNO'}]}",
		   NULL, &out);
	assert_false(out.from_cache);
	assert_false(out.notify);
	assert_int_equal(out.flags, 0);
	assert_true(has_ret(&out, SECCOMP_RET_ALLOW));
	assert_true(has_ret(&out, RET_ERRNO(EPERM)));
	ward_seccomp_release(&out);
	assert_null(out.bpf);
}

static void test_compile_actions(void **state)
{
	(void)state;
	static const struct {
		const char *action;
		uint32_t ret;
	} cases[] = {
		{"SCMP_ACT_KILL", SECCOMP_RET_KILL_THREAD},
		{"SCMP_ACT_KILL_THREAD", SECCOMP_RET_KILL_THREAD},
		{"SCMP_ACT_KILL_PROCESS", SECCOMP_RET_KILL_PROCESS},
		{"SCMP_ACT_TRAP", SECCOMP_RET_TRAP},
		{"SCMP_ACT_ERRNO", RET_ERRNO(EPERM)},
		{"SCMP_ACT_TRACE", RET_TRACE(EPERM)},
		{"SCMP_ACT_LOG", SECCOMP_RET_LOG},
		{"SCMP_ACT_NOTIFY", SECCOMP_RET_USER_NOTIF},
	};
	/* (ret KILL_THREAD = 0 is always there: libseccomp kills foreign
	 * architectures; so each program must also differ from the empty one.) */
	struct ward_seccomp empty;
	compile_ok("{'defaultAction': 'SCMP_ACT_ALLOW'}", NULL, &empty);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char tmpl[256];
		snprintf(tmpl, sizeof(tmpl),
			 "{'defaultAction': 'SCMP_ACT_ALLOW', 'listenerPath': '/run/agent.sock', "
			 "'syscalls': [{'names': ['mkdir'], 'action': '%s'}]}",
			 cases[i].action);
		struct ward_seccomp out;
		compile_ok(tmpl, NULL, &out);
		if (!has_ret(&out, cases[i].ret))
			fail_msg("%s: no ret 0x%08x in the program", cases[i].action, cases[i].ret);
		if (same_bpf(&out, &empty))
			fail_msg("%s: the rule was not compiled in", cases[i].action);
		assert_int_equal(out.notify, strcmp(cases[i].action, "SCMP_ACT_NOTIFY") == 0);
		ward_seccomp_release(&out);
	}
	ward_seccomp_release(&empty);
	/* ALLOW under a non-ALLOW default. */
	struct ward_seccomp out;
	compile_ok("{'defaultAction': 'SCMP_ACT_KILL_PROCESS', 'syscalls': [{'names': ['read'],"
		   " 'action': 'SCMP_ACT_ALLOW'}]}",
		   NULL, &out);
	assert_true(has_ret(&out, SECCOMP_RET_ALLOW));
	assert_true(has_ret(&out, SECCOMP_RET_KILL_PROCESS));
	ward_seccomp_release(&out);
}

static void test_compile_errno_ret(void **state)
{
	(void)state;
	struct ward_seccomp out;
	compile_ok("{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': ["
		   " {'names': ['mkdir'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 38},"
		   " {'names': ['rmdir'], 'action': 'SCMP_ACT_TRACE', 'errnoRet': 42}]}",
		   NULL, &out);
	assert_true(has_ret(&out, RET_ERRNO(38)));
	assert_true(has_ret(&out, RET_TRACE(42)));
	assert_false(has_ret(&out, RET_ERRNO(EPERM)));
	ward_seccomp_release(&out);

	/* defaultErrnoRet sets the default action's errno. */
	compile_ok("{'defaultAction': 'SCMP_ACT_ERRNO', 'defaultErrnoRet': 38, 'syscalls': ["
		   " {'names': ['read', 'write'], 'action': 'SCMP_ACT_ALLOW'}]}",
		   NULL, &out);
	assert_true(has_ret(&out, RET_ERRNO(38)));
	assert_false(has_ret(&out, RET_ERRNO(EPERM)));
	ward_seccomp_release(&out);
}

/* runtime-spec: syscalls[].errnoRet "If not specified its default value is
 * EPERM" - defaultErrnoRet is for defaultAction only (as runc). */
static void test_compile_rule_errno_defaults_to_eperm(void **state)
{
	(void)state;
	struct ward_seccomp out;
	compile_ok("{'defaultAction': 'SCMP_ACT_ERRNO', 'defaultErrnoRet': 38, 'syscalls': ["
		   " {'names': ['read', 'write'], 'action': 'SCMP_ACT_ALLOW'},"
		   " {'names': ['mkdir'], 'action': 'SCMP_ACT_ERRNO'}]}",
		   NULL, &out);
	assert_true(has_ret(&out, RET_ERRNO(38)));
	if (!has_ret(&out, RET_ERRNO(EPERM)))
		fail_msg("the mkdir rule without errnoRet does not return EPERM");
	ward_seccomp_release(&out);
}

static void test_compile_flags_and_notify(void **state)
{
	(void)state;
	struct ward_seccomp out;
	compile_ok("{'defaultAction': 'SCMP_ACT_ALLOW',"
		   " 'flags': ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW',"
		   "           'SECCOMP_FILTER_FLAG_TSYNC'],"
		   " 'listenerPath': '/run/agent.sock', 'listenerMetadata': 'meta',"
		   " 'syscalls': [{'names': ['mkdir'], 'action': 'SCMP_ACT_NOTIFY'}]}",
		   NULL, &out);
	assert_int_equal(out.flags, SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW);
	assert_true(out.notify);
	assert_string_equal(out.listener_path, "/run/agent.sock");
	assert_string_equal(out.listener_metadata, "meta");
	ward_seccomp_release(&out);
}

static void test_compile_unknown_syscall_skipped(void **state)
{
	(void)state;
	struct ward_seccomp with, without;
	compile_ok("{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names':"
		   " ['ward_no_such_syscall', 'mkdir', 'another_made_up_one'], 'action': 'SCMP_ACT_ERRNO'}]}",
		   NULL, &with);
	compile_ok("{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['mkdir'],"
		   " 'action': 'SCMP_ACT_ERRNO'}]}",
		   NULL, &without);
	assert_true(same_bpf(&with, &without));
	ward_seccomp_release(&with);
	ward_seccomp_release(&without);
	/* A rule of unknown names only: as if absent. */
	struct ward_seccomp only, none;
	compile_ok("{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['nope_nope'],"
		   " 'action': 'SCMP_ACT_TRAP'}]}",
		   NULL, &only);
	compile_ok("{'defaultAction': 'SCMP_ACT_ALLOW'}", NULL, &none);
	assert_true(same_bpf(&only, &none));
	assert_false(has_ret(&only, SECCOMP_RET_TRAP));
	ward_seccomp_release(&only);
	ward_seccomp_release(&none);
}

static void test_compile_same_index_is_or(void **state)
{
	(void)state;
	/* Two EQ tests of argument 0 must both compile (OR, as runc), not be
	 * rejected by libseccomp as contradictory. */
	struct ward_seccomp out;
	compile_ok("{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['umask'],"
		   " 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 42, 'args': ["
		   "  {'index': 0, 'value': 9, 'op': 'SCMP_CMP_EQ'},"
		   "  {'index': 0, 'value': 18, 'op': 'SCMP_CMP_EQ'}]}]}",
		   NULL, &out);
	assert_true(has_ret(&out, RET_ERRNO(42)));
	ward_seccomp_release(&out);
	/* Every operator compiles. */
	static const char *const ops[] = {"SCMP_CMP_NE", "SCMP_CMP_LT",	"SCMP_CMP_LE",
					  "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",
					  "SCMP_CMP_MASKED_EQ"};
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		char tmpl[300];
		snprintf(tmpl, sizeof(tmpl),
			 "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['umask'],"
			 " 'action': 'SCMP_ACT_ERRNO', 'args': [{'index': 0, 'value': 18,"
			 " 'valueTwo': 16, 'op': '%s'}]}]}",
			 ops[i]);
		compile_ok(tmpl, NULL, &out);
		ward_seccomp_release(&out);
	}
}

/* ---- compile: errors name the field ---- */

static void test_compile_unknown_action(void **state)
{
	(void)state;
	compile_fails("{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': ["
		      " {'names': ['mkdir'], 'action': 'SCMP_ACT_ERRNO'},"
		      " {'names': ['rmdir'], 'action': 'SCMP_ACT_EXPLODE'}]}",
		      "linux.seccomp.syscalls[1].action", "SCMP_ACT_EXPLODE");
	compile_fails("{'defaultAction': 'SCMP_ACT_NOPE'}", "linux.seccomp.defaultAction",
		      "SCMP_ACT_NOPE");
	compile_fails("{'syscalls': []}", "linux.seccomp.defaultAction", NULL);
	compile_fails("{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['mkdir']}]}",
		      "linux.seccomp.syscalls[0]", "action");
	compile_fails("{'defaultAction': 'SCMP_ACT_NOTIFY'}", "linux.seccomp.defaultAction",
		      "SCMP_ACT_NOTIFY");
}

static void test_compile_unknown_operator(void **state)
{
	(void)state;
	compile_fails("{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['umask'],"
		      " 'action': 'SCMP_ACT_ERRNO', 'args': [{'index': 0, 'value': 1, 'op': 'SCMP_CMP_EQ'},"
		      " {'index': 1, 'value': 1, 'op': 'SCMP_CMP_ALMOST'}]}]}",
		      "linux.seccomp.syscalls[0].args[1]", "SCMP_CMP_ALMOST");
	compile_fails("{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['umask'],"
		      " 'action': 'SCMP_ACT_ERRNO', 'args': [{'index': 6, 'value': 1, 'op': 'SCMP_CMP_EQ'}]}]}",
		      "linux.seccomp.syscalls[0].args[0]", "index");
}

/* Found by fuzz_seccomp's invariant: a value that is not an integer was
 * compared as 0, so the rule applied to another argument value. */
static void test_compile_value_not_an_integer(void **state)
{
	(void)state;
	compile_fails("{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['personality'],"
		      " 'action': 'SCMP_ACT_ERRNO', 'args': [{'index': 0, 'value': '8', 'op': 'SCMP_CMP_EQ'}]}]}",
		      "linux.seccomp.syscalls[0].args[0].value", "must be an integer");
	/* A number with a fraction or an exponent is a real to jansson. */
	compile_fails("{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['personality'],"
		      " 'action': 'SCMP_ACT_ERRNO', 'args': [{'index': 0, 'value': 1,"
		      " 'valueTwo': 1.8e19, 'op': 'SCMP_CMP_MASKED_EQ'}]}]}",
		      "linux.seccomp.syscalls[0].args[0].valueTwo", "9223372036854775807");
}

/* Found by fuzz_seccomp's invariant: a field of another type read as
 * nothing, and the rule lost its system calls or its conditions. */
static void test_compile_fields_of_the_wrong_type(void **state)
{
	(void)state;
	compile_fails("{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': 'mkdir',"
		      " 'action': 'SCMP_ACT_ERRNO'}]}",
		      "linux.seccomp.syscalls[0].names", "must be an array");
	compile_fails("{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['mkdir', 7],"
		      " 'action': 'SCMP_ACT_ERRNO'}]}",
		      "linux.seccomp.syscalls[0].names[1]", "must be a string");
	compile_fails("{'defaultAction': 'SCMP_ACT_ERRNO', 'syscalls': [{'names': ['personality'],"
		      " 'action': 'SCMP_ACT_ALLOW', 'args': {'index': 0, 'value': 8, 'op': 'SCMP_CMP_EQ'}}]}",
		      "linux.seccomp.syscalls[0].args", "must be an array");
	compile_fails("{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['mkdir'],"
		      " 'action': 'SCMP_ACT_ERRNO', 'errnoRet': '38'}]}",
		      "linux.seccomp.syscalls[0].errnoRet", "must be an integer");
	compile_fails("{'defaultAction': 'SCMP_ACT_ERRNO', 'defaultErrnoRet': '38'}",
		      "linux.seccomp.defaultErrnoRet", "must be an integer");
	compile_fails("{'defaultAction': 'SCMP_ACT_ALLOW', 'architectures': 'SCMP_ARCH_X86'}",
		      "linux.seccomp.architectures", "must be an array");
	compile_fails("{'defaultAction': 'SCMP_ACT_ALLOW', 'flags': 'SECCOMP_FILTER_FLAG_LOG'}",
		      "linux.seccomp.flags", "must be an array");
}

static void test_compile_unknown_arch_and_flag(void **state)
{
	(void)state;
	compile_fails("{'defaultAction': 'SCMP_ACT_ALLOW',"
		      " 'architectures': ['SCMP_ARCH_X86_64', 'SCMP_ARCH_PDP11']}",
		      "linux.seccomp.architectures[1]", "SCMP_ARCH_PDP11");
	compile_fails("{'defaultAction': 'SCMP_ACT_ALLOW', 'architectures': ['x86_64']}",
		      "linux.seccomp.architectures[0]", "x86_64");
	compile_fails("{'defaultAction': 'SCMP_ACT_ALLOW',"
		      " 'flags': ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_BOGUS']}",
		      "linux.seccomp.flags[1]", "SECCOMP_FILTER_FLAG_BOGUS");
}

/* runtime-spec: "When the action doesn't support an errno, the runtime MUST
 * print and error and fail." */
static void test_compile_errno_on_action_without_errno(void **state)
{
	(void)state;
	compile_fails("{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['mkdir'],"
		      " 'action': 'SCMP_ACT_KILL_PROCESS', 'errnoRet': 5}]}",
		      "linux.seccomp.syscalls[0]", "errnoRet");
	compile_fails("{'defaultAction': 'SCMP_ACT_ALLOW', 'defaultErrnoRet': 38}",
		      "linux.seccomp.defaultErrnoRet", NULL);
}

/* ---- the cache ---- */

static const char *const cached_profile =
	"{'defaultAction': 'SCMP_ACT_ERRNO', 'defaultErrnoRet': 38,"
	" 'architectures': ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'],"
	" 'flags': ['SECCOMP_FILTER_FLAG_LOG'], 'listenerPath': '/run/agent.sock',"
	" 'syscalls': [{'names': ['read', 'write', 'exit_group'], 'action': 'SCMP_ACT_ALLOW'},"
	"  {'names': ['mkdir'], 'action': 'SCMP_ACT_NOTIFY'},"
	"  {'names': ['umask'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 42,"
	"   'args': [{'index': 0, 'value': 18, 'op': 'SCMP_CMP_GT'}]}]}";

static void test_cache_second_compile_hits(void **state)
{
	const char *dir = *state;
	char cache[4200];
	snprintf(cache, sizeof(cache), "%s/cache", dir);
	struct ward_seccomp a, b, plain;
	compile_ok(cached_profile, cache, &a);
	assert_false(a.from_cache);
	assert_int_equal(count_files(cache, ".bpf"), 1);
	compile_ok(cached_profile, cache, &b);
	assert_true(b.from_cache);
	assert_true(same_bpf(&a, &b));
	assert_int_equal(b.flags, a.flags);
	assert_int_equal(b.flags, SECCOMP_FILTER_FLAG_LOG);
	assert_true(b.notify);
	/* The same as compiling without a cache. */
	compile_ok(cached_profile, NULL, &plain);
	assert_false(plain.from_cache);
	assert_true(same_bpf(&a, &plain));
	assert_int_equal(count_files(cache, ".bpf"), 1);
	/* The cache directory is private. */
	struct stat st;
	assert_int_equal(stat(cache, &st), 0);
	assert_int_equal(st.st_mode & 077, 0);
	ward_seccomp_release(&a);
	ward_seccomp_release(&b);
	ward_seccomp_release(&plain);
}

static void test_cache_key_is_the_profile(void **state)
{
	const char *dir = *state;
	struct ward_seccomp a, b, c;
	/* Same profile, keys in another order: same canonical text, same entry. */
	compile_ok("{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['mkdir'],"
		   " 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 1}]}",
		   dir, &a);
	compile_ok("{'syscalls': [{'errnoRet': 1, 'action': 'SCMP_ACT_ERRNO', 'names': ['mkdir']}],"
		   " 'defaultAction': 'SCMP_ACT_ALLOW'}",
		   dir, &b);
	assert_true(b.from_cache);
	assert_true(same_bpf(&a, &b));
	/* A different errno: a different entry and a different program. */
	compile_ok("{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['mkdir'],"
		   " 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 2}]}",
		   dir, &c);
	assert_false(c.from_cache);
	assert_false(same_bpf(&a, &c));
	assert_true(has_ret(&c, RET_ERRNO(2)));
	assert_int_equal(count_files(dir, ".bpf"), 2);
	ward_seccomp_release(&a);
	ward_seccomp_release(&b);
	ward_seccomp_release(&c);
}

static void test_cache_damaged_entry_is_recompiled(void **state)
{
	const char *dir = *state;
	struct ward_seccomp a, b;
	compile_ok(cached_profile, dir, &a);
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *e;
	int damaged = 0;
	while ((e = readdir(d))) {
		if (!strstr(e->d_name, ".bpf"))
			continue;
		char p[4200];
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		/* Cut into the program: the length no longer fits. */
		struct stat st;
		assert_int_equal(stat(p, &st), 0);
		assert_int_equal(truncate(p, st.st_size - 3), 0);
		damaged++;
	}
	closedir(d);
	assert_int_equal(damaged, 1);
	compile_ok(cached_profile, dir, &b);
	assert_false(b.from_cache);
	assert_true(same_bpf(&a, &b));
	ward_seccomp_release(&a);
	ward_seccomp_release(&b);
}

/* ---- ward's default profile ---- */

/* The ALLOW rules' names without argument conditions, and those with. */
static bool allowed(json_t *prof, const char *name, bool *with_args)
{
	size_t i, k;
	json_t *r, *n;
	bool found = false;
	if (with_args)
		*with_args = false;
	json_array_foreach(json_object_get(prof, "syscalls"), i, r)
	{
		if (strcmp(json_string_value(json_object_get(r, "action")), "SCMP_ACT_ALLOW") != 0)
			continue;
		json_array_foreach(json_object_get(r, "names"), k, n)
		{
			if (strcmp(json_string_value(n), name) != 0)
				continue;
			found = true;
			if (with_args && json_array_size(json_object_get(r, "args")))
				*with_args = true;
		}
	}
	return found;
}

static json_t *rule_for(json_t *prof, const char *name)
{
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(prof, "syscalls"), i, r)
	{
		json_t *names = json_object_get(r, "names");
		if (json_array_size(names) == 1 && !strcmp(json_string_value(json_array_get(names, 0)), name))
			return r;
	}
	return NULL;
}

static void test_default_clone_without_sys_admin(void **state)
{
	(void)state;
	json_t *p = ward_seccomp_default(docker_caps);
	assert_non_null(p);
	json_t *clone = rule_for(p, "clone");
	assert_non_null(clone);
	assert_string_equal(json_string_value(json_object_get(clone, "action")), "SCMP_ACT_ALLOW");
	json_t *args = json_object_get(clone, "args");
	assert_int_equal(json_array_size(args), 1);
	json_t *a = json_array_get(args, 0);
	assert_int_equal(json_integer_value(json_object_get(a, "index")), 0);
	assert_string_equal(json_string_value(json_object_get(a, "op")), "SCMP_CMP_MASKED_EQ");
	/* Every CLONE_NEW* flag clone(2) takes: NS, CGROUP, UTS, IPC, USER, PID, NET. */
	assert_int_equal(json_integer_value(json_object_get(a, "value")),
			 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 |
				 0x20000000 | 0x40000000);
	assert_int_equal(json_integer_value(json_object_get(a, "valueTwo")), 0);
	/* clone3's flags are in memory a filter cannot read: ENOSYS, so libc falls back. */
	json_t *c3 = rule_for(p, "clone3");
	assert_non_null(c3);
	assert_string_equal(json_string_value(json_object_get(c3, "action")), "SCMP_ACT_ERRNO");
	assert_int_equal(json_integer_value(json_object_get(c3, "errnoRet")), ENOSYS);
	bool with_args;
	assert_true(allowed(p, "clone", &with_args));
	assert_true(with_args);
	assert_false(allowed(p, "clone3", NULL));
	json_decref(p);
}

static void test_default_clone_with_sys_admin(void **state)
{
	(void)state;
	json_t *p = ward_seccomp_default(docker_caps | CAP(CAP_SYS_ADMIN_));
	json_t *clone = rule_for(p, "clone");
	assert_non_null(clone);
	assert_string_equal(json_string_value(json_object_get(clone, "action")), "SCMP_ACT_ALLOW");
	assert_int_equal(json_array_size(json_object_get(clone, "args")), 0);
	bool with_args;
	assert_true(allowed(p, "clone", &with_args));
	assert_false(with_args);
	assert_true(allowed(p, "clone3", NULL));
	/* No ENOSYS rule for clone3 any more. */
	json_t *c3 = rule_for(p, "clone3");
	assert_true(c3 == NULL ||
		    strcmp(json_string_value(json_object_get(c3, "action")), "SCMP_ACT_ERRNO") != 0);
	assert_true(allowed(p, "mount", NULL));
	assert_true(allowed(p, "unshare", NULL));
	assert_true(allowed(p, "setns", NULL));
	json_decref(p);
}

static void test_default_blocks_without_caps(void **state)
{
	(void)state;
	static const char *const blocked[] = {
		"keyctl",     "add_key",	 "request_key",	 "ptrace",	  "process_vm_readv",
		"bpf",	      "perf_event_open", "mount",	 "umount2",	  "unshare",
		"setns",      "pivot_root",	 "open_tree",	 "move_mount",	  "fsopen",
		"io_uring_setup", "io_uring_enter", "io_uring_register", "kexec_load",
		"kexec_file_load", "init_module", "finit_module", "delete_module", "reboot",
		"swapon",     "swapoff",	 "userfaultfd",	 "open_by_handle_at", "clock_settime",
		"settimeofday", "acct",		 "iopl",	 "ioperm",	  "syslog",
		"quotactl",   "lookup_dcookie",	 "vhangup",	 "set_mempolicy", "mbind",
	};
	json_t *p = ward_seccomp_default(docker_caps);
	for (size_t i = 0; i < sizeof(blocked) / sizeof(blocked[0]); i++)
		if (allowed(p, blocked[i], NULL))
			fail_msg("%s is allowed with Docker's default capabilities", blocked[i]);
	/* And the everyday ones are there. */
	static const char *const everyday[] = {"read", "write", "openat", "execve", "mkdir",
					       "socket", "futex", "exit_group", "chroot", "mknod"};
	for (size_t i = 0; i < sizeof(everyday) / sizeof(everyday[0]); i++)
		if (!allowed(p, everyday[i], NULL))
			fail_msg("%s is not allowed", everyday[i]);
	json_decref(p);
	/* No capability at all: the same. */
	p = ward_seccomp_default(0);
	for (size_t i = 0; i < sizeof(blocked) / sizeof(blocked[0]); i++)
		if (allowed(p, blocked[i], NULL))
			fail_msg("%s is allowed without capabilities", blocked[i]);
	json_decref(p);
}

static void test_default_never_allowed(void **state)
{
	(void)state;
	/* Every capability: the kernel keyring and io_uring stay closed. */
	json_t *p = ward_seccomp_default(~0ULL);
	static const char *const never[] = {"keyctl", "add_key", "request_key", "io_uring_setup",
					    "io_uring_enter", "io_uring_register"};
	for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++)
		if (allowed(p, never[i], NULL))
			fail_msg("%s is allowed with every capability", never[i]);
	json_decref(p);
}

static void test_default_cap_gated(void **state)
{
	(void)state;
	static const struct {
		int cap;
		const char *name;
	} gated[] = {
		{CAP_SYS_TIME_, "clock_settime"},	 {CAP_SYS_TIME_, "settimeofday"},
		{CAP_SYS_PTRACE_, "ptrace"},		 {CAP_SYS_PTRACE_, "process_vm_readv"},
		{CAP_SYS_BOOT_, "reboot"},		 {CAP_SYS_BOOT_, "kexec_load"},
		{CAP_SYS_MODULE_, "init_module"},	 {CAP_SYS_MODULE_, "finit_module"},
		{CAP_DAC_READ_SEARCH_, "open_by_handle_at"}, {CAP_BPF_, "bpf"},
		{CAP_PERFMON_, "perf_event_open"},	 {CAP_SYS_ADMIN_, "mount"},
	};
	for (size_t i = 0; i < sizeof(gated) / sizeof(gated[0]); i++) {
		json_t *without = ward_seccomp_default(docker_caps);
		json_t *with = ward_seccomp_default(docker_caps | CAP(gated[i].cap));
		if (allowed(without, gated[i].name, NULL))
			fail_msg("%s allowed without capability %d", gated[i].name, gated[i].cap);
		if (!allowed(with, gated[i].name, NULL))
			fail_msg("%s not allowed with capability %d", gated[i].name, gated[i].cap);
		json_decref(without);
		json_decref(with);
	}
}

static void test_default_shape_and_compiles(void **state)
{
	(void)state;
	uint64_t sets[] = {0, docker_caps, docker_caps | CAP(CAP_SYS_ADMIN_), ~0ULL};
	for (size_t s = 0; s < sizeof(sets) / sizeof(sets[0]); s++) {
		json_t *p = ward_seccomp_default(sets[s]);
		assert_string_equal(json_string_value(json_object_get(p, "defaultAction")),
				    "SCMP_ACT_ERRNO");
		assert_int_equal(json_integer_value(json_object_get(p, "defaultErrnoRet")), EPERM);
		json_t *archs = json_object_get(p, "architectures");
		const char *const *native = ward_native_archs();
		size_t n = 0;
		for (; native[n]; n++)
			assert_string_equal(json_string_value(json_array_get(archs, n)), native[n]);
		assert_int_equal(json_array_size(archs), n);
#if defined(__x86_64__)
		assert_int_equal(n, 3);
		assert_string_equal(native[0], "SCMP_ARCH_X86_64");
#endif
		/* personality: only query, PER_LINUX, PER_LINUX32 and the UNAME26 variants. */
		size_t i;
		json_t *r;
		int personas = 0;
		json_array_foreach(json_object_get(p, "syscalls"), i, r)
		{
			json_t *names = json_object_get(r, "names");
			if (strcmp(json_string_value(json_array_get(names, 0)), "personality") != 0)
				continue;
			json_t *a = json_array_get(json_object_get(r, "args"), 0);
			assert_non_null(a);
			assert_string_equal(json_string_value(json_object_get(a, "op")), "SCMP_CMP_EQ");
			json_int_t v = json_integer_value(json_object_get(a, "value"));
			assert_true(v == 0 || v == 8 || v == 0x20000 || v == 0x20008 || v == 0xffffffff);
			personas++;
		}
		assert_int_equal(personas, 5);
		struct ward_seccomp out;
		ward_err err = {0};
		if (ward_seccomp_compile(p, NULL, &out, &err) != 0)
			fail_msg("the default profile does not compile: %s", err.msg);
		assert_true(out.bpf_len > 0);
		assert_true(has_ret(&out, RET_ERRNO(EPERM)));
		assert_true(has_ret(&out, SECCOMP_RET_ALLOW));
		ward_seccomp_release(&out);
		json_decref(p);
	}
}

/* ---- Docker profiles ---- */

static const char *const docker_fixture =
	"{'defaultAction': 'SCMP_ACT_ERRNO', 'defaultErrnoRet': 1,"
	" 'flags': ['SECCOMP_FILTER_FLAG_LOG'],"
	" 'archMap': ["
	"  {'architecture': 'SCMP_ARCH_AARCH64', 'subArchitectures': ['SCMP_ARCH_ARM']},"
	"  {'architecture': 'SCMP_ARCH_X86_64', 'subArchitectures': ['SCMP_ARCH_X86', 'SCMP_ARCH_X32']},"
	"  {'architecture': 'SCMP_ARCH_S390X', 'subArchitectures': ['SCMP_ARCH_S390']}],"
	" 'syscalls': ["
	/* 0 */ "  {'names': ['read', 'write'], 'action': 'SCMP_ACT_ALLOW', 'comment': 'x', 'includes': {}, 'excludes': {}},"
	/* 1 */ "  {'names': ['mount', 'unshare'], 'action': 'SCMP_ACT_ALLOW', 'includes': {'caps': ['CAP_SYS_ADMIN']}},"
	/* 2 */ "  {'names': ['clone'], 'action': 'SCMP_ACT_ALLOW', 'args': [{'index': 0, 'value': 2114060288,"
	"    'valueTwo': 0, 'op': 'SCMP_CMP_MASKED_EQ'}], 'excludes': {'caps': ['CAP_SYS_ADMIN']}},"
	/* 3 */ "  {'names': ['arch_prctl'], 'action': 'SCMP_ACT_ALLOW', 'includes': {'arches': ['amd64', 'x32']}},"
	/* 4 */ "  {'names': ['s390_runtime_instr'], 'action': 'SCMP_ACT_ALLOW', 'includes': {'arches': ['s390x']}},"
	/* 5 */ "  {'names': ['keyctl'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 38, 'excludes': {'arches': ['amd64']}},"
	/* 6 */ "  {'names': ['ptrace'], 'action': 'SCMP_ACT_ALLOW', 'includes': {'minKernel': '4.8'}},"
	/* 7 */ "  {'names': ['io_uring_setup'], 'action': 'SCMP_ACT_ALLOW', 'includes': {'minKernel': '5.10'}},"
	/* 8 */ "  {'names': ['userfaultfd'], 'action': 'SCMP_ACT_ALLOW', 'excludes': {'minKernel': '5.0'}},"
	/* 9 */ "  {'name': 'sync', 'action': 'SCMP_ACT_ALLOW'},"
	/* 10 */ "  {'names': ['mkdir'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 38},"
	/* 11 */ "  {'names': ['chroot'], 'action': 'SCMP_ACT_ALLOW', 'includes': {'caps': ['CAP_SYS_CHROOT', 'CAP_SYS_ADMIN']}},"
	/* 12 */ "  {'names': ['vhangup'], 'action': 'SCMP_ACT_ALLOW', 'excludes': {'caps': ['CAP_CHOWN', 'CAP_SYS_ADMIN']}}"
	" ]}";

static json_t *convert(const char *tmpl, uint64_t caps, int kmaj, int kmin)
{
	json_t *p = load(tmpl);
	ward_err err = {0};
	json_t *out = ward_seccomp_from_docker(p, "profile.json", caps, kmaj, kmin, &err);
	json_decref(p);
	if (!out)
		fail_msg("conversion failed: %s", err.msg);
	return out;
}

/* Is there a converted rule naming this syscall (any action)? */
static bool has_rule(json_t *prof, const char *name)
{
	size_t i, k;
	json_t *r, *n;
	json_array_foreach(json_object_get(prof, "syscalls"), i, r)
		json_array_foreach(json_object_get(r, "names"), k, n)
			if (!strcmp(json_string_value(n), name))
				return true;
	return false;
}

static void test_docker_archmap_and_shape(void **state)
{
	(void)state;
	json_t *o = convert(docker_fixture, docker_caps, 6, 1);
	json_t *archs = json_object_get(o, "architectures");
#if defined(__x86_64__)
	assert_int_equal(json_array_size(archs), 3);
	assert_string_equal(json_string_value(json_array_get(archs, 0)), "SCMP_ARCH_X86_64");
	assert_string_equal(json_string_value(json_array_get(archs, 1)), "SCMP_ARCH_X86");
	assert_string_equal(json_string_value(json_array_get(archs, 2)), "SCMP_ARCH_X32");
#endif
	assert_string_equal(json_string_value(json_object_get(o, "defaultAction")), "SCMP_ACT_ERRNO");
	assert_int_equal(json_integer_value(json_object_get(o, "defaultErrnoRet")), 1);
	assert_int_equal(json_array_size(json_object_get(o, "flags")), 1);
	/* Docker's own keys are gone; "name" became "names"; errnoRet and args stay. */
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(o, "syscalls"), i, r)
	{
		assert_null(json_object_get(r, "includes"));
		assert_null(json_object_get(r, "excludes"));
		assert_null(json_object_get(r, "comment"));
		assert_null(json_object_get(r, "name"));
	}
	json_t *sync = rule_for(o, "sync");
	assert_non_null(sync);
	assert_int_equal(json_integer_value(json_object_get(rule_for(o, "mkdir"), "errnoRet")), 38);
	json_t *cl = rule_for(o, "clone");
	assert_non_null(cl);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(cl, "args"), 0), "value")),
			 2114060288);
	/* What comes out is a profile ward compiles. */
	struct ward_seccomp out;
	ward_err err = {0};
	if (ward_seccomp_compile(o, NULL, &out, &err) != 0)
		fail_msg("converted profile does not compile: %s", err.msg);
	assert_true(has_ret(&out, RET_ERRNO(38)));
	assert_true(has_ret(&out, RET_ERRNO(1)));
	ward_seccomp_release(&out);
	json_decref(o);
}

static void test_docker_includes_caps(void **state)
{
	(void)state;
	json_t *o = convert(docker_fixture, docker_caps, 6, 1);
	assert_false(has_rule(o, "mount"));
	assert_false(has_rule(o, "unshare"));
	/* All of includes.caps are needed: CAP_SYS_CHROOT alone is not enough. */
	assert_false(has_rule(o, "chroot"));
	json_decref(o);
	o = convert(docker_fixture, docker_caps | CAP(CAP_SYS_ADMIN_), 6, 1);
	assert_true(has_rule(o, "mount"));
	assert_true(has_rule(o, "unshare"));
	assert_true(has_rule(o, "chroot"));
	json_decref(o);
}

static void test_docker_excludes(void **state)
{
	(void)state;
	/* excludes.caps: any one held drops the rule. */
	json_t *o = convert(docker_fixture, docker_caps, 6, 1);
	assert_true(has_rule(o, "clone"));
	assert_false(has_rule(o, "vhangup")); /* CAP_CHOWN is held */
	json_decref(o);
	o = convert(docker_fixture, docker_caps | CAP(CAP_SYS_ADMIN_), 6, 1);
	assert_false(has_rule(o, "clone"));
	json_decref(o);
	o = convert(docker_fixture, CAP(5) /* CAP_KILL only */, 6, 1);
	assert_true(has_rule(o, "vhangup"));
	assert_true(has_rule(o, "clone"));
	json_decref(o);
}

static void test_docker_arches(void **state)
{
	(void)state;
	json_t *o = convert(docker_fixture, docker_caps, 6, 1);
#if defined(__x86_64__)
	assert_true(has_rule(o, "arch_prctl"));	      /* includes amd64 */
	assert_false(has_rule(o, "s390_runtime_instr")); /* includes s390x only */
	assert_false(has_rule(o, "keyctl"));	      /* excludes amd64 */
#endif
	json_decref(o);
	/* No archMap: the old "architectures" list is kept as is. */
	o = convert("{'defaultAction': 'SCMP_ACT_ALLOW', 'architectures': ['SCMP_ARCH_X86_64']}",
		    docker_caps, 6, 1);
	json_t *a = json_object_get(o, "architectures");
	assert_int_equal(json_array_size(a), 1);
	assert_string_equal(json_string_value(json_array_get(a, 0)), "SCMP_ARCH_X86_64");
	json_decref(o);
}

static void test_docker_min_kernel(void **state)
{
	(void)state;
	static const struct {
		int maj, min;
		bool ptrace;  /* minKernel 4.8 */
		bool uring;   /* minKernel 5.10 */
	} k[] = {
		{4, 7, false, false}, {4, 8, true, false},   {4, 20, true, false},
		{5, 9, true, false},  {5, 10, true, true},   {5, 11, true, true},
		{6, 1, true, true},   {6, 18, true, true},   {3, 99, false, false},
	};
	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		json_t *o = convert(docker_fixture, docker_caps, k[i].maj, k[i].min);
		if (has_rule(o, "ptrace") != k[i].ptrace)
			fail_msg("kernel %d.%d: ptrace (minKernel 4.8) %s", k[i].maj, k[i].min,
				 k[i].ptrace ? "dropped" : "kept");
		if (has_rule(o, "io_uring_setup") != k[i].uring)
			fail_msg("kernel %d.%d: io_uring_setup (minKernel 5.10) %s", k[i].maj, k[i].min,
				 k[i].uring ? "dropped" : "kept");
		json_decref(o);
	}
}

/* moby's Filter has MinKernel on excludes too: the rule is dropped on kernels
 * at or above it. */
static void test_docker_excludes_min_kernel(void **state)
{
	(void)state;
	json_t *o = convert(docker_fixture, docker_caps, 4, 19);
	assert_true(has_rule(o, "userfaultfd"));
	json_decref(o);
	o = convert(docker_fixture, docker_caps, 5, 0);
	if (has_rule(o, "userfaultfd"))
		fail_msg("kernel 5.0: rule with excludes.minKernel 5.0 kept");
	json_decref(o);
	o = convert(docker_fixture, docker_caps, 6, 18);
	if (has_rule(o, "userfaultfd"))
		fail_msg("kernel 6.18: rule with excludes.minKernel 5.0 kept");
	json_decref(o);
}

static void test_docker_errors(void **state)
{
	(void)state;
	ward_err err = {0};
	json_t *p = load("['not', 'an', 'object']");
	assert_null(ward_seccomp_from_docker(p, "p.json", docker_caps, 6, 1, &err));
	assert_non_null(strstr(err.msg, "p.json"));
	json_decref(p);
	p = load("{'syscalls': []}");
	assert_null(ward_seccomp_from_docker(p, "p.json", docker_caps, 6, 1, &err));
	assert_non_null(strstr(err.msg, "defaultAction"));
	json_decref(p);
	p = load("{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['read'],"
		 " 'action': 'SCMP_ACT_ERRNO'}, {'names': ['mount'], 'action': 'SCMP_ACT_ALLOW',"
		 " 'includes': {'caps': ['CAP_SYS_WIZARD']}}]}");
	assert_null(ward_seccomp_from_docker(p, "p.json", docker_caps, 6, 1, &err));
	assert_non_null(strstr(err.msg, "syscalls[1].includes.caps"));
	assert_non_null(strstr(err.msg, "CAP_SYS_WIZARD"));
	json_decref(p);
	/* Conditions of another type (found by fuzz_seccomp): a caps string read
	 * as no condition, and the rule went to every container. */
	static const char *const bad[][2] = {
		{"{'defaultAction': 'SCMP_ACT_ERRNO', 'syscalls': [{'names': ['bpf'],"
		 " 'action': 'SCMP_ACT_ALLOW', 'includes': {'caps': 'CAP_SYS_ADMIN'}}]}",
		 "p.json: syscalls[0].includes.caps: must be an array"},
		{"{'defaultAction': 'SCMP_ACT_ERRNO', 'syscalls': [{'names': ['bpf'],"
		 " 'action': 'SCMP_ACT_ALLOW', 'excludes': ['CAP_SYS_ADMIN']}]}",
		 "p.json: syscalls[0].excludes: must be an object"},
		{"{'defaultAction': 'SCMP_ACT_ERRNO', 'syscalls': [{'names': ['bpf'],"
		 " 'action': 'SCMP_ACT_ALLOW', 'includes': {'arches': 'amd64'}}]}",
		 "p.json: syscalls[0].includes.arches: must be an array"},
		{"{'defaultAction': 'SCMP_ACT_ERRNO', 'syscalls': [{'names': ['bpf'],"
		 " 'action': 'SCMP_ACT_ALLOW', 'excludes': {'minKernel': 4.8}}]}",
		 "p.json: syscalls[0].excludes.minKernel: must be a string"},
		{"{'defaultAction': 'SCMP_ACT_ERRNO', 'syscalls': [{'names': ['bpf'],"
		 " 'action': 'SCMP_ACT_ALLOW', 'includes': {'minKernel': 'five'}}]}",
		 "p.json: syscalls[0].includes.minKernel: \"five\" is not a kernel version "
		 "(MAJOR.MINOR)"},
		{"{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': {'names': ['mount'],"
		 " 'action': 'SCMP_ACT_ERRNO'}}",
		 "p.json: syscalls: must be an array"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		p = load(bad[i][0]);
		ward_err_clear(&err);
		assert_null(ward_seccomp_from_docker(p, "p.json", docker_caps, 6, 1, &err));
		assert_string_equal(err.msg, bad[i][1]);
		json_decref(p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compile_null_is_nothing),
		cmocka_unit_test(test_compile_valid),
		cmocka_unit_test(test_compile_actions),
		cmocka_unit_test(test_compile_errno_ret),
		cmocka_unit_test(test_compile_rule_errno_defaults_to_eperm),
		cmocka_unit_test(test_compile_flags_and_notify),
		cmocka_unit_test(test_compile_unknown_syscall_skipped),
		cmocka_unit_test(test_compile_same_index_is_or),
		cmocka_unit_test(test_compile_unknown_action),
		cmocka_unit_test(test_compile_unknown_operator),
		cmocka_unit_test(test_compile_value_not_an_integer),
		cmocka_unit_test(test_compile_fields_of_the_wrong_type),
		cmocka_unit_test(test_compile_unknown_arch_and_flag),
		cmocka_unit_test(test_compile_errno_on_action_without_errno),
		cmocka_unit_test_setup_teardown(test_cache_second_compile_hits, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_cache_key_is_the_profile, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_cache_damaged_entry_is_recompiled, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test(test_default_clone_without_sys_admin),
		cmocka_unit_test(test_default_clone_with_sys_admin),
		cmocka_unit_test(test_default_blocks_without_caps),
		cmocka_unit_test(test_default_never_allowed),
		cmocka_unit_test(test_default_cap_gated),
		cmocka_unit_test(test_default_shape_and_compiles),
		cmocka_unit_test(test_docker_archmap_and_shape),
		cmocka_unit_test(test_docker_includes_caps),
		cmocka_unit_test(test_docker_excludes),
		cmocka_unit_test(test_docker_arches),
		cmocka_unit_test(test_docker_min_kernel),
		cmocka_unit_test(test_docker_excludes_min_kernel),
		cmocka_unit_test(test_docker_errors),
	};
	return cmocka_run_group_tests_name("seccomp", tests, NULL, NULL);
}
