// SPDX-License-Identifier: MIT
/*
 * mm/mtrr.c: memory types from recorded MTRR layouts (Intel SDM vol. 3A
 * 12.11), and a randomized cross-check of mtrr_uniform / mtrr_segments
 * against a page-by-page reference written here from the SDM's rules.
 */
#include "unit.h"

#include <raum/mtrr.h>

#define KB 0x400ULL
#define MB 0x100000ULL
#define GB 0x40000000ULL

#define CAP(vcnt) ((u64)(vcnt) | MTRRCAP_FIX | MTRRCAP_WC)
#define DEF(type) ((u64)(type) | MTRR_DEF_E | MTRR_DEF_FE)
/* eight one-byte fields of one type */
#define FIX8(t) (0x0101010101010101ULL * (u64)(t))

/* A variable pair [base, base + size) of type: size a power of two, base aligned. */
static void set_var(struct mtrr_state *s, unsigned i, u64 base, u64 size, u8 type)
{
	u64 addr = BIT(s->phys_bits) - 1;
	assert_true(i < s->nvar);
	assert_true(IS_ALIGNED(base, size) && size >= PAGE_SIZE && !(size & (size - 1)));
	s->var_base[i] = base | type;
	s->var_mask[i] = (~(size - 1) & addr) | MTRR_PHYSMASK_V;
}

/*
 * (a) QEMU q35 + OVMF, 512 MiB: default WB, fixed ranges on, 0xA0000-0xBFFFF
 * UC (VGA), the option-ROM / BIOS area write-protected except a WB piece in
 * 0xC8000-0xEFFFF (two fields of FIX4K_C8000 WP, six WB), and one variable
 * range: 0x80000000 / 2 GiB UC (the 32-bit PCI hole), PHYSMASK 0xFF80000800.
 */
static struct mtrr_state layout_qemu(void)
{
	struct mtrr_state s = { .cap = CAP(8), .def_type = DEF(MTRR_WB), .nvar = 8, .phys_bits = 40 };
	s.fixed[0] = FIX8(MTRR_WB); /* 0x00000 - 0x7ffff */
	s.fixed[1] = FIX8(MTRR_WB); /* 0x80000 - 0x9ffff */
	s.fixed[2] = FIX8(MTRR_UC); /* 0xa0000 - 0xbffff */
	s.fixed[3] = FIX8(MTRR_WP); /* 0xc0000 - 0xc7fff */
	s.fixed[4] = 0x0606060606060505ULL; /* 0xc8000 - 0xc9fff WP, 0xca000 - 0xcffff WB */
	for (int i = 5; i < 9; i++)
		s.fixed[i] = FIX8(MTRR_WB); /* 0xd0000 - 0xeffff */
	s.fixed[9] = FIX8(MTRR_WP);  /* 0xf0000 - 0xf7fff */
	s.fixed[10] = FIX8(MTRR_WP); /* 0xf8000 - 0xfffff */
	s.var_base[0] = 0x80000000ULL;
	s.var_mask[0] = 0xff80000800ULL;
	s.var_base[1] = 0x12340006; /* V clear: ignored */
	s.var_mask[1] = 0xfff0000000ULL;
	return s;
}

/*
 * (b) A two-socket server, 64 GiB: default UC; WB 0-2 GiB and 4-64 GiB (the
 * upper part in power-of-two pieces 4-8, 8-16, 16-32, 32-64 GiB), a UC hole
 * for MMCONFIG inside the low WB range, a UC hole for a 64-bit PCI window
 * inside 32-64 GiB, and a WT range inside 8-16 GiB. Fixed: WB below
 * 0xA0000, UC above.
 */
static struct mtrr_state layout_server(void)
{
	struct mtrr_state s = { .cap = CAP(10), .def_type = DEF(MTRR_UC), .nvar = 10, .phys_bits = 46 };
	s.fixed[0] = FIX8(MTRR_WB);
	s.fixed[1] = FIX8(MTRR_WB);
	set_var(&s, 0, 0, 2 * GB, MTRR_WB);
	set_var(&s, 1, 4 * GB, 4 * GB, MTRR_WB);
	set_var(&s, 2, 8 * GB, 8 * GB, MTRR_WB);
	set_var(&s, 3, 16 * GB, 16 * GB, MTRR_WB);
	set_var(&s, 4, 32 * GB, 32 * GB, MTRR_WB);
	set_var(&s, 5, 0x70000000ULL, 256 * MB, MTRR_UC); /* 1.75 - 2 GiB */
	set_var(&s, 6, 48 * GB, GB, MTRR_UC);             /* 48 - 49 GiB */
	set_var(&s, 7, 9 * GB, 512 * MB, MTRR_WT);        /* 9 - 9.5 GiB */
	return s;
}

/* ---- an independent reference, straight from SDM 12.11 ---- */

static bool valid_type(u64 t)
{
	return t == MTRR_UC || t == MTRR_WC || t == MTRR_WT || t == MTRR_WP || t == MTRR_WB;
}

static u8 ref_type(const struct mtrr_state *s, u64 addr)
{
	if (!(s->def_type & MTRR_DEF_E))
		return MTRR_UC;
	if ((s->def_type & MTRR_DEF_FE) && (s->cap & MTRRCAP_FIX) && addr < MB) {
		static const u64 start[11] = { 0, 0x80000, 0xa0000, 0xc0000, 0xc8000, 0xd0000,
					       0xd8000, 0xe0000, 0xe8000, 0xf0000, 0xf8000 };
		static const u64 unit[11] = { 0x10000, 0x4000, 0x4000, 0x1000, 0x1000, 0x1000,
					      0x1000, 0x1000, 0x1000, 0x1000, 0x1000 };
		for (int i = 0; i < 11; i++)
			for (int j = 0; j < 8; j++)
				if (addr >= start[i] + j * unit[i] && addr < start[i] + (j + 1) * unit[i]) {
					u64 t = (s->fixed[i] >> (8 * j)) & 0xff;
					return valid_type(t) ? (u8)t : MTRR_UC;
				}
		fail();
	}
	u64 am = (BIT(s->phys_bits) - 1) & PAGE_MASK;
	int n = 0;
	bool seen[8] = { false };
	u32 nvar = s->nvar;
	if (nvar > (s->cap & 0xff))
		nvar = s->cap & 0xff;
	for (u32 i = 0; i < nvar && i < 16; i++) {
		if (!(s->var_mask[i] & MTRR_PHYSMASK_V))
			continue;
		u64 m = s->var_mask[i] & am;
		if ((addr & m) != (s->var_base[i] & m))
			continue;
		u64 t = s->var_base[i] & 0xff;
		if (!valid_type(t))
			t = MTRR_UC;
		if (!seen[t])
			n++;
		seen[t] = true;
	}
	if (n == 0) {
		u64 d = s->def_type & 0xff;
		return valid_type(d) ? (u8)d : MTRR_UC;
	}
	if (n == 1)
		for (int t = 0; t < 8; t++)
			if (seen[t])
				return (u8)t;
	if (n == 2 && seen[MTRR_WT] && seen[MTRR_WB])
		return MTRR_WT;
	return MTRR_UC;
}

