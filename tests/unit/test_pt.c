// SPDX-License-Identifier: MIT
/*
 * mm/pt.c: the four-level page-table builder, on a host "physical memory"
 * arena. Table pages live in an aligned_alloc'ed arena whose page i has the
 * physical address ARENA_PHYS + i * 4 KiB.
 */
#include "unit.h"

#include <raum/pt.h>

#include "arena.h"

#define setup arena_setup
#define teardown arena_teardown
#define GB HUGE_PAGE_SIZE
#define MB2 LARGE_PAGE_SIZE

/* Looks va up and checks where it lands and in which page size. */
static void expect_map(struct pt_ctx *pt, u64 va, u64 want_pa, u64 want_size)
{
	u64 pa = 0, flags = 0, size = 0;
	assert_rc(pt_lookup(pt, va, &pa, &flags, &size), 0);
	assert_int_equal(pa, want_pa);
	assert_int_equal(size, want_size);
	assert_true(flags & PTE_P);
	assert_int_equal(!!(flags & PTE_PS), want_size != PAGE_SIZE);
}

static u64 leaf_flags(struct pt_ctx *pt, u64 va)
{
	u64 pa, flags, size;
	assert_rc(pt_lookup(pt, va, &pa, &flags, &size), 0);
	return flags;
}

static void expect_unmapped(struct pt_ctx *pt, u64 va)
{
	u64 pa, flags, size;
	assert_rc(pt_lookup(pt, va, &pa, &flags, &size), -RAUM_ENOENT);
}

static void test_4k(void **state)
{
	struct fixture *f = *state;
	struct pt_ctx *pt = &f->pt;

	assert_rc(pt_map(pt, 0x1000, 0x200000, PAGE_SIZE, PTE_W), 0);
	expect_map(pt, 0x1000, 0x200000, PAGE_SIZE);
	expect_map(pt, 0x1abc, 0x200abc, PAGE_SIZE);
	expect_unmapped(pt, 0x0);
	expect_unmapped(pt, 0x2000);
	assert_int_equal(f->a.used, 4); /* PML4, PDPT, PD, PT */

	/* the raw entry: address | P | W, nothing else */
	u64 *pml4 = f->a.mem;
	u64 *pdpt = arena_table(&f->a, pml4[0] & PTE_ADDR_MASK);
	u64 *pd = arena_table(&f->a, pdpt[0] & PTE_ADDR_MASK);
	u64 *ptab = arena_table(&f->a, pd[0] & PTE_ADDR_MASK);
	assert_int_equal(ptab[1], 0x200000 | PTE_P | PTE_W);
	for (int i = 0; i < 512; i++)
		if (i != 1)
			assert_int_equal(ptab[i], 0);

	/* a neighbour shares the tables */
	assert_rc(pt_map(pt, 0x2000, 0x5000, 2 * PAGE_SIZE, 0), 0);
	assert_int_equal(f->a.used, 4);
	expect_map(pt, 0x3fff, 0x6fff, PAGE_SIZE);
}

