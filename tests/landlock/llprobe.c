/* Access probe for ward's Landlock tests. Built static (cc -static -O2) and
 * copied into a busybox rootfs, which has no tool that reports an errno.
 *
 * usage: llprobe OP...
 * Each OP makes one attempt with a plain system call and prints one line, in
 * order: "ok" if it succeeded, else the errno's name (EACCES, EXDEV, ...).
 * Arguments are separated by ':' (paths must not contain one).
 *
 *   exec:PATH            fork; the child execve()s PATH (no arguments); ok if
 *                        the execve succeeded (the program's result is ignored)
 *   memfd-exec:PATH      copy PATH into a memfd and execve it (fexecve), as
 *                        exec: ok if the execve succeeded
 *   read:PATH            open(O_RDONLY) a file and read a byte
 *   write:PATH           open(O_WRONLY) an existing file and write a byte
 *   readdir:PATH         open(O_RDONLY|O_DIRECTORY) and getdents64
 *   rmdir:PATH           rmdir
 *   unlink:PATH          unlink
 *   mkdir:PATH           mkdir 0755
 *   mkreg:PATH           open(O_CREAT|O_EXCL|O_WRONLY) 0644
 *   mkfifo:PATH          mknod S_IFIFO
 *   mksock:PATH          mknod S_IFSOCK
 *   mkchar:PATH          mknod S_IFCHR 1:3 (the null device)
 *   mkblock:PATH         mknod S_IFBLK 7:0 (loop0)
 *   symlink:PATH         symlink("target", PATH)
 *   rename:OLD:NEW       rename(2)
 *   link:OLD:NEW         link(2)
 *   truncate:PATH        truncate(PATH, 0)
 *   otrunc:PATH          open(O_WRONLY|O_TRUNC)
 *   ioctl:PATH           open(O_RDONLY), ioctl(TCGETS): a device ioctl; on
 *                        /dev/null the driver answers ENOTTY, Landlock EACCES
 *   bind:PORT            TCP socket, bind 127.0.0.1:PORT
 *   connect:PORT         TCP socket, connect 127.0.0.1:PORT (ECONNREFUSED
 *                        when allowed and nothing listens)
 *   loop:PORT            listen on 127.0.0.1:PORT and connect to it (needs
 *                        both bind and connect on PORT)
 *   aconnect:NAME        AF_UNIX stream socket, connect to abstract NAME
 *   aserve:NAME:FILE     listen on abstract NAME, write "ready" to FILE, then
 *                        accept one connection (prints "ok" once accepted)
 *   kill:PID:SIG         kill(PID, SIG)
 *   sleep:SECONDS        sleep (to keep a process around)
 *   abi                  print the kernel's Landlock ABI version (0: none)
 *   getpid               print "ok" (a process that does nothing)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static const char *ename(int e)
{
	static char buf[32];
	const char *n = strerrorname_np(e);
	if (n)
		return n;
	snprintf(buf, sizeof(buf), "E%d", e);
	return buf;
}

static void report(int r, int e)
{
	if (r < 0)
		printf("%s\n", ename(e));
	else
		printf("ok\n");
	fflush(stdout);
}

/* Split "op:a:b" into up to two arguments (modifies the string). */
static char *split(char *s, char **a, char **b)
{
	*a = *b = NULL;
	char *c = strchr(s, ':');
	if (c) {
		*c = '\0';
		*a = c + 1;
		c = strchr(*a, ':');
		if (c) {
			*c = '\0';
			*b = c + 1;
		}
	}
	return s;
}

static int do_exec(const char *path)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		char *argv[] = {(char *)path, NULL};
		char *envp[] = {NULL};
		int null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
		}
		execve(path, argv, envp);
		int e = errno;
		if (write(p[1], &e, sizeof(e)) < 0)
			_exit(126);
		_exit(127);
	}
	close(p[1]);
	int e = 0;
	ssize_t n = read(p[0], &e, sizeof(e));
	close(p[0]);
	waitpid(pid, NULL, 0);
	if (n == (ssize_t)sizeof(e)) {
		errno = e;
		return -1;
	}
	return 0;
}

static int do_memfd_exec(const char *path)
{
	int src = open(path, O_RDONLY | O_CLOEXEC);
	if (src < 0)
		return -1;
	int mfd = (int)syscall(SYS_memfd_create, "llprobe", 0U);
	if (mfd < 0) {
		close(src);
		return -1;
	}
	char buf[65536];
	ssize_t n;
	while ((n = read(src, buf, sizeof(buf))) > 0)
		if (write(mfd, buf, (size_t)n) != n)
			return -1;
	close(src);
	char fdpath[64];
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", mfd);
	/* The child inherits mfd (no O_CLOEXEC) and executes it by that path. */
	int r = do_exec(fdpath);
	int e = errno;
	close(mfd);
	errno = e;
	return r;
}

static int do_open_io(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);
	if (fd < 0)
		return -1;
	char c = 'x';
	ssize_t r;
	if (flags & O_DIRECTORY) {
		char buf[1024];
		r = syscall(SYS_getdents64, fd, buf, sizeof(buf));
	} else if ((flags & O_ACCMODE) == O_RDONLY) {
		r = read(fd, &c, 1);
	} else {
		r = write(fd, &c, 1);
	}
	int e = errno;
	close(fd);
	errno = e;
	return r < 0 ? -1 : 0;
}

