/* The container state as `ward state` prints it and as hooks receive it
 * (ward_state_to_json), and the state.json round trip (save/load/refresh). */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linux/linux.h"
#include "runtime/runtime.h"
#include "util/fs.h"

static char *dump(json_t *j)
{
	assert_non_null(j);
	char *s = json_dumps(j, JSON_COMPACT);
	assert_non_null(s);
	json_decref(j);
	return s;
}

static json_t *load(const char *tmpl)
{
	char *js = unit_json(tmpl);
	json_error_t jerr;
	json_t *j = json_loads(js, 0, &jerr);
	if (!j)
		fail_msg("bad test JSON %s: %s", js, jerr.text);
	free(js);
	return j;
}

static void expect_json(json_t *got, const char *want_tmpl)
{
	char *s = dump(got);
	char *want = unit_json(want_tmpl);
	assert_string_equal(s, want);
	free(s);
	free(want);
}

static struct ward_state make_state(enum ward_status status, json_t *config)
{
	struct ward_state st = {
		.id = "c1",
		.pid = 4242,
		.pid_start = 99,
		.bundle = "/srv/bundle",
		.rootfs = "/srv/bundle/rootfs",
		.created = "2024-05-06T07:08:09.123456789Z",
		.oci_version = (char *)json_string_value(json_object_get(config, "ociVersion")),
		.annotations = json_object_get(config, "annotations"),
		.status = status,
		.dirfd = -1,
	};
	return st;
}

static void test_state_json_runc_order(void **state)
{
	(void)state;
	json_t *cfg = load("{'ociVersion':'1.0.2','annotations':{'org.a':'1','b':'two'}}");
	struct ward_state st = make_state(WARD_RUNNING, cfg);
	/* runc's order: ociVersion id pid status bundle rootfs created annotations owner */
	expect_json(ward_state_to_json(&st, false),
		    "{'ociVersion':'1.0.2','id':'c1','pid':4242,'status':'running',"
		    "'bundle':'/srv/bundle','rootfs':'/srv/bundle/rootfs',"
		    "'created':'2024-05-06T07:08:09.123456789Z','annotations':{'org.a':'1','b':'two'},"
		    "'owner':''}");
	st.status = WARD_CREATED;
	expect_json(ward_state_to_json(&st, false),
		    "{'ociVersion':'1.0.2','id':'c1','pid':4242,'status':'created',"
		    "'bundle':'/srv/bundle','rootfs':'/srv/bundle/rootfs',"
		    "'created':'2024-05-06T07:08:09.123456789Z','annotations':{'org.a':'1','b':'two'},"
		    "'owner':''}");
	/* A stopped container has no pid to report. */
	st.status = WARD_STOPPED;
	expect_json(ward_state_to_json(&st, false),
		    "{'ociVersion':'1.0.2','id':'c1','pid':0,'status':'stopped',"
		    "'bundle':'/srv/bundle','rootfs':'/srv/bundle/rootfs',"
		    "'created':'2024-05-06T07:08:09.123456789Z','annotations':{'org.a':'1','b':'two'},"
		    "'owner':''}");
	/* The config is not modified by it. */
	expect_json(cfg, "{'ociVersion':'1.0.2','annotations':{'org.a':'1','b':'two'}}");
}

static void test_state_json_hooks(void **state)
{
	(void)state;
	json_t *cfg = load("{'ociVersion':'1.1.0','annotations':{'k':'v'},'process':{}}");
	struct ward_state st = make_state(WARD_CREATED, cfg);
	/* The OCI state for hooks: ociVersion id status pid bundle annotations. */
	expect_json(ward_state_to_json(&st, true),
		    "{'ociVersion':'1.1.0','id':'c1','status':'created','pid':4242,"
		    "'bundle':'/srv/bundle','annotations':{'k':'v'}}");
	st.status = WARD_RUNNING;
	expect_json(ward_state_to_json(&st, true),
		    "{'ociVersion':'1.1.0','id':'c1','status':'running','pid':4242,"
		    "'bundle':'/srv/bundle','annotations':{'k':'v'}}");
	st.status = WARD_STOPPED; /* poststop: no pid at all */
	expect_json(ward_state_to_json(&st, true),
		    "{'ociVersion':'1.1.0','id':'c1','status':'stopped','bundle':'/srv/bundle',"
		    "'annotations':{'k':'v'}}");
	st.status = WARD_CREATING;
	expect_json(ward_state_to_json(&st, true),
		    "{'ociVersion':'1.1.0','id':'c1','status':'creating','pid':4242,"
		    "'bundle':'/srv/bundle','annotations':{'k':'v'}}");
	json_decref(cfg);
}

