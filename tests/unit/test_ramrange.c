// SPDX-License-Identifier: MIT
/*
 * mm/ramrange.c: which memory types count as RAM, building the sorted RAM
 * ranges of a memory map (neighbours merged, Raum's region carved out,
 * clipped to the GPA limit), and the "wholly RAM" question with its edges:
 * len 0, wrap-around at 2^64, MMIO, holes, blocks straddling RAM and not.
 */
#include "unit.h"

#include <raum/memmap.h>
#include <raum/ramrange.h>

#define KB (1ULL << 10)
#define MB (1ULL << 20)
#define GB (1ULL << 30)
#define PG PAGE_SIZE
#define TOP (~0ULL)

static struct raum_mem_range M(u64 base, u64 size, u32 type)
{
	return (struct raum_mem_range){ .base = base, .pages = size >> PAGE_SHIFT, .type = type };
}

/*
 * A PC as the loader hands it over (normalized, Raum's region typed
 * RAUM_MEM_RAUM): low RAM, the legacy VGA hole no range covers, RAM of
 * every DRAM type touching, Raum's 32 MiB, reserved, ECAM, the APIC page
 * as MMIO, the flash, 2 GiB above 4 GiB, then persistent and bad memory.
 */
#define HV (256 * MB)
#define HV_SIZE (32 * MB)
static const struct raum_mem_range pc[] = {
	{ 0x0, 0x9f, RAUM_MEM_USABLE, 0, 0 },            /* 0 .. 0x9f000 */
	{ 0x9f000, 0x1, RAUM_MEM_RESERVED, 0, 0 },       /* EBDA */
	/* 0xa0000 .. 0x100000: VGA window and option ROMs, in no range */
	{ 0x100000, 0x700, RAUM_MEM_USABLE, 0, 0 },      /* .. 8 MiB */
	{ 0x800000, 0x10, RAUM_MEM_ACPI_NVS, 0, 0 },     /* .. 0x810000 */
	{ 0x810000, 0xf7f0, RAUM_MEM_USABLE, 0, 0 },     /* .. 256 MiB */
	{ HV, HV_SIZE >> 12, RAUM_MEM_RAUM, 0, 0 },      /* .. 288 MiB */
	{ 0x12000000, 0x100, RAUM_MEM_RUNTIME, 0, 0 },   /* .. 0x12100000 */
	{ 0x12100000, 0x10, RAUM_MEM_ACPI_RECLAIM, 0, 0 },
	{ 0x12110000, 0xdef0, RAUM_MEM_USABLE, 0, 0 },   /* .. 512 MiB */
	{ 0x20000000, 0x100, RAUM_MEM_RESERVED, 0, 0 },
	{ 0xb0000000, 0x10000, RAUM_MEM_RESERVED, 0, 0 }, /* PCIe ECAM */
	{ 0xfee00000, 0x1, RAUM_MEM_MMIO, 0, 0 },        /* local APIC */
	{ 0xffc00000, 0x400, RAUM_MEM_MMIO, 0, 0 },      /* flash, to 4 GiB */
	{ 0x100000000, 0x80000, RAUM_MEM_USABLE, 0, 0 }, /* 4 .. 6 GiB */
	{ 0x180000000, 0x40000, RAUM_MEM_PERSISTENT, 0, 0 },
	{ 0x1c0000000, 0x1, RAUM_MEM_UNUSABLE, 0, 0 },
};
#define PC_LIMIT (64 * GB)

static int build(const struct raum_mem_range *m, size_t n, u64 limit, u64 hb, u64 hs, struct ram_range *out,
		 size_t cap)
{
	return ram_ranges_build(m, n, limit, hb, hs, out, cap);
}

