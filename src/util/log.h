/* Logging as runc does it: --log FILE with --log-format text|json (containerd's
 * shim parses the json form), errors also on stderr, debug only with --debug. */
#ifndef WARD_UTIL_LOG_H
#define WARD_UTIL_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum ward_log_level { WARD_LOG_ERROR, WARD_LOG_WARN, WARD_LOG_INFO, WARD_LOG_DEBUG };
enum ward_log_format { WARD_LOG_TEXT, WARD_LOG_JSON };

/* path NULL: log to stderr only. Returns -1 with errno if the file cannot be opened. */
int ward_log_init(const char *path, enum ward_log_format format, bool debug);
bool ward_log_debug_enabled(void);
void ward_log(enum ward_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Now as RFC 3339 in UTC with nanoseconds (Go's RFC3339Nano, as runc prints). */
void ward_now_rfc3339(char *buf, size_t len);
/* The log fd, so a child can keep logging after fork (-1 when stderr only). */
int ward_log_fd(void);

#define ward_debug(...)                                                                            \
	do {                                                                                       \
		if (ward_log_debug_enabled())                                                      \
			ward_log(WARD_LOG_DEBUG, __VA_ARGS__);                                     \
	} while (0)
#define ward_warn(...)  ward_log(WARD_LOG_WARN, __VA_ARGS__)
#define ward_error(...) ward_log(WARD_LOG_ERROR, __VA_ARGS__)

#endif
