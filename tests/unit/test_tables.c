/* Name tables (src/oci/tables.c): signals, capabilities, rlimits, namespaces,
 * mount options. Checked against the kernel's and libc's own numbers. */
#include "unit.h"

#include <ctype.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <strings.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include "oci/spec.h"

static void test_signal_names(void **state)
{
	(void)state;
	assert_int_equal(ward_signal_from_name("TERM"), SIGTERM);
	assert_int_equal(ward_signal_from_name("SIGTERM"), SIGTERM);
	assert_int_equal(ward_signal_from_name("sigterm"), SIGTERM);
	assert_int_equal(ward_signal_from_name("Term"), SIGTERM);
	assert_int_equal(ward_signal_from_name("15"), 15);
	assert_int_equal(ward_signal_from_name("KILL"), SIGKILL);
	assert_int_equal(ward_signal_from_name("SIGKILL"), 9);
	assert_int_equal(ward_signal_from_name("9"), 9);
	assert_int_equal(ward_signal_from_name("HUP"), SIGHUP);
	assert_int_equal(ward_signal_from_name("SIGUSR1"), SIGUSR1);
	assert_int_equal(ward_signal_from_name("USR2"), SIGUSR2);
	assert_int_equal(ward_signal_from_name("WINCH"), SIGWINCH);
	assert_int_equal(ward_signal_from_name("CHLD"), SIGCHLD);
	assert_int_equal(ward_signal_from_name("IOT"), SIGABRT);
	assert_int_equal(ward_signal_from_name("SIGSYS"), SIGSYS);
	assert_int_equal(ward_signal_from_name("1"), 1);
	assert_int_equal(ward_signal_from_name("64"), 64);
}

static void test_signal_realtime(void **state)
{
	(void)state;
	assert_int_equal(ward_signal_from_name("RTMIN"), SIGRTMIN);
	assert_int_equal(ward_signal_from_name("SIGRTMIN"), SIGRTMIN);
	assert_int_equal(ward_signal_from_name("RTMIN+3"), SIGRTMIN + 3);
	assert_int_equal(ward_signal_from_name("SIGRTMIN+3"), SIGRTMIN + 3);
	assert_int_equal(ward_signal_from_name("rtmin+3"), SIGRTMIN + 3);
	assert_int_equal(ward_signal_from_name("RTMAX"), SIGRTMAX);
	assert_int_equal(ward_signal_from_name("RTMAX-2"), SIGRTMAX - 2);
	assert_int_equal(ward_signal_from_name("SIGRTMAX-0"), SIGRTMAX);
	assert_int_equal(ward_signal_from_name("RTMIN+0"), SIGRTMIN);
	/* The whole realtime range, from both ends. */
	char buf[32];
	for (int i = 0; i <= SIGRTMAX - SIGRTMIN; i++) {
		snprintf(buf, sizeof(buf), "RTMIN+%d", i);
		assert_int_equal(ward_signal_from_name(buf), SIGRTMIN + i);
		snprintf(buf, sizeof(buf), "SIGRTMAX-%d", i);
		assert_int_equal(ward_signal_from_name(buf), SIGRTMAX - i);
	}
	snprintf(buf, sizeof(buf), "RTMIN+%d", SIGRTMAX - SIGRTMIN + 1);
	assert_int_equal(ward_signal_from_name(buf), -1);
	snprintf(buf, sizeof(buf), "RTMAX-%d", SIGRTMAX - SIGRTMIN + 1);
	assert_int_equal(ward_signal_from_name(buf), -1);
	assert_int_equal(ward_signal_from_name("RTMAX+1"), -1);
	assert_int_equal(ward_signal_from_name("RTMIN-1"), -1);
	assert_int_equal(ward_signal_from_name("RTMIN+"), -1);
	assert_int_equal(ward_signal_from_name("RTMIN+3x"), -1);
	assert_int_equal(ward_signal_from_name("RTMINX"), -1);
	assert_int_equal(ward_signal_from_name("RTMID"), -1);
}

/* Offsets far outside the range must be refused, not wrapped around (the sum
 * SIGRTMIN + offset is computed in a long and must not overflow). */
