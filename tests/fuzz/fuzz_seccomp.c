/* libFuzzer: seccomp profiles. The input is a JSON document, taken twice:
 *   - as linux.seccomp, compiled by ward_seccomp_compile (create and exec,
 *     without the cache);
 *   - as a Docker/podman profile, converted by ward_seccomp_from_docker
 *     (`ward seccomp convert PROFILE.json`, for Docker's 14 capabilities on
 *     Linux 6.1), and the result compiled in turn.
 * Promises checked: a refusal has a message naming linux.seccomp (or the
 * profile); an acceptance leaves no error behind and gives a BPF program
 * the kernel would load (ward's own validator, src/confine/bpf.c, agrees
 * with libseccomp's output) that answers the defaultAction for a syscall
 * no rule names and a rule's action for a syscall only that rule names
 * (without argument conditions), with only known filter flags, no field of
 * a type that would read as nothing (no system calls, no conditions, 0), and a listener path when a
 * rule notifies; a converted profile is linux.seccomp-shaped; neither step
 * changes its input. */
#include <jansson.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "confine/bpf.h"
#include "confine/seccomp.h"
#include "oci/spec.h"

#define FUZZ_NAME "fuzz_seccomp"
#include "check.h"

/* Docker's default capabilities (the set `ward seccomp convert` assumes). */
static const uint64_t docker_caps = (1ULL << 0) | (1ULL << 1) | (1ULL << 3) | (1ULL << 4) |
				    (1ULL << 5) | (1ULL << 6) | (1ULL << 7) | (1ULL << 8) |
				    (1ULL << 10) | (1ULL << 13) | (1ULL << 18) | (1ULL << 27) |
				    (1ULL << 29) | (1ULL << 31);

/* What the kernel gets for defaultAction (the runtime-spec's table), or
 * 1 when the name is not an action (the compiler must then refuse). */
static uint32_t expected_action(const char *n, json_t *e)
{
	uint32_t eno = json_is_integer(e) ? (uint32_t)json_integer_value(e) : 1 /* EPERM */;
	if (!n)
		return 1;
	if (!strcmp(n, "SCMP_ACT_KILL") || !strcmp(n, "SCMP_ACT_KILL_THREAD"))
		return SECCOMP_RET_KILL_THREAD;
	if (!strcmp(n, "SCMP_ACT_KILL_PROCESS"))
		return SECCOMP_RET_KILL_PROCESS;
	if (!strcmp(n, "SCMP_ACT_TRAP"))
		return SECCOMP_RET_TRAP;
	if (!strcmp(n, "SCMP_ACT_ERRNO"))
		return SECCOMP_RET_ERRNO | (eno & SECCOMP_RET_DATA);
	if (!strcmp(n, "SCMP_ACT_TRACE"))
		return SECCOMP_RET_TRACE | (eno & SECCOMP_RET_DATA);
	if (!strcmp(n, "SCMP_ACT_ALLOW"))
		return SECCOMP_RET_ALLOW;
	if (!strcmp(n, "SCMP_ACT_LOG"))
		return SECCOMP_RET_LOG;
	return 1;
}

static uint32_t expected_default(json_t *obj)
{
	return expected_action(json_string_value(json_object_get(obj, "defaultAction")),
			       json_object_get(obj, "defaultErrnoRet"));
}

/* How many syscalls[] entries name nr (repeats within one entry count once). */
static int rules_naming(json_t *calls, int nr)
{
	int count = 0;
	size_t i, k;
	json_t *e, *n;
	json_array_foreach(calls, i, e)
	{
		json_array_foreach(json_object_get(e, "names"), k, n)
		{
			const char *name = json_string_value(n);
			if (name && seccomp_syscall_resolve_name(name) == nr) {
				count++;
				break;
			}
		}
	}
	return count;
}

/* A system call that only one rule names, a rule without argument
 * conditions, gets that rule's action: ward added the rule as written. */
static void check_rules(json_t *obj, const struct sock_filter *bpf, size_t len)
{
	json_t *calls = json_object_get(obj, "syscalls");
	size_t i, k;
	json_t *e, *n;
	json_array_foreach(calls, i, e)
	{
		if (json_array_size(json_object_get(e, "args")) || i >= 32)
			continue;
		uint32_t want = expected_action(json_string_value(json_object_get(e, "action")),
						json_object_get(e, "errnoRet"));
		json_array_foreach(json_object_get(e, "names"), k, n)
		{
			const char *name = json_string_value(n);
			int nr = name ? seccomp_syscall_resolve_name(name) : __NR_SCMP_ERROR;
			if (k >= 8 || nr < 0 || rules_naming(calls, nr) != 1)
				continue;
			struct seccomp_data d = {.nr = nr, .arch = AUDIT_ARCH_X86_64};
			uint32_t got = 0;
			CHECK(ward_bpf_run_valid(bpf, len, &d, &got) == 0);
			if (want != 1 && got != want) {
				fprintf(stderr,
					FUZZ_NAME
					": syscalls[%zu] (%s, %d) gets 0x%08x, its action is "
					"0x%08x\n",
					i, name, nr, got, want);
				abort();
			}
		}
	}
}

/* Every argument comparison ward accepted compares with the numbers the
 * profile wrote: value and valueTwo are integers (or absent or null, which
 * mean 0), not strings or numbers jansson read as reals, which
 * json_integer_value would take as 0. */
