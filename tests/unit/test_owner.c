// SPDX-License-Identifier: MIT
/*
 * mm/owner.c: the page-ownership table. Entries read back as set, pages
 * never set read as the root's, the tree allocates only when an entry is
 * set (never to clear one), a failed allocation changes nothing, the count
 * of taken pages follows every change, and owner_any_of answers for
 * ranges across pages and leaves. A random model checks all of it against
 * a flat array.
 */
#include "unit.h"

#include <raum/owner.h>

#include "arena.h"

struct ofix {
	struct arena a;
	struct owner_table t;
};

static int setup(void **state)
{
	struct ofix *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	f->a.mem = aligned_alloc(PAGE_SIZE, ARENA_PAGES * PAGE_SIZE);
	if (!f->a.mem)
		return -1;
	memset(f->a.mem, 0xcc, ARENA_PAGES * PAGE_SIZE);
	f->a.limit = ARENA_PAGES;
	f->t = (struct owner_table){ .table = arena_table, .alloc = arena_alloc, .ctx = &f->a };
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct ofix *f = *state;
	free(f->a.mem);
	free(f);
	return 0;
}

static void test_entry_fields(void **state)
{
	(void)state;
	u64 e = owner_entry(OWN_MAPPED, 0x1234, 0x1fff);
	assert_int_equal(owner_kind(e), OWN_MAPPED);
	assert_int_equal(owner_slot(e), 0x1234);
	assert_int_equal(owner_flags(e), 0x1fff);
	e = owner_entry(OWN_DEPOSIT, 0xffff, 0xffffffff); /* flags beyond the mask do not leak into the slot */
	assert_int_equal(owner_kind(e), OWN_DEPOSIT);
	assert_int_equal(owner_slot(e), 0xffff);
	assert_int_equal(owner_flags(e), 0x1fff);
	assert_int_equal(owner_kind(0), OWN_ROOT);
}

static void test_set_get(void **state)
{
	struct ofix *f = *state;
	struct owner_table *t = &f->t;

	assert_int_equal(owner_get(t, 5), 0);
	assert_false(owner_any_of(t, 0, 1ULL << 40, OWN_DEPOSIT));
	assert_int_equal(t->nr_tables, 0);
	/* clearing what was never set allocates nothing */
	assert_rc(owner_set(t, 5, 0), 0);
	assert_int_equal(t->nr_tables, 0);
	u64 e = owner_entry(OWN_DEPOSIT, 3, 0x7);
	assert_rc(owner_set(t, 5, e), 0);
	assert_int_equal(t->nr_tables, 4); /* four levels */
	assert_int_equal(owner_get(t, 5), e);
	assert_int_equal(owner_get(t, 4), 0);
	assert_int_equal(owner_get(t, 6), 0);
	assert_int_equal(owner_get(t, 5 + 512), 0);
	assert_int_equal(t->taken, 1);
	/* the same leaf: no new table; far away: three more */
	assert_rc(owner_set(t, 511, e), 0);
	assert_int_equal(t->nr_tables, 4);
	assert_rc(owner_set(t, (1ULL << 35) + 9, e), 0);
	assert_int_equal(t->nr_tables, 7);
	assert_int_equal(t->taken, 3);
	/* overwrite keeps the count, clear lowers it */
	assert_rc(owner_set(t, 5, owner_entry(OWN_MAPPED, 4, 0)), 0);
	assert_int_equal(t->taken, 3);
	assert_rc(owner_set(t, 5, 0), 0);
	assert_int_equal(owner_get(t, 5), 0);
	assert_int_equal(t->taken, 2);
	/* beyond the tree */
	assert_rc(owner_set(t, 1ULL << OWNER_PFN_BITS, e), -RAUM_EINVAL);
	assert_int_equal(owner_get(t, 1ULL << OWNER_PFN_BITS), 0);
	assert_int_equal(t->taken, 2);
}

