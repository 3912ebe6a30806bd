/* ward's default seccomp profile: an allow-list, written for ward. Anything
 * not listed fails with EPERM. Groups below say what they are for; the
 * capability-gated groups are allowed only when the container holds that
 * capability in its bounding set (so a `--cap-add SYS_TIME` container can set
 * the clock, as with Docker), and some syscalls are never allowed.
 * docs/seccomp.md explains every blocked syscall. */
#include <errno.h>
#include <string.h>

#include "../util/cleanup.h"
#include "spec.h"

#define END NULL

/* Files and descriptors: the bread and butter of any program. */
static const char *const files[] = {
	"read", "write", "open", "openat", "openat2", "close", "close_range", "creat", "lseek",
	"_llseek", "pread64", "pwrite64", "readv", "writev", "preadv", "pwritev", "preadv2",
	"pwritev2", "sendfile", "sendfile64", "splice", "tee", "vmsplice", "copy_file_range",
	"fsync", "fdatasync", "sync", "syncfs", "sync_file_range", "sync_file_range2", "truncate",
	"ftruncate", "truncate64", "ftruncate64", "fallocate", "fadvise64", "fadvise64_64",
	"arm_fadvise64_64", "readahead", "flock", "fcntl", "fcntl64", "dup", "dup2", "dup3", "pipe",
	"pipe2", "ioctl", "cachestat", END};

/* File metadata and directories. mknod is governed by CAP_MKNOD and the
 * device cgroup; chroot by CAP_SYS_CHROOT (both in the default set). */
static const char *const metadata[] = {
	"stat", "fstat", "lstat", "newfstatat", "fstatat64", "stat64", "fstat64", "lstat64",
	"statx", "statfs", "fstatfs", "statfs64", "fstatfs64", "access", "faccessat",
	"faccessat2", "chmod", "fchmod", "fchmodat", "fchmodat2", "chown", "fchown", "lchown",
	"fchownat", "chown32", "fchown32", "lchown32", "utime", "utimes", "utimensat",
	"utimensat_time64", "futimesat", "getxattr", "lgetxattr", "fgetxattr", "listxattr",
	"llistxattr", "flistxattr", "setxattr", "lsetxattr", "fsetxattr", "removexattr",
	"lremovexattr", "fremovexattr", "getxattrat", "listxattrat", "setxattrat",
	"removexattrat", "mkdir", "mkdirat", "rmdir", "rename", "renameat", "renameat2", "link",
	"linkat", "symlink", "symlinkat", "unlink", "unlinkat", "readlink", "readlinkat",
	"getdents", "getdents64", "readdir", "chdir", "fchdir", "getcwd", "mknod", "mknodat",
	"umask", "chroot", END};

/* Memory management (not NUMA policy: that needs CAP_SYS_NICE, below). */
static const char *const memory[] = {
	"brk", "mmap", "mmap2", "munmap", "mremap", "mprotect", "pkey_mprotect", "pkey_alloc",
	"pkey_free", "madvise", "mincore", "mlock", "mlock2", "munlock", "mlockall", "munlockall",
	"msync", "membarrier", "memfd_create", "memfd_secret", "remap_file_pages",
	"get_mempolicy", "map_shadow_stack", "mseal", END};

/* Processes, threads, signals, credentials, scheduling. clone is allowed
 * without namespace flags only (rule below); clone3 gets ENOSYS so libc
 * falls back to clone, whose flags a filter can see. */
