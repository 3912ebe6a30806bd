/* Is ward running rootless? Not only "euid != 0": rootless engines (rootless
 * podman, rootless containerd, `unshare --map-root-user`) run the runtime as
 * uid 0 of a user namespace of their own, where the host's cgroups, device
 * numbers and /run are not ward's to manage. runc decides the same way. */
#ifndef WARD_UTIL_ROOTLESS_H
#define WARD_UTIL_ROOTLESS_H

#include <stdbool.h>

/* true when euid != 0, or euid 0 outside the initial user namespace (its
 * /proc/self/uid_map is not the identity map "0 0 4294967295"), unless
 * --rootless said otherwise. Decided at the first call and cached: main()
 * calls it before any namespace is created, so the container's init, which
 * lives in a new user namespace, inherits the caller's answer. */
bool ward_running_rootless(void);
/* runc's global --rootless true|false|auto. Returns -1 for another value. */
int ward_rootless_set(const char *value);
/* Parse a uid_map: is it the initial namespace's identity map? (for tests) */
bool ward_uid_map_is_initial(const char *text);

#endif
