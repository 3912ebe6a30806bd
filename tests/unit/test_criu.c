/* src/runtime/criu_pb.c (the protobuf wire format of criu's rpc.proto) and
 * the pure parts of checkpoint.c: how a restored tree is compared with the
 * checkpoint's record. The bytes expected below follow the encoding rules of
 * protobuf's documentation (varints, keys = field << 3 | wire type). */
#include "unit.h"

#include <errno.h>
#include <jansson.h>

#include "runtime/criu.h"

static void expect_bytes(const struct ward_pb *b, const uint8_t *want, size_t n)
{
	assert_false(b->failed);
	assert_int_equal(b->len, n);
	assert_memory_equal(b->buf, want, n);
}

static void test_pb_varints(void **state)
{
	(void)state;
	struct ward_pb b = {0};
	/* protobuf's own example: field 1 = 150 is 08 96 01. */
	ward_pb_uint(&b, 1, 150);
	static const uint8_t a[] = {0x08, 0x96, 0x01};
	expect_bytes(&b, a, sizeof(a));
	ward_pb_free(&b);

	/* int32 -1: ten bytes, as protobuf sign-extends; field 9 key 0x48. */
	ward_pb_int(&b, 9, -1);
	static const uint8_t neg[] = {0x48, 0xff, 0xff, 0xff, 0xff, 0xff,
				      0xff, 0xff, 0xff, 0xff, 0x01};
	expect_bytes(&b, neg, sizeof(neg));
	ward_pb_free(&b);

	/* A field number past 15 takes a two-byte key (64 << 3 = 0x200). */
	ward_pb_bool(&b, 64, true);
	static const uint8_t big[] = {0x80, 0x04, 0x01};
	expect_bytes(&b, big, sizeof(big));
	ward_pb_free(&b);
}

static void test_pb_strings_and_messages(void **state)
{
	(void)state;
	struct ward_pb b = {0};
	/* ext_mount_map {key "/a", val "/b"} as field 23 of criu_opts. */
	ward_pb_pair_str(&b, 23, "/a", "/b");
	static const uint8_t want[] = {0xba, 0x01, 0x08, 0x0a, 0x02, '/',
				       'a',  0x12, 0x02, '/',  'b'};
	expect_bytes(&b, want, sizeof(want));
	ward_pb_free(&b);

	/* inherit_fd {key "k", fd 2}; cgroup_root without ctrl. */
	ward_pb_pair_int(&b, 27, "k", 2);
	ward_pb_pair_str(&b, 25, NULL, "/p");
	static const uint8_t w2[] = {0xda, 0x01, 0x05, 0x0a, 0x01, 'k', 0x10, 0x02,
				     0xca, 0x01, 0x04, 0x12, 0x02, '/', 'p'};
	expect_bytes(&b, w2, sizeof(w2));
	ward_pb_free(&b);

	/* A long string: its length is a varint too. */
	char s[300];
	memset(s, 'x', sizeof(s) - 1);
	s[sizeof(s) - 1] = '\0';
	ward_pb_str(&b, 13, s);
	assert_int_equal(b.len, 1 + 2 + 299);
	assert_int_equal(b.buf[0], 0x6a);
	assert_int_equal(b.buf[1], 0xab); /* 299 = 0x12b */
	assert_int_equal(b.buf[2], 0x02);
	ward_pb_free(&b);
}

/* A criu_resp as criu would send it, built field by field. */
static void build_resp(struct ward_pb *b, int type, bool ok)
{
	ward_pb_uint(b, 1, (uint64_t)type);
	ward_pb_bool(b, 2, ok);
}

