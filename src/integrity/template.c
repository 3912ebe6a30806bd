/* IMA's measurement templates, byte for byte, so that the kernel's own
 * tools read ward's lists unchanged (evmctl ima_measurement, keylime):
 *
 *   template data  = for each field: u32 length || bytes
 *     d-ng  "sha256" ':' '\0' digest      (a violation: no digest bytes)
 *     n-ng  name '\0'                     (spaces become '_', as IMA does)
 *     sig   security.ima value, or empty  (ima-sig)
 *     buf   the measured buffer           (ima-buf)
 *   binary record  = u32 pcr || sha1(template data) || u32 name length ||
 *                    template name || u32 data length || template data
 *   ascii line     = "10 <sha1 hex> <template> sha256:<hex> <name>[ <hex>]"
 *   PCR extend     = bank = H_bank(bank || H_bank(template data))
 *
 * Integers are little-endian: what IMA writes on x86 and with
 * ima_canonical_fmt everywhere. Besides spaces, ward also turns control
 * characters of a name into '_' (IMA keeps them): a file name with a newline
 * must not forge a line of the ascii list. */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/cleanup.h"
#include "../util/sha256.h"
#include "crypto_dl.h"
#include "integrity.h"

const char *ward_ima_template_name(enum ward_ima_template t)
{
	static const char *const names[] = {"ima-ng", "ima-sig", "ima-buf"};
	return t <= WARD_IMA_BUF ? names[t] : "?";
}

int ward_unhex(const char *hex, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int v[2];
		for (int k = 0; k < 2; k++) {
			char c = hex[2 * i + (size_t)k];
			v[k] = c >= '0' && c <= '9'   ? c - '0'
			       : c >= 'a' && c <= 'f' ? c - 'a' + 10
						      : -1;
			if (v[k] < 0)
				return -1;
		}
		out[i] = (uint8_t)(v[0] << 4 | v[1]);
	}
	return hex[2 * n] == '\0' ? 0 : -1;
}

