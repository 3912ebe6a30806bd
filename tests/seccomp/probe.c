/* Syscall probe for ward's seccomp/capability tests. Built static
 * (cc -static -O2 -pthread) and copied into a container's rootfs; the rootfs
 * is busybox only, without python or keyutils.
 *
 * usage: probe OP...
 * Each OP performs one system call (raw syscall(2), so libc cannot substitute
 * another syscall) and prints one line, in order:
 *   ok                  the call succeeded
 *   EPERM, ENOSYS, ...  the call failed with that errno
 *   SIGSYS(code=C,syscall=N)
 *                       the call raised SIGSYS (SCMP_ACT_TRAP): si_code and
 *                       si_syscall of the signal
 * Each OP is chosen so that, without a seccomp filter, the kernel returns
 * something other than EPERM where it can (ENOENT, EINVAL, EFAULT, ENOSYS on
 * a kernel without the feature, or success), so a filter's EPERM is told
 * apart from a missing capability.
 *
 *   mkdir:PATH  mkdirat:PATH   mkdir(2) / mkdirat(AT_FDCWD) mode 0755
 *   mkdir-thread:PATH          mkdir(2) in a second thread; prints the result,
 *                              or "thread-killed" if the thread died without
 *                              returning (SCMP_ACT_KILL_THREAD), then the main
 *                              thread prints "main-alive"
 *   mkdir-i386:PATH            mkdir through the i386 ABI (int $0x80, nr 39)
 *   getpid                     always allowed
 *   keyctl                     keyctl(KEYCTL_GET_KEYRING_ID, session, create)
 *   add_key                    add_key("user", ...) to the session keyring
 *   request_key                request_key("user", missing) (ENOKEY unfiltered)
 *   ptrace                     fork a child, PTRACE_ATTACH to it
 *   unshare:HEXFLAGS           unshare(flags)
 *   clone:HEXFLAGS             clone(flags|SIGCHLD) without CLONE_VM, child exits
 *   clone3                     clone3({.exit_signal=SIGCHLD}), child exits
 *   mount                      mount tmpfs on a missing path (ENOENT unfiltered:
 *                              the path is looked up before CAP_SYS_ADMIN is checked)
 *   umount                     umount2 of a missing path
 *   bpf                        bpf(invalid command) (EINVAL unfiltered)
 *   perf_event_open            perf_event_open(NULL attr) (EFAULT unfiltered)
 *   userfaultfd                userfaultfd(UFFD_USER_MODE_ONLY)
 *   io_uring_setup             io_uring_setup(4, params)
 *   clock_settime              clock_settime(REALTIME, invalid) (EINVAL unfiltered)
 *   settimeofday               settimeofday(invalid) (EINVAL unfiltered)
 *   reboot                     reboot(bad magic, CAD_OFF) (EINVAL with CAP_SYS_BOOT)
 *   init_module  finit_module  load nothing (ENOSYS without CONFIG_MODULES)
 *   kexec_load                 kexec_load(0 segments). Only for runs without
 *                              CAP_SYS_BOOT or with a filter: with the capability
 *                              and no filter it unloads a loaded kexec kernel
 *   open_by_handle_at          open_by_handle_at(NULL handle) (EFAULT unfiltered)
 *   name_to_handle_at          name_to_handle_at("/", NULL) (EFAULT unfiltered)
 *   personality:HEX            personality(value)
 *   rawsock                    socket(AF_INET, SOCK_RAW, IPPROTO_ICMP)
 *   icmpecho                   ping 127.0.0.1 through an ICMP echo socket
 *                              (SOCK_DGRAM, what net.ipv4.ping_group_range
 *                              allows); ok once the reply is back (ETIMEDOUT)
 *   umask:OCTAL                umask(value) (never fails unfiltered)
 *   getpriority:WHICH:WHO      getpriority(which, who)
 *   chroot:PATH                chroot(path)
 *   setns                      setns(open("/proc/self/ns/uts"), 0)
 *   acct                       acct(NULL)
 *   swapoff                    swapoff("/nonexistent") (ENOENT unfiltered w/ cap)
 *   syslog                     syslog(SYSLOG_ACTION_SIZE_BUFFER)
 *   vhangup                    vhangup()
 *   iopl                       iopl(0)
 *   ioperm                     ioperm(0x80, 1, 0)
 *   process_vm_readv           read own memory
 *   kcmp                       kcmp(self, self, KCMP_FILE, 0, 0)
 *   pidfd_getfd                own pidfd, fd 0
 *   set_mempolicy              set_mempolicy(MPOL_DEFAULT)
 *   move_pages                 move_pages(self, 0 pages)
 *   fanotify_init              fanotify_init(0, 0)
 *   quotactl                   quotactl(Q_GETFMT, "/nonexistent")
 *   syscall:NR                 raw syscall NR with all-zero arguments
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/io_uring.h>
#include <linux/kcmp.h>
#include <linux/keyctl.h>
#include <linux/reboot.h>
#include <linux/sched.h>
#include <linux/userfaultfd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t got_sigsys;
static volatile int sigsys_code, sigsys_nr;

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	got_sigsys = 1;
	sigsys_code = si->si_code;
	sigsys_nr = si->si_syscall;
}

static const char *ename(int e)
{
	const char *n = strerrorname_np(e);
	static char buf[32];
	if (n)
		return n;
	snprintf(buf, sizeof(buf), "E%d", e);
	return buf;
}

static void report(long r, int e)
{
	if (got_sigsys) {
		printf("SIGSYS(code=%d,syscall=%d)\n", sigsys_code, sigsys_nr);
		got_sigsys = 0;
	} else if (r < 0) {
		printf("%s\n", ename(e));
	} else {
		printf("ok\n");
	}
	fflush(stdout);
}

/* The argument after "name:" (or NULL). */
static const char *arg1(const char *op)
{
	const char *c = strchr(op, ':');
	return c ? c + 1 : NULL;
}

