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

/* ---- unmap, split, teardown: checked against a page-granular model by a reference walker ---- */

/*
 * The model: what each 4 KiB page of [0, MODEL_SPAN) should map to, with
 * the leaf's attributes as a 4 KiB leaf would carry them (PAT in bit 7 for
 * x86, no page-size bit). attr 0 = unmapped (every mapped x86 leaf has P,
 * every mapped EPT leaf one of R W X).
 */
#define MODEL_SPAN (4 * GB)
#define MODEL_PAGES (MODEL_SPAN / PAGE_SIZE)

struct model {
	u64 *pa;
	u64 *attr;
};

static struct model model_new(void)
{
	struct model m = { calloc(MODEL_PAGES, sizeof(u64)), calloc(MODEL_PAGES, sizeof(u64)) };
	assert_non_null(m.pa);
	assert_non_null(m.attr);
	return m;
}

static void model_free(struct model *m)
{
	free(m->pa);
	free(m->attr);
}

static void model_map(struct model *m, u64 va, u64 pa, u64 size, u64 attr)
{
	for (u64 off = 0; off < size; off += PAGE_SIZE) {
		m->pa[(va + off) / PAGE_SIZE] = pa + off;
		m->attr[(va + off) / PAGE_SIZE] = attr;
	}
}

/* Returns whether a page in the range was mapped. */
static bool model_unmap(struct model *m, u64 va, u64 size)
{
	bool any = false;
	for (u64 off = 0; off < size; off += PAGE_SIZE) {
		any |= m->attr[(va + off) / PAGE_SIZE] != 0;
		m->attr[(va + off) / PAGE_SIZE] = 0;
	}
	return any;
}

static bool model_free_range(const struct model *m, u64 va, u64 size)
{
	for (u64 off = 0; off < size; off += PAGE_SIZE)
		if (m->attr[(va + off) / PAGE_SIZE])
			return false;
	return true;
}

/* A leaf's attributes as a 4 KiB leaf would carry them. */
static u64 norm_attr(bool ept, u64 e, int level)
{
	u64 a = e & ~PTE_ADDR_MASK & ~PTE_PS;
	if (!ept && level == 1)
		a |= e & PTE_PAT_4K;
	if (!ept && level > 1 && (e & PTE_PAT_LARGE))
		a |= PTE_PAT_4K;
	return a;
}

/*
 * The reference walker: reads the raw tables, independently of pt.c, and
 * checks every entry. Interior entries are exactly table | P W U (or R W X);
 * a large leaf has its address aligned and its reserved bits clear; every
 * page of every leaf is what the model says; the model has no page the
 * tables lack. Returns the number of table pages reached (the root included).
 */
struct walk {
	const struct model *m;
	struct arena *a;
	bool ept;
	u64 pages;  /* mapped 4 KiB pages seen */
	u64 tables;
};

static void walk_table(struct walk *w, u64 phys, int level, u64 base)
{
	const u64 *t = arena_table(w->a, phys);
	u64 span = 1ULL << (12 + 9 * (level - 1));

	w->tables++;
	for (int i = 0; i < 512; i++) {
		u64 e = t[i];
		u64 va = base + (u64)i * span;
		bool present = w->ept ? (e & EPT_RWX) : (e & PTE_P);
		if (!present) {
			assert_int_equal(e, 0); /* nothing half-cleared */
			continue;
		}
		if (level > 1 && !(e & PTE_PS)) {
			assert_int_equal(e & ~PTE_ADDR_MASK, w->ept ? EPT_RWX : (PTE_P | PTE_W | PTE_U));
			walk_table(w, e & PTE_ADDR_MASK, level - 1, va);
			continue;
		}
		/* a leaf: inside the model's span */
		assert_true(va + span <= MODEL_SPAN);
		u64 pa = e & PTE_ADDR_MASK & ~(span - 1);
		if (level > 1)
			assert_int_equal(e & PTE_ADDR_MASK & (span - 1) & ~PTE_PAT_LARGE, 0);
		if (w->ept && level > 1)
			assert_int_equal(e & PTE_PAT_LARGE, 0);
		u64 attr = norm_attr(w->ept, e, level);
		for (u64 off = 0; off < span; off += PAGE_SIZE) {
			u64 p = (va + off) / PAGE_SIZE;
			if (w->m->attr[p] != attr || w->m->pa[p] != pa + off) {
				print_error("va %#llx: tables say pa %#llx attr %#llx (level %d), model pa %#llx attr %#llx\n",
					    (unsigned long long)(va + off), (unsigned long long)(pa + off),
					    (unsigned long long)attr, level, (unsigned long long)w->m->pa[p],
					    (unsigned long long)w->m->attr[p]);
				fail();
			}
		}
		w->pages += span / PAGE_SIZE;
	}
}

