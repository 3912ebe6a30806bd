/* The integrity layer's formats: IMA's template data, the binary and ascii
 * records, PCR 10 arithmetic, lists on disk (checked by evmctl too, when
 * the host has it). */
#include "unit.h"

#include <endian.h>
#include <ctype.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include "integrity/crypto_dl.h"
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
	struct ward_ima_entry e = {
	    .tmpl = WARD_IMA_NG, .algo = "sha256", .name = path, .digest_len = WARD_SHA256_LEN};
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
	assert_int_equal(
	    ward_read_file_at(dfd, "ima/binary_runtime_measurements", &bin, &len, &err), 0);
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
		snprintf(
		    cmd, sizeof(cmd),
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
	if (!getenv("KEEP"))
		ward_rm_rf_at(root, dir + 1, &ignored);
	close(root);
}

/* ---- config ---- */

static int conf_of(const char *json, struct ward_integrity_conf *c, ward_err *err)
{
	char *t = unit_json(json);
	json_t *j = json_loads(t, 0, NULL);
	free(t);
	assert_non_null(j);
	int r = ward_integrity_conf_parse(j, "config.json", c, err);
	json_decref(j);
	return r;
}

static void test_conf_smallest_and_defaults(void **state)
{
	(void)state;
	struct ward_integrity_conf c;
	ward_err err = {0};
	assert_int_equal(conf_of("{'linux': {'integrity': {'mode': 'measure'}}}", &c, &err), 0);
	assert_true(c.present);
	assert_int_equal(c.mode, WARD_INTEGRITY_MEASURE);
	assert_true(c.libraries);
	assert_int_equal(c.timeout_s, 10);
	assert_string_equal(c.list_path, "/sys/kernel/security");
	assert_false(c.locked || c.keep || c.freeze_on_loss || c.children_all);
	ward_integrity_conf_release(&c);
	/* nothing asked: off, not present */
	assert_int_equal(conf_of("{'linux': {}}", &c, &err), 0);
	assert_false(c.present);
	assert_int_equal(c.mode, WARD_INTEGRITY_OFF);
	ward_integrity_conf_release(&c);
}

static void test_conf_every_field(void **state)
{
	(void)state;
	struct ward_integrity_conf c;
	ward_err err = {0};
	assert_int_equal(
	    conf_of("{'linux': {'integrity': {'mode': 'appraise-enforce', "
		    "'keys': ['/k/a.pem', '/k/b.der'], 'allowList': '/a', "
		    "'signatures': '/s', 'libraries': false, 'logChildren': 'all', "
		    "'locked': true, 'keep': true, 'listPath': '', 'timeoutSeconds': 30, "
		    "'onMonitorLoss': 'freeze'}}}",
		    &c, &err),
	    0);
	assert_int_equal(c.mode, WARD_INTEGRITY_ENFORCE);
	assert_int_equal(c.n_keys, 2);
	assert_string_equal(c.keys[1], "/k/b.der");
	assert_string_equal(c.allow_list, "/a");
	assert_string_equal(c.signatures, "/s");
	assert_false(c.libraries);
	assert_true(c.children_all && c.locked && c.keep && c.freeze_on_loss);
	assert_null(c.list_path);
	assert_int_equal(c.timeout_s, 30);
	ward_integrity_conf_release(&c);
}

