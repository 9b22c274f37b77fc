/* SPDX-License-Identifier: MIT */
/*
 * The hypervisor's in-memory log ring.
 *
 * Bytes go in at a 64-bit sequence number that only grows (head). The ring
 * keeps the last 'size' bytes; a reader asks for bytes from a sequence
 * number of its own and learns how many it missed when the writer lapped it
 * (the way `raumctl log` and `xl dmesg` read, later through a hypercall).
 * Size must be a power of two. Not locked: callers serialize writers.
 */
#ifndef RAUM_LOGRING_H
#define RAUM_LOGRING_H

#include <raum/types.h>

struct logring {
	char *buf;
	u64 size; /* power of two */
	u64 head; /* sequence number of the next byte written */
};

/* Returns false when size is not a power of two or buf is NULL. */
bool logring_init(struct logring *r, char *buf, u64 size);
void logring_write(struct logring *r, const char *s, size_t n);

/*
 * Copies up to 'max' bytes starting at sequence *seq into out. If *seq is
 * older than the oldest byte still held, *lost gets the count of bytes
 * skipped and reading starts at the oldest byte. *seq advances past what
 * was copied. Returns the count copied (0 when the reader is up to date or
 * *seq lies in the future, which is treated as up to date).
 */
size_t logring_read(const struct logring *r, u64 *seq, char *out, size_t max, u64 *lost);

/* Sequence number of the oldest byte still held. */
u64 logring_tail(const struct logring *r);

#endif
