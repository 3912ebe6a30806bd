/* What engines expect of the runtime, where it is pure logic: runc's
 * systemd cgroupsPath "slice:prefix:name" mapped to a cgroupfs path
 * (src/cgroup/systemd.c), and rootless detection from a uid_map
 * (src/util/rootless.c). */
#include "unit.h"

#include <stdio.h>

#include "cgroup/cgroup.h"
#include "util/rootless.h"

static void expect_path(const char *in, const char *id, const char *want)
{
	char out[4096];
	ward_err err = {0};
	if (ward_cgroup_systemd_path(in, id, out, sizeof(out), &err) < 0) {
		print_error("# input: %s\n# error: %s\n", in ? in : "(null)", err.msg);
		fail();
	}
	assert_string_equal(out, want);
}

static void expect_refused(const char *in, const char *want)
{
	char out[4096];
	ward_err err = {0};
	assert_int_equal(ward_cgroup_systemd_path(in, "c1", out, sizeof(out), &err), -1);
	assert_string_equal(err.msg, want);
}

static void test_systemd_paths(void **state)
{
	(void)state;
	/* What the kubelet's systemd driver passes through containerd and CRI-O. */
	expect_path("kubepods-besteffort-pod12_34.slice:cri-containerd:abc", "x",
		    "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod12_34.slice/"
		    "cri-containerd-abc.scope");
	expect_path("system.slice:crio:0123", "x", "/system.slice/crio-0123.scope");
	/* An empty slice is system.slice; "-.slice" is the root slice. */
	expect_path(":libpod:c9", "x", "/system.slice/libpod-c9.scope");
	expect_path("-.slice:p:n", "x", "/p-n.scope");
	/* A name that is a slice is the unit itself (a pod's slice). */
	expect_path("kubepods.slice:ignored:kubepods-burstable.slice", "x",
		    "/kubepods.slice/kubepods-burstable.slice");
	/* No cgroupsPath: a scope of ward's own, named after the container. */
	expect_path(NULL, "c1", "/system.slice/ward-c1.scope");
	expect_path("", "c1", "/system.slice/ward-c1.scope");
	expect_path("machine.slice::n", "x", "/machine.slice/n.scope");
}

static void test_systemd_paths_refused(void **state)
{
	(void)state;
	expect_refused("/kubepods/pod1/c1",
		       "linux.cgroupsPath: \"/kubepods/pod1/c1\" is not \"slice:prefix:name\", as "
		       "--systemd-cgroup requires");
	expect_refused("a.slice:b", "linux.cgroupsPath: \"a.slice:b\" is not "
				    "\"slice:prefix:name\", as --systemd-cgroup requires");
	expect_refused("a.slice:b:c:d", "linux.cgroupsPath: \"a.slice:b:c:d\" is not "
					"\"slice:prefix:name\", as --systemd-cgroup requires");
	expect_refused("a.slice:p:", "linux.cgroupsPath: \"a.slice:p:\": the name (after the "
				     "second ':') is empty");
	expect_refused("a.slice:p:../../x", "linux.cgroupsPath: \"a.slice:p:../../x\": prefix "
					    "and name may hold only letters, digits and _ . - @ \\");
	expect_refused("a.slice:p:..", "linux.cgroupsPath: \"a.slice:p:..\": prefix and name "
				       "may hold only letters, digits and _ . - @ \\");
	expect_refused("kubepods:p:n", "linux.cgroupsPath \"kubepods:p:n\": slice \"kubepods\" "
				       "does not end in \".slice\"");
	expect_refused(".slice:p:n", "linux.cgroupsPath \".slice:p:n\": slice \".slice\" does "
				     "not end in \".slice\"");
	expect_refused("a/b.slice:p:n", "linux.cgroupsPath \"a/b.slice:p:n\": slice "
					"\"a/b.slice\" is not a valid slice name (letters, digits, _ "
					". @ \\ and single dashes between parts)");
	expect_refused("a--b.slice:p:n", "linux.cgroupsPath \"a--b.slice:p:n\": slice "
					 "\"a--b.slice\" is not a valid slice name (letters, "
					 "digits, _ . @ \\ and single dashes between parts)");
	expect_refused("-a.slice:p:n", "linux.cgroupsPath \"-a.slice:p:n\": slice \"-a.slice\" "
				       "is not a valid slice name (letters, digits, _ . @ \\ and "
				       "single dashes between parts)");
	expect_refused("a-.slice:p:n", "linux.cgroupsPath \"a-.slice:p:n\": slice \"a-.slice\" "
				       "is not a valid slice name (letters, digits, _ . @ \\ and "
				       "single dashes between parts)");
}

static void test_uid_map_initial(void **state)
{
	(void)state;
	assert_true(ward_uid_map_is_initial("         0          0 4294967295\n"));
	assert_true(ward_uid_map_is_initial("0 0 4294967295"));
	/* unshare --map-root-user as root, as a user; rootless podman. */
	assert_false(ward_uid_map_is_initial("         0          0          1\n"));
	assert_false(ward_uid_map_is_initial("         0       1000          1\n"));
	assert_false(ward_uid_map_is_initial("         0       1000          1\n"
					     "         1     100000      65536\n"));
	assert_false(ward_uid_map_is_initial("0 0 4294967295\n1 1 1\n"));
	assert_false(ward_uid_map_is_initial(""));
	assert_false(ward_uid_map_is_initial(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_systemd_paths),
		cmocka_unit_test(test_systemd_paths_refused),
		cmocka_unit_test(test_uid_map_initial),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