static void expect_ranges(const struct ram_range *got, int n, const struct ram_range *want, int nw)
{
	if (n != nw)
		print_error("%d ranges, want %d\n", n, nw);
	for (int i = 0; i < n && i < nw; i++)
		if (got[i].base != want[i].base || got[i].end != want[i].end)
			print_error("range %d: %#llx-%#llx, want %#llx-%#llx\n", i, (unsigned long long)got[i].base,
				    (unsigned long long)got[i].end, (unsigned long long)want[i].base,
				    (unsigned long long)want[i].end);
	assert_int_equal(n, nw);
	assert_memory_equal(got, want, (size_t)nw * sizeof(*want));
}

static void test_types(void **state)
{
	(void)state;
	/* DRAM without side effects */
	assert_true(memmap_type_is_dram(RAUM_MEM_USABLE));
	assert_true(memmap_type_is_dram(RAUM_MEM_RUNTIME));
	assert_true(memmap_type_is_dram(RAUM_MEM_ACPI_RECLAIM));
	assert_true(memmap_type_is_dram(RAUM_MEM_ACPI_NVS));
	/* not: device memory, firmware's, bad, persistent, Raum's, unknown */
	assert_false(memmap_type_is_dram(RAUM_MEM_RESERVED));
	assert_false(memmap_type_is_dram(RAUM_MEM_MMIO));
	assert_false(memmap_type_is_dram(RAUM_MEM_UNUSABLE));
	assert_false(memmap_type_is_dram(RAUM_MEM_PERSISTENT));
	assert_false(memmap_type_is_dram(RAUM_MEM_RAUM));
	assert_false(memmap_type_is_dram(0));
	assert_false(memmap_type_is_dram(10));
	assert_false(memmap_type_is_dram(~0u));
	/* the EFI types behind them */
	static const u32 dram[] = { EFI_LOADER_CODE, EFI_LOADER_DATA, EFI_BS_CODE, EFI_BS_DATA, EFI_RT_CODE,
				    EFI_RT_DATA, EFI_CONVENTIONAL, EFI_ACPI_RECLAIM, EFI_ACPI_NVS };
	static const u32 not_dram[] = { EFI_RESERVED, EFI_UNUSABLE, EFI_MMIO, EFI_MMIO_PORT, EFI_PAL_CODE,
					EFI_PERSISTENT, EFI_UNACCEPTED, 16, 0x70000000, 0x80000000 };
	for (unsigned i = 0; i < ARRAY_SIZE(dram); i++)
		assert_true(memmap_type_is_dram(memmap_type_from_efi(dram[i])));
	for (unsigned i = 0; i < ARRAY_SIZE(not_dram); i++)
		assert_false(memmap_type_is_dram(memmap_type_from_efi(not_dram[i])));
}

static void test_build_pc(void **state)
{
	(void)state;
	struct ram_range r[ARRAY_SIZE(pc) + 1];
	/* neighbours of any DRAM type merged; Raum, holes, MMIO, reserved, persistent, bad left out */
	static const struct ram_range want[] = {
		{ 0, 0x9f000 },
		{ 0x100000, HV },
		{ HV + HV_SIZE, 512 * MB },
		{ 4 * GB, 6 * GB },
	};
	int n = build(pc, ARRAY_SIZE(pc), PC_LIMIT, HV, HV_SIZE, r, ARRAY_SIZE(r));
	expect_ranges(r, n, want, ARRAY_SIZE(want));
	/* exactly enough room, and one less */
	assert_rc(build(pc, ARRAY_SIZE(pc), PC_LIMIT, HV, HV_SIZE, r, 4), 4);
	assert_rc(build(pc, ARRAY_SIZE(pc), PC_LIMIT, HV, HV_SIZE, r, 3), -RAUM_ENOMEM);
	/* an empty map has no RAM */
	assert_rc(build(pc, 0, PC_LIMIT, HV, HV_SIZE, r, ARRAY_SIZE(r)), 0);
	/* the limit clips: inside the RAM above 4 GiB, at 4 GiB, inside low RAM */
	n = build(pc, ARRAY_SIZE(pc), 5 * GB, HV, HV_SIZE, r, ARRAY_SIZE(r));
	assert_rc(n, 4);
	assert_int_equal(r[3].end, 5 * GB);
	assert_rc(build(pc, ARRAY_SIZE(pc), 4 * GB, HV, HV_SIZE, r, ARRAY_SIZE(r)), 3);
	n = build(pc, ARRAY_SIZE(pc), 0x50000, HV, HV_SIZE, r, ARRAY_SIZE(r));
	assert_rc(n, 1);
	assert_int_equal(r[0].end, 0x50000);
	assert_rc(build(pc, ARRAY_SIZE(pc), 0, HV, HV_SIZE, r, ARRAY_SIZE(r)), 0);
}