/* ---- helpers ---- */

/* type at the first and last byte of [base, base + size), one before and one after */
static void expect_range(const struct mtrr_state *s, u64 base, u64 size, u8 type, u8 before, u8 after)
{
	assert_int_equal(mtrr_type_at(s, base), type);
	assert_int_equal(mtrr_type_at(s, base + size - 1), type);
	if (base)
		assert_int_equal(mtrr_type_at(s, base - 1), before);
	assert_int_equal(mtrr_type_at(s, base + size), after);
}

static void expect_uniform(const struct mtrr_state *s, u64 base, u64 size, u8 type)
{
	u8 t = 0xee;
	assert_int_equal(mtrr_uniform(s, base, size, &t), 1);
	assert_int_equal(t, type);
}

static void expect_mixed(const struct mtrr_state *s, u64 base, u64 size)
{
	u8 t = 0xee;
	assert_int_equal(mtrr_uniform(s, base, size, &t), 0);
	assert_int_equal(t, 0xee); /* untouched */
}

/*
 * Checks a segment list for [0, limit): contiguous, exact cover, neighbours
 * of different types, each segment's first and last byte of its type.
 */
static void check_segments(const struct mtrr_state *s, const struct mtrr_seg *seg, size_t n, u64 limit)
{
	u64 at = 0;
	assert_true(n > 0 && n != (size_t)-1);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(seg[i].base, at);
		assert_true(seg[i].size > 0);
		if (i)
			assert_int_not_equal(seg[i].type, seg[i - 1].type);
		assert_int_equal(mtrr_type_at(s, seg[i].base), seg[i].type);
		assert_int_equal(mtrr_type_at(s, seg[i].base + seg[i].size - 1), seg[i].type);
		assert_int_equal(ref_type(s, seg[i].base), seg[i].type);
		at += seg[i].size;
	}
	assert_int_equal(at, limit);
}

static void expect_segments(const struct mtrr_state *s, u64 limit, const struct mtrr_seg *want, size_t nwant)
{
	struct mtrr_seg out[64];
	size_t n = mtrr_segments(s, limit, out, ARRAY_SIZE(out));
	check_segments(s, out, n, limit);
	assert_int_equal(n, nwant);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(out[i].base, want[i].base);
		assert_int_equal(out[i].size, want[i].size);
		assert_int_equal(out[i].type, want[i].type);
	}
	/* one slot short: -1 */
	assert_int_equal(mtrr_segments(s, limit, out, nwant - 1), (size_t)-1);
}

/* ---- (a) QEMU / OVMF ---- */

static void test_qemu_type_at(void **state)
{
	(void)state;
	struct mtrr_state s = layout_qemu();

	expect_range(&s, 0, 0xa0000, MTRR_WB, MTRR_WB, MTRR_UC);
	expect_range(&s, 0xa0000, 0x20000, MTRR_UC, MTRR_WB, MTRR_WP);
	expect_range(&s, 0xc0000, 0xa000, MTRR_WP, MTRR_UC, MTRR_WB);
	expect_range(&s, 0xca000, 0x26000, MTRR_WB, MTRR_WP, MTRR_WP);
	expect_range(&s, 0xf0000, 0x10000, MTRR_WP, MTRR_WB, MTRR_WB);
	expect_range(&s, MB, 2 * GB - MB, MTRR_WB, MTRR_WP, MTRR_UC);
	expect_range(&s, 2 * GB, 2 * GB, MTRR_UC, MTRR_WB, MTRR_WB);
	assert_int_equal(mtrr_type_at(&s, 0x7fffffff), MTRR_WB);
	assert_int_equal(mtrr_type_at(&s, 0x123456789ULL), MTRR_WB);
	/* bits at and above MAXPHYADDR (40) are not decoded: 1 TiB + 2 GiB aliases 2 GiB */
	assert_int_equal(mtrr_type_at(&s, BIT(40) + 2 * GB), MTRR_UC);
	assert_int_equal(mtrr_type_at(&s, BIT(40) + 4 * GB), MTRR_WB);
}