static void test_2m_and_1g_choice(void **state)
{
	struct fixture *f = *state;
	struct pt_ctx *pt = &f->pt;

	/* 2 MiB: PDPT + PD */
	assert_rc(pt_map(pt, 0x40000000 + 0x200000, 0x800000, MB2, 0), 0);
	assert_int_equal(f->a.used, 3);
	expect_map(pt, 0x40200000, 0x800000, MB2);
	expect_map(pt, 0x40200000 + 0x12345, 0x812345, MB2);
	expect_map(pt, 0x40200000 + MB2 - 1, 0x800000 + MB2 - 1, MB2);
	expect_unmapped(pt, 0x40200000 + MB2);

	/* 1 GiB: only an entry in the PDPT already there */
	assert_rc(pt_map(pt, 0x80000000ULL, 3 * GB, GB, PTE_W), 0);
	assert_int_equal(f->a.used, 3);
	expect_map(pt, 0x80000000ULL, 3 * GB, GB);
	expect_map(pt, 0x80000000ULL + 0x3456789, 3 * GB + 0x3456789, GB);
	expect_map(pt, 0xbfffffffULL, 4 * GB - 1, GB);

	/* mixed: 4K up to a 2 MiB boundary, then 2 MiB, then 4K */
	u64 va = 0x7f0000000000ULL + MB2 - PAGE_SIZE;
	assert_rc(pt_map(pt, va, 0x10000000 + MB2 - PAGE_SIZE, MB2 + 2 * PAGE_SIZE, 0), 0);
	expect_map(pt, va, 0x10000000 + MB2 - PAGE_SIZE, PAGE_SIZE);
	expect_map(pt, va + PAGE_SIZE, 0x10000000 + MB2, MB2);
	expect_map(pt, va + PAGE_SIZE + MB2, 0x10000000 + 2 * MB2, PAGE_SIZE);

	/* 1 GiB aligned and sized, but pa only 2 MiB aligned: 512 2 MiB pages */
	u64 before = f->a.used;
	assert_rc(pt_map(pt, 0x100000000ULL, 0x40200000, GB, 0), 0);
	assert_int_equal(f->a.used, before + 1); /* one PD */
	expect_map(pt, 0x100000000ULL + 5 * MB2 + 7, 0x40200000 + 5 * MB2 + 7, MB2);

	/* va 2 MiB aligned, pa only 4 KiB aligned: 4K pages */
	before = f->a.used;
	assert_rc(pt_map(pt, 0x200000000ULL, 0x1000, MB2, 0), 0);
	assert_int_equal(f->a.used, before + 2); /* PD, PT */
	expect_map(pt, 0x200000000ULL + 0x1ff000, 0x200000, PAGE_SIZE);

	/* less than a large page left: small pages */
	before = f->a.used;
	assert_rc(pt_map(pt, 0x300000000ULL, 0x0, MB2 - PAGE_SIZE, 0), 0);
	expect_map(pt, 0x300000000ULL, 0x0, PAGE_SIZE);
	assert_int_equal(f->a.used, before + 2);
}

static void test_allow_flags(void **state)
{
	struct fixture *f = *state;
	struct pt_ctx *pt = &f->pt;

	/* no 1 GiB pages: a GiB becomes 512 2 MiB pages */
	pt->allow_1g = false;
	assert_rc(pt_map(pt, GB, GB, GB, 0), 0);
	assert_int_equal(f->a.used, 3);
	expect_map(pt, GB + 0x12345678, GB + 0x12345678, MB2);

	/* neither: 4K pages even for a 2 MiB aligned range */
	pt->allow_2m = false;
	assert_rc(pt_map(pt, 2 * GB, 2 * GB, 2 * MB2, 0), 0);
	assert_int_equal(f->a.used, 3 + 1 + 2); /* PD, two PTs */
	expect_map(pt, 2 * GB + MB2 + 0x5000, 2 * GB + MB2 + 0x5000, PAGE_SIZE);

	/* 1 GiB allowed but 2 MiB not: a 1 GiB range uses 1 GiB */
	pt->allow_1g = true;
	assert_rc(pt_map(pt, 3 * GB, 5 * GB, GB, 0), 0);
	expect_map(pt, 3 * GB + 77, 5 * GB + 77, GB);
}

