/* src/util (errors, string vectors, root-confined file access) and the small
 * pure helpers of src/runtime/state.c (id validation, timestamps). */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "runtime/runtime.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/passwd.h"
#include "util/strv.h"

/* ---- ward_err ---- */

static void test_err_wrap_chain(void **state)
{
	(void)state;
	ward_err e = {0};
	char buf[WARD_ERR_MSG_MAX + 64];

	assert_int_equal(ward_err_set(&e, "mount %s", "proc"), -1);
	assert_string_equal(e.msg, "mount proc");
	assert_int_equal(e.errnum, 0);
	assert_string_equal(ward_err_str(&e, buf, sizeof(buf)), "mount proc");

	assert_int_equal(ward_err_sys(&e, EPERM, "mount %s", "proc"), -1);
	assert_int_equal(ward_err_wrap(&e, "mounts[%d] %s", 3, "/proc"), -1);
	assert_int_equal(ward_err_wrap(&e, "create %s", "c1"), -1);
	assert_string_equal(e.msg, "create c1: mounts[3] /proc: mount proc");
	assert_int_equal(e.errnum, EPERM); /* wrapping keeps the errno */
	assert_ptr_equal(ward_err_str(&e, buf, sizeof(buf)), buf);
	assert_string_equal(buf, "create c1: mounts[3] /proc: mount proc: Operation not permitted");

	/* A short buffer truncates, still terminated. */
	char small[8];
	assert_string_equal(ward_err_str(&e, small, sizeof(small)), "create ");

	/* A fresh error replaces the old one entirely. */
	ward_err_set(&e, "bad input");
	assert_int_equal(e.errnum, 0);
	assert_string_equal(ward_err_str(&e, buf, sizeof(buf)), "bad input");

	ward_err_clear(&e);
	assert_int_equal(e.errnum, 0);
	assert_string_equal(e.msg, "");
}

static void test_err_truncation(void **state)
{
	(void)state;
	ward_err e = {0};
	char longmsg[2000];
	memset(longmsg, 'x', sizeof(longmsg) - 1);
	longmsg[sizeof(longmsg) - 1] = '\0';
	ward_err_sys(&e, ENOENT, "%s", longmsg);
	assert_int_equal(strlen(e.msg), WARD_ERR_MSG_MAX - 1);
	ward_err_wrap(&e, "ctx");
	assert_int_equal(strlen(e.msg), WARD_ERR_MSG_MAX - 1);
	assert_memory_equal(e.msg, "ctx: xxx", 8);
	assert_int_equal(e.errnum, ENOENT);
	char buf[WARD_ERR_MSG_MAX * 2];
	ward_err_str(&e, buf, sizeof(buf));
	assert_string_equal(buf + WARD_ERR_MSG_MAX - 1, ": No such file or directory");
}

/* ---- strv ---- */

static void test_path_clean(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
		{"/a/b", "/a/b"},       {"/a//b/", "/a/b"},      {"/a/./b/.", "/a/b"},
		{"/a/b/../c", "/a/c"},  {"/../../tmp/x", "/tmp/x"}, {"/..", "/"},
		{"/", "/"},             {"//", "/"},             {"a/b", "a/b"},
		{"a/../../b", "b"},     {"../x", "x"},           {"..", ""},
		{"./a/", "a"},          {"a/b/../../..", ""},    {"/a/..b/c..", "/a/..b/c.."},
		{"/.../a", "/.../a"},   {"/a/b/c/../../d", "/a/d"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[64];
		snprintf(buf, sizeof(buf), "%s", cases[i][0]);
		ward_path_clean(buf);
		if (strcmp(buf, cases[i][1]) != 0)
			fail_msg("clean(\"%s\") = \"%s\", want \"%s\"", cases[i][0], buf,
				 cases[i][1]);
	}
}