static u64 walk_check(struct fixture *f, const struct model *m)
{
	struct walk w = { m, &f->a, f->pt.ept, 0, 0 };
	u64 want = 0;

	for (u64 p = 0; p < MODEL_PAGES; p++)
		want += m->attr[p] != 0;
	if (f->pt.root)
		walk_table(&w, f->pt.root, 4, 0);
	assert_int_equal(w.pages, want);
	return w.tables;
}

#define X86_ATTR(fl) ((fl) | PTE_P)

/* A 4 KiB hole in a 1 GiB leaf: 1 GiB -> 512 x 2 MiB -> one of them 512 x 4 KiB. */
static void test_unmap_inside_1g(void **state)
{
	struct fixture *f = *state;
	struct pt_ctx *pt = &f->pt;
	struct model m = model_new();
	const u64 fl = PTE_W | PTE_NX;

	assert_rc(pt_map(pt, GB, 2 * GB, GB, fl), 0);
	model_map(&m, GB, 2 * GB, GB, X86_ATTR(fl));
	assert_int_equal(walk_check(f, &m), 2); /* PML4, PDPT */
	u64 hole = GB + 3 * MB2 + 0x5000;
	assert_rc(pt_unmap(pt, hole, PAGE_SIZE), 1);
	model_unmap(&m, hole, PAGE_SIZE);
	assert_int_equal(walk_check(f, &m), 4); /* + PD, PT */
	assert_int_equal(arena_live(&f->a), 4);
	expect_unmapped(pt, hole);
	expect_map(pt, hole - PAGE_SIZE, 2 * GB + 3 * MB2 + 0x4000, PAGE_SIZE);
	expect_map(pt, hole + PAGE_SIZE, 2 * GB + 3 * MB2 + 0x6000, PAGE_SIZE);
	expect_map(pt, GB, 2 * GB, MB2);
	expect_map(pt, GB + 4 * MB2, 2 * GB + 4 * MB2, MB2);
	expect_map(pt, 2 * GB - 1, 3 * GB - 1, MB2);
	assert_int_equal(leaf_flags(pt, hole + PAGE_SIZE) & ~PTE_A & ~PTE_D, X86_ATTR(fl));

	/* the same page again: nothing left to remove */
	assert_rc(pt_unmap(pt, hole, PAGE_SIZE), 0);
	/* a 2 MiB-aligned 2 MiB range: that leaf goes, no split */
	assert_rc(pt_unmap(pt, GB + 8 * MB2, MB2), 1);
	model_unmap(&m, GB + 8 * MB2, MB2);
	assert_int_equal(walk_check(f, &m), 4);
	/* 2 MiB straddling two 2 MiB leaves: both split */
	assert_rc(pt_unmap(pt, GB + 10 * MB2 + 0x100000, MB2), 1);
	model_unmap(&m, GB + 10 * MB2 + 0x100000, MB2);
	assert_int_equal(walk_check(f, &m), 6);
	model_free(&m);
}

