/* The container's side of the monitor, set up from outside once its init
 * is ready (rootfs pivoted, waiting for start):
 *
 *   - a fanotify mark on each of its mounts that can hold code: the root,
 *     volumes, tmpfs mounts (not proc, sysfs and the like, which refuse
 *     permission events or hold no files to run, nor noexec mounts, where
 *     the kernel refuses exec and PROT_EXEC mappings itself). A mark is per
 *     mount: the host's own accesses to the same files never wait on us;
 *   - vm.memfd_noexec=2 in its pid namespace: a memfd lives on no mount we
 *     mark, so an executable memfd would run unseen; with 2 the kernel makes
 *     every memfd the container creates non-executable;
 *   - its own list, read-only, where IMA's would be: a directory holding
 *     ima/{ascii,binary}_runtime_measurements mounted on listPath
 *     (default /sys/kernel/security).
 *
 * Mount points come from /proc/PID/mountinfo (the kernel's) and are opened
 * with openat2(RESOLVE_IN_ROOT) below the init's root; the opened fd's
 * mount ID must be the one mountinfo named (a mount covered by another is
 * unreachable by path, hence by any exec). */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "integrity.h"

static const char *const no_code_fs[] = {
    "proc",	   "sysfs",	"cgroup", "cgroup2", "devpts",	   "mqueue",	"securityfs",
    "debugfs",	   "tracefs",	"bpf",	  "pstore",  "configfs",   "fusectl",	"efivarfs",
    "binfmt_misc", "hugetlbfs", "nsfs",	  "autofs",  "rpc_pipefs", "selinuxfs",
};

/* mountinfo's octal escapes (\040 for a space). */
static void unescape(char *s)
{
	char *o = s;
	for (char *p = s; *p; p++) {
		if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' &&
		    p[3] >= '0' && p[3] <= '7') {
			*o++ = (char)((p[1] - '0') << 6 | (p[2] - '0') << 3 | (p[3] - '0'));
			p += 3;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
}

static bool has_opt(const char *opts, const char *o)
{
	size_t n = strlen(o);
	for (const char *p = opts; p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (strncmp(p, o, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return true;
	return false;
}

static uint64_t mount_id_of(int fd)
{
	struct statx sx;
	if (statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &sx) < 0 || !(sx.stx_mask & STATX_MNT_ID))
		return 0;
	return sx.stx_mnt_id;
}

struct mi_line {
	uint64_t id;
	char *point, *opts, *fstype;
};

static bool parse_line(char *line, struct mi_line *m)
{
	char *save = NULL, *f[6] = {0};
	for (int i = 0; i < 6; i++)
		if (!(f[i] = strtok_r(i ? NULL : line, " ", &save)))
			return false;
	char *dash = strstr(save ? save : "", "- ");
	if (!dash)
		return false;
	m->id = strtoull(f[0], NULL, 10);
	m->point = f[4];
	m->opts = f[5];
	m->fstype = strtok_r(dash + 2, " ", &save);
	unescape(m->point);
	return m->fstype != NULL;
}

static bool wants_mark(const struct mi_line *m)
{
	for (size_t i = 0; i < ARRAY_SIZE(no_code_fs); i++)
		if (strcmp(m->fstype, no_code_fs[i]) == 0)
			return false;
	return !has_opt(m->opts, "noexec");
}

static int mark_one(int fan, int rootfd, const struct mi_line *m, uint64_t mask, ward_err *err)
{
	struct open_how how = {.flags = O_PATH | O_CLOEXEC,
			       .resolve =
				   RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS};
	const char *rel = m->point[1] ? m->point + 1 : ".";
	_cleanup_close_ int fd = (int)syscall(SYS_openat2, rootfd, rel, &how, sizeof(how));
	if (fd < 0 || mount_id_of(fd) != m->id)
		return 0; /* covered by another mount: nothing reaches it by path */
	struct stat st;
	if (fstat(fd, &st) < 0 || !(S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)))
		return 0; /* a device bound over a masked path holds no code */
	/* Through the O_PATH fd's magic link: a file bound on a file is marked
	 * like a directory (fanotify_mark wants a path, and refuses O_PATH fds). */
	char self[64];
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	if (fanotify_mark(fan, FAN_MARK_ADD | FAN_MARK_MOUNT, mask, AT_FDCWD, self) < 0)
		return ward_err_sys(err, errno, "fanotify mark of mount %s (%s)", m->point,
				    m->fstype);
	return 1;
}

int ward_integrity_mark_mounts(int fan, pid_t pid, uint64_t mask, json_t *marked, ward_err *err)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/root", pid);
	_cleanup_close_ int rootfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	snprintf(path, sizeof(path), "/proc/%d/mountinfo", pid);
	_cleanup_file_ FILE *f = fopen(path, "re");
	if (rootfd < 0 || !f)
		return ward_err_sys(err, errno, "read the container's mounts (%s)", path);
	char *line = NULL;
	size_t cap = 0;
	int r = 0;
	while (r == 0 && getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\n")] = '\0';
		struct mi_line m;
		if (!parse_line(line, &m) || !wants_mark(&m))
			continue;
		int k = mark_one(fan, rootfd, &m, mask, err);
		if (k < 0)
			r = -1;
		else if (k > 0)
			json_array_append_new(marked,
					      json_pack("{s:s, s:s, s:I}", "path", m.point, "type",
							m.fstype, "mntId", (json_int_t)m.id));
	}
	free(line);
	if (r == 0 && json_array_size(marked) == 0)
		return ward_err_set(err, "no mount of the container could be marked");
	return r;
}

/* Run fn in a child that joined the namespace nsfd (of type nstype). */
static int in_namespace(int nsfd, int nstype, int (*fn)(void *), void *arg, ward_err *err)
{
	pid_t pid = fork();
	if (pid < 0)
		return ward_err_sys(err, errno, "fork");
	if (pid == 0) {
		if (setns(nsfd, nstype) < 0)
			_exit(120);
		_exit(fn(arg));
	}
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st))
		return ward_err_set(err, "helper killed by signal %d", WTERMSIG(st));
	int code = WEXITSTATUS(st);
	if (code == 120)
		return ward_err_sys(err, EPERM, "join the container's namespace");
	if (code)
		return ward_err_sys(err, code, "in the container's namespace");
	return 0;
}