static void test_4gib_table_counts(void **state)
{
	struct fixture *f = *state;
	struct pt_ctx *pt = &f->pt;

	/* 1 GiB pages: PML4 + one PDPT */
	assert_rc(pt_map(pt, 0, 0, 4 * GB, PTE_W | PTE_NX), 0);
	assert_int_equal(f->a.used, 2);
	expect_map(pt, 4 * GB - 1, 4 * GB - 1, GB);

	/* 2 MiB pages: PML4 + PDPT + 4 PDs */
	f->a.used = 0;
	assert_rc(arena_alloc(&f->a, &pt->root), 0);
	pt->allow_1g = false;
	assert_rc(pt_map(pt, 0, 0, 4 * GB, PTE_W | PTE_NX), 0);
	assert_int_equal(f->a.used, 6);
	expect_map(pt, 3 * GB + 5, 3 * GB + 5, MB2);

	/* 4 KiB pages: PML4 + PDPT + 4 PDs + 2048 PTs */
	f->a.used = 0;
	assert_rc(arena_alloc(&f->a, &pt->root), 0);
	pt->allow_2m = false;
	assert_rc(pt_map(pt, 0, 0, 4 * GB, PTE_W | PTE_NX), 0);
	assert_int_equal(f->a.used, 2 + 4 + 2048);
	expect_map(pt, 4 * GB - PAGE_SIZE, 4 * GB - PAGE_SIZE, PAGE_SIZE);
}

static void test_flags(void **state)
{
	struct fixture *f = *state;
	struct pt_ctx *pt = &f->pt;

	assert_rc(pt_map(pt, 0x1000, 0x1000, PAGE_SIZE, 0), 0);
	assert_rc(pt_map(pt, 0x2000, 0x2000, PAGE_SIZE, PTE_W), 0);
	assert_rc(pt_map(pt, 0x3000, 0x3000, PAGE_SIZE, PTE_NX), 0);
	assert_rc(pt_map(pt, 0x4000, 0x4000, PAGE_SIZE, PTE_U | PTE_W | PTE_NX), 0);
	assert_rc(pt_map(pt, 0x5000, 0x5000, PAGE_SIZE, PTE_PCD | PTE_PWT | PTE_G), 0);
	assert_rc(pt_map(pt, GB, GB, GB, PTE_NX | PTE_G), 0);

	u64 low = PTE_P | PTE_W | PTE_U | PTE_PWT | PTE_PCD | PTE_PS | PTE_G | PTE_NX;
	assert_int_equal(leaf_flags(pt, 0x1000) & low, PTE_P);
	assert_int_equal(leaf_flags(pt, 0x2000) & low, PTE_P | PTE_W);
	assert_int_equal(leaf_flags(pt, 0x3000) & low, PTE_P | PTE_NX);
	assert_int_equal(leaf_flags(pt, 0x4000) & low, PTE_P | PTE_U | PTE_W | PTE_NX);
	assert_int_equal(leaf_flags(pt, 0x5000) & low, PTE_P | PTE_PCD | PTE_PWT | PTE_G);
	assert_int_equal(leaf_flags(pt, GB + 0x1234) & low, PTE_P | PTE_PS | PTE_NX | PTE_G);

	/* interior entries: exactly P | W | U, whatever the leaves say */
	u64 *pml4 = f->a.mem;
	assert_int_equal(pml4[0] & ~PTE_ADDR_MASK, PTE_P | PTE_W | PTE_U);
	u64 *pdpt = arena_table(&f->a, pml4[0] & PTE_ADDR_MASK);
	assert_int_equal(pdpt[0] & ~PTE_ADDR_MASK, PTE_P | PTE_W | PTE_U);
	u64 *pd = arena_table(&f->a, pdpt[0] & PTE_ADDR_MASK);
	assert_int_equal(pd[0] & ~PTE_ADDR_MASK, PTE_P | PTE_W | PTE_U);
	/* the 1 GiB leaf in the same PDPT */
	assert_int_equal(pdpt[1], GB | PTE_P | PTE_PS | PTE_NX | PTE_G);

	/* an upper-half mapping: interior entries in PML4 slot 511 */
	assert_rc(pt_map(pt, 0xffffffff80000000ULL, 0x1000000, MB2, PTE_NX), 0);
	assert_int_equal(pml4[511] & ~PTE_ADDR_MASK, PTE_P | PTE_W | PTE_U);
	expect_map(pt, 0xffffffff80000000ULL + 0x10, 0x1000010, MB2);
}