/* Ranges across PT, PD, PDPT and PML4 boundaries, mixed page sizes. */
static void test_unmap_across_tables(void **state)
{
	struct fixture *f = *state;
	struct pt_ctx *pt = &f->pt;
	struct model m = model_new();

	/* 4 KiB pages, then 2 MiB pages, then 1 GiB pages, then 4 KiB again */
	assert_rc(pt_map(pt, 0x1ff000, 0x7000000, 0x1000 + MB2 - 0x1000, PTE_W), 0);
	model_map(&m, 0x1ff000, 0x7000000, MB2, X86_ATTR(PTE_W));
	assert_rc(pt_map(pt, GB - 2 * MB2, 0x40000000, 2 * MB2 + GB, 0), 0);
	model_map(&m, GB - 2 * MB2, 0x40000000, 2 * MB2 + GB, X86_ATTR(0));
	assert_rc(pt_map(pt, 2 * GB, 0x100000000ULL, 0x3000, PTE_NX), 0);
	model_map(&m, 2 * GB, 0x100000000ULL, 0x3000, X86_ATTR(PTE_NX));
	walk_check(f, &m);

	/* across a PT boundary (0x200000): 4 KiB pages on both sides */
	assert_rc(pt_unmap(pt, 0x1ff000, 0x2000), 1);
	model_unmap(&m, 0x1ff000, 0x2000);
	walk_check(f, &m);
	/* from inside the 4 KiB run through the gap to inside a 2 MiB leaf */
	assert_rc(pt_unmap(pt, 0x3f0000, GB - 2 * MB2 + 0x5000 - 0x3f0000), 1);
	model_unmap(&m, 0x3f0000, GB - 2 * MB2 + 0x5000 - 0x3f0000);
	walk_check(f, &m);
	/* across the PDPT boundary at 1 GiB: the end of a 2 MiB leaf and into the 1 GiB leaf */
	assert_rc(pt_unmap(pt, GB - MB2 + 0x3000, MB2 + 0x7000), 1);
	model_unmap(&m, GB - MB2 + 0x3000, MB2 + 0x7000);
	walk_check(f, &m);
	/* the rest of the 1 GiB leaf and the 4 KiB pages after it, in one range */
	assert_rc(pt_unmap(pt, GB + 0x100000, GB + 0x2000 - 0x100000), 1);
	model_unmap(&m, GB + 0x100000, GB + 0x2000 - 0x100000);
	walk_check(f, &m);
	expect_map(pt, 2 * GB + 0x2000, 0x100002000ULL, PAGE_SIZE);

	/* across the PML4 boundary at 512 GiB (outside the model: lookups) */
	const u64 t = 512 * GB;
	assert_rc(pt_map(pt, t - 2 * MB2, 0, 4 * MB2, 0), 0);
	assert_rc(pt_unmap(pt, t - 0x3000, 0x5000), 1);
	expect_map(pt, t - 0x4000, 2 * MB2 - 0x4000, PAGE_SIZE);
	expect_unmapped(pt, t - 0x3000);
	expect_unmapped(pt, t + 0x1000);
	expect_map(pt, t + 0x2000, 2 * MB2 + 0x2000, PAGE_SIZE);
	expect_map(pt, t - 2 * MB2, 0, MB2);
	expect_map(pt, t + MB2, 3 * MB2, MB2);
	model_free(&m);
}

/* Nothing mapped: 0, and nothing changes, not even a split. */
static void test_unmap_unmapped(void **state)
{
	struct fixture *f = *state;
	struct pt_ctx *pt = &f->pt;
	static u64 before[16 * 512];

	assert_rc(pt_unmap(pt, 0, GB), 0);
	assert_rc(pt_unmap(pt, 0xffff800000000000ULL, 512 * GB), 0);
	assert_int_equal(arena_live(&f->a), 1);
	assert_rc(pt_map(pt, 0x5000, 0x5000, PAGE_SIZE, 0), 0);
	assert_rc(pt_map(pt, 2 * GB, 0, GB, 0), 0);
	u64 used = arena_live(&f->a);
	memcpy(before, f->a.mem, used * PAGE_SIZE);
	/* the neighbours of the 4 KiB page, the rest of its PT, a range around it that misses it */
	assert_rc(pt_unmap(pt, 0x4000, PAGE_SIZE), 0);
	assert_rc(pt_unmap(pt, 0x6000, MB2 - 0x6000), 0);
	assert_rc(pt_unmap(pt, 0x6000, 2 * GB - 0x6000), 0);
	assert_rc(pt_unmap(pt, 3 * GB, 3 * GB), 0);
	assert_int_equal(arena_live(&f->a), used);
	assert_memory_equal(before, f->a.mem, used * PAGE_SIZE);
	expect_map(pt, 2 * GB + 0x1234, 0x1234, GB);

	/* an empty context (after teardown): nothing to remove */
	assert_rc(pt_teardown(pt), 0);
	assert_rc(pt_unmap(pt, 0, GB), 0);
	assert_int_equal(arena_live(&f->a), 0);
}

