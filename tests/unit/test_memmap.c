// SPDX-License-Identifier: MIT
/* mm/memmap.c: EFI type translation, normalize, carve and the queries. */
#include "unit.h"

#include <raum/memmap.h>

#define WB 0xfULL                  /* UC | WC | WT | WB */
#define RT (1ULL << 63)            /* EFI_MEMORY_RUNTIME */
#define MB (1ULL << 20)

static struct raum_mem_range R(u64 base, u64 pages, u32 efi_type, u64 attr)
{
	return (struct raum_mem_range){ .base = base, .pages = pages,
		.type = memmap_type_from_efi(efi_type), .efi_type = efi_type, .attr = attr };
}

/*
 * The shape of OVMF 2022.11's map on q35 with 512 MiB (as GetMemoryMap
 * returns it, before translation): many small neighbours of the same kind,
 * runtime ranges carrying EFI_MEMORY_RUNTIME, the flash as MMIO above 4 GiB's
 * edge and the PCIe ECAM window reserved.
 */
static const struct raum_mem_range ovmf_efi[] = {
	{ 0x00000000, 0x1, EFI_BS_CODE, 0, WB },
	{ 0x00001000, 0x9f, EFI_CONVENTIONAL, 0, WB },
	{ 0x00100000, 0x700, EFI_CONVENTIONAL, 0, WB },
	{ 0x00800000, 0x8, EFI_ACPI_NVS, 0, WB },
	{ 0x00808000, 0x3, EFI_CONVENTIONAL, 0, WB },
	{ 0x0080b000, 0x1, EFI_ACPI_NVS, 0, WB },
	{ 0x0080c000, 0x4, EFI_ACPI_NVS, 0, WB },
	{ 0x00810000, 0xf0, EFI_ACPI_NVS, 0, WB },
	{ 0x00900000, 0x1000, EFI_BS_DATA, 0, WB },
	{ 0x01900000, 0x1c000, EFI_CONVENTIONAL, 0, WB },
	{ 0x1d900000, 0x20, EFI_LOADER_DATA, 0, WB },
	{ 0x1d920000, 0x1b0, EFI_LOADER_CODE, 0, WB },
	{ 0x1dad0000, 0x530, EFI_BS_DATA, 0, WB },
	{ 0x1e000000, 0x80, EFI_RT_DATA, 0, WB | RT },
	{ 0x1e080000, 0x40, EFI_RT_CODE, 0, WB | RT },
	{ 0x1e0c0000, 0x100, EFI_RESERVED, 0, WB },
	{ 0x1e1c0000, 0x10, EFI_ACPI_RECLAIM, 0, WB },
	{ 0x1e1d0000, 0x20, EFI_ACPI_NVS, 0, WB },
	{ 0x1e1f0000, 0x1dd0, EFI_BS_DATA, 0, WB },
	{ 0x1ffc0000, 0x40, EFI_RT_DATA, 0, WB | RT }, /* to 512 MiB */
	{ 0xb0000000, 0x10000, EFI_RESERVED, 0, 1 },   /* PCIe ECAM, UC */
	{ 0xffc00000, 0x400, EFI_MMIO, 0, 1 | RT },    /* pflash */
};

static size_t load_ovmf(struct raum_mem_range *out, bool shuffle)
{
	size_t n = ARRAY_SIZE(ovmf_efi);
	for (size_t i = 0; i < n; i++)
		out[i] = R(ovmf_efi[i].base, ovmf_efi[i].pages, ovmf_efi[i].type, ovmf_efi[i].attr);
	if (shuffle) {
		u64 rng = 42;
		for (size_t i = n - 1; i > 0; i--) {
			size_t j = unit_rand(&rng) % (i + 1);
			struct raum_mem_range t = out[i];
			out[i] = out[j];
			out[j] = t;
		}
	}
	return n;
}

static u64 end_of(const struct raum_mem_range *r) { return r->base + r->pages * PAGE_SIZE; }