/* Raum's region is carved out even when the map calls it RAM. */
static void test_build_carves_raum(void **state)
{
	(void)state;
	struct ram_range r[4];
	const struct raum_mem_range one[] = { M(0, 1 * GB, RAUM_MEM_USABLE) };
	/* in the middle: two pieces (the n + 1 worst case) */
	const struct ram_range mid[] = { { 0, HV }, { HV + HV_SIZE, 1 * GB } };
	expect_ranges(r, build(one, 1, PC_LIMIT, HV, HV_SIZE, r, 2), mid, 2);
	assert_rc(build(one, 1, PC_LIMIT, HV, HV_SIZE, r, 1), -RAUM_ENOMEM);
	/* at the start, at the end, the whole range, beyond it, none */
	const struct ram_range after[] = { { HV_SIZE, 1 * GB } };
	expect_ranges(r, build(one, 1, PC_LIMIT, 0, HV_SIZE, r, 4), after, 1);
	const struct ram_range before[] = { { 0, 1 * GB - HV_SIZE } };
	expect_ranges(r, build(one, 1, PC_LIMIT, 1 * GB - HV_SIZE, HV_SIZE, r, 4), before, 1);
	assert_rc(build(one, 1, PC_LIMIT, 0, 1 * GB, r, 4), 0);
	assert_rc(build(one, 1, PC_LIMIT, 0, 2 * GB, r, 4), 0);
	const struct ram_range all[] = { { 0, 1 * GB } };
	expect_ranges(r, build(one, 1, PC_LIMIT, 1 * GB, HV_SIZE, r, 4), all, 1);
	expect_ranges(r, build(one, 1, PC_LIMIT, 0, 0, r, 4), all, 1);
	/* a region spanning two ranges of different types */
	const struct raum_mem_range two[] = { M(0, HV + PG, RAUM_MEM_USABLE),
					      M(HV + PG, 1 * GB - HV - PG, RAUM_MEM_ACPI_NVS) };
	expect_ranges(r, build(two, 2, PC_LIMIT, HV, HV_SIZE, r, 4), mid, 2);
	/* a region reaching to 2^64 (its end saturates rather than wraps) */
	const struct ram_range low[] = { { 0, HV } };
	expect_ranges(r, build(one, 1, PC_LIMIT, HV, TOP - HV + 1, r, 4), low, 1);
	expect_ranges(r, build(one, 1, PC_LIMIT, HV, TOP, r, 4), low, 1);
}

static void test_build_bad_maps(void **state)
{
	(void)state;
	struct ram_range r[8];
	const struct raum_mem_range unsorted[] = { M(1 * GB, GB, RAUM_MEM_USABLE), M(0, GB, RAUM_MEM_USABLE) };
	const struct raum_mem_range overlap[] = { M(0, 2 * GB, RAUM_MEM_MMIO), M(GB, GB, RAUM_MEM_USABLE) };
	assert_rc(build(unsorted, 2, PC_LIMIT, HV, HV_SIZE, r, 8), -RAUM_EINVAL);
	assert_rc(build(overlap, 2, PC_LIMIT, HV, HV_SIZE, r, 8), -RAUM_EINVAL);
	/* a range whose page count runs past 2^64 ends at 2^64 - 1, then the limit clips it */
	const struct raum_mem_range huge[] = { { 0xfffffffffff00000ULL, 1ULL << 60, RAUM_MEM_USABLE, 0, 0 } };
	const struct ram_range top[] = { { 0xfffffffffff00000ULL, TOP } };
	expect_ranges(r, build(huge, 1, TOP, 0, PG, r, 8), top, 1);
	assert_rc(build(huge, 1, PC_LIMIT, 0, PG, r, 8), 0);
}