static void test_eexist(void **state)
{
	struct fixture *f = *state;
	struct pt_ctx *pt = &f->pt;
	u64 pa, fl, sz;

	assert_rc(pt_map(pt, 0x1000, 0x1000, PAGE_SIZE, 0), 0);
	assert_rc(pt_map(pt, 0x1000, 0x9000, PAGE_SIZE, PTE_W), -RAUM_EEXIST);
	expect_map(pt, 0x1000, 0x1000, PAGE_SIZE); /* the old mapping stands */
	assert_int_equal(leaf_flags(pt, 0x1000) & PTE_W, 0);

	/* a 2 MiB page over a table holding a 4K page */
	assert_rc(pt_map(pt, 0x0, 0x0, MB2, 0), -RAUM_EEXIST);
	/* a 4K page inside a 2 MiB page */
	assert_rc(pt_map(pt, 0x400000, 0x400000, MB2, 0), 0);
	assert_rc(pt_map(pt, 0x401000, 0x7000, PAGE_SIZE, 0), -RAUM_EEXIST);
	/* a 2 MiB and a 4K page inside a 1 GiB page */
	assert_rc(pt_map(pt, GB, GB, GB, 0), 0);
	assert_rc(pt_map(pt, GB + 4 * MB2, 0, MB2, 0), -RAUM_EEXIST);
	assert_rc(pt_map(pt, GB + 0x5000, 0, PAGE_SIZE, 0), -RAUM_EEXIST);
	/* a 1 GiB page over a directory with a 2 MiB page in it */
	assert_rc(pt_map(pt, 0x0, 0x0, GB, 0), -RAUM_EEXIST);

	/* a range running into an existing page: pages before it stay mapped */
	assert_rc(pt_map(pt, 0x10000, 0x10000, 4 * PAGE_SIZE, 0), 0);
	assert_rc(pt_map(pt, 0xe000, 0x20000, 4 * PAGE_SIZE, 0), -RAUM_EEXIST);
	expect_map(pt, 0xe000, 0x20000, PAGE_SIZE);
	expect_map(pt, 0xf000, 0x21000, PAGE_SIZE);
	expect_map(pt, 0x10000, 0x10000, PAGE_SIZE);
	assert_rc(pt_lookup(pt, 0x13000, &pa, &fl, &sz), 0);
	assert_int_equal(pa, 0x13000);
}