static void test_qemu_uniform(void **state)
{
	(void)state;
	struct mtrr_state s = layout_qemu();

	/* 4 KiB */
	expect_uniform(&s, 0, PAGE_SIZE, MTRR_WB);
	expect_uniform(&s, 0x9f000, PAGE_SIZE, MTRR_WB);
	expect_uniform(&s, 0xa0000, PAGE_SIZE, MTRR_UC);
	expect_uniform(&s, 0xc9000, PAGE_SIZE, MTRR_WP);
	expect_uniform(&s, 0xca000, PAGE_SIZE, MTRR_WB);
	expect_uniform(&s, 0x7ffff000, PAGE_SIZE, MTRR_WB);
	expect_uniform(&s, 0x80000000, PAGE_SIZE, MTRR_UC);
	expect_uniform(&s, 0xfffff000, PAGE_SIZE, MTRR_UC);
	/* sub-page and straddling byte ranges */
	expect_uniform(&s, 0x7fffffff, 1, MTRR_WB);
	expect_mixed(&s, 0x7fffffff, 2);
	expect_mixed(&s, 0x9ffff, 2);
	expect_mixed(&s, 0xc9800, PAGE_SIZE);
	/* 2 MiB */
	expect_mixed(&s, 0, 2 * MB);
	expect_uniform(&s, 2 * MB, 2 * MB, MTRR_WB);
	expect_uniform(&s, 2 * GB - 2 * MB, 2 * MB, MTRR_WB);
	expect_uniform(&s, 2 * GB, 2 * MB, MTRR_UC);
	expect_mixed(&s, 2 * GB - MB, 2 * MB);
	/* 1 GiB */
	expect_mixed(&s, 0, GB);
	expect_uniform(&s, GB, GB, MTRR_WB);
	expect_uniform(&s, 2 * GB, GB, MTRR_UC);
	expect_uniform(&s, 3 * GB, GB, MTRR_UC);
	expect_uniform(&s, 4 * GB, GB, MTRR_WB);
	expect_mixed(&s, 1 * GB + 512 * MB, GB);
	/* large: WB from 4 GiB to the alias of the hole at 1 TiB + 2 GiB */
	expect_uniform(&s, 4 * GB, BIT(40) - 2 * GB, MTRR_WB);
	expect_mixed(&s, 4 * GB, BIT(40) - 2 * GB + 1);
	expect_uniform(&s, MB, 2 * GB - MB, MTRR_WB);
	/* empty or wrapping ranges */
	expect_mixed(&s, GB, 0);
	expect_mixed(&s, ~0ULL - PAGE_SIZE + 2, PAGE_SIZE);
	expect_uniform(&s, ~0ULL - PAGE_SIZE + 1, PAGE_SIZE, MTRR_WB); /* ends at 2^64: aliases 1 TiB - 4 KiB */
}

static void test_qemu_segments(void **state)
{
	(void)state;
	struct mtrr_state s = layout_qemu();
	const struct mtrr_seg want[] = {
		{ 0, 0xa0000, MTRR_WB },
		{ 0xa0000, 0x20000, MTRR_UC },
		{ 0xc0000, 0xa000, MTRR_WP },
		{ 0xca000, 0x26000, MTRR_WB },
		{ 0xf0000, 0x10000, MTRR_WP },
		{ MB, 2 * GB - MB, MTRR_WB },
		{ 2 * GB, 2 * GB, MTRR_UC },
		{ 4 * GB, 4 * GB, MTRR_WB },
	};
	expect_segments(&s, 8 * GB, want, ARRAY_SIZE(want));
	/* a limit inside a segment cuts it; below 1 MiB too */
	struct mtrr_seg out[8];
	assert_int_equal(mtrr_segments(&s, 3 * GB, out, 8), 7);
	assert_int_equal(out[6].size, GB);
	assert_int_equal(mtrr_segments(&s, 0xb0000, out, 8), 2);
	assert_int_equal(out[1].size, 0x10000);
	assert_int_equal(mtrr_segments(&s, 1, out, 8), 1);
	assert_int_equal(out[0].size, 1);
	assert_int_equal(mtrr_segments(&s, 0, out, 8), 0);
	/* the whole decoded space */
	size_t n = mtrr_segments(&s, BIT(40), out, 8);
	assert_int_equal(n, 8);
	check_segments(&s, out, n, BIT(40));
	assert_int_equal(out[7].size, BIT(40) - 4 * GB);
}

/* ---- (b) server ---- */

static void test_server_type_at(void **state)
{
	(void)state;
	struct mtrr_state s = layout_server();

	expect_range(&s, 0, 0xa0000, MTRR_WB, MTRR_WB, MTRR_UC);
	expect_range(&s, 0xa0000, 0x60000, MTRR_UC, MTRR_WB, MTRR_WB);
	expect_range(&s, MB, 0x70000000 - MB, MTRR_WB, MTRR_UC, MTRR_UC);
	/* the UC hole overlapping WB: UC wins (12.11.4.1) */
	expect_range(&s, 0x70000000, 256 * MB, MTRR_UC, MTRR_WB, MTRR_UC);
	/* 2 - 4 GiB: no range, the default UC */
	expect_range(&s, 2 * GB, 2 * GB, MTRR_UC, MTRR_UC, MTRR_WB);
	/* the power-of-two pieces join up */
	expect_range(&s, 4 * GB, 5 * GB, MTRR_WB, MTRR_UC, MTRR_WT);
	expect_range(&s, 8 * GB - 1, 2, MTRR_WB, MTRR_WB, MTRR_WB);
	/* WT overlapping WB: WT */
	expect_range(&s, 9 * GB, 512 * MB, MTRR_WT, MTRR_WB, MTRR_WB);
	expect_range(&s, 9 * GB + 512 * MB, 48 * GB - (9 * GB + 512 * MB), MTRR_WB, MTRR_WT, MTRR_UC);
	expect_range(&s, 48 * GB, GB, MTRR_UC, MTRR_WB, MTRR_WB);
	expect_range(&s, 49 * GB, 15 * GB, MTRR_WB, MTRR_UC, MTRR_UC);
	assert_int_equal(mtrr_type_at(&s, BIT(46) - 1), MTRR_UC);

	/* junk at and above MAXPHYADDR (46) in PHYSBASE / PHYSMASK is not decoded */
	s.var_base[7] |= 0xfffcULL << 48;
	s.var_mask[7] |= 0xfffcULL << 48;
	s.var_mask[6] |= BIT(46);
	expect_range(&s, 9 * GB, 512 * MB, MTRR_WT, MTRR_WB, MTRR_WB);
	expect_range(&s, 48 * GB, GB, MTRR_UC, MTRR_WB, MTRR_WB);
	expect_uniform(&s, 9 * GB, 512 * MB, MTRR_WT);
	expect_uniform(&s, 48 * GB, GB, MTRR_UC);
}