static bool in_pc(u64 gpa, u64 len)
{
	static struct ram_range r[ARRAY_SIZE(pc) + 1];
	static int n = -1;
	if (n < 0)
		n = build(pc, ARRAY_SIZE(pc), PC_LIMIT, HV, HV_SIZE, r, ARRAY_SIZE(r));
	return ram_ranges_contain(r, (size_t)n, gpa, len);
}

static void test_contain(void **state)
{
	(void)state;
	/* RAM, including a whole range's first and last bytes */
	assert_true(in_pc(0, 8));
	assert_true(in_pc(0, 0x9f000));
	assert_true(in_pc(0x9f000 - 8, 8));
	assert_true(in_pc(0x200000, PG));
	/* across merged neighbours of different types: usable, ACPI NVS, usable */
	assert_true(in_pc(0x7ff000, 0x20000));
	assert_true(in_pc(0x100000, HV - 0x100000));
	assert_true(in_pc(HV + HV_SIZE, 512 * MB - HV - HV_SIZE)); /* runtime, ACPI reclaim, usable */
	assert_true(in_pc(4 * GB, 8));
	assert_true(in_pc(6 * GB - 8, 8));
	/* len 0 is never RAM, not even inside RAM */
	assert_false(in_pc(0x200000, 0));
	assert_false(in_pc(0, 0));
	/* holes and what is not DRAM */
	assert_false(in_pc(0x9f000, 8));       /* EBDA, reserved */
	assert_false(in_pc(0xa0000, 8));       /* VGA window: no range */
	assert_false(in_pc(0xb8000, PG));
	assert_false(in_pc(0xffff8, 8));       /* last bytes of the hole */
	assert_false(in_pc(0x20000000, 8));    /* reserved after low RAM */
	assert_false(in_pc(0x40000000, 8));    /* in no range */
	assert_false(in_pc(0xb0000000, 8));    /* ECAM */
	assert_false(in_pc(0xfee00000, 8));    /* APIC page */
	assert_false(in_pc(0xfee00ff0, 16));
	assert_false(in_pc(0xffc00000, 8));    /* flash */
	assert_false(in_pc(4 * GB - 8, 8));
	assert_false(in_pc(6 * GB, 8));        /* persistent */
	assert_false(in_pc(0x1c0000000, 8));   /* unusable */
	assert_false(in_pc(0x1c0001000, 8));   /* beyond the map */
	assert_false(in_pc(PC_LIMIT - 8, 8));
	assert_false(in_pc(PC_LIMIT, 8));
	/* Raum's region: first byte, middle, last byte, and the edges of its neighbours */
	assert_false(in_pc(HV, 8));
	assert_false(in_pc(HV + HV_SIZE / 2, PG));
	assert_false(in_pc(HV + HV_SIZE - 8, 8));
	assert_true(in_pc(HV - 8, 8));
	assert_true(in_pc(HV + HV_SIZE, 8));
	/* straddling RAM and something else, either way round, by one byte */
	assert_false(in_pc(0x9f000 - 8, 9));   /* into the EBDA */
	assert_false(in_pc(0x9f000 - 8, 16));
	assert_false(in_pc(HV - 8, 9));        /* into Raum's region */
	assert_false(in_pc(HV + HV_SIZE - 1, 2)); /* out of it */
	assert_false(in_pc(512 * MB - 8, 16)); /* into reserved */
	assert_false(in_pc(4 * GB - 8, 16));   /* flash into RAM */
	assert_false(in_pc(6 * GB - 8, 9));
	assert_false(in_pc(0x100000 - 8, 16)); /* hole into RAM */
	/* spanning a hole between two RAM ranges is not RAM either */
	assert_false(in_pc(0, 0x100000 + 8));
	assert_false(in_pc(HV - 8, HV_SIZE + 16));
	/* wrap-around at 2^64: huge lengths from inside RAM */
	assert_false(in_pc(0x200000, TOP));
	assert_false(in_pc(0x200000, TOP - 0x200000 + 1)); /* ends exactly at 2^64 (wraps to 0) */
	assert_false(in_pc(0x200000, TOP - 0x1fffff + 0x10)); /* wraps into low RAM */
	assert_false(in_pc(TOP - 7, 8));
	assert_false(in_pc(TOP, 1));
	assert_false(in_pc(TOP - 7, 16));
}

