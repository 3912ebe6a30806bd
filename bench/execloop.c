/* Exec cost inside a container, for bench/run.sh figure 10 (integrity).
 * Built at bench time with `cc -static -O2` into the benchmark rootfs.
 *
 *   execloop N PATH        fork + execve(PATH "true") + wait, N times in
 *                          CHUNKS chunks: prints "exec_us=X mean_us=Y", X the
 *                          fastest chunk's us per exec (a chunk that was
 *                          preempted only gets slower)
 *   execloop fresh N SIZE  N times: write a new executable of SIZE bytes
 *                          (this program, padded), then time its exec alone:
 *                          prints "fresh_us=X mean_us=Y", the first exec of a
 *                          file never seen (what an integrity monitor hashes)
 *
 * The exec'd program is this file run as "true" (it exits at once), so the
 * cost is the kernel's exec plus whatever an exec waits for. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHUNKS 40

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int run(const char *path)
{
	pid_t p = fork();
	if (p == 0) {
		execl(path, "true", (char *)NULL);
		_exit(127);
	}
	int st;
	waitpid(p, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int copy_padded(const char *self, const char *to, long size)
{
	static char buf[1 << 16];
	int in = open(self, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	if (in < 0 || out < 0)
		return -1;
	long done = 0;
	ssize_t n;
	while ((n = read(in, buf, sizeof(buf))) > 0 && write(out, buf, (size_t)n) == n)
		done += n;
	memset(buf, 0, sizeof(buf));
	/* a different tail each time: every copy is a file never hashed */
	snprintf(buf, 64, "%s %f", to, now_us());
	while (done < size) {
		long k = size - done < (long)sizeof(buf) ? size - done : (long)sizeof(buf);
		if (write(out, buf, (size_t)k) != k)
			return -1;
		done += k;
		buf[0] = 0;
	}
	close(in);
	return close(out);
}

int main(int argc, char **argv)
{
	if (strcmp(argv[0], "true") == 0)
		return 0;
	if (argc == 4 && strcmp(argv[1], "fresh") == 0) {
		long n = strtol(argv[2], NULL, 10), size = strtol(argv[3], NULL, 10);
		double best = 1e18, total = 0;
		for (long i = 0; i < n; i++) {
			char path[64];
			snprintf(path, sizeof(path), "/tmp/execloop-fresh-%ld", i);
			if (copy_padded("/proc/self/exe", path, size) < 0)
				return 2;
			double t0 = now_us();
			int rc = run(path);
			double t = now_us() - t0;
			unlink(path);
			if (rc != 0)
				return 3;
			total += t;
			if (t < best)
				best = t;
		}
		printf("fresh_us=%.1f mean_us=%.1f\n", best, total / (double)n);
		return 0;
	}
	if (argc != 3)
		return 2;
	long n = strtol(argv[1], NULL, 10), per = n / CHUNKS > 0 ? n / CHUNKS : 1;
	double best = 1e18, t_all = now_us();
	run(argv[2]); /* warm: the verdict is cached from here on */
	for (int c = 0; c < CHUNKS; c++) {
		double t0 = now_us();
		for (long i = 0; i < per; i++)
			if (run(argv[2]) != 0)
				return 3;
		double us = (now_us() - t0) / (double)per;
		if (us < best)
			best = us;
	}
	printf("exec_us=%.2f mean_us=%.2f\n", best,
	       (now_us() - t_all) / (double)(per * CHUNKS + 1));
	return 0;
}