static void test_state_json_without_annotations(void **state)
{
	(void)state;
	/* No config at all: ward's own OCI version, no annotations. */
	struct ward_state st = make_state(WARD_PAUSED, NULL);
	expect_json(ward_state_to_json(&st, false),
		    "{'ociVersion':'" WARD_OCI_VERSION "','id':'c1','pid':4242,'status':'paused',"
		    "'bundle':'/srv/bundle','rootfs':'/srv/bundle/rootfs',"
		    "'created':'2024-05-06T07:08:09.123456789Z','owner':''}");
	expect_json(ward_state_to_json(&st, true),
		    "{'ociVersion':'" WARD_OCI_VERSION "','id':'c1','status':'paused','pid':4242,"
		    "'bundle':'/srv/bundle'}");
	/* Empty or non-object annotations are left out; a non-string version too. */
	json_t *cfg = load("{'ociVersion':7,'annotations':{}}");
	st = make_state(WARD_PAUSED, cfg);
	expect_json(ward_state_to_json(&st, true),
		    "{'ociVersion':'" WARD_OCI_VERSION "','id':'c1','status':'paused','pid':4242,"
		    "'bundle':'/srv/bundle'}");
	json_decref(cfg);
	cfg = load("{'annotations':['x']}");
	st = make_state(WARD_PAUSED, cfg);
	expect_json(ward_state_to_json(&st, false),
		    "{'ociVersion':'" WARD_OCI_VERSION "','id':'c1','pid':4242,'status':'paused',"
		    "'bundle':'/srv/bundle','rootfs':'/srv/bundle/rootfs',"
		    "'created':'2024-05-06T07:08:09.123456789Z','owner':''}");
	json_decref(cfg);
}

static void test_status_names(void **state)
{
	(void)state;
	assert_string_equal(ward_status_name(WARD_CREATING), "creating");
	assert_string_equal(ward_status_name(WARD_CREATED), "created");
	assert_string_equal(ward_status_name(WARD_RUNNING), "running");
	assert_string_equal(ward_status_name(WARD_PAUSED), "paused");
	assert_string_equal(ward_status_name(WARD_STOPPED), "stopped");
	assert_string_equal(ward_status_name(WARD_UNKNOWN), "unknown");
}

/* A stat that cannot be read is not a process that is gone. */
static void test_proc_stat_errors(void **state)
{
	(void)state;
	unsigned long long start = 1;
	char st = 0;
	assert_int_equal(ward_proc_stat(getpid(), &start, &st), 0);
	assert_true(start > 0);
	assert_int_equal(st, 'R');
	assert_int_equal(ward_proc_stat(0x3fffffff, &start, NULL), -ENOENT);
	assert_true(start == 0);
	struct ward_state u = make_state(WARD_UNKNOWN, NULL);
	u.status_errno = EACCES;
	char *s = dump(ward_state_to_json(&u, false));
	assert_non_null(strstr(s, "\"pid\":4242,\"status\":\"unknown\""));
	assert_non_null(strstr(s, "\"statusReason\":\"/proc/4242/stat: Permission denied\""));
	free(s);
	u.status_errno = EBADMSG;
	s = dump(ward_state_to_json(&u, false));
	assert_non_null(strstr(s, "/proc/4242/stat: not a stat line"));
	free(s);
}

/* A private state root in /tmp holding an empty container dir ID; returns
 * the root's fd (ctx->root points at root). */
static int tmp_state_root(char *root, struct ward_ctx *ctx, const char *id)
{
	assert_non_null(mkdtemp(root));
	ctx->root = root;
	ward_err e = {0};
	int rootfd = ward_state_root_open(ctx, false, &e);
	assert_true(rootfd >= 0);
	assert_int_equal(mkdirat(rootfd, id, 0700), 0);
	return rootfd;
}