/* Ranges reaching the top of the space, a single range, and none. */
static void test_contain_edges(void **state)
{
	(void)state;
	const struct ram_range top[] = { { 0, TOP } }; /* the most a range can hold: [0, 2^64 - 1) */
	assert_true(ram_ranges_contain(top, 1, 0, TOP));
	assert_true(ram_ranges_contain(top, 1, TOP - 8, 8));
	assert_false(ram_ranges_contain(top, 1, TOP - 8, 9)); /* its last byte would be 2^64 - 1 */
	assert_false(ram_ranges_contain(top, 1, TOP - 7, 8)); /* ends at 2^64, i.e. wraps to 0 */
	assert_false(ram_ranges_contain(top, 1, TOP - 7, 16)); /* wraps past 0 */
	assert_false(ram_ranges_contain(top, 1, 8, TOP));
	assert_false(ram_ranges_contain(top, 1, TOP, 1));
	assert_false(ram_ranges_contain(top, 1, 5, 0));
	assert_false(ram_ranges_contain(NULL, 0, 0, 8));
	assert_false(ram_ranges_contain(NULL, 0, TOP, TOP));
	const struct ram_range pages[] = { { PG, 2 * PG }, { 3 * PG, 4 * PG }, { 5 * PG, 6 * PG } };
	for (u64 a = 0; a < 7 * PG; a += 8) {
		u64 pg = a / PG;
		bool want = pg == 1 || pg == 3 || pg == 5;
		assert_int_equal(ram_ranges_contain(pages, 3, a, 8), want);
		assert_int_equal(ram_ranges_contain(pages, 3, a, PG - (a % PG)), want);
		assert_false(ram_ranges_contain(pages, 3, a, PG - (a % PG) + 1));
	}
}

/*
 * Random page-aligned maps against a page-by-page reference: random types
 * (gaps included), a random Raum region and limit, random blocks.
 */
#define NPG 96
/* The largest ranges tried first by the exit path: each is one of the ranges, largest first. */
static void test_largest(void **state)
{
	(void)state;
	const struct ram_range r[] = { { 0x0, 0xa0000 }, { 0x100000, 0x800000 }, { 0x900000, 0x7f000000 },
				       { 0x80000000, 0x80001000 }, { 0x100000000ULL, 0x140000000ULL } };
	struct ram_range out[4];

	ram_ranges_largest(r, ARRAY_SIZE(r), out, 4);
	assert_int_equal(out[0].base, 0x900000);
	assert_int_equal(out[1].base, 0x100000000ULL);
	assert_int_equal(out[2].base, 0x100000);
	assert_int_equal(out[3].base, 0x0);
	/* fewer ranges than slots: the rest are empty and contain nothing */
	ram_ranges_largest(r, 1, out, 4);
	assert_int_equal(out[0].end, 0xa0000);
	for (int b = 1; b < 4; b++)
		assert_true(out[b].base == 0 && out[b].end == 0);
	/* random lists: every pick is a member, sizes never increase, no member is larger than the last pick */
	u64 seed = 77;
	for (int round = 0; round < 2000; round++) {
		struct ram_range l[16];
		size_t n = 1 + unit_rand(&seed) % 16;
		u64 at = 0;
		for (size_t i = 0; i < n; i++) {
			at += (1 + unit_rand(&seed) % 64) << 12;
			u64 end = at + ((1 + unit_rand(&seed) % 512) << 12);
			l[i] = (struct ram_range){ at, end };
			at = end;
		}
		ram_ranges_largest(l, n, out, 4);
		for (size_t b = 0; b < 4 && b < n; b++) {
			bool member = false;
			for (size_t i = 0; i < n; i++)
				member |= l[i].base == out[b].base && l[i].end == out[b].end;
			assert_true(member);
			if (b)
				assert_true(out[b].end - out[b].base <= out[b - 1].end - out[b - 1].base);
		}
		if (n > 4)
			for (size_t i = 0; i < n; i++) {
				bool picked = false;
				for (int b = 0; b < 4; b++)
					picked |= l[i].base == out[b].base;
				if (!picked)
					assert_true(l[i].end - l[i].base <= out[3].end - out[3].base);
			}
	}
}