static void test_conf_errors_name_the_field(void **state)
{
	(void)state;
	static const struct {
		const char *json, *msg;
	} cases[] = {
	    {"{'linux': {'integrity': {'mode': 'foo'}}}",
	     "config.json: linux.integrity.mode: unknown mode \"foo\" (known: off, measure, "
	     "appraise-log, appraise-enforce)"},
	    {"{'linux': {'integrity': {'mdoe': 'measure'}}}",
	     "config.json: linux.integrity.mdoe: unknown field"},
	    {"{'linux': {'integrity': {'keys': ['rel.pem']}}}",
	     "config.json: linux.integrity.keys[0]: \"rel.pem\" is not an absolute path"},
	    {"{'linux': {'integrity': {'keys': [1]}}}",
	     "config.json: linux.integrity.keys[0]: must be a string"},
	    {"{'linux': {'integrity': {'libraries': 'yes'}}}",
	     "config.json: linux.integrity.libraries: must be true or false"},
	    {"{'linux': {'integrity': {'timeoutSeconds': 4000}}}",
	     "config.json: linux.integrity.timeoutSeconds: \"4000\" is not a number of seconds"},
	    {"{'linux': {'integrity': {'onMonitorLoss': 'ignore'}}}",
	     "config.json: linux.integrity.onMonitorLoss: unknown value \"ignore\" (known: kill, "
	     "freeze)"},
	    {"{'linux': {'integrity': {'mode': 'appraise-log'}}}",
	     "config.json: linux.integrity: mode \"appraise-log\" needs keys or an allowList"},
	    {"{'linux': {'integrity': {'signatures': '/s'}}}",
	     "config.json: linux.integrity.signatures: detached signatures need keys"},
	    {"{'linux': {'integrity': []}}", "config.json: linux.integrity: must be an object"},
	    {"{'annotations': {'org.ward.integrity.mode': 'x'}}",
	     "config.json: annotations.org.ward.integrity.mode: unknown mode \"x\""},
	    {"{'annotations': {'org.ward.integrity.nope': 'x'}}",
	     "config.json: annotations.org.ward.integrity.nope: unknown setting"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct ward_integrity_conf c;
		ward_err err = {0};
		assert_int_equal(conf_of(cases[i].json, &c, &err), -1);
		if (strncmp(err.msg, cases[i].msg, strlen(cases[i].msg)) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s...\"", i, err.msg, cases[i].msg);
		ward_integrity_conf_release(&c);
	}
}

static void test_conf_annotations(void **state)
{
	(void)state;
	struct ward_integrity_conf c;
	ward_err err = {0};
	/* annotations alone turn it on; lists comma-separated */
	assert_int_equal(conf_of("{'annotations': {'org.ward.integrity.mode': 'appraise-log', "
				 "'org.ward.integrity.keys': '/a.pem,/b.pem', "
				 "'org.ward.integrity.libraries': 'false'}}",
				 &c, &err),
			 0);
	assert_true(c.present);
	assert_int_equal(c.mode, WARD_INTEGRITY_APPRAISE_LOG);
	assert_int_equal(c.n_keys, 2);
	assert_false(c.libraries);
	ward_integrity_conf_release(&c);
	/* the config's own field wins over an annotation */
	assert_int_equal(conf_of("{'linux': {'integrity': {'mode': 'measure'}}, "
				 "'annotations': {'org.ward.integrity.mode': 'off', "
				 "'org.ward.integrity.timeoutSeconds': '7'}}",
				 &c, &err),
			 0);
	assert_int_equal(c.mode, WARD_INTEGRITY_MEASURE);
	assert_int_equal(c.timeout_s, 7);
	ward_integrity_conf_release(&c);
}

static void test_conf_policy_only(void **state)
{
	(void)state;
	struct ward_integrity_conf c;
	ward_integrity_conf_init(&c);
	ward_err err = {0};
	json_t *p = json_pack("{s:s, s:b}", "mode", "measure", "keep", 1);
	assert_int_equal(ward_integrity_conf_object(&c, p, "policy", true, &err), -1);
	assert_string_equal(err.msg, "policy.keep: a container setting, not part of a policy");
	json_decref(p);
	ward_integrity_conf_release(&c);
}

/* ---- keys and signatures ---- */

static EVP_PKEY *ec_key(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	assert_non_null(k);
	return k;
}

/* A certificate for key, signed by (issuer, issuer_key), or self-signed. */
static X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key,
		       const char *usage)
{
	X509 *x = X509_new();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1 + (long)(random() % 100000));
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	X509_NAME *n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	const char *exts[][2] = {{"basicConstraints", issuer ? "CA:FALSE" : "critical,CA:TRUE"},
				 {"keyUsage", usage},
				 {"subjectKeyIdentifier", "hash"}};
	for (size_t i = 0; i < ARRAY_SIZE(exts); i++) {
		X509_EXTENSION *e = X509V3_EXT_conf(NULL, &ctx, exts[i][0], exts[i][1]);
		assert_non_null(e);
		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
	}
	assert_true(X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) > 0);
	return x;
}

