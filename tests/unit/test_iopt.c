// SPDX-License-Identifier: MIT
/*
 * drivers/iopt.c: the IOMMU's tables (VT-d second-level and AMD-Vi I/O page
 * tables, VT-d root / context tables, the AMD-Vi device table), on the host
 * "physical memory" arena of tests/unit/arena.h. Every map is checked twice:
 * through iopt_lookup, and by a raw walk of the tables that checks every
 * entry's bits and that the leaves cover exactly what was asked.
 */
#include "unit.h"

#include <raum/iopt.h>

#include "arena.h"

#define GB HUGE_PAGE_SIZE
#define MB2 LARGE_PAGE_SIZE
#define KB4 PAGE_SIZE

/* Where Raum sits, as the loader places it: 4 KiB but not 2 MiB aligned, at both ends. */
#define HV_BASE 0x1bddb000ULL
#define HV_SIZE (32ULL << 20)
#define HV_END (HV_BASE + HV_SIZE)

struct ifix {
	struct arena a;
	struct iopt t;
};

/* A fresh arena (garbage, so the builder must zero what it takes) and an empty table of this shape. */
static void reset(struct ifix *f, enum iopt_fmt fmt, int levels, bool allow_2m, bool allow_1g)
{
	memset(f->a.mem, 0xcc, (f->a.used ? f->a.used : ARENA_PAGES) * PAGE_SIZE);
	f->a.used = 0;
	f->a.nfree = 0;
	f->a.limit = ARENA_PAGES;
	memset(f->a.is_free, 0, sizeof(f->a.is_free));
	f->t = (struct iopt){ .fmt = fmt, .levels = levels, .root = 0, .allow_2m = allow_2m, .allow_1g = allow_1g,
			      .table = arena_table, .alloc = arena_alloc, .ctx = &f->a, .nr_tables = 0 };
}

static int setup(void **state)
{
	struct ifix *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	f->a.mem = aligned_alloc(PAGE_SIZE, ARENA_PAGES * PAGE_SIZE);
	if (!f->a.mem)
		return -1;
	reset(f, IOPT_VTD, 4, true, true);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct ifix *f = *state;
	free(f->a.mem);
	free(f);
	return 0;
}

static u64 lsize(int level) { return 1ULL << (12 + 9 * (level - 1)); }

/* ---- lookups ---- */

static void expect_map(const struct iopt *t, u64 iova, u64 want_size)
{
	u64 pa = ~0ULL, size = 0;
	bool r = false, w = false;
	assert_rc(iopt_lookup(t, iova, &pa, &size, &r, &w), 0);
	assert_int_equal(pa, iova); /* identity */
	assert_int_equal(size, want_size);
	assert_true(r);
	assert_true(w);
}

static void expect_unmapped(const struct iopt *t, u64 iova)
{
	u64 pa, size;
	bool r, w;
	assert_rc(iopt_lookup(t, iova, &pa, &size, &r, &w), -RAUM_ENOENT);
}

/* ---- the raw walk ---- */

struct range {
	u64 base, end;
};

struct wstat {
	u64 tables;
	u64 leaves[4]; /* by level - 1 */
	u64 bytes;
};

static u64 interior_bits(const struct iopt *t, int level)
{
	if (t->fmt == IOPT_VTD)
		return VTD_SL_R | VTD_SL_W;
	return AMDVI_PTE_PR | (u64)(level - 1) << AMDVI_PTE_NL_SHIFT | AMDVI_PTE_IR | AMDVI_PTE_IW;
}

static u64 leaf_bits(const struct iopt *t, int level)
{
	if (t->fmt == IOPT_VTD)
		return VTD_SL_R | VTD_SL_W | (level > 1 ? VTD_SL_PS : 0);
	return AMDVI_PTE_PR | AMDVI_PTE_IR | AMDVI_PTE_IW; /* Next Level 0 */
}

/*
 * Checks every entry of the table at phys (covering iova from va) and below:
 * an entry is 0, or exactly an interior entry's bits and a table's address,
 * or exactly a leaf's bits and its own iova (identity), of a size the table
 * allows, lying inside one of the ranges.
 */
