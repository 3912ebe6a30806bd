#include "passwd.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* A uid field: decimal digits, below (uid_t)-1. strtoul would take "",
 * " 7" or "0x" as 0, i.e. root. */
static bool uid_is(const char *s, uid_t uid)
{
	uint64_t v = 0;
	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v >= UINT32_MAX)
			return false;
	}
	return v == uid;
}

int ward_passwd_home(FILE *f, uid_t uid, char *home, size_t len)
{
	char line[1024];
	bool partial = false; /* the rest of a line too long for the buffer */
	while (fgets(line, sizeof(line), f)) {
		size_t n = strlen(line);
		bool whole = n > 0 && line[n - 1] == '\n';
		bool skip = partial;
		partial = !whole && !feof(f);
		if (skip || partial)
			continue;
		line[strcspn(line, "\n")] = '\0';
		char *fields[7] = {0}, *p = line;
		int k = 0;
		while (k < 7 && (fields[k] = strsep(&p, ":")))
			k++;
		if (k >= 6 && uid_is(fields[2], uid)) {
			snprintf(home, len, "%s", fields[5]);
			return 1;
		}
	}
	return 0;
}
