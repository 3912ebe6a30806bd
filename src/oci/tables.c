/* Name tables: parsing is a lookup, and features/inspect print the same tables. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sched.h>

#include "../util/cleanup.h"
#include "spec.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

const struct ward_ns_info ward_ns_table[WARD_NS_COUNT] = {
	[WARD_NS_PID] = {"pid", "pid", CLONE_NEWPID},
	[WARD_NS_NET] = {"network", "net", CLONE_NEWNET},
	[WARD_NS_MNT] = {"mount", "mnt", CLONE_NEWNS},
	[WARD_NS_IPC] = {"ipc", "ipc", CLONE_NEWIPC},
	[WARD_NS_UTS] = {"uts", "uts", CLONE_NEWUTS},
	[WARD_NS_USER] = {"user", "user", CLONE_NEWUSER},
	[WARD_NS_CGROUP] = {"cgroup", "cgroup", CLONE_NEWCGROUP},
	[WARD_NS_TIME] = {"time", "time", CLONE_NEWTIME},
};

const char *const ward_hook_names[WARD_HOOK_COUNT] = {
	[WARD_HOOK_PRESTART] = "prestart",
	[WARD_HOOK_CREATE_RUNTIME] = "createRuntime",
	[WARD_HOOK_CREATE_CONTAINER] = "createContainer",
	[WARD_HOOK_START_CONTAINER] = "startContainer",
	[WARD_HOOK_POSTSTART] = "poststart",
	[WARD_HOOK_POSTSTOP] = "poststop",
};

int ward_ns_from_name(const char *name)
{
	for (int i = 0; i < WARD_NS_COUNT; i++)
		if (strcmp(ward_ns_table[i].spec_name, name) == 0)
			return i;
	return -1;
}

static const char *const cap_names[] = {
	"CAP_CHOWN",		"CAP_DAC_OVERRIDE",	 "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
	"CAP_FSETID",		"CAP_KILL",		 "CAP_SETGID",		"CAP_SETUID",
	"CAP_SETPCAP",		"CAP_LINUX_IMMUTABLE",	 "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
	"CAP_NET_ADMIN",	"CAP_NET_RAW",		 "CAP_IPC_LOCK",	"CAP_IPC_OWNER",
	"CAP_SYS_MODULE",	"CAP_SYS_RAWIO",	 "CAP_SYS_CHROOT",	"CAP_SYS_PTRACE",
	"CAP_SYS_PACCT",	"CAP_SYS_ADMIN",	 "CAP_SYS_BOOT",	"CAP_SYS_NICE",
	"CAP_SYS_RESOURCE",	"CAP_SYS_TIME",		 "CAP_SYS_TTY_CONFIG",	"CAP_MKNOD",
	"CAP_LEASE",		"CAP_AUDIT_WRITE",	 "CAP_AUDIT_CONTROL",	"CAP_SETFCAP",
	"CAP_MAC_OVERRIDE",	"CAP_MAC_ADMIN",	 "CAP_SYSLOG",		"CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND",	"CAP_AUDIT_READ",	 "CAP_PERFMON",		"CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
};

int ward_cap_last(void)
{
	return (int)ARRAY_SIZE(cap_names) - 1;
}

int ward_cap_from_name(const char *name)
{
	/* runc and crun accept the names with or without the CAP_ prefix, any case. */
	const char *bare = strncasecmp(name, "CAP_", 4) == 0 ? name + 4 : name;
	for (size_t i = 0; i < ARRAY_SIZE(cap_names); i++)
		if (strcasecmp(cap_names[i] + 4, bare) == 0)
			return (int)i;
	return -1;
}

const char *ward_cap_name(int cap)
{
	if (cap < 0 || (size_t)cap >= ARRAY_SIZE(cap_names))
		return NULL;
	return cap_names[cap];
}