static void test_strv(void **state)
{
	(void)state;
	char **v = NULL;
	assert_int_equal(ward_strv_len(v), 0);
	char word[] = "alpha";
	assert_int_equal(ward_strv_push(&v, word), 0);
	assert_int_equal(ward_strv_push(&v, "beta"), 0);
	assert_int_equal(ward_strv_push(&v, ""), 0);
	assert_int_equal(ward_strv_len(v), 3);
	assert_ptr_not_equal(v[0], word); /* a copy */
	word[0] = 'X';
	assert_string_equal(v[0], "alpha");
	assert_string_equal(v[1], "beta");
	assert_string_equal(v[2], "");
	assert_null(v[3]);
	ward_strv_free(v);
	ward_strv_free(NULL);
}

static void test_strv_env(void **state)
{
	(void)state;
	char **env = NULL;
	assert_null(ward_strv_getenv(env, "PATH"));
	assert_int_equal(ward_strv_setenv(&env, "PATH=/bin"), 0);
	assert_int_equal(ward_strv_setenv(&env, "HOME=/root"), 0);
	assert_int_equal(ward_strv_setenv(&env, "PATH=/usr/bin:/bin"), 0);
	assert_int_equal(ward_strv_len(env), 2);
	assert_string_equal(env[0], "PATH=/usr/bin:/bin");
	assert_string_equal(env[1], "HOME=/root");
	/* A longer name sharing the prefix is another variable. */
	assert_int_equal(ward_strv_setenv(&env, "PATHX=1"), 0);
	assert_int_equal(ward_strv_setenv(&env, "PAT=2"), 0);
	assert_int_equal(ward_strv_len(env), 4);
	assert_string_equal(ward_strv_getenv(env, "PATH"), "/usr/bin:/bin");
	assert_string_equal(ward_strv_getenv(env, "PATHX"), "1");
	assert_string_equal(ward_strv_getenv(env, "PAT"), "2");
	assert_null(ward_strv_getenv(env, "PA"));
	assert_null(ward_strv_getenv(env, "NOPE"));
	/* Empty values, and a bare NAME entry, which has no value to get. */
	assert_int_equal(ward_strv_setenv(&env, "EMPTY="), 0);
	assert_string_equal(ward_strv_getenv(env, "EMPTY"), "");
	assert_int_equal(ward_strv_setenv(&env, "FLAG"), 0);
	assert_null(ward_strv_getenv(env, "FLAG"));
	assert_int_equal(ward_strv_len(env), 6);
	assert_int_equal(ward_strv_setenv(&env, "FLAG=on"), 0);
	assert_int_equal(ward_strv_len(env), 6);
	assert_string_equal(env[5], "FLAG=on");
	assert_string_equal(ward_strv_getenv(env, "FLAG"), "on");
	/* Values may hold '='. */
	assert_int_equal(ward_strv_setenv(&env, "OPTS=a=b"), 0);
	assert_string_equal(ward_strv_getenv(env, "OPTS"), "a=b");
	ward_strv_free(env);
}

/* ---- container ids and timestamps ---- */

static void test_id_validate(void **state)
{
	(void)state;
	ward_err e = {0};
	static const char *const good[] = {"a", "c1", "My_Container-1.2+3", "..a", "a..", ".a",
					   "-", "0"};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		int r = ward_id_validate(good[i], &e);
		if (r != 0)
			print_error("# \"%s\": %s\n", good[i], e.msg);
		assert_int_equal(r, 0);
	}
	assert_int_equal(ward_id_validate(NULL, &e), -1);
	assert_string_equal(e.msg, "container id cannot be empty");
	assert_int_equal(ward_id_validate("", &e), -1);
	assert_string_equal(e.msg, "container id cannot be empty");
	assert_int_equal(ward_id_validate(".", &e), -1);
	assert_string_equal(e.msg, "invalid container id: .");
	assert_int_equal(ward_id_validate("..", &e), -1);
	assert_string_equal(e.msg, "invalid container id: ..");
	static const char *const bad[] = {"a/b", "/etc", "../x", "a b", "a\tb", "a\nb", "caf\xc3\xa9",
					  "a:b", "a*", "$x", "a\\b", "~"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(ward_id_validate(bad[i], &e), -1);
		char want[128];
		snprintf(want, sizeof(want),
			 "invalid container id \"%s\": only letters, digits and _ + - . are allowed",
			 bad[i]);
		assert_string_equal(e.msg, want);
		assert_int_equal(e.errnum, 0);
	}
	char id[1026];
	memset(id, 'a', 1024);
	id[1024] = '\0';
	assert_int_equal(ward_id_validate(id, &e), 0);
	id[1024] = 'a';
	id[1025] = '\0';
	assert_int_equal(ward_id_validate(id, &e), -1);
	assert_string_equal(e.msg, "invalid container id: longer than 1024 characters");
}

