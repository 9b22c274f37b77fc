// SPDX-License-Identifier: MIT
/* mm/palloc.c: the bitmap page allocator, against a shadow model. */
#include "unit.h"

#include <raum/palloc.h>

#define MAXPAGES 1024
static u64 bitmap[MAXPAGES / 64 + 1];

/* A pool whose base is 4 KiB aligned but deliberately not 2 MiB aligned. */
#define POOL_BASE (0x40000000ULL + 0x3000)

static void setup(struct palloc *pa, u64 base, u64 npages)
{
	memset(bitmap, 0xff, sizeof(bitmap)); /* init must clear it */
	assert_rc(palloc_init(pa, base, npages, bitmap, ARRAY_SIZE(bitmap)), 0);
	assert_int_equal(pa->nfree, npages);
}

static u64 count_used(const struct palloc *pa)
{
	u64 n = 0;
	for (u64 i = 0; i < pa->npages; i++)
		n += palloc_is_used(pa, pa->base + i * PAGE_SIZE);
	return n;
}

static void test_init(void **state)
{
	(void)state;
	struct palloc pa;

	assert_rc(palloc_init(&pa, 0x1000 + 1, 10, bitmap, 1), -RAUM_EINVAL);
	assert_rc(palloc_init(&pa, 0x1800, 10, bitmap, 1), -RAUM_EINVAL);
	assert_rc(palloc_init(&pa, 0x1000, 0, bitmap, 1), -RAUM_EINVAL);
	assert_rc(palloc_init(&pa, 0x1000, 10, NULL, 1), -RAUM_EINVAL);
	assert_rc(palloc_init(&pa, 0x1000, 65, bitmap, 1), -RAUM_EINVAL); /* bitmap too small */
	assert_int_equal(palloc_bitmap_words(1), 1);
	assert_int_equal(palloc_bitmap_words(64), 1);
	assert_int_equal(palloc_bitmap_words(65), 2);
	setup(&pa, POOL_BASE, 100);
	assert_int_equal(count_used(&pa), 0);
	assert_int_equal(bitmap[0], 0);
	assert_int_equal(bitmap[1], 0);
}

static void test_alloc_free(void **state)
{
	(void)state;
	struct palloc pa;
	u64 a, b, c;

	setup(&pa, POOL_BASE, 16);
	assert_rc(palloc_alloc(&pa, 1, 0, &a), 0);
	assert_int_equal(a, POOL_BASE);
	assert_rc(palloc_alloc(&pa, 3, 1, &b), 0);
	assert_int_equal(b, POOL_BASE + PAGE_SIZE);
	assert_rc(palloc_alloc(&pa, 2, 0, &c), 0);
	assert_int_equal(c, POOL_BASE + 4 * PAGE_SIZE);
	assert_int_equal(pa.nfree, 10);
	assert_true(palloc_is_used(&pa, a));
	assert_true(palloc_is_used(&pa, b + 2 * PAGE_SIZE + 123)); /* inside the page */
	assert_false(palloc_is_used(&pa, c + 2 * PAGE_SIZE));
	assert_false(palloc_is_used(&pa, POOL_BASE - PAGE_SIZE));
	assert_false(palloc_is_used(&pa, POOL_BASE + 16 * PAGE_SIZE));

	assert_rc(palloc_free(&pa, b, 3), 0);
	assert_int_equal(pa.nfree, 13);
	assert_false(palloc_is_used(&pa, b));
	assert_false(palloc_is_used(&pa, b + 2 * PAGE_SIZE));
	assert_true(palloc_is_used(&pa, a));
	assert_true(palloc_is_used(&pa, c));
	/* partial frees of a run are allowed page by page */
	assert_rc(palloc_free(&pa, c + PAGE_SIZE, 1), 0);
	assert_true(palloc_is_used(&pa, c));
	assert_rc(palloc_free(&pa, c, 1), 0);
	assert_rc(palloc_free(&pa, a, 1), 0);
	assert_int_equal(pa.nfree, 16);
	assert_int_equal(count_used(&pa), 0);

	/* bad arguments */
	assert_rc(palloc_alloc(&pa, 0, 0, &a), -RAUM_EINVAL);
	assert_rc(palloc_alloc(&pa, 17, 0, &a), -RAUM_EINVAL);
	assert_rc(palloc_alloc(&pa, 1, 3, &a), -RAUM_EINVAL);
	assert_rc(palloc_alloc(&pa, 1, 6, &a), -RAUM_EINVAL);
	assert_int_equal(pa.nfree, 16);
}