static void walk(struct ifix *f, u64 phys, int level, u64 va, const struct range *rg, int nr, struct wstat *s)
{
	const struct iopt *t = &f->t;
	u64 *tab = arena_table(&f->a, phys);

	s->tables++;
	for (unsigned i = 0; i < 512; i++) {
		u64 e = tab[i], a = va + i * lsize(level);
		bool present = t->fmt == IOPT_VTD ? (e & (VTD_SL_R | VTD_SL_W)) : (e & AMDVI_PTE_PR);
		if (!present) {
			assert_int_equal(e, 0);
			continue;
		}
		bool leaf = level == 1 ||
			    (t->fmt == IOPT_VTD ? (e & VTD_SL_PS) != 0 : (e & AMDVI_PTE_NL_MASK) == 0);
		if (!leaf) {
			assert_int_equal(e & ~IOPT_ADDR_MASK, interior_bits(t, level));
			walk(f, e & IOPT_ADDR_MASK, level - 1, a, rg, nr, s);
			continue;
		}
		/* VT-d: bits 2..6 (X, memory type, IPAT) and 11 (SNP) zero; both: nothing above bit 51 but IR / IW */
		assert_int_equal(e & ~IOPT_ADDR_MASK, leaf_bits(t, level));
		assert_int_equal(e & IOPT_ADDR_MASK, a);
		assert_true(level <= 3);
		if (level == 3)
			assert_true(t->allow_1g);
		if (level == 2)
			assert_true(t->allow_2m);
		int k;
		for (k = 0; k < nr; k++)
			if (a >= rg[k].base && a + lsize(level) <= rg[k].end)
				break;
		if (k == nr)
			fail_msg("leaf %#llx + %#llx outside the mapped ranges", (unsigned long long)a,
				 (unsigned long long)lsize(level));
		s->leaves[level - 1]++;
		s->bytes += lsize(level);
	}
}

/* Walks the whole tree; checks the leaves cover exactly the ranges and the table count. */
static struct wstat walk_check(struct ifix *f, const struct range *rg, int nr)
{
	struct wstat s = { 0 };
	u64 want = 0;

	assert_int_not_equal(f->t.root, 0);
	walk(f, f->t.root, f->t.levels, 0, rg, nr, &s);
	for (int k = 0; k < nr; k++)
		want += rg[k].end - rg[k].base;
	/* leaves are disjoint (a tree) and each inside a range: equal sums mean exact cover */
	assert_int_equal(s.bytes, want);
	assert_int_equal(s.tables, f->t.nr_tables);
	assert_int_equal(s.tables, arena_live(&f->a));
	return s;
}

/* ---- identity [0, 4 GiB) ---- */

static void identity_4g(struct ifix *f, enum iopt_fmt fmt, int levels)
{
	static const struct range all[] = { { 0, 4 * GB } };

	reset(f, fmt, levels, true, true);
	assert_rc(iopt_map(&f->t, 0, 4 * GB), 0);
	/* 3 levels: the top table's four 1 GiB leaves; 4 levels: one more table above it */
	assert_int_equal(f->t.nr_tables, levels == 3 ? 1 : 2);
	assert_int_equal(arena_live(&f->a), f->t.nr_tables);
	struct wstat s = walk_check(f, all, 1);
	assert_int_equal(s.leaves[2], 4);
	assert_int_equal(s.leaves[1] + s.leaves[0], 0);

	expect_map(&f->t, 0, GB);
	expect_map(&f->t, 0x1234, GB);
	expect_map(&f->t, 0xfee00000, GB);
	expect_map(&f->t, GB - 1, GB);
	expect_map(&f->t, GB, GB);
	expect_map(&f->t, 3 * GB + 0x123456, GB);
	expect_map(&f->t, 4 * GB - 1, GB);
	expect_unmapped(&f->t, 4 * GB);
	expect_unmapped(&f->t, 511 * GB);
	expect_unmapped(&f->t, (1ULL << 39) - 1);
	expect_unmapped(&f->t, 1ULL << 39); /* beyond 3 levels' reach; unmapped in 4 levels */
	expect_unmapped(&f->t, (1ULL << 48) - 1);
	expect_unmapped(&f->t, 1ULL << 48);
	expect_unmapped(&f->t, ~0ULL);

	/* the raw top entries */
	u64 *top = arena_table(&f->a, f->t.root);
	u64 *l3 = top;
	if (levels == 4) {
		assert_int_equal(top[0] & ~IOPT_ADDR_MASK, interior_bits(&f->t, 4));
		assert_int_equal(top[1], 0);
		l3 = arena_table(&f->a, top[0] & IOPT_ADDR_MASK);
	}
	for (int i = 0; i < 4; i++)
		assert_int_equal(l3[i], (u64)i * GB | leaf_bits(&f->t, 3));
	if (fmt == IOPT_VTD) {
		assert_int_equal(l3[1], GB | BIT(0) | BIT(1) | BIT(7));
		assert_int_equal(l3[1] & (0x7cULL | BIT(11)), 0); /* bits 2..6 and 11 */
		if (levels == 4)
			assert_int_equal(top[0], (top[0] & IOPT_ADDR_MASK) | BIT(0) | BIT(1));
	} else {
		assert_int_equal(l3[1], GB | BIT(0) | BIT(61) | BIT(62));
		if (levels == 4)
			assert_int_equal(top[0], (top[0] & IOPT_ADDR_MASK) | BIT(0) | 3ULL << 9 | BIT(61) | BIT(62));
	}
	assert_int_equal(l3[4], 0);
}

static void test_vtd_identity(void **state)
{
	identity_4g(*state, IOPT_VTD, 3);
	identity_4g(*state, IOPT_VTD, 4);
}

static void test_amdvi_identity(void **state)
{
	identity_4g(*state, IOPT_AMDVI, 4);
	identity_4g(*state, IOPT_AMDVI, 3);
}

