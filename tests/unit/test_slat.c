// SPDX-License-Identifier: MIT
/*
 * mm/slat.c: the root partition's SLAT ranges, then a real NPT built from
 * them with mm/pt.c on a host arena (the helpers are a copy of
 * test_pt.c's): Raum's memory must be unmapped page for page, everything
 * else identity-mapped.
 */
#include "unit.h"

#include <raum/memcrypt.h>
#include <raum/memmap.h>
#include <raum/pt.h>
#include <raum/mtrr.h>
#include <raum/slat.h>

#define MB (1ULL << 20)
#define GB HUGE_PAGE_SIZE
#define TB (1ULL << 40)

/* ---- slat_root_ranges -------------------------------------------------- */

/* A map whose highest range ends at end (n = 0 when end is 0). */
static size_t map_ending_at(struct raum_mem_range m[3], u64 end)
{
	if (end == 0)
		return 0;
	m[0] = (struct raum_mem_range){ .base = 0x1000, .pages = 0x9f, .type = RAUM_MEM_USABLE };
	m[1] = (struct raum_mem_range){ .base = end - 0x10000, .pages = 0x10, .type = RAUM_MEM_RESERVED };
	m[2] = (struct raum_mem_range){ .base = 0x100000, .pages = 0x100, .type = RAUM_MEM_USABLE };
	return 3;
}

/* The limit by the header's words, computed here independently. */
static u64 expected_limit(u64 map_end, unsigned phys_bits, bool page1g)
{
	unsigned pb = phys_bits < 32 || phys_bits > 52 ? 36 : phys_bits;
	u64 top = 1ULL << pb;
	if (page1g)
		return top;
	u64 lim = (map_end > 4 * GB ? map_end : 4 * GB) + 64 * GB;
	lim = (lim + GB - 1) / GB * GB;
	return lim < top ? lim : top;
}

/*
 * The result must tile [0, limit): the ranges in order, not empty, none
 * touching the hole, and with the hole no gap and no overlap.
 */
static void check_tiling(const struct slat_range *r, int k, u64 hb, u64 hs, u64 limit)
{
	assert_true(k >= 0 && k <= 2);
	u64 at = 0;
	bool hole_done = false;
	for (int i = 0; i < k; i++) {
		assert_true(r[i].size > 0);
		assert_true(IS_ALIGNED(r[i].base | r[i].size, PAGE_SIZE));
		/* never inside Raum's memory */
		assert_true(r[i].base + r[i].size <= hb || r[i].base >= hb + hs);
		if (!hole_done && at == hb) {
			at += hs;
			hole_done = true;
		}
		assert_int_equal(r[i].base, at);
		at += r[i].size;
	}
	if (!hole_done && at == hb) {
		at += hs;
		hole_done = true;
	}
	assert_true(hole_done);
	assert_int_equal(at, limit);
}

static void test_limit_page1g(void **state)
{
	(void)state;
	struct raum_mem_range m[3];
	struct slat_range r[2];
	u64 lim = 0;
	size_t n = map_ending_at(m, 8 * GB);

	/* 1 GiB pages: the whole physical-address width, whatever the map says */
	static const unsigned bits[] = { 32, 36, 39, 40, 43, 46, 48, 52 };
	for (unsigned i = 0; i < ARRAY_SIZE(bits); i++) {
		int k = slat_root_ranges(m, n, 0x1be33000, 32 * MB, bits[i], true, r, &lim);
		assert_rc(k, 2);
		assert_int_equal(lim, 1ULL << bits[i]);
		check_tiling(r, k, 0x1be33000, 32 * MB, lim);
	}
	/* the map reaching beyond the width does not widen it */
	n = map_ending_at(m, 2 * TB);
	assert_rc(slat_root_ranges(m, n, 0x1be33000, 32 * MB, 40, true, r, &lim), 2);
	assert_int_equal(lim, TB);
	/* nor does an empty map shrink it */
	assert_rc(slat_root_ranges(m, 0, 0x1be33000, 32 * MB, 40, true, r, &lim), 2);
	assert_int_equal(lim, TB);
	assert_int_equal(r[0].base, 0);
	assert_int_equal(r[0].size, 0x1be33000);
	assert_int_equal(r[1].base, 0x1be33000 + 32 * MB);
	assert_int_equal(r[1].size, TB - 0x1be33000 - 32 * MB);
}