static int is(const char *op, const char *name)
{
	size_t n = strlen(name);
	return strncmp(op, name, n) == 0 && (op[n] == '\0' || op[n] == ':');
}

static void *thread_mkdir(void *p)
{
	long r = syscall(SYS_mkdir, (const char *)p, 0755);
	int e = errno;
	report(r, e);
	return (void *)1;
}

static long do_clone(unsigned long flags)
{
	long pid = syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid((pid_t)pid, NULL, 0);
	return pid;
}

static char low_path[4096]; /* static: below 4 GiB in a non-PIE binary */

/* One echo request to 127.0.0.1 and its reply, as ping does without
 * CAP_NET_RAW: the kernel fills in the identifier and the checksum. */
static long icmp_echo(void)
{
	int fd = (int)syscall(SYS_socket, AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	if (fd < 0)
		return -1;
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	unsigned char req[16] = {8 /* ICMP_ECHO */, 0, 0, 0, 0, 0, 0, 1, 'w', 'a', 'r', 'd'};
	unsigned char rep[64];
	struct timeval tv = {.tv_sec = 2};
	long r = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (r == 0)
		r = sendto(fd, req, sizeof(req), 0, (struct sockaddr *)&to, sizeof(to));
	if (r >= 0) {
		r = recv(fd, rep, sizeof(rep), 0);
		if (r < 0 && errno == EAGAIN)
			errno = ETIMEDOUT;
		else if (r >= 0 && (r < 8 || rep[0] != 0 /* ICMP_ECHOREPLY */))
			r = -1, errno = EPROTO;
	}
	int e = errno;
	close(fd);
	errno = e;
	return r < 0 ? -1 : 0;
}

static long run(const char *op)
{
	const char *a = arg1(op);
	if (is(op, "mkdir"))
		return syscall(SYS_mkdir, a, 0755);
	if (is(op, "mkdirat"))
		return syscall(SYS_mkdirat, AT_FDCWD, a, 0755);
	if (is(op, "mkdir-i386")) {
		snprintf(low_path, sizeof(low_path), "%s", a);
		long r;
		/* i386 __NR_mkdir is 39; ebx = path, ecx = mode. */
		__asm__ volatile("int $0x80"
				 : "=a"(r)
				 : "a"(39L), "b"((long)(uintptr_t)low_path), "c"(0755L)
				 : "memory", "r8", "r9", "r10", "r11");
		if (r < 0 && r > -4096) {
			errno = (int)-r;
			return -1;
		}
		return r;
	}
	if (is(op, "getpid"))
		return syscall(SYS_getpid);
	if (is(op, "keyctl"))
		return syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 1);
	if (is(op, "add_key"))
		return syscall(SYS_add_key, "user", "ward-probe", "x", 1, KEY_SPEC_SESSION_KEYRING);
	if (is(op, "request_key"))
		return syscall(SYS_request_key, "user", "ward-probe-missing", NULL,
			       KEY_SPEC_SESSION_KEYRING);
	if (is(op, "ptrace")) {
		pid_t c = fork();
		if (c < 0)
			return -1;
		if (c == 0) {
			for (;;)
				pause();
		}
		long r = syscall(SYS_ptrace, PTRACE_ATTACH, c, 0, 0);
		int e = errno;
		kill(c, SIGKILL);
		waitpid(c, NULL, 0);
		errno = e;
		return r;
	}
	if (is(op, "unshare"))
		return syscall(SYS_unshare, strtoul(a, NULL, 16));
	if (is(op, "clone3")) {
		struct clone_args ca = {.exit_signal = SIGCHLD};
		long pid = syscall(SYS_clone3, &ca, sizeof(ca));
		if (pid == 0)
			_exit(0);
		if (pid > 0)
			waitpid((pid_t)pid, NULL, 0);
		return pid;
	}
	if (is(op, "clone"))
		return do_clone(strtoul(a, NULL, 16));
	if (is(op, "mount"))
		return syscall(SYS_mount, "none", "/ward-probe-missing", "tmpfs", 0, NULL);
	if (is(op, "umount"))
		return syscall(SYS_umount2, "/ward-probe-missing", 0);
	if (is(op, "bpf")) {
		union bpf_attr attr;
		memset(&attr, 0, sizeof(attr));
		return syscall(SYS_bpf, 0x7fff, &attr, sizeof(attr));
	}
	if (is(op, "perf_event_open"))
		return syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0);
	if (is(op, "userfaultfd"))
		return syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY);
	if (is(op, "io_uring_setup")) {
		struct io_uring_params p;
		memset(&p, 0, sizeof(p));
		return syscall(SYS_io_uring_setup, 4, &p);
	}
	if (is(op, "clock_settime")) {
		struct timespec ts = {.tv_sec = 0, .tv_nsec = -1};
		return syscall(SYS_clock_settime, CLOCK_REALTIME, &ts);
	}
	if (is(op, "settimeofday")) {
		struct timeval tv = {.tv_sec = 0, .tv_usec = -1};
		return syscall(SYS_settimeofday, &tv, NULL);
	}
	if (is(op, "reboot")) /* wrong magic: EINVAL even with CAP_SYS_BOOT */
		return syscall(SYS_reboot, 0, 0, LINUX_REBOOT_CMD_CAD_OFF, NULL);
	if (is(op, "init_module"))
		return syscall(SYS_init_module, NULL, 0, "");
	if (is(op, "finit_module"))
		return syscall(SYS_finit_module, -1, "", 0);
	if (is(op, "kexec_load"))
		return syscall(SYS_kexec_load, 0, 0, NULL, 0);
	if (is(op, "open_by_handle_at"))
		return syscall(SYS_open_by_handle_at, AT_FDCWD, NULL, O_RDONLY);
	if (is(op, "name_to_handle_at")) {
		int mnt;
		return syscall(SYS_name_to_handle_at, AT_FDCWD, "/", NULL, &mnt, 0);
	}
	if (is(op, "personality"))
		return syscall(SYS_personality, strtoul(a, NULL, 16));
	if (is(op, "icmpecho"))
		return icmp_echo();
	if (is(op, "rawsock")) {
		long r = syscall(SYS_socket, AF_INET, SOCK_RAW, IPPROTO_ICMP);
		if (r >= 0)
			close((int)r);
		return r;
	}
	if (is(op, "umask"))
		return syscall(SYS_umask, strtoul(a, NULL, 8));
	if (is(op, "getpriority")) {
		const char *b = a ? strchr(a, ':') : NULL;
		return syscall(SYS_getpriority, strtol(a, NULL, 0), b ? strtol(b + 1, NULL, 0) : 0);
	}
	if (is(op, "chroot"))
		return syscall(SYS_chroot, a);
	if (is(op, "setns")) {
		int fd = open("/proc/self/ns/uts", O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -1;
		long r = syscall(SYS_setns, fd, 0);
		int e = errno;
		close(fd);
		errno = e;
		return r;
	}
	if (is(op, "acct"))
		return syscall(SYS_acct, NULL);
	if (is(op, "swapoff"))
		return syscall(SYS_swapoff, "/ward-probe-missing");
	if (is(op, "syslog"))
		return syscall(SYS_syslog, 10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	if (is(op, "vhangup"))
		return syscall(SYS_vhangup);
	if (is(op, "iopl"))
		return syscall(SYS_iopl, 0);
	if (is(op, "ioperm"))
		return syscall(SYS_ioperm, 0x80, 1, 0);
	if (is(op, "process_vm_readv")) {
		char src[8] = "abcdefg", dst[8];
		struct iovec l = {dst, sizeof(dst)}, r = {src, sizeof(src)};
		return syscall(SYS_process_vm_readv, getpid(), &l, 1, &r, 1, 0);
	}
	if (is(op, "kcmp"))
		return syscall(SYS_kcmp, getpid(), getpid(), KCMP_FILE, 0, 0);
	if (is(op, "pidfd_getfd")) {
		long pfd = syscall(SYS_pidfd_open, getpid(), 0);
		if (pfd < 0)
			return -1;
		long r = syscall(SYS_pidfd_getfd, pfd, 0, 0);
		int e = errno;
		if (r >= 0)
			close((int)r);
		close((int)pfd);
		errno = e;
		return r;
	}
	if (is(op, "set_mempolicy"))
		return syscall(SYS_set_mempolicy, 0 /* MPOL_DEFAULT */, NULL, 0);
	if (is(op, "move_pages"))
		return syscall(SYS_move_pages, 0, 0, NULL, NULL, NULL, 0);
	if (is(op, "fanotify_init"))
		return syscall(SYS_fanotify_init, 0, 0);
	if (is(op, "quotactl"))
		return syscall(SYS_quotactl, 0x800004 /* Q_GETFMT */, "/ward-probe-missing", 0, NULL);
	if (is(op, "syscall"))
		return syscall(strtol(a, NULL, 0), 0, 0, 0, 0, 0, 0);
	fprintf(stderr, "probe: unknown op %s\n", op);
	exit(2);
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSYS, &sa, NULL);
	if (argc < 2) {
		fprintf(stderr, "usage: probe OP...\n");
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		const char *op = argv[i];
		if (is(op, "mkdir-thread")) {
			pthread_t t;
			void *ret = NULL;
			if (pthread_create(&t, NULL, thread_mkdir, (void *)arg1(op)) != 0) {
				printf("pthread_create failed\n");
				return 1;
			}
			pthread_join(t, &ret);
			if (ret != (void *)1)
				printf("thread-killed\n");
			printf("main-alive\n");
			fflush(stdout);
			continue;
		}
		errno = 0;
		long r = run(op);
		int e = errno;
		report(r, e);
	}
	return 0;
}