static void test_signal_realtime_huge_offset(void **state)
{
	(void)state;
	assert_int_equal(ward_signal_from_name("RTMIN+2147483647"), -1);
	assert_int_equal(ward_signal_from_name("RTMIN+4294967330"), -1); /* 2^32 + 34 */
	assert_int_equal(ward_signal_from_name("RTMAX-9223372036854775807"), -1);
	assert_int_equal(ward_signal_from_name("RTMAX-9223372036854775808"), -1);
	assert_int_equal(ward_signal_from_name("RTMIN+9223372036854775807"), -1);
	assert_int_equal(ward_signal_from_name("RTMIN+99999999999999999999"), -1);
}

static void test_signal_invalid(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"",    "SIG",	 "FOO",	 "SIGFOO", "0",	 "-1",	"-15",	"65",  "1000",
		"15x", "x15",	 "TERM ", "SIGSIGTERM", "SIG_TERM", "TERMINATE",
		"99999999999999999999999", "SIGRTMIN+", "CAP_KILL",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = ward_signal_from_name(bad[i]);
		if (r != -1)
			print_error("# \"%s\" gave %d\n", bad[i], r);
		assert_int_equal(r, -1);
	}
	/* NSIG is one past the last signal number. */
	char buf[16];
	snprintf(buf, sizeof(buf), "%d", NSIG);
	assert_int_equal(ward_signal_from_name(buf), -1);
	snprintf(buf, sizeof(buf), "%d", NSIG - 1);
	assert_int_equal(ward_signal_from_name(buf), NSIG - 1);
}

/* Every capability ward knows, with the kernel's number for it. */
static const struct {
	const char *name;
	int value;
} kernel_caps[] = {
#define C(x) {#x, x}
	C(CAP_CHOWN),		 C(CAP_DAC_OVERRIDE),	C(CAP_DAC_READ_SEARCH), C(CAP_FOWNER),
	C(CAP_FSETID),		 C(CAP_KILL),		C(CAP_SETGID),		C(CAP_SETUID),
	C(CAP_SETPCAP),		 C(CAP_LINUX_IMMUTABLE), C(CAP_NET_BIND_SERVICE), C(CAP_NET_BROADCAST),
	C(CAP_NET_ADMIN),	 C(CAP_NET_RAW),	C(CAP_IPC_LOCK),	C(CAP_IPC_OWNER),
	C(CAP_SYS_MODULE),	 C(CAP_SYS_RAWIO),	C(CAP_SYS_CHROOT),	C(CAP_SYS_PTRACE),
	C(CAP_SYS_PACCT),	 C(CAP_SYS_ADMIN),	C(CAP_SYS_BOOT),	C(CAP_SYS_NICE),
	C(CAP_SYS_RESOURCE),	 C(CAP_SYS_TIME),	C(CAP_SYS_TTY_CONFIG),	C(CAP_MKNOD),
	C(CAP_LEASE),		 C(CAP_AUDIT_WRITE),	C(CAP_AUDIT_CONTROL),	C(CAP_SETFCAP),
	C(CAP_MAC_OVERRIDE),	 C(CAP_MAC_ADMIN),	C(CAP_SYSLOG),		C(CAP_WAKE_ALARM),
	C(CAP_BLOCK_SUSPEND),	 C(CAP_AUDIT_READ),	C(CAP_PERFMON),		C(CAP_BPF),
	C(CAP_CHECKPOINT_RESTORE),
#undef C
};

static void test_cap_round_trip(void **state)
{
	(void)state;
	size_t n = sizeof(kernel_caps) / sizeof(kernel_caps[0]);
	assert_int_equal(ward_cap_last(), CAP_LAST_CAP);
	assert_int_equal((size_t)ward_cap_last() + 1, n);
	for (size_t i = 0; i < n; i++) {
		int v = kernel_caps[i].value;
		const char *name = kernel_caps[i].name;
		/* number -> name -> number */
		assert_non_null(ward_cap_name(v));
		assert_string_equal(ward_cap_name(v), name);
		assert_int_equal(ward_cap_from_name(ward_cap_name(v)), v);
		/* without the prefix, and in lower case, with and without it */
		assert_int_equal(ward_cap_from_name(name + 4), v);
		char lower[64];
		size_t k;
		for (k = 0; name[k] && k < sizeof(lower) - 1; k++)
			lower[k] = (char)tolower((unsigned char)name[k]);
		lower[k] = '\0';
		assert_int_equal(ward_cap_from_name(lower), v);
		assert_int_equal(ward_cap_from_name(lower + 4), v);
	}
	/* Every number up to the last has a name, and nothing past it. */
	for (int c = 0; c <= ward_cap_last(); c++) {
		assert_non_null(ward_cap_name(c));
		assert_int_equal(ward_cap_from_name(ward_cap_name(c)), c);
	}
	assert_null(ward_cap_name(-1));
	assert_null(ward_cap_name(ward_cap_last() + 1));
	assert_null(ward_cap_name(64));
}

