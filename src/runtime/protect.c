/* CVE-2019-5736: keeping the container away from the runtime's binary.
 *
 * A process that runs ward's binary inside a container can have the kernel
 * execute /proc/self/exe (a #! line or an ELF interpreter pointing there) and
 * then reopen that file for writing, overwriting ward on the host. ward's init
 * and exec'd processes are clones of the CLI, so /proc/self/exe is ward's
 * binary until they execve the container's program. Three ways, chosen per
 * container by ward_protect_choose:
 *
 *   none    the binary cannot be written anyway: it is immutable, on a
 *           read-only mount, or already a sealed copy;
 *   stub    the init (or exec's child) stays non-dumpable while it runs ward's
 *           code, and execs the program through ward-stub (src/stub/stub.c)
 *           from a sealed memfd: whatever the program does with
 *           /proc/self/exe, it reaches that sealed copy;
 *   reexec  the whole CLI re-executes from a sealed memfd copy of itself
 *           before anything else happens (about a millisecond a container:
 *           copying and dynamically linking ~300 KB again).
 *
 * The stub is the default. It needs what the direct execve needs and more,
 * and ward re-executes instead when any of this might not hold:
 *   - the seccomp filter lets the stub's execveat, prctl and fcntl, and the
 *     capget/capset before it, through (the filter is loaded before; it is
 *     run here on those calls, bpf.c; the stub fails closed if one is
 *     refused anyway);
 *   - no LSM label switches at that exec: an AppArmor profile or SELinux
 *     label would apply to the stub, whose memfd the policy may not allow
 *     (runc-dmz met exactly this);
 *   - no createContainer/startContainer hook: the init execs those itself,
 *     inside the container, while it still runs ward's binary;
 *   - the container has a pid namespace of its own: in a joined or the
 *     host's, other processes (another container of the pod, say) see the
 *     init while it runs ward's binary;
 *   - no process of the container may hold CAP_SYS_PTRACE, which passes the
 *     check that non-dumpable fails: it could open the init's exe and keep
 *     it for a write once no ward runs. The container's capabilities are
 *     checked, and those of each exec: one that brings CAP_SYS_PTRACE leaves
 *     a mark that sends later execs to the re-exec;
 *   - the capabilities the program gets are the same: an exec of a file
 *     without capabilities keeps the inheritable, ambient and bounding sets,
 *     and the program's exec recomputes the rest from exactly those (root's
 *     as well: bounding | inheritable after either exec). Except under
 *     no_new_privs for a non-root user: there each exec is capped at the
 *     permitted set before it, and the stub's exec leaves only the ambient
 *     set, so a permitted capability outside ambient (for a program with
 *     file capabilities) needs the direct exec;
 *   - fs.suid_dumpable is not 1, which would make the stub dumpable.
 *
 * CVE-2016-9962: no process entering the container may be reached by the
 * container's processes (ptrace, /proc/PID/mem, environ, exe, fd) before it
 * runs its program. ptrace_may_access lets a process in when it has the
 * target's uids and the target is dumpable, or when it holds CAP_SYS_PTRACE
 * in the user namespace of the target's mm. While the init or exec's child
 * runs ward's code it is non-dumpable and its mm is ward's, whose user
 * namespace is the host's (a clone keeps it). The stub's exec makes a new mm,
 * which the kernel makes dumpable again unless the caller cannot read the
 * executable (would_dump); then it is non-dumpable, and its user namespace
 * is moved up to one where the file's owner is mapped. So the stub's memfd
 * is execute-only and the exec is made with an empty effective set
 * (ward_protect_launch): from its first instruction the stub is as closed
 * as ward's code was, to the container's root too. Owned by host root, the
 * memfd takes the stub's mm out of a user-namespaced container, so
 * CAP_SYS_PTRACE in that namespace does not reach it either (a rootless
 * ward's memfd is the user's, mapped inside: there CAP_SYS_PTRACE means the
 * re-exec, as above). tests/integration/attacks.bats races for it.
 *
 * What no runtime can close: a container without a user namespace whose
 * processes hold CAP_SYS_PTRACE holds it in the host's user namespace, and
 * the kernel lets that through every check (only an LSM, Yama's
 * ptrace_scope=3 or an AppArmor/SELinux ptrace rule, could stop it). Such a
 * container can ptrace a ward exec's child while it runs ward's code,
 * under either scheme. ward refuses such an exec into a created container
 * (its init holds all of ward's privileges until start, exec.c); give a
 * container that needs CAP_SYS_PTRACE a user namespace.
 *
 * What the interpreter cannot know, it assumes: the stub's fd numbers, a zero
 * instruction pointer, no filter of ward's own caller (one that refuses
 * execveat shows as "exec the program through the exec stub: EPERM"; then
 * set WARD_EXE_PROTECT=reexec).
 *
 * WARD_EXE_PROTECT=reexec in the environment forces the re-exec (tests,
 * and a way out should a policy refuse the stub). */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../confine/bpf.h"
