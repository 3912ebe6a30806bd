/* Placing a new process in a cgroup: fork + write its pid to cgroup.procs
 * (what runtimes do on cgroup v1 and, today, ward everywhere) against
 * clone3(CLONE_INTO_CGROUP) (cgroup v2, Linux >= 5.7), after an idle gap.
 * Used by bench/profile.sh; built at bench time.
 *
 * usage: cgclone CGROUP2_DIR [REPEATS]
 *
 * A write to cgroup.procs takes cgroup_threadgroup_rwsem for writing; that
 * percpu rwsem waits an RCU grace period unless a writer was there shortly
 * before, so a lone container start pays it. CLONE_INTO_CGROUP seeds the
 * cgroup without that lock (kernel commit 6a010a49b63a). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return a < b ? -1 : a > b;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: cgclone CGROUP2_DIR [REPEATS]\n");
		return 2;
	}
	int n = argc > 2 ? atoi(argv[2]) : 8;
	if (n < 1 || n > 64)
		n = 8;
	char procs[4096];
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", argv[1]);
	int cfd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cfd < 0) {
		perror(argv[1]);
		return 1;
	}
	static const int gaps[] = {0, 10, 50, 200};
	for (size_t g = 0; g < sizeof(gaps) / sizeof(gaps[0]); g++) {
		double w[64], c[64];
		for (int i = 0; i < n; i++) {
			usleep((useconds_t)gaps[g] * 1000);
			pid_t p = fork();
			if (p == 0) {
				pause();
				_exit(0);
			}
			double t0 = now_ms();
			int fd = open(procs, O_WRONLY | O_CLOEXEC);
			if (fd < 0 || dprintf(fd, "%d", p) < 0) {
				perror(procs);
				kill(p, SIGKILL);
				return 1;
			}
			close(fd);
			w[i] = now_ms() - t0;
			kill(p, SIGKILL);
			waitpid(p, NULL, 0);

			usleep((useconds_t)gaps[g] * 1000);
			struct clone_args a;
			memset(&a, 0, sizeof(a));
			a.flags = CLONE_INTO_CGROUP;
			a.exit_signal = SIGCHLD;
			a.cgroup = (unsigned long long)cfd;
			t0 = now_ms();
			long r = syscall(SYS_clone3, &a, sizeof(a));
			if (r == 0)
				_exit(0);
			if (r < 0) {
				perror("clone3(CLONE_INTO_CGROUP)");
				return 1;
			}
			c[i] = now_ms() - t0;
			waitpid((pid_t)r, NULL, 0);
		}
		qsort(w, (size_t)n, sizeof(double), cmp);
		qsort(c, (size_t)n, sizeof(double), cmp);
		printf("gap %3d ms: fork+write cgroup.procs median %7.3f ms max %7.3f | "
		       "clone3(CLONE_INTO_CGROUP) median %7.3f ms max %7.3f\n",
		       gaps[g], w[n / 2], w[n - 1], c[n / 2], c[n - 1]);
	}
	return 0;
}
