/* SPDX-License-Identifier: MIT */
/*
 * The hypervisor's in-memory log ring.
 *
 * Bytes go in at a 64-bit sequence number that only grows (head). The ring
 * keeps the last 'size' bytes; a reader asks for bytes from a sequence
 * number of its own and learns how many it missed when the writer lapped it,
 * the way `xl dmesg` reads. The root reads Raum's ring that way today:
 * `raumctl log` issues the RAUM_CALL_LOG_READ hypercall (call_log_read in
 * kernel/hypercall.c), which carries its sequence number in and out.
 * Size must be a power of two.
 *
 * Locking: each ring has its own spinlock, taken inside logring_write,
 * logring_read and logring_tail, so one write lands whole (a reader never
 * sees half of it, two writers never interleave) and head counts every byte.
 * logring_init runs before the ring is shared. It is a leaf lock (the ring
 * calls nothing, allocates nothing); a context that must not wait (panic)
 * uses logring_trywrite. See docs/locking.md.
 */
#ifndef RAUM_LOGRING_H
#define RAUM_LOGRING_H

#include <raum/spinlock.h>
#include <raum/types.h>

struct logring {
	struct spinlock lock; /* guards head and the bytes of buf */
	char *buf;
	u64 size; /* power of two */
	u64 head; /* sequence number of the next byte written */
};

/* Returns false when size is not a power of two or buf is NULL. */
bool logring_init(struct logring *r, char *buf, u64 size);
void logring_write(struct logring *r, const char *s, size_t n);
/*
 * logring_write only if the lock is free now: false (nothing written) when
 * another writer or reader holds it, or this CPU does (a fault inside a
 * write). For the panic path, which must not wait on a lock.
 */
bool logring_trywrite(struct logring *r, const char *s, size_t n);

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
