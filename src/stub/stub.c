/* ward-stub: the last program the runtime runs before the container's own.
 *
 * CVE-2019-5736: a process that runs the runtime's binary inside a container
 * can make the kernel execute /proc/self/exe (a #! line or an ELF interpreter
 * pointing there), reopen that file and overwrite the runtime on the host.
 * The runtime's init therefore does not execve the program itself: it execs
 * this stub from a sealed memfd (src/runtime/protect.c), and the stub execs the
 * program. Whatever the program does with /proc/self/exe, it reaches the
 * sealed copy of these few hundred bytes, never the host's binary.
 *
 * Built freestanding (no C library, no relocations, static): its exec costs
 * next to nothing, where re-executing the whole runtime from a sealed copy
 * costs about a millisecond per container.
 *
 *   argv[0]  "ward-stub:FD"   FD: where to report an exec failure, a socket or
 *                             the exec fifo, kept open across this exec
 *   argv[1]  the program's path, already resolved by the runtime
 *   argv[2…] the program's argv; envp is passed on unchanged
 *
 * The stub starts non-dumpable: its memfd is execute-only and the runtime
 * execs it with no effective capability, so the kernel cannot let the
 * container read it, and no process of the container may reach the stub or
 * FD (ptrace, /proc/PID/fd, mem; CVE-2016-9962, src/runtime/protect.c). It
 * says so once more itself, should a kernel decide otherwise, then FD
 * becomes close-on-exec, so the runtime sees it close exactly when the
 * program starts. If any of that or the exec fails, a WARD_SYNC_ERROR record
 * (errno and what failed) goes to FD and the stub exits 127: it never execs
 * with FD still open. Run any other way (say, as a #! interpreter), it
 * refuses and exits 126. */
#include <stddef.h>
#include <stdint.h>

#include "../linux/sync_wire.h"

#define F_SETFD 2
#define FD_CLOEXEC 1
#define PR_SET_DUMPABLE 4

#if defined(__x86_64__)
enum { NR_write = 1, NR_fcntl = 72, NR_execve = 59, NR_exit_group = 231, NR_prctl = 157 };
static long sys3(long n, long a, long b, long c)
{
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
	return r;
}
__asm__(".text\n.globl _start\n.type _start,@function\n_start:\n"
	"\txor %ebp, %ebp\n\tmov %rsp, %rdi\n\tand $-16, %rsp\n\tcall stub_main\n\thlt\n");
#elif defined(__aarch64__)
enum { NR_write = 64, NR_fcntl = 25, NR_execve = 221, NR_exit_group = 94, NR_prctl = 167 };
static long sys3(long n, long a, long b, long c)
{
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	__asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
	return x0;
}
__asm__(".text\n.globl _start\n.type _start,%function\n_start:\n"
	"\tmov x29, #0\n\tmov x30, #0\n\tmov x0, sp\n\tbl stub_main\n");
#else
#error "ward-stub: no system call glue for this architecture"
#endif

static const char PREFIX[] = "ward-stub:";

__attribute__((noreturn)) static void leave(int code)
{
	for (;;)
		sys3(NR_exit_group, code, 0, 0);
}

static size_t append(char *dst, size_t at, size_t cap, const char *s)
{
	while (*s && at + 1 < cap)
		dst[at++] = *s++;
	dst[at] = '\0';
	return at;
}

__attribute__((noreturn, used)) void stub_main(long *sp)
{
	long argc = sp[0];
	char **argv = (char **)(sp + 1);
	char **envp = argv + argc + 1;
	const char *a0 = argc > 0 ? argv[0] : "";
	size_t i = 0;
	while (PREFIX[i] && a0[i] == PREFIX[i])
		i++;
	long fd = 0;
	const char *d = a0 + i;
	int digits = 0;
	while (*d >= '0' && *d <= '9' && digits < 9)
		fd = fd * 10 + (*d++ - '0'), digits++;
	if (PREFIX[i] || !digits || *d || argc < 3) {
		static const char msg[] = "ward-stub: this is part of ward, not a program to run\n";
		sys3(NR_write, 2, (long)msg, sizeof(msg) - 1);
		leave(126);
	}
	const char *what = "exec stub: prctl(PR_SET_DUMPABLE)";
	long r = sys3(NR_prctl, PR_SET_DUMPABLE, 0, 0);
	if (r == 0) {
		what = "exec stub: fcntl(F_SETFD)";
		r = sys3(NR_fcntl, fd, F_SETFD, FD_CLOEXEC);
	}
	int at_exec = r == 0;
	if (at_exec) {
		what = "exec ";
		r = sys3(NR_execve, (long)argv[1], (long)(argv + 2), (long)envp);
	}

	static struct ward_sync_msg m;
	m.type = WARD_SYNC_ERROR;
	m.errnum = (int32_t)-r;
	size_t n = append(m.msg, 0, sizeof(m.msg), what);
	if (at_exec)
		n = append(m.msg, n, sizeof(m.msg), argv[1]);
	sys3(NR_write, fd, (long)&m, (long)(WARD_SYNC_HEADER_LEN + n + 1));
	leave(127);
}
