/* One audit ID, one live container, host-wide (the RFC's rule: the
 * orchestrator's registration must be unique). A registry of files named
 * by the ID, each naming its container (state root and id), below
 * /run/ward/@audit-ids (whatever --root a command uses), or below the
 * state root when rootless. An entry whose container is gone (its state
 * dir removed, or its id taken by a container with another ID) is stale and
 * may be taken over; the registry is locked while an entry is checked and
 * made. */
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
#include "../util/rootless.h"
#include "audit.h"

static void registry_dir(const struct ward_audit *a, char *buf, size_t len)
{
	if (ward_running_rootless())
		snprintf(buf, len, "%s/@audit-ids", a->root);
	else
		snprintf(buf, len, "/run/ward/@audit-ids");
}

static int open_registry(const struct ward_audit *a, ward_err *err)
{
	char dir[4200];
	registry_dir(a, dir, sizeof(dir));
	char *slash = strrchr(dir, '/');
	*slash = '\0';
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return ward_err_sys(err, errno, "audit ID registry: create %s", dir);
	*slash = '/';
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return ward_err_sys(err, errno, "audit ID registry: create %s", dir);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return ward_err_sys(err, errno, "audit ID registry: open %s", dir);
	if (flock(fd, LOCK_EX) < 0) {
		int e = errno;
		close(fd);
		return ward_err_sys(err, e, "audit ID registry: lock %s", dir);
	}
	return fd;
}

/* Does the container the entry names still exist with this ID? */
static bool entry_live(int regfd, const char *audit_id, char *owner, size_t len)
{
	_cleanup_free_ char *text = NULL;
	ward_err e = {0};
	if (ward_read_file_at(regfd, audit_id, &text, NULL, &e) < 0)
		return false;
	char *nl = strchr(text, '\n');
	if (!nl)
		return false;
	*nl = '\0';
	const char *root = text, *id = nl + 1;
	char *nl2 = strchr(id, '\n');
	if (nl2)
		*nl2 = '\0';
	snprintf(owner, len, "container %s (state root %s)", id, root);
	char dir[8400];
	snprintf(dir, sizeof(dir), "%s/%s", root, id);
	struct stat sb;
	if (stat(dir, &sb) < 0)
		return errno != ENOENT;
	_cleanup_free_ char *st = NULL;
	char state[8500];
	snprintf(state, sizeof(state), "%s/state.json", dir);
	if (ward_read_file_at(AT_FDCWD, state, &st, NULL, &e) < 0)
		return true; /* still being created (its state comes last), or unreadable */
	/* The first line holds the annotations; the ID appears there as text. */
	char *end = strchr(st, '\n');
	if (end)
		*end = '\0';
	return strstr(st, audit_id) != NULL;
}

int ward_audit_claim(const struct ward_audit *a, const char *audit_id, const char *id,
		     ward_err *err)
{
	_cleanup_close_ int regfd = open_registry(a, err);
	if (regfd < 0)
		return -1;
	char owner[4400];
	if (entry_live(regfd, audit_id, owner, sizeof(owner)))
		return ward_err_set(err, "annotations.%s: %s is already the audit ID of %s; an "
					 "audit ID names one live container",
				    WARD_AUDIT_ANNOTATION, audit_id, owner);
	char tmp[64];
	snprintf(tmp, sizeof(tmp), ".%s.tmp", audit_id);
	_cleanup_close_ int fd =
		openat(regfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return ward_err_sys(err, errno, "audit ID registry: %s", tmp);
	_cleanup_free_ char *line = NULL;
	int n = asprintf(&line, "%s\n%s\n", a->root, id);
	if (n < 0 || write(fd, line, (size_t)n) != n) {
		int e = errno;
		unlinkat(regfd, tmp, 0);
		return ward_err_sys(err, e ? e : EIO, "audit ID registry: write %s", tmp);
	}
	if (renameat(regfd, tmp, regfd, audit_id) < 0) {
		int e = errno;
		unlinkat(regfd, tmp, 0);
		return ward_err_sys(err, e, "audit ID registry: %s", audit_id);
	}
	return 0;
}

void ward_audit_unclaim(const struct ward_audit *a, const char *audit_id, const char *id)
{
	ward_err e = {0};
	_cleanup_close_ int regfd = open_registry(a, &e);
	if (regfd < 0)
		return;
	_cleanup_free_ char *text = NULL;
	if (ward_read_file_at(regfd, audit_id, &text, NULL, &e) < 0)
		return;
	_cleanup_free_ char *mine = NULL;
	if (asprintf(&mine, "%s\n%s\n", a->root, id) < 0)
		return;
	/* Only our own entry: a later container may hold the ID by now. */
	if (strcmp(text, mine) == 0)
		unlinkat(regfd, audit_id, 0);
}
