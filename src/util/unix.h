/* AF_UNIX helpers: connecting to a path, passing a file descriptor. */
#ifndef WARD_UTIL_UNIX_H
#define WARD_UTIL_UNIX_H

#include <stddef.h>

#include "err.h"

/* A connected SOCK_STREAM socket to path (CLOEXEC), or -1 with err set. */
int ward_unix_connect(const char *path, ward_err *err);
/* One message carrying data and fd (SCM_RIGHTS); fd < 0 sends data alone. */
int ward_unix_send_fd(int sock, const void *data, size_t len, int fd, ward_err *err);

#endif
