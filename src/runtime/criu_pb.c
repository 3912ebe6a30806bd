/* The protobuf wire format for criu's rpc.proto (criu.h): encoding what ward
 * sends, decoding what criu answers. Pure code (the fuzz target links it). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "criu.h"

/* ---- encoding ---- */

static bool pb_reserve(struct ward_pb *b, size_t more)
{
	if (b->failed)
		return false;
	if (b->len + more <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap * 2 : 256;
	while (cap < b->len + more)
		cap *= 2;
	uint8_t *n = realloc(b->buf, cap);
	if (!n) {
		b->failed = true;
		return false;
	}
	b->buf = n;
	b->cap = cap;
	return true;
}

static void pb_varint(struct ward_pb *b, uint64_t v)
{
	if (!pb_reserve(b, 10))
		return;
	do {
		uint8_t byte = v & 0x7f;
		v >>= 7;
		b->buf[b->len++] = byte | (v ? 0x80 : 0);
	} while (v);
}

static void pb_key(struct ward_pb *b, uint32_t field, uint8_t wire)
{
	pb_varint(b, ((uint64_t)field << 3) | wire);
}

void ward_pb_uint(struct ward_pb *b, uint32_t field, uint64_t v)
{
	pb_key(b, field, WARD_PB_VARINT);
	pb_varint(b, v);
}

void ward_pb_int(struct ward_pb *b, uint32_t field, int64_t v)
{
	ward_pb_uint(b, field, (uint64_t)v);
}

void ward_pb_bool(struct ward_pb *b, uint32_t field, bool v)
{
	ward_pb_uint(b, field, v ? 1 : 0);
}

void ward_pb_bytes(struct ward_pb *b, uint32_t field, const void *p, size_t n)
{
	pb_key(b, field, WARD_PB_LEN);
	pb_varint(b, n);
	if (n && pb_reserve(b, n)) {
		memcpy(b->buf + b->len, p, n);
		b->len += n;
	}
}

void ward_pb_str(struct ward_pb *b, uint32_t field, const char *s)
{
	ward_pb_bytes(b, field, s, strlen(s));
}

void ward_pb_msg(struct ward_pb *b, uint32_t field, const struct ward_pb *sub)
{
	if (sub->failed)
		b->failed = true;
	ward_pb_bytes(b, field, sub->buf, sub->len);
}

void ward_pb_pair_str(struct ward_pb *b, uint32_t field, const char *key, const char *val)
{
	struct ward_pb m = {0};
	if (key)
		ward_pb_str(&m, 1, key);
	ward_pb_str(&m, 2, val);
	ward_pb_msg(b, field, &m);
	ward_pb_free(&m);
}

void ward_pb_pair_int(struct ward_pb *b, uint32_t field, const char *key, int64_t val)
{
	struct ward_pb m = {0};
	ward_pb_str(&m, 1, key);
	ward_pb_int(&m, 2, val);
	ward_pb_msg(b, field, &m);
	ward_pb_free(&m);
}

void ward_pb_free(struct ward_pb *b)
{
	free(b->buf);
	memset(b, 0, sizeof(*b));
}

/* ---- decoding ---- */

static int pb_read_varint(const uint8_t **cur, const uint8_t *end, uint64_t *v)
{
	uint64_t r = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (*cur >= end)
			return -1;
		uint8_t byte = *(*cur)++;
		r |= (uint64_t)(byte & 0x7f) << shift;
		if (!(byte & 0x80)) {
			*v = r;
			return 0;
		}
	}
	return -1; /* more than 10 bytes */
}

int ward_pb_next(const uint8_t **cur, const uint8_t *end, struct ward_pb_field *f)
{
	if (*cur >= end)
		return 0;
	uint64_t key;
	if (pb_read_varint(cur, end, &key) < 0 || key >> 3 == 0 || key >> 3 > UINT32_MAX)
		return -1;
	memset(f, 0, sizeof(*f));
	f->num = (uint32_t)(key >> 3);
	f->wire = key & 7;
	switch (f->wire) {
	case WARD_PB_VARINT:
		return pb_read_varint(cur, end, &f->u) < 0 ? -1 : 1;
	case WARD_PB_I64:
	case WARD_PB_I32: {
		size_t w = f->wire == WARD_PB_I64 ? 8 : 4;
		if ((size_t)(end - *cur) < w)
			return -1;
		for (size_t i = 0; i < w; i++)
			f->u |= (uint64_t)(*cur)[i] << (8 * i);
		*cur += w;
		return 1;
	}
	case WARD_PB_LEN: {
		uint64_t n;
		if (pb_read_varint(cur, end, &n) < 0 || n > (uint64_t)(end - *cur))
			return -1;
		f->p = *cur;
		f->n = (size_t)n;
		*cur += n;
		return 1;
	}
	default:
		return -1; /* groups (3, 4) do not occur in rpc.proto */
	}
}

