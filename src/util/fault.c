/* Always compiled, on purpose, and harmless: ward is not setuid, so
 * whoever sets its environment is its caller, who can SIGKILL or SIGSTOP
 * it at any moment anyway (or LD_PRELOAD it); the variable only makes the
 * moment repeatable. So the binary that ships is the one the fault tests
 * exercise, and a packager can rerun them. Disarmed (no WARD_FAULT) a
 * point is one load and a branch.
 * The variable is removed from ward's environment at start-up: hooks (they
 * inherit ward's environment), the integrity monitor and a ward they run
 * never see it; container processes get process.env only. */
#include "fault.h"

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#define FAULT_ENV "WARD_FAULT"

static struct {
	char raw[128];	 /* the variable as given, for a re-exec */
	unsigned target; /* 0: list only */
	int sig;	 /* SIGKILL or SIGSTOP */
	bool armed, list;
	unsigned count;
	pid_t owner; /* points count in this process only, not its forks */
} fault;

void ward_fault_init(const char *cmd)
{
	const char *v = getenv(FAULT_ENV);
	if (!v)
		return;
	snprintf(fault.raw, sizeof(fault.raw), "%s", v);
	unsetenv(FAULT_ENV);
	char *colon = strchr(fault.raw, ':');
	size_t cl = strlen(cmd);
	if (!colon || (size_t)(colon - fault.raw) != cl || strncmp(fault.raw, cmd, cl) != 0)
		return; /* for another command: kept for a re-exec only */
	const char *what = colon + 1;
	fault.sig = SIGKILL;
	if (strcmp(what, "list") == 0) {
		fault.list = true;
	} else {
		char *end;
		unsigned long n = strtoul(what, &end, 10);
		if (end == what || n == 0 || n > 100000 || (*end && strcmp(end, ":stop") != 0)) {
			fprintf(stderr, "ward: %s=%s: want CMD:N, CMD:N:stop or CMD:list\n",
				FAULT_ENV, fault.raw);
			return;
		}
		fault.target = (unsigned)n;
		if (*end)
			fault.sig = SIGSTOP;
	}
	fault.owner = getpid();
	fault.armed = true;
}

void ward_fault_point(const char *label)
{
	if (!fault.armed || getpid() != fault.owner)
		return;
	fault.count++;
	if (fault.list)
		fprintf(stderr, "ward-fault: %u %s\n", fault.count, label);
	if (fault.count == fault.target)
		kill(getpid(), fault.sig);
}

void ward_fault_env_restore(void)
{
	if (fault.raw[0])
		setenv(FAULT_ENV, fault.raw, 1);
}