/* MAXPHYADDR outside [32, 52] (CPUID leaf absent) is taken as 36 */
static void test_phys_bits(void **state)
{
	(void)state;
	struct mtrr_state s = layout_qemu();

	/* PHYSMASK 0xFF80000800: over 40 bits 2 GiB + 64 GiB is WB, over 36 bits an alias of the hole */
	assert_int_equal(mtrr_type_at(&s, 64 * GB + 2 * GB), MTRR_WB);
	expect_uniform(&s, 64 * GB, 4 * GB, MTRR_WB);
	for (unsigned bad = 0; bad < 64; bad += 63) {
		s.phys_bits = bad;
		assert_int_equal(mtrr_type_at(&s, 64 * GB + 2 * GB), MTRR_UC);
		assert_int_equal(mtrr_type_at(&s, 64 * GB + 2 * GB - 1), MTRR_WB);
		expect_uniform(&s, 64 * GB + 2 * GB, 2 * GB, MTRR_UC);
		expect_mixed(&s, 64 * GB, 4 * GB);
	}
}

/*
 * Sixteen 4 KiB ranges strewn over a 52-bit space: contiguous masks keep the
 * walks small (a few nodes per range and level), whatever the sizes.
 */
static void test_many_ranges(void **state)
{
	(void)state;
	struct mtrr_state s = { .cap = CAP(16), .def_type = MTRR_WB | MTRR_DEF_E, .nvar = 16, .phys_bits = 52 };
	u64 r = 16;
	u64 at[16];

	for (unsigned i = 0; i < 16; i++) {
		at[i] = (unit_rand(&r) & (BIT(52) - 1) & ~(BIT(48) - 1)) | ((u64)i << 44) |
			(unit_rand(&r) & (BIT(44) - 1) & PAGE_MASK); /* distinct: bits 47..44 = i */
		set_var(&s, i, at[i], PAGE_SIZE, i % 2 ? MTRR_UC : MTRR_WT);
	}
	for (unsigned i = 0; i < 16; i++) {
		u8 t = i % 2 ? MTRR_UC : MTRR_WT;
		expect_range(&s, at[i], PAGE_SIZE, t, MTRR_WB, MTRR_WB);
		expect_uniform(&s, at[i], PAGE_SIZE, t);
		expect_mixed(&s, ALIGN_DOWN(at[i], 2 * MB), 2 * MB);
		expect_mixed(&s, ALIGN_DOWN(at[i], GB), GB);
		expect_uniform(&s, ALIGN_DOWN(at[i], GB) ^ GB, GB, MTRR_WB);
		expect_uniform(&s, at[i] + PAGE_SIZE, BIT(44) - PAGE_SIZE - (at[i] & (BIT(44) - 1)), MTRR_WB);
	}
	expect_mixed(&s, 0, BIT(52));
	struct mtrr_seg out[40];
	size_t n = mtrr_segments(&s, BIT(52), out, ARRAY_SIZE(out));
	check_segments(&s, out, n, BIT(52));
	assert_true(n >= 31 && n <= 33);
	for (unsigned i = 0; i < 16; i++) {
		size_t k = 0;
		while (k < n && out[k].base != at[i])
			k++;
		assert_true(k < n);
		assert_int_equal(out[k].size, PAGE_SIZE);
	}

	/*
	 * Default WT, eight WB pages each under a WT page: WT everywhere, but
	 * no block holding a pair is one type by its type set alone, so the
	 * walk descends to every pair (hundreds of nodes, within the bound).
	 */
	s.def_type = MTRR_WT | MTRR_DEF_E;
	for (unsigned i = 0; i < 16; i++)
		set_var(&s, i, at[i & ~1u], PAGE_SIZE, i % 2 ? MTRR_WT : MTRR_WB);
	expect_uniform(&s, 0, BIT(52), MTRR_WT);
	expect_uniform(&s, 0, ~0ULL, MTRR_WT);
	n = mtrr_segments(&s, BIT(52), out, 1);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].type, MTRR_WT);
}

static void test_server_uniform(void **state)
{
	(void)state;
	struct mtrr_state s = layout_server();

	expect_uniform(&s, 0x6ffff000, PAGE_SIZE, MTRR_WB);
	expect_uniform(&s, 0x70000000, PAGE_SIZE, MTRR_UC);
	expect_uniform(&s, 9 * GB, PAGE_SIZE, MTRR_WT);
	expect_uniform(&s, 0x6fe00000, 2 * MB, MTRR_WB);
	expect_uniform(&s, 0x70000000, 2 * MB, MTRR_UC);
	expect_uniform(&s, 9 * GB + 510 * MB, 2 * MB, MTRR_WT);
	expect_uniform(&s, 9 * GB + 512 * MB, 2 * MB, MTRR_WB);
	expect_mixed(&s, 9 * GB + 511 * MB, 2 * MB);
	expect_mixed(&s, 0x6ff00000, 2 * MB);
	expect_mixed(&s, GB, GB);          /* WB then the UC hole */
	expect_uniform(&s, 2 * GB - 256 * MB, 2 * GB + 256 * MB, MTRR_UC); /* hole + default join */
	expect_uniform(&s, 2 * GB, GB, MTRR_UC);
	expect_uniform(&s, 7 * GB, GB, MTRR_WB);
	expect_uniform(&s, 7 * GB, 2 * GB, MTRR_WB); /* across the 8 GiB piece boundary */
	expect_mixed(&s, 9 * GB, GB);
	expect_uniform(&s, 10 * GB, 38 * GB, MTRR_WB);
	expect_uniform(&s, 48 * GB, GB, MTRR_UC);
	expect_mixed(&s, 47 * GB, 2 * GB);
	expect_uniform(&s, 64 * GB, BIT(46) - 64 * GB, MTRR_UC);
}

static void test_server_segments(void **state)
{
	(void)state;
	struct mtrr_state s = layout_server();
	const struct mtrr_seg want[] = {
		{ 0, 0xa0000, MTRR_WB },
		{ 0xa0000, 0x60000, MTRR_UC }, /* fixed UC meets nothing: the 1 MiB edge is no boundary */
		{ MB, 0x70000000 - MB, MTRR_WB },
		{ 0x70000000, 4 * GB - 0x70000000, MTRR_UC },
		{ 4 * GB, 5 * GB, MTRR_WB },
		{ 9 * GB, 512 * MB, MTRR_WT },
		{ 9 * GB + 512 * MB, 38 * GB + 512 * MB, MTRR_WB },
		{ 48 * GB, GB, MTRR_UC },
		{ 49 * GB, 15 * GB, MTRR_WB },
		{ 64 * GB, BIT(46) - 64 * GB, MTRR_UC },
	};
	expect_segments(&s, BIT(46), want, ARRAY_SIZE(want));
}

