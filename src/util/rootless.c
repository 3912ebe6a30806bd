/* Rootless detection (rootless.h). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "rootless.h"

static int decided = -1; /* -1: not yet; 0, 1 */

bool ward_uid_map_is_initial(const char *text)
{
	/* One line, "0 0 4294967295" (in columns of any width). */
	uint64_t inside, outside, count;
	int used = 0;
	if (!text || sscanf(text, " %" SCNu64 " %" SCNu64 " %" SCNu64 " %n", &inside, &outside,
			    &count, &used) != 3)
		return false;
	return inside == 0 && outside == 0 && count == 4294967295u && text[used] == '\0';
}

static bool in_initial_userns(void)
{
	_cleanup_file_ FILE *f = fopen("/proc/self/uid_map", "re");
	if (!f)
		return true; /* no /proc: nothing tells otherwise; euid decides */
	char buf[4096];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	return ward_uid_map_is_initial(buf);
}

bool ward_running_rootless(void)
{
	if (decided < 0)
		decided = geteuid() != 0 || !in_initial_userns();
	return decided;
}

int ward_rootless_set(const char *value)
{
	if (strcmp(value, "true") == 0)
		decided = 1;
	else if (strcmp(value, "false") == 0)
		decided = 0;
	else if (strcmp(value, "auto") == 0)
		decided = -1;
	else
		return -1;
	return 0;
}