static void test_now_rfc3339(void **state)
{
	(void)state;
	regex_t re;
	/* Go's RFC3339Nano: fraction optional, without trailing zeros, always Z. */
	assert_int_equal(regcomp(&re,
				 "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
				 "(\\.[0-9]{0,8}[1-9])?Z$",
				 REG_EXTENDED | REG_NOSUB),
			 0);
	for (int i = 0; i < 200; i++) {
		char buf[64];
		memset(buf, '#', sizeof(buf));
		time_t before = time(NULL);
		ward_now_rfc3339(buf, sizeof(buf));
		time_t after = time(NULL);
		if (regexec(&re, buf, 0, NULL, 0) != 0)
			fail_msg("bad timestamp \"%s\"", buf);
		assert_true(strlen(buf) >= 20 && strlen(buf) <= 30);
		struct tm tm = {0};
		char *rest = strptime(buf, "%Y-%m-%dT%H:%M:%S", &tm);
		assert_non_null(rest);
		assert_true(*rest == '.' || *rest == 'Z');
		time_t t = timegm(&tm);
		assert_true(t >= before && t <= after);
	}
	regfree(&re);
}

/* ---- root-confined file access ---- */

struct tree {
	char root[64];	  /* the fake container root */
	char outside[64]; /* a sibling directory that must stay untouched */
	int rootfd;	  /* O_PATH */
	struct stat root_st;
	char tag[32]; /* unique names: nothing we create may collide on the host */
};

static int same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

static void fstat_at(int dirfd, const char *path, struct stat *st)
{
	if (fstatat(dirfd, path, st, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0)
		fail_msg("stat %s: %s", path, strerror(errno));
}

static int tree_setup(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));
	if (!t)
		return -1;
	umask(022);
	strcpy(t->root, "/tmp/ward-unit-root-XXXXXX");
	strcpy(t->outside, "/tmp/ward-unit-out-XXXXXX");
	if (!mkdtemp(t->root) || !mkdtemp(t->outside))
		return -1;
	snprintf(t->tag, sizeof(t->tag), "ward-unit-%d", (int)getpid());
	int dfd = open(t->root, O_RDONLY | O_DIRECTORY);
	if (dfd < 0)
		return -1;
	/* root/dir/sub, and symlinks that try every way out. */
	if (mkdirat(dfd, "dir", 0755) || mkdirat(dfd, "dir/sub", 0755) ||
	    symlinkat("/", dfd, "abs") || symlinkat("../../", dfd, "rel") ||
	    symlinkat("../../../..", dfd, "dir/up") || symlinkat("/etc", dfd, "hostetc") ||
	    symlinkat(t->outside, dfd, "out") ||
	    symlinkat("/selfloop", dfd, "selfloop"))
		return -1;
	close(dfd);
	t->rootfd = open(t->root, O_PATH | O_DIRECTORY);
	if (t->rootfd < 0 || fstat(t->rootfd, &t->root_st) != 0)
		return -1;
	*state = t;
	return 0;
}

static int tree_teardown(void **state)
{
	struct tree *t = *state;
	ward_err e;
	int parent = open("/tmp", O_RDONLY | O_DIRECTORY);
	ward_rm_rf_at(parent, t->root + 5, &e);
	ward_rm_rf_at(parent, t->outside + 5, &e);
	close(parent);
	close(t->rootfd);
	free(t);
	return 0;
}