static void test_limit_no_page1g(void **state)
{
	(void)state;
	struct raum_mem_range m[3];
	struct slat_range r[2];
	u64 lim = 0;
	static const struct {
		u64 map_end;
		unsigned bits;
		u64 want;
	} cases[] = {
		{ 0, 48, 68 * GB },               /* no map: 4 GiB + 64 GiB */
		{ 2 * GB, 48, 68 * GB },          /* below 4 GiB: 4 GiB counts */
		{ 4 * GB, 48, 68 * GB },
		{ 4 * GB + PAGE_SIZE, 48, 69 * GB }, /* a page over: the next GiB */
		{ 8 * GB, 48, 72 * GB },
		{ 5 * GB + 512 * MB, 48, 70 * GB }, /* 69.5 GiB rounded up */
		{ 100 * GB + 0x10000, 48, 165 * GB },
		{ 8 * GB, 36, 64 * GB },          /* capped at 2^36 */
		{ 8 * GB, 32, 4 * GB },           /* capped at 2^32 */
		{ 8 * GB, 37, 72 * GB },          /* 128 GiB: no cap */
		{ 3 * TB, 52, 3 * TB + 64 * GB },
		{ 3 * TB, 41, 2 * TB },
	};
	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
		size_t n = map_ending_at(m, cases[i].map_end);
		assert_int_equal(memmap_end(m, n), cases[i].map_end);
		int k = slat_root_ranges(m, n, 0x1be33000, 32 * MB, cases[i].bits, false, r, &lim);
		if (k != 2 || lim != cases[i].want)
			print_error("case %u: k %d limit %#llx, want %#llx\n", i, k, (unsigned long long)lim,
				    (unsigned long long)cases[i].want);
		assert_rc(k, 2);
		assert_int_equal(lim, cases[i].want);
		assert_int_equal(lim, expected_limit(cases[i].map_end, cases[i].bits, false));
		check_tiling(r, k, 0x1be33000, 32 * MB, lim);
	}
}

static void test_phys_bits_out_of_range(void **state)
{
	(void)state;
	struct slat_range r[2];
	u64 lim = 0;
	/* absent or absurd CPUID widths: 36 bits */
	static const unsigned bad[] = { 0, 1, 12, 31, 53, 57, 63, 64, 200, ~0u };
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		lim = 0;
		assert_rc(slat_root_ranges(NULL, 0, 16 * MB, 16 * MB, bad[i], true, r, &lim), 2);
		assert_int_equal(lim, 64 * GB);
		/* without 1 GiB pages the 36-bit cap applies to 68 GiB */
		lim = 0;
		assert_rc(slat_root_ranges(NULL, 0, 16 * MB, 16 * MB, bad[i], false, r, &lim), 2);
		assert_int_equal(lim, 64 * GB);
	}
}

