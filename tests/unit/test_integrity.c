/* The integrity layer's formats: IMA's template data, the binary and ascii
 * records, PCR 10 arithmetic, lists on disk (checked by evmctl too, when
 * the host has it). */
#include "unit.h"

#include <endian.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "integrity/integrity.h"
#include "util/cleanup.h"
#include "util/fs.h"

static void md(const char *name, const void *d, size_t n, uint8_t *out)
{
	unsigned int len;
	assert_int_equal(EVP_Digest(d, n, out, &len, EVP_get_digestbyname(name), NULL), 1);
}

static struct ward_ima_entry file_entry(const char *path, const char *content)
{
	struct ward_ima_entry e = {.tmpl = WARD_IMA_NG, .algo = "sha256", .name = path,
				   .digest_len = WARD_SHA256_LEN};
	md("sha256", content, strlen(content), e.digest);
	return e;
}

static uint32_t u32_at(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return le32toh(v);
}

static void test_ima_ng_layout(void **state)
{
	(void)state;
	struct ward_ima_entry e = file_entry("/bin/x", "hello");
	struct ward_ima_record r;
	ward_err err = {0};
	assert_int_equal(ward_ima_record_make(&e, &r, &err), 0);
	/* pcr, sha1, name len, "ima-ng", data len, data */
	const uint8_t *b = r.binary;
	assert_int_equal(u32_at(b), 10);
	assert_int_equal(u32_at(b + 24), 6);
	assert_memory_equal(b + 28, "ima-ng", 6);
	uint32_t dlen = u32_at(b + 34);
	const uint8_t *d = b + 38;
	assert_int_equal(r.binary_len, 38 + dlen);
	/* d-ng: 40 = "sha256:" NUL digest; n-ng: "/bin/x" NUL */
	assert_int_equal(dlen, 4 + 40 + 4 + 7);
	assert_int_equal(u32_at(d), 40);
	assert_memory_equal(d + 4, "sha256:\0", 8);
	assert_memory_equal(d + 12, e.digest, 32);
	assert_int_equal(u32_at(d + 44), 7);
	assert_memory_equal(d + 48, "/bin/x\0", 7);
	/* the template digests are of the data, as the list carries it */
	uint8_t s1[20], s256[32];
	md("sha1", d, dlen, s1);
	md("sha256", d, dlen, s256);
	assert_memory_equal(b + 4, s1, 20);
	assert_memory_equal(r.sha1, s1, 20);
	assert_memory_equal(r.sha256, s256, 32);
	ward_ima_record_free(&r);
}

static void test_ascii_line(void **state)
{
	(void)state;
	struct ward_ima_entry e = file_entry("/usr/bin/a b\nc", "x");
	e.tmpl = WARD_IMA_SIG;
	uint8_t sig[] = {0x03, 0x02, 0x04};
	e.extra = sig;
	e.extra_len = sizeof(sig);
	struct ward_ima_record r;
	ward_err err = {0};
	assert_int_equal(ward_ima_record_make(&e, &r, &err), 0);
	char t[41], dg[65], want[512];
	ward_hex(r.sha1, 20, t);
	ward_hex(e.digest, 32, dg);
	/* spaces and control characters of the name become '_' */
	snprintf(want, sizeof(want), "10 %s ima-sig sha256:%s /usr/bin/a_b_c 030204\n", t, dg);
	assert_string_equal(r.ascii, want);
	assert_int_equal(r.ascii_len, strlen(want));
	ward_ima_record_free(&r);
	/* ima-sig without a signature: an empty field, a trailing space (IMA's). */
	e.extra = NULL;
	e.extra_len = 0;
	assert_int_equal(ward_ima_record_make(&e, &r, &err), 0);
	assert_non_null(strstr(r.ascii, "/usr/bin/a_b_c \n"));
	ward_ima_record_free(&r);
}

static void test_violation_extends_ones(void **state)
{
	(void)state;
	struct ward_ima_entry e = file_entry("/tmp/x", "");
	e.violation = true;
	struct ward_ima_record r;
	ward_err err = {0};
	assert_int_equal(ward_ima_record_make(&e, &r, &err), 0);
	static const uint8_t zero[20];
	assert_memory_equal(r.binary + 4, zero, 20);
	/* no digest bytes in d-ng */
	assert_int_equal(u32_at(r.binary + 38), 8);
	struct ward_pcr p;
	memset(&p, 0, sizeof(p));
	ward_pcr_extend(&p, &r);
	uint8_t in[64], want[32];
	memset(in, 0, 32);
	memset(in + 32, 0xff, 32);
	md("sha256", in, 64, want);
	assert_memory_equal(p.sha256, want, 32);
	uint8_t in1[40], want1[20];
	memset(in1, 0, 20);
	memset(in1 + 20, 0xff, 20);
	md("sha1", in1, 40, want1);
	assert_memory_equal(p.sha1, want1, 20);
	ward_ima_record_free(&r);
}