static void write_pem(const char *path, X509 *x)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	PEM_write_X509(f, x);
	fclose(f);
}

struct pki {
	char dir[64], ca[128], leaf[128], rogue[128], causage[128];
	EVP_PKEY *ca_key, *leaf_key;
	X509 *leaf_cert;
};

static void make_pki(struct pki *p)
{
	snprintf(p->dir, sizeof(p->dir), "/tmp/ward-unit-pki.XXXXXX");
	assert_non_null(mkdtemp(p->dir));
	snprintf(p->ca, sizeof(p->ca), "%s/ca.pem", p->dir);
	snprintf(p->leaf, sizeof(p->leaf), "%s/leaf.pem", p->dir);
	snprintf(p->rogue, sizeof(p->rogue), "%s/rogue.pem", p->dir);
	snprintf(p->causage, sizeof(p->causage), "%s/causage.pem", p->dir);
	p->ca_key = ec_key();
	p->leaf_key = ec_key();
	X509 *ca = make_cert(p->ca_key, "unit CA", NULL, NULL, "critical,keyCertSign");
	p->leaf_cert =
	    make_cert(p->leaf_key, "unit signer", ca, p->ca_key, "critical,digitalSignature");
	EVP_PKEY *rk = ec_key();
	X509 *rogue = make_cert(rk, "rogue", NULL, NULL, "critical,digitalSignature");
	X509 *cu = make_cert(rk, "not a signer", ca, p->ca_key, "critical,keyEncipherment");
	write_pem(p->ca, ca);
	write_pem(p->leaf, p->leaf_cert);
	write_pem(p->rogue, rogue);
	write_pem(p->causage, cu);
	X509_free(ca);
	X509_free(rogue);
	X509_free(cu);
	EVP_PKEY_free(rk);
}

static void free_pki(struct pki *p)
{
	const char *files[] = {p->ca, p->leaf, p->rogue, p->causage};
	for (size_t i = 0; i < ARRAY_SIZE(files); i++)
		unlink(files[i]);
	rmdir(p->dir);
	EVP_PKEY_free(p->ca_key);
	EVP_PKEY_free(p->leaf_key);
	X509_free(p->leaf_cert);
}

/* The xattr value evmctl ima_sign writes for digest. */
static size_t make_xattr(EVP_PKEY *key, uint32_t keyid, const uint8_t *digest, uint8_t *out)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
	size_t len = 512;
	assert_int_equal(EVP_PKEY_sign_init(ctx), 1);
	assert_int_equal(EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()), 1);
	assert_int_equal(EVP_PKEY_sign(ctx, out + 9, &len, digest, 32), 1);
	EVP_PKEY_CTX_free(ctx);
	out[0] = 0x03;
	out[1] = 2;
	out[2] = 4;
	uint32_t k = htonl(keyid);
	uint16_t sz = htons((uint16_t)len);
	memcpy(out + 3, &k, 4);
	memcpy(out + 7, &sz, 2);
	return 9 + len;
}

