/* A measurement list on disk, as IMA's securityfs shows one:
 *
 *   DIR/ima/binary_runtime_measurements
 *   DIR/ima/ascii_runtime_measurements
 *   DIR/pcr      "count N\nviolations N\nsha1 HEX\nsha256 HEX\n"
 *
 * The two lists grow by appends (one write each); the PCR file is replaced
 * whole after each record, so it never runs ahead of the list (a reader
 * may see one record more than the PCR covers; evmctl matches a prefix).
 * A shared list (the host's, written by every container's monitor) is
 * appended under an exclusive lock of the PCR file and reread each time. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "integrity.h"

#define BIN_NAME   "ima/binary_runtime_measurements"
#define ASCII_NAME "ima/ascii_runtime_measurements"

static int open_list(int dirfd, const char *name, bool create, gid_t gid, ward_err *err)
{
	int flags = O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC | (create ? O_CREAT : 0);
	int fd = openat(dirfd, name, flags, 0440);
	if (fd < 0)
		return ward_err_sys(err, errno, "open %s", name);
	/* Readable by the container's root through the read-only mount
	 * (group), never writable by it. */
	if (create && gid != (gid_t)-1 && fchown(fd, 0, gid) < 0) {
		close(fd);
		return ward_err_sys(err, errno, "chown %s", name);
	}
	return fd;
}

int ward_mlist_open(struct ward_mlist *l, int dirfd, bool create, bool shared, gid_t gid,
		    ward_err *err)
{
	memset(l, 0, sizeof(*l));
	l->bin_fd = l->ascii_fd = l->dirfd = -1;
	l->shared = shared;
	if (create && mkdirat(dirfd, "ima", 0750) < 0 && errno != EEXIST)
		return ward_err_sys(err, errno, "mkdir ima");
	if (create && gid != (gid_t)-1 && fchownat(dirfd, "ima", 0, gid, AT_SYMLINK_NOFOLLOW) < 0)
		return ward_err_sys(err, errno, "chown ima");
	l->dirfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
	if (l->dirfd < 0)
		return ward_err_sys(err, errno, "dup");
	if ((l->bin_fd = open_list(dirfd, BIN_NAME, create, gid, err)) < 0 ||
	    (l->ascii_fd = open_list(dirfd, ASCII_NAME, create, gid, err)) < 0) {
		ward_mlist_close(l);
		return -1;
	}
	if (faccessat(dirfd, "pcr", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return ward_mlist_read_pcr(dirfd, &l->pcr, &l->count, &l->violations, err);
	if (!create) {
		ward_mlist_close(l);
		return ward_err_set(err, "measurement list without its PCR file");
	}
	return 0;
}

void ward_mlist_close(struct ward_mlist *l)
{
	int *fds[] = {&l->bin_fd, &l->ascii_fd, &l->dirfd};
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if (*fds[i] >= 0) {
			close(*fds[i]);
			*fds[i] = -1;
		}
}

static int hex_in(const char *hex, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return hex[2 * n] == '\0' || hex[2 * n] == '\n' ? 0 : -1;
}

int ward_mlist_read_pcr(int dirfd, struct ward_pcr *pcr, uint64_t *count, uint64_t *violations,
			ward_err *err)
{
	_cleanup_free_ char *text = NULL;
	if (ward_read_file_at(dirfd, "pcr", &text, NULL, err) < 0)
		return -1;
	memset(pcr, 0, sizeof(*pcr));
	unsigned long long c = 0, v = 0;
	char s1[2 * WARD_SHA1_LEN + 2], s256[2 * WARD_SHA256_LEN + 2];
	if (sscanf(text, "count %llu\nviolations %llu\nsha1 %41s\nsha256 %65s", &c, &v, s1, s256) !=
		4 ||
	    hex_in(s1, pcr->sha1, WARD_SHA1_LEN) < 0 ||
	    hex_in(s256, pcr->sha256, WARD_SHA256_LEN) < 0)
		return ward_err_set(err, "pcr: malformed");
	*count = c;
	if (violations)
		*violations = v;
	return 0;
}

static int write_pcr(struct ward_mlist *l, ward_err *err)
{
	char s1[2 * WARD_SHA1_LEN + 1], s256[2 * WARD_SHA256_LEN + 1], text[256];
	ward_hex(l->pcr.sha1, WARD_SHA1_LEN, s1);
	ward_hex(l->pcr.sha256, WARD_SHA256_LEN, s256);
	int n = snprintf(text, sizeof(text), "count %llu\nviolations %llu\nsha1 %s\nsha256 %s\n",
			 (unsigned long long)l->count, (unsigned long long)l->violations, s1, s256);
	return ward_write_atomic_at(l->dirfd, "pcr", text, (size_t)n, err);
}

static int write_all(int fd, const void *data, size_t len)
{
	/* O_APPEND: one write lands whole at the end (regular files). */
	ssize_t w;
	do
		w = write(fd, data, len);
	while (w < 0 && errno == EINTR);
	if (w == (ssize_t)len)
		return 0;
	if (w >= 0)
		errno = EIO;
	return -1;
}

static int append_locked(struct ward_mlist *l, const struct ward_ima_record *r, ward_err *err)
{
	if (l->shared && ward_mlist_read_pcr(l->dirfd, &l->pcr, &l->count, &l->violations, err) < 0)
		return -1;
	if (write_all(l->bin_fd, r->binary, r->binary_len) < 0)
		return ward_err_sys(err, errno, "append to %s", BIN_NAME);
	if (write_all(l->ascii_fd, r->ascii, r->ascii_len) < 0)
		return ward_err_sys(err, errno, "append to %s", ASCII_NAME);
	ward_pcr_extend(&l->pcr, r);
	l->count++;
	if (r->violation)
		l->violations++;
	return l->defer_pcr ? 0 : write_pcr(l, err);
}

int ward_mlist_flush(struct ward_mlist *l, ward_err *err)
{
	l->defer_pcr = false;
	return write_pcr(l, err);
}

int ward_mlist_append(struct ward_mlist *l, const struct ward_ima_entry *e, ward_err *err)
{
	struct ward_ima_record r;
	if (ward_ima_record_make(e, &r, err) < 0)
		return -1;
	int lockfd = -1;
	if (l->shared) {
		/* The lock file is the directory itself: it outlives the PCR
		 * file's replacements. */
		lockfd = l->dirfd;
		if (flock(lockfd, LOCK_EX) < 0) {
			ward_ima_record_free(&r);
			return ward_err_sys(err, errno, "lock the measurement list");
		}
	}
	int rc = append_locked(l, &r, err);
	if (lockfd >= 0)
		flock(lockfd, LOCK_UN);
	ward_ima_record_free(&r);
	return rc;
}

int ward_mlist_init(struct ward_mlist *l, ward_err *err)
{
	return write_pcr(l, err);
}