static void test_resp_decode(void **state)
{
	(void)state;
	ward_err err = {0};
	struct ward_criu_resp r;
	struct ward_pb b = {0}, sub = {0};

	/* notify {script "post-restore", pid 4242} */
	build_resp(&b, CRIU_REQ_NOTIFY, true);
	ward_pb_str(&sub, 1, "post-restore");
	ward_pb_int(&sub, 2, 4242);
	ward_pb_msg(&b, 5, &sub);
	assert_int_equal(ward_criu_resp_decode(b.buf, b.len, &r, &err), 0);
	assert_int_equal(r.type, CRIU_REQ_NOTIFY);
	assert_true(r.success);
	assert_string_equal(r.script, "post-restore");
	assert_int_equal(r.notify_pid, 4242);
	ward_pb_free(&b);
	ward_pb_free(&sub);

	/* version {major 3, minor 17, gitid "x", sublevel 1}, plus a field
	 * ward does not know (99): skipped. */
	build_resp(&b, CRIU_REQ_VERSION, true);
	ward_pb_int(&sub, 1, 3);
	ward_pb_int(&sub, 2, 17);
	ward_pb_str(&sub, 3, "x");
	ward_pb_int(&sub, 4, 1);
	ward_pb_msg(&b, 10, &sub);
	ward_pb_str(&b, 99, "future");
	assert_int_equal(ward_criu_resp_decode(b.buf, b.len, &r, &err), 0);
	assert_int_equal(r.version, 31701);
	char v[32];
	ward_criu_version_str(r.version, v, sizeof(v));
	assert_string_equal(v, "3.17.1");
	ward_pb_free(&b);
	ward_pb_free(&sub);

	/* A part no criu version has (the fuzzer's find: it overflowed): no
	 * version at all. */
	build_resp(&b, CRIU_REQ_VERSION, true);
	ward_pb_int(&sub, 1, -591678694);
	ward_pb_int(&sub, 2, 17);
	ward_pb_msg(&b, 10, &sub);
	assert_int_equal(ward_criu_resp_decode(b.buf, b.len, &r, &err), 0);
	assert_int_equal(r.version, 0);
	ward_pb_free(&b);
	ward_pb_free(&sub);

	/* A failure: errno and criu's log line, tidied. */
	build_resp(&b, CRIU_REQ_RESTORE, false);
	ward_pb_int(&b, 7, EPERM);
	ward_pb_str(&b, 9, "Error (criu/mount-v2.c:319): mnt-v2: Failed to open_tree /x\n");
	assert_int_equal(ward_criu_resp_decode(b.buf, b.len, &r, &err), 0);
	assert_false(r.success);
	assert_int_equal(r.cr_errno, EPERM);
	assert_string_equal(r.errmsg, "mnt-v2: Failed to open_tree /x");
	ward_pb_free(&b);

	/* restore {pid 7} and features {mem_track false} */
	build_resp(&b, CRIU_REQ_RESTORE, true);
	ward_pb_int(&sub, 1, 7);
	ward_pb_msg(&b, 4, &sub);
	ward_pb_free(&sub);
	ward_pb_bool(&sub, 1, false);
	ward_pb_msg(&b, 8, &sub);
	assert_int_equal(ward_criu_resp_decode(b.buf, b.len, &r, &err), 0);
	assert_int_equal(r.restore_pid, 7);
	assert_true(r.has_mem_track);
	assert_false(r.mem_track);
	ward_pb_free(&b);
	ward_pb_free(&sub);
}