static void test_keys_chain_and_ids(void **state)
{
	(void)state;
	struct pki p;
	make_pki(&p);
	char *ca_paths[] = {p.ca};
	X509_STORE *ca = NULL;
	ward_err err = {0};
	assert_int_equal(ward_ima_ca_load(ca_paths, 1, &ca, &err), 0);
	struct ward_ima_key k;
	assert_int_equal(ward_ima_key_load(p.leaf, ca, &k, &err), 0);
	/* evmctl's key ID: the last 4 bytes of SHA-1 of the public key bits */
	const ASN1_BIT_STRING *bits = X509_get0_pubkey_bitstr(p.leaf_cert);
	uint8_t sha1[20];
	SHA1(bits->data, (size_t)bits->length, sha1);
	assert_int_equal(k.keyid, (uint32_t)sha1[16] << 24 | (uint32_t)sha1[17] << 16 |
				      (uint32_t)sha1[18] << 8 | sha1[19]);
	assert_true(k.has_skid);
	assert_string_equal(k.subject, "/CN=unit signer");
	assert_true(k.der_len > 100);
	ward_ima_key_release(&k);
	/* not certified by the host's CA */
	assert_int_equal(ward_ima_key_load(p.rogue, ca, &k, &err), -1);
	assert_non_null(strstr(err.msg, "not certified by a CA the host trusts"));
	/* without a host CA, any well-formed signing key is taken */
	assert_int_equal(ward_ima_key_load(p.rogue, NULL, &k, &err), 0);
	ward_ima_key_release(&k);
	/* a certificate that may not sign */
	assert_int_equal(ward_ima_key_load(p.causage, ca, &k, &err), -1);
	assert_non_null(strstr(err.msg, "does not allow digital signatures"));
	/* not a certificate at all */
	assert_int_equal(ward_ima_key_load(p.dir, ca, &k, &err), -1);
	X509_STORE_free(ca);
	free_pki(&p);
}

static void test_signature_verify_and_parse_errors(void **state)
{
	(void)state;
	struct pki p;
	make_pki(&p);
	ward_err err = {0};
	struct ward_ima_keyring ring;
	char *paths[] = {p.leaf};
	assert_int_equal(ward_ima_keyring_load(&ring, paths, 1, NULL, "keys", &err), 0);
	uint8_t digest[32], v[600];
	ward_sha256("content", 7, digest);
	size_t n = make_xattr(p.leaf_key, ring.keys[0].keyid, digest, v);
	struct ward_ima_sig sig;
	assert_int_equal(ward_ima_sig_parse(v, n, &sig, &err), 0);
	assert_int_equal(sig.hash_algo, 4);
	const struct ward_ima_key *key = ward_ima_keyring_find(&ring, sig.keyid);
	assert_non_null(key);
	assert_true(ward_ima_sig_verify(key, &sig, digest, 32));
	digest[0] ^= 1;
	assert_false(ward_ima_sig_verify(key, &sig, digest, 32));
	assert_null(ward_ima_keyring_find(&ring, sig.keyid ^ 1));
	/* malformed values */
	uint8_t bad[600];
	memcpy(bad, v, n);
	assert_int_equal(ward_ima_sig_parse(bad, n - 1, &sig, &err), -1);
	assert_non_null(strstr(err.msg, "does not match"));
	bad[1] = 1;
	assert_int_equal(ward_ima_sig_parse(bad, n, &sig, &err), -1);
	assert_non_null(strstr(err.msg, "version 1"));
	bad[1] = 2;
	bad[2] = 2; /* sha1 */
	assert_int_equal(ward_ima_sig_parse(bad, n, &sig, &err), -1);
	assert_non_null(strstr(err.msg, "unsupported hash algorithm 2"));
	uint8_t digest_only[] = {0x04, 0x04, 1, 2, 3};
	assert_int_equal(ward_ima_sig_parse(digest_only, sizeof(digest_only), &sig, &err), -1);
	assert_non_null(strstr(err.msg, "bare digest"));
	assert_int_equal(ward_ima_sig_parse(v, 5, &sig, &err), -1);
	ward_ima_keyring_release(&ring);
	free_pki(&p);
}

/* ---- allow-list, detached signatures, cache ---- */

