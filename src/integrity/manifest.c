/* Detached signatures, for images whose layers lost their xattrs: the text
 * `getfattr -R -d -m security.ima -e hex .` prints in the signed tree
 * (setfattr --restore reads the same text back):
 *
 *   # file: usr/bin/env
 *   security.ima=0x0302046c7a...
 *
 * Names are taken relative to the container's root ("./usr/bin/env",
 * "usr/bin/env" and "/usr/bin/env" are one file), with getfattr's octal
 * escapes (\012) undone. Values may be hex (0x) or base64 (0s). Other
 * attributes in the dump are ignored. A signature found here is checked
 * like one in the xattr: its place says only which one to try. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "crypto_dl.h"
#include "integrity.h"

#define MAX_SIG 4096

static uint64_t fnv(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static const char *relative(const char *p)
{
	for (;;) {
		if (p[0] == '/')
			p++;
		else if (p[0] == '.' && p[1] == '/')
			p += 2;
		else
			return p;
	}
}

static bool octal(char c)
{
	return c >= '0' && c <= '7';
}

/* getfattr's escapes: \NNN octal, \\ a backslash. */
static char *unescape(const char *s, size_t n)
{
	char *out = malloc(n + 1), *o = out;
	for (size_t i = 0; out && i < n; i++) {
		if (s[i] == '\\' && i + 3 < n && s[i + 1] <= '3' && octal(s[i + 1]) &&
		    octal(s[i + 2]) && octal(s[i + 3])) {
			*o++ = (char)((s[i + 1] - '0') << 6 | (s[i + 2] - '0') << 3 |
				      (s[i + 3] - '0'));
			i += 3;
		} else if (s[i] == '\\' && i + 1 < n && s[i + 1] == '\\') {
			*o++ = '\\';
			i++;
		} else {
			*o++ = s[i];
		}
	}
	if (out)
		*o = '\0';
	return out;
}

static int decode_value(const char *v, size_t n, uint8_t **out, size_t *len, const char **why)
{
	*why = "the value is neither hex (0x...) nor base64 (0s...)";
	if (n < 3 || v[0] != '0')
		return -1;
	uint8_t *buf = malloc(n);
	if (!buf)
		return -1;
	size_t k = 0;
	if (v[1] == 'x' || v[1] == 'X') {
		if ((n - 2) % 2) {
			free(buf);
			return -1;
		}
		for (size_t i = 2; i < n; i += 2) {
			char h[3] = {v[i], v[i + 1], 0};
			if (!isxdigit((unsigned char)h[0]) || !isxdigit((unsigned char)h[1])) {
				free(buf);
				return -1;
			}
			buf[k++] = (uint8_t)strtoul(h, NULL, 16);
		}
	} else if (v[1] == 's') {
		int r = ward_ossl.EVP_DecodeBlock(buf, (const unsigned char *)v + 2, (int)(n - 2));
		if (r < 0 || (n - 2) % 4) {
			free(buf);
			return -1;
		}
		k = (size_t)r;
		for (size_t i = n; i > 2 && v[i - 1] == '='; i--)
			k--; /* EVP_DecodeBlock counts the padding as bytes */
	} else {
		free(buf);
		return -1;
	}
	if (k == 0 || k > MAX_SIG) {
		free(buf);
		*why = "the value is empty or too long for a signature";
		return -1;
	}
	*out = buf;
	*len = k;
	return 0;
}

static int grow(struct ward_manifest *m)
{
	size_t cap = m->cap ? m->cap * 2 : 64;
	struct ward_manifest_entry *t = calloc(cap, sizeof(*t));
	if (!t)
		return -1;
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->slots[i].path)
			continue;
		size_t j = fnv(m->slots[i].path) & (cap - 1);
		while (t[j].path)
			j = (j + 1) & (cap - 1);
		t[j] = m->slots[i];
	}
	free(m->slots);
	m->slots = t;
	m->cap = cap;
	return 0;
}