static void test_einval(void **state)
{
	(void)state;
	struct slat_range r[2];
	u64 lim = 0;

	/* not page aligned: base, size, or both */
	assert_rc(slat_root_ranges(NULL, 0, 0x1be33800, 32 * MB, 40, true, r, &lim), -RAUM_EINVAL);
	assert_rc(slat_root_ranges(NULL, 0, 0x1be33000, 32 * MB + 8, 40, true, r, &lim), -RAUM_EINVAL);
	assert_rc(slat_root_ranges(NULL, 0, 0x1be33001, 32 * MB - 1, 40, true, r, &lim), -RAUM_EINVAL);
	/* empty */
	assert_rc(slat_root_ranges(NULL, 0, 0x1be33000, 0, 40, true, r, &lim), -RAUM_EINVAL);
	assert_rc(slat_root_ranges(NULL, 0, 0, 0, 40, true, r, &lim), -RAUM_EINVAL);
	/* beyond the limit: wholly, starting at it, or running past it */
	assert_rc(slat_root_ranges(NULL, 0, 2 * TB, 32 * MB, 40, true, r, &lim), -RAUM_EINVAL);
	assert_rc(slat_root_ranges(NULL, 0, TB, PAGE_SIZE, 40, true, r, &lim), -RAUM_EINVAL);
	assert_rc(slat_root_ranges(NULL, 0, TB - PAGE_SIZE, 2 * PAGE_SIZE, 40, true, r, &lim), -RAUM_EINVAL);
	assert_rc(slat_root_ranges(NULL, 0, 68 * GB, 32 * MB, 48, false, r, &lim), -RAUM_EINVAL);
	assert_rc(slat_root_ranges(NULL, 0, 68 * GB - 16 * MB, 32 * MB, 48, false, r, &lim), -RAUM_EINVAL);
	/* wrapping around 2^64 */
	assert_rc(slat_root_ranges(NULL, 0, 0xfffffffffffff000ULL, 2 * PAGE_SIZE, 52, true, r, &lim),
		  -RAUM_EINVAL);
	assert_rc(slat_root_ranges(NULL, 0, 16 * MB, 0xfffffffffffff000ULL, 52, true, r, &lim),
		  -RAUM_EINVAL);
	/* ... and the edges that are fine */
	assert_rc(slat_root_ranges(NULL, 0, TB - PAGE_SIZE, PAGE_SIZE, 40, true, r, &lim), 1);
	assert_rc(slat_root_ranges(NULL, 0, 68 * GB - 32 * MB, 32 * MB, 48, false, r, &lim), 1);
}

static void test_hole_at_edges(void **state)
{
	(void)state;
	struct slat_range r[2] = { { 0xdead, 0xbeef }, { 0xdead, 0xbeef } };
	u64 lim = 0;

	/* at address 0: one range, from the hole's end */
	assert_rc(slat_root_ranges(NULL, 0, 0, 32 * MB, 40, true, r, &lim), 1);
	assert_int_equal(lim, TB);
	assert_int_equal(r[0].base, 32 * MB);
	assert_int_equal(r[0].size, TB - 32 * MB);
	check_tiling(r, 1, 0, 32 * MB, lim);

	/* at the very end: one range, up to the hole */
	assert_rc(slat_root_ranges(NULL, 0, TB - 32 * MB, 32 * MB, 40, true, r, &lim), 1);
	assert_int_equal(r[0].base, 0);
	assert_int_equal(r[0].size, TB - 32 * MB);
	check_tiling(r, 1, TB - 32 * MB, 32 * MB, lim);

	/* the end without 1 GiB pages */
	assert_rc(slat_root_ranges(NULL, 0, 68 * GB - PAGE_SIZE, PAGE_SIZE, 48, false, r, &lim), 1);
	assert_int_equal(lim, 68 * GB);
	assert_int_equal(r[0].base, 0);
	assert_int_equal(r[0].size, 68 * GB - PAGE_SIZE);

	/* one page in, one page short of the end: two ranges of a page */
	assert_rc(slat_root_ranges(NULL, 0, PAGE_SIZE, TB - 2 * PAGE_SIZE, 40, true, r, &lim), 2);
	assert_int_equal(r[0].base, 0);
	assert_int_equal(r[0].size, PAGE_SIZE);
	assert_int_equal(r[1].base, TB - PAGE_SIZE);
	assert_int_equal(r[1].size, PAGE_SIZE);

	/* the whole space: nothing left to map */
	assert_rc(slat_root_ranges(NULL, 0, 0, TB, 40, true, r, &lim), 0);
	check_tiling(r, 0, 0, TB, lim);
}

