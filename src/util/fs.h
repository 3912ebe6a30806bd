/* File helpers. Everything that takes a rootfd resolves with
 * openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS): symlinks the container
 * planted are followed only inside its root, never out of it. */
#ifndef WARD_UTIL_FS_H
#define WARD_UTIL_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "err.h"

/* openat2 with RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS below rootfd. */
int ward_open_in_root(int rootfd, const char *path, int flags, mode_t mode, ward_err *err);
/* Create every missing directory of path below rootfd; returns an O_PATH fd of the last.
 * A dangling symlink on the way gets its target created (inside the root). */
int ward_mkdir_p_in_root(int rootfd, const char *path, mode_t mode, ward_err *err);
/* The same where no component of path may be a symlink: ELOOP. */
int ward_mkdir_p_in_root_nofollow(int rootfd, const char *path, mode_t mode, ward_err *err);
/* Make sure path exists below rootfd as a directory (dir=true) or regular file;
 * returns an O_PATH fd of it. */
int ward_ensure_in_root(int rootfd, const char *path, bool dir, ward_err *err);
/* Open the parent directory of path below rootfd (creating it) and return the
 * last component in *base (pointing into path). */
int ward_open_parent_in_root(int rootfd, const char *path, const char **base, ward_err *err);

/* Read a whole file (NUL-terminated). */
int ward_read_file_at(int dirfd, const char *path, char **out, size_t *len, ward_err *err);
/* Read what is left of an open file (NUL-terminated). */
int ward_read_fd(int fd, char **out, size_t *len, ward_err *err);
/* Write data to an existing file (O_WRONLY|O_TRUNC not used: sysctl/proc files). */
int ward_write_file_at(int dirfd, const char *path, const char *data, size_t len, ward_err *err);
/* Write via a temporary and rename: readers see the old or the new content, never half. */
int ward_write_atomic_at(int dirfd, const char *name, const char *data, size_t len, ward_err *err);
/* Open a file only root could have written (it and every directory above
 * it owned by root, not group- or world-writable); refused with the reason
 * otherwise. For settings that decide what ward enforces. */
int ward_open_trusted(const char *path, ward_err *err);
/* rm -rf of a directory we own (state dirs); does not cross mount points. */
int ward_rm_rf_at(int dirfd, const char *name, ward_err *err);
/* The same for name already open as fd (O_DIRECTORY; not closed): one fd
 * fewer, for an undo that runs out of them (EMFILE). */
int ward_rm_rf_open(int dirfd, const char *name, int fd, ward_err *err);

/* Lexical cleaning in place, as a path below a root: repeated slashes, "."
 * and trailing slashes go, ".." removes the component before it and is
 * dropped at the top (it can never climb above where the path starts). An
 * absolute path stays absolute ("/" at least), a relative one relative (""
 * at least). No file system access. */
void ward_path_clean(char *path);

#endif
