/* One audit ID, one live container, host-wide (the RFC's rule: the
 * orchestrator's registration must be unique). A registry of symbolic links
 * named by the ID, each to its container's state dir, below
 * /run/ward/@audit-ids (whatever --root a command uses), or below the state
 * root when rootless. An entry whose container is gone (its state dir
 * removed, or its id taken by a container with another ID) is stale and may
 * be taken over; the registry is locked while an entry is checked and made. */
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
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		char *slash = strrchr(dir, '/');
		*slash = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			return ward_err_sys(err, errno, "audit ID registry: create %s", dir);
		*slash = '/';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			return ward_err_sys(err, errno, "audit ID registry: create %s", dir);
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0)
		return ward_err_sys(err, errno, "audit ID registry: open %s", dir);
	if (flock(fd, LOCK_EX) < 0) {
		int e = errno;
		close(fd);
		return ward_err_sys(err, e, "audit ID registry: lock %s", dir);
	}
	return fd;
}

/* An entry is a symbolic link named by the ID to the container's state
 * dir (one metadata operation to make, one to remove: the state root may
 * be on a journaling filesystem). Its target, or "" when there is none. */
static void entry_target(int regfd, const char *audit_id, char *buf, size_t len)
{
	ssize_t n = readlinkat(regfd, audit_id, buf, len - 1);
	buf[n > 0 ? n : 0] = '\0';
}

/* Does the container the entry names still exist with this ID? */
static bool entry_live(const char *target, const char *audit_id, char *owner, size_t len)
{
	if (!target[0])
		return false;
	const char *slash = strrchr(target, '/');
	snprintf(owner, len, "container %s (state root %.*s)", slash ? slash + 1 : target,
		 slash ? (int)(slash - target) : 0, target);
	struct stat sb;
	if (stat(target, &sb) < 0)
		return errno != ENOENT;
	_cleanup_free_ char *st = NULL;
	char state[8500];
	snprintf(state, sizeof(state), "%s/state.json", target);
	ward_err e = {0};
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
	char target[4200], owner[4400];
	entry_target(regfd, audit_id, target, sizeof(target));
	if (entry_live(target, audit_id, owner, sizeof(owner)))
		return ward_err_set(err, "annotations.%s: %s is already the audit ID of %s; an "
					 "audit ID names one live container",
				    WARD_AUDIT_ANNOTATION, audit_id, owner);
	if (target[0] && unlinkat(regfd, audit_id, 0) < 0 && errno != ENOENT)
		return ward_err_sys(err, errno, "audit ID registry: remove the stale %s", audit_id);
	char mine[4200];
	snprintf(mine, sizeof(mine), "%s/%s", a->root, id);
	if (symlinkat(mine, regfd, audit_id) < 0)
		return ward_err_sys(err, errno, "audit ID registry: %s", audit_id);
	return 0;
}

void ward_audit_unclaim(const struct ward_audit *a, const char *audit_id, const char *id)
{
	ward_err e = {0};
	_cleanup_close_ int regfd = open_registry(a, &e);
	if (regfd < 0)
		return;
	char target[4200], mine[4200];
	entry_target(regfd, audit_id, target, sizeof(target));
	snprintf(mine, sizeof(mine), "%s/%s", a->root, id);
	/* Only our own entry: a later container may hold the ID by now. */
	if (strcmp(target, mine) == 0)
		unlinkat(regfd, audit_id, 0);
}