static void test_extend_and_replay_agree(void **state)
{
	(void)state;
	struct ward_pcr p;
	memset(&p, 0, sizeof(p));
	uint8_t *all = NULL;
	size_t all_len = 0;
	const char *names[] = {"boot_aggregate", "/bin/sh", "/lib/libc.so.6", "/bin/true"};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		struct ward_ima_entry e = file_entry(names[i], names[i]);
		e.violation = i == 2;
		struct ward_ima_record r;
		ward_err err = {0};
		assert_int_equal(ward_ima_record_make(&e, &r, &err), 0);
		/* the extension by hand, bank by bank */
		uint8_t in[64], before[32];
		memcpy(before, p.sha256, 32);
		ward_pcr_extend(&p, &r);
		memcpy(in, before, 32);
		if (e.violation)
			memset(in + 32, 0xff, 32);
		else
			memcpy(in + 32, r.sha256, 32);
		uint8_t want[32];
		md("sha256", in, 64, want);
		assert_memory_equal(p.sha256, want, 32);
		all = realloc(all, all_len + r.binary_len);
		memcpy(all + all_len, r.binary, r.binary_len);
		all_len += r.binary_len;
		ward_ima_record_free(&r);
	}
	struct ward_pcr q;
	size_t n;
	ward_err err = {0};
	assert_int_equal(ward_ima_replay(all, all_len, &q, &n, &err), 0);
	assert_int_equal(n, 4);
	assert_memory_equal(&p, &q, sizeof(p));
	/* a record cut short is refused, with where */
	assert_int_equal(ward_ima_replay(all, all_len - 3, &q, &n, &err), -1);
	assert_non_null(strstr(err.msg, "record 4"));
	/* a tampered record no longer matches its template digest */
	all[all_len - 2] ^= 1;
	assert_int_equal(ward_ima_replay(all, all_len, &q, &n, &err), -1);
	assert_non_null(strstr(err.msg, "template digest"));
	free(all);
}

static bool evmctl_present(void)
{
	return access("/usr/bin/evmctl", X_OK) == 0;
}

/* The list as a directory on disk, then read by the kernel tools' verifier. */
static void test_list_on_disk_and_evmctl(void **state)
{
	(void)state;
	char dir[] = "/tmp/ward-unit-mlist.XXXXXX";
	assert_non_null(mkdtemp(dir));
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct ward_mlist l;
	ward_err err = {0};
	assert_int_equal(ward_mlist_open(&l, dfd, true, false, (gid_t)-1, &err), 0);
	assert_int_equal(ward_mlist_init(&l, &err), 0);
	const char *names[] = {"boot_aggregate", "/bin/busybox", "/lib/x.so"};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		struct ward_ima_entry e = file_entry(names[i], names[i]);
		e.tmpl = WARD_IMA_SIG;
		assert_int_equal(ward_mlist_append(&l, &e, &err), 0);
	}
	struct ward_pcr p;
	uint64_t count;
	assert_int_equal(ward_mlist_read_pcr(dfd, &p, &count, NULL, &err), 0);
	assert_int_equal(count, 3);
	assert_memory_equal(&p, &l.pcr, sizeof(p));
	ward_mlist_close(&l);
	/* the list replays to the PCR the file records */
	_cleanup_free_ char *bin = NULL;
	size_t len;
	assert_int_equal(ward_read_file_at(dfd, "ima/binary_runtime_measurements", &bin, &len, &err),
			 0);
	struct ward_pcr q;
	size_t n;
	assert_int_equal(ward_ima_replay((uint8_t *)bin, len, &q, &n, &err), 0);
	assert_memory_equal(&p, &q, sizeof(p));
	if (evmctl_present()) {
		/* evmctl --pcrs reads "PCR-NN: hex" lines in order from PCR-00. */
		char pcrs[512], cmd[1024], hex[65];
		snprintf(pcrs, sizeof(pcrs), "%s/pcrs", dir);
		FILE *f = fopen(pcrs, "w");
		ward_hex(p.sha256, 32, hex);
		for (int i = 0; i < 10; i++)
			fprintf(f, "PCR-%02d: %064d\n", i, 0);
		fprintf(f, "PCR-10: %s\n", hex);
		fclose(f);
		snprintf(cmd, sizeof(cmd),
			 "evmctl ima_measurement --pcrs sha256,%s %s/ima/binary_runtime_measurements "
			 "2>&1 | grep -q 'Matched per TPM bank'",
			 pcrs, dir);
		assert_int_equal(system(cmd), 0);
		/* and a wrong PCR is not accepted */
		f = fopen(pcrs, "w");
		for (int i = 0; i < 10; i++)
			fprintf(f, "PCR-%02d: %064d\n", i, 0);
		hex[0] = hex[0] == '0' ? '1' : '0';
		fprintf(f, "PCR-10: %s\n", hex);
		fclose(f);
		assert_int_not_equal(system(cmd), 0);
	}
	ward_err ignored;
	int root = open("/", O_RDONLY | O_DIRECTORY);
	if (!getenv("KEEP")) ward_rm_rf_at(root, dir + 1, &ignored);
	close(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ima_ng_layout),
		cmocka_unit_test(test_ascii_line),
		cmocka_unit_test(test_violation_extends_ones),
		cmocka_unit_test(test_extend_and_replay_agree),
		cmocka_unit_test(test_list_on_disk_and_evmctl),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
