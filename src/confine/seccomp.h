/* linux.seccomp: compiled to BPF with libseccomp (in the runtime, before the
 * container exists, so errors come early and the result can be cached), then
 * loaded with seccomp(2) as the last step before execve. */
#ifndef WARD_CONFINE_SECCOMP_H
#define WARD_CONFINE_SECCOMP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/err.h"

struct ward_seccomp {
	void *bpf;	    /* struct sock_filter[] */
	size_t bpf_len;	    /* in instructions */
	unsigned int flags; /* SECCOMP_FILTER_FLAG_* */
	bool notify;	    /* uses SCMP_ACT_NOTIFY: a listener fd is created */
	char *listener_path;
	char *listener_metadata;
	bool from_cache;
};

/* Compile linux.seccomp (obj may be NULL: nothing to do, out->bpf stays NULL).
 * cache_dir NULL disables the compiled-filter cache. */
int ward_seccomp_compile(json_t *obj, const char *cache_dir, struct ward_seccomp *out,
			 ward_err *err);
void ward_seccomp_release(struct ward_seccomp *s);
/* Install the filter in this thread. With notify, *notify_fd receives the listener. */
int ward_seccomp_load(const struct ward_seccomp *s, int *notify_fd, ward_err *err);
/* Connect to listenerPath (before pivot_root, while the host path is visible). */
int ward_seccomp_listener_connect(const struct ward_seccomp *s, ward_err *err);
/* Send the notify fd with the container process state (runtime-spec seccomp listener). */
int ward_seccomp_listener_send(int sock, int notify_fd, const struct ward_seccomp *s,
			       json_t *state, pid_t pid, ward_err *err);

/* Tables shared with features. */
extern const char *const ward_seccomp_actions[];
extern const char *const ward_seccomp_operators[];
extern const char *const ward_seccomp_flags[];
extern const char *const ward_seccomp_archs[];

#endif