static void test_allowlist(void **state)
{
	(void)state;
	uint8_t a[32], b[32], c[32];
	ward_sha256("a", 1, a);
	ward_sha256("b", 1, b);
	ward_sha256("c", 1, c);
	char ha[65], hb[65], text[512];
	ward_hex(a, 32, ha);
	ward_hex(b, 32, hb);
	for (int i = 0; i < 64; i++)
		hb[i] = (char)toupper((unsigned char)hb[i]);
	snprintf(text, sizeof(text), "# made with sha256sum\n\n%s  bin/a\n%s *bin/b\r\n", ha, hb);
	struct ward_allowlist l;
	ward_err err = {0};
	assert_int_equal(ward_allowlist_parse(text, strlen(text), "allow", &l, &err), 0);
	assert_int_equal(l.n, 2);
	assert_true(ward_allowlist_has(&l, a));
	assert_true(ward_allowlist_has(&l, b));
	assert_false(ward_allowlist_has(&l, c));
	ward_allowlist_release(&l);
	snprintf(text, sizeof(text), "%s\n%.60s\n", ha, ha);
	assert_int_equal(ward_allowlist_parse(text, strlen(text), "allow", &l, &err), -1);
	assert_string_equal(err.msg, "allow: line 2: not a sha256 digest (64 hex digits)");
	snprintf(text, sizeof(text), "%sx\n", ha);
	assert_int_equal(ward_allowlist_parse(text, strlen(text), "allow", &l, &err), -1);
	assert_non_null(strstr(err.msg, "line 1: a digest must be followed"));
}