static void test_alignment_with_unaligned_base(void **state)
{
	(void)state;
	struct palloc pa;
	u64 p, q;

	/* base pfn 0x40003: 2 MiB (512 pages) aligned pages start at index 509 */
	setup(&pa, POOL_BASE, 1024);
	assert_rc(palloc_alloc(&pa, 1, 512, &p), 0);
	assert_true(IS_ALIGNED(p, LARGE_PAGE_SIZE));
	assert_int_equal(p, 0x40200000ULL);
	assert_rc(palloc_alloc(&pa, 4, 4, &q), 0);
	assert_true(IS_ALIGNED(q, 4 * PAGE_SIZE));
	assert_true(q >= POOL_BASE);

	/* each power of two up to 256 pages */
	setup(&pa, POOL_BASE, 1024);
	for (u64 align = 1; align <= 256; align *= 2) {
		assert_rc(palloc_alloc(&pa, 3, align, &p), 0);
		assert_true(IS_ALIGNED(p, align * PAGE_SIZE));
		assert_true(p >= POOL_BASE && p + 3 * PAGE_SIZE <= POOL_BASE + 1024 * PAGE_SIZE);
	}
	/* 2 MiB aligned indices are 509 and 1021 only: 512 free pages, no room for 4 aligned */
	setup(&pa, POOL_BASE, 1024);
	assert_rc(palloc_alloc(&pa, 512, 512, &p), 0); /* [509, 1021) */
	assert_int_equal(p, 0x40200000ULL);
	assert_rc(palloc_alloc(&pa, 4, 512, &q), -RAUM_ENOMEM);
	assert_int_equal(pa.nfree, 512);
	assert_rc(palloc_alloc(&pa, 3, 512, &q), 0); /* [1021, 1024) */
	assert_int_equal(q, 0x40400000ULL);
	assert_rc(palloc_alloc(&pa, 509, 0, &q), 0); /* [0, 509) */
	assert_int_equal(q, POOL_BASE);
	assert_int_equal(pa.nfree, 0);
}

static void test_exhaustion(void **state)
{
	(void)state;
	struct palloc pa;
	u64 p, seen[70];

	setup(&pa, POOL_BASE, 70);
	for (int i = 0; i < 70; i++) {
		assert_rc(palloc_alloc(&pa, 1, 0, &seen[i]), 0);
		assert_true(seen[i] >= POOL_BASE && seen[i] < POOL_BASE + 70 * PAGE_SIZE);
		for (int j = 0; j < i; j++)
			assert_true(seen[j] != seen[i]);
	}
	assert_int_equal(pa.nfree, 0);
	assert_rc(palloc_alloc(&pa, 1, 0, &p), -RAUM_ENOMEM);
	/* bits past the pool's end in the last word stay clear */
	assert_int_equal(bitmap[1] >> 6, 0);

	/* fragmentation: enough free pages, no run long enough */
	assert_rc(palloc_free(&pa, POOL_BASE + 10 * PAGE_SIZE, 1), 0);
	assert_rc(palloc_free(&pa, POOL_BASE + 20 * PAGE_SIZE, 1), 0);
	assert_int_equal(pa.nfree, 2);
	assert_rc(palloc_alloc(&pa, 2, 0, &p), -RAUM_ENOMEM);
	assert_rc(palloc_alloc(&pa, 3, 0, &p), -RAUM_ENOMEM);
	assert_int_equal(pa.nfree, 2);
	assert_rc(palloc_alloc(&pa, 1, 0, &p), 0);
	assert_rc(palloc_alloc(&pa, 1, 0, &p), 0);
	assert_rc(palloc_alloc(&pa, 1, 0, &p), -RAUM_ENOMEM);
}

