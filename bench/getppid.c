/* Per-syscall cost, run inside a container by bench/run.sh (figure 7).
 * Built at bench time with `cc -static -O2` into the benchmark rootfs.
 *
 * usage: getppid [N]   (default 10000000 calls of each syscall)
 *
 * Prints one line:
 *   getppid_ns=X personality_ns=Y getppid_mean_ns=X' personality_mean_ns=Y'
 *
 * getppid: an argument-free syscall that every profile allows outright.
 *   Since Linux 5.11 the kernel caches such "always allow" verdicts per
 *   syscall number (seccomp action cache), so the BPF program usually does
 *   not run at all for it: this column shows the filter's floor cost.
 * personality(0xffffffff): a query that Docker's (and ward's) profile allows
 *   only with an argument check, so the kernel cannot cache the verdict and
 *   runs the whole BPF program on every call: the filter's real cost.
 *
 * The N calls are made in CHUNKS chunks, alternating the two syscalls chunk
 * by chunk; X and Y are the fastest chunk's ns/call (a chunk that was
 * preempted or shared a core only gets slower, so the minimum is the cost
 * on an idle CPU), the _mean_ values are over all N calls. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define CHUNKS 20

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts); /* vDSO: no syscall, no filter */
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 10000000L;
	long per = n / CHUNKS;
	if (per < 1)
		per = 1;
	volatile long sink = 0;
	double best[2] = {1e18, 1e18}, total[2] = {0, 0};

	/* warm up: page in the loop, settle the CPU frequency */
	for (long i = 0; i < per / 10 + 1; i++)
		sink += syscall(SYS_getppid) + syscall(SYS_personality, 0xffffffffUL);

	for (int c = 0; c < CHUNKS; c++) {
		for (int k = 0; k < 2; k++) {
			double t0 = now_ns();
			if (k == 0)
				for (long i = 0; i < per; i++)
					sink += syscall(SYS_getppid);
			else
				for (long i = 0; i < per; i++)
					sink += syscall(SYS_personality, 0xffffffffUL);
			double dt = now_ns() - t0;
			total[k] += dt;
			if (dt < best[k])
				best[k] = dt;
		}
	}
	printf("getppid_ns=%.2f personality_ns=%.2f getppid_mean_ns=%.2f personality_mean_ns=%.2f\n",
	       best[0] / (double)per, best[1] / (double)per, total[0] / (double)(per * CHUNKS),
	       total[1] / (double)(per * CHUNKS));
	return sink == 42 ? 1 : 0;
}