/* ---- (c) MTRRs disabled ---- */

static void test_disabled(void **state)
{
	(void)state;
	struct mtrr_state s = layout_server();
	s.def_type &= ~MTRR_DEF_E;
	s.def_type |= MTRR_WB; /* the default type does not apply either */

	assert_int_equal(mtrr_type_at(&s, 0), MTRR_UC);
	assert_int_equal(mtrr_type_at(&s, 0x9ffff), MTRR_UC);
	assert_int_equal(mtrr_type_at(&s, 5 * GB), MTRR_UC);
	assert_int_equal(mtrr_type_at(&s, 9 * GB), MTRR_UC);
	expect_uniform(&s, 0, PAGE_SIZE, MTRR_UC);
	expect_uniform(&s, 0, 2 * MB, MTRR_UC);
	expect_uniform(&s, 8 * GB, GB, MTRR_UC);
	expect_uniform(&s, 0, ~0ULL, MTRR_UC);
	const struct mtrr_seg want[] = { { 0, BIT(46), MTRR_UC } };
	struct mtrr_seg out[1];
	size_t n = mtrr_segments(&s, BIT(46), out, 1);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].base, want[0].base);
	assert_int_equal(out[0].size, want[0].size);
	assert_int_equal(out[0].type, MTRR_UC);
	assert_int_equal(mtrr_segments(&s, BIT(46), NULL, 0), (size_t)-1);
}

/* ---- (d) fixed ranges off: variable ranges and the default below 1 MiB ---- */

static void test_fixed_disabled(void **state)
{
	(void)state;
	struct mtrr_state s = layout_qemu();
	/* a variable UC range over the VGA window, and 0x100000 - 0x1fffff WT */
	set_var(&s, 2, 0xa0000, 0x20000, MTRR_UC);
	set_var(&s, 3, MB, MB, MTRR_WT);
	s.def_type &= ~MTRR_DEF_FE;

	expect_range(&s, 0, 0xa0000, MTRR_WB, MTRR_WB, MTRR_UC);
	expect_range(&s, 0xa0000, 0x20000, MTRR_UC, MTRR_WB, MTRR_WB);
	expect_range(&s, 0xc0000, 0x40000, MTRR_WB, MTRR_UC, MTRR_WT); /* the WP fixed fields are off */
	expect_range(&s, MB, MB, MTRR_WT, MTRR_WB, MTRR_WB);
	expect_uniform(&s, 0, 0xa0000, MTRR_WB);
	expect_uniform(&s, 0xc0000, 0x40000, MTRR_WB);
	expect_mixed(&s, 0, 2 * MB);
	expect_mixed(&s, 0xc0000, 0x40001);
	const struct mtrr_seg want[] = {
		{ 0, 0xa0000, MTRR_WB },
		{ 0xa0000, 0x20000, MTRR_UC },
		{ 0xc0000, 0x40000, MTRR_WB },
		{ MB, MB, MTRR_WT },
		{ 2 * MB, 2 * GB - 2 * MB, MTRR_WB },
		{ 2 * GB, 2 * GB, MTRR_UC },
	};
	expect_segments(&s, 4 * GB, want, ARRAY_SIZE(want));

	/* FE set but MTRRCAP.FIX clear: no fixed ranges either */
	s.def_type |= MTRR_DEF_FE;
	s.cap &= ~MTRRCAP_FIX;
	expect_range(&s, 0xc0000, 0x40000, MTRR_WB, MTRR_UC, MTRR_WT);
	expect_segments(&s, 4 * GB, want, ARRAY_SIZE(want));
}

/* ---- combination rules and invalid input ---- */

static void test_overlap_rules(void **state)
{
	(void)state;
	/* fixed ranges off, so variable ranges rule below 1 MiB too */
	struct mtrr_state s = { .cap = CAP(8), .def_type = MTRR_WB | MTRR_DEF_E, .nvar = 8, .phys_bits = 36 };
	/* 16 MiB blocks from 1 GiB on, each a pair of overlapping ranges */
	const u8 pairs[][3] = {
		/* a, b, expected */
		{ MTRR_WB, MTRR_WB, MTRR_WB }, { MTRR_WT, MTRR_WB, MTRR_WT }, { MTRR_WB, MTRR_WT, MTRR_WT },
		{ MTRR_UC, MTRR_WT, MTRR_UC }, { MTRR_WC, MTRR_UC, MTRR_UC }, { MTRR_WC, MTRR_WB, MTRR_UC },
		{ MTRR_WP, MTRR_WT, MTRR_UC }, { MTRR_WC, MTRR_WC, MTRR_WC }, { MTRR_WP, MTRR_WP, MTRR_WP },
	};
	for (size_t i = 0; i < ARRAY_SIZE(pairs); i++) {
		u64 base = GB + i * 16 * MB;
		set_var(&s, 0, base, 16 * MB, pairs[i][0]);
		set_var(&s, 1, base + 8 * MB, 8 * MB, pairs[i][1]);
		assert_int_equal(mtrr_type_at(&s, base), pairs[i][0]);
		assert_int_equal(mtrr_type_at(&s, base + 8 * MB - 1), pairs[i][0]);
		assert_int_equal(mtrr_type_at(&s, base + 8 * MB), pairs[i][2]);
		assert_int_equal(mtrr_type_at(&s, base + 16 * MB - 1), pairs[i][2]);
		expect_uniform(&s, base + 8 * MB, 8 * MB, pairs[i][2]);
		if (pairs[i][0] == pairs[i][2])
			expect_uniform(&s, base, 16 * MB, pairs[i][2]);
		else
			expect_mixed(&s, base, 16 * MB);
	}
	/* three at once: WT, WB and UC -> UC; WT, WB, WB -> WT */
	set_var(&s, 0, 0, 8 * GB, MTRR_WB);
	set_var(&s, 1, 0, 4 * GB, MTRR_WT);
	set_var(&s, 2, 0, 2 * GB, MTRR_WB);
	assert_int_equal(mtrr_type_at(&s, 0x1000), MTRR_WT);
	set_var(&s, 3, 0, GB, MTRR_UC);
	assert_int_equal(mtrr_type_at(&s, 0x1000), MTRR_UC);
	assert_int_equal(mtrr_type_at(&s, GB), MTRR_WT);
	assert_int_equal(mtrr_type_at(&s, 4 * GB), MTRR_WB);
	/* pairs past VCNT are not there, whatever nvar says */
	s.cap = CAP(3);
	assert_int_equal(mtrr_type_at(&s, 0x1000), MTRR_WT);
	expect_uniform(&s, 0, 4 * GB, MTRR_WT);
	s.cap = CAP(8);
	s.nvar = 3;
	assert_int_equal(mtrr_type_at(&s, 0x1000), MTRR_WT);
}