static void test_double_and_bad_free(void **state)
{
	(void)state;
	struct palloc pa;
	u64 p, snapshot[ARRAY_SIZE(bitmap)];

	setup(&pa, POOL_BASE, 64);
	assert_rc(palloc_alloc(&pa, 4, 0, &p), 0);
	assert_rc(palloc_free(&pa, p + PAGE_SIZE, 1), 0);
	memcpy(snapshot, bitmap, sizeof(bitmap));
	u64 nfree = pa.nfree;

	/* a range with one page already free: refused, nothing changes */
	assert_rc(palloc_free(&pa, p, 4), -RAUM_EINVAL);
	assert_rc(palloc_free(&pa, p + PAGE_SIZE, 1), -RAUM_EINVAL);
	assert_rc(palloc_free(&pa, p + 10 * PAGE_SIZE, 1), -RAUM_EINVAL); /* never allocated */
	/* outside the pool, crossing its end, unaligned, empty */
	assert_rc(palloc_free(&pa, POOL_BASE - PAGE_SIZE, 1), -RAUM_EINVAL);
	assert_rc(palloc_free(&pa, POOL_BASE - PAGE_SIZE, 2), -RAUM_EINVAL);
	assert_rc(palloc_free(&pa, POOL_BASE + 64 * PAGE_SIZE, 1), -RAUM_EINVAL);
	assert_rc(palloc_free(&pa, POOL_BASE + 63 * PAGE_SIZE, 2), -RAUM_EINVAL);
	assert_rc(palloc_free(&pa, POOL_BASE, UINT64_MAX), -RAUM_EINVAL);
	assert_rc(palloc_free(&pa, p + 8, 1), -RAUM_EINVAL);
	assert_rc(palloc_free(&pa, p, 0), -RAUM_EINVAL);
	assert_memory_equal(snapshot, bitmap, sizeof(bitmap));
	assert_int_equal(pa.nfree, nfree);

	assert_rc(palloc_free(&pa, p, 1), 0);
	assert_rc(palloc_free(&pa, p + 2 * PAGE_SIZE, 2), 0);
	assert_int_equal(pa.nfree, 64);
}

static void test_reserve(void **state)
{
	(void)state;
	struct palloc pa;
	u64 p;

	setup(&pa, POOL_BASE, 32);
	/* the first 3 pages hold, say, the bitmap itself */
	assert_rc(palloc_reserve(&pa, POOL_BASE, 3), 0);
	assert_int_equal(pa.nfree, 29);
	assert_true(palloc_is_used(&pa, POOL_BASE + 2 * PAGE_SIZE));
	assert_rc(palloc_alloc(&pa, 1, 0, &p), 0);
	assert_int_equal(p, POOL_BASE + 3 * PAGE_SIZE);
	/* reserving over a used page: -EBUSY, nothing changes */
	assert_rc(palloc_reserve(&pa, POOL_BASE + 2 * PAGE_SIZE, 4), -RAUM_EBUSY);
	assert_false(palloc_is_used(&pa, POOL_BASE + 4 * PAGE_SIZE));
	assert_int_equal(pa.nfree, 28);
	assert_rc(palloc_reserve(&pa, POOL_BASE + 31 * PAGE_SIZE, 2), -RAUM_EINVAL);
	assert_rc(palloc_reserve(&pa, POOL_BASE + 32 * PAGE_SIZE, 1), -RAUM_EINVAL);
	assert_rc(palloc_reserve(&pa, POOL_BASE + 100, 1), -RAUM_EINVAL);
	/* reserved pages are skipped by alloc and can be freed like any */
	assert_rc(palloc_reserve(&pa, POOL_BASE + 4 * PAGE_SIZE, 28), 0);
	assert_int_equal(pa.nfree, 0);
	assert_rc(palloc_alloc(&pa, 1, 0, &p), -RAUM_ENOMEM);
	assert_rc(palloc_free(&pa, POOL_BASE + 10 * PAGE_SIZE, 1), 0);
	assert_rc(palloc_alloc(&pa, 1, 0, &p), 0);
	assert_int_equal(p, POOL_BASE + 10 * PAGE_SIZE);
}

static void test_hint_wraps(void **state)
{
	(void)state;
	struct palloc pa;
	u64 p;

	setup(&pa, POOL_BASE, 8);
	assert_rc(palloc_alloc(&pa, 5, 0, &p), 0); /* [0,5) */
	assert_rc(palloc_alloc(&pa, 2, 0, &p), 0); /* [5,7) */
	assert_int_equal(p, POOL_BASE + 5 * PAGE_SIZE);
	assert_rc(palloc_free(&pa, POOL_BASE, 5), 0);
	/* the search starts at the hint (7): page 7, then wraps to 0 */
	assert_rc(palloc_alloc(&pa, 1, 0, &p), 0);
	assert_int_equal(p, POOL_BASE + 7 * PAGE_SIZE);
	assert_rc(palloc_alloc(&pa, 1, 0, &p), 0);
	assert_int_equal(p, POOL_BASE);
	assert_rc(palloc_alloc(&pa, 1, 0, &p), 0);
	assert_int_equal(p, POOL_BASE + PAGE_SIZE);

	/* a run that starts before the hint and ends after it */
	setup(&pa, POOL_BASE, 8);
	assert_rc(palloc_alloc(&pa, 3, 0, &p), 0); /* [0,3), hint 3 */
	assert_rc(palloc_alloc(&pa, 3, 0, &p), 0); /* [3,6), hint 6 */
	assert_rc(palloc_alloc(&pa, 2, 0, &p), 0); /* [6,8), hint 0 */
	assert_rc(palloc_free(&pa, POOL_BASE, 3), 0);
	assert_rc(palloc_alloc(&pa, 1, 0, &p), 0); /* [0,1), hint 1 */
	assert_rc(palloc_free(&pa, POOL_BASE, 1), 0);
	assert_rc(palloc_free(&pa, POOL_BASE + 3 * PAGE_SIZE, 2), 0); /* free: 0..4 */
	assert_rc(palloc_alloc(&pa, 5, 0, &p), 0);
	assert_int_equal(p, POOL_BASE);
	assert_int_equal(pa.nfree, 0);
	assert_rc(palloc_alloc(&pa, 1, 0, &p), -RAUM_ENOMEM);
}