/* A create that died: its state says so, whatever the init's fifo says. */
static void test_state_creating(void **state)
{
	(void)state;
	char root[] = "/tmp/ward-unit-state-XXXXXX";
	struct ward_ctx ctx = {0};
	ward_err e = {0};
	int rootfd = tmp_state_root(root, &ctx, "c1");
	struct ward_state st = make_state(WARD_CREATING, NULL);
	st.pid = getpid();
	st.pid_start = ward_proc_start_time(getpid(), NULL);
	st.creating = true;
	st.dirfd = openat(rootfd, "c1", O_RDONLY | O_DIRECTORY);
	assert_int_equal(mkfifoat(st.dirfd, "exec.fifo", 0600), 0);
	assert_int_equal(ward_state_save(&st, &e), 0);
	struct ward_state got;
	assert_int_equal(ward_state_load(&ctx, "c1", false, &got, &e), 0);
	assert_true(got.creating);
	assert_int_equal(got.status, WARD_CREATING);
	/* create's last write clears it: created. */
	st.creating = false;
	assert_int_equal(ward_state_save(&st, &e), 0);
	ward_state_release(&got);
	assert_int_equal(ward_state_load(&ctx, "c1", false, &got, &e), 0);
	assert_false(got.creating);
	assert_int_equal(got.status, WARD_CREATED);
	ward_state_release(&got);
	close(st.dirfd);
	assert_int_equal(ward_rm_rf_at(rootfd, "c1", &e), 0);
	close(rootfd);
	rmdir(root);
}