/* Split keeps every attribute: x86 (PAT moves to bit 7 at 4 KiB) and EPT memory types. */
static void test_split_attributes(void **state)
{
	struct fixture *f = *state;
	struct pt_ctx *pt = &f->pt;
	struct model m = model_new();

	/* x86: G, PWT, U, NX, and what the CPU or software set: A, D, PAT, available bits */
	u64 fl = PTE_W | PTE_U | PTE_PWT | PTE_G | PTE_NX;
	assert_rc(pt_map(pt, GB, 3 * GB, GB, fl), 0);
	u64 *pdpt = arena_table(&f->a, arena_table(&f->a, pt->root)[0] & PTE_ADDR_MASK);
	u64 extra = PTE_A | PTE_D | BIT(9) | BIT(11) | BIT(52) | BIT(58);
	pdpt[1] |= extra | PTE_PAT_LARGE;
	model_map(&m, GB, 3 * GB, GB, X86_ATTR(fl) | extra | PTE_PAT_4K);
	walk_check(f, &m);
	assert_rc(pt_unmap(pt, GB + 5 * MB2 + 0x3000, PAGE_SIZE), 1);
	model_unmap(&m, GB + 5 * MB2 + 0x3000, PAGE_SIZE);
	walk_check(f, &m);
	/* bit 12 of the 2 MiB leaves is PAT again; bit 7 of the 4 KiB leaves is PAT, not PS */
	u64 *pd = arena_table(&f->a, pdpt[1] & PTE_ADDR_MASK);
	assert_true(pd[0] & PTE_PAT_LARGE);
	assert_true(pd[0] & PTE_PS);
	u64 *ptab = arena_table(&f->a, pd[5] & PTE_ADDR_MASK);
	assert_int_equal(ptab[0], (3 * GB + 5 * MB2) | X86_ATTR(fl) | extra | PTE_PAT_4K);
	assert_int_equal(ptab[3], 0);
	/* a leaf without PAT stays without it */
	assert_rc(pt_map(pt, 0, 0, MB2, PTE_PCD), 0);
	assert_rc(pt_split(pt, 0, 2), 0);
	model_map(&m, 0, 0, MB2, X86_ATTR(PTE_PCD));
	walk_check(f, &m);
	model_free(&m);
}

