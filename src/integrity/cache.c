/* Verdicts by (device, inode, change cookie), so a second exec of an
 * unchanged file costs no hashing. The cookie is ctime, mtime (both to the
 * nanosecond) and size as fstat reports them on the fd fanotify gave us:
 * every write and every attribute change (security.ima included) moves
 * ctime, and since Linux 6.13 ctime is fine-grained whenever someone looked
 * at it (we do), so two writes within one clock tick still differ. The
 * kernel's i_version would be the exact counter, but it is not exported to
 * user space (statx masks STATX_CHANGE_COOKIE). A changed file misses the
 * cache and is appraised again.
 *
 * Open addressing, bounded: when full, the table is emptied (every file is
 * then appraised once more), so a container cannot grow the monitor. */
#include <stdlib.h>
#include <string.h>

#include "integrity.h"

#define CACHE_MAX 65536 /* slots; at most half are used */

static size_t slot_of(dev_t dev, ino_t ino, size_t cap)
{
	uint64_t h = (uint64_t)ino * 0x9e3779b97f4a7c15ULL ^ (uint64_t)dev * 0xc2b2ae3d27d4eb4fULL;
	return (size_t)(h ^ (h >> 29)) & (cap - 1);
}

void ward_cache_init(struct ward_cache *c)
{
	memset(c, 0, sizeof(*c));
}

void ward_cache_release(struct ward_cache *c)
{
	free(c->slots);
	memset(c, 0, sizeof(*c));
}

void ward_cache_clear(struct ward_cache *c)
{
	if (c->slots)
		memset(c->slots, 0, c->cap * sizeof(*c->slots));
	c->n = 0;
}

static bool same_cookie(const struct ward_verdict *v, const struct ward_cookie *k)
{
	return memcmp(&v->cookie, k, sizeof(*k)) == 0;
}

struct ward_verdict *ward_cache_find(struct ward_cache *c, const struct ward_cookie *k)
{
	if (!c->n)
		return NULL;
	for (size_t i = slot_of(k->dev, k->ino, c->cap), p = 0; p < c->cap;
	     i = (i + 1) & (c->cap - 1), p++) {
		struct ward_verdict *v = &c->slots[i];
		if (!v->used)
			return NULL;
		if (v->cookie.dev == k->dev && v->cookie.ino == k->ino)
			return same_cookie(v, k) ? v : NULL;
	}
	return NULL;
}

static bool grow(struct ward_cache *c)
{
	size_t cap = c->cap ? c->cap * 2 : 1024;
	if (cap > CACHE_MAX)
		return false;
	struct ward_verdict *s = calloc(cap, sizeof(*s));
	if (!s)
		return false;
	for (size_t i = 0; i < c->cap; i++) {
		if (!c->slots[i].used)
			continue;
		size_t j = slot_of(c->slots[i].cookie.dev, c->slots[i].cookie.ino, cap);
		while (s[j].used)
			j = (j + 1) & (cap - 1);
		s[j] = c->slots[i];
	}
	free(c->slots);
	c->slots = s;
	c->cap = cap;
	return true;
}

/* The slot for k (a changed file's old verdict is overwritten). */
struct ward_verdict *ward_cache_put(struct ward_cache *c, const struct ward_cookie *k)
{
	if ((c->n + 1) * 2 > c->cap && !grow(c)) {
		if (!c->cap)
			return NULL;
		ward_cache_clear(c);
	}
	size_t i = slot_of(k->dev, k->ino, c->cap);
	while (c->slots[i].used &&
	       !(c->slots[i].cookie.dev == k->dev && c->slots[i].cookie.ino == k->ino))
		i = (i + 1) & (c->cap - 1);
	struct ward_verdict *v = &c->slots[i];
	if (!v->used)
		c->n++;
	memset(v, 0, sizeof(*v));
	v->used = true;
	v->cookie = *k;
	return v;
}