static void test_random(void **state)
{
	(void)state;
	static const u32 types[] = { 0, RAUM_MEM_USABLE, RAUM_MEM_USABLE, RAUM_MEM_RESERVED, RAUM_MEM_ACPI_RECLAIM,
				     RAUM_MEM_ACPI_NVS, RAUM_MEM_MMIO, RAUM_MEM_RUNTIME, RAUM_MEM_RAUM,
				     RAUM_MEM_UNUSABLE, RAUM_MEM_PERSISTENT };
	u64 rng = 0x5eed;

	for (int round = 0; round < 2000; round++) {
		struct raum_mem_range map[NPG];
		struct ram_range r[NPG + 1];
		bool ram[NPG + 1];
		size_t n = 0;
		/* runs of pages with one type each; type 0 is a gap */
		for (u64 p = 0; p < NPG;) {
			u64 len = 1 + unit_rand(&rng) % 8;
			u32 t = types[unit_rand(&rng) % ARRAY_SIZE(types)];
			len = MIN(len, NPG - p);
			if (t)
				map[n++] = M(p * PG, len * PG, t);
			for (u64 i = p; i < p + len; i++)
				ram[i] = memmap_type_is_dram(t);
			p += len;
		}
		ram[NPG] = false;
		u64 hb = unit_rand(&rng) % NPG, hs = unit_rand(&rng) % 16, limit = unit_rand(&rng) % (NPG + 8);
		for (u64 i = 0; i < NPG; i++)
			if ((i >= hb && i < hb + hs) || i >= limit)
				ram[i] = false;
		int k = build(map, n, limit * PG, hb * PG, hs * PG, r, n + 1);
		assert_true(k >= 0);
		/* sorted, non-empty, not touching */
		for (int i = 0; i < k; i++) {
			assert_true(r[i].base < r[i].end);
			if (i)
				assert_true(r[i - 1].end < r[i].base);
		}
		for (int q = 0; q < 64; q++) {
			u64 gpa = unit_rand(&rng) % ((NPG + 2) * PG);
			u64 len = unit_rand(&rng) % (4 * PG);
			bool want = len != 0;
			for (u64 pg = gpa / PG; want && pg <= (gpa + len - 1) / PG; pg++)
				want = pg < NPG && ram[pg];
			if (ram_ranges_contain(r, (size_t)k, gpa, len) != want)
				print_error("round %d: %#llx+%#llx\n", round, (unsigned long long)gpa,
					    (unsigned long long)len);
			assert_int_equal(ram_ranges_contain(r, (size_t)k, gpa, len), want);
		}
	}
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_types),
	cmocka_unit_test(test_build_pc),
	cmocka_unit_test(test_build_carves_raum),
	cmocka_unit_test(test_build_bad_maps),
	cmocka_unit_test(test_contain),
	cmocka_unit_test(test_contain_edges),
	cmocka_unit_test(test_random),
	cmocka_unit_test(test_largest),
};
UNIT_MAIN("ramrange", tests)