static void test_split_ept_types(void **state)
{
	struct fixture *f = *state;
	struct pt_ctx *pt = &f->pt;
	struct model m = model_new();

	pt->ept = true;
	/* WB with IPAT, execute-only UC, read-only WT: one 1 GiB and two 2 MiB leaves */
	assert_rc(pt_map(pt, 0, 0, GB, EPT_RWX | EPT_MT(6) | EPT_IPAT), 0);
	assert_rc(pt_map(pt, GB, 2 * GB, MB2, EPT_X | EPT_MT(0)), 0);
	assert_rc(pt_map(pt, GB + MB2, 2 * GB + MB2, MB2, EPT_R | EPT_MT(4)), 0);
	model_map(&m, 0, 0, GB, EPT_RWX | EPT_MT(6) | EPT_IPAT);
	model_map(&m, GB, 2 * GB, MB2, EPT_X | EPT_MT(0));
	model_map(&m, GB + MB2, 2 * GB + MB2, MB2, EPT_R | EPT_MT(4));
	/* accessed / dirty (SDM vol. 3C 29.3.5) and suppress-#VE are kept too */
	u64 *pdpt = arena_table(&f->a, arena_table(&f->a, pt->root)[0] & PTE_ADDR_MASK);
	pdpt[0] |= BIT(8) | BIT(9) | BIT(63);
	model_map(&m, 0, 0, GB, EPT_RWX | EPT_MT(6) | EPT_IPAT | BIT(8) | BIT(9) | BIT(63));
	walk_check(f, &m);

	/* one range cutting into all three */
	u64 va = GB - 0x3000, size = 2 * MB2 + 0x1000;
	assert_rc(pt_unmap(pt, va, size), 1);
	model_unmap(&m, va, size);
	walk_check(f, &m);
	u64 pa, flags, sz;
	assert_rc(pt_lookup(pt, GB - 0x4000, &pa, &flags, &sz), 0);
	assert_int_equal(sz, PAGE_SIZE);
	assert_int_equal(flags & (EPT_FLAGS_ALLOWED | PTE_PS), EPT_RWX | EPT_MT(6) | EPT_IPAT);
	assert_rc(pt_lookup(pt, 0x1000, &pa, &flags, &sz), 0);
	assert_int_equal(sz, MB2);
	assert_int_equal(flags & EPT_FLAGS_ALLOWED, EPT_RWX | EPT_MT(6) | EPT_IPAT);
	assert_rc(pt_lookup(pt, GB + 2 * MB2 - 0x2000, &pa, &flags, &sz), 0); /* just past the range */
	assert_int_equal(sz, PAGE_SIZE);
	assert_int_equal(flags & EPT_FLAGS_ALLOWED, EPT_R | EPT_MT(4));
	/* the split's new interior entries are R W X and nothing else (walk_check), the 4 KiB leaves lack bit 7 */
	assert_int_equal(flags & PTE_PS, 0);
	model_free(&m);
}

/* Teardown returns every table page, the root included; the context is usable again. */
static void test_teardown(void **state)
{
	struct fixture *f = *state;
	struct pt_ctx *pt = &f->pt;
	struct model m = model_new();
	u64 start = arena_live(&f->a) - 1; /* before the fixture's root */

	assert_rc(pt_map(pt, 0, 0, 3 * GB + 0x5000, PTE_W), 0);
	assert_rc(pt_map(pt, 0xffff800000000000ULL, 0, 4 * MB2 + 0x3000, 0), 0);
	assert_rc(pt_map(pt, 0x7fffffe00000ULL, 0, MB2, 0), 0);
	assert_rc(pt_unmap(pt, GB + 0x1000, 0x1000), 1);
	assert_true(arena_live(&f->a) > 8);
	/* nr_tables counts the context's table pages: the arena's live pages since before the root */
	assert_int_equal(pt->nr_tables, arena_live(&f->a) - start);
	assert_rc(pt_teardown(pt), 0);
	assert_int_equal(pt->root, 0);
	assert_int_equal(pt->nr_tables, 0);
	assert_int_equal(arena_live(&f->a), start);
	expect_unmapped(pt, 0);
	assert_rc(pt_split(pt, 0, 3), -RAUM_ENOENT);
	/* again: nothing to free */
	assert_rc(pt_teardown(pt), 0);
	assert_int_equal(arena_live(&f->a), start);

	/* reusable: pt_map builds a new root */
	assert_rc(pt_map(pt, MB2, 0x40000000, MB2 + PAGE_SIZE, 0), 0);
	model_map(&m, MB2, 0x40000000, MB2 + PAGE_SIZE, X86_ATTR(0));
	assert_int_equal(walk_check(f, &m), arena_live(&f->a));
	assert_int_equal(pt->nr_tables, arena_live(&f->a) - start);
	assert_rc(pt_teardown(pt), 0);
	assert_int_equal(arena_live(&f->a), start);

	/* EPT tables too */
	pt->ept = true;
	assert_rc(pt_map(pt, 0, 0, 2 * GB + MB2 + PAGE_SIZE, EPT_RWX | EPT_MT(6)), 0);
	assert_rc(pt_teardown(pt), 0);
	assert_int_equal(arena_live(&f->a), start);

	/* without a free op: refused, the tables stay */
	assert_rc(pt_map(pt, 0, 0, PAGE_SIZE, EPT_R), 0);
	pt->free = NULL;
	assert_rc(pt_teardown(pt), -RAUM_EINVAL);
	assert_int_not_equal(pt->root, 0);
	expect_map(pt, 0, 0, PAGE_SIZE);
	model_free(&m);
}