/* Random maps, widths and holes: the tiling and the limit always hold. */
static void test_random(void **state)
{
	(void)state;
	u64 rs = 0x51a7;
	struct raum_mem_range m[3];
	struct slat_range r[2];

	for (int i = 0; i < 20000; i++) {
		unsigned bits = 28 + unit_rand(&rs) % 30; /* some out of range */
		bool page1g = unit_rand(&rs) & 1;
		u64 end = (unit_rand(&rs) % 2 ? unit_rand(&rs) % (16 * GB) : unit_rand(&rs) % (4 * TB));
		end = ALIGN_UP(end, PAGE_SIZE);
		if (end < 0x200000)
			end = 0;
		size_t n = map_ending_at(m, end);
		u64 want = expected_limit(memmap_end(m, n), bits, page1g);
		u64 pages = want / PAGE_SIZE;
		u64 hb = (unit_rand(&rs) % pages) * PAGE_SIZE;
		u64 hs = (1 + unit_rand(&rs) % MIN(pages - hb / PAGE_SIZE, 65536)) * PAGE_SIZE;
		u64 lim = 0;
		int k = slat_root_ranges(m, n, hb, hs, bits, page1g, r, &lim);
		assert_rc(k, (hb > 0) + (hb + hs < want));
		assert_int_equal(lim, want);
		check_tiling(r, k, hb, hs, lim);
	}
}

/* ---- the NPT built from the ranges, on the shared arena (arena.h) ---- */

#include "arena.h"

#define setup arena_setup
#define teardown arena_teardown

#define NPT_FLAGS (PTE_W | PTE_U)

/* gpa maps to itself, present, writable, user (NPT walks are user accesses), executable. */
static void expect_identity(struct pt_ctx *pt, u64 gpa)
{
	u64 pa = 0, flags = 0, size = 0;
	int rc = pt_lookup(pt, gpa, &pa, &flags, &size);
	if (rc != 0 || pa != gpa)
		print_error("gpa %#llx: rc %d pa %#llx\n", (unsigned long long)gpa, rc, (unsigned long long)pa);
	assert_rc(rc, 0);
	assert_int_equal(pa, gpa);
	assert_true(flags & PTE_P);
	assert_true(flags & PTE_W);
	assert_true(flags & PTE_U);
	assert_false(flags & PTE_NX);
}

static void expect_unmapped(struct pt_ctx *pt, u64 gpa)
{
	u64 pa, flags, size;
	int rc = pt_lookup(pt, gpa, &pa, &flags, &size);
	if (rc != -RAUM_ENOENT)
		print_error("gpa %#llx: mapped to %#llx\n", (unsigned long long)gpa, (unsigned long long)pa);
	assert_rc(rc, -RAUM_ENOENT);
}

/* Builds the root NPT as kernel/partition.c does: pt_map of each range, identity. */
static u64 build(struct fixture *f, const struct raum_mem_range *m, size_t n, u64 hb, u64 hs,
		 unsigned bits, bool page1g)
{
	struct slat_range r[2];
	u64 lim = 0;
	int k = slat_root_ranges(m, n, hb, hs, bits, page1g, r, &lim);
	assert_true(k > 0);
	f->pt.allow_1g = page1g;
	for (int i = 0; i < k; i++)
		assert_rc(pt_map(&f->pt, r[i].base, r[i].base, r[i].size, NPT_FLAGS), 0);
	return lim;
}

static void check_npt(struct pt_ctx *pt, u64 hb, u64 hs, u64 lim)
{
	/* every page of Raum's memory, at its first and last byte */
	for (u64 a = hb; a < hb + hs; a += PAGE_SIZE) {
		expect_unmapped(pt, a);
		expect_unmapped(pt, a + PAGE_SIZE - 1);
	}
	/* the pages right before and after, to their last / first byte */
	if (hb > 0) {
		expect_identity(pt, hb - PAGE_SIZE);
		expect_identity(pt, hb - 1);
	}
	if (hb + hs < lim) {
		expect_identity(pt, hb + hs);
		expect_identity(pt, hb + hs + PAGE_SIZE - 1);
	}
	/* the space's edges */
	expect_identity(pt, hb == 0 ? hs : 0);
	expect_identity(pt, hb + hs == lim ? hb - 1 : lim - 1);
	expect_unmapped(pt, lim);
	expect_unmapped(pt, lim + GB);
	/* everything else, sampled */
	u64 rs = hb ^ lim;
	for (int i = 0; i < 20000; i++) {
		u64 a = unit_rand(&rs) % lim;
		if (a >= hb && a < hb + hs)
			expect_unmapped(pt, a);
		else
			expect_identity(pt, a);
	}
	/* and around 4 GiB and each GiB boundary near the hole */
	for (u64 g = 0; g < lim && g < 8 * GB; g += GB) {
		if (g < hb || g >= hb + hs)
			expect_identity(pt, g);
		if (g > 0 && (g - 1 < hb || g - 1 >= hb + hs))
			expect_identity(pt, g - 1);
	}
}