static const struct {
	const char *name;
	int resource;
} rlimit_names[] = {
	{"RLIMIT_AS", RLIMIT_AS},	    {"RLIMIT_CORE", RLIMIT_CORE},
	{"RLIMIT_CPU", RLIMIT_CPU},	    {"RLIMIT_DATA", RLIMIT_DATA},
	{"RLIMIT_FSIZE", RLIMIT_FSIZE},	    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
	{"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK}, {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
	{"RLIMIT_NICE", RLIMIT_NICE},	    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
	{"RLIMIT_NPROC", RLIMIT_NPROC},	    {"RLIMIT_RSS", RLIMIT_RSS},
	{"RLIMIT_RTPRIO", RLIMIT_RTPRIO},   {"RLIMIT_RTTIME", RLIMIT_RTTIME},
	{"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING}, {"RLIMIT_STACK", RLIMIT_STACK},
};

int ward_rlimit_from_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(rlimit_names); i++)
		if (strcmp(rlimit_names[i].name, name) == 0)
			return rlimit_names[i].resource;
	return -1;
}

static const struct {
	const char *name;
	int sig;
} signal_names[] = {
	{"HUP", SIGHUP},     {"INT", SIGINT},	    {"QUIT", SIGQUIT},	   {"ILL", SIGILL},
	{"TRAP", SIGTRAP},   {"ABRT", SIGABRT},	    {"IOT", SIGIOT},	   {"BUS", SIGBUS},
	{"FPE", SIGFPE},     {"KILL", SIGKILL},	    {"USR1", SIGUSR1},	   {"SEGV", SIGSEGV},
	{"USR2", SIGUSR2},   {"PIPE", SIGPIPE},	    {"ALRM", SIGALRM},	   {"TERM", SIGTERM},
	{"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD},   {"CONT", SIGCONT},	   {"STOP", SIGSTOP},
	{"TSTP", SIGTSTP},   {"TTIN", SIGTTIN},	    {"TTOU", SIGTTOU},	   {"URG", SIGURG},
	{"XCPU", SIGXCPU},   {"XFSZ", SIGXFSZ},	    {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},
	{"WINCH", SIGWINCH}, {"IO", SIGIO},	    {"POLL", SIGPOLL},	   {"PWR", SIGPWR},
	{"SYS", SIGSYS},
};

/* "TERM", "SIGTERM", "15", "RTMIN+3": what runc's kill accepts. */
int ward_signal_from_name(const char *name)
{
	char *end;
	if (*name >= '0' && *name <= '9') {
		long n = strtol(name, &end, 10);
		return (*end == '\0' && n > 0 && n < NSIG) ? (int)n : -1;
	}
	const char *bare = strncasecmp(name, "SIG", 3) == 0 ? name + 3 : name;
	for (size_t i = 0; i < ARRAY_SIZE(signal_names); i++)
		if (strcasecmp(signal_names[i].name, bare) == 0)
			return signal_names[i].sig;
	if (strncasecmp(bare, "RTMIN", 5) == 0 || strncasecmp(bare, "RTMAX", 5) == 0) {
		bool min = strncasecmp(bare, "RTMIN", 5) == 0;
		long off = 0;
		if (bare[5]) {
			/* RTMIN+n / RTMAX-n only, n small: no overflow, no "RTMIN3". */
			if ((bare[5] != '+' && bare[5] != '-') || bare[6] < '0' || bare[6] > '9')
				return -1;
			off = strtol(bare + 5, &end, 10);
			if (*end != '\0' || off < -64 || off > 64)
				return -1;
		}
		long sig = min ? SIGRTMIN + off : SIGRTMAX + off;
		return (sig >= SIGRTMIN && sig <= SIGRTMAX) ? (int)sig : -1;
	}
	return -1;
}

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

const struct ward_mount_option ward_mount_options[] = {
	{"defaults", false, 0, 0, 0, false},
	{"ro", false, MS_RDONLY, 0, 0, false},
	{"rw", true, MS_RDONLY, 0, 0, false},
	{"suid", true, MS_NOSUID, 0, 0, false},
	{"nosuid", false, MS_NOSUID, 0, 0, false},
	{"dev", true, MS_NODEV, 0, 0, false},
	{"nodev", false, MS_NODEV, 0, 0, false},
	{"exec", true, MS_NOEXEC, 0, 0, false},
	{"noexec", false, MS_NOEXEC, 0, 0, false},
	{"sync", false, MS_SYNCHRONOUS, 0, 0, false},
	{"async", true, MS_SYNCHRONOUS, 0, 0, false},
	{"dirsync", false, MS_DIRSYNC, 0, 0, false},
	{"remount", false, MS_REMOUNT, 0, 0, false},
	{"mand", false, MS_MANDLOCK, 0, 0, false},
	{"nomand", true, MS_MANDLOCK, 0, 0, false},
	{"atime", true, MS_NOATIME, 0, 0, false},
	{"noatime", false, MS_NOATIME, 0, 0, false},
	{"diratime", true, MS_NODIRATIME, 0, 0, false},
	{"nodiratime", false, MS_NODIRATIME, 0, 0, false},
	{"relatime", false, MS_RELATIME, 0, 0, false},
	{"norelatime", true, MS_RELATIME, 0, 0, false},
	{"strictatime", false, MS_STRICTATIME, 0, 0, false},
	{"nostrictatime", true, MS_STRICTATIME, 0, 0, false},
	{"nosymfollow", false, MS_NOSYMFOLLOW, 0, 0, false},
	{"symfollow", true, MS_NOSYMFOLLOW, 0, 0, false},
	{"silent", false, MS_SILENT, 0, 0, false},
	{"loud", true, MS_SILENT, 0, 0, false},
	{"iversion", false, MS_I_VERSION, 0, 0, false},
	{"noiversion", true, MS_I_VERSION, 0, 0, false},
	{"lazytime", false, MS_LAZYTIME, 0, 0, false},
	{"nolazytime", true, MS_LAZYTIME, 0, 0, false},
	{"bind", false, MS_BIND, 0, 0, false},
	{"rbind", false, MS_BIND | MS_REC, 0, 0, false},
	{"private", false, 0, MS_PRIVATE, 0, false},
	{"rprivate", false, 0, MS_PRIVATE | MS_REC, 0, false},
	{"shared", false, 0, MS_SHARED, 0, false},
	{"rshared", false, 0, MS_SHARED | MS_REC, 0, false},
	{"slave", false, 0, MS_SLAVE, 0, false},
	{"rslave", false, 0, MS_SLAVE | MS_REC, 0, false},
	{"unbindable", false, 0, MS_UNBINDABLE, 0, false},
	{"runbindable", false, 0, MS_UNBINDABLE | MS_REC, 0, false},
	{"rro", false, 0, 0, MOUNT_ATTR_RDONLY, false},
	{"rrw", false, 0, 0, MOUNT_ATTR_RDONLY, true},
	{"rnosuid", false, 0, 0, MOUNT_ATTR_NOSUID, false},
	{"rsuid", false, 0, 0, MOUNT_ATTR_NOSUID, true},
	{"rnodev", false, 0, 0, MOUNT_ATTR_NODEV, false},
	{"rdev", false, 0, 0, MOUNT_ATTR_NODEV, true},
	{"rnoexec", false, 0, 0, MOUNT_ATTR_NOEXEC, false},
	{"rexec", false, 0, 0, MOUNT_ATTR_NOEXEC, true},
	{"rnodiratime", false, 0, 0, MOUNT_ATTR_NODIRATIME, false},
	{"rdiratime", false, 0, 0, MOUNT_ATTR_NODIRATIME, true},
	{"rnoatime", false, 0, 0, MOUNT_ATTR_NOATIME, false},
	{"rrelatime", false, 0, 0, MOUNT_ATTR_RELATIME, false},
	{"rstrictatime", false, 0, 0, MOUNT_ATTR_STRICTATIME, false},
	{"rnosymfollow", false, 0, 0, MOUNT_ATTR_NOSYMFOLLOW, false},
	{"rsymfollow", false, 0, 0, MOUNT_ATTR_NOSYMFOLLOW, true},
	{"idmap", false, 0, 0, 0, false},
	{"ridmap", false, 0, 0, 0, false},
	{"tmpcopyup", false, 0, 0, 0, false},
};
const size_t ward_n_mount_options = ARRAY_SIZE(ward_mount_options);
