/* /etc/passwd as the container's image (or its processes, for exec) wrote
 * it: read by the init and by exec before the process is confined, so the
 * parser takes any bytes. */
#ifndef WARD_UTIL_PASSWD_H
#define WARD_UTIL_PASSWD_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/* The home directory (sixth field) of the first entry whose uid (third
 * field, decimal digits only) is uid, into home (len > 0). Returns 1 when
 * found, 0 when not (home untouched). Lines longer than the buffer are
 * skipped whole: their tail is not read as an entry of its own. */
int ward_passwd_home(FILE *f, uid_t uid, char *home, size_t len);

#endif