/* Open path in the tree and check it is the same inode as want (relative to root). */
static void expect_resolves_to(struct tree *t, const char *path, const char *want)
{
	ward_err e = {0};
	int fd = ward_open_in_root(t->rootfd, path, O_PATH, 0, &e);
	if (fd < 0)
		fail_msg("open %s: %s (errno %d)", path, e.msg, e.errnum);
	struct stat got, exp;
	fstat_at(fd, "", &got);
	fstat_at(t->rootfd, want, &exp);
	if (!same_file(&got, &exp))
		fail_msg("%s resolved to inode %lu, want %s (inode %lu)", path,
			 (unsigned long)got.st_ino, want, (unsigned long)exp.st_ino);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
}

static void test_open_in_root_confined(void **state)
{
	struct tree *t = *state;
	/* Absolute and relative symlinks to the host's / land on the root itself. */
	expect_resolves_to(t, "abs", ".");
	expect_resolves_to(t, "rel", ".");
	expect_resolves_to(t, "dir/up", ".");
	expect_resolves_to(t, "/abs/", ".");
	expect_resolves_to(t, "../../..", ".");
	expect_resolves_to(t, "/../../../", ".");
	expect_resolves_to(t, "", ".");
	expect_resolves_to(t, "/", ".");
	expect_resolves_to(t, "///", ".");
	expect_resolves_to(t, "abs/dir/sub", "dir/sub");
	expect_resolves_to(t, "rel/dir/up/rel/abs/dir", "dir");
	expect_resolves_to(t, "dir/sub/../../abs/../dir/sub", "dir/sub");
	/* The symlink itself is opened with O_PATH|O_NOFOLLOW on the last component. */
	ward_err e = {0};
	int fd = ward_open_in_root(t->rootfd, "abs", O_PATH | O_NOFOLLOW, 0, &e);
	assert_true(fd >= 0);
	struct stat st;
	fstat_at(fd, "", &st);
	assert_true(S_ISLNK(st.st_mode));
	close(fd);

	/* A symlink to the host's /etc is /etc inside the root: absent. */
	assert_int_equal(ward_open_in_root(t->rootfd, "hostetc/passwd", O_RDONLY, 0, &e), -1);
	assert_int_equal(e.errnum, ENOENT);
	assert_string_equal(e.msg, "open hostetc/passwd");
	assert_int_equal(ward_open_in_root(t->rootfd, "/abs/etc/passwd", O_RDONLY, 0, &e), -1);
	assert_int_equal(e.errnum, ENOENT);
	assert_string_equal(e.msg, "open abs/etc/passwd");
	/* A symlink to itself (as seen from inside the root) is a loop, not the host's. */
	assert_int_equal(ward_open_in_root(t->rootfd, "selfloop/x", O_RDONLY, 0, &e), -1);
	assert_int_equal(e.errnum, ELOOP);
	/* An absolute symlink to the outside directory resolves inside the root too. */
	char out_inside[80];
	snprintf(out_inside, sizeof(out_inside), "out/%s", "x");
	assert_int_equal(ward_open_in_root(t->rootfd, out_inside, O_RDONLY, 0, &e), -1);
	assert_int_equal(e.errnum, ENOENT);
}

static void test_open_in_root_create(void **state)
{
	struct tree *t = *state;
	ward_err e = {0};
	char path[96], host[96];
	/* Creating through a symlink to / creates inside the root, not on the host. */
	snprintf(path, sizeof(path), "abs/%s-file", t->tag);
	snprintf(host, sizeof(host), "/%s-file", t->tag);
	int fd = ward_open_in_root(t->rootfd, path, O_WRONLY | O_CREAT | O_EXCL, 0640, &e);
	if (fd < 0)
		fail_msg("%s: %s", path, e.msg);
	struct stat got, exp;
	fstat_at(fd, "", &got);
	fstat_at(t->rootfd, host + 1, &exp);
	assert_true(same_file(&got, &exp));
	assert_int_equal(got.st_mode & 07777, 0640);
	close(fd);
	assert_int_equal(access(host, F_OK), -1);
	/* Through ../../ as well. */
	snprintf(path, sizeof(path), "rel/rel/%s-2", t->tag);
	snprintf(host, sizeof(host), "/%s-2", t->tag);
	fd = ward_open_in_root(t->rootfd, path, O_WRONLY | O_CREAT, 0600, &e);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(faccessat(t->rootfd, host + 1, F_OK, 0), 0);
	assert_int_equal(access(host, F_OK), -1);
	/* Into the outside directory through its absolute symlink: lands in root. */
	snprintf(path, sizeof(path), "%s/leak", t->outside);
	assert_int_equal(ward_open_in_root(t->rootfd, "out/leak", O_WRONLY | O_CREAT, 0600, &e), -1);
	assert_int_equal(e.errnum, ENOENT); /* root/tmp/ward-unit-out-... does not exist */
	assert_int_equal(access(path, F_OK), -1);
}

