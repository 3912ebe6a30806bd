/* The seccomp BPF interpreter (src/confine/bpf.c), which ward asks whether the
 * exec stub's system calls get through a container's filter (protect.c).
 * Every verdict is checked against the kernel's: a child loads the same
 * filter and makes the same call with the same arguments. */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "confine/bpf.h"
#include "confine/seccomp.h"
#include "oci/spec.h"
#include "util/cleanup.h"

#define MARK 999 /* the errnoRet of the test profiles: the filter said no */

#if defined(__x86_64__)
#define ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define ARCH AUDIT_ARCH_AARCH64
#else
#error "test_bpf: which AUDIT_ARCH is native here?"
#endif

struct probe {
	const char *what;
	int nr;
	uint64_t a[6];
};

/* Harmless whatever the filter says: bad fds, a NULL path. */
static const struct probe probes[] = {
	{"execveat(bad fd, \"\", AT_EMPTY_PATH)", SYS_execveat, {1000, 0, 0, 0, AT_EMPTY_PATH, 0}},
	{"execveat(bad fd, 0)", SYS_execveat, {1000, 0, 0, 0, 0, 0}},
	{"fcntl(bad fd, F_SETFD, FD_CLOEXEC)", SYS_fcntl, {1000, F_SETFD, FD_CLOEXEC, 0, 0, 0}},
	{"fcntl(bad fd, F_GETFL)", SYS_fcntl, {1000, F_GETFL, 0, 0, 0, 0}},
	{"getppid()", SYS_getppid, {0}},
	{"personality(0xffffffff)", SYS_personality, {0xffffffffu, 0, 0, 0, 0, 0}},
	{"personality(8)", SYS_personality, {8, 0, 0, 0, 0, 0}},
};

enum outcome { LET_THROUGH, REFUSED, KILLED };

static enum outcome of_action(uint32_t ret)
{
	uint32_t action = ret & SECCOMP_RET_ACTION_FULL;
	if (action == SECCOMP_RET_ALLOW || action == SECCOMP_RET_LOG)
		return LET_THROUGH;
	if (action == SECCOMP_RET_ERRNO && (ret & SECCOMP_RET_DATA) == MARK)
		return REFUSED;
	if (action == SECCOMP_RET_KILL_PROCESS || action == SECCOMP_RET_KILL_THREAD)
		return KILLED;
	fail_msg("unexpected action %#x", ret);
	return KILLED;
}

/* What the kernel does: a child loads the filter and makes the call. */
struct kernel_run {
	bool loaded; /* the kernel accepted the filter */
	bool killed; /* SIGSYS */
	long ret;
	int err;
};

/* The child reports through its exit status (the filter may refuse every
 * other call): 0 the call succeeded, 1..96 its errno, 97 another errno,
 * 98 MARK; 100-102 setting up the filter went wrong (101: refused). */
/* The child's exit as a bare system call: under ASan a call of _exit, which
 * does not return, is preceded by the runtime's sigaltstack(2), which the
 * filter refuses, and the runtime then dies with status 1. */
static void child_exit(int code)
{
	for (;;)
		syscall(SYS_exit_group, code);
}

static struct kernel_run kernel_run(const struct sock_filter *f, size_t n, int nr,
				    const uint64_t a[6])
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sock_fprog prog = {.len = (unsigned short)n, .filter = (struct sock_filter *)f};
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			child_exit(100);
		if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
			child_exit(errno == EINVAL ? 101 : 102);
		long r = syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
		child_exit(r >= 0 ? 0 : errno == MARK ? 98 : errno <= 96 ? errno : 97);
	}
	int status;
	assert_true(waitpid(pid, &status, 0) == pid);
	struct kernel_run k = {.loaded = true};
	if (WIFSIGNALED(status)) {
		assert_int_equal(WTERMSIG(status), SIGSYS);
		k.killed = true;
		return k;
	}
	assert_true(WIFEXITED(status));
	int code = WEXITSTATUS(status);
	assert_int_not_equal(code, 100);
	assert_int_not_equal(code, 102);
	if (code == 101)
		k.loaded = false;
	else if (code)
		k.ret = -1, k.err = code == 98 ? MARK : code;
	return k;
}

static enum outcome kernel_outcome(const struct ward_seccomp *sc, const struct probe *p)
{
	struct kernel_run k = kernel_run(sc->bpf, sc->bpf_len, p->nr, p->a);
	assert_true(k.loaded);
	if (k.killed)
		return KILLED;
	return k.ret < 0 && k.err == MARK ? REFUSED : LET_THROUGH;
}