static int write_memfd_noexec(void *arg)
{
	(void)arg;
	/* setns(CLONE_NEWPID) applies to children: the writer must be one. */
	pid_t pid = fork();
	if (pid < 0)
		return errno;
	if (pid == 0) {
		int fd = open("/proc/sys/vm/memfd_noexec", O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			_exit(errno);
		_exit(write(fd, "2", 1) == 1 ? 0 : errno);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : EINTR;
}

int ward_integrity_memfd_noexec(pid_t pid, ward_err *err)
{
	/* Linux 6.3 and later: before, there is no such setting (a gap inspect
	 * names). */
	if (access("/proc/sys/vm/memfd_noexec", F_OK) < 0 && errno == ENOENT)
		return 1;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", pid);
	_cleanup_close_ int ns = open(path, O_RDONLY | O_CLOEXEC);
	if (ns < 0)
		return ward_err_sys(err, errno, "open %s", path);
	if (in_namespace(ns, CLONE_NEWPID, write_memfd_noexec, NULL, err) < 0)
		return ward_err_wrap(err, "vm.memfd_noexec=2 in the container's pid namespace");
	return 0;
}

struct list_mount {
	int tree;
	const char *target;
};

static int attach_list(void *arg)
{
	struct list_mount *lm = arg;
	struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
			       .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
	int t = (int)syscall(SYS_openat2, AT_FDCWD, lm->target, &how, sizeof(how));
	if (t < 0)
		return errno;
	if (move_mount(lm->tree, "", t, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return errno;
	return 0;
}

/* Mount dirfd read-only on target inside pid's mount namespace. Returns 0,
 * 1 when the container has no such directory (no list mount then), -1. */
int ward_integrity_mount_list(pid_t pid, int dirfd, const char *target, ward_err *err)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/root", pid);
	_cleanup_close_ int root = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return ward_err_sys(err, errno, "open %s", path);
	struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
			       .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
	_cleanup_close_ int probe = (int)syscall(SYS_openat2, root, target, &how, sizeof(how));
	if (probe < 0)
		return 1;
	_cleanup_close_ int tree =
	    open_tree(dirfd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	if (tree < 0)
		return ward_err_sys(err, errno, "open_tree of the list");
	struct mount_attr a = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
					   MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC};
	if (mount_setattr(tree, "", AT_EMPTY_PATH, &a, sizeof(a)) < 0)
		return ward_err_sys(err, errno, "make the list mount read-only");
	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", pid);
	_cleanup_close_ int ns = open(path, O_RDONLY | O_CLOEXEC);
	if (ns < 0)
		return ward_err_sys(err, errno, "open %s", path);
	struct list_mount lm = {tree, target};
	if (in_namespace(ns, CLONE_NEWNS, attach_list, &lm, err) < 0)
		return ward_err_wrap(err, "mount the list on %s in the container", target);
	return 0;
}