static void test_reserved_types(void **state)
{
	(void)state;
	struct mtrr_state s = layout_qemu();

	s.fixed[0] = 0x0606060606060206ULL; /* 0x10000 - 0x1ffff: reserved 2 -> UC */
	s.fixed[10] = 0x0705050505050505ULL; /* 0xff000 - 0xfffff: reserved 7 -> UC */
	set_var(&s, 2, 8 * GB, GB, 3);      /* reserved 3 -> UC */
	set_var(&s, 3, 9 * GB, GB, MTRR_WB);
	s.var_base[3] |= 0x80;              /* type 0x86: reserved -> UC */
	assert_int_equal(mtrr_type_at(&s, 0xffff), MTRR_WB);
	expect_range(&s, 0x10000, 0x10000, MTRR_UC, MTRR_WB, MTRR_WB);
	expect_range(&s, 0xff000, 0x1000, MTRR_UC, MTRR_WP, MTRR_WB);
	expect_range(&s, 8 * GB, 2 * GB, MTRR_UC, MTRR_WB, MTRR_WB);
	expect_uniform(&s, 8 * GB, 2 * GB, MTRR_UC);
	expect_mixed(&s, 0, 0x20000);

	s.def_type = (s.def_type & ~MTRR_DEF_TYPE_MASK) | 3; /* reserved default -> UC */
	assert_int_equal(mtrr_type_at(&s, 5 * GB), MTRR_UC);
	assert_int_equal(mtrr_type_at(&s, 0x20000), MTRR_WB); /* fixed untouched */
	expect_uniform(&s, 4 * GB, 8 * GB, MTRR_UC);
	struct mtrr_seg out[16];
	size_t n = mtrr_segments(&s, 16 * GB, out, 16);
	check_segments(&s, out, n, 16 * GB);
	/* the last fixed field, the default, the hole and the ranges: one UC */
	assert_int_equal(out[n - 1].base, 0xff000);
	assert_int_equal(n, 8);
}

/* A non-contiguous mask: every other 1 MiB of [256 MiB, 264 MiB) is WT. */
static void test_noncontiguous(void **state)
{
	(void)state;
	struct mtrr_state s = { .cap = CAP(8), .def_type = MTRR_WB | MTRR_DEF_E, .nvar = 8, .phys_bits = 36 };
	s.var_base[0] = 0x10000000ULL | MTRR_WT;
	s.var_mask[0] = ((BIT(36) - 1) & ~(8 * MB - 1)) | MB | MTRR_PHYSMASK_V; /* bits 35..23 and 20 */

	for (u64 i = 0; i < 8; i++) {
		u8 t = (i & 1) ? MTRR_WB : MTRR_WT;
		expect_range(&s, 256 * MB + i * MB, MB, t, i ? ((i & 1) ? MTRR_WT : MTRR_WB) : MTRR_WB,
			     i == 7 ? MTRR_WB : ((i & 1) ? MTRR_WT : MTRR_WB));
		expect_uniform(&s, 256 * MB + i * MB, MB, t);
	}
	expect_mixed(&s, 256 * MB, 2 * MB);
	expect_uniform(&s, 264 * MB, 8 * MB, MTRR_WB);
	expect_uniform(&s, 0, 256 * MB, MTRR_WB);
	struct mtrr_seg out[16];
	size_t n = mtrr_segments(&s, GB, out, 16);
	assert_int_equal(n, 9);
	check_segments(&s, out, n, GB);
	assert_int_equal(out[1].base, 256 * MB);
	assert_int_equal(out[1].size, MB);
	assert_int_equal(out[8].base, 263 * MB);

	/* a WB range inside the WB default toggling every page: still one WB GiB */
	s.var_base[0] = MTRR_WB;
	s.var_mask[0] = ((BIT(36) - 1) & ~(GB - 1)) | 0x5555000ULL | MTRR_PHYSMASK_V;
	expect_uniform(&s, 0, GB, MTRR_WB);
	n = mtrr_segments(&s, BIT(36), out, 1);
	assert_int_equal(n, 1);

	/*
	 * Holes at bits 40..30: the UC page 0x12345000 repeats in each of the
	 * 2048 GiBs below 2 TiB. 4097 segments, more work than the base bound:
	 * the walk's budget grows with the room given.
	 */
	static struct mtrr_seg many[4200];
	s.phys_bits = 52;
	s.var_base[0] = 0x12345000ULL | MTRR_UC;
	s.var_mask[0] = ((BIT(52) - 1) & ~(BIT(41) - 1)) | (GB - PAGE_SIZE) | MTRR_PHYSMASK_V;
	n = mtrr_segments(&s, BIT(52), many, ARRAY_SIZE(many));
	assert_int_equal(n, 4097);
	check_segments(&s, many, n, BIT(52));
	for (size_t i = 1; i < n; i += 2) {
		assert_int_equal(many[i].base, (i / 2) * GB + 0x12345000ULL);
		assert_int_equal(many[i].size, PAGE_SIZE);
		assert_int_equal(many[i].type, MTRR_UC);
	}
	assert_int_equal(mtrr_segments(&s, BIT(52), many, 4096), (size_t)-1);
	expect_uniform(&s, 2047 * GB + 0x12346000ULL, BIT(52) - (2047 * GB + 0x12346000ULL), MTRR_WB);
}

/* ---- randomized cross-check against the page-by-page reference ---- */