#include "../confine/seccomp.h"
#include "../util/cleanup.h"
#include "../util/fault.h"
#include "../util/log.h"
#include "../util/rootless.h"
#include "runtime.h"

extern const unsigned char ward_stub_elf[];
extern const size_t ward_stub_elf_len;
extern char **environ;

#if defined(__x86_64__)
#define NATIVE_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#define NATIVE_AUDIT_ARCH 0
#endif
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

static char **saved_argv;

void ward_protect_init(char **argv)
{
	saved_argv = argv;
}

/* The binary cannot be written through /proc/self/exe: a sealed memfd (we
 * are the re-executed copy), a read-only mount, or the immutable attribute. */
static bool exe_is_safe(int fd)
{
	int seals = fcntl(fd, F_GET_SEALS);
	if (seals >= 0 && (seals & F_SEAL_WRITE))
		return true;
	struct statvfs vfs;
	if (fstatvfs(fd, &vfs) == 0 && (vfs.f_flag & ST_RDONLY))
		return true;
	int attr = 0;
	return ioctl(fd, FS_IOC_GETFLAGS, &attr) == 0 && (attr & FS_IMMUTABLE_FL);
}

/* The filter lets the call through (allows or only logs it); prog was
 * checked with ward_bpf_valid. */
static bool lets_through(const struct ward_seccomp *sc, int nr, uint64_t a0, uint64_t a1,
			 uint64_t a2, uint64_t a4)
{
	struct seccomp_data d = {.nr = nr, .arch = NATIVE_AUDIT_ARCH,
				 .args = {a0, a1, a2, 0, a4, 0}};
	uint32_t ret;
	if (ward_bpf_run_valid(sc->bpf, sc->bpf_len, &d, &ret) < 0)
		return false;
	uint32_t action = ret & SECCOMP_RET_ACTION_FULL;
	return action == SECCOMP_RET_ALLOW || action == SECCOMP_RET_LOG;
}

/* Why the filter might stop the stub, or NULL. The values are the stub's
 * (the fds typical numbers: a filter that compares fd arguments would be an
 * odd one, and the stub fails closed if it is refused after all). */
static const char *seccomp_refuses_stub(const struct ward_seccomp *sc)
{
	if (!sc || !sc->bpf)
		return NULL;
	if (!NATIVE_AUDIT_ARCH || !ward_bpf_valid(sc->bpf, sc->bpf_len))
		return "the seccomp filter cannot be checked";
	if (!lets_through(sc, SYS_execveat, 3, 0, 0, AT_EMPTY_PATH))
		return "the seccomp filter may refuse execveat(2) of the stub";
	if (!lets_through(sc, SYS_prctl, PR_SET_DUMPABLE, 0, 0, 0))
		return "the seccomp filter may refuse prctl(PR_SET_DUMPABLE)";
	if (!lets_through(sc, SYS_fcntl, 3, F_SETFD, FD_CLOEXEC, 0))
		return "the seccomp filter may refuse fcntl(F_SETFD)";
	if (!lets_through(sc, SYS_capget, 0, 0, 0, 0) || !lets_through(sc, SYS_capset, 0, 0, 0, 0))
		return "the seccomp filter may refuse capget(2) or capset(2)";
	return NULL;
}

bool ward_protect_may_ptrace(const struct ward_process *p)
{
	/* No capabilities field: the process keeps ward's own, all of them. */
	if (!p)
		return false;
	const struct ward_caps *c = &p->caps;
	uint64_t any = c->bounding | c->effective | c->permitted | c->inheritable | c->ambient;
	return !c->present || (any & (1ULL << CAP_SYS_PTRACE));
}

/* Under no_new_privs each exec is capped at the permitted set before it;
 * for a non-root user the stub's exec leaves the ambient set only. */
static bool nnp_caps_differ(const struct ward_process *p)
{
	return p && p->no_new_privileges && p->user.uid != 0 && p->caps.present &&
	       (p->caps.permitted & ~p->caps.ambient);
}

