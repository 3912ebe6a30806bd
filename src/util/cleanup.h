/* Scope-based resource release: an early return never leaks. */
#ifndef WARD_UTIL_CLEANUP_H
#define WARD_UTIL_CLEANUP_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void ward_freep(void *p)
{
	free(*(void **)p);
}

static inline void ward_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

static inline void ward_closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

static inline void ward_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

void ward_strv_free(char **v);
static inline void ward_strv_freep(char ***v)
{
	ward_strv_free(*v);
}

#define _cleanup_free_  __attribute__((cleanup(ward_freep)))
#define _cleanup_close_ __attribute__((cleanup(ward_closep)))
#define _cleanup_dir_   __attribute__((cleanup(ward_closedirp)))
#define _cleanup_file_  __attribute__((cleanup(ward_fclosep)))
#define _cleanup_strv_  __attribute__((cleanup(ward_strv_freep)))

/* Hand ownership over: the variable is emptied so its cleanup does nothing. */
static inline int steal_fd(int *fd)
{
	int r = *fd;
	*fd = -1;
	return r;
}

#define steal_ptr(pp)                                                                              \
	({                                                                                         \
		__typeof__(*(pp)) _p = *(pp);                                                      \
		*(pp) = NULL;                                                                      \
		_p;                                                                                \
	})

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
