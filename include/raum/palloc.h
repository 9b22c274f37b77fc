/* SPDX-License-Identifier: MIT */
/*
 * Physical page allocator over one contiguous pool (the reserved memory the
 * loader gave the hypervisor). One bit per 4 KiB page, set = in use.
 *
 * Contract: addresses are host-physical; the allocator never touches the
 * pages themselves (callers zero what they take, through their own mapping),
 * so it works the same on the host in unit tests.
 *
 * Locking: each pool has its own spinlock, taken inside every call but
 * palloc_init (which runs before the pool is shared). It is a leaf lock: the
 * allocator logs nothing and calls nothing back, so it may be taken under any
 * other lock, but never the log lock (docs/locking.md: nothing allocates
 * under the log lock). The fields below are read without the lock only by
 * code that knows no other CPU uses the pool (init, the unit tests' checks).
 */
#ifndef RAUM_PALLOC_H
#define RAUM_PALLOC_H

#include <raum/spinlock.h>
#include <raum/types.h>

struct palloc {
	struct spinlock lock; /* guards nfree, bitmap and hint */
	u64 base;    /* physical address of page 0 of the pool */
	u64 npages;  /* pages in the pool */
	u64 nfree;   /* pages free now */
	u64 *bitmap; /* npages bits, 1 = in use */
	u64 hint;    /* page index where the next search starts */
};

/* Words of bitmap storage needed for a pool of npages. */
static inline u64 palloc_bitmap_words(u64 npages) { return (npages + 63) / 64; }

/*
 * Sets up an allocator over [base, base + npages * 4 KiB) with every page
 * free. bitmap must hold palloc_bitmap_words(npages) words. Fails with
 * -RAUM_EINVAL for an unaligned base, an empty pool or a NULL bitmap.
 */
int palloc_init(struct palloc *pa, u64 base, u64 npages, u64 *bitmap, u64 bitmap_words);

/*
 * Allocates n contiguous pages whose physical address is a multiple of
 * align_pages * 4 KiB (align_pages a power of two, 0 or 1 meaning 4 KiB).
 * Returns 0 and stores the address in *phys, or -RAUM_ENOMEM / -RAUM_EINVAL.
 */
int palloc_alloc(struct palloc *pa, u64 n, u64 align_pages, u64 *phys);

/*
 * Frees n pages at phys. Refuses (-RAUM_EINVAL) a range outside the pool,
 * an unaligned address, or any page in it that is already free (a double
 * free), in which case nothing is changed.
 */
int palloc_free(struct palloc *pa, u64 phys, u64 n);

/* Marks n pages at phys in use (e.g. the bitmap's own pages). -RAUM_EBUSY if any is. */
int palloc_reserve(struct palloc *pa, u64 phys, u64 n);

/* True when the page holding phys belongs to the pool and is in use. */
bool palloc_is_used(const struct palloc *pa, u64 phys);

#endif
