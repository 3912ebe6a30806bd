/*
 * The pod sandbox's process for the CRI tests (tests/cri/), what Kubernetes'
 * pause image runs: it holds the pod's namespaces and does nothing else. It
 * is pid 1 of the pod when the pod shares one pid namespace
 * (shareProcessNamespace), so it reaps what is reparented to it; SIGTERM or
 * SIGINT (StopPodSandbox) end it at once, as a pid 1 without handlers would
 * ignore them. Built static so the image needs nothing else.
 */
#include <signal.h>
#include <stddef.h>
#include <sys/wait.h>

int main(void)
{
	sigset_t wanted, old;
	int sig;

	/* Signals are taken with sigwait so none is lost between checks. */
	sigemptyset(&wanted);
	sigaddset(&wanted, SIGTERM);
	sigaddset(&wanted, SIGINT);
	sigaddset(&wanted, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &wanted, &old) < 0)
		return 1;
	for (;;) {
		if (sigwait(&wanted, &sig) != 0)
			return 1;
		if (sig != SIGCHLD)
			return 0;
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
	}
}