void ward_hex(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static void digest(const char *md, const void *data, size_t len, uint8_t *out)
{
	unsigned int n = 0;
	ward_ossl.EVP_Digest(data, len, out, &n, ward_ossl.EVP_get_digestbyname(md), NULL);
}

/* ward's own SHA-256: callers (the policy and key records) need no libcrypto. */
void ward_sha256(const void *data, size_t len, uint8_t out[WARD_SHA256_LEN])
{
	struct ward_sha256 s;
	ward_sha256_init(&s);
	ward_sha256_update(&s, data, len);
	ward_sha256_final(&s, out);
}

/* A growing byte buffer. */
struct buf {
	uint8_t *p;
	size_t len, cap;
	bool failed;
};

static void put(struct buf *b, const void *data, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 256;
		while (cap < b->len + n)
			cap *= 2;
		uint8_t *np = realloc(b->p, cap);
		if (!np) {
			b->failed = true;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->len, data, n);
	b->len += n;
}

static void put_u32(struct buf *b, uint32_t v)
{
	uint32_t le = htole32(v);
	put(b, &le, sizeof(le));
}

static void put_field(struct buf *b, const void *data, size_t n)
{
	put_u32(b, (uint32_t)n);
	put(b, data, n);
}

/* IMA's event name: spaces (and, in ward, control characters) as '_'. */
static char *clean_name(const char *name)
{
	char *s = strndup(name ? name : "", WARD_IMA_NAME_MAX);
	for (char *c = s; c && *c; c++)
		if (*c == ' ' || (unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '_';
	return s;
}

static int template_data(const struct ward_ima_entry *e, const char *name, struct buf *d)
{
	/* d-ng: "algo:" '\0' digest */
	uint8_t dng[16 + WARD_DIGEST_MAX];
	size_t alen = strlen(e->algo);
	if (alen > 14 || e->digest_len > WARD_DIGEST_MAX)
		return -1;
	memcpy(dng, e->algo, alen);
	dng[alen] = ':';
	dng[alen + 1] = '\0';
	size_t dlen = alen + 2;
	if (!e->violation) {
		memcpy(dng + dlen, e->digest, e->digest_len);
		dlen += e->digest_len;
	}
	put_field(d, dng, dlen);
	put_field(d, name, strlen(name) + 1);
	if (e->tmpl != WARD_IMA_NG)
		put_field(d, e->extra, e->extra ? e->extra_len : 0);
	return d->failed ? -1 : 0;
}

static void ascii_line(const struct ward_ima_entry *e, const char *name,
		       const struct ward_ima_record *r, struct buf *a)
{
	char hex[2 * WARD_DIGEST_MAX + 1];
	char head[128];
	ward_hex(r->sha1, WARD_SHA1_LEN, hex);
	int n = snprintf(head, sizeof(head), "%2d %s %s %s:", WARD_IMA_PCR, hex,
			 ward_ima_template_name(e->tmpl), e->algo);
	put(a, head, (size_t)n);
	if (!e->violation) {
		ward_hex(e->digest, e->digest_len, hex);
		put(a, hex, strlen(hex));
	}
	put(a, " ", 1);
	put(a, name, strlen(name));
	if (e->tmpl != WARD_IMA_NG) {
		put(a, " ", 1);
		for (size_t i = 0; e->extra && i < e->extra_len; i++) {
			char h[3];
			ward_hex(e->extra + i, 1, h);
			put(a, h, 2);
		}
	}
	put(a, "\n", 2); /* with the NUL, not counted */
	a->len--;
}

int ward_ima_record_make(const struct ward_ima_entry *e, struct ward_ima_record *r, ward_err *err)
{
	memset(r, 0, sizeof(*r));
	if (ward_crypto_load(err) < 0)
		return -1;
	_cleanup_free_ char *name = clean_name(e->name);
	struct buf d = {0}, b = {0}, a = {0};
	if (!name || template_data(e, name, &d) < 0) {
		free(d.p);
		return ward_err_sys(err, ENOMEM, "measurement record");
	}
	r->violation = e->violation;
	if (!e->violation) {
		digest("sha1", d.p, d.len, r->sha1);
		digest("sha256", d.p, d.len, r->sha256);
	}
	const char *tname = ward_ima_template_name(e->tmpl);
	put_u32(&b, WARD_IMA_PCR);
	put(&b, r->sha1, WARD_SHA1_LEN);
	put_field(&b, tname, strlen(tname));
	put_field(&b, d.p, d.len);
	free(d.p);
	ascii_line(e, name, r, &a);
	if (b.failed || a.failed) {
		free(b.p);
		free(a.p);
		return ward_err_sys(err, ENOMEM, "measurement record");
	}
	r->binary = b.p;
	r->binary_len = b.len;
	r->ascii = (char *)a.p;
	r->ascii_len = a.len;
	return 0;
}

void ward_ima_record_free(struct ward_ima_record *r)
{
	free(r->binary);
	free(r->ascii);
	memset(r, 0, sizeof(*r));
}

static void extend_bank(const char *md, uint8_t *bank, size_t n, const uint8_t *tdigest,
			bool violation)
{
	uint8_t in[2 * WARD_SHA256_LEN];
	memcpy(in, bank, n);
	if (violation)
		memset(in + n, 0xff, n);
	else
		memcpy(in + n, tdigest, n);
	digest(md, in, 2 * n, bank);
}

void ward_pcr_extend(struct ward_pcr *p, const struct ward_ima_record *r)
{
	extend_bank("sha1", p->sha1, WARD_SHA1_LEN, r->sha1, r->violation);
	extend_bank("sha256", p->sha256, WARD_SHA256_LEN, r->sha256, r->violation);
}

static uint32_t get_u32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

int ward_ima_parse_record(const uint8_t *buf, size_t len, struct ward_ima_parsed *out, size_t *used,
			  ward_err *err)
{
	size_t off = 0;
	if (len < 4 + WARD_SHA1_LEN + 4)
		return ward_err_set(err, "truncated record header");
	out->pcr = get_u32(buf);
	memcpy(out->sha1, buf + 4, WARD_SHA1_LEN);
	off = 4 + WARD_SHA1_LEN;
	uint32_t nlen = get_u32(buf + off);
	off += 4;
	if (nlen == 0 || nlen >= sizeof(out->name) || len - off < nlen)
		return ward_err_set(err, "bad template name length %u", nlen);
	if (memchr(buf + off, '\0', nlen))
		return ward_err_set(err, "a NUL byte in the template name");
	memcpy(out->name, buf + off, nlen);
	out->name[nlen] = '\0';
	off += nlen;
	if (len - off < 4)
		return ward_err_set(err, "truncated template data length");
	out->data_len = get_u32(buf + off);
	off += 4;
	if (len - off < out->data_len)
		return ward_err_set(err, "truncated template data (%u bytes)", out->data_len);
	out->data = buf + off;
	*used = off + out->data_len;
	return 0;
}

int ward_ima_replay(const uint8_t *buf, size_t len, struct ward_pcr *pcr, size_t *count,
		    ward_err *err)
{
	static const uint8_t zero[WARD_SHA1_LEN];
	memset(pcr, 0, sizeof(*pcr));
	*count = 0;
	if (ward_crypto_load(err) < 0)
		return -1;
	for (size_t off = 0; off < len;) {
		struct ward_ima_parsed p;
		size_t used;
		if (ward_ima_parse_record(buf + off, len - off, &p, &used, err) < 0)
			return ward_err_wrap(err, "record %zu at offset %zu", *count + 1, off);
		struct ward_ima_record r = {.violation = memcmp(p.sha1, zero, WARD_SHA1_LEN) == 0};
		if (!r.violation) {
			digest("sha1", p.data, p.data_len, r.sha1);
			digest("sha256", p.data, p.data_len, r.sha256);
			if (memcmp(r.sha1, p.sha1, WARD_SHA1_LEN) != 0)
				return ward_err_set(
				    err, "record %zu: template digest does not match its data",
				    *count + 1);
		}
		ward_pcr_extend(pcr, &r);
		off += used;
		(*count)++;
	}
	return 0;
}