static void test_open_in_root_no_magic_links(void **state)
{
	(void)state;
	ward_err e = {0};
	int slash = open("/", O_PATH | O_DIRECTORY);
	assert_true(slash >= 0);
	/* /proc/self/root would jump to wherever the process root is: refused. */
	assert_int_equal(ward_open_in_root(slash, "/proc/self/root/etc", O_PATH, 0, &e), -1);
	assert_int_equal(e.errnum, ELOOP);
	assert_int_equal(ward_open_in_root(slash, "proc/self/fd/0", O_PATH, 0, &e), -1);
	assert_int_equal(e.errnum, ELOOP);
	close(slash);
}

static void test_mkdir_p_in_root(void **state)
{
	struct tree *t = *state;
	ward_err e = {0};
	char path[128], inside[128], host[128];

	/* Through a symlink to "/": the directories appear under the root. */
	snprintf(path, sizeof(path), "abs/%s-a/b/c", t->tag);
	snprintf(inside, sizeof(inside), "%s-a/b/c", t->tag);
	snprintf(host, sizeof(host), "/%s-a", t->tag);
	int fd = ward_mkdir_p_in_root(t->rootfd, path, 0750, &e);
	if (fd < 0)
		fail_msg("mkdir_p %s: %s", path, e.msg);
	struct stat got, exp;
	fstat_at(fd, "", &got);
	fstat_at(t->rootfd, inside, &exp);
	assert_true(same_file(&got, &exp));
	assert_true(S_ISDIR(exp.st_mode));
	assert_int_equal(exp.st_mode & 07777, 0750);
	assert_int_equal(fcntl(fd, F_GETFL) & O_PATH, O_PATH);
	close(fd);
	assert_int_equal(access(host, F_OK), -1);

	/* Absolute path, relative escapes, trailing slash, repeated slashes. */
	snprintf(path, sizeof(path), "/rel/../dir/up/%s-n1//n2/", t->tag);
	snprintf(inside, sizeof(inside), "%s-n1/n2", t->tag);
	fd = ward_mkdir_p_in_root(t->rootfd, path, 0755, &e);
	if (fd < 0)
		fail_msg("mkdir_p %s: %s", path, e.msg);
	fstat_at(fd, "", &got);
	fstat_at(t->rootfd, inside, &exp);
	assert_true(same_file(&got, &exp));
	close(fd);
	snprintf(host, sizeof(host), "/%s-n1", t->tag);
	assert_int_equal(access(host, F_OK), -1);

	/* An existing directory is just opened. */
	fd = ward_mkdir_p_in_root(t->rootfd, "dir/sub", 0755, &e);
	assert_true(fd >= 0);
	fstat_at(fd, "", &got);
	fstat_at(t->rootfd, "dir/sub", &exp);
	assert_true(same_file(&got, &exp));
	close(fd);
	fd = ward_mkdir_p_in_root(t->rootfd, "/", 0755, &e);
	assert_true(fd >= 0);
	fstat_at(fd, "", &got);
	assert_true(same_file(&got, &t->root_st));
	close(fd);

	/* A regular file in the way fails with ENOTDIR, nothing is replaced. */
	int dfd = openat(t->rootfd, ".", O_RDONLY | O_DIRECTORY);
	int f = openat(dfd, "plain", O_WRONLY | O_CREAT, 0644);
	assert_true(f >= 0);
	close(f);
	assert_int_equal(ward_mkdir_p_in_root(t->rootfd, "plain/x/y", 0755, &e), -1);
	assert_int_equal(e.errnum, ENOTDIR);
	assert_int_equal(ward_mkdir_p_in_root(t->rootfd, "plain", 0755, &e), -1);
	assert_int_equal(e.errnum, ENOTDIR);
	close(dfd);
}

