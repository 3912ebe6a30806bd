/* The cgroup v2 device filter (src/cgroup/devices.c): the eBPF program that
 * ward_devices_bpf generates from a rule list. Three kinds of checks:
 *  - shape: every instruction is reachable and no path runs off the end,
 *    the two things the kernel's verifier checks before anything else
 *    (Linux 6.1 refused ward's programs with "unreachable insn");
 *  - meaning: a small interpreter runs the program for many devices and
 *    compares its verdict with the rule list read directly (last match wins,
 *    no match denies);
 *  - the kernel: as root, the programs are loaded with BPF_PROG_LOAD (skipped
 *    when bpf() is not permitted), and a broken program is refused with the
 *    verifier's reason in the message. */
#include "unit.h"

#include <errno.h>
#include <linux/bpf.h>
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>

#include "cgroup/resources.h"
#include "util/cleanup.h"

#define MAXI 512

struct prog {
	struct bpf_insn insn[MAXI];
	size_t n;
};

static void gen(const struct ward_dev_rule *rules, size_t n, struct prog *p)
{
	memset(p, 0, sizeof(*p));
	p->n = ward_devices_bpf(rules, n, p->insn, MAXI);
	assert_true(p->n > 0);
}

/* ---- shape: what the verifier's check_cfg() demands ---- */

static bool is_exit(const struct bpf_insn *i)
{
	return i->code == (BPF_JMP | BPF_EXIT);
}

static bool is_cond_jump(const struct bpf_insn *i)
{
	int cls = BPF_CLASS(i->code);
	return (cls == BPF_JMP || cls == BPF_JMP32) && !is_exit(i) && BPF_OP(i->code) != BPF_JA &&
	       BPF_OP(i->code) != BPF_CALL;
}

static void assert_verifiable_shape(const struct prog *p)
{
	bool seen[MAXI] = {false};
	size_t stack[MAXI * 2], sp = 0;
	stack[sp++] = 0;
	while (sp) {
		size_t pc = stack[--sp];
		if (pc >= p->n)
			fail_msg("a path runs off the end of the %zu-instruction program", p->n);
		if (seen[pc])
			continue;
		seen[pc] = true;
		const struct bpf_insn *i = &p->insn[pc];
		if (is_exit(i))
			continue;
		if (is_cond_jump(i)) {
			long t = (long)pc + 1 + i->off;
			if (t < 0 || (size_t)t >= p->n)
				fail_msg("insn %zu jumps out of the program (to %ld)", pc, t);
			stack[sp++] = (size_t)t;
		}
		stack[sp++] = pc + 1;
	}
	for (size_t pc = 0; pc < p->n; pc++)
		if (!seen[pc])
			fail_msg("insn %zu of %zu is unreachable (the verifier refuses the program)", pc,
				 p->n);
}

/* ---- meaning: run the program ---- */

static int run_prog(const struct prog *p, int type, int access, uint32_t major, uint32_t minor)
{
	uint32_t ctx[3] = {(uint32_t)type | ((uint32_t)access << 16), major, minor};
	uint64_t r[11] = {0};
	for (size_t pc = 0, steps = 0; pc < p->n && steps < 10000; pc++, steps++) {
		const struct bpf_insn *i = &p->insn[pc];
		uint64_t *d = &r[i->dst_reg];
		switch (i->code) {
		case BPF_LDX | BPF_W | BPF_MEM:
			assert_int_equal(i->src_reg, 1);
			assert_true(i->off >= 0 && i->off <= 8 && i->off % 4 == 0);
			*d = ctx[i->off / 4];
			break;
		case BPF_ALU64 | BPF_MOV | BPF_X:
			*d = r[i->src_reg];
			break;
		case BPF_ALU64 | BPF_MOV | BPF_K:
			*d = (uint64_t)(int64_t)i->imm;
			break;
		case BPF_ALU | BPF_AND | BPF_K:
			*d = (uint32_t)*d & (uint32_t)i->imm;
			break;
		case BPF_ALU | BPF_RSH | BPF_K:
			*d = (uint32_t)*d >> i->imm;
			break;
		case BPF_JMP32 | BPF_JNE | BPF_K:
			if ((uint32_t)*d != (uint32_t)i->imm)
				pc += (size_t)(long)i->off;
			break;
		case BPF_JMP | BPF_JNE | BPF_K:
			if (*d != (uint64_t)(int64_t)i->imm)
				pc += (size_t)(long)i->off;
			break;
		case BPF_JMP | BPF_EXIT:
			return (int)r[0];
		default:
			fail_msg("insn %zu: opcode 0x%02x not expected in a device filter", pc, i->code);
		}
	}
	fail_msg("the program did not exit");
	return -1;
}