/* Insert (taking path and sig); a later entry for a name replaces an earlier one. */
static int insert(struct ward_manifest *m, char *path, uint8_t *sig, size_t len)
{
	if ((m->n + 1) * 2 > m->cap && grow(m) < 0)
		return -1;
	size_t j = fnv(path) & (m->cap - 1);
	while (m->slots[j].path && strcmp(m->slots[j].path, path) != 0)
		j = (j + 1) & (m->cap - 1);
	if (m->slots[j].path) {
		free(m->slots[j].path);
		free(m->slots[j].sig);
	} else {
		m->n++;
	}
	m->slots[j] = (struct ward_manifest_entry){path, sig, len};
	return 0;
}

static int fail(struct ward_manifest *m, ward_err *err, const char *where, size_t line,
		const char *why)
{
	ward_manifest_release(m);
	return ward_err_set(err, "%s: line %zu: %s", where, line, why);
}

int ward_manifest_parse(const char *text, size_t len, const char *where, struct ward_manifest *m,
			ward_err *err)
{
	memset(m, 0, sizeof(*m));
	if (ward_crypto_load(err) < 0) /* base64 values */
		return ward_err_wrap(err, "%s", where);
	_cleanup_free_ char *file = NULL;
	size_t lineno = 0;
	static const char key[] = "security.ima=";
	for (size_t off = 0; off < len;) {
		const char *l = text + off, *nl = memchr(l, '\n', len - off);
		size_t n = nl ? (size_t)(nl - l) : len - off;
		off += n + (nl ? 1 : 0);
		lineno++;
		while (n && l[n - 1] == '\r')
			n--;
		if (memchr(l, '\0', n))
			return fail(m, err, where, lineno, "a NUL byte");
		if (n >= 8 && memcmp(l, "# file: ", 8) == 0) {
			free(file);
			_cleanup_free_ char *raw = unescape(l + 8, n - 8);
			file = raw ? strdup(relative(raw)) : NULL;
			if (!file || !*file)
				return fail(m, err, where, lineno, "an empty file name");
		} else if (n >= sizeof(key) - 1 && memcmp(l, key, sizeof(key) - 1) == 0) {
			if (!file)
				return fail(m, err, where, lineno,
					    "security.ima before any \"# file:\" line");
			uint8_t *sig;
			size_t slen;
			const char *why;
			if (decode_value(l + sizeof(key) - 1, n - (sizeof(key) - 1), &sig, &slen,
					 &why) < 0)
				return fail(m, err, where, lineno, why);
			if (insert(m, steal_ptr(&file), sig, slen) < 0) {
				free(sig);
				return fail(m, err, where, lineno, "out of memory");
			}
		}
		/* blank lines, comments and other attributes: skipped */
	}
	return 0;
}

int ward_manifest_load(const char *path, const char *where, struct ward_manifest *m, ward_err *err)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	if (ward_integrity_read_trusted(path, &text, &len, err) < 0)
		return ward_err_wrap(err, "%s", where);
	char w[4200];
	snprintf(w, sizeof(w), "%s: %s", where, path);
	return ward_manifest_parse(text, len, w, m, err);
}

const struct ward_manifest_entry *ward_manifest_find(const struct ward_manifest *m,
						     const char *path)
{
	if (!m->n)
		return NULL;
	const char *rel = relative(path);
	size_t j = fnv(rel) & (m->cap - 1);
	for (size_t probes = 0; probes < m->cap && m->slots[j].path; probes++) {
		if (strcmp(m->slots[j].path, rel) == 0)
			return &m->slots[j];
		j = (j + 1) & (m->cap - 1);
	}
	return NULL;
}

void ward_manifest_release(struct ward_manifest *m)
{
	for (size_t i = 0; i < m->cap; i++) {
		free(m->slots[i].path);
		free(m->slots[i].sig);
	}
	free(m->slots);
	memset(m, 0, sizeof(*m));
}
