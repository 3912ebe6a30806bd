/* One error type for the whole runtime: an errno and a message that gains
 * context on its way out ("create c1: mounts[3] /proc: mount proc: EPERM"). */
#ifndef WARD_UTIL_ERR_H
#define WARD_UTIL_ERR_H

#include <stdarg.h>
#include <stddef.h>

#define WARD_ERR_MSG_MAX 1024

typedef struct ward_err {
	int errnum;		    /* 0 when the failure has no errno (bad input) */
	char msg[WARD_ERR_MSG_MAX]; /* without the errno text */
} ward_err;

/* Set a fresh error with errno text appended at print time. Always returns -1. */
int ward_err_sys(ward_err *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Set a fresh error without errno (bad input, protocol). Always returns -1. */
int ward_err_set(ward_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prefix context to an existing error: "ctx: old message". Always returns -1. */
int ward_err_wrap(ward_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The full one-line text: "msg: strerror(errnum)" or "msg". */
const char *ward_err_str(const ward_err *err, char *buf, size_t len);
void ward_err_clear(ward_err *err);

#endif