static void assert_sorted_disjoint(const struct raum_mem_range *r, size_t n)
{
	for (size_t i = 1; i < n; i++)
		assert_true(end_of(&r[i - 1]) <= r[i].base);
}

static void test_type_from_efi(void **state)
{
	(void)state;
	assert_int_equal(memmap_type_from_efi(EFI_LOADER_CODE), RAUM_MEM_USABLE);
	assert_int_equal(memmap_type_from_efi(EFI_LOADER_DATA), RAUM_MEM_USABLE);
	assert_int_equal(memmap_type_from_efi(EFI_BS_CODE), RAUM_MEM_USABLE);
	assert_int_equal(memmap_type_from_efi(EFI_BS_DATA), RAUM_MEM_USABLE);
	assert_int_equal(memmap_type_from_efi(EFI_CONVENTIONAL), RAUM_MEM_USABLE);
	assert_int_equal(memmap_type_from_efi(EFI_RT_CODE), RAUM_MEM_RUNTIME);
	assert_int_equal(memmap_type_from_efi(EFI_RT_DATA), RAUM_MEM_RUNTIME);
	assert_int_equal(memmap_type_from_efi(EFI_ACPI_RECLAIM), RAUM_MEM_ACPI_RECLAIM);
	assert_int_equal(memmap_type_from_efi(EFI_ACPI_NVS), RAUM_MEM_ACPI_NVS);
	assert_int_equal(memmap_type_from_efi(EFI_MMIO), RAUM_MEM_MMIO);
	assert_int_equal(memmap_type_from_efi(EFI_MMIO_PORT), RAUM_MEM_MMIO);
	assert_int_equal(memmap_type_from_efi(EFI_UNUSABLE), RAUM_MEM_UNUSABLE);
	assert_int_equal(memmap_type_from_efi(EFI_PERSISTENT), RAUM_MEM_PERSISTENT);
	assert_int_equal(memmap_type_from_efi(EFI_RESERVED), RAUM_MEM_RESERVED);
	assert_int_equal(memmap_type_from_efi(EFI_PAL_CODE), RAUM_MEM_RESERVED);
	assert_int_equal(memmap_type_from_efi(EFI_UNACCEPTED), RAUM_MEM_RESERVED);
	assert_int_equal(memmap_type_from_efi(16), RAUM_MEM_RESERVED);
	assert_int_equal(memmap_type_from_efi(0x70000000), RAUM_MEM_RESERVED); /* OEM range */
	assert_int_equal(memmap_type_from_efi(0xffffffff), RAUM_MEM_RESERVED);

	assert_true(memmap_type_is_ram(RAUM_MEM_USABLE));
	assert_true(memmap_type_is_ram(RAUM_MEM_ACPI_RECLAIM));
	assert_true(memmap_type_is_ram(RAUM_MEM_ACPI_NVS));
	assert_true(memmap_type_is_ram(RAUM_MEM_RUNTIME));
	assert_false(memmap_type_is_ram(RAUM_MEM_MMIO));
	assert_false(memmap_type_is_ram(RAUM_MEM_RESERVED));
	assert_false(memmap_type_is_ram(RAUM_MEM_RAUM)); /* never the root's */
	assert_false(memmap_type_is_ram(RAUM_MEM_UNUSABLE));
	assert_string_equal(memmap_type_name(RAUM_MEM_USABLE), "usable");
	assert_string_equal(memmap_type_name(RAUM_MEM_RAUM), "Raum");
	assert_string_equal(memmap_type_name(RAUM_MEM_MMIO), "MMIO");
	assert_string_equal(memmap_type_name(0), "unknown");
	assert_string_equal(memmap_type_name(99), "unknown");
}