/* A range that takes all three sizes: 4 KiB up to 2 MiB alignment, 2 MiB up to 1 GiB, 1 GiB, then down again. */
static void test_mixed_sizes(void **state)
{
	struct ifix *f = *state;
	const u64 b = GB - MB2 - 3 * KB4, e = 3 * GB + MB2 + 2 * KB4;
	const struct range rg[] = { { b, e } };

	for (int fmt = 0; fmt < 2; fmt++)
		for (int levels = 3; levels <= 4; levels++) {
			reset(f, fmt ? IOPT_AMDVI : IOPT_VTD, levels, true, true);
			assert_rc(iopt_map(&f->t, b, e - b), 0);
			struct wstat s = walk_check(f, rg, 1);
			assert_int_equal(s.leaves[0], 3 + 2);
			assert_int_equal(s.leaves[1], 1 + 1);
			assert_int_equal(s.leaves[2], 2);
			/* top (+ one above), a table for 2 MiB at each end, a table for 4 KiB at each end */
			assert_int_equal(f->t.nr_tables, (u64)levels - 2 + 4);
			expect_unmapped(&f->t, b - KB4);
			expect_map(&f->t, b, KB4);
			expect_map(&f->t, GB - MB2 - 1, KB4);
			expect_map(&f->t, GB - MB2, MB2);
			expect_map(&f->t, GB - 1, MB2);
			expect_map(&f->t, GB, GB);
			expect_map(&f->t, 3 * GB - 1, GB);
			expect_map(&f->t, 3 * GB, MB2);
			expect_map(&f->t, 3 * GB + MB2, KB4);
			expect_map(&f->t, e - 1, KB4);
			expect_unmapped(&f->t, e);
		}
}

/* ---- the map Raum builds: everything below 8 GiB but Raum itself ---- */

static bool in_hole(u64 a) { return a >= HV_BASE && a < HV_END; }

static void hole_case(struct ifix *f, enum iopt_fmt fmt, int levels, bool allow_1g)
{
	const struct range rg[] = { { 0, HV_BASE }, { HV_END, 8 * GB } };
	const u64 big = allow_1g ? GB : MB2;

	reset(f, fmt, levels, true, allow_1g);
	assert_rc(iopt_map(&f->t, 0, HV_BASE), 0);
	assert_rc(iopt_map(&f->t, HV_END, 8 * GB - HV_END), 0);
	struct wstat s = walk_check(f, rg, 2);

	/*
	 * [0, 0x1bc00000): 0xde 2 MiB pages, [0x1bc00000, HV_BASE): 0x1db 4 KiB pages;
	 * [HV_END, 0x1de00000): 0x25 4 KiB pages, [0x1de00000, 1 GiB): 0x111 2 MiB pages;
	 * [1 GiB, 8 GiB): 7 1 GiB pages or 7 * 512 2 MiB pages.
	 */
	assert_int_equal(s.leaves[0], 0x1db + 0x25);
	assert_int_equal(s.leaves[1], 0xde + 0x111 + (allow_1g ? 0 : 7 * 512));
	assert_int_equal(s.leaves[2], allow_1g ? 7 : 0);
	/* the top (+ one above), a 2 MiB table per GiB mapped in them, a 4 KiB table at each edge of the hole */
	assert_int_equal(f->t.nr_tables, (u64)levels - 2 + (allow_1g ? 1 : 8) + 2);

	/* the hole: first, second, middle, last-but-one, last page and byte */
	expect_unmapped(&f->t, HV_BASE);
	expect_unmapped(&f->t, HV_BASE + 0x123);
	expect_unmapped(&f->t, HV_BASE + KB4);
	expect_unmapped(&f->t, HV_BASE + HV_SIZE / 2);
	expect_unmapped(&f->t, HV_BASE + 0x1000000 + 0x5000);
	expect_unmapped(&f->t, 0x1c000000); /* a 2 MiB boundary inside */
	expect_unmapped(&f->t, HV_END - 2 * KB4);
	expect_unmapped(&f->t, HV_END - KB4);
	expect_unmapped(&f->t, HV_END - 1);
	for (u64 a = HV_BASE; a < HV_END; a += 37 * KB4)
		expect_unmapped(&f->t, a);

	/* right next to it: 4 KiB pages (neither edge is 2 MiB aligned) */
	expect_map(&f->t, HV_BASE - KB4, KB4);
	expect_map(&f->t, HV_BASE - 1, KB4);
	expect_map(&f->t, HV_END, KB4);
	expect_map(&f->t, HV_END + 0xfff, KB4);
	/* 4 KiB up to the 2 MiB boundaries around the hole, 2 MiB beyond them */
	expect_map(&f->t, 0x1bc00000, KB4);
	expect_map(&f->t, 0x1bc00000 - 1, MB2);
	expect_map(&f->t, 0x1bc00000 - MB2, MB2);
	expect_map(&f->t, 0x1de00000 - KB4, KB4);
	expect_map(&f->t, 0x1de00000, MB2);
	expect_map(&f->t, GB - 1, MB2);
	expect_map(&f->t, 0, MB2);
	expect_map(&f->t, 0xfee00000, big);
	expect_map(&f->t, GB, big);
	expect_map(&f->t, 8 * GB - 1, big);
	expect_unmapped(&f->t, 8 * GB);

	/* a sample: a mapped address's leaf never reaches into the hole, an unmapped one is in it */
	u64 r = 7;
	for (int i = 0; i < 20000; i++) {
		u64 a = i % 2 ? unit_rand(&r) % (8 * GB)
			      : HV_BASE - 4 * MB2 + unit_rand(&r) % (HV_SIZE + 8 * MB2);
		u64 pa, size;
		bool rd, wr;
		int rc = iopt_lookup(&f->t, a, &pa, &size, &rd, &wr);
		if (in_hole(a)) {
			assert_rc(rc, -RAUM_ENOENT);
			continue;
		}
		assert_rc(rc, 0);
		assert_int_equal(pa, a);
		assert_true(rd && wr);
		u64 pb = pa & ~(size - 1);
		assert_true(pb + size <= HV_BASE || pb >= HV_END);
	}
}

