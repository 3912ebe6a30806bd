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
 * The stub is the default. It needs what the direct execve needs plus two
 * things to hold, and ward re-executes instead when one might not:
 *   - the seccomp filter lets the stub's execveat and fcntl through (the
 *     filter is loaded before; it is run here on those calls, bpf.c);
 *   - no LSM label switches at that exec: an AppArmor profile or SELinux
 *     label would apply to the stub, whose memfd the policy may not allow
 *     (runc-dmz met exactly this);
 *   - no createContainer/startContainer hook: the init execs those itself,
 *     inside the container, while it still runs ward's binary;
 *   - the init is not visible to the container's processes before it can
 *     make itself non-dumpable (a rootless ward whose container shares a pid
 *     namespace: the ID maps must be written first);
 *   - no process of the container may hold CAP_SYS_PTRACE, which passes the
 *     check that non-dumpable fails: it could open the init's exe and keep
 *     it for a write once no ward runs. (Such a process can also ptrace the
 *     init before its exec, under either scheme: granting CAP_SYS_PTRACE
 *     next to a runtime's init is trusting the container.)
 * Capabilities come out the same: an exec of a file without capabilities
 * keeps the inheritable, ambient and bounding sets, and the program's exec
 * recomputes the rest from exactly those (root's as well: its permitted set
 * is bounding | inheritable after either exec).
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

static bool seccomp_lets_through(const struct ward_seccomp *sc, int nr, uint64_t a0, uint64_t a1,
				 uint64_t a2, uint64_t a4)
{
	if (!sc || !sc->bpf)
		return true;
	if (!NATIVE_AUDIT_ARCH)
		return false;
	struct seccomp_data d = {.nr = nr, .arch = NATIVE_AUDIT_ARCH,
				 .args = {a0, a1, a2, 0, a4, 0}};
	uint32_t ret;
	if (ward_bpf_run(sc->bpf, sc->bpf_len, &d, &ret) < 0)
		return false;
	uint32_t action = ret & SECCOMP_RET_ACTION_FULL;
	return action == SECCOMP_RET_ALLOW || action == SECCOMP_RET_LOG;
}

static bool may_ptrace(const struct ward_process *p)
{
	/* No capabilities field: the process keeps ward's own, all of them. */
	return p && (!p->caps.present || (p->caps.bounding & (1ULL << CAP_SYS_PTRACE)));
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
	if (may_ptrace(q->p) || may_ptrace(q->container))
		return "a process of the container may hold CAP_SYS_PTRACE";
	if (q->shared_pidns && ward_running_rootless())
		return "a rootless init in a shared pid namespace is visible before it can hide";
	/* The stub's own calls, with the values it passes (the fds are typical
	 * numbers: a filter that compares fd arguments would be an odd one). */
	if (!seccomp_lets_through(q->seccomp, SYS_execveat, 3, 0, 0, AT_EMPTY_PATH))
		return "the seccomp filter may refuse execveat(2) of the stub";
	if (!seccomp_lets_through(q->seccomp, SYS_fcntl, 3, F_SETFD, FD_CLOEXEC, 0))
		return "the seccomp filter may refuse fcntl(F_SETFD)";
	return NULL;
}

static int stub_fd(ward_err *err)
{
	int fd = memfd_create("ward-stub", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return ward_err_sys(err, errno, "exec stub: memfd_create");
	if (write(fd, ward_stub_elf, ward_stub_elf_len) != (ssize_t)ward_stub_elf_len ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0) {
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
	fexecve(mfd, saved_argv, environ);
	return ward_err_sys(err, errno, "execute the sealed copy");
}

int ward_protect_choose(const struct ward_protect_query *q, int *stub, ward_err *err)
{
	*stub = -1;
	{
		_cleanup_close_ int exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
		if (exe >= 0 && exe_is_safe(exe)) {
			ward_debug("exec protection: none needed (the binary cannot be written)");
			return 0;
		}
	}
	const char *why = stub_refused(q);
	if (!why) {
		ward_debug("exec protection: exec stub");
		*stub = stub_fd(err);
		return *stub < 0 ? -1 : 0;
	}
	ward_debug("exec protection: re-executing from a sealed copy (%s)", why);
	if (!saved_argv)
		return ward_err_set(err, "exec protection: cannot re-execute (%s)", why);
	if (reexec(err) < 0)
		return ward_err_wrap(err, "exec protection (CVE-2019-5736, %s)", why);
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

void ward_protect_launch(const struct ward_launch *l, const char *exe, char *const argv[],
			 char *const env[])
{
	if (l->stub_fd < 0) {
		execve(exe, argv, env);
		return;
	}
	syscall(SYS_execveat, l->stub_fd, "", l->argv, env, AT_EMPTY_PATH);
}