static int access_bits(const char *a)
{
	int m = 0;
	for (; *a; a++)
		m |= *a == 'r' ? BPF_DEVCG_ACC_READ : *a == 'w' ? BPF_DEVCG_ACC_WRITE : BPF_DEVCG_ACC_MKNOD;
	return m;
}

/* The rule list read as the runtime-spec and runc read it. */
static int reference(const struct ward_dev_rule *rules, size_t n, int type, int access,
		     uint32_t major, uint32_t minor)
{
	for (size_t i = n; i-- > 0;) {
		const struct ward_dev_rule *r = &rules[i];
		int acc = access_bits(r->access[0] ? r->access : "rwm");
		if ((access & ~acc) != 0)
			continue;
		if (r->type != 'a') {
			int t = r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR;
			if (t != type || (r->major >= 0 && r->major != major) ||
			    (r->minor >= 0 && r->minor != minor))
				continue;
		}
		return r->allow ? 1 : 0;
	}
	return 0;
}

static void assert_same_verdicts(const struct ward_dev_rule *rules, size_t n,
				 const struct prog *p)
{
	static const uint32_t nums[] = {0, 1, 3, 5, 7, 8, 136, 254, 4095, 0x80000000u, 0xffffffffu};
	static const int types[] = {BPF_DEVCG_DEV_CHAR, BPF_DEVCG_DEV_BLOCK};
	for (size_t t = 0; t < 2; t++)
		for (int acc = 1; acc <= 7; acc++)
			for (size_t a = 0; a < ARRAY_SIZE(nums); a++)
				for (size_t b = 0; b < ARRAY_SIZE(nums); b++) {
					int want = reference(rules, n, types[t], acc, nums[a], nums[b]);
					int got = run_prog(p, types[t], acc, nums[a], nums[b]);
					if (want != got)
						fail_msg("%s %u:%u access %d: program says %d, rules say %d",
							 types[t] == BPF_DEVCG_DEV_CHAR ? "c" : "b",
							 nums[a], nums[b], acc, got, want);
				}
}

static void check_rules(const struct ward_dev_rule *rules, size_t n)
{
	struct prog p;
	gen(rules, n, &p);
	assert_verifiable_shape(&p);
	assert_same_verdicts(rules, n, &p);
}

/* ---- rule lists ---- */

#define DENY_ALL  {false, 'a', -1, -1, "rwm"}
#define ALLOW_ALL {true, 'a', -1, -1, "rwm"}

/* What create.c builds: deny-all, the config's rules, then the defaults. */
static const struct ward_dev_rule ward_list[] = {
	DENY_ALL,
	{true, 'c', 10, 200, "rwm"},
	{false, 'c', 1, 3, "w"},
	{true, 'c', -1, -1, "m"},
	{true, 'b', -1, -1, "m"},
	{true, 'c', 1, 3, "rwm"},
	{true, 'c', 1, 5, "rwm"},
	{true, 'c', 5, 0, "rwm"},
	{true, 'c', 136, -1, "rwm"},
};