static void test_normalize_ovmf(void **state)
{
	(void)state;
	struct raum_mem_range m[32];
	size_t n = load_ovmf(m, true);
	u64 usable = memmap_bytes(m, n, RAUM_MEM_USABLE);

	int rc = memmap_normalize(m, n);
	/*
	 * Expected after merging: BS code, loader and conventional memory all
	 * become one usable type and merge where they touch; the legacy hole
	 * [0xa0000, 1M) keeps the first two usable ranges apart; RT code and
	 * data merge (both runtime, same attributes); the NVS pieces merge.
	 */
	static const struct { u64 base, end; u32 type; u64 attr; } want[] = {
		{ 0x00000000, 0x000a0000, RAUM_MEM_USABLE, WB },
		{ 0x00100000, 0x00800000, RAUM_MEM_USABLE, WB },
		{ 0x00800000, 0x00808000, RAUM_MEM_ACPI_NVS, WB },
		{ 0x00808000, 0x0080b000, RAUM_MEM_USABLE, WB },
		{ 0x0080b000, 0x00900000, RAUM_MEM_ACPI_NVS, WB },
		{ 0x00900000, 0x1e000000, RAUM_MEM_USABLE, WB },
		{ 0x1e000000, 0x1e0c0000, RAUM_MEM_RUNTIME, WB | RT },
		{ 0x1e0c0000, 0x1e1c0000, RAUM_MEM_RESERVED, WB },
		{ 0x1e1c0000, 0x1e1d0000, RAUM_MEM_ACPI_RECLAIM, WB },
		{ 0x1e1d0000, 0x1e1f0000, RAUM_MEM_ACPI_NVS, WB },
		{ 0x1e1f0000, 0x1ffc0000, RAUM_MEM_USABLE, WB },
		{ 0x1ffc0000, 0x20000000, RAUM_MEM_RUNTIME, WB | RT },
		{ 0xb0000000, 0xc0000000, RAUM_MEM_RESERVED, 1 },
		{ 0xffc00000, 0x100000000ULL, RAUM_MEM_MMIO, 1 | RT },
	};
	assert_rc(rc, ARRAY_SIZE(want));
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		assert_int_equal(m[i].base, want[i].base);
		assert_int_equal(end_of(&m[i]), want[i].end);
		assert_int_equal(m[i].type, want[i].type);
		assert_int_equal(m[i].attr, want[i].attr);
	}
	assert_sorted_disjoint(m, (size_t)rc);
	/* merging moves no bytes between types */
	assert_int_equal(memmap_bytes(m, (size_t)rc, RAUM_MEM_USABLE), usable);
	/* normalizing twice changes nothing */
	struct raum_mem_range again[32];
	memcpy(again, m, sizeof(m));
	assert_rc(memmap_normalize(again, (size_t)rc), rc);
	assert_memory_equal(again, m, (size_t)rc * sizeof(m[0]));
}

static void test_normalize_merge_rules(void **state)
{
	(void)state;
	struct raum_mem_range m[8];

	/* same type, different attributes, touching: kept apart */
	m[0] = R(0x1000, 1, EFI_CONVENTIONAL, WB);
	m[1] = R(0x2000, 1, EFI_CONVENTIONAL, 1);
	/* same type and attributes with a one-page hole: kept apart */
	m[2] = R(0x4000, 1, EFI_CONVENTIONAL, 1);
	/* touching, same type and attributes: merged */
	m[3] = R(0x5000, 2, EFI_BS_DATA, 1);
	/* touching, same attributes, different type: kept apart */
	m[4] = R(0x7000, 1, EFI_ACPI_RECLAIM, 1);
	assert_rc(memmap_normalize(m, 5), 4);
	assert_int_equal(m[0].base, 0x1000);
	assert_int_equal(m[1].base, 0x2000);
	assert_int_equal(m[2].base, 0x4000);
	assert_int_equal(m[2].pages, 3);
	assert_int_equal(m[3].base, 0x7000);
	assert_int_equal(m[3].type, RAUM_MEM_ACPI_RECLAIM);

	/* zero-page ranges are dropped, even one that would sit inside another */
	m[0] = R(0x10000, 0, EFI_CONVENTIONAL, WB);
	m[1] = R(0x3000, 4, EFI_CONVENTIONAL, WB);
	m[2] = R(0x4000, 0, EFI_MMIO, 1);
	m[3] = R(0x0, 3, EFI_CONVENTIONAL, WB);
	assert_rc(memmap_normalize(m, 4), 1);
	assert_int_equal(m[0].base, 0);
	assert_int_equal(m[0].pages, 7);

	/* empty and all-empty maps */
	assert_rc(memmap_normalize(m, 0), 0);
	m[0] = R(0x1000, 0, EFI_CONVENTIONAL, WB);
	assert_rc(memmap_normalize(m, 1), 0);
}