/* A 1 TiB space with 1 GiB pages, Raum's 32 MiB at 0x1be33000 (a QEMU-like spot). */
static void test_npt_1tib(void **state)
{
	struct fixture *f = *state;
	const u64 hb = 0x1be33000, hs = 32 * MB;
	struct raum_mem_range m[3];
	size_t n = map_ending_at(m, 8 * GB);

	u64 lim = build(f, m, n, hb, hs, 40, true);
	assert_int_equal(lim, TB);
	check_npt(&f->pt, hb, hs, lim);
	/*
	 * 6 table pages: the PML4, 2 PDPTs (1 TiB = two 512 GiB slots), one PD
	 * for the first GiB, and 2 PTs for the 4 KiB pages at the hole's two
	 * unaligned edges (0x1be00000 and 0x1de00000); the rest is 1 GiB and
	 * 2 MiB pages.
	 */
	assert_int_equal(f->a.used, 6);
	assert_true(f->a.used < 16);
	/* 1 GiB pages where nothing is nearby */
	u64 pa, fl, sz;
	assert_rc(pt_lookup(&f->pt, 700 * GB + 5, &pa, &fl, &sz), 0);
	assert_int_equal(sz, GB);
	assert_rc(pt_lookup(&f->pt, 0x10000000, &pa, &fl, &sz), 0);
	assert_int_equal(sz, LARGE_PAGE_SIZE);
}

/* No 1 GiB pages: 8 GiB of map + 64 GiB, all in 2 MiB pages. */
static void test_npt_no_page1g(void **state)
{
	struct fixture *f = *state;
	const u64 hb = 0x1be33000, hs = 32 * MB;
	struct raum_mem_range m[3];
	size_t n = map_ending_at(m, 8 * GB);

	u64 lim = build(f, m, n, hb, hs, 48, false);
	assert_int_equal(lim, 72 * GB);
	check_npt(&f->pt, hb, hs, lim);
	/* PML4, PDPT, 72 PDs, 2 PTs */
	assert_int_equal(f->a.used, 1 + 1 + 72 + 2);
	u64 pa, fl, sz;
	assert_rc(pt_lookup(&f->pt, 40 * GB + 5, &pa, &fl, &sz), 0);
	assert_int_equal(sz, LARGE_PAGE_SIZE);
}

/* Holes at the space's start and end, and one of a single page. */
static void test_npt_hole_edges(void **state)
{
	struct fixture *f = *state;

	u64 lim = build(f, NULL, 0, 0, 32 * MB, 40, true);
	check_npt(&f->pt, 0, 32 * MB, lim);
}

static void test_npt_hole_at_end(void **state)
{
	struct fixture *f = *state;

	u64 lim = build(f, NULL, 0, TB - 32 * MB, 32 * MB, 40, true);
	check_npt(&f->pt, TB - 32 * MB, 32 * MB, lim);
}

static void test_npt_one_page_hole(void **state)
{
	struct fixture *f = *state;

	u64 lim = build(f, NULL, 0, 0x7ff000, PAGE_SIZE, 39, true);
	assert_int_equal(lim, 512 * GB);
	check_npt(&f->pt, 0x7ff000, PAGE_SIZE, lim);
}

