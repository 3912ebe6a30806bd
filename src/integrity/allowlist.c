/* The hash allow-list: the output of `sha256sum` (a digest, two spaces or
 * " *", a path), or bare digests, one a line; '#' starts a comment. The path
 * is for people: a file passes when its content's digest is listed, wherever
 * it lies (a list of paths would trust names the container chooses). */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "integrity.h"

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int cmp_digest(const void *a, const void *b)
{
	return memcmp(a, b, WARD_SHA256_LEN);
}

/* One line into out; 1 if it holds a digest, 0 if blank or a comment. */
static int parse_line(const char *line, size_t len, uint8_t out[WARD_SHA256_LEN], const char **why)
{
	while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	size_t i = 0;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i == len || line[i] == '#')
		return 0;
	if (len - i < 2 * WARD_SHA256_LEN) {
		*why = "not a sha256 digest (64 hex digits)";
		return -1;
	}
	for (size_t k = 0; k < WARD_SHA256_LEN; k++) {
		int hi = hexval(line[i + 2 * k]), lo = hexval(line[i + 2 * k + 1]);
		if (hi < 0 || lo < 0) {
			*why = "not a sha256 digest (64 hex digits)";
			return -1;
		}
		out[k] = (uint8_t)(hi << 4 | lo);
	}
	i += 2 * WARD_SHA256_LEN;
	if (i < len && line[i] != ' ' && line[i] != '\t') {
		*why = "a digest must be followed by a space and a name, or end the line";
		return -1;
	}
	return 1;
}

int ward_allowlist_parse(const char *text, size_t len, const char *where, struct ward_allowlist *a,
			 ward_err *err)
{
	memset(a, 0, sizeof(*a));
	size_t cap = 0, lineno = 0;
	for (size_t off = 0; off < len;) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t l = nl ? (size_t)(nl - (text + off)) : len - off;
		lineno++;
		uint8_t d[WARD_SHA256_LEN];
		const char *why = NULL;
		int r = memchr(text + off, '\0', l) ? (why = "a NUL byte", -1)
						    : parse_line(text + off, l, d, &why);
		if (r < 0) {
			ward_allowlist_release(a);
			return ward_err_set(err, "%s: line %zu: %s", where, lineno, why);
		}
		if (r == 1) {
			if (a->n == cap) {
				cap = cap ? cap * 2 : 64;
				uint8_t(*nd)[WARD_SHA256_LEN] =
				    realloc(a->digests, cap * sizeof(*nd));
				if (!nd) {
					ward_allowlist_release(a);
					return ward_err_sys(err, ENOMEM, "%s", where);
				}
				a->digests = nd;
			}
			memcpy(a->digests[a->n++], d, WARD_SHA256_LEN);
		}
		off += l + (nl ? 1 : 0);
	}
	if (a->n)
		qsort(a->digests, a->n, WARD_SHA256_LEN, cmp_digest);
	return 0;
}

int ward_allowlist_load(const char *path, const char *where, struct ward_allowlist *a,
			ward_err *err)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	if (ward_integrity_read_trusted(path, &text, &len, err) < 0)
		return ward_err_wrap(err, "%s", where);
	char w[4200];
	snprintf(w, sizeof(w), "%s: %s", where, path);
	return ward_allowlist_parse(text, len, w, a, err);
}

bool ward_allowlist_has(const struct ward_allowlist *a, const uint8_t digest[WARD_SHA256_LEN])
{
	return a->n && bsearch(digest, a->digests, a->n, WARD_SHA256_LEN, cmp_digest) != NULL;
}

void ward_allowlist_release(struct ward_allowlist *a)
{
	free(a->digests);
	memset(a, 0, sizeof(*a));
}