static void test_normalize_overlap(void **state)
{
	(void)state;
	struct raum_mem_range m[4];

	m[0] = R(0x10000, 4, EFI_CONVENTIONAL, WB);
	m[1] = R(0x0, 0x11, EFI_CONVENTIONAL, WB); /* ends one page into m[0] */
	m[2] = R(0x20000, 1, EFI_MMIO, 1);
	assert_rc(memmap_normalize(m, 3), -RAUM_EINVAL);
	/* left sorted, not merged */
	assert_int_equal(m[0].base, 0);
	assert_int_equal(m[0].pages, 0x11);
	assert_int_equal(m[1].base, 0x10000);
	assert_int_equal(m[2].base, 0x20000);

	/* same base twice */
	m[0] = R(0x5000, 1, EFI_CONVENTIONAL, WB);
	m[1] = R(0x5000, 1, EFI_CONVENTIONAL, WB);
	assert_rc(memmap_normalize(m, 2), -RAUM_EINVAL);
	/* one range inside another, not adjacent after sorting */
	m[0] = R(0x0, 0x100, EFI_CONVENTIONAL, WB);
	m[1] = R(0x10000, 1, EFI_ACPI_NVS, WB);
	m[2] = R(0x50000, 1, EFI_ACPI_NVS, WB);
	assert_rc(memmap_normalize(m, 3), -RAUM_EINVAL);
}

static void test_carve_splits_one_range(void **state)
{
	(void)state;
	struct raum_mem_range m[8];

	m[0] = R(0x0, 0x100, EFI_CONVENTIONAL, WB);      /* [0, 1M) */
	m[1] = R(0x100000, 0x100, EFI_ACPI_NVS, WB);     /* [1M, 2M) */
	/* [0x40000, 0x50000) in the middle of m[0]: head, region, tail */
	assert_rc(memmap_carve(m, 2, 8, 0x40000, 0x10000, RAUM_MEM_RAUM), 4);
	assert_int_equal(m[0].base, 0x0);
	assert_int_equal(m[0].pages, 0x40);
	assert_int_equal(m[0].type, RAUM_MEM_USABLE);
	assert_int_equal(m[1].base, 0x40000);
	assert_int_equal(m[1].pages, 0x10);
	assert_int_equal(m[1].type, RAUM_MEM_RAUM);
	assert_int_equal(m[1].attr, WB);                 /* attributes kept */
	assert_int_equal(m[1].efi_type, EFI_CONVENTIONAL);
	assert_int_equal(m[2].base, 0x50000);
	assert_int_equal(m[2].pages, 0xb0);
	assert_int_equal(m[2].type, RAUM_MEM_USABLE);
	assert_int_equal(m[3].base, 0x100000);
	assert_int_equal(m[3].type, RAUM_MEM_ACPI_NVS);
	assert_sorted_disjoint(m, 4);

	/* a region at the start of a range needs a tail split only */
	m[0] = R(0x0, 0x100, EFI_CONVENTIONAL, WB);
	assert_rc(memmap_carve(m, 1, 2, 0x0, 0x1000, RAUM_MEM_RAUM), 2);
	assert_int_equal(m[0].type, RAUM_MEM_RAUM);
	assert_int_equal(m[0].pages, 1);
	assert_int_equal(m[1].base, 0x1000);
	assert_int_equal(m[1].pages, 0xff);
	/* at the end, a head split only */
	m[0] = R(0x0, 0x100, EFI_CONVENTIONAL, WB);
	assert_rc(memmap_carve(m, 1, 2, 0xff000, 0x1000, RAUM_MEM_RAUM), 2);
	assert_int_equal(m[0].pages, 0xff);
	assert_int_equal(m[0].type, RAUM_MEM_USABLE);
	assert_int_equal(m[1].base, 0xff000);
	assert_int_equal(m[1].type, RAUM_MEM_RAUM);
	/* exactly one range: no split, the type changes */
	m[0] = R(0x0, 0x100, EFI_CONVENTIONAL, WB);
	assert_rc(memmap_carve(m, 1, 1, 0x0, 0x100000, RAUM_MEM_RAUM), 1);
	assert_int_equal(m[0].type, RAUM_MEM_RAUM);
	assert_int_equal(m[0].pages, 0x100);
	/* carving a region that already has the type: nothing to do */
	assert_rc(memmap_carve(m, 1, 1, 0x1000, 0x1000, RAUM_MEM_RAUM), 1);
	assert_int_equal(m[0].pages, 0x100);
	/* size 0 */
	assert_rc(memmap_carve(m, 1, 1, 0x1000, 0, RAUM_MEM_RESERVED), 1);
	assert_int_equal(m[0].type, RAUM_MEM_RAUM);
}