static void test_ensure_and_parent_in_root(void **state)
{
	struct tree *t = *state;
	ward_err e = {0};
	char path[128], inside[128];
	snprintf(path, sizeof(path), "/abs/%s-e/f/file", t->tag);
	snprintf(inside, sizeof(inside), "%s-e/f/file", t->tag);
	int fd = ward_ensure_in_root(t->rootfd, path, false, &e);
	if (fd < 0)
		fail_msg("ensure %s: %s", path, e.msg);
	struct stat got, exp;
	fstat_at(fd, "", &got);
	fstat_at(t->rootfd, inside, &exp);
	assert_true(same_file(&got, &exp));
	assert_true(S_ISREG(exp.st_mode));
	close(fd);
	/* Again: it exists, same file. */
	fd = ward_ensure_in_root(t->rootfd, path, false, &e);
	fstat_at(fd, "", &got);
	assert_true(same_file(&got, &exp));
	close(fd);
	/* As a directory. */
	snprintf(path, sizeof(path), "rel/%s-d/x", t->tag);
	snprintf(inside, sizeof(inside), "%s-d/x", t->tag);
	fd = ward_ensure_in_root(t->rootfd, path, true, &e);
	assert_true(fd >= 0);
	fstat_at(t->rootfd, inside, &exp);
	assert_true(S_ISDIR(exp.st_mode));
	close(fd);

	const char *base = NULL;
	snprintf(path, sizeof(path), "abs/%s-p/q/leaf//", t->tag);
	fd = ward_open_parent_in_root(t->rootfd, path, &base, &e);
	assert_true(fd >= 0);
	assert_memory_equal(base, "leaf", 4);
	snprintf(inside, sizeof(inside), "%s-p/q", t->tag);
	fstat_at(fd, "", &got);
	fstat_at(t->rootfd, inside, &exp);
	assert_true(same_file(&got, &exp));
	close(fd);
	fd = ward_open_parent_in_root(t->rootfd, "top", &base, &e);
	assert_true(fd >= 0);
	assert_string_equal(base, "top");
	fstat_at(fd, "", &got);
	assert_true(same_file(&got, &t->root_st));
	close(fd);
	assert_int_equal(ward_open_parent_in_root(t->rootfd, "x/..", &base, &e), -1);
	assert_string_equal(e.msg, "x/..: not a valid path for a file");
	assert_int_equal(ward_open_parent_in_root(t->rootfd, "/", &base, &e), -1);
	assert_string_equal(e.msg, "/: not a valid path for a file");
}