static void test_ward_list_shape_and_meaning(void **state)
{
	(void)state;
	check_rules(ward_list, ARRAY_SIZE(ward_list));
}

static void test_leading_deny_all_ends_the_program(void **state)
{
	(void)state;
	struct prog p;
	gen(ward_list, ARRAY_SIZE(ward_list), &p);
	/* The deny-all block is "r0 = 0; exit" and nothing follows it. */
	assert_true(p.n >= 2);
	assert_true(is_exit(&p.insn[p.n - 1]));
	assert_int_equal(p.insn[p.n - 2].code, BPF_ALU64 | BPF_MOV | BPF_K);
	assert_int_equal(p.insn[p.n - 2].imm, 0);
	struct prog q;
	gen(ward_list + 1, ARRAY_SIZE(ward_list) - 1, &q);
	/* Without it, the program ends with the default deny instead. */
	assert_int_equal(q.n, p.n);
}

static void test_allow_all_in_the_middle_decides(void **state)
{
	(void)state;
	const struct ward_dev_rule rules[] = {
		DENY_ALL,
		{true, 'c', 1, 3, "rwm"},
		ALLOW_ALL,
		{false, 'b', 7, -1, "rwm"},
		{false, 'c', -1, -1, "w"},
	};
	check_rules(rules, ARRAY_SIZE(rules));
	struct prog p, tail;
	gen(rules, ARRAY_SIZE(rules), &p);
	gen(rules + 2, ARRAY_SIZE(rules) - 2, &tail);
	/* The rules before allow-all can never decide anything: not emitted. */
	assert_int_equal(p.n, tail.n);
	assert_int_equal(run_prog(&p, BPF_DEVCG_DEV_CHAR, BPF_DEVCG_ACC_READ, 9, 9), 1);
	assert_int_equal(run_prog(&p, BPF_DEVCG_DEV_BLOCK, BPF_DEVCG_ACC_READ, 7, 1), 0);
	assert_int_equal(run_prog(&p, BPF_DEVCG_DEV_CHAR, BPF_DEVCG_ACC_WRITE, 1, 3), 0);
}

static void test_only_unconditional_rules(void **state)
{
	(void)state;
	const struct ward_dev_rule allow[] = {ALLOW_ALL};
	const struct ward_dev_rule deny[] = {DENY_ALL};
	const struct ward_dev_rule both[] = {ALLOW_ALL, DENY_ALL, ALLOW_ALL};
	check_rules(allow, 1);
	check_rules(deny, 1);
	check_rules(both, 3);
	struct prog p;
	gen(both, 3, &p);
	assert_int_equal(run_prog(&p, BPF_DEVCG_DEV_BLOCK, 7, 8, 0), 1);
}

static void test_empty_list_denies(void **state)
{
	(void)state;
	check_rules(NULL, 0);
	struct prog p;
	gen(NULL, 0, &p);
	assert_int_equal(run_prog(&p, BPF_DEVCG_DEV_CHAR, BPF_DEVCG_ACC_READ, 1, 3), 0);
}

static void test_access_subsets_and_wildcards(void **state)
{
	(void)state;
	const struct ward_dev_rule rules[] = {
		{true, 'a', -1, -1, "r"}, /* conditional: only the access is tested */
		{true, 'b', 8, -1, "rw"},
		{false, 'b', -1, 0, "w"},
		{true, 'c', -1, 7, "mw"},
		{false, 'c', 4, -1, ""}, /* "" means rwm */
	};
	check_rules(rules, ARRAY_SIZE(rules));
}