static const char *const processes[] = {
	"fork", "vfork", "execve", "execveat", "exit", "exit_group", "wait4", "waitid",
	"waitpid", "kill", "tkill", "tgkill", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn",
	"sigreturn", "rt_sigpending", "rt_sigsuspend", "rt_sigtimedwait", "rt_sigtimedwait_time64",
	"rt_sigqueueinfo", "rt_tgsigqueueinfo", "sigaltstack", "signalfd", "signalfd4", "sigaction",
	"sigprocmask", "sigsuspend", "sigpending", "signal", "sgetmask", "ssetmask", "pause",
	"getpid", "getppid", "gettid", "getpgid", "setpgid", "getpgrp", "getsid", "setsid",
	"getuid", "geteuid", "getgid", "getegid", "getresuid", "getresgid", "getgroups",
	"getuid32", "geteuid32", "getgid32", "getegid32", "getresuid32", "getresgid32",
	"getgroups32", "setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid",
	"setgroups", "setfsuid", "setfsgid", "setuid32", "setgid32", "setreuid32", "setregid32",
	"setresuid32", "setresgid32", "setgroups32", "setfsuid32", "setfsgid32", "capget",
	"capset", "prctl", "arch_prctl", "set_tid_address", "set_robust_list", "get_robust_list",
	"futex", "futex_time64", "futex_waitv", "futex_wake", "futex_wait", "futex_requeue",
	"sched_yield", "sched_getaffinity", "sched_setaffinity", "sched_getparam",
	"sched_setparam", "sched_getscheduler", "sched_setscheduler", "sched_get_priority_max",
	"sched_get_priority_min", "sched_rr_get_interval", "sched_rr_get_interval_time64",
	"sched_getattr", "sched_setattr", "getpriority", "setpriority", "nice", "getrlimit",
	"setrlimit", "prlimit64", "ugetrlimit", "getrusage", "times", "uname", "olduname",
	"oldolduname", "sysinfo", "rseq", "restart_syscall", "seccomp", "pidfd_open",
	"pidfd_send_signal", "ioprio_get", "ioprio_set", "getcpu", "set_thread_area",
	"get_thread_area", "alarm", "getitimer", "setitimer", "sethostname", "setdomainname",
	"landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self",
	"lsm_get_self_attr", "lsm_list_modules", END};

/* Clocks and timers (reading; setting the clock needs CAP_SYS_TIME). */
static const char *const timers[] = {
	"clock_gettime", "clock_gettime64", "clock_getres", "clock_getres_time64",
	"clock_nanosleep", "clock_nanosleep_time64", "gettimeofday", "time", "nanosleep",
	"timer_create", "timer_delete", "timer_settime", "timer_settime64", "timer_gettime",
	"timer_gettime64", "timer_getoverrun", "timerfd_create", "timerfd_settime",
	"timerfd_settime64", "timerfd_gettime", "timerfd_gettime64", "adjtimex", "clock_adjtime",
	"clock_adjtime64", END};

/* System V and POSIX IPC (namespaced by the ipc namespace). */
static const char *const ipc[] = {
	"msgget", "msgsnd", "msgrcv", "msgctl", "semget", "semop", "semtimedop",
	"semtimedop_time64", "semctl", "shmget", "shmat", "shmdt", "shmctl", "mq_open",
	"mq_unlink", "mq_timedsend", "mq_timedsend_time64", "mq_timedreceive",
	"mq_timedreceive_time64", "mq_notify", "mq_getsetattr", "ipc", END};

/* Waiting for events; Linux AIO (io_uring is not here: see docs/seccomp.md). */
static const char *const events[] = {
	"epoll_create", "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2",
	"poll", "ppoll", "ppoll_time64", "select", "pselect6", "pselect6_time64", "_newselect",
	"eventfd", "eventfd2", "inotify_init", "inotify_init1", "inotify_add_watch",
	"inotify_rm_watch", "io_setup", "io_destroy", "io_getevents", "io_submit", "io_cancel",
	"io_pgetevents", "io_pgetevents_time64", "getrandom", END};

/* Sockets (the network namespace and capabilities bound what they reach). */
static const char *const network[] = {
	"socket", "socketpair", "bind", "connect", "listen", "accept", "accept4", "getsockname",
	"getpeername", "sendto", "recvfrom", "send", "recv", "sendmsg", "recvmsg", "sendmmsg",
	"recvmmsg", "recvmmsg_time64", "shutdown", "setsockopt", "getsockopt", "socketcall", END};

static const char *const *const always[] = {files, metadata, memory, processes, timers,
					    ipc, events, network};

/* Allowed only with the capability that the kernel would check anyway; the
 * filter keeps the kernel's attack surface closed to containers without it. */