static void test_cap_invalid(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"", "CAP_", "cap_", "FOO", "CAP_FOO", "CAP_CAP_CHOWN", "CAPCHOWN", "CAP_CHOWN ",
		" CAP_CHOWN", "CAP-CHOWN", "0", "21", "CAP_SYS", "SYS_ADMINX",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = ward_cap_from_name(bad[i]);
		if (r != -1)
			print_error("# \"%s\" gave %d\n", bad[i], r);
		assert_int_equal(r, -1);
	}
}

static void test_rlimit_names(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		int resource;
	} want[] = {
#define R(x) {#x, x}
		R(RLIMIT_AS),	   R(RLIMIT_CORE),   R(RLIMIT_CPU),	   R(RLIMIT_DATA),
		R(RLIMIT_FSIZE),   R(RLIMIT_LOCKS),  R(RLIMIT_MEMLOCK),	   R(RLIMIT_MSGQUEUE),
		R(RLIMIT_NICE),	   R(RLIMIT_NOFILE), R(RLIMIT_NPROC),	   R(RLIMIT_RSS),
		R(RLIMIT_RTPRIO),  R(RLIMIT_RTTIME), R(RLIMIT_SIGPENDING), R(RLIMIT_STACK),
#undef R
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_int_equal(ward_rlimit_from_name(want[i].name), want[i].resource);
	/* All 16 resources Linux has (RLIM_NLIMITS) are covered, each once. */
	assert_int_equal(sizeof(want) / sizeof(want[0]), RLIM_NLIMITS);
	static const char *const bad[] = {"", "NOFILE", "nofile", "RLIMIT_nofile", "RLIMIT_",
					  "RLIMIT_NOFILES", "rlimit_nofile", "7"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(ward_rlimit_from_name(bad[i]), -1);
}

static void test_namespace_table(void **state)
{
	(void)state;
	static const struct {
		const char *spec, *proc;
		int type, flag;
	} want[] = {
		{"pid", "pid", WARD_NS_PID, CLONE_NEWPID},
		{"network", "net", WARD_NS_NET, CLONE_NEWNET},
		{"mount", "mnt", WARD_NS_MNT, CLONE_NEWNS},
		{"ipc", "ipc", WARD_NS_IPC, CLONE_NEWIPC},
		{"uts", "uts", WARD_NS_UTS, CLONE_NEWUTS},
		{"user", "user", WARD_NS_USER, CLONE_NEWUSER},
		{"cgroup", "cgroup", WARD_NS_CGROUP, CLONE_NEWCGROUP},
		{"time", "time", WARD_NS_TIME, 0x00000080},
	};
	assert_int_equal(sizeof(want) / sizeof(want[0]), WARD_NS_COUNT);
	for (size_t i = 0; i < WARD_NS_COUNT; i++) {
		assert_int_equal(ward_ns_from_name(want[i].spec), want[i].type);
		assert_string_equal(ward_ns_table[want[i].type].spec_name, want[i].spec);
		assert_string_equal(ward_ns_table[want[i].type].proc_name, want[i].proc);
		assert_int_equal(ward_ns_table[want[i].type].clone_flag, want[i].flag);
	}
	assert_int_equal(ward_ns_from_name("net"), -1);
	assert_int_equal(ward_ns_from_name("mnt"), -1);
	assert_int_equal(ward_ns_from_name("PID"), -1);
	assert_int_equal(ward_ns_from_name(""), -1);
}

static void test_hook_names(void **state)
{
	(void)state;
	assert_string_equal(ward_hook_names[WARD_HOOK_PRESTART], "prestart");
	assert_string_equal(ward_hook_names[WARD_HOOK_CREATE_RUNTIME], "createRuntime");
	assert_string_equal(ward_hook_names[WARD_HOOK_CREATE_CONTAINER], "createContainer");
	assert_string_equal(ward_hook_names[WARD_HOOK_START_CONTAINER], "startContainer");
	assert_string_equal(ward_hook_names[WARD_HOOK_POSTSTART], "poststart");
	assert_string_equal(ward_hook_names[WARD_HOOK_POSTSTOP], "poststop");
}

static const struct ward_mount_option *find_opt(const char *name)
{
	for (size_t i = 0; i < ward_n_mount_options; i++)
		if (strcmp(ward_mount_options[i].name, name) == 0)
			return &ward_mount_options[i];
	return NULL;
}

static void test_mount_option_table(void **state)
{
	(void)state;
	/* Names are unique: parse.c takes the first match. */
	for (size_t i = 0; i < ward_n_mount_options; i++)
		for (size_t j = i + 1; j < ward_n_mount_options; j++)
			assert_string_not_equal(ward_mount_options[i].name, ward_mount_options[j].name);
	/* Every flag option has its opposite, setting and clearing the same bit. */
	static const char *const pairs[][2] = {
		{"ro", "rw"},		{"nosuid", "suid"},	  {"nodev", "dev"},
		{"noexec", "exec"},	{"sync", "async"},	  {"mand", "nomand"},
		{"noatime", "atime"},	{"nodiratime", "diratime"}, {"relatime", "norelatime"},
		{"strictatime", "nostrictatime"}, {"nosymfollow", "symfollow"},
		{"iversion", "noiversion"}, {"lazytime", "nolazytime"}, {"silent", "loud"},
	};
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		const struct ward_mount_option *set = find_opt(pairs[i][0]), *clr = find_opt(pairs[i][1]);
		assert_non_null(set);
		assert_non_null(clr);
		assert_false(set->clear);
		assert_true(clr->clear);
		assert_int_not_equal(set->flag, 0);
		assert_int_equal(set->flag, clr->flag);
	}
	assert_int_equal(find_opt("ro")->flag, MS_RDONLY);
	assert_int_equal(find_opt("nosuid")->flag, MS_NOSUID);
	assert_int_equal(find_opt("rbind")->flag, MS_BIND | MS_REC);
	assert_int_equal(find_opt("bind")->flag, MS_BIND);
	assert_int_equal(find_opt("rshared")->propagation, MS_SHARED | MS_REC);
	assert_int_equal(find_opt("slave")->propagation, MS_SLAVE);
	/* Recursive attributes and their opposites. */
	static const struct {
		const char *set, *clr;
		uint64_t attr;
	} rec[] = {
		{"rro", "rrw", MOUNT_ATTR_RDONLY},
		{"rnosuid", "rsuid", MOUNT_ATTR_NOSUID},
		{"rnodev", "rdev", MOUNT_ATTR_NODEV},
		{"rnoexec", "rexec", MOUNT_ATTR_NOEXEC},
		{"rnodiratime", "rdiratime", MOUNT_ATTR_NODIRATIME},
		{"rnosymfollow", "rsymfollow", MOUNT_ATTR_NOSYMFOLLOW},
	};
	for (size_t i = 0; i < sizeof(rec) / sizeof(rec[0]); i++) {
		assert_int_equal(find_opt(rec[i].set)->rec_attr, rec[i].attr);
		assert_false(find_opt(rec[i].set)->rec_clear);
		assert_int_equal(find_opt(rec[i].clr)->rec_attr, rec[i].attr);
		assert_true(find_opt(rec[i].clr)->rec_clear);
		assert_int_equal(find_opt(rec[i].set)->flag, 0);
	}
	assert_null(find_opt("size=64m"));
	assert_null(find_opt("RO"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signal_names),
		cmocka_unit_test(test_signal_realtime),
		cmocka_unit_test(test_signal_realtime_huge_offset),
		cmocka_unit_test(test_signal_invalid),
		cmocka_unit_test(test_cap_round_trip),
		cmocka_unit_test(test_cap_invalid),
		cmocka_unit_test(test_rlimit_names),
		cmocka_unit_test(test_namespace_table),
		cmocka_unit_test(test_hook_names),
		cmocka_unit_test(test_mount_option_table),
	};
	return cmocka_run_group_tests_name("tables", tests, NULL, NULL);
}
