// SPDX-License-Identifier: MIT
/*
 * include/raum/gwalk.h: the root's page-table walk over a fake guest memory: 4-level
 * and 5-level paging (CR4.LA57; neither emulator offers LA57, so this is
 * its only test), 1 GiB and 2 MiB leaves, non-present entries, tables that
 * are not RAM, paging off, and legacy paging refused.
 */
#include "unit.h"

#include <raum/gwalk.h>
#include <raum/hwcheck.h>
#include <raum/pt.h>
#include <raum/x86.h>

#define MEM_PAGES 32
static u64 mem[MEM_PAGES][512]; /* guest-physical page i at GPA i * 4096 */
static unsigned next_page;
static u64 hole_gpa = ~0ULL;     /* a table page the "SLAT" says is not RAM */

static int read_pte(void *ctx, u64 gpa, u64 *pte)
{
	(void)ctx;
	if ((gpa & PAGE_MASK) == hole_gpa || gpa / PAGE_SIZE >= MEM_PAGES || (gpa & 7))
		return -1;
	*pte = mem[gpa / PAGE_SIZE][(gpa % PAGE_SIZE) / 8];
	return 0;
}

static u64 new_table(void)
{
	assert_true(next_page < MEM_PAGES);
	memset(mem[next_page], 0, PAGE_SIZE);
	return (u64)next_page++ * PAGE_SIZE;
}

/* Maps va to gpa with a leaf at 'leaf' (1: 4 KiB, 2: 2 MiB, 3: 1 GiB) under root, 'levels' deep. */
static void map(u64 root, int levels, u64 va, u64 gpa, int leaf)
{
	u64 table = root;
	for (int l = levels; l > leaf; l--) {
		u64 *e = &mem[table / PAGE_SIZE][pt_index(va, l)];
		if (!(*e & PTE_P))
			*e = new_table() | PTE_P | PTE_W;
		table = *e & PTE_ADDR_MASK;
	}
	mem[table / PAGE_SIZE][pt_index(va, leaf)] = gpa | PTE_P | PTE_W | (leaf > 1 ? PTE_PS : 0);
}

static struct gwalk ctx(u64 cr3, bool la57)
{
	return (struct gwalk){ .cr0 = CR0_PE | CR0_PG, .cr3 = cr3, .cr4 = CR4_PAE | (la57 ? CR4_LA57 : 0),
			       .efer = EFER_LME | EFER_LMA, .read_pte = read_pte };
}

static void reset(void)
{
	next_page = 0;
	hole_gpa = ~0ULL;
}

static void four_levels(void **state)
{
	(void)state;
	reset();
	u64 root = new_table();
	struct gwalk w = ctx(root, false);
	u64 gpa;

	map(root, 4, 0xffff800012345000ULL, 0x7000, 1);
	assert_rc(gwalk(&w, 0xffff800012345abcULL, &gpa), 0);
	assert_int_equal(gpa, 0x7abc);
	map(root, 4, 0x40000000ULL, 0x80000000ULL, 3); /* 1 GiB */
	assert_rc(gwalk(&w, 0x4abcdef0ULL, &gpa), 0);
	assert_int_equal(gpa, 0x8abcdef0ULL);
	map(root, 4, 0xbfe00000ULL, 0x200000ULL, 2); /* 2 MiB, in the next GiB */
	assert_rc(gwalk(&w, 0xbfe12345ULL, &gpa), 0);
	assert_int_equal(gpa, 0x212345ULL);
	assert_rc(gwalk(&w, 0x1000, &gpa), -RAUM_ENOENT); /* not mapped */
}

static void five_levels(void **state)
{
	(void)state;
	reset();
	u64 root = new_table();
	struct gwalk w5 = ctx(root, true);
	u64 gpa;
	/* a 57-bit address: bits 56:48 select the PML5 entry */
	const u64 va = 0xff3a000012345678ULL; /* canonical for LA57: bits 63:57 copy bit 56 */

	map(root, 5, va, 0x5000, 1);
	assert_rc(gwalk(&w5, va, &gpa), 0);
	assert_int_equal(gpa, 0x5678);
	/* the same tables walked as 4-level: the top table is read as a PML4 and the address misses */
	struct gwalk w4 = ctx(root, false);
	assert_true(gwalk(&w4, va, &gpa) != 0 || gpa != 0x5678);
	/* PS in a PML5 or PML4 entry is not a leaf: the walk goes on (and finds nothing here) */
	reset();
	root = new_table();
	w5 = ctx(root, true);
	mem[root / PAGE_SIZE][pt_index(va, 5)] = new_table() | PTE_P | PTE_PS;
	assert_rc(gwalk(&w5, va, &gpa), -RAUM_ENOENT);
}

static void tables_not_ram_refused(void **state)
{
	(void)state;
	reset();
	u64 root = new_table();
	struct gwalk w = ctx(root, false);
	u64 gpa;

	map(root, 4, 0x1234000, 0x9000, 1);
	assert_rc(gwalk(&w, 0x1234000, &gpa), 0);
	/* the PT page behind it becomes "not RAM" (MMIO, Raum's memory): refused, never read */
	u64 pdpt = mem[root / PAGE_SIZE][pt_index(0x1234000, 4)] & PTE_ADDR_MASK;
	u64 pd = mem[pdpt / PAGE_SIZE][pt_index(0x1234000, 3)] & PTE_ADDR_MASK;
	u64 pt = mem[pd / PAGE_SIZE][pt_index(0x1234000, 2)] & PTE_ADDR_MASK;
	hole_gpa = pt;
	assert_rc(gwalk(&w, 0x1234000, &gpa), -RAUM_EINVAL);
	/* a table pointer past guest memory */
	reset();
	root = new_table();
	w = ctx(root, false);
	mem[root / PAGE_SIZE][0] = (0x10000000ULL) | PTE_P;
	assert_rc(gwalk(&w, 0x1000, &gpa), -RAUM_EINVAL);
	/* CR3 itself not RAM */
	w.cr3 = 0x40000000;
	assert_rc(gwalk(&w, 0x1000, &gpa), -RAUM_EINVAL);
}

static void paging_off_and_legacy(void **state)
{
	(void)state;
	struct gwalk w = { .cr0 = CR0_PE, .read_pte = read_pte };
	u64 gpa;

	assert_rc(gwalk(&w, 0x123456789abcULL, &gpa), 0);
	assert_int_equal(gpa, 0x56789abcULL); /* 32 bits */
	w.cr0 |= CR0_PG; /* 32-bit paging */
	assert_rc(gwalk(&w, 0x1000, &gpa), -RAUM_ENOTSUP);
	w.cr4 = CR4_PAE; /* PAE without long mode */
	assert_rc(gwalk(&w, 0x1000, &gpa), -RAUM_ENOTSUP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(four_levels),
		cmocka_unit_test(five_levels),
		cmocka_unit_test(tables_not_ram_refused),
		cmocka_unit_test(paging_off_and_legacy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
