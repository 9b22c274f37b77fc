// SPDX-License-Identifier: MIT
/* The log ring: see include/raum/logring.h for the contract. */
#include <raum/logring.h>

bool logring_init(struct logring *r, char *buf, u64 size)
{
	if (!buf || size == 0 || (size & (size - 1)))
		return false;
	spin_init(&r->lock);
	r->buf = buf;
	r->size = size;
	r->head = 0;
	return true;
}

static void write_locked(struct logring *r, const char *s, size_t n)
{
	/* Only the last 'size' bytes of a huge write can survive anyway. */
	if (n > r->size) {
		r->head += n - r->size;
		s += n - r->size;
		n = r->size;
	}
	for (size_t i = 0; i < n; i++)
		r->buf[(r->head + i) & (r->size - 1)] = s[i];
	r->head += n;
}

void logring_write(struct logring *r, const char *s, size_t n)
{
	spin_lock(&r->lock);
	write_locked(r, s, n);
	spin_unlock(&r->lock);
}

bool logring_trywrite(struct logring *r, const char *s, size_t n)
{
	if (!spin_trylock(&r->lock))
		return false;
	write_locked(r, s, n);
	spin_unlock(&r->lock);
	return true;
}

static u64 tail_locked(const struct logring *r)
{
	return r->head > r->size ? r->head - r->size : 0;
}

/*
 * Readers get the ring const; the lock is the one field they write (a ring
 * is never const-qualified storage: it has bytes to take in).
 */
static struct spinlock *ring_lock(const struct logring *r) { return (struct spinlock *)&r->lock; }

u64 logring_tail(const struct logring *r)
{
	u64 tail;

	spin_lock(ring_lock(r));
	tail = tail_locked(r);
	spin_unlock(ring_lock(r));
	return tail;
}

size_t logring_read(const struct logring *r, u64 *seq, char *out, size_t max, u64 *lost)
{
	spin_lock(ring_lock(r));
	u64 tail = tail_locked(r);
	u64 s = *seq;
	size_t n = 0;

	*lost = 0;
	if (s > r->head)
		s = r->head; /* a future sequence: nothing to read yet */
	if (s < tail) {
		*lost = tail - s;
		s = tail;
	}
	while (s < r->head && n < max)
		out[n++] = r->buf[s++ & (r->size - 1)];
	spin_unlock(ring_lock(r));
	*seq = s;
	return n;
}