static void test_hole(void **state)
{
	for (int fmt = 0; fmt < 2; fmt++)
		for (int levels = 3; levels <= 4; levels++) {
			hole_case(*state, fmt ? IOPT_AMDVI : IOPT_VTD, levels, true);
			hole_case(*state, fmt ? IOPT_AMDVI : IOPT_VTD, levels, false);
		}
}

/* ---- without large pages ---- */

static void test_no_large_pages(void **state)
{
	struct ifix *f = *state;
	static const struct range all[] = { { 0, 4 * GB } };

	for (int fmt = 0; fmt < 2; fmt++)
		for (int levels = 3; levels <= 4; levels++) {
			enum iopt_fmt ft = fmt ? IOPT_AMDVI : IOPT_VTD;
			/* 2 MiB only: the top (+ one), 4 tables of 2 MiB pages */
			reset(f, ft, levels, true, false);
			assert_rc(iopt_map(&f->t, 0, 4 * GB), 0);
			struct wstat s = walk_check(f, all, 1);
			assert_int_equal(s.leaves[1], 4 * 512);
			assert_int_equal(s.leaves[0] + s.leaves[2], 0);
			assert_int_equal(f->t.nr_tables, (u64)levels - 2 + 4);
			expect_map(&f->t, 0, MB2);
			expect_map(&f->t, GB, MB2);
			expect_map(&f->t, 3 * GB + 0x12345, MB2);

			/* neither: 4 KiB pages only, 2048 tables of them */
			reset(f, ft, levels, false, false);
			assert_rc(iopt_map(&f->t, 0, 4 * GB), 0);
			s = walk_check(f, all, 1);
			assert_int_equal(s.leaves[0], 4 * GB / KB4);
			assert_int_equal(f->t.nr_tables, (u64)levels - 2 + 4 + 2048);
			expect_map(&f->t, 0, KB4);
			expect_map(&f->t, GB, KB4);
			expect_map(&f->t, 4 * GB - 1, KB4);

			/* 1 GiB but not 2 MiB: 1 GiB where aligned, 4 KiB around it */
			const struct range rg[] = { { GB - MB2, 2 * GB + 2 * KB4 } };
			reset(f, ft, levels, false, true);
			assert_rc(iopt_map(&f->t, rg[0].base, rg[0].end - rg[0].base), 0);
			s = walk_check(f, rg, 1);
			assert_int_equal(s.leaves[2], 1);
			assert_int_equal(s.leaves[1], 0);
			assert_int_equal(s.leaves[0], 512 + 2);
			expect_map(&f->t, GB - MB2, KB4);
			expect_map(&f->t, GB, GB);
			expect_map(&f->t, 2 * GB + KB4, KB4);
		}
}

/* ---- what lookup refuses: corrupted entries ---- */