static int do_ioctl(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct termios t;
	int r = ioctl(fd, TCGETS, &t);
	int e = errno;
	close(fd);
	errno = e;
	return r;
}

static int tcp(int port, int do_bind)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int r = do_bind ? bind(s, (struct sockaddr *)&a, sizeof(a))
			: connect(s, (struct sockaddr *)&a, sizeof(a));
	int e = errno;
	close(s);
	errno = e;
	return r;
}

static int loop(int port)
{
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0 || c < 0)
		return -1;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int r = bind(l, (struct sockaddr *)&a, sizeof(a));
	if (r == 0)
		r = listen(l, 1);
	if (r == 0)
		r = connect(c, (struct sockaddr *)&a, sizeof(a));
	int e = errno;
	close(l);
	close(c);
	errno = e;
	return r;
}

static socklen_t abstract_addr(struct sockaddr_un *a, const char *name)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	size_t l = strlen(name);
	if (l > sizeof(a->sun_path) - 2)
		l = sizeof(a->sun_path) - 2;
	memcpy(a->sun_path + 1, name, l);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + l);
}

static int aconnect(const char *name)
{
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	struct sockaddr_un a;
	socklen_t l = abstract_addr(&a, name);
	int r = connect(s, (struct sockaddr *)&a, l);
	int e = errno;
	close(s);
	errno = e;
	return r;
}

static int aserve(const char *name, const char *ready)
{
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	struct sockaddr_un a;
	socklen_t l = abstract_addr(&a, name);
	if (bind(s, (struct sockaddr *)&a, l) < 0 || listen(s, 4) < 0)
		return -1;
	FILE *f = fopen(ready, "we");
	if (f) {
		fputs("ready\n", f);
		fclose(f);
	}
	int c = accept(s, NULL, NULL);
	if (c < 0)
		return -1;
	close(c);
	close(s);
	return 0;
}

static int one(char *op)
{
	char *a, *b;
	const char *name = split(op, &a, &b);
	if (!strcmp(name, "abi")) {
		long v = syscall(444 /* landlock_create_ruleset */, NULL, 0, 1U /* VERSION */);
		printf("%ld\n", v < 0 ? 0L : v);
		return 0;
	}
	if (!strcmp(name, "getpid")) {
		report((int)getpid(), 0);
		return 0;
	}
	if (!a) {
		fprintf(stderr, "llprobe: %s needs an argument\n", name);
		return -1;
	}
	int r;
	if (!strcmp(name, "exec"))
		r = do_exec(a);
	else if (!strcmp(name, "memfd-exec"))
		r = do_memfd_exec(a);
	else if (!strcmp(name, "read"))
		r = do_open_io(a, O_RDONLY);
	else if (!strcmp(name, "write"))
		r = do_open_io(a, O_WRONLY);
	else if (!strcmp(name, "readdir"))
		r = do_open_io(a, O_RDONLY | O_DIRECTORY);
	else if (!strcmp(name, "rmdir"))
		r = rmdir(a);
	else if (!strcmp(name, "unlink"))
		r = unlink(a);
	else if (!strcmp(name, "mkdir"))
		r = mkdir(a, 0755);
	else if (!strcmp(name, "mkreg")) {
		r = open(a, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
		if (r >= 0)
			close(r);
	} else if (!strcmp(name, "mkfifo"))
		r = mknod(a, S_IFIFO | 0644, 0);
	else if (!strcmp(name, "mksock"))
		r = mknod(a, S_IFSOCK | 0644, 0);
	else if (!strcmp(name, "mkchar"))
		r = mknod(a, S_IFCHR | 0644, makedev(1, 3));
	else if (!strcmp(name, "mkblock"))
		r = mknod(a, S_IFBLK | 0644, makedev(7, 0));
	else if (!strcmp(name, "symlink"))
		r = symlink("target", a);
	else if (!strcmp(name, "rename") && b)
		r = rename(a, b);
	else if (!strcmp(name, "link") && b)
		r = link(a, b);
	else if (!strcmp(name, "truncate"))
		r = truncate(a, 0);
	else if (!strcmp(name, "otrunc")) {
		r = open(a, O_WRONLY | O_TRUNC | O_CLOEXEC);
		if (r >= 0)
			close(r);
	} else if (!strcmp(name, "ioctl"))
		r = do_ioctl(a);
	else if (!strcmp(name, "bind"))
		r = tcp(atoi(a), 1);
	else if (!strcmp(name, "connect"))
		r = tcp(atoi(a), 0);
	else if (!strcmp(name, "loop"))
		r = loop(atoi(a));
	else if (!strcmp(name, "aconnect"))
		r = aconnect(a);
	else if (!strcmp(name, "aserve") && b)
		r = aserve(a, b);
	else if (!strcmp(name, "kill") && b)
		r = kill(atoi(a), atoi(b));
	else if (!strcmp(name, "sleep")) {
		sleep((unsigned)atoi(a));
		return 0;
	} else {
		fprintf(stderr, "llprobe: unknown op %s\n", name);
		return -1;
	}
	report(r, errno);
	return 0;
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (one(argv[i]) < 0)
			return 2;
	return 0;
}
