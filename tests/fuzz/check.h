/* The fuzz targets' invariant check: a broken one aborts, which libFuzzer
 * records as a crash; run.sh shows the "<target>: invariant broken" line.
 * Define FUZZ_NAME (the target's name) before including. */
#ifndef WARD_FUZZ_CHECK_H
#define WARD_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, FUZZ_NAME ": invariant broken: %s (%s:%d)\n", #cond,       \
				__FILE__, __LINE__);                                               \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

#endif