/* fs.suid_dumpable=1 ("debug") makes every exec dumpable, the unreadable
 * stub's too (drop_effective): then only the direct exec leaves no window. */
static bool execs_stay_dumpable(void)
{
	char c = 0;
	int fd = open("/proc/sys/fs/suid_dumpable", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true;
	ssize_t n = read(fd, &c, 1);
	close(fd);
	return n != 1 || c == '1';
}

/* Why the stub cannot be used for q, or NULL. */
static const char *stub_refused(const struct ward_protect_query *q)
{
	if (!ward_stub_elf_len)
		return "ward was built without an exec stub for this architecture";
	const char *env = getenv("WARD_EXE_PROTECT");
	if (env && strcmp(env, "reexec") == 0)
		return "WARD_EXE_PROTECT=reexec";
	if (q->p && q->p->apparmor_profile && *q->p->apparmor_profile)
		return "process.apparmorProfile applies at the exec";
	if (q->p && q->p->selinux_label && *q->p->selinux_label)
		return "process.selinuxLabel applies at the exec";
	if (q->container_hooks)
		return "createContainer/startContainer hooks are run from inside the container";
	if (q->shared_pidns)
		return "the container shares a pid namespace: the init is visible before its exec";
	if (ward_protect_may_ptrace(q->p) || ward_protect_may_ptrace(q->container))
		return "a process of the container may hold CAP_SYS_PTRACE";
	if (q->ptrace_exec)
		return "an earlier exec brought CAP_SYS_PTRACE into the container";
	if (nnp_caps_differ(q->p))
		return "no_new_privs with permitted capabilities outside the ambient set";
	if (execs_stay_dumpable())
		return "fs.suid_dumpable is 1 (or unreadable): the stub would be dumpable";
	return seccomp_refuses_stub(q->seccomp);
}

static int stub_fd(ward_err *err)
{
	/* MFD_EXEC: a host with vm.memfd_noexec=1 makes memfds non-executable
	 * unless asked (kernels before 6.3 do not know the flag). */
	int fd = memfd_create("ward-stub", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
	if (fd < 0 && errno == EINVAL)
		fd = memfd_create("ward-stub", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return ward_err_sys(err, errno, "exec stub: memfd_create");
	/* Execute-only: see drop_effective. */
	if (write(fd, ward_stub_elf, ward_stub_elf_len) != (ssize_t)ward_stub_elf_len ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0 ||
	    fchmod(fd, 0111) < 0) {
		ward_err_sys(err, errno, "exec stub: seal the memfd");
		close(fd);
		return -1;
	}
	return fd;
}

static int reexec(ward_err *err)
{
	_cleanup_close_ int exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (exe < 0)
		return ward_err_sys(err, errno, "open /proc/self/exe");
	struct stat st;
	if (fstat(exe, &st) < 0)
		return ward_err_sys(err, errno, "stat /proc/self/exe");
	_cleanup_close_ int mfd = memfd_create("ward", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0)
		return ward_err_sys(err, errno, "memfd_create");
	off_t off = 0;
	while (off < st.st_size) {
		ssize_t n = sendfile(mfd, exe, &off, (size_t)(st.st_size - off));
		if (n < 0)
			return ward_err_sys(err, errno, "copy the binary to a memfd");
		if (n == 0)
			return ward_err_set(err, "copy the binary to a memfd: short read");
	}
	if (fcntl(mfd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)
		return ward_err_sys(err, errno, "seal the memfd");
	ward_fault_env_restore();
	fexecve(mfd, saved_argv, environ);
	return ward_err_sys(err, errno, "execute the sealed copy");
}

bool ward_protect_exe_safe(pid_t pid)
{
	char path[64];
	if (pid > 0)
		snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/exe");
	_cleanup_close_ int exe = open(path, O_RDONLY | O_CLOEXEC);
	return exe >= 0 && exe_is_safe(exe);
}

enum ward_protect_mode ward_protect_plan(const struct ward_protect_query *q, const char **why)
{
	*why = NULL;
	if (ward_protect_exe_safe(0)) {
		ward_debug("exec protection: none needed (the binary cannot be written)");
		return WARD_PROTECT_NONE;
	}
	*why = stub_refused(q);
	if (!*why) {
		ward_debug("exec protection: exec stub");
		return WARD_PROTECT_STUB;
	}
	ward_debug("exec protection: re-executing from a sealed copy (%s)", *why);
	return WARD_PROTECT_REEXEC;
}

int ward_protect_apply(enum ward_protect_mode mode, const char *why, int *stub, ward_err *err)
{
	*stub = -1;
	if (mode == WARD_PROTECT_NONE)
		return 0;
	if (mode == WARD_PROTECT_STUB) {
		*stub = stub_fd(err);
		return *stub < 0 ? -1 : 0;
	}
	if (!saved_argv)
		return ward_err_set(err, "exec protection: cannot re-execute (%s)", why);
	if (reexec(err) < 0)
		return ward_err_wrap(err, "exec protection (CVE-2019-5736, %s)", why);
	return 0;
}

int ward_protect_choose(const struct ward_protect_query *q, int *stub, ward_err *err)
{
	const char *why;
	enum ward_protect_mode mode = ward_protect_plan(q, &why);
	return ward_protect_apply(mode, why, stub, err);
}

int ward_protect_pass_input(const char *arg, const char *text, size_t len, ward_err *err)
{
	for (size_t i = 0; saved_argv && saved_argv[i]; i++) {
		char *e = saved_argv[i];
		size_t el = strlen(e);
		if (arg < e || arg > e + el)
			continue;
		int fd = memfd_create("ward-input", 0);
		if (fd < 0)
			return ward_err_sys(err, errno, "keep %s for the re-exec", arg);
		/* Far above any fd a caller passes on (--preserve-fds). */
		int high = fcntl(fd, F_DUPFD, 1000);
		if (high >= 0) {
			close(fd);
			fd = high;
		}
		if (write(fd, text, len) != (ssize_t)len) {
			ward_err_sys(err, errno, "keep %s for the re-exec", arg);
			close(fd);
			return -1;
		}
		char *repl;
		if (asprintf(&repl, "%.*s/proc/self/fd/%d", (int)(arg - e), e, fd) < 0) {
			close(fd);
			return ward_err_sys(err, ENOMEM, "keep %s for the re-exec", arg);
		}
		saved_argv[i] = repl; /* both live until the exec */
		return 0;
	}
	return 0;
}

int ward_protect_launch_prepare(struct ward_launch *l, int stub, int report_fd, const char *exe,
				char *const argv[], ward_err *err)
{
	*l = (struct ward_launch){.stub_fd = stub};
	if (stub < 0)
		return 0;
	size_t n = 0;
	while (argv[n])
		n++;
	if (!(l->argv = calloc(n + 3, sizeof(char *))))
		return ward_err_sys(err, ENOMEM, "exec stub");
	snprintf(l->name, sizeof(l->name), "ward-stub:%d", report_fd);
	l->argv[0] = l->name;
	l->argv[1] = (char *)exe;
	memcpy(l->argv + 2, argv, n * sizeof(char *));
	/* Open across the stub's exec; the stub makes it close-on-exec again. */
	if (fcntl(report_fd, F_SETFD, 0) < 0)
		return ward_err_sys(err, errno, "exec stub: report fd");
	return 0;
}

/* CVE-2016-9962: the stub must be closed to the container from its first
 * instruction, not from its prctl(PR_SET_DUMPABLE) a few microseconds after
 * the exec made it dumpable again. The kernel decides at the exec
 * (would_dump): an executable the caller cannot read makes the new image
 * non-dumpable, and moves its mm's user namespace up to one where the file's
 * owner is mapped. The memfd is mode 0111 (stub_fd); DAC_OVERRIDE or
 * DAC_READ_SEARCH in the effective set would read it anyway, so the
 * effective set is emptied first. That changes nothing the stub or the
 * program gets: an exec computes the new sets from the permitted,
 * inheritable, ambient and bounding sets, never from the effective one. */
static int drop_effective(void)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d) < 0)
		return -1;
	d[0].effective = d[1].effective = 0;
	return (int)syscall(SYS_capset, &h, d);
}

void ward_protect_launch(const struct ward_launch *l, const char *exe, char *const argv[],
			 char *const env[])
{
	if (l->stub_fd < 0) {
		execve(exe, argv, env);
		return;
	}
	if (drop_effective() < 0)
		return;
	syscall(SYS_execveat, l->stub_fd, "", l->argv, env, AT_EMPTY_PATH);
}

int ward_protect_launch_error(ward_err *err, int errnum, const char *exe)
{
	if (errnum == EPERM || errnum == ENOSYS)
		return ward_err_sys(err, errnum, "exec %s through the exec stub (refused by a seccomp "
						 "filter ward cannot see? WARD_EXE_PROTECT=reexec avoids "
						 "the stub)",
				    exe);
	return ward_err_sys(err, errnum, "exec %s through the exec stub", exe);
}