static void test_einval(void **state)
{
	struct fixture *f = *state;
	struct pt_ctx *pt = &f->pt;

	assert_rc(pt_map(pt, 0x1001, 0x1000, PAGE_SIZE, 0), -RAUM_EINVAL);
	assert_rc(pt_map(pt, 0x1000, 0x1800, PAGE_SIZE, 0), -RAUM_EINVAL);
	assert_rc(pt_map(pt, 0x1000, 0x1000, 100, 0), -RAUM_EINVAL);
	assert_rc(pt_map(pt, 0x1000, 0x1000, 0, 0), -RAUM_EINVAL);
	/* flags the encoder owns, or that do not exist */
	assert_rc(pt_map(pt, 0x1000, 0x1000, PAGE_SIZE, PTE_PS), -RAUM_EINVAL);
	assert_rc(pt_map(pt, 0x1000, 0x1000, PAGE_SIZE, PTE_A), -RAUM_EINVAL);
	assert_rc(pt_map(pt, 0x1000, 0x1000, PAGE_SIZE, PTE_D), -RAUM_EINVAL);
	assert_rc(pt_map(pt, 0x1000, 0x1000, PAGE_SIZE, BIT(9)), -RAUM_EINVAL);
	assert_rc(pt_map(pt, 0x1000, 0x1000, PAGE_SIZE, BIT(52)), -RAUM_EINVAL);
	assert_rc(pt_map(pt, 0x1000, 0x1000, PAGE_SIZE, 0x1000), -RAUM_EINVAL);
	/* a physical address beyond 52 bits */
	assert_rc(pt_map(pt, 0x1000, 1ULL << 52, PAGE_SIZE, 0), -RAUM_EINVAL);
	/* ... or one that runs past it (would alias physical 0 and set bit 52) */
	assert_rc(pt_map(pt, 0x1000, (1ULL << 52) - PAGE_SIZE, 2 * PAGE_SIZE, 0), -RAUM_EINVAL);
	/* non-canonical start, end, or a range across the canonical hole */
	assert_rc(pt_map(pt, 0x0000800000000000ULL, 0, PAGE_SIZE, 0), -RAUM_EINVAL);
	assert_rc(pt_map(pt, 0xffff7ffffffff000ULL, 0, PAGE_SIZE, 0), -RAUM_EINVAL);
	assert_rc(pt_map(pt, 0x00007ffffffff000ULL, 0, 2 * PAGE_SIZE, 0), -RAUM_EINVAL);
	assert_rc(pt_map(pt, 0x00007ffffffff000ULL, 0,
			 0xffff800000001000ULL - 0x00007ffffffff000ULL, 0), -RAUM_EINVAL);
	/* a range that wraps past 2^64 */
	assert_rc(pt_map(pt, 0xfffffffffffff000ULL, 0, 2 * PAGE_SIZE, 0), -RAUM_EINVAL);
	/* nothing was built */
	assert_int_equal(f->a.used, 1);
	for (int i = 0; i < 512; i++)
		assert_int_equal(f->a.mem[i], 0);

	/* the edges themselves are fine */
	assert_rc(pt_map(pt, 0x00007ffffffff000ULL, 0x1000, PAGE_SIZE, 0), 0);
	assert_rc(pt_map(pt, 0xffff800000000000ULL, 0x2000, PAGE_SIZE, 0), 0);
	expect_map(pt, 0x00007fffffffffffULL, 0x1fff, PAGE_SIZE);
	expect_map(pt, 0xffff800000000000ULL, 0x2000, PAGE_SIZE);
	expect_unmapped(pt, 0x0000800000000000ULL); /* non-canonical lookup */
	/* the highest physical page */
	assert_rc(pt_map(pt, 0x5000, (1ULL << 52) - PAGE_SIZE, PAGE_SIZE, 0), 0);
	expect_map(pt, 0x5000, (1ULL << 52) - PAGE_SIZE, PAGE_SIZE);
}

static void test_top_of_address_space(void **state)
{
	struct fixture *f = *state;
	struct pt_ctx *pt = &f->pt;

	/* the last page, and the last 2 MiB, end exactly at 2^64 */
	assert_rc(pt_map(pt, 0xfffffffffffff000ULL, 0x3000, PAGE_SIZE, 0), 0);
	expect_map(pt, 0xffffffffffffffffULL, 0x3fff, PAGE_SIZE);
	assert_rc(pt_map(pt, 0xffffffffffc00000ULL, 0x400000, MB2, PTE_NX), 0);
	expect_map(pt, 0xffffffffffc00000ULL + 0x100, 0x400100, MB2);
	assert_rc(pt_map(pt, 0xffffffffc0000000ULL, 0x0, GB, 0), -RAUM_EEXIST);
}