static void test_numbers_beyond_31_bits(void **state)
{
	(void)state;
	const struct ward_dev_rule rules[] = {
		DENY_ALL,
		{true, 'c', 0x80000000LL, 0xffffffffLL, "rwm"},
		{true, 'b', 1LL << 33, -1, "rwm"}, /* beyond u32: can never match */
	};
	check_rules(rules, ARRAY_SIZE(rules));
	struct prog p;
	gen(rules, ARRAY_SIZE(rules), &p);
	assert_int_equal(
		run_prog(&p, BPF_DEVCG_DEV_CHAR, BPF_DEVCG_ACC_READ, 0x80000000u, 0xffffffffu), 1);
	assert_int_equal(run_prog(&p, BPF_DEVCG_DEV_BLOCK, BPF_DEVCG_ACC_READ, 0, 5), 0);
}

static void test_small_buffer_is_refused(void **state)
{
	(void)state;
	struct bpf_insn small[10];
	assert_int_equal(ward_devices_bpf(ward_list, ARRAY_SIZE(ward_list), small, 10), 0);
	assert_int_equal(ward_devices_bpf(ward_list, ARRAY_SIZE(ward_list), small, 4), 0);
}

/* ---- resources documents (ward_resources_parse) ---- */

/* Each {document, message}: refused with exactly that message. */
static void refused(const char *const (*bad)[2], size_t n)
{
	for (size_t i = 0; i < n; i++) {
		json_t *j = json_loads(bad[i][0], 0, NULL);
		struct ward_resources r;
		ward_err err = {0};
		assert_non_null(j);
		assert_int_equal(ward_resources_parse(j, "r", &r, &err), -1);
		assert_string_equal(err.msg, bad[i][1]);
		ward_resources_free(&r);
		json_decref(j);
	}
}

/* Found by fuzz_resources: a weightDevice weight had no upper bound, and
 * cgroup v2's conversion to io.weight overflowed into a wrong weight. */
static void test_blkio_weights_out_of_range_are_refused(void **state)
{
	(void)state;
	static const char *const bad[][2] = {
		{"{\"blockIO\":{\"weightDevice\":[{\"major\":8,\"minor\":0,\"weight\":5000}]}}",
		 "r.blockIO.weightDevice[0].weight: 5000 is outside [10, 1000]"},
		{"{\"blockIO\":{\"weightDevice\":[{\"major\":8,\"minor\":0,"
		 "\"leafWeight\":3004294967295}]}}",
		 "r.blockIO.weightDevice[0].leafWeight: 3004294967295 is outside [10, 1000]"},
		{"{\"blockIO\":{\"leafWeight\":5}}", "r.blockIO.leafWeight: 5 is outside [10, 1000]"},
		{"{\"blockIO\":{\"weight\":1001}}", "r.blockIO.weight: 1001 is outside [10, 1000]"},
	};
	refused(bad, ARRAY_SIZE(bad));
	json_t *j = json_loads("{\"blockIO\":{\"weight\":0,\"leafWeight\":0,\"weightDevice\":"
			       "[{\"major\":8,\"minor\":0,\"weight\":1000,\"leafWeight\":10}]}}",
			       0, NULL);
	struct ward_resources r;
	ward_err err = {0};
	assert_int_equal(ward_resources_parse(j, "r", &r, &err), 0);
	assert_int_equal(r.blkio.n_weight_device, 1);
	assert_int_equal(ward_blkio_weight_to_io((uint64_t)r.blkio.weight_device[0].weight), 10000);
	ward_resources_free(&r);
	json_decref(j);
}

/* Found by fuzz_resources: a device rule's "type": true was the rule for
 * every device, a section of another type ("pids": 100) no limit at all. */