static void test_resp_malformed(void **state)
{
	(void)state;
	ward_err err = {0};
	struct ward_criu_resp r;
	/* type and success are required (proto2). */
	static const uint8_t no_success[] = {0x08, 0x01};
	assert_int_equal(ward_criu_resp_decode(no_success, sizeof(no_success), &r, &err), -1);
	assert_non_null(strstr(err.msg, "without success"));
	/* A varint cut short, a length past the end, a group (wire type 3),
	 * an 11-byte varint, a nested message whose own length lies. */
	static const uint8_t cut[] = {0x08, 0x96};
	static const uint8_t past[] = {0x08, 0x01, 0x10, 0x01, 0x4a, 0x10, 'a'};
	static const uint8_t group[] = {0x08, 0x01, 0x10, 0x01, 0x0b};
	static const uint8_t longv[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff,
					0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
	static const uint8_t nested[] = {0x08, 0x06, 0x10, 0x01, 0x2a, 0x02, 0x0a, 0x05};
	const struct {
		const uint8_t *p;
		size_t n;
	} bad[] = {{cut, sizeof(cut)},
		   {past, sizeof(past)},
		   {group, sizeof(group)},
		   {longv, sizeof(longv)},
		   {nested, sizeof(nested)}};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ward_err_clear(&err);
		assert_int_equal(ward_criu_resp_decode(bad[i].p, bad[i].n, &r, &err), -1);
		assert_non_null(strstr(err.msg, "malformed"));
	}
	/* A string longer than ward keeps is cut, still terminated. */
	struct ward_pb b = {0};
	build_resp(&b, CRIU_REQ_DUMP, false);
	char big[1000];
	memset(big, 'e', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ward_pb_str(&b, 9, big);
	assert_int_equal(ward_criu_resp_decode(b.buf, b.len, &r, &err), 0);
	assert_int_equal(strlen(r.errmsg), sizeof(r.errmsg) - 1);
	ward_pb_free(&b);
}

/* ---- the comparison of a restored tree with the record ---- */

static json_t *task(int tgid, int tid, const char *eff, const char *nnp, const char *sec)
{
	return json_pack("{s:i, s:i, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "tgid",
			 tgid, "tid", tid, "hostTid", 1000 + tid, "Uid", "0 0 0 0", "Gid",
			 "0 0 0 0", "CapInh", "0000000000000000", "CapPrm", eff, "CapEff", eff,
			 "CapBnd", eff, "CapAmb", "0000000000000000", "NoNewPrivs", nnp, "Seccomp",
			 sec);
}

static int match(json_t *want, json_t *got, ward_err *err)
{
	int r = ward_criu_tasks_match(want, got, err);
	json_decref(want);
	json_decref(got);
	return r;
}

static void test_tasks_match(void **state)
{
	(void)state;
	ward_err err = {0};
	const char *caps = "00000000a80425fb", *more = "00000000a82425fb";
	/* Identical. */
	assert_int_equal(
	    match(json_pack("[o, o]", task(1, 1, caps, "1", "2"), task(7, 7, caps, "1", "2")),
		  json_pack("[o, o]", task(1, 1, caps, "1", "2"), task(7, 7, caps, "1", "2")),
		  &err),
	    0);
	/* The root with no_new_privs lost: named. */
	assert_int_equal(match(json_pack("[o]", task(1, 1, caps, "1", "2")),
			       json_pack("[o]", task(1, 1, caps, "0", "2")), &err),
			 -1);
	assert_non_null(strstr(err.msg, "process 1 (thread 1, pid 1001 on the host): NoNewPrivs "
					"is \"0\", at checkpoint it was \"1\""));
	/* A recorded child with a capability more. */
	assert_int_equal(
	    match(json_pack("[o, o]", task(1, 1, caps, "1", "2"), task(7, 7, caps, "1", "2")),
		  json_pack("[o, o]", task(1, 1, caps, "1", "2"), task(7, 7, more, "1", "2")),
		  &err),
	    -1);
	assert_non_null(strstr(err.msg, "process 7 (thread 7"));
	/* The root missing. */
	assert_int_equal(match(json_pack("[o]", task(1, 1, caps, "1", "2")),
			       json_pack("[o]", task(2, 2, caps, "1", "2")), &err),
			 -1);
	assert_non_null(strstr(err.msg, "the root of the checkpointed tree"));
	/* A recorded child gone (it exited since) and a new one, confined as
	 * much: fine. */
	assert_int_equal(
	    match(json_pack("[o, o]", task(1, 1, caps, "1", "2"), task(7, 7, caps, "1", "2")),
		  json_pack("[o, o]", task(1, 1, caps, "1", "2"),
			    task(9, 9, "0000000000000000", "1", "2")),
		  &err),
	    0);
	/* A new one less confined than any recorded thread: caps, seccomp, nnp. */
	assert_int_equal(
	    match(json_pack("[o]", task(1, 1, caps, "1", "2")),
		  json_pack("[o, o]", task(1, 1, caps, "1", "2"), task(9, 9, more, "1", "2")),
		  &err),
	    -1);
	assert_non_null(strstr(err.msg, "born after the restore, is less confined"));
	assert_int_equal(
	    match(json_pack("[o]", task(1, 1, caps, "1", "2")),
		  json_pack("[o, o]", task(1, 1, caps, "1", "2"), task(9, 9, caps, "1", "0")),
		  &err),
	    -1);
	assert_non_null(strstr(err.msg, "Seccomp is \"0\""));
	assert_int_equal(
	    match(json_pack("[o]", task(1, 1, caps, "1", "2")),
		  json_pack("[o, o]", task(1, 1, caps, "1", "2"), task(9, 9, caps, "0", "2")),
		  &err),
	    -1);
	assert_non_null(strstr(err.msg, "NoNewPrivs"));
	/* No record at all. */
	assert_int_equal(match(json_array(), json_pack("[o]", task(1, 1, caps, "1", "2")), &err),
			 -1);
}

static void test_confinement_fields(void **state)
{
	(void)state;
	json_t *cfg =
	    json_loads("{\"process\": {\"noNewPrivileges\": true, \"args\": [\"sh\"], "
		       "\"capabilities\": {\"bounding\": [\"CAP_KILL\"]}}, "
		       "\"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\"}, "
		       "\"cgroupsPath\": \"/x\"}}",
		       0, NULL);
	json_t *c = ward_criu_confinement(cfg);
	/* What confines is there; what does not (args, cgroupsPath) is not. */
	assert_true(json_is_true(json_object_get(c, "process.noNewPrivileges")));
	assert_non_null(json_object_get(json_object_get(c, "process.capabilities"), "bounding"));
	assert_non_null(json_object_get(c, "linux.seccomp"));
	assert_true(json_is_null(json_object_get(c, "process.landlock")));
	assert_null(json_object_get(c, "process.args"));
	assert_null(json_object_get(c, "linux.cgroupsPath"));
	assert_int_equal(json_object_size(c), 9);
	json_decref(c);
	json_decref(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pb_varints),	cmocka_unit_test(test_pb_strings_and_messages),
	    cmocka_unit_test(test_resp_decode), cmocka_unit_test(test_resp_malformed),
	    cmocka_unit_test(test_tasks_match), cmocka_unit_test(test_confinement_fields),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