#define WIN (64 * MB) /* where random ranges and queries mostly live */

static u8 rand_type(u64 *r)
{
	static const u8 types[] = { MTRR_UC, MTRR_WC, MTRR_WT, MTRR_WP, MTRR_WB, MTRR_WB, MTRR_WB, MTRR_UC };
	if (unit_rand(r) % 64 == 0)
		return 2 + (unit_rand(r) % 2) * 5; /* reserved 2 or 7 */
	return types[unit_rand(r) % ARRAY_SIZE(types)];
}

static void random_layout(struct mtrr_state *s, u64 *r, bool *noncontig)
{
	memset(s, 0, sizeof(*s));
	s->phys_bits = 32;
	s->cap = CAP(8);
	s->nvar = 8;
	s->def_type = rand_type(r) | MTRR_DEF_E;
	if (unit_rand(r) % 2)
		s->def_type |= MTRR_DEF_FE;
	if (unit_rand(r) % 16 == 0)
		s->def_type &= ~MTRR_DEF_E;
	for (int i = 0; i < 11; i++)
		for (int j = 0; j < 8; j++)
			s->fixed[i] |= (u64)rand_type(r) << (8 * j);
	*noncontig = false;
	unsigned nr = unit_rand(r) % 9;
	for (unsigned i = 0; i < nr; i++) {
		u64 top = (BIT(32) - 1) & ~(WIN - 1); /* bits 31..26: inside the window */
		u64 mask, base = unit_rand(r) & (WIN - 1) & PAGE_MASK;
		switch (unit_rand(r) % 4) {
		case 0:
		case 1: { /* contiguous, 4 KiB .. 64 MiB */
			unsigned order = 12 + unit_rand(r) % 15;
			mask = top | ((WIN - 1) & ~(BIT(order) - 1));
			break;
		}
		case 2: /* random bits below the window */
			mask = top | (unit_rand(r) & (WIN - 1) & PAGE_MASK);
			*noncontig = true;
			break;
		default: /* random bits anywhere: aliases across 4 GiB */
			mask = unit_rand(r) & (BIT(32) - 1) & PAGE_MASK;
			base |= unit_rand(r) & ~(WIN - 1) & (BIT(32) - 1);
			*noncontig = true;
			break;
		}
		if (unit_rand(r) % 4 == 0)
			mask |= unit_rand(r) & 0xfff; /* low bits are ignored */
		/* sometimes junk above MAXPHYADDR (32), which must be ignored */
		s->var_base[i] = (base & mask) | rand_type(r) | (unit_rand(r) % 8 == 0 ? 0xfffULL << 36 : 0);
		s->var_mask[i] = mask | MTRR_PHYSMASK_V | (unit_rand(r) % 8 == 0 ? BIT(40) : 0);
		if (unit_rand(r) % 10 == 0)
			s->var_mask[i] &= ~MTRR_PHYSMASK_V;
	}
}

/* Reference uniformity: every page (the MTRR granule) of [base, base + size). */
static int ref_uniform(const struct mtrr_state *s, u64 base, u64 size, u8 *type)
{
	u8 t = ref_type(s, base);
	for (u64 p = ALIGN_DOWN(base, PAGE_SIZE); p < base + size; p += PAGE_SIZE)
		if (ref_type(s, p) != t)
			return 0;
	*type = t;
	return 1;
}

static void test_random_uniform(void **state)
{
	(void)state;
	u64 r = 0x4d545252; /* "MTRR" */
	unsigned yes = 0, no = 0;

	for (int layout = 0; layout < 300; layout++) {
		struct mtrr_state s;
		bool nc;
		random_layout(&s, &r, &nc);
		for (int q = 0; q < 60; q++) {
			u64 base, size;
			unsigned order = 12 + unit_rand(&r) % 13; /* 4 KiB .. 16 MiB */
			switch (unit_rand(&r) % 4) {
			case 0: /* aligned blocks, as a page-table builder asks */
			case 1:
				size = BIT(order);
				base = unit_rand(&r) & (WIN - 1) & ~(size - 1);
				break;
			case 2: /* page-granular, unaligned */
				size = (1 + unit_rand(&r) % 4096) * PAGE_SIZE;
				base = unit_rand(&r) & (WIN - 1) & PAGE_MASK;
				break;
			default: /* any bytes, anywhere in 4 GiB */
				size = 1 + unit_rand(&r) % (16 * MB);
				base = unit_rand(&r) & (BIT(32) - 1);
				break;
			}
			u8 want = 0xee, got = 0xee;
			int rw = ref_uniform(&s, base, size, &want);
			int rg = mtrr_uniform(&s, base, size, &got);
			if (rw != rg || (rw && want != got))
				fail_msg("layout %d query %d: [%#llx, +%#llx): want %d/%d got %d/%d", layout, q,
					 (unsigned long long)base, (unsigned long long)size, rw, want, rg, got);
			rw ? yes++ : no++;
			/* single bytes */
			u64 a = unit_rand(&r) & (unit_rand(&r) % 2 ? WIN - 1 : BIT(32) - 1);
			assert_int_equal(mtrr_type_at(&s, a), ref_type(&s, a));
		}
	}
	/* both answers were exercised */
	assert_true(yes > 1000 && no > 1000);
}

static void test_random_segments(void **state)
{
	(void)state;
	u64 r = 0x5345474d; /* "SEGM" */
	static struct mtrr_seg out[8192];
	unsigned exact = 0, over = 0;

	for (int layout = 0; layout < 200; layout++) {
		struct mtrr_state s;
		bool nc;
		random_layout(&s, &r, &nc);
		u64 limit = (layout % 8 == 0) ? BIT(32) : (1 + unit_rand(&r) % (2 * WIN / PAGE_SIZE)) * PAGE_SIZE;
		size_t cap = (layout % 3 == 0) ? 8 : ARRAY_SIZE(out);
		size_t n = mtrr_segments(&s, limit, out, cap);

		/* the reference count of segments, page by page */
		size_t want = 0;
		u8 prev = 0xee;
		for (u64 p = 0; p < limit; p += PAGE_SIZE) {
			u8 t = ref_type(&s, p);
			if (t != prev)
				want++;
			prev = t;
		}
		if (n == (size_t)-1) {
			/* too many, or a non-contiguous mask past the work bound */
			assert_true(want > cap || nc);
			over++;
			continue;
		}
		assert_int_equal(n, want);
		check_segments(&s, out, n, limit);
		for (size_t i = 0; i < n; i++)
			for (u64 p = out[i].base; p < out[i].base + out[i].size; p += PAGE_SIZE)
				if (ref_type(&s, p) != out[i].type)
					fail_msg("layout %d: page %#llx in segment %zu", layout,
						 (unsigned long long)p, i);
		exact++;
	}
	assert_true(exact > 100 && over > 10);
}