/* A split that cannot get its table leaves the mapping as it was. */
static void test_split_enomem(void **state)
{
	struct fixture *f = *state;
	struct pt_ctx *pt = &f->pt;
	struct model m = model_new();
	static u64 before[8 * 512];

	assert_rc(pt_map(pt, GB, 0, GB, PTE_W), 0);
	model_map(&m, GB, 0, GB, X86_ATTR(PTE_W));
	u64 live = arena_live(&f->a);
	memcpy(before, f->a.mem, live * PAGE_SIZE);

	/* no page at all: nothing changes */
	f->a.limit = live;
	assert_rc(pt_unmap(pt, GB + 0x1000, PAGE_SIZE), -RAUM_ENOMEM);
	assert_rc(pt_split(pt, GB, 3), -RAUM_ENOMEM);
	assert_int_equal(arena_live(&f->a), live);
	assert_memory_equal(before, f->a.mem, live * PAGE_SIZE);
	walk_check(f, &m);
	expect_map(pt, GB + 0x1000, 0x1000, GB);

	/* one page: 1 GiB -> 2 MiB works, 2 MiB -> 4 KiB does not. No mapping is removed. */
	f->a.limit = live + 1;
	assert_rc(pt_unmap(pt, GB + 0x1000, PAGE_SIZE), -RAUM_ENOMEM);
	walk_check(f, &m);
	expect_map(pt, GB + 0x1000, 0x1000, MB2);

	/* the end split failing after the start split: still nothing removed */
	f->a.limit = arena_live(&f->a) + 1;
	assert_rc(pt_unmap(pt, GB + 0x1000, 2 * MB2), -RAUM_ENOMEM);
	walk_check(f, &m);
	expect_map(pt, GB + 0x1000, 0x1000, PAGE_SIZE);
	expect_map(pt, GB + 2 * MB2, 2 * MB2, MB2);

	/* with a page more it goes through */
	f->a.limit = arena_live(&f->a) + 1;
	assert_rc(pt_unmap(pt, GB + 0x1000, 2 * MB2), 1);
	model_unmap(&m, GB + 0x1000, 2 * MB2);
	walk_check(f, &m);
	model_free(&m);
}

