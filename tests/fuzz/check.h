/* The fuzz targets' invariant check: a broken one aborts, which libFuzzer
 * records as a crash; run.sh shows the "<target>: invariant broken" line.
 * Define FUZZ_NAME (the target's name) before including. */
#ifndef WARD_FUZZ_CHECK_H
#define WARD_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, FUZZ_NAME ": invariant broken: %s (%s:%d)\n", #cond,       \
				__FILE__, __LINE__);                                               \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* An accepted input leaves no error behind (no failure swallowed on the way). */
#define CHECK_NO_ERROR(err)                                                                        \
	do {                                                                                       \
		if ((err).msg[0]) {                                                                \
			fprintf(stderr, FUZZ_NAME ": accepted, but an error was set: %s\n",         \
				(err).msg);                                                        \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* A refusal says why, in a terminated message that starts with prefix
 * (the file or field it is about). */
#define CHECK_REFUSAL(err, prefix)                                                                 \
	do {                                                                                       \
		CHECK(memchr((err).msg, '\0', sizeof((err).msg)));                                  \
		CHECK(strncmp((err).msg, (prefix), strlen(prefix)) == 0);                          \
	} while (0)

#endif