static void test_amdvi_lookup_refuses(void **state)
{
	struct ifix *f = *state;
	u64 pa, size;
	bool r, w;

	reset(f, IOPT_AMDVI, 4, true, true);
	assert_rc(iopt_map(&f->t, 0, GB + MB2 + KB4), 0);
	const u64 a = GB + MB2; /* 4 KiB: all four levels */
	expect_map(&f->t, a, KB4);
	u64 *l4 = arena_table(&f->a, f->t.root);
	u64 *l3 = arena_table(&f->a, l4[0] & IOPT_ADDR_MASK);
	u64 *l2 = arena_table(&f->a, l3[1] & IOPT_ADDR_MASK);
	u64 *l1 = arena_table(&f->a, l2[1] & IOPT_ADDR_MASK);
	assert_int_equal(l4[0] & AMDVI_PTE_NL_MASK, 3ULL << 9);
	assert_int_equal(l3[1] & AMDVI_PTE_NL_MASK, 2ULL << 9);
	assert_int_equal(l2[1] & AMDVI_PTE_NL_MASK, 1ULL << 9);
	assert_int_equal(l1[0] & AMDVI_PTE_NL_MASK, 0);

	/* the top entry's Next Level skipping a level (2), or pointing up (4, 7): refused */
	u64 save = l4[0];
	for (u64 nl = 1; nl <= 7; nl++) {
		if (nl == 3)
			continue;
		l4[0] = (save & ~AMDVI_PTE_NL_MASK) | nl << 9;
		assert_rc(iopt_lookup(&f->t, a, &pa, &size, &r, &w), -RAUM_EINVAL);
	}
	l4[0] = save;
	/* the level-3 entry's Next Level set to level - 2 = 1 */
	save = l3[1];
	l3[1] = (save & ~AMDVI_PTE_NL_MASK) | 1ULL << 9;
	assert_rc(iopt_lookup(&f->t, a, &pa, &size, &r, &w), -RAUM_EINVAL);
	l3[1] = save;
	/* a 512 GiB leaf at the top (Next Level 0 in level 4): no such page */
	save = l4[0];
	l4[0] = save & ~AMDVI_PTE_NL_MASK;
	assert_rc(iopt_lookup(&f->t, a, &pa, &size, &r, &w), -RAUM_EINVAL);
	l4[0] = save;
	expect_map(&f->t, a, KB4);

	/* PR cleared at each level: not present */
	u64 *ents[] = { &l4[0], &l3[1], &l2[1], &l1[0] };
	for (unsigned i = 0; i < ARRAY_SIZE(ents); i++) {
		save = *ents[i];
		*ents[i] &= ~AMDVI_PTE_PR;
		assert_rc(iopt_lookup(&f->t, a, &pa, &size, &r, &w), -RAUM_ENOENT);
		*ents[i] = save;
	}
	/* IR / IW are ANDed over the levels */
	for (unsigned i = 0; i < ARRAY_SIZE(ents); i++) {
		save = *ents[i];
		*ents[i] &= ~AMDVI_PTE_IW;
		assert_rc(iopt_lookup(&f->t, a, &pa, &size, &r, &w), 0);
		assert_true(r);
		assert_false(w);
		*ents[i] = save & ~AMDVI_PTE_IR;
		assert_rc(iopt_lookup(&f->t, a, &pa, &size, &r, &w), 0);
		assert_false(r);
		assert_true(w);
		*ents[i] = save;
	}
	expect_map(&f->t, a, KB4);

	/* large pages where the table allows none */
	f->t.allow_1g = false;
	assert_rc(iopt_lookup(&f->t, 0x1000, &pa, &size, &r, &w), -RAUM_EINVAL);
	f->t.allow_1g = true;
	f->t.allow_2m = false;
	assert_rc(iopt_lookup(&f->t, GB, &pa, &size, &r, &w), -RAUM_EINVAL);
	f->t.allow_2m = true;

	/* no root: nothing */
	f->t.root = 0;
	expect_unmapped(&f->t, 0);
}

static void test_vtd_lookup_refuses(void **state)
{
	struct ifix *f = *state;
	u64 pa, size;
	bool r, w;

	reset(f, IOPT_VTD, 4, true, true);
	assert_rc(iopt_map(&f->t, 0, GB + MB2 + KB4), 0);
	const u64 a = GB + MB2;
	u64 *l4 = arena_table(&f->a, f->t.root);
	u64 *l3 = arena_table(&f->a, l4[0] & IOPT_ADDR_MASK);
	u64 *l2 = arena_table(&f->a, l3[1] & IOPT_ADDR_MASK);
	u64 *l1 = arena_table(&f->a, l2[1] & IOPT_ADDR_MASK);
	u64 *ents[] = { &l4[0], &l3[1], &l2[1], &l1[0] };

	/* R and W ANDed over the levels; neither: not present */
	for (unsigned i = 0; i < ARRAY_SIZE(ents); i++) {
		u64 save = *ents[i];
		*ents[i] = save & ~VTD_SL_W;
		assert_rc(iopt_lookup(&f->t, a, &pa, &size, &r, &w), 0);
		assert_true(r);
		assert_false(w);
		*ents[i] = save & ~VTD_SL_R;
		assert_rc(iopt_lookup(&f->t, a, &pa, &size, &r, &w), 0);
		assert_false(r);
		assert_true(w);
		*ents[i] = save & ~(VTD_SL_R | VTD_SL_W);
		assert_rc(iopt_lookup(&f->t, a, &pa, &size, &r, &w), -RAUM_ENOENT);
		*ents[i] = save;
	}
	/* PS in the top level: no 512 GiB pages */
	l4[0] |= VTD_SL_PS;
	assert_rc(iopt_lookup(&f->t, a, &pa, &size, &r, &w), -RAUM_EINVAL);
	l4[0] &= ~VTD_SL_PS;
	expect_map(&f->t, a, KB4);
	/* 1 GiB and 2 MiB leaves where not allowed */
	f->t.allow_1g = false;
	assert_rc(iopt_lookup(&f->t, 0, &pa, &size, &r, &w), -RAUM_EINVAL);
	f->t.allow_1g = true;
	f->t.allow_2m = false;
	assert_rc(iopt_lookup(&f->t, GB, &pa, &size, &r, &w), -RAUM_EINVAL);
}