static void test_carve_many_and_holes(void **state)
{
	(void)state;
	struct raum_mem_range m[32];
	size_t n = load_ovmf(m, false);
	int rc = memmap_normalize(m, n);
	assert_true(rc > 0);
	n = (size_t)rc;
	u64 total = 0;
	for (size_t i = 0; i < n; i++)
		total += m[i].pages;

	/* [0x00700000, 0x00a00000): the end of usable, NVS, usable, NVS, start of usable */
	rc = memmap_carve(m, n, 32, 0x700000, 0x300000, RAUM_MEM_RAUM);
	assert_rc(rc, (int)n + 2);
	n = (size_t)rc;
	assert_sorted_disjoint(m, n);
	assert_int_equal(memmap_bytes(m, n, RAUM_MEM_RAUM), 0x300000);
	for (u64 a = 0x700000; a < 0xa00000; a += PAGE_SIZE) {
		int i = memmap_find(m, n, a);
		assert_true(i >= 0);
		assert_int_equal(m[i].type, RAUM_MEM_RAUM);
	}
	/* both edges keep their old types */
	assert_int_equal(m[memmap_find(m, n, 0x6ff000)].type, RAUM_MEM_USABLE);
	assert_int_equal(m[memmap_find(m, n, 0xa00000)].type, RAUM_MEM_USABLE);
	assert_int_equal(m[memmap_find(m, n, 0xa00000)].base, 0xa00000);
	u64 total2 = 0;
	for (size_t i = 0; i < n; i++)
		total2 += m[i].pages;
	assert_int_equal(total2, total);

	/* a region overlapping the hole [0xa0000, 0x100000): the hole stays uncovered */
	rc = memmap_carve(m, n, 32, 0x90000, 0x80000, RAUM_MEM_RESERVED);
	assert_rc(rc, (int)n + 2);
	n = (size_t)rc;
	assert_int_equal(memmap_find(m, n, 0xa0000), -1);
	assert_int_equal(memmap_find(m, n, 0xff000), -1);
	assert_int_equal(m[memmap_find(m, n, 0x90000)].type, RAUM_MEM_RESERVED);
	assert_int_equal(m[memmap_find(m, n, 0x100000)].type, RAUM_MEM_RESERVED);
	assert_int_equal(m[memmap_find(m, n, 0x8f000)].type, RAUM_MEM_USABLE);
	assert_int_equal(m[memmap_find(m, n, 0x110000)].type, RAUM_MEM_USABLE);

	/* a region wholly in a hole changes nothing */
	struct raum_mem_range copy[32];
	memcpy(copy, m, sizeof(m));
	assert_rc(memmap_carve(m, n, 32, 0x40000000, 0x100000, RAUM_MEM_RAUM), (int)n);
	assert_memory_equal(copy, m, sizeof(m));
}