/* save -> load through a private state root; the status comes from /proc. */
static void test_state_save_load(void **state)
{
	(void)state;
	char root[] = "/tmp/ward-unit-state-XXXXXX";
	struct ward_ctx ctx = {0};
	ward_err e = {0};
	int rootfd = tmp_state_root(root, &ctx, "c1");

	char self_start = 0;
	unsigned long long start = ward_proc_start_time(getpid(), &self_start);
	assert_true(start > 0);
	json_t *cfg = load("{'ociVersion':'1.0.0','annotations':{'a':'b'}}");
	struct ward_state st = make_state(WARD_CREATED, cfg);
	st.pid = getpid();
	st.pid_start = start;
	st.extra = load("{'cgroup':{'dirs':[]}}");
	st.has_poststop = true;
	char *cfg_text = json_dumps(cfg, JSON_COMPACT);
	st.config_text = cfg_text;
	st.dirfd = openat(rootfd, "c1", O_RDONLY | O_DIRECTORY);
	assert_int_equal(ward_state_save(&st, &e), 0);
	free(cfg_text);
	close(st.dirfd);
	json_decref(st.extra);

	/* Our own pid with its real start time, no exec.fifo: running. */
	struct ward_state got;
	assert_int_equal(ward_state_load(&ctx, "c1", true, &got, &e), 0);
	assert_string_equal(got.id, "c1");
	assert_int_equal(got.pid, getpid());
	assert_true(got.pid_start == start);
	assert_string_equal(got.bundle, "/srv/bundle");
	assert_string_equal(got.rootfs, "/srv/bundle/rootfs");
	assert_string_equal(got.created, "2024-05-06T07:08:09.123456789Z");
	/* The config is saved beside the state and loaded only when asked for. */
	assert_null(got.config);
	assert_string_equal(got.oci_version, "1.0.0");
	assert_true(json_equal(got.annotations, json_object_get(cfg, "annotations")));
	assert_false(got.has_poststart);
	assert_true(got.has_poststop);
	assert_true(json_equal(ward_state_config(&got, &e), cfg));
	assert_ptr_equal(ward_state_config(&got, &e), got.config);
	/* update: a changed config is saved with the rest of the state intact. */
	json_object_set_new(got.config, "hostname", json_string("h2"));
	assert_int_equal(ward_state_save_config(&got, &e), 0);
	{
		struct ward_state again;
		assert_int_equal(ward_state_load(&ctx, "c1", false, &again, &e), 0);
		assert_string_equal(json_string_value(json_object_get(
					    ward_state_config(&again, &e), "hostname")),
				    "h2");
		assert_string_equal(again.created, "2024-05-06T07:08:09.123456789Z");
		assert_true(again.has_poststop);
		assert_non_null(json_object_get(again.extra, "cgroup"));
		ward_state_release(&again);
		/* A status load leaves the config and runtime data alone. */
		assert_int_equal(ward_state_load_status(rootfd, "c1", &again, &e), 0);
		assert_null(again.config_raw);
		assert_null(again.extra);
		assert_string_equal(again.bundle, "/srv/bundle");
		ward_state_release(&again);
	}
	json_object_del(got.config, "hostname");
	assert_int_equal(json_object_size(got.extra), 1);
	assert_non_null(json_object_get(got.extra, "cgroup"));
	assert_int_equal(got.status, WARD_RUNNING);
	/* exec.fifo present: created. */
	assert_int_equal(mkfifoat(got.dirfd, "exec.fifo", 0600), 0);
	assert_int_equal(ward_state_refresh(&got), WARD_CREATED);
	assert_int_equal(unlinkat(got.dirfd, "exec.fifo", 0), 0);
	/* Same pid, other start time: the pid was reused, the container is gone. */
	got.pid_start = start + 1;
	assert_int_equal(ward_state_refresh(&got), WARD_STOPPED);
	got.pid = 0;
	assert_int_equal(ward_state_refresh(&got), WARD_CREATING);
	ward_state_release(&got);
	assert_int_equal(got.dirfd, -1);
	assert_null(got.id);

	/* Missing containers and bad ids. */
	assert_int_equal(ward_state_load(&ctx, "nope", false, &got, &e), -1);
	assert_int_equal(e.errnum, ENOENT);
	assert_string_equal(e.msg, "container \"nope\" does not exist");
	ward_state_release(&got);
	assert_int_equal(ward_state_load(&ctx, "../c1", false, &got, &e), -1);
	assert_string_equal(e.msg,
			    "invalid container id \"../c1\": only letters, digits and _ + - . are allowed");
	ward_state_release(&got);

	/* A directory without state.json is a create that has not finished. */
	assert_int_equal(mkdirat(rootfd, "c2", 0700), 0);
	assert_int_equal(ward_state_load(&ctx, "c2", false, &got, &e), 0);
	assert_int_equal(got.status, WARD_CREATING);
	assert_string_equal(got.bundle, "");
	ward_state_release(&got);

	/* Corrupt state.json is an error naming the container. */
	int d = openat(rootfd, "c2", O_RDONLY | O_DIRECTORY);
	assert_int_equal(ward_write_atomic_at(d, "state.json", "{oops", 5, &e), 0);
	close(d);
	assert_int_equal(ward_state_load(&ctx, "c2", false, &got, &e), -1);
	assert_string_equal(e.msg, "state of c2: corrupt state.json: string or '}' expected near "
				   "'oops'");
	ward_state_release(&got);

	assert_int_equal(ward_state_remove(&ctx, "c1", &e), 0);
	assert_int_equal(ward_state_remove(&ctx, "c2", &e), 0);
	assert_int_equal(ward_state_remove(&ctx, "c1", &e), 0); /* already gone */
	assert_int_equal(faccessat(rootfd, "c1", F_OK, 0), -1);
	close(rootfd);
	json_decref(cfg);
	assert_int_equal(rmdir(root), 0);
}

/* Saving a state that has no runtime extras yet stores an empty object. */
static void test_state_save_without_extra(void **state)
{
	(void)state;
	char root[] = "/tmp/ward-unit-state-XXXXXX";
	struct ward_ctx ctx = {0};
	ward_err e = {0};
	int rootfd = tmp_state_root(root, &ctx, "c3");
	struct ward_state st = make_state(WARD_CREATED, NULL);
	st.id = "c3";
	st.pid = 0;
	st.dirfd = openat(rootfd, "c3", O_RDONLY | O_DIRECTORY);
	assert_int_equal(ward_state_save(&st, &e), 0);
	close(st.dirfd);
	char *text = NULL;
	int d = openat(rootfd, "c3", O_RDONLY | O_DIRECTORY);
	assert_int_equal(ward_read_file_at(d, "state.json", &text, NULL, &e), 0);
	close(d);
	char *want = unit_json("{'id':'c3','pid':0,'pidStart':99,'bundle':'/srv/bundle',"
			       "'rootfs':'/srv/bundle/rootfs','created':'2024-05-06T07:08:09.123456789Z',"
			       "'ociVersion':'" WARD_OCI_VERSION "','poststart':false,'poststop':false,"
			       "'annotations':null}\n{}\n");
	assert_string_equal(text, want);
	free(want);
	free(text);
	struct ward_state got;
	assert_int_equal(ward_state_load(&ctx, "c3", false, &got, &e), 0);
	assert_true(json_is_object(got.extra));
	/* No config was saved: asking for it is an error naming the container. */
	assert_null(ward_state_config(&got, &e));
	assert_int_equal(e.errnum, ENOENT);
	assert_non_null(strstr(e.msg, "state of c3"));
	assert_int_equal(got.status, WARD_CREATING);
	ward_state_release(&got);
	assert_int_equal(ward_state_remove(&ctx, "c3", &e), 0);
	close(rootfd);
	assert_int_equal(rmdir(root), 0);
}