static void test_resources_of_the_wrong_type_are_refused(void **state)
{
	(void)state;
	static const char *const bad[][2] = {
		{"{\"devices\":[{\"allow\":true,\"type\":true,\"major\":1,\"minor\":3}]}",
		 "r.devices[0]: type: must be a string: a, c or b"},
		{"{\"devices\":[{\"allow\":true,\"type\":\"c\",\"access\":7}]}",
		 "r.devices[0]: access: must be a string of r, w and m"},
		{"{\"pids\":100}", "r.pids: must be an object"},
		{"{\"memory\":[1]}", "r.memory: must be an object"},
		{"{\"network\":{\"priorities\":{\"name\":\"eth0\",\"priority\":1}}}",
		 "r.network.priorities: must be an array"},
	};
	refused(bad, ARRAY_SIZE(bad));
	/* Null is absent: the rule's type is "a". */
	json_t *j = json_loads("{\"pids\":null,\"devices\":[{\"allow\":false,\"type\":null}]}", 0,
			       NULL);
	struct ward_resources r;
	ward_err err = {0};
	assert_int_equal(ward_resources_parse(j, "r", &r, &err), 0);
	assert_int_equal(r.devices[0].type, 'a');
	ward_resources_free(&r);
	json_decref(j);
}

/* ---- the kernel's verifier ---- */

/* Skips unless bpf() may load a cgroup device program here (root with
 * CAP_BPF/CAP_SYS_ADMIN, unprivileged BPF does not cover this type). */
static void need_bpf(void)
{
	struct prog p;
	gen(NULL, 0, &p);
	ward_err err = {0};
	int fd = ward_devices_bpf_load(p.insn, p.n, &err);
	if (fd < 0 && (err.errnum == EPERM || err.errnum == ENOSYS || err.errnum == EACCES))
		skip();
	if (fd < 0)
		fail_msg("loading the empty filter failed: %s", err.msg);
	close(fd);
}

static void load_ok(const struct ward_dev_rule *rules, size_t n)
{
	struct prog p;
	gen(rules, n, &p);
	ward_err err = {0};
	int fd = ward_devices_bpf_load(p.insn, p.n, &err);
	if (fd < 0)
		fail_msg("the kernel refused the filter: %s (errno %d)", err.msg, err.errnum);
	close(fd);
}

static void test_kernel_accepts_the_filters(void **state)
{
	(void)state;
	need_bpf();
	const struct ward_dev_rule mid[] = {DENY_ALL, ALLOW_ALL, {false, 'c', 1, 3, "w"}};
	const struct ward_dev_rule allow[] = {ALLOW_ALL};
	load_ok(ward_list, ARRAY_SIZE(ward_list));
	load_ok(mid, ARRAY_SIZE(mid));
	load_ok(allow, 1);
	load_ok(ward_list + 1, ARRAY_SIZE(ward_list) - 1);
}

static void test_kernel_refusal_names_the_reason(void **state)
{
	(void)state;
	need_bpf();
	/* The shape ward used to emit: code after an unconditional exit. */
	struct bpf_insn bad[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0},
		{.code = BPF_JMP | BPF_EXIT},
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 1},
		{.code = BPF_JMP | BPF_EXIT},
	};
	ward_err err = {0};
	int fd = ward_devices_bpf_load(bad, ARRAY_SIZE(bad), &err);
	if (fd >= 0) {
		close(fd);
		fail_msg("the kernel accepted a program with unreachable instructions");
	}
	assert_int_equal(err.errnum, EINVAL);
	if (!strstr(err.msg, "refused the eBPF device filter (4 instructions); verifier: "
			     "unreachable insn 2"))
		fail_msg("unexpected message: %s", err.msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ward_list_shape_and_meaning),
		cmocka_unit_test(test_leading_deny_all_ends_the_program),
		cmocka_unit_test(test_allow_all_in_the_middle_decides),
		cmocka_unit_test(test_only_unconditional_rules),
		cmocka_unit_test(test_empty_list_denies),
		cmocka_unit_test(test_access_subsets_and_wildcards),
		cmocka_unit_test(test_numbers_beyond_31_bits),
		cmocka_unit_test(test_small_buffer_is_refused),
		cmocka_unit_test(test_blkio_weights_out_of_range_are_refused),
		cmocka_unit_test(test_resources_of_the_wrong_type_are_refused),
		cmocka_unit_test(test_kernel_accepts_the_filters),
		cmocka_unit_test(test_kernel_refusal_names_the_reason),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