static void check_args(json_t *obj)
{
	size_t i, k;
	json_t *e, *a;
	json_array_foreach(json_object_get(obj, "syscalls"), i, e)
	{
		/* Nor does a rule lose its system calls or its conditions to a type. */
		json_t *names = json_object_get(e, "names"), *args = json_object_get(e, "args");
		CHECK(!names || json_is_null(names) || json_is_array(names));
		json_array_foreach(names, k, a) CHECK(json_is_string(a));
		CHECK(!args || json_is_null(args) || json_is_array(args));
		json_t *en = json_object_get(e, "errnoRet");
		CHECK(!en || json_is_null(en) || json_is_integer(en));
		json_array_foreach(json_object_get(e, "args"), k, a)
		{
			json_t *v = json_object_get(a, "value"), *v2 = json_object_get(a, "valueTwo");
			CHECK(!v || json_is_null(v) || json_is_integer(v));
			CHECK(!v2 || json_is_null(v2) || json_is_integer(v2));
		}
	}
}

/* Top-level fields of the wrong type are refused too. */
static void check_top(json_t *obj)
{
	static const char *const arrays[] = {"architectures", "flags", "syscalls"};
	for (size_t i = 0; i < sizeof(arrays) / sizeof(arrays[0]); i++) {
		json_t *v = json_object_get(obj, arrays[i]);
		CHECK(!v || json_is_null(v) || json_is_array(v));
	}
	json_t *e = json_object_get(obj, "defaultErrnoRet");
	CHECK(!e || json_is_null(e) || json_is_integer(e));
}

static void check_compile(json_t *obj, const char *prefix)
{
	json_t *copy = json_deep_copy(obj);
	struct ward_seccomp sc;
	ward_err err = {0};
	int r = ward_seccomp_compile(obj, NULL, &sc, &err);
	CHECK(json_equal(obj, copy));
	json_decref(copy);
	if (r < 0) {
		CHECK(memchr(err.msg, '\0', sizeof(err.msg)));
		if (strncmp(err.msg, prefix, strlen(prefix)) != 0 &&
		    strncmp(err.msg, "seccomp: ", 9) != 0) {
			fprintf(stderr, FUZZ_NAME ": refused without naming %s: %s\n", prefix,
				err.msg);
			abort();
		}
		CHECK(!sc.bpf);
		return;
	}
	CHECK(r == 0);
	CHECK_NO_ERROR(err);
	CHECK(sc.bpf && sc.bpf_len > 0);
	check_top(obj);
	check_args(obj);
	CHECK(!sc.from_cache);
	CHECK((sc.flags & ~(SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW |
			    (1U << 5) /* WAIT_KILLABLE_RECV */)) == 0);
	CHECK(!sc.notify || sc.listener_path);
	uint32_t want = expected_default(obj);
	CHECK(want != 1);
	/* libseccomp does not stop at the kernel's limit: such a filter is refused
	 * when loaded. Below it, ward's validator must accept what libseccomp made. */
	if (sc.bpf_len <= BPF_MAXINSNS) {
		CHECK(ward_bpf_valid(sc.bpf, sc.bpf_len));
		/* 1000: no x86_64 system call has that number; no rule can name it. */
		struct seccomp_data d = {.nr = 1000, .arch = AUDIT_ARCH_X86_64};
		uint32_t got = 0;
		CHECK(ward_bpf_run_valid(sc.bpf, sc.bpf_len, &d, &got) == 0);
		if (got != want) {
			fprintf(stderr,
				FUZZ_NAME ": syscall 1000 gets 0x%08x, defaultAction is 0x%08x\n",
				got, want);
			abort();
		}
		check_rules(obj, sc.bpf, sc.bpf_len);
	}
	ward_seccomp_release(&sc);
}

/* A converted profile's rules were decided on conditions of the types
 * Docker writes: a condition of another type would read as none. */
static void check_conditions(json_t *profile)
{
	size_t i;
	json_t *e, *calls = json_object_get(profile, "syscalls");
	CHECK(!calls || json_is_null(calls) || json_is_array(calls));
	json_array_foreach(calls, i, e)
	{
		static const char *const which[] = {"includes", "excludes"};
		for (size_t k = 0; k < 2; k++) {
			json_t *c = json_object_get(e, which[k]);
			if (!c || json_is_null(c))
				continue;
			CHECK(json_is_object(c));
			json_t *caps = json_object_get(c, "caps"), *arches = json_object_get(c, "arches");
			json_t *mk = json_object_get(c, "minKernel");
			CHECK(!caps || json_is_null(caps) || json_is_array(caps));
			CHECK(!arches || json_is_null(arches) || json_is_array(arches));
			CHECK(!mk || json_is_null(mk) || json_is_string(mk));
			int ma, mi;
			CHECK(!json_is_string(mk) ||
			      (sscanf(json_string_value(mk), "%d.%d", &ma, &mi) == 2 && ma >= 0 && mi >= 0));
		}
	}
}

static void check_docker(json_t *obj)
{
	json_t *copy = json_deep_copy(obj);
	ward_err err = {0};
	json_t *out = ward_seccomp_from_docker(obj, "profile.json", docker_caps, 6, 1, &err);
	CHECK(json_equal(obj, copy));
	json_decref(copy);
	if (!out) {
		CHECK_REFUSAL(err, "profile.json: ");
		return;
	}
	CHECK_NO_ERROR(err);
	CHECK(json_is_object(out));
	check_conditions(obj);
	CHECK(json_is_string(json_object_get(out, "defaultAction")));
	CHECK(json_is_array(json_object_get(out, "architectures")));
	json_t *calls = json_object_get(out, "syscalls");
	CHECK(json_is_array(calls));
	size_t i;
	json_t *c;
	json_array_foreach(calls, i, c)
	{
		CHECK(json_object_get(c, "names") && json_object_get(c, "action"));
	}
	check_compile(out, "config.json: linux.seccomp");
	json_decref(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t jerr;
	json_t *obj = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
	if (!obj)
		return 0;
	if (json_is_object(obj))
		check_compile(obj, "config.json: linux.seccomp");
	check_docker(obj);
	json_decref(obj);
	return 0;
}
