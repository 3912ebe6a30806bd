/* NULL-terminated string vectors (argv, env). */
#ifndef WARD_UTIL_STRV_H
#define WARD_UTIL_STRV_H

#include <stdbool.h>
#include <stddef.h>

#include "cleanup.h"

size_t ward_strv_len(char *const *v);
/* Append a copy of s; returns 0 or -1 (ENOMEM). */
int ward_strv_push(char ***v, const char *s);
/* Set NAME=value in env, replacing an existing NAME. */
int ward_strv_setenv(char ***env, const char *entry);
const char *ward_strv_getenv(char *const *env, const char *name);
/* The strings joined with sep (malloc'd; NULL on ENOMEM). */
char *ward_strv_join(char *const *v, const char *sep);

#endif