/* Refused before anything changes. */
static void test_unmap_einval(void **state)
{
	struct fixture *f = *state;
	struct pt_ctx *pt = &f->pt;

	assert_rc(pt_map(pt, 0, 0, GB, 0), 0);
	assert_rc(pt_map(pt, 0xffffffffc0000000ULL, 0, GB, 0), 0);
	assert_rc(pt_map(pt, 0x00007fffc0000000ULL, 0, GB, 0), 0);
	u64 live = arena_live(&f->a);

	assert_rc(pt_unmap(pt, 0x1001, PAGE_SIZE), -RAUM_EINVAL);
	assert_rc(pt_unmap(pt, 0x1000, 0x800), -RAUM_EINVAL);
	assert_rc(pt_unmap(pt, 0x1000, 0), -RAUM_EINVAL);
	/* wrapping past 2^64 */
	assert_rc(pt_unmap(pt, 0xfffffffffffff000ULL, 2 * PAGE_SIZE), -RAUM_EINVAL);
	assert_rc(pt_unmap(pt, 0x1000, 0xfffffffffffff000ULL), -RAUM_EINVAL);
	/* non-canonical, or across the hole */
	assert_rc(pt_unmap(pt, 0x0000800000000000ULL, PAGE_SIZE), -RAUM_EINVAL);
	assert_rc(pt_unmap(pt, 0xffff7ffffffff000ULL, PAGE_SIZE), -RAUM_EINVAL);
	assert_rc(pt_unmap(pt, 0x00007ffffffff000ULL, 2 * PAGE_SIZE), -RAUM_EINVAL);
	assert_rc(pt_unmap(pt, 0x00007ffffffff000ULL, 0xffff800000001000ULL - 0x00007ffffffff000ULL),
		  -RAUM_EINVAL);
	assert_rc(pt_split(pt, 0, 1), -RAUM_EINVAL);
	assert_rc(pt_split(pt, 0, 4), -RAUM_EINVAL);
	assert_rc(pt_split(pt, 0, 0), -RAUM_EINVAL);
	assert_rc(pt_split(pt, 0x0000800000000000ULL, 3), -RAUM_EINVAL);
	/* no such leaf */
	assert_rc(pt_split(pt, GB, 3), -RAUM_ENOENT);
	assert_rc(pt_split(pt, 0, 2), -RAUM_ENOENT);
	assert_int_equal(arena_live(&f->a), live);
	expect_map(pt, 0x1000, 0x1000, GB);

	/* the edges are fine: the last page of the lower half, the last page of all */
	assert_rc(pt_unmap(pt, 0x00007ffffffff000ULL, PAGE_SIZE), 1);
	expect_unmapped(pt, 0x00007ffffffff000ULL);
	expect_map(pt, 0x00007fffffffe000ULL, GB - 0x2000, PAGE_SIZE);
	assert_rc(pt_unmap(pt, 0xfffffffffffff000ULL, PAGE_SIZE), 1);
	expect_unmapped(pt, 0xfffffffffffff000ULL);
	expect_map(pt, 0xffffffffffffe000ULL, GB - 0x2000, PAGE_SIZE);
	expect_map(pt, 0xffffffffc0000000ULL, 0, MB2);
}

/* After unmap the kept tables take a new mapping in smaller pages. */
static void test_remap_after_unmap(void **state)
{
	struct fixture *f = *state;
	struct pt_ctx *pt = &f->pt;
	struct model m = model_new();

	assert_rc(pt_map(pt, GB, 0, GB, 0), 0);
	assert_rc(pt_unmap(pt, GB + 0x1000, PAGE_SIZE), 1);
	assert_rc(pt_unmap(pt, GB, GB), 1);
	u64 live = arena_live(&f->a);
	assert_int_equal(walk_check(f, &m), live); /* kept: PD and PT, all empty */
	assert_rc(pt_map(pt, GB, 5 * GB, GB, PTE_W), 0);
	model_map(&m, GB, 5 * GB, GB, X86_ATTR(PTE_W));
	assert_int_equal(walk_check(f, &m), live); /* no new table */
	expect_map(pt, GB, 5 * GB, PAGE_SIZE);
	expect_map(pt, GB + MB2, 5 * GB + MB2, MB2);
	model_free(&m);
}

/* pt_for_each_leaf: every leaf once, in address order, with its size; the lower half only; nothing changed. */
struct leaf_rec {
	u64 va[16], pa[16], size[16];
	int n;
};

static void record_leaf(void *ctx, u64 va, u64 pa, u64 size)
{
	struct leaf_rec *r = ctx;
	assert_true(r->n < 16);
	r->va[r->n] = va;
	r->pa[r->n] = pa;
	r->size[r->n] = size;
	r->n++;
}