static void test_carve_capacity(void **state)
{
	(void)state;
	struct raum_mem_range m[4];

	m[0] = R(0x0, 0x100, EFI_CONVENTIONAL, WB);
	/* needs two more entries: with room for one, -ENOMEM */
	assert_rc(memmap_carve(m, 1, 1, 0x10000, 0x1000, RAUM_MEM_RAUM), -RAUM_ENOMEM);
	m[0] = R(0x0, 0x100, EFI_CONVENTIONAL, WB);
	assert_rc(memmap_carve(m, 1, 2, 0x10000, 0x1000, RAUM_MEM_RAUM), -RAUM_ENOMEM);
	m[0] = R(0x0, 0x100, EFI_CONVENTIONAL, WB);
	assert_rc(memmap_carve(m, 1, 3, 0x10000, 0x1000, RAUM_MEM_RAUM), 3);
	/* a carve needing no split fits at full capacity */
	m[0] = R(0x0, 0x100, EFI_CONVENTIONAL, WB);
	assert_rc(memmap_carve(m, 1, 1, 0x0, 0x100000, RAUM_MEM_RAUM), 1);
}

static void test_queries(void **state)
{
	(void)state;
	struct raum_mem_range m[32];
	size_t n = load_ovmf(m, false);

	assert_int_equal(memmap_end(m, 0), 0);
	assert_int_equal(memmap_end(m, n), 0x100000000ULL);
	assert_int_equal(memmap_end(m, 3), 0x800000); /* the highest, not the last */
	/* usable: 1 + 0x9f + 0x700 + 3 + 0x1000 + 0x1c000 + 0x20 + 0x1b0 + 0x530 + 0x1dd0 pages */
	assert_int_equal(memmap_bytes(m, n, RAUM_MEM_USABLE),
			 (1 + 0x9f + 0x700 + 3 + 0x1000 + 0x1c000 + 0x20 + 0x1b0 + 0x530 + 0x1dd0) * PAGE_SIZE);
	assert_int_equal(memmap_bytes(m, n, RAUM_MEM_RUNTIME), (0x80 + 0x40 + 0x40) * PAGE_SIZE);
	assert_int_equal(memmap_bytes(m, n, RAUM_MEM_MMIO), 4 * MB);
	assert_int_equal(memmap_bytes(m, n, RAUM_MEM_RAUM), 0);

	assert_int_equal(memmap_find(m, n, 0), 0);
	assert_int_equal(memmap_find(m, n, 0xfff), 0);
	assert_int_equal(memmap_find(m, n, 0x1000), 1);
	assert_int_equal(memmap_find(m, n, 0x9ffff), 1);
	assert_int_equal(memmap_find(m, n, 0xa0000), -1);   /* legacy VGA hole */
	assert_int_equal(memmap_find(m, n, 0x100000), 2);
	assert_int_equal(memmap_find(m, n, 0xffffffff), (int)n - 1);
	assert_int_equal(memmap_find(m, n, 0x100000000ULL), -1);
	assert_int_equal(memmap_find(m, n, 0x20000000), -1);
	assert_int_equal(memmap_find(m, 0, 0), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_type_from_efi),
		cmocka_unit_test(test_normalize_ovmf),
		cmocka_unit_test(test_normalize_merge_rules),
		cmocka_unit_test(test_normalize_overlap),
		cmocka_unit_test(test_carve_splits_one_range),
		cmocka_unit_test(test_carve_many_and_holes),
		cmocka_unit_test(test_carve_capacity),
		cmocka_unit_test(test_queries),
	};
	return cmocka_run_group_tests_name("memmap", tests, NULL, NULL) ? 1 : 0;
}