static void pb_copy_str(const struct ward_pb_field *f, char *out, size_t len)
{
	size_t n = f->n < len - 1 ? f->n : len - 1;
	memcpy(out, f->p, n);
	out[n] = '\0';
}

/* cr_errmsg is criu's log line: "Error (criu/x.c:1): what\n" -> "what". */
static void tidy_errmsg(char *m)
{
	const char *w = strncmp(m, "Error (", 7) == 0 ? strstr(m, "): ") : NULL;
	if (w)
		memmove(m, w + 3, strlen(w + 3) + 1);
	size_t l = strlen(m);
	while (l && (m[l - 1] == '\n' || m[l - 1] == ' '))
		m[--l] = '\0';
}

/* Walk a nested message: calls fn for each field. */
static int pb_each(const struct ward_pb_field *outer,
		   void (*fn)(const struct ward_pb_field *, struct ward_criu_resp *),
		   struct ward_criu_resp *r)
{
	const uint8_t *cur = outer->p, *end = outer->p + outer->n;
	struct ward_pb_field f;
	int k;
	while ((k = ward_pb_next(&cur, end, &f)) > 0)
		fn(&f, r);
	return k;
}

static void resp_notify(const struct ward_pb_field *f, struct ward_criu_resp *r)
{
	if (f->num == 1 && f->wire == WARD_PB_LEN)
		pb_copy_str(f, r->script, sizeof(r->script));
	else if (f->num == 2 && f->wire == WARD_PB_VARINT)
		r->notify_pid = (int)f->u;
}

static void resp_restore(const struct ward_pb_field *f, struct ward_criu_resp *r)
{
	if (f->num == 1 && f->wire == WARD_PB_VARINT)
		r->restore_pid = (int)f->u;
}

static void resp_version(const struct ward_pb_field *f, struct ward_criu_resp *r)
{
	/* major * 10000 + minor * 100 + sublevel: parts past 99 (or a major
	 * past 9999) are no version criu has; they make the whole one 0. */
	static const uint64_t weight[] = {0, 10000, 100, 0, 1}, most[] = {0, 9999, 99, 0, 99};
	if (f->wire != WARD_PB_VARINT || (f->num != 1 && f->num != 2 && f->num != 4))
		return;
	if (f->u > most[f->num] || r->version < 0)
		r->version = -1;
	else
		r->version += (int)(f->u * weight[f->num]);
}

static void resp_features(const struct ward_pb_field *f, struct ward_criu_resp *r)
{
	if (f->num == 1 && f->wire == WARD_PB_VARINT) {
		r->has_mem_track = true;
		r->mem_track = f->u != 0;
	}
}

int ward_criu_resp_decode(const uint8_t *p, size_t n, struct ward_criu_resp *r, ward_err *err)
{
	memset(r, 0, sizeof(*r));
	const uint8_t *cur = p, *end = p + n;
	struct ward_pb_field f;
	int k;
	bool has_type = false, has_success = false;
	while ((k = ward_pb_next(&cur, end, &f)) > 0) {
		bool len = f.wire == WARD_PB_LEN, var = f.wire == WARD_PB_VARINT;
		if (f.num == 1 && var) {
			r->type = (int)f.u;
			has_type = true;
		} else if (f.num == 2 && var) {
			r->success = f.u != 0;
			has_success = true;
		} else if (f.num == 7 && var) {
			r->cr_errno = (int)f.u;
		} else if (f.num == 9 && len) {
			pb_copy_str(&f, r->errmsg, sizeof(r->errmsg));
			tidy_errmsg(r->errmsg);
		} else if (len && (f.num == 4 || f.num == 5 || f.num == 8 || f.num == 10)) {
			void (*fn)(const struct ward_pb_field *, struct ward_criu_resp *) =
			    f.num == 4	 ? resp_restore
			    : f.num == 5 ? resp_notify
			    : f.num == 8 ? resp_features
					 : resp_version;
			if (pb_each(&f, fn, r) < 0)
				k = -1;
		}
		if (k < 0)
			break;
	}
	if (r->version < 0)
		r->version = 0;
	if (k < 0)
		return ward_err_set(err, "criu: malformed response (%zu bytes)", n);
	if (!has_type || !has_success)
		return ward_err_set(err, "criu: response without %s",
				    has_type ? "success" : "type");
	return 0;
}