static void test_for_each_leaf(void **state)
{
	struct fixture *f = *state;
	struct pt_ctx *pt = &f->pt;
	struct leaf_rec r = { .n = 0 };

	pt_for_each_leaf(pt, record_leaf, &r); /* nothing mapped */
	assert_int_equal(r.n, 0);
	assert_rc(pt_map(pt, 7 * PAGE_SIZE, 0x123000, PAGE_SIZE, PTE_W), 0);
	assert_rc(pt_map(pt, 2 * MB2, 6 * MB2, MB2, 0), 0);
	assert_rc(pt_map(pt, 3 * GB, 9 * GB, GB, 0), 0);
	assert_rc(pt_map(pt, 513 * GB, 0x5000, PAGE_SIZE, 0), 0); /* another PML4 slot */
	u64 live = arena_live(&f->a);
	pt_for_each_leaf(pt, record_leaf, &r);
	assert_int_equal(r.n, 4);
	const u64 va[] = { 7 * PAGE_SIZE, 2 * MB2, 3 * GB, 513 * GB }, pa[] = { 0x123000, 6 * MB2, 9 * GB, 0x5000 },
		  sz[] = { PAGE_SIZE, MB2, GB, PAGE_SIZE };
	for (int i = 0; i < 4; i++) {
		assert_int_equal(r.va[i], va[i]);
		assert_int_equal(r.pa[i], pa[i]);
		assert_int_equal(r.size[i], sz[i]);
	}
	assert_int_equal(arena_live(&f->a), live);
	/* an unmapped leaf is gone from the walk */
	assert_rc(pt_unmap(pt, 513 * GB, PAGE_SIZE), 1);
	r.n = 0;
	pt_for_each_leaf(pt, record_leaf, &r);
	assert_int_equal(r.n, 3);
}

/*
 * Random map / unmap over 4 GiB against the model, walk-checked after each
 * step, on both formats; then teardown must return every page.
 */
static void test_random_ops(void **state)
{
	struct fixture *f = *state;
	struct pt_ctx *pt = &f->pt;
	static const u64 sizes[] = { PAGE_SIZE, 3 * PAGE_SIZE, MB2, MB2 + PAGE_SIZE, 3 * MB2, GB, GB + MB2 };
	u64 r = 42;
	unsigned removed = 0, splits_seen = 0;

	for (int ept = 0; ept < 2; ept++) {
		struct model m = model_new();
		pt->ept = ept;
		for (int step = 0; step < 300; step++) {
			u64 size = sizes[unit_rand(&r) % ARRAY_SIZE(sizes)];
			u64 align = unit_rand(&r) % 3 == 0 ? PAGE_SIZE : size >= GB ? GB : size >= MB2 ? MB2 : PAGE_SIZE;
			u64 va = (unit_rand(&r) % MODEL_SPAN) & ~(align - 1);
			if (va + size > MODEL_SPAN)
				continue;
			if (unit_rand(&r) % 2) {
				if (!model_free_range(&m, va, size))
					continue;
				u64 pa = ((unit_rand(&r) % (64 * GB)) & ~(align - 1));
				u64 fl = ept ? (EPT_R | EPT_MT(unit_rand(&r) % 2 ? 6 : 0)) : (unit_rand(&r) % 2 ? PTE_W : PTE_NX);
				assert_rc(pt_map(pt, va, pa, size, fl), 0);
				model_map(&m, va, pa, size, ept ? fl : X86_ATTR(fl));
			} else {
				u64 before = arena_live(&f->a);
				bool any = model_unmap(&m, va, size);
				assert_rc(pt_unmap(pt, va, size), any);
				removed += any;
				splits_seen += arena_live(&f->a) > before;
			}
			assert_int_equal(walk_check(f, &m), arena_live(&f->a));
		}
		assert_rc(pt_teardown(pt), 0);
		assert_int_equal(arena_live(&f->a), 0);
		model_free(&m);
	}
	/* the walk reached the interesting cases */
	assert_true(removed > 50);
	assert_true(splits_seen > 10);
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
		cmocka_unit_test_setup_teardown(test_unmap_inside_1g, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unmap_across_tables, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unmap_unmapped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_split_attributes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_split_ept_types, setup, teardown),
		cmocka_unit_test_setup_teardown(test_teardown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_split_enomem, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unmap_einval, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remap_after_unmap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_ops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_for_each_leaf, setup, teardown),
	};
	return cmocka_run_group_tests_name("pt", tests, NULL, NULL) ? 1 : 0;
}