static const struct {
	int cap;
	const char *names[16];
} by_cap[] = {
	{21 /* SYS_ADMIN */, {"mount", "umount", "umount2", "pivot_root", "unshare", "setns",
			      "open_tree", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick",
			      "mount_setattr", "quotactl", "quotactl_fd", "fanotify_init"}},
	{21 /* SYS_ADMIN */, {"fanotify_mark", "lookup_dcookie", "swapon", "swapoff", "clone3",
			      "bpf", "perf_event_open", "syslog", "statmount", "listmount"}},
	{22 /* SYS_BOOT */, {"reboot", "kexec_load", "kexec_file_load"}},
	{16 /* SYS_MODULE */, {"init_module", "finit_module", "delete_module"}},
	{20 /* SYS_PACCT */, {"acct"}},
	{19 /* SYS_PTRACE */, {"ptrace", "process_vm_readv", "process_vm_writev", "kcmp",
			       "pidfd_getfd", "process_madvise", "userfaultfd"}},
	{17 /* SYS_RAWIO */, {"iopl", "ioperm"}},
	{25 /* SYS_TIME */, {"settimeofday", "stime", "clock_settime", "clock_settime64"}},
	{26 /* SYS_TTY_CONFIG */, {"vhangup"}},
	{23 /* SYS_NICE */, {"mbind", "set_mempolicy", "set_mempolicy_home_node", "migrate_pages",
			     "move_pages"}},
	{34 /* SYSLOG */, {"syslog"}},
	{39 /* BPF */, {"bpf"}},
	{38 /* PERFMON */, {"perf_event_open"}},
	{2 /* DAC_READ_SEARCH */, {"open_by_handle_at", "name_to_handle_at"}},
};

const char *const *ward_native_archs(void)
{
	/* The native ABI and the compat ABIs the kernel also accepts. */
#if defined(__x86_64__)
	static const char *const a[] = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", NULL};
#elif defined(__aarch64__)
	static const char *const a[] = {"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM", NULL};
#elif defined(__i386__)
	static const char *const a[] = {"SCMP_ARCH_X86", NULL};
#else
	static const char *const a[] = {NULL};
#endif
	return a;
}

static json_t *names_of(const char *const *v)
{
	json_t *a = json_array();
	for (; *v; v++)
		json_array_append_new(a, json_string(*v));
	return a;
}

static json_t *rule(json_t *names, const char *action)
{
	return json_pack("{s:o, s:s}", "names", names, "action", action);
}

json_t *ward_seccomp_default(uint64_t bounding)
{
	json_t *calls = json_array();
	json_t *allowed = json_array();
	for (size_t g = 0; g < ARRAY_SIZE(always); g++) {
		json_t *n = names_of(always[g]);
		json_array_extend(allowed, n);
		json_decref(n);
	}
	json_array_append_new(calls, rule(allowed, "SCMP_ACT_ALLOW"));

	bool sys_admin = bounding & (1ULL << 21);
	if (sys_admin) {
		json_array_append_new(calls, rule(json_pack("[s]", "clone"), "SCMP_ACT_ALLOW"));
	} else {
		/* clone without any CLONE_NEW* flag (flags are argument 0 on x86). */
		json_t *r = rule(json_pack("[s]", "clone"), "SCMP_ACT_ALLOW");
		json_object_set_new(r, "args",
				    json_pack("[{s:i, s:I, s:i, s:s}]", "index", 0, "value",
					      (json_int_t)0x7E020000, "valueTwo", 0, "op",
					      "SCMP_CMP_MASKED_EQ"));
		json_array_append_new(calls, r);
		json_t *c3 = rule(json_pack("[s]", "clone3"), "SCMP_ACT_ERRNO");
		json_object_set_new(c3, "errnoRet", json_integer(ENOSYS));
		json_array_append_new(calls, c3);
	}
	/* personality: only the harmless personas (query, Linux, 32-bit uname). */
	static const json_int_t personas[] = {0x0, 0x8, 0x20000, 0x20008, 0xffffffff};
	for (size_t i = 0; i < ARRAY_SIZE(personas); i++) {
		json_t *r = rule(json_pack("[s]", "personality"), "SCMP_ACT_ALLOW");
		json_object_set_new(r, "args", json_pack("[{s:i, s:I, s:s}]", "index", 0, "value",
							 personas[i], "op", "SCMP_CMP_EQ"));
		json_array_append_new(calls, r);
	}
	for (size_t i = 0; i < ARRAY_SIZE(by_cap); i++) {
		if (!(bounding & (1ULL << by_cap[i].cap)))
			continue;
		json_t *n = json_array();
		for (size_t k = 0; k < 16 && by_cap[i].names[k]; k++)
			json_array_append_new(n, json_string(by_cap[i].names[k]));
		json_array_append_new(calls, rule(n, "SCMP_ACT_ALLOW"));
	}
	json_t *archs = json_array();
	for (const char *const *a = ward_native_archs(); *a; a++)
		json_array_append_new(archs, json_string(*a));
	return json_pack("{s:s, s:i, s:o, s:o}", "defaultAction", "SCMP_ACT_ERRNO",
			 "defaultErrnoRet", EPERM, "architectures", archs, "syscalls", calls);
}