/* ---- errors ---- */

static void expect_einval_nothing(struct ifix *f, u64 base, u64 size)
{
	assert_rc(iopt_map(&f->t, base, size), -RAUM_EINVAL);
	assert_int_equal(f->t.root, 0);
	assert_int_equal(f->t.nr_tables, 0);
	assert_int_equal(f->a.used, 0);
}

static void test_einval(void **state)
{
	struct ifix *f = *state;

	for (int fmt = 0; fmt < 2; fmt++) {
		enum iopt_fmt ft = fmt ? IOPT_AMDVI : IOPT_VTD;
		for (int levels = 3; levels <= 4; levels++) {
			const u64 reach = 1ULL << (levels == 3 ? 39 : 48);
			reset(f, ft, levels, true, true);
			expect_einval_nothing(f, 0x1001, KB4);
			expect_einval_nothing(f, 0x800, KB4);
			expect_einval_nothing(f, 0x1000, 0x800);
			expect_einval_nothing(f, 0x1000, KB4 + 1);
			expect_einval_nothing(f, 0x1000, 0);
			expect_einval_nothing(f, 0, 0);
			/* wrapping past 2^64 */
			expect_einval_nothing(f, 0xfffffffffffff000ULL, 2 * KB4);
			expect_einval_nothing(f, 0xfffffffffffff000ULL, KB4);
			expect_einval_nothing(f, 0x1000, 0xfffffffffffff000ULL);
			expect_einval_nothing(f, GB, 0ULL - GB + MB2); /* base + size == 2^64 + 2 MiB */
			/* beyond the levels' reach, or running past it */
			expect_einval_nothing(f, reach, KB4);
			expect_einval_nothing(f, reach - KB4, 2 * KB4);
			expect_einval_nothing(f, 0, reach + KB4);
			expect_einval_nothing(f, reach - GB, 2 * GB);
			if (levels == 3) {
				expect_einval_nothing(f, 1ULL << 40, GB);
				expect_einval_nothing(f, 0, 1ULL << 40);
			}
			/* the last page and the whole reach are fine */
			assert_rc(iopt_map(&f->t, reach - KB4, KB4), 0);
			expect_map(&f->t, reach - 1, KB4);
			reset(f, ft, levels, true, true);
			if (levels == 3) {
				assert_rc(iopt_map(&f->t, 0, reach), 0);
				assert_int_equal(f->t.nr_tables, 1);
				expect_map(&f->t, reach - 1, GB);
			}
		}
		/* levels other than 3 or 4 */
		reset(f, ft, 2, true, true);
		expect_einval_nothing(f, 0, KB4);
		reset(f, ft, 5, true, true);
		expect_einval_nothing(f, 0, KB4);
		reset(f, ft, 0, true, true);
		expect_einval_nothing(f, 0, KB4);
	}
}

static void test_eexist(void **state)
{
	struct ifix *f = *state;

	for (int fmt = 0; fmt < 2; fmt++)
		for (int levels = 3; levels <= 4; levels++) {
			reset(f, fmt ? IOPT_AMDVI : IOPT_VTD, levels, true, true);
			struct iopt *t = &f->t;
			assert_rc(iopt_map(t, 0x1000, KB4), 0);
			u64 used = arena_live(&f->a);
			assert_rc(iopt_map(t, 0x1000, KB4), -RAUM_EEXIST);
			/* a 2 MiB page over the table holding it */
			assert_rc(iopt_map(t, 0, MB2), -RAUM_EEXIST);
			/* a 1 GiB page over the directory holding that */
			assert_rc(iopt_map(t, 0, GB), -RAUM_EEXIST);
			assert_int_equal(arena_live(&f->a), used);
			/* 4 KiB and 2 MiB inside a 2 MiB page, inside a 1 GiB page */
			assert_rc(iopt_map(t, 2 * MB2, MB2), 0);
			assert_rc(iopt_map(t, 2 * MB2 + 0x5000, KB4), -RAUM_EEXIST);
			assert_rc(iopt_map(t, 2 * MB2, MB2), -RAUM_EEXIST);
			assert_rc(iopt_map(t, GB, GB), 0);
			assert_rc(iopt_map(t, GB + 4 * MB2, MB2), -RAUM_EEXIST);
			assert_rc(iopt_map(t, 2 * GB - KB4, KB4), -RAUM_EEXIST);
			assert_rc(iopt_map(t, GB, GB), -RAUM_EEXIST);
			expect_map(t, 0x1000, KB4);
			expect_map(t, 2 * MB2 + 0x5000, MB2);
			expect_map(t, 2 * GB - 1, GB);

			/* a range running into a mapped page: what came before it stays mapped */
			assert_rc(iopt_map(t, 0x10000, KB4), 0);
			assert_rc(iopt_map(t, 0xd000, 4 * KB4), -RAUM_EEXIST);
			expect_map(t, 0xd000, KB4);
			expect_map(t, 0xf000, KB4);
			expect_map(t, 0x10000, KB4);
			expect_unmapped(t, 0x11000);
			/* a range running into a large page from below, in 4 KiB pages */
			assert_rc(iopt_map(t, GB - 2 * KB4, 4 * KB4), -RAUM_EEXIST);
			expect_map(t, GB - KB4, KB4);

			const struct range rg[] = { { 0x1000, 0x2000 },     { 0xd000, 0x11000 },     { 2 * MB2, 3 * MB2 },
						    { GB - 2 * KB4, GB }, { GB, 2 * GB } };
			walk_check(f, rg, ARRAY_SIZE(rg));
		}
}

