// SPDX-License-Identifier: MIT
/* Bitmap page allocator: see include/raum/palloc.h for the contract. */
#include <raum/errno.h>
#include <raum/palloc.h>

static bool test_bit(const u64 *bm, u64 i) { return bm[i / 64] & BIT(i % 64); }
static void set_bit(u64 *bm, u64 i) { bm[i / 64] |= BIT(i % 64); }
static void clear_bit(u64 *bm, u64 i) { bm[i / 64] &= ~BIT(i % 64); }

int palloc_init(struct palloc *pa, u64 base, u64 npages, u64 *bitmap, u64 bitmap_words)
{
	if (!bitmap || npages == 0 || !IS_ALIGNED(base, PAGE_SIZE) ||
	    bitmap_words < palloc_bitmap_words(npages))
		return -RAUM_EINVAL;
	spin_init(&pa->lock);
	pa->base = base;
	pa->npages = npages;
	pa->nfree = npages;
	pa->bitmap = bitmap;
	pa->hint = 0;
	for (u64 i = 0; i < palloc_bitmap_words(npages); i++)
		bitmap[i] = 0;
	return 0;
}

/* True when pages [first, first + n) are all free. */
static bool run_free(const struct palloc *pa, u64 first, u64 n)
{
	for (u64 i = first; i < first + n; i++)
		if (test_bit(pa->bitmap, i))
			return false;
	return true;
}

/*
 * First fit from the hint, wrapping once. Alignment is of the physical
 * address, not of the index, since the pool base need not be aligned.
 */
static int alloc_locked(struct palloc *pa, u64 n, u64 align_pages, u64 *phys)
{
	if (n > pa->nfree)
		return -RAUM_ENOMEM;

	u64 base_pfn = pa->base >> PAGE_SHIFT;
	for (int pass = 0; pass < 2; pass++) {
		u64 start = pass == 0 ? pa->hint : 0;
		u64 end = pass == 0 ? pa->npages : pa->hint + n;
		if (end > pa->npages)
			end = pa->npages;
		/* first index >= start whose pfn is aligned */
		u64 i = ALIGN_UP(base_pfn + start, align_pages) - base_pfn;
		while (i + n <= end) {
			if (run_free(pa, i, n)) {
				for (u64 j = i; j < i + n; j++)
					set_bit(pa->bitmap, j);
				pa->nfree -= n;
				pa->hint = (i + n) % pa->npages;
				*phys = pa->base + (i << PAGE_SHIFT);
				return 0;
			}
			i += align_pages;
		}
	}
	return -RAUM_ENOMEM;
}

int palloc_alloc(struct palloc *pa, u64 n, u64 align_pages, u64 *phys)
{
	int rc;

	/* base and npages never change after init: checked without the lock */
	if (n == 0 || n > pa->npages)
		return -RAUM_EINVAL;
	if (align_pages == 0)
		align_pages = 1;
	if (align_pages & (align_pages - 1))
		return -RAUM_EINVAL;
	spin_lock(&pa->lock);
	rc = alloc_locked(pa, n, align_pages, phys);
	spin_unlock(&pa->lock);
	return rc;
}

/* Index range of [phys, phys + n pages) in the pool, or false if outside it. */
static bool to_index(const struct palloc *pa, u64 phys, u64 n, u64 *idx)
{
	if (!IS_ALIGNED(phys, PAGE_SIZE) || phys < pa->base || n == 0)
		return false;
	u64 i = (phys - pa->base) >> PAGE_SHIFT;
	if (i >= pa->npages || n > pa->npages - i)
		return false;
	*idx = i;
	return true;
}

int palloc_free(struct palloc *pa, u64 phys, u64 n)
{
	u64 first;
	int rc = 0;

	if (!to_index(pa, phys, n, &first))
		return -RAUM_EINVAL;
	spin_lock(&pa->lock);
	for (u64 i = first; i < first + n; i++) {
		if (!test_bit(pa->bitmap, i)) {
			rc = -RAUM_EINVAL; /* double free: change nothing */
			goto out;
		}
	}
	for (u64 i = first; i < first + n; i++)
		clear_bit(pa->bitmap, i);
	pa->nfree += n;
out:
	spin_unlock(&pa->lock);
	return rc;
}

int palloc_reserve(struct palloc *pa, u64 phys, u64 n)
{
	u64 first;
	int rc = 0;

	if (!to_index(pa, phys, n, &first))
		return -RAUM_EINVAL;
	spin_lock(&pa->lock);
	if (!run_free(pa, first, n)) {
		rc = -RAUM_EBUSY;
	} else {
		for (u64 i = first; i < first + n; i++)
			set_bit(pa->bitmap, i);
		pa->nfree -= n;
	}
	spin_unlock(&pa->lock);
	return rc;
}

/*
 * The pool is const to callers, who only ask; the lock is the one field the
 * question writes (a pool is never const-qualified storage: it has a bitmap
 * to change).
 */
bool palloc_is_used(const struct palloc *pa, u64 phys)
{
	struct spinlock *lock = (struct spinlock *)&pa->lock;
	bool used;
	u64 i;

	if (!to_index(pa, ALIGN_DOWN(phys, PAGE_SIZE), 1, &i))
		return false;
	spin_lock(lock);
	used = test_bit(pa->bitmap, i);
	spin_unlock(lock);
	return used;
}