/* True when the model has an aligned free run of n pages. */
static bool model_fits(const bool *used, u64 base, u64 npages, u64 n, u64 align)
{
	for (u64 i = 0; i + n <= npages; i++) {
		if (!IS_ALIGNED((base >> PAGE_SHIFT) + i, align))
			continue;
		bool ok = true;
		for (u64 j = i; j < i + n && ok; j++)
			ok = !used[j];
		if (ok)
			return true;
	}
	return false;
}

static void test_random_against_model(void **state)
{
	(void)state;
	enum { NPAGES = 777, MAXLIVE = 400 };
	static bool used[NPAGES];
	struct { u64 phys, n; } live[MAXLIVE];
	size_t nlive = 0, nomem = 0, allocs = 0;
	u64 rng = 0xfeedface, mfree = NPAGES;
	struct palloc pa;

	memset(used, 0, sizeof(used));
	setup(&pa, POOL_BASE, NPAGES);
	for (int step = 0; step < 20000; step++) {
		bool do_alloc = nlive == 0 || (nlive < MAXLIVE && unit_rand(&rng) % 100 < 55);
		if (do_alloc) {
			u64 n = 1 + unit_rand(&rng) % (unit_rand(&rng) % 8 == 0 ? 40 : 6);
			u64 align = 1ULL << (unit_rand(&rng) % 6);
			u64 p = 0;
			int rc = palloc_alloc(&pa, n, align, &p);
			bool fits = model_fits(used, POOL_BASE, NPAGES, n, align);
			if (rc == -RAUM_ENOMEM) {
				assert_false(fits);
				nomem++;
				continue;
			}
			assert_rc(rc, 0);
			assert_true(fits);
			assert_true(IS_ALIGNED(p, align * PAGE_SIZE));
			assert_true(p >= POOL_BASE);
			u64 first = (p - POOL_BASE) >> PAGE_SHIFT;
			assert_true(first + n <= NPAGES);
			for (u64 j = first; j < first + n; j++) {
				assert_false(used[j]);
				used[j] = true;
			}
			mfree -= n;
			live[nlive].phys = p;
			live[nlive].n = n;
			nlive++;
			allocs++;
		} else {
			size_t k = unit_rand(&rng) % nlive;
			assert_rc(palloc_free(&pa, live[k].phys, live[k].n), 0);
			if (unit_rand(&rng) % 10 == 0) /* now a double free: refused */
				assert_rc(palloc_free(&pa, live[k].phys, 1), -RAUM_EINVAL);
			u64 first = (live[k].phys - POOL_BASE) >> PAGE_SHIFT;
			for (u64 j = first; j < first + live[k].n; j++)
				used[j] = false;
			mfree += live[k].n;
			live[k] = live[--nlive];
		}
		assert_int_equal(pa.nfree, mfree);
		if (step % 500 == 0)
			for (u64 i = 0; i < NPAGES; i++)
				assert_int_equal(palloc_is_used(&pa, POOL_BASE + i * PAGE_SIZE), used[i]);
	}
	/* the run must have exercised both outcomes */
	assert_true(allocs > 1000);
	assert_true(nomem > 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_alloc_free),
		cmocka_unit_test(test_alignment_with_unaligned_base),
		cmocka_unit_test(test_exhaustion),
		cmocka_unit_test(test_double_and_bad_free),
		cmocka_unit_test(test_reserve),
		cmocka_unit_test(test_hint_wraps),
		cmocka_unit_test(test_random_against_model),
	};
	return cmocka_run_group_tests_name("palloc", tests, NULL, NULL) ? 1 : 0;
}
