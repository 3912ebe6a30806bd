/* uid_map / gid_map. As root the runtime writes them itself; an unprivileged
 * user may map only its own ids, unless newuidmap/newgidmap (setuid helpers
 * that check /etc/subuid and /etc/subgid) do it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "linux.h"

static bool single_own_map(const struct ward_id_map *m, size_t n, uint32_t own)
{
	return n == 1 && m[0].size == 1 && m[0].host_id == own;
}

bool ward_userns_setgroups_denied(const struct ward_linux *l)
{
	/* An unprivileged process may write a gid_map only after denying setgroups
	 * (CVE-2014-8989: dropping groups could grant access). */
	return geteuid() != 0 && single_own_map(l->gid_mappings, l->n_gid_mappings, getegid());
}

static int format_map(const struct ward_id_map *m, size_t n, char *buf, size_t len)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		int w = snprintf(buf + o, len - o, "%u %u %u\n", m[i].container_id, m[i].host_id,
				 m[i].size);
		if (w < 0 || (size_t)w >= len - o)
			return -1;
		o += (size_t)w;
	}
	return (int)o;
}

static int run_helper(const char *helper, pid_t pid, const struct ward_id_map *m, size_t n,
		      ward_err *err)
{
	char **argv = calloc(3 + 3 * n, sizeof(char *));
	if (!argv)
		return ward_err_sys(err, ENOMEM, "%s", helper);
	char pidbuf[16];
	snprintf(pidbuf, sizeof(pidbuf), "%d", pid);
	argv[0] = (char *)helper;
	argv[1] = pidbuf;
	char (*nums)[12] = calloc(3 * n, 12);
	if (!nums) {
		free(argv);
		return ward_err_sys(err, ENOMEM, "%s", helper);
	}
	for (size_t i = 0; i < n; i++) {
		snprintf(nums[3 * i], 12, "%u", m[i].container_id);
		snprintf(nums[3 * i + 1], 12, "%u", m[i].host_id);
		snprintf(nums[3 * i + 2], 12, "%u", m[i].size);
		argv[2 + 3 * i] = nums[3 * i];
		argv[3 + 3 * i] = nums[3 * i + 1];
		argv[4 + 3 * i] = nums[3 * i + 2];
	}
	pid_t child = fork();
	if (child == 0) {
		execvp(helper, argv);
		dprintf(STDERR_FILENO, "ward: exec %s: %s\n", helper, strerror(errno));
		_exit(127);
	}
	int saved = errno;
	free(nums);
	free(argv);
	if (child < 0)
		return ward_err_sys(err, saved, "fork %s", helper);
	int status;
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			return ward_err_sys(err, errno, "wait %s", helper);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return ward_err_set(err, "%s failed (exit status %d): is the mapping allowed by "
					 "/etc/sub%cid?",
				    helper, WIFEXITED(status) ? WEXITSTATUS(status) : -1,
				    helper[3] == 'u' ? 'u' : 'g');
	return 0;
}

static int write_map(pid_t pid, const char *file, const struct ward_id_map *m, size_t n,
		     ward_err *err)
{
	char buf[4096], path[64];
	int len = format_map(m, n, buf, sizeof(buf));
	if (len < 0)
		return ward_err_set(err, "%s: too many mappings", file);
	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	if (ward_write_file_at(AT_FDCWD, path, buf, (size_t)len, err) < 0)
		return -1;
	return 0;
}

int ward_userns_write_maps(pid_t pid, const struct ward_linux *l, ward_err *err)
{
	bool root = geteuid() == 0;
	if (!root && !single_own_map(l->gid_mappings, l->n_gid_mappings, getegid())) {
		if (run_helper("newgidmap", pid, l->gid_mappings, l->n_gid_mappings, err) < 0)
			return ward_err_wrap(err, "linux.gidMappings");
	} else {
		if (ward_userns_setgroups_denied(l)) {
			char path[64];
			snprintf(path, sizeof(path), "/proc/%d/setgroups", pid);
			if (ward_write_file_at(AT_FDCWD, path, "deny", 4, err) < 0)
				return ward_err_wrap(err, "linux.gidMappings");
		}
		if (write_map(pid, "gid_map", l->gid_mappings, l->n_gid_mappings, err) < 0)
			return ward_err_wrap(err, "linux.gidMappings");
	}
	if (!root && !single_own_map(l->uid_mappings, l->n_uid_mappings, geteuid())) {
		if (run_helper("newuidmap", pid, l->uid_mappings, l->n_uid_mappings, err) < 0)
			return ward_err_wrap(err, "linux.uidMappings");
	} else if (write_map(pid, "uid_map", l->uid_mappings, l->n_uid_mappings, err) < 0) {
		return ward_err_wrap(err, "linux.uidMappings");
	}
	return 0;
}