static void test_enomem(void **state)
{
	struct ifix *f = *state;

	for (int fmt = 0; fmt < 2; fmt++)
		for (int levels = 3; levels <= 4; levels++) {
			reset(f, fmt ? IOPT_AMDVI : IOPT_VTD, levels, true, true);
			struct iopt *t = &f->t;
			/* no page for the root */
			f->a.limit = 0;
			assert_rc(iopt_map(t, 0, KB4), -RAUM_ENOMEM);
			assert_int_equal(t->root, 0);
			assert_int_equal(t->nr_tables, 0);
			/* the root but not the tables down to a 4 KiB page */
			f->a.limit = (u64)levels - 1;
			assert_rc(iopt_map(t, 0x1000, KB4), -RAUM_ENOMEM);
			assert_int_equal(t->nr_tables, arena_live(&f->a));
			assert_int_equal(t->nr_tables, (u64)levels - 1);
			expect_unmapped(t, 0x1000);
			/* a 2 MiB page needs no 4 KiB table: it fits */
			assert_rc(iopt_map(t, 4 * MB2, MB2), 0);
			expect_map(t, 4 * MB2, MB2);
			/* one more page: the 4 KiB page fits too, in the same tables */
			f->a.limit = levels;
			assert_rc(iopt_map(t, 0x1000, KB4), 0);
			expect_map(t, 0x1000, KB4);
			assert_int_equal(t->nr_tables, (u64)levels);
			/* a range that runs out half way: the pages before stay mapped */
			assert_rc(iopt_map(t, MB2 - KB4, 2 * KB4), -RAUM_ENOMEM);
			expect_map(t, MB2 - KB4, KB4);
			expect_unmapped(t, MB2);
			assert_int_equal(t->nr_tables, arena_live(&f->a));
		}
}

/*
 * iopt_unmap_page: a 4 KiB page out of a 1 GiB page splits it down to
 * 4 KiB (two tables), the pages around it stay mapped at their addresses
 * with the level's size, the page itself reads unmapped; mapping it again
 * restores it; errors leave the map as it was.
 */
static void test_unmap_page(void **state)
{
	struct ifix *f = *state;

	for (int fmt = 0; fmt < 2; fmt++)
		for (int levels = 3; levels <= 4; levels++) {
			reset(f, fmt ? IOPT_AMDVI : IOPT_VTD, levels, true, true);
			struct iopt *t = &f->t;
			const u64 page = GB + 5 * MB2 + 7 * KB4;
			assert_rc(iopt_unmap_page(t, page), -RAUM_ENOENT); /* nothing mapped yet */
			assert_rc(iopt_map(t, GB, GB), 0);
			u64 before = t->nr_tables;
			assert_rc(iopt_unmap_page(t, page + 8), -RAUM_EINVAL);
			assert_rc(iopt_unmap_page(t, 1ULL << (12 + 9 * levels)), -RAUM_EINVAL);
			assert_rc(iopt_unmap_page(t, page), 0);
			assert_int_equal(t->nr_tables, before + 2);
			expect_unmapped(t, page);
			expect_unmapped(t, page + KB4 - 1);
			expect_map(t, page - KB4, KB4);
			expect_map(t, page + KB4, KB4);
			expect_map(t, GB + 5 * MB2 - 1, MB2);
			expect_map(t, GB + 6 * MB2, MB2);
			expect_map(t, GB, MB2);
			expect_map(t, 2 * GB - 1, MB2);
			assert_rc(iopt_unmap_page(t, page), -RAUM_ENOENT); /* twice: not mapped */
			/* a neighbour in the same 4 KiB table needs no more tables */
			assert_rc(iopt_unmap_page(t, page + KB4), 0);
			assert_int_equal(t->nr_tables, before + 2);
			assert_rc(iopt_map(t, page, KB4), 0);
			expect_map(t, page, KB4);
			expect_unmapped(t, page + KB4);
			/* no page for a split: nothing changes */
			f->a.limit = arena_live(&f->a);
			assert_rc(iopt_unmap_page(t, 3 * MB2 + GB), -RAUM_ENOMEM);
			expect_map(t, 3 * MB2 + GB, MB2);
		}
}