/*
 * Memory encryption (mm/memcrypt.c): the root's map ends at the reduced
 * width, so no alias of Raum's memory with the SME C-bit or a TME-MK KeyID
 * is mapped. At CPUID's full width it would be: hb | 2^47 lies below 2^48.
 */
static void test_npt_memcrypt_clamp(void **state)
{
	struct fixture *f = *state;
	const u64 hb = 0x1be33000, hs = 32 * MB;
	struct memcrypt_result mc;
	struct slat_range r[2];
	u64 lim = 0;

	/* AMD Zen 3 EPYC, SME on: 48 bits, C-bit 47, reduction 5 */
	struct memcrypt_probe amd = {
		.vendor = RAUM_VENDOR_AMD, .e8_valid = true, .e8_eax = 0x3030,
		.e1f_valid = true, .e1f_eax = 0x1b, .e1f_ebx = 0x16f,
		.syscfg_valid = true, .syscfg = SYSCFG_MEM_ENCRYPT,
	};
	memcrypt_check(&amd, &mc);
	assert_true(mc.ok);
	assert_rc(slat_root_ranges(NULL, 0, hb, hs, mc.cpu_bits, true, r, &lim), 2);
	assert_true((hb | 1ULL << 47) < lim); /* what the clamp prevents */
	lim = build(f, NULL, 0, hb, hs, mc.bits, true);
	assert_int_equal(lim, 1ULL << 43);
	check_npt(&f->pt, hb, hs, lim);
	for (unsigned b = 43; b < 52; b++) {
		expect_unmapped(&f->pt, hb | 1ULL << b);
		expect_unmapped(&f->pt, (hb + hs - 1) | 1ULL << b);
	}
	/* without 1 GiB pages the limit is the map's end + 64 GiB, below 2^43 either way */
	assert_rc(slat_root_ranges(NULL, 0, hb, hs, mc.bits, false, r, &lim), 2);
	assert_int_equal(lim, 68 * GB);
}

static void test_npt_memcrypt_tme(void **state)
{
	struct fixture *f = *state;
	const u64 hb = 0x7f000000, hs = 64 * MB;
	struct memcrypt_result mc;

	/* Intel Ice Lake-SP, TME-MK locked and enabled with 6 KeyID bits: 52 -> 46 */
	struct memcrypt_probe intel = {
		.vendor = RAUM_VENDOR_INTEL, .e8_valid = true, .e8_eax = 0x3934,
		.c7_valid = true, .c7_ecx = CPUID7_ECX_TME,
		.tme_valid = true, .tme_activate = TME_ACTIVATE_LOCKED | TME_ACTIVATE_ENABLED | 6ULL << 32,
	};
	memcrypt_check(&intel, &mc);
	assert_true(mc.ok);
	u64 lim = build(f, NULL, 0, hb, hs, mc.bits, true);
	assert_int_equal(lim, 1ULL << 46);
	check_npt(&f->pt, hb, hs, lim);
	for (unsigned keyid = 1; keyid < 64; keyid++)
		expect_unmapped(&f->pt, hb | (u64)keyid << 46);
}

/*
 * The VT-x root map: EPT leaves typed from the MTRRs (OVMF-like layout: WB
 * by default, the legacy VGA hole UC, the option ROM area WP, 2-4 GiB UC).
 * Every leaf must carry the type of each of its bytes: never straddle.
 */