static void test_manifest(void **state)
{
	(void)state;
	const char *text = "# file: ./usr/bin/env\n"
			   "security.ima=0x030204aabb\n"
			   "user.other=\"x\"\n"
			   "\n"
			   "# file: /bin/with\\040space\n"
			   "security.ima=0sAwIE\n"
			   "# file: bin/back\\\\slash\n"
			   "security.ima=0x0302\n";
	struct ward_manifest m;
	ward_err err = {0};
	assert_int_equal(ward_manifest_parse(text, strlen(text), "sigs", &m, &err), 0);
	assert_int_equal(m.n, 3);
	const struct ward_manifest_entry *e = ward_manifest_find(&m, "/usr/bin/env");
	assert_non_null(e);
	assert_int_equal(e->sig_len, 5);
	assert_int_equal(e->sig[4], 0xbb);
	e = ward_manifest_find(&m, "/bin/with space");
	assert_non_null(e);
	assert_int_equal(e->sig_len, 3); /* base64 "AwIE" = 03 02 04 */
	assert_int_equal(e->sig[2], 4);
	assert_non_null(ward_manifest_find(&m, "/bin/back\\slash"));
	assert_null(ward_manifest_find(&m, "/usr/bin/other"));
	ward_manifest_release(&m);
	static const char *const bad[][2] = {
	    {"security.ima=0x03\n", "sigs: line 1: security.ima before any"},
	    {"# file: a\nsecurity.ima=0x0g\n", "sigs: line 2: the value is neither hex"},
	    {"# file: a\nsecurity.ima=0x\n", "sigs: line 2:"},
	    {"# file: \n", "sigs: line 1: an empty file name"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(
		    ward_manifest_parse(bad[i][0], strlen(bad[i][0]), "sigs", &m, &err), -1);
		if (strncmp(err.msg, bad[i][1], strlen(bad[i][1])) != 0)
			fail_msg("case %zu: %s", i, err.msg);
	}
}

static void test_cache(void **state)
{
	(void)state;
	struct ward_cache c;
	ward_cache_init(&c);
	struct ward_cookie k = {.dev = 8,
				.ino = 42,
				.ctime_sec = 1,
				.ctime_nsec = 2,
				.mtime_sec = 3,
				.mtime_nsec = 4,
				.size = 5};
	assert_null(ward_cache_find(&c, &k));
	struct ward_verdict *v = ward_cache_put(&c, &k);
	assert_non_null(v);
	v->ok = true;
	assert_ptr_equal(ward_cache_find(&c, &k), v);
	/* the same inode changed: no verdict, and put replaces it */
	struct ward_cookie changed = k;
	changed.ctime_nsec++;
	assert_null(ward_cache_find(&c, &changed));
	struct ward_verdict *w = ward_cache_put(&c, &changed);
	assert_false(w->ok);
	assert_int_equal(c.n, 1);
	assert_null(ward_cache_find(&c, &k));
	/* many files: bounded, always answers for the latest */
	for (uint64_t i = 0; i < 100000; i++) {
		struct ward_cookie x = k;
		x.ino = 1000 + i;
		assert_non_null(ward_cache_put(&c, &x));
		assert_non_null(ward_cache_find(&c, &x));
	}
	assert_true(c.cap <= 65536 && c.n <= c.cap / 2 + 1);
	ward_cache_release(&c);
}

/* First of all tests: nothing has loaded libcrypto yet. Parsing a config
 * needs none; the first record does, and loads it through the table. */
static void test_crypto_loaded_on_first_use(void **state)
{
	(void)state;
	assert_false(ward_crypto_loaded());
	json_t *cfg = json_pack("{s:{s:{s:s}}}", "linux", "integrity", "mode", "measure");
	struct ward_integrity_conf c;
	ward_err err = {0};
	assert_int_equal(ward_integrity_conf_parse(cfg, "config.json", &c, &err), 0);
	ward_integrity_conf_release(&c);
	json_decref(cfg);
	assert_false(ward_crypto_loaded());
	struct ward_ima_entry e = file_entry("/bin/x", "x");
	struct ward_ima_record r;
	assert_int_equal(ward_ima_record_make(&e, &r, &err), 0);
	ward_ima_record_free(&r);
	assert_true(ward_crypto_loaded());
	/* The table calls the library the test links: SHA-1("abc"), FIPS 180's example. */
	uint8_t d[SHA_DIGEST_LENGTH];
	ward_ossl.SHA1((const unsigned char *)"abc", 3, d);
	char hex[2 * SHA_DIGEST_LENGTH + 1];
	ward_hex(d, sizeof(d), hex);
	assert_string_equal(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
}

static void test_crypto_missing_library_or_symbol(void **state)
{
	(void)state;
	struct ward_crypto_table t;
	ward_err err = {0};
	assert_int_equal(ward_crypto_open("libward-none.so.9", &t, &err), -1);
	assert_non_null(strstr(err.msg, "libward-none.so.9 (OpenSSL 3, Debian package libssl3) "
					"cannot be loaded: "));
	assert_non_null(strstr(err.msg, "No such file"));
	/* A library that is there but is not libcrypto: the first function of
	 * the table (BIO_ctrl) is missing, and named. */
	ward_err_clear(&err);
	assert_int_equal(ward_crypto_open("libjansson.so.4", &t, &err), -1);
	assert_non_null(strstr(err.msg, "libjansson.so.4 ("));
	assert_non_null(strstr(err.msg, ") is not OpenSSL 3's libcrypto: no function BIO_ctrl"));
	/* The real one resolves every function; the table in use is unchanged. */
	ward_err_clear(&err);
	assert_int_equal(ward_crypto_open(WARD_LIBCRYPTO, &t, &err), 0);
	assert_ptr_equal(t.X509_verify_cert, ward_ossl.X509_verify_cert);
	assert_ptr_equal(t.EVP_sha256, &EVP_sha256);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_crypto_loaded_on_first_use), /* first: nothing loaded yet */
	    cmocka_unit_test(test_crypto_missing_library_or_symbol),
	    cmocka_unit_test(test_ima_ng_layout),
	    cmocka_unit_test(test_ascii_line),
	    cmocka_unit_test(test_violation_extends_ones),
	    cmocka_unit_test(test_extend_and_replay_agree),
	    cmocka_unit_test(test_list_on_disk_and_evmctl),
	    cmocka_unit_test(test_conf_smallest_and_defaults),
	    cmocka_unit_test(test_conf_every_field),
	    cmocka_unit_test(test_conf_errors_name_the_field),
	    cmocka_unit_test(test_conf_annotations),
	    cmocka_unit_test(test_conf_policy_only),
	    cmocka_unit_test(test_keys_chain_and_ids),
	    cmocka_unit_test(test_signature_verify_and_parse_errors),
	    cmocka_unit_test(test_allowlist),
	    cmocka_unit_test(test_manifest),
	    cmocka_unit_test(test_cache),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