/* A root the caller made: used, not replaced, and not counted. */
static void test_given_root(void **state)
{
	struct ifix *f = *state;

	reset(f, IOPT_VTD, 4, true, true);
	u64 root;
	assert_rc(arena_alloc(&f->a, &root), 0);
	f->t.root = root;
	assert_rc(iopt_map(&f->t, GB, GB), 0);
	assert_int_equal(f->t.root, root);
	assert_int_equal(f->t.nr_tables, 1); /* the level-3 table */
	assert_int_equal(arena_live(&f->a), 2);
	expect_map(&f->t, GB + 5, GB);
}

/* ---- VT-d root and context tables ---- */

static void test_vtd_fill_tables(void **state)
{
	(void)state;
	static const u16 dids[] = { 0, 1, 0xabcd, 0xffff };
	const u64 ctx_phys = 0x0000000765432000ULL, slpt = 0x0000000123456000ULL;
	u64 *root = aligned_alloc(PAGE_SIZE, PAGE_SIZE), *ctx = aligned_alloc(PAGE_SIZE, PAGE_SIZE);

	assert_non_null(root);
	assert_non_null(ctx);
	for (int levels = 3; levels <= 4; levels++)
		for (unsigned d = 0; d < ARRAY_SIZE(dids); d++) {
			memset(root, 0xcc, PAGE_SIZE);
			memset(ctx, 0xcc, PAGE_SIZE);
			vtd_fill_tables(root, ctx, ctx_phys, slpt, levels, dids[d]);
			for (unsigned bus = 0; bus < 256; bus++) {
				/* present, context-table pointer; the high qword reserved */
				assert_int_equal(root[2 * bus], ctx_phys | BIT(0));
				assert_int_equal(root[2 * bus + 1], 0);
			}
			for (unsigned devfn = 0; devfn < 256; devfn++) {
				u64 lo = ctx[2 * devfn], hi = ctx[2 * devfn + 1];
				assert_int_equal(lo & BIT(0), BIT(0));       /* P */
				assert_int_equal(lo & BIT(1), 0);            /* FPD */
				assert_int_equal((lo >> 2) & 3, 0);          /* TT */
				assert_int_equal(lo & IOPT_ADDR_MASK, slpt); /* SLPTPTR */
				assert_int_equal(lo, slpt | BIT(0));
				assert_int_equal(hi & 7, levels == 3 ? 1 : 2); /* AW */
				assert_int_equal((hi >> 8) & 0xffff, dids[d]); /* DID */
				assert_int_equal(hi, (u64)(levels - 2) | (u64)dids[d] << 8);
			}
		}
	free(root);
	free(ctx);
}

/* ---- AMD-Vi device table ---- */

static void test_amdvi_fill_devtab(void **state)
{
	(void)state;
	static const u16 doms[] = { 0, 1, 0xbeef, 0xffff };
	const u64 pt_root = 0x0000000fedcba000ULL;
	const size_t bytes = (size_t)AMDVI_DEVTAB_ENTRIES * 32;
	u64 *dt = aligned_alloc(MB2, bytes);

	assert_int_equal(bytes, MB2);
	assert_non_null(dt);
	for (int levels = 3; levels <= 4; levels++)
		for (unsigned d = 0; d < ARRAY_SIZE(doms); d++) {
			memset(dt, 0xcc, bytes);
			amdvi_fill_devtab(dt, pt_root, levels, doms[d]);
			for (u32 id = 0; id < AMDVI_DEVTAB_ENTRIES; id++) {
				const u64 *e = &dt[4 * id];
				assert_int_equal(e[0] & BIT(0), BIT(0));                   /* V */
				assert_int_equal(e[0] & BIT(1), BIT(1));                   /* TV */
				assert_int_equal((e[0] >> 9) & 7, levels);                 /* Mode */
				assert_int_equal(e[0] & IOPT_ADDR_MASK, pt_root);          /* Page Table Root */
				assert_int_equal(e[0] & (BIT(61) | BIT(62)), BIT(61) | BIT(62)); /* IR, IW */
				assert_int_equal(e[0], BIT(0) | BIT(1) | (u64)levels << 9 | pt_root | BIT(61) | BIT(62));
				assert_int_equal(e[1], doms[d]); /* DomainID, bits 79:64 */
				assert_int_equal(e[2], 0);       /* IV = 0 and the rest */
				assert_int_equal(e[3], 0);
			}
		}
	free(dt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_vtd_identity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_amdvi_identity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mixed_sizes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unmap_page, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_large_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_amdvi_lookup_refuses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vtd_lookup_refuses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_einval, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eexist, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enomem, setup, teardown),
		cmocka_unit_test_setup_teardown(test_given_root, setup, teardown),
		cmocka_unit_test(test_vtd_fill_tables),
		cmocka_unit_test(test_amdvi_fill_devtab),
	};
	return cmocka_run_group_tests_name("iopt", tests, NULL, NULL) ? 1 : 0;
}