static void test_ept_typed(void **state)
{
	struct fixture *f = *state;
	struct mtrr_state m = { .cap = 0x508, .def_type = MTRR_DEF_E | MTRR_DEF_FE | MTRR_WB, .nvar = 1,
				.phys_bits = 40 };
	static struct mtrr_seg seg[64];
	struct raum_mem_range map[3];
	struct slat_range r[2];
	u64 lim = 0, hb = 0x1be33000, hs = 32 << 20;

	m.fixed[0] = 0x0606060606060606ULL;                       /* 0-0x7ffff WB */
	m.fixed[1] = 0x0606060606060606ULL;                       /* 0x80000-0x9ffff WB */
	m.fixed[2] = 0;                                           /* 0xa0000-0xbffff UC */
	for (int i = 3; i < 11; i++)
		m.fixed[i] = 0x0505050505050505ULL;               /* 0xc0000-0xfffff WP */
	m.var_base[0] = 0x80000000ULL | MTRR_UC;
	m.var_mask[0] = 0xff80000000ULL | MTRR_PHYSMASK_V;       /* 2 GiB at 2 GiB */

	size_t n = map_ending_at(map, 0x20000000);
	int k = slat_root_ranges(map, n, hb, hs, 40, true, r, &lim);
	assert_int_equal(k, 2);
	size_t ns = mtrr_segments(&m, lim, seg, 64);
	assert_true(ns != (size_t)-1 && ns >= 4);
	f->pt.ept = true;
	assert_rc(slat_map_typed(&f->pt, r, k, seg, ns), 0);

	/* probe every segment's edges, both sides of the hole, and a spread of addresses */
	u64 probes[64 * 4 + 64];
	size_t np = 0;
	for (size_t i = 0; i < ns; i++) {
		probes[np++] = seg[i].base;
		probes[np++] = seg[i].base + seg[i].size - 1;
	}
	for (u64 a = 0; a + 0x1234 < lim; a += lim / 50)
		probes[np++] = a + 0x1234;
	probes[np++] = hb - 1;
	probes[np++] = hb + hs;
	for (size_t i = 0; i < np; i++) {
		u64 a = probes[i], pa, flags, size;
		if (a >= hb && a < hb + hs) {
			expect_unmapped(&f->pt, a);
			continue;
		}
		int rc = pt_lookup(&f->pt, a, &pa, &flags, &size);
		if (rc)
			print_error("probe %#llx not mapped (limit %#llx)\n", (unsigned long long)a,
				    (unsigned long long)lim);
		assert_rc(rc, 0);
		assert_int_equal(pa, a);
		assert_int_equal(flags & EPT_RWX, EPT_RWX);
		u8 t = (flags >> EPT_MT_SHIFT) & 7, whole;
		assert_int_equal(t, mtrr_type_at(&m, a));
		/* the leaf holding a is uniform and of that type */
		assert_int_equal(mtrr_uniform(&m, a & ~(size - 1), size, &whole), 1);
		assert_int_equal(whole, t);
	}
	/* spot checks of the layout itself */
	assert_rc(pt_lookup(&f->pt, 0xa0000, &(u64){0}, &(u64){0}, &(u64){0}), 0);
	u64 pa, flags, size;
	assert_rc(pt_lookup(&f->pt, 0xb8000, &pa, &flags, &size), 0);
	assert_int_equal((flags >> EPT_MT_SHIFT) & 7, MTRR_UC);
	assert_int_equal(size, PAGE_SIZE);
	assert_rc(pt_lookup(&f->pt, 0x90000000, &pa, &flags, &size), 0);
	assert_int_equal((flags >> EPT_MT_SHIFT) & 7, MTRR_UC);
	assert_int_equal(size, HUGE_PAGE_SIZE);
	assert_rc(pt_lookup(&f->pt, 0x100000000ULL, &pa, &flags, &size), 0);
	assert_int_equal((flags >> EPT_MT_SHIFT) & 7, MTRR_WB);
	assert_int_equal(size, HUGE_PAGE_SIZE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limit_page1g),
		cmocka_unit_test(test_limit_no_page1g),
		cmocka_unit_test(test_phys_bits_out_of_range),
		cmocka_unit_test(test_einval),
		cmocka_unit_test(test_hole_at_edges),
		cmocka_unit_test(test_random),
		cmocka_unit_test_setup_teardown(test_npt_1tib, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ept_typed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_npt_no_page1g, setup, teardown),
		cmocka_unit_test_setup_teardown(test_npt_hole_edges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_npt_hole_at_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_npt_one_page_hole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_npt_memcrypt_clamp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_npt_memcrypt_tme, setup, teardown),
	};
	return cmocka_run_group_tests_name("slat", tests, NULL, NULL) ? 1 : 0;
}