static void test_write_atomic_and_read(void **state)
{
	struct tree *t = *state;
	ward_err e = {0};
	int dfd = openat(t->rootfd, "dir", O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	assert_int_equal(ward_write_atomic_at(dfd, "state.json", "hello", 5, &e), 0);
	char *text = NULL;
	size_t len = 0;
	assert_int_equal(ward_read_file_at(dfd, "state.json", &text, &len, &e), 0);
	assert_int_equal(len, 5);
	assert_string_equal(text, "hello");
	free(text);
	struct stat st;
	fstat_at(dfd, "state.json", &st);
	assert_int_equal(st.st_mode & 07777, 0600);
	ino_t first = st.st_ino;

	/* Replacing: a new inode (rename), the new content, no temporary left. */
	assert_int_equal(ward_write_atomic_at(dfd, "state.json", "{\"a\":1}\n", 8, &e), 0);
	assert_int_equal(ward_read_file_at(dfd, "state.json", &text, NULL, &e), 0);
	assert_string_equal(text, "{\"a\":1}\n");
	free(text);
	fstat_at(dfd, "state.json", &st);
	assert_int_not_equal(st.st_ino, first);
	assert_int_equal(faccessat(dfd, ".state.json.tmp", F_OK, AT_SYMLINK_NOFOLLOW), -1);
	assert_int_equal(errno, ENOENT);

	/* Empty content and a large one (past the reader's first 4 KiB buffer). */
	assert_int_equal(ward_write_atomic_at(dfd, "empty", "", 0, &e), 0);
	assert_int_equal(ward_read_file_at(dfd, "empty", &text, &len, &e), 0);
	assert_int_equal(len, 0);
	assert_string_equal(text, "");
	free(text);
	size_t big = 100000;
	char *data = malloc(big);
	for (size_t i = 0; i < big; i++)
		data[i] = (char)('a' + i % 26);
	assert_int_equal(ward_write_atomic_at(dfd, "big", data, big, &e), 0);
	assert_int_equal(ward_read_file_at(dfd, "big", &text, &len, &e), 0);
	assert_int_equal(len, big);
	assert_memory_equal(text, data, big);
	assert_int_equal(text[big], '\0');
	free(text);
	free(data);

	/* ward_write_file_at writes into an existing file only. */
	assert_int_equal(ward_write_file_at(dfd, "empty", "xyz", 3, &e), 0);
	assert_int_equal(ward_read_file_at(dfd, "empty", &text, &len, &e), 0);
	assert_string_equal(text, "xyz");
	free(text);
	assert_int_equal(ward_write_file_at(dfd, "missing", "x", 1, &e), -1);
	assert_int_equal(e.errnum, ENOENT);
	assert_string_equal(e.msg, "open missing");

	/* Errors name the file. */
	assert_int_equal(ward_read_file_at(dfd, "nope", &text, NULL, &e), -1);
	assert_int_equal(e.errnum, ENOENT);
	assert_string_equal(e.msg, "open nope");
	assert_int_equal(ward_write_atomic_at(-1, "state.json", "x", 1, &e), -1);
	assert_int_equal(e.errnum, EBADF);
	assert_string_equal(e.msg, "create .state.json.tmp");
	/* Renaming over a directory fails and cleans up its temporary. */
	assert_int_equal(mkdirat(dfd, "adir", 0755), 0);
	assert_int_equal(mkdirat(dfd, "adir/child", 0755), 0);
	assert_int_equal(ward_write_atomic_at(dfd, "adir", "x", 1, &e), -1);
	assert_string_equal(e.msg, "rename adir");
	assert_int_equal(faccessat(dfd, ".adir.tmp", F_OK, AT_SYMLINK_NOFOLLOW), -1);
	assert_int_equal(faccessat(dfd, "adir/child", F_OK, AT_SYMLINK_NOFOLLOW), 0);
	/* Over an old file (exchanged, the old one unlinked): the new text,
	 * a new inode, no temporary left. */
	struct stat a, b;
	assert_int_equal(ward_write_atomic_at(dfd, "st", "old", 3, &e), 0);
	assert_int_equal(fstatat(dfd, "st", &a, 0), 0);
	assert_int_equal(ward_write_atomic_at(dfd, "st", "newer", 5, &e), 0);
	assert_int_equal(fstatat(dfd, "st", &b, 0), 0);
	assert_true(a.st_ino != b.st_ino);
	assert_int_equal(ward_read_file_at(dfd, "st", &text, &len, &e), 0);
	assert_string_equal(text, "newer");
	free(text);
	assert_int_equal(faccessat(dfd, ".st.tmp", F_OK, AT_SYMLINK_NOFOLLOW), -1);
	close(dfd);
}

static void test_rm_rf_stays_inside(void **state)
{
	struct tree *t = *state;
	ward_err e = {0};
	int dfd = openat(t->rootfd, ".", O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	/* A victim file outside, reachable through symlinks inside the tree. */
	char victim[96];
	snprintf(victim, sizeof(victim), "%s/keep", t->outside);
	int f = open(victim, O_WRONLY | O_CREAT, 0644);
	assert_true(f >= 0);
	close(f);
	assert_int_equal(mkdirat(dfd, "t", 0755), 0);
	assert_int_equal(mkdirat(dfd, "t/a", 0755), 0);
	assert_int_equal(mkdirat(dfd, "t/a/b", 0755), 0);
	f = openat(dfd, "t/a/b/file", O_WRONLY | O_CREAT, 0644);
	close(f);
	assert_int_equal(symlinkat(t->outside, dfd, "t/a/out"), 0);
	assert_int_equal(symlinkat("/", dfd, "t/slash"), 0);
	assert_int_equal(ward_rm_rf_at(dfd, "t", &e), 0);
	assert_int_equal(faccessat(dfd, "t", F_OK, AT_SYMLINK_NOFOLLOW), -1);
	assert_int_equal(access(victim, F_OK), 0);
	/* Missing is fine; a symlink as the top is not followed. */
	assert_int_equal(ward_rm_rf_at(dfd, "t", &e), 0);
	assert_int_equal(ward_rm_rf_at(dfd, "out", &e), -1);
	assert_int_equal(e.errnum, ENOTDIR);
	assert_int_equal(access(victim, F_OK), 0);
	close(dfd);
}

/* HOME from a container's /etc/passwd (ward_passwd_home). */
static const char *home_of(const char *text, uid_t uid)
{
	static char home[64];
	snprintf(home, sizeof(home), "(none)");
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	assert_non_null(f);
	ward_passwd_home(f, uid, home, sizeof(home));
	fclose(f);
	return home;
}

static void test_passwd_home(void **state)
{
	(void)state;
	assert_string_equal(home_of("root:x:0:0:root:/root:/bin/sh\nu:x:1000:1000::/home/u:/bin/sh\n", 1000),
			    "/home/u");
	/* Six fields (no shell) and no final newline: the newline is not HOME's. */
	assert_string_equal(home_of("root:x:0:0:root:/root\n", 0), "/root");
	assert_string_equal(home_of("root:x:0:0:root:/root", 0), "/root");
	/* A uid field that is not a number is not uid 0 (strtoul would say so). */
	assert_string_equal(home_of("+::::::\nx:x:abc:0::/evil:\nroot:x:0:0::/root:\n", 0), "/root");
	assert_string_equal(home_of("u:x:4294967295:0::/all:\n", 4294967295U), "(none)");
	assert_string_equal(home_of("u:x:5:0\n", 5), "(none)");
	/* The tail of a line longer than the buffer is not an entry of its own. */
	char text[2200];
	memset(text, 'a', 1100);
	snprintf(text + 1100, sizeof(text) - 1100, ":x:0:0::/forged:\nroot:x:0:0::/root:\n");
	text[1020] = ':';
	assert_string_equal(home_of(text, 0), "/root");
	/* Truncated to the buffer, terminated. */
	assert_string_equal(home_of("u:x:7:7::/home/dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd:\n", 7), "/home/ddddddddddddddddddddddddddddddddddddddddddddddddddddddddd");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_err_wrap_chain),
		cmocka_unit_test(test_err_truncation),
		cmocka_unit_test(test_path_clean),
		cmocka_unit_test(test_strv),
		cmocka_unit_test(test_strv_env),
		cmocka_unit_test(test_id_validate),
		cmocka_unit_test(test_now_rfc3339),
		cmocka_unit_test_setup_teardown(test_open_in_root_confined, tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_open_in_root_create, tree_setup, tree_teardown),
		cmocka_unit_test(test_open_in_root_no_magic_links),
		cmocka_unit_test_setup_teardown(test_mkdir_p_in_root, tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_ensure_and_parent_in_root, tree_setup,
						tree_teardown),
		cmocka_unit_test_setup_teardown(test_write_atomic_and_read, tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_rm_rf_stays_inside, tree_setup, tree_teardown),
		cmocka_unit_test(test_passwd_home),
	};
	return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