/* The paused status comes from the freezer file recorded at save time, so
 * list and state need not parse the cgroup data. */
static void test_state_paused_from_freeze_file(void **state)
{
	(void)state;
	char root[] = "/tmp/ward-unit-state-XXXXXX";
	struct ward_ctx ctx = {0};
	ward_err e = {0};
	int rootfd = tmp_state_root(root, &ctx, "c4");
	assert_int_equal(mkdirat(rootfd, "fz", 0700), 0);
	char tmpl[512], fz[300];
	snprintf(fz, sizeof(fz), "%s/fz", root);
	snprintf(tmpl, sizeof(tmpl),
		 "{'cgroup':{'dirs':[{'path':'/nonexistent/cpu','controllers':'cpu','v2':false},"
		 "{'path':'%s','controllers':'freezer','v2':false}]}}",
		 fz);
	struct ward_state st = make_state(WARD_RUNNING, NULL);
	st.id = "c4";
	st.pid = getpid();
	st.pid_start = ward_proc_start_time(getpid(), NULL);
	st.extra = load(tmpl);
	st.dirfd = openat(rootfd, "c4", O_RDONLY | O_DIRECTORY);
	assert_int_equal(ward_state_save(&st, &e), 0);
	close(st.dirfd);
	json_decref(st.extra);
	int fzd = openat(rootfd, "fz", O_RDONLY | O_DIRECTORY);
	assert_int_equal(ward_write_atomic_at(fzd, "freezer.state", "THAWED\n", 7, &e), 0);

	struct ward_state got;
	assert_int_equal(ward_state_load_status(rootfd, "c4", &got, &e), 0);
	assert_null(got.extra); /* not parsed for a status */
	assert_int_equal(got.status, WARD_RUNNING);
	ward_state_release(&got);
	assert_int_equal(ward_write_atomic_at(fzd, "freezer.state", "FROZEN\n", 7, &e), 0);
	assert_int_equal(ward_state_load_status(rootfd, "c4", &got, &e), 0);
	assert_int_equal(got.status, WARD_PAUSED);
	ward_state_release(&got);
	/* The full load has the cgroup data and agrees. */
	assert_int_equal(ward_state_load(&ctx, "c4", false, &got, &e), 0);
	assert_non_null(json_object_get(got.extra, "cgroup"));
	assert_int_equal(got.status, WARD_PAUSED);
	ward_state_release(&got);
	/* A missing container is ENOENT for the status load too. */
	assert_int_equal(ward_state_load_status(rootfd, "nope", &got, &e), -1);
	assert_int_equal(e.errnum, ENOENT);
	ward_state_release(&got);

	close(fzd);
	assert_int_equal(ward_state_remove(&ctx, "c4", &e), 0);
	assert_int_equal(ward_state_remove(&ctx, "fz", &e), 0);
	close(rootfd);
	assert_int_equal(rmdir(root), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_json_runc_order),
		cmocka_unit_test(test_state_json_hooks),
		cmocka_unit_test(test_state_json_without_annotations),
		cmocka_unit_test(test_status_names),
		cmocka_unit_test(test_proc_stat_errors),
		cmocka_unit_test(test_state_creating),
		cmocka_unit_test(test_state_save_load),
		cmocka_unit_test(test_state_save_without_extra),
		cmocka_unit_test(test_state_paused_from_freeze_file),
	};
	return cmocka_run_group_tests_name("state", tests, NULL, NULL);
}