static void test_enomem(void **state)
{
	struct fixture *f = *state;
	struct pt_ctx *pt = &f->pt;

	f->a.limit = 3; /* root, PDPT, PD: no page for the PT */
	assert_rc(pt_map(pt, 0x1000, 0x1000, PAGE_SIZE, 0), -RAUM_ENOMEM);
	expect_unmapped(pt, 0x1000);
	/* a 2 MiB page needs no PT: it fits */
	assert_rc(pt_map(pt, MB2, MB2, MB2, 0), 0);
	expect_map(pt, MB2, MB2, MB2);
	f->a.limit = 4;
	assert_rc(pt_map(pt, 0x1000, 0x1000, PAGE_SIZE, 0), 0);
	expect_map(pt, 0x1000, 0x1000, PAGE_SIZE);

	/* no pages left: a 1 GiB page in a new PML4 slot needs a PDPT */
	f->a.limit = 4;
	assert_rc(pt_map(pt, 0x8000000000ULL, 0, GB, 0), -RAUM_ENOMEM);
	expect_unmapped(pt, 0x8000000000ULL);
}

/* The EPT format (SDM vol. 3C 29.3.2): no P bit, R/W/X, memory type in 5:3, bit 7 large. */
static void test_ept(void **state)
{
	struct fixture *f = *state;
	struct pt_ctx *pt = &f->pt;
	u64 pa, flags, size;

	pt->ept = true;
	/* a leaf without R, W or X would read as "not present": refused */
	assert_rc(pt_map(pt, 0, 0, PAGE_SIZE, EPT_MT(6)), -RAUM_EINVAL);
	/* x86-only flags are refused in EPT mode */
	assert_rc(pt_map(pt, 0, 0, PAGE_SIZE, EPT_RWX | PTE_NX), -RAUM_EINVAL);

	assert_rc(pt_map(pt, 0, 0, GB, EPT_RWX | EPT_MT(6)), 0);        /* one 1 GiB WB page */
	assert_rc(pt_map(pt, GB, GB, MB2, EPT_R | EPT_MT(0)), 0);        /* a 2 MiB UC read-only page */
	assert_rc(pt_map(pt, GB + MB2, GB + MB2, PAGE_SIZE, EPT_RWX | EPT_MT(4) | EPT_IPAT), 0);

	assert_rc(pt_lookup(pt, 0x12345678, &pa, &flags, &size), 0);
	assert_int_equal(pa, 0x12345678);
	assert_int_equal(size, GB);
	assert_int_equal(flags & (EPT_RWX | EPT_MT(7) | EPT_IPAT), EPT_RWX | EPT_MT(6));
	assert_true(flags & PTE_PS);

	assert_rc(pt_lookup(pt, GB + 0x1000, &pa, &flags, &size), 0);
	assert_int_equal(size, MB2);
	assert_int_equal(flags & (EPT_RWX | EPT_MT(7)), EPT_R | EPT_MT(0));

	assert_rc(pt_lookup(pt, GB + MB2, &pa, &flags, &size), 0);
	assert_int_equal(size, PAGE_SIZE);
	assert_int_equal(flags & (EPT_RWX | EPT_MT(7) | EPT_IPAT | PTE_PS), EPT_RWX | EPT_MT(4) | EPT_IPAT);

	/* interior entries grant R, W and X and nothing else of the x86 format */
	u64 pml4e = arena_table(&f->a, pt->root)[0];
	assert_int_equal(pml4e & 0xfff, EPT_RWX);
	/* an EPT entry is present through any of R W X, so overlap is still seen */
	assert_rc(pt_map(pt, GB, GB, PAGE_SIZE, EPT_RWX | EPT_MT(6)), -RAUM_EEXIST);
	expect_unmapped(pt, 2 * GB);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_4k, setup, teardown),
		cmocka_unit_test_setup_teardown(test_2m_and_1g_choice, setup, teardown),
		cmocka_unit_test_setup_teardown(test_allow_flags, setup, teardown),
		cmocka_unit_test_setup_teardown(test_4gib_table_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flags, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eexist, setup, teardown),
		cmocka_unit_test_setup_teardown(test_einval, setup, teardown),
		cmocka_unit_test_setup_teardown(test_top_of_address_space, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enomem, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ept, setup, teardown),
	};
	return cmocka_run_group_tests_name("pt", tests, NULL, NULL) ? 1 : 0;
}