/* The root's shadow MTRRs: reads give what was written, #GP where hardware gives it. */
static void test_shadow(void **state)
{
	(void)state;
	struct mtrr_state s = layout_qemu();
	u64 v;

	/* reads */
	assert_rc(mtrr_shadow_read(&s, MSR_IA32_MTRRCAP, &v), 0);
	assert_int_equal(v, CAP(8));
	assert_rc(mtrr_shadow_read(&s, MSR_IA32_MTRR_PHYSMASK(0), &v), 0);
	assert_int_equal(v, 0xff80000800ULL);
	assert_rc(mtrr_shadow_read(&s, MSR_IA32_MTRR_FIX4K_C0000 + 1, &v), 0);
	assert_int_equal(v, 0x0606060606060505ULL);
	assert_rc(mtrr_shadow_read(&s, MSR_IA32_MTRR_PHYSBASE(8), &v), -1); /* past VCNT = 8 */
	assert_rc(mtrr_shadow_read(&s, 0x251, &v), -1);                    /* no such register */

	/* what Linux does when it brings up a CPU: E off, rewrite, E on */
	assert_rc(mtrr_shadow_write(&s, MSR_IA32_MTRR_DEF_TYPE, MTRR_WB), 0);
	assert_rc(mtrr_shadow_read(&s, MSR_IA32_MTRR_DEF_TYPE, &v), 0);
	assert_int_equal(v, MTRR_WB);
	assert_rc(mtrr_shadow_write(&s, MSR_IA32_MTRR_PHYSBASE(1), 0x1e000000ULL | MTRR_UC), 0);
	assert_rc(mtrr_shadow_write(&s, MSR_IA32_MTRR_PHYSMASK(1), 0xfffe000000ULL | MTRR_PHYSMASK_V), 0);
	assert_rc(mtrr_shadow_read(&s, MSR_IA32_MTRR_PHYSBASE(1), &v), 0);
	assert_int_equal(v, 0x1e000000ULL);
	assert_rc(mtrr_shadow_write(&s, MSR_IA32_MTRR_FIX16K_A0000, FIX8(MTRR_WC)), 0);
	assert_int_equal(s.fixed[2], FIX8(MTRR_WC));
	assert_rc(mtrr_shadow_write(&s, MSR_IA32_MTRR_DEF_TYPE, DEF(MTRR_WB)), 0);

	/* #GP: read-only, reserved bits, undefined types, bits at or above MAXPHYADDR (40 here) */
	struct mtrr_state before = s;
	assert_rc(mtrr_shadow_write(&s, MSR_IA32_MTRRCAP, 0), -1);
	assert_rc(mtrr_shadow_write(&s, MSR_IA32_MTRR_DEF_TYPE, 2), -1);
	assert_rc(mtrr_shadow_write(&s, MSR_IA32_MTRR_DEF_TYPE, MTRR_WB | BIT(9)), -1);
	assert_rc(mtrr_shadow_write(&s, MSR_IA32_MTRR_DEF_TYPE, MTRR_WB | BIT(12)), -1);
	assert_rc(mtrr_shadow_write(&s, MSR_IA32_MTRR_FIX64K_00000, 0x0606060606060706ULL), -1);
	assert_rc(mtrr_shadow_write(&s, MSR_IA32_MTRR_PHYSBASE(2), 0x80000000ULL | 3), -1);
	assert_rc(mtrr_shadow_write(&s, MSR_IA32_MTRR_PHYSBASE(2), 0x80000000ULL | 0x100 | MTRR_WB), -1);
	assert_rc(mtrr_shadow_write(&s, MSR_IA32_MTRR_PHYSBASE(2), BIT(40) | MTRR_WB), -1);
	assert_rc(mtrr_shadow_write(&s, MSR_IA32_MTRR_PHYSMASK(2), 0xff80000800ULL | 1), -1);
	assert_rc(mtrr_shadow_write(&s, MSR_IA32_MTRR_PHYSMASK(2), BIT(45) | MTRR_PHYSMASK_V), -1);
	assert_rc(mtrr_shadow_write(&s, MSR_IA32_MTRR_PHYSBASE(8), MTRR_WB), -1); /* past VCNT */
	assert_memory_equal(&s, &before, sizeof(s)); /* nothing refused changed anything */

	/* no fixed ranges without MTRRCAP.FIX */
	s.cap &= ~MTRRCAP_FIX;
	assert_rc(mtrr_shadow_read(&s, MSR_IA32_MTRR_FIX64K_00000, &v), -1);
	assert_rc(mtrr_shadow_write(&s, MSR_IA32_MTRR_FIX64K_00000, FIX8(MTRR_WB)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_qemu_type_at),
		cmocka_unit_test(test_qemu_uniform),
		cmocka_unit_test(test_qemu_segments),
		cmocka_unit_test(test_server_type_at),
		cmocka_unit_test(test_server_uniform),
		cmocka_unit_test(test_server_segments),
		cmocka_unit_test(test_phys_bits),
		cmocka_unit_test(test_many_ranges),
		cmocka_unit_test(test_disabled),
		cmocka_unit_test(test_fixed_disabled),
		cmocka_unit_test(test_overlap_rules),
		cmocka_unit_test(test_reserved_types),
		cmocka_unit_test(test_noncontiguous),
		cmocka_unit_test(test_random_uniform),
		cmocka_unit_test(test_random_segments),
		cmocka_unit_test(test_shadow),
	};
	return cmocka_run_group_tests_name("mtrr", tests, NULL, NULL) ? 1 : 0;
}