static void test_any_taken(void **state)
{
	struct ofix *f = *state;
	struct owner_table *t = &f->t;
	const u64 pfn = 0x12345;

	assert_rc(owner_set(t, pfn, owner_entry(OWN_DEPOSIT, 1, 0)), 0);
	u64 a = pfn << PAGE_SHIFT;
	assert_true(owner_any_of(t, a, 1, OWN_DEPOSIT));
	assert_true(owner_any_of(t, a + PAGE_SIZE - 1, 1, OWN_DEPOSIT));
	assert_true(owner_any_of(t, a - 8, 16, OWN_DEPOSIT));            /* straddles into it */
	assert_true(owner_any_of(t, a + PAGE_SIZE - 8, 16, OWN_DEPOSIT)); /* straddles out of it */
	assert_false(owner_any_of(t, a - 8, 8, OWN_DEPOSIT));
	assert_false(owner_any_of(t, a + PAGE_SIZE, PAGE_SIZE, OWN_DEPOSIT));
	assert_true(owner_any_of(t, a - 3 * PAGE_SIZE, 8 * PAGE_SIZE, OWN_DEPOSIT));
	assert_true(owner_any_of(t, ~0ULL - 8, 64, OWN_DEPOSIT)); /* wraps: refused as taken */
	/* another kind is not this kind */
	assert_false(owner_any_of(t, a, 1, OWN_MAPPED));
	assert_rc(owner_set(t, pfn + 1, owner_entry(OWN_MAPPED, 2, 0)), 0);
	assert_true(owner_any_of(t, a, 2 * PAGE_SIZE, OWN_MAPPED));
	assert_false(owner_any_of(t, a + PAGE_SIZE, PAGE_SIZE, OWN_DEPOSIT));
	assert_rc(owner_set(t, pfn, 0), 0);
	assert_false(owner_any_of(t, a, PAGE_SIZE, OWN_DEPOSIT));
}

static void test_enomem(void **state)
{
	struct ofix *f = *state;
	struct owner_table *t = &f->t;

	f->a.limit = 0;
	assert_rc(owner_set(t, 7, owner_entry(OWN_DEPOSIT, 1, 0)), -RAUM_ENOMEM);
	assert_int_equal(t->root, 0);
	assert_int_equal(t->taken, 0);
	f->a.limit = 2; /* the root and one level: not enough */
	assert_rc(owner_set(t, 7, owner_entry(OWN_DEPOSIT, 1, 0)), -RAUM_ENOMEM);
	assert_int_equal(owner_get(t, 7), 0);
	assert_int_equal(t->taken, 0);
	assert_int_equal(t->nr_tables, arena_live(&f->a));
	f->a.limit = 4;
	assert_rc(owner_set(t, 7, owner_entry(OWN_DEPOSIT, 1, 0)), 0);
	assert_int_equal(owner_kind(owner_get(t, 7)), OWN_DEPOSIT);
}

/* 200,000 random changes over a window that spans leaves and upper levels, checked against a flat model. */
static void test_random_model(void **state)
{
	struct ofix *f = *state;
	struct owner_table *t = &f->t;
	enum { N = 4096 };
	static u64 model[N];
	u64 seed = 0x9e3779b97f4a7c15ULL, taken = 0;
	const u64 base = (1ULL << 27) - N / 2; /* straddles a level-3 boundary */

	memset(model, 0, sizeof(model));
	for (int i = 0; i < 200000; i++) {
		seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
		u64 k = seed % N;
		u64 e = (seed >> 20) % 3 == 0 ? 0 : owner_entry((enum owner_kind)(1 + (seed >> 30) % 2), (seed >> 32) & 0xffff, seed >> 48);
		assert_rc(owner_set(t, base + k, e), 0);
		taken += (model[k] == 0 && e) - (model[k] && e == 0);
		model[k] = e;
		u64 q = (seed >> 40) % N;
		assert_int_equal(owner_get(t, base + q), model[q]);
		assert_int_equal(t->taken, taken);
	}
	for (u64 k = 0; k < N; k++)
		assert_int_equal(owner_get(t, base + k), model[k]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entry_fields),
		cmocka_unit_test_setup_teardown(test_set_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_any_taken, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enomem, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_model, setup, teardown),
	};
	return cmocka_run_group_tests_name("owner", tests, NULL, NULL) ? 1 : 0;
}