/* The interpreter's answer for probe p. */
static uint32_t mine(const struct ward_seccomp *sc, const struct probe *p)
{
	struct seccomp_data d = {.nr = p->nr, .arch = ARCH};
	memcpy(d.args, p->a, sizeof(d.args));
	uint32_t ret = 0;
	assert_int_equal(ward_bpf_run(sc->bpf, sc->bpf_len, &d, &ret), 0);
	return ret;
}

static void compile(const char *tmpl, struct ward_seccomp *sc)
{
	char *js = unit_json(tmpl);
	json_error_t jerr;
	json_t *j = json_loads(js, 0, &jerr);
	free(js);
	assert_non_null(j);
	ward_err err = {0};
	int r = ward_seccomp_compile(j, NULL, sc, &err);
	json_decref(j);
	if (r != 0)
		fail_msg("compile: %s", err.msg);
}

/* Interpreter and kernel agree on every probe; returns the verdicts. */
static void agree(const struct ward_seccomp *sc, enum outcome *out)
{
	for (size_t i = 0; i < ARRAY_SIZE(probes); i++) {
		enum outcome m = of_action(mine(sc, &probes[i])), kernel = kernel_outcome(sc, &probes[i]);
		if (m != kernel)
			fail_msg("%s: interpreter says %d, kernel %d", probes[i].what, m, kernel);
		out[i] = m;
	}
}

static void test_deny_execveat(void **state)
{
	(void)state;
	struct ward_seccomp sc = {0};
	compile("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['execveat'],"
		"'action':'SCMP_ACT_ERRNO','errnoRet':999}]}", &sc);
	enum outcome o[ARRAY_SIZE(probes)];
	agree(&sc, o);
	assert_int_equal(o[0], REFUSED);
	assert_int_equal(o[1], REFUSED);
	assert_int_equal(o[2], LET_THROUGH);
	assert_int_equal(o[4], LET_THROUGH);
	ward_seccomp_release(&sc);
}

static void test_arguments(void **state)
{
	(void)state;
	struct ward_seccomp sc = {0};
	/* fcntl only for F_GETFL; execveat only with AT_EMPTY_PATH among its
	 * flags; personality only for 8 (masked-equal on the low bits). */
	compile("{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':999,'syscalls':["
		"{'names':['fcntl'],'action':'SCMP_ACT_ALLOW','args':[{'index':1,'value':3,'op':'SCMP_CMP_EQ'}]},"
		"{'names':['execveat'],'action':'SCMP_ACT_ALLOW','args':[{'index':4,'value':4096,'valueTwo':4096,'op':'SCMP_CMP_MASKED_EQ'}]},"
		"{'names':['personality'],'action':'SCMP_ACT_ALLOW','args':[{'index':0,'value':8,'op':'SCMP_CMP_EQ'}]},"
		"{'names':['exit_group','exit'],'action':'SCMP_ACT_ALLOW'}]}", &sc);
	enum outcome o[ARRAY_SIZE(probes)];
	agree(&sc, o);
	assert_int_equal(o[0], LET_THROUGH);
	assert_int_equal(o[1], REFUSED);
	assert_int_equal(o[2], REFUSED);
	assert_int_equal(o[3], LET_THROUGH);
	assert_int_equal(o[4], REFUSED);
	assert_int_equal(o[5], REFUSED);
	assert_int_equal(o[6], LET_THROUGH);
	ward_seccomp_release(&sc);
}

static void test_kill(void **state)
{
	(void)state;
	struct ward_seccomp sc = {0};
	compile("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['getppid'],"
		"'action':'SCMP_ACT_KILL_PROCESS'}]}", &sc);
	enum outcome o[ARRAY_SIZE(probes)];
	agree(&sc, o);
	assert_int_equal(o[4], KILLED);
	assert_int_equal(o[0], LET_THROUGH);
	ward_seccomp_release(&sc);
}

/* ward's own default profile lets the stub through: the hardened default
 * gets the fast path. */
static void test_default_profile(void **state)
{
	(void)state;
	json_t *prof = ward_seccomp_default(0); /* no capabilities: kexec_load refused */
	assert_non_null(prof);
	struct ward_seccomp sc = {0};
	ward_err err = {0};
	assert_int_equal(ward_seccomp_compile(prof, NULL, &sc, &err), 0);
	json_decref(prof);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(mine(&sc, &probes[i]) & SECCOMP_RET_ACTION_FULL, SECCOMP_RET_ALLOW);
	/* And a call the profile refuses is refused here too. */
	struct probe kexec = {"kexec_load", SYS_kexec_load, {0}};
	assert_int_not_equal(mine(&sc, &kexec) & SECCOMP_RET_ACTION_FULL, SECCOMP_RET_ALLOW);
	ward_seccomp_release(&sc);
}

