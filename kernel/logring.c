// SPDX-License-Identifier: MIT
/* The log ring: see include/raum/logring.h for the contract. */
#include <raum/logring.h>

bool logring_init(struct logring *r, char *buf, u64 size)
{
	if (!buf || size == 0 || (size & (size - 1)))
		return false;
	r->buf = buf;
	r->size = size;
	r->head = 0;
	return true;
}

void logring_write(struct logring *r, const char *s, size_t n)
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

u64 logring_tail(const struct logring *r)
{
	return r->head > r->size ? r->head - r->size : 0;
}

size_t logring_read(const struct logring *r, u64 *seq, char *out, size_t max, u64 *lost)
{
	u64 tail = logring_tail(r);
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
	*seq = s;
	return n;
}