/* Programs the kernel would refuse, or that fall off their end. */
static void test_malformed(void **state)
{
	(void)state;
	struct seccomp_data d = {.nr = SYS_getppid, .arch = ARCH};
	uint32_t ret = 0;
	struct sock_filter jump_out[] = {
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 5, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_filter load_nr[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
	};
	struct sock_filter bad_offset[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 2),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_filter past_end[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, sizeof(struct seccomp_data)),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	assert_int_equal(ward_bpf_run(jump_out, 2, &d, &ret), -1);
	assert_int_equal(ward_bpf_run(load_nr, 1, &d, &ret), -1);
	assert_int_equal(ward_bpf_run(bad_offset, 2, &d, &ret), -1);
	assert_int_equal(ward_bpf_run(past_end, 2, &d, &ret), -1);
	/* and a well-formed one with scratch memory and ALU */
	struct sock_filter alu[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0), /* nr */
		BPF_STMT(BPF_ST, 3),
		BPF_STMT(BPF_LDX | BPF_IMM, 2),
		BPF_STMT(BPF_ALU | BPF_MUL | BPF_X, 0),
		BPF_STMT(BPF_LDX | BPF_MEM, 3),
		BPF_STMT(BPF_ALU | BPF_SUB | BPF_X, 0), /* A = 2nr - nr = nr */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 7),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	assert_int_equal(ward_bpf_run(alu, ARRAY_SIZE(alu), &d, &ret), 0);
	assert_int_equal(ret, SECCOMP_RET_ERRNO | 7);
	d.nr = SYS_getpid;
	assert_int_equal(ward_bpf_run(alu, ARRAY_SIZE(alu), &d, &ret), 0);
	assert_int_equal(ret, SECCOMP_RET_ALLOW);
}

/* Where the kernel and a naive interpreter part: each program is loaded in
 * a child (accepted or not) and run on getppid, and ward_bpf_run must agree. */
static void agree_with_kernel(struct sock_filter *f, size_t n)
{
	static const uint64_t none[6];
	struct seccomp_data d = {.nr = SYS_getppid, .arch = ARCH};
	uint32_t ret = 0;
	int m = ward_bpf_run(f, n, &d, &ret);
	struct kernel_run k = kernel_run(f, n, SYS_getppid, none);
	assert_int_equal(m == 0, k.loaded);
	if (m == 0) {
		assert_false(k.killed);
		int my_errno = (ret & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ERRNO ?
				       (int)(ret & SECCOMP_RET_DATA) : 0;
		assert_int_equal(my_errno, k.ret < 0 ? k.err : 0);
	}
}

static void test_kernel_corners(void **state)
{
	(void)state;
	/* A shift by 32 or more through X: the kernel masks the count. */
	struct sock_filter shift[] = {
		BPF_STMT(BPF_LD | BPF_IMM, 1),
		BPF_STMT(BPF_LDX | BPF_IMM, 32),
		BPF_STMT(BPF_ALU | BPF_LSH | BPF_X, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 7),
	};
	agree_with_kernel(shift, ARRAY_SIZE(shift));
	/* Modulo: classic BPF has it, seccomp refuses it. */
	struct sock_filter mod[] = {
		BPF_STMT(BPF_LD | BPF_IMM, 5),
		BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, 3),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	agree_with_kernel(mod, ARRAY_SIZE(mod));
	/* A scratch word read before any write: refused. */
	struct sock_filter unwritten[] = {
		BPF_STMT(BPF_LD | BPF_MEM, 2),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	agree_with_kernel(unwritten, ARRAY_SIZE(unwritten));
	/* Written on one path into the read only: refused. */
	struct sock_filter one_path[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
		BPF_STMT(BPF_ST, 4),
		BPF_STMT(BPF_LD | BPF_MEM, 4),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	agree_with_kernel(one_path, ARRAY_SIZE(one_path));
	/* Written on every path: accepted, and the value read back. */
	struct sock_filter all_paths[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
		BPF_STMT(BPF_ST, 4),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
		BPF_STMT(BPF_ST, 4),
		BPF_STMT(BPF_LD | BPF_MEM, 4),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 9),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	agree_with_kernel(all_paths, ARRAY_SIZE(all_paths));
	/* The last instruction is not a RET: refused. */
	struct sock_filter no_ret[] = {
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_IMM, 0),
	};
	agree_with_kernel(no_ret, ARRAY_SIZE(no_ret));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deny_execveat),
		cmocka_unit_test(test_arguments),
		cmocka_unit_test(test_kill),
		cmocka_unit_test(test_default_profile),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_kernel_corners),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
