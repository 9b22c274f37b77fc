// SPDX-License-Identifier: MIT
/*
 * include/raum/gwalk.h: the guests' page-table walk over a fake guest memory: 4-level
 * and 5-level paging (CR4.LA57; neither emulator offers LA57, so this is
 * its only test), 1 GiB and 2 MiB leaves, non-present entries, tables that
 * are not RAM, paging off, 32-bit paging (PSE, PSE-36) and PAE paging.
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

static void paging_off(void **state)
{
	(void)state;
	struct gwalk w = { .cr0 = CR0_PE, .read_pte = read_pte };
	u64 gpa;

	assert_rc(gwalk(&w, 0x123456789abcULL, &gpa), 0);
	assert_int_equal(gpa, 0x56789abcULL); /* 32 bits */
	/* the root's walk is long mode only: legacy paging is gwalk_any's */
	w.cr0 |= CR0_PG;
	assert_rc(gwalk(&w, 0x1000, &gpa), -RAUM_ENOTSUP);
	w.cr4 = CR4_PAE;
	assert_rc(gwalk(&w, 0x1000, &gpa), -RAUM_ENOTSUP);
}

/* A 4-byte entry written into the fake memory at gpa. */
static void put32(u64 gpa, u32 v)
{
	u64 *q = &mem[gpa / PAGE_SIZE][(gpa % PAGE_SIZE) / 8];
	int sh = (gpa & 4) ? 32 : 0;
	*q = (*q & ~(0xffffffffULL << sh)) | ((u64)v << sh);
}

/* 32-bit paging (SDM 4.3): 4-byte entries (odd and even halves of a read), 4 MiB pages with PSE and PSE-36. */
static void thirty_two_bit(void **state)
{
	(void)state;
	reset();
	u64 pd = new_table(), pt = new_table();
	struct gwalk w = { .cr0 = CR0_PE | CR0_PG, .cr3 = pd | 0xfff /* bits 11:0 ignored */, .read_pte = read_pte };
	u64 gpa;

	/* va 0x00c01234: PDE 3 (odd half of a word), PTE 1 (odd half) */
	put32(pd + 4 * 3, (u32)pt | PTE_P | PTE_W);
	put32(pt + 4 * 1, 0x9000 | PTE_P);
	put32(pt + 4 * 0, 0x5000 | PTE_P); /* its neighbour in the same word must not leak in */
	assert_rc(gwalk_any(&w, 0x00c01234, &gpa), 0);
	assert_int_equal(gpa, 0x9234);
	assert_rc(gwalk_any(&w, 0x00c00010, &gpa), 0);
	assert_int_equal(gpa, 0x5010);
	assert_rc(gwalk_any(&w, 0x00c02000, &gpa), -RAUM_ENOENT);
	/* high bits of va are ignored outside long mode */
	assert_rc(gwalk_any(&w, 0xffffffff00c01234ULL, &gpa), 0);
	assert_int_equal(gpa, 0x9234);
	/* a 4 MiB page needs CR4.PSE; bits 20:13 give address bits 39:32 */
	put32(pd + 4 * 0x300, 0x00800000 | (0x3u << 13) | PTE_P | PTE_PS);
	w.cr4 = CR4_PSE;
	assert_rc(gwalk_any(&w, 0xc0012345, &gpa), 0);
	assert_int_equal(gpa, 0x300812345ULL);
	/* without PSE the PS bit is ignored: the entry points at a page table (here: the page at 0x00800000, not RAM) */
	w.cr4 = 0;
	assert_rc(gwalk_any(&w, 0xc0012345, &gpa), -RAUM_EINVAL);
	/* a page directory that is not RAM */
	hole_gpa = pd;
	assert_rc(gwalk_any(&w, 0x00c01234, &gpa), -RAUM_EINVAL);
}

/* PAE paging (SDM 4.4): four PDPTEs at CR3 bits 31:5, 2 MiB and 4 KiB leaves. */
static void pae(void **state)
{
	(void)state;
	reset();
	u64 pdpt_page = new_table(), pd = new_table(), pt = new_table();
	u64 pdpt = pdpt_page + 0x20; /* 32-byte aligned inside its page */
	struct gwalk w = { .cr0 = CR0_PE | CR0_PG, .cr3 = pdpt, .cr4 = CR4_PAE, .read_pte = read_pte };
	u64 gpa;

	mem[pdpt / PAGE_SIZE][(pdpt % PAGE_SIZE) / 8 + 2] = pd | PTE_P; /* va 0x80000000 .. */
	mem[pd / PAGE_SIZE][1] = pt | PTE_P | PTE_W;                     /* .. + 2 MiB */
	mem[pt / PAGE_SIZE][3] = 0x1234000ULL | PTE_P;
	mem[pd / PAGE_SIZE][5] = 0x40000000ULL | PTE_P | PTE_PS;         /* 2 MiB at + 10 MiB */
	assert_rc(gwalk_any(&w, 0x80203abcULL, &gpa), 0);
	assert_int_equal(gpa, 0x1234abcULL);
	assert_rc(gwalk_any(&w, 0x80a12345ULL, &gpa), 0);
	assert_int_equal(gpa, 0x40012345ULL);
	assert_rc(gwalk_any(&w, 0x40000000ULL, &gpa), -RAUM_ENOENT); /* PDPTE 1 not present */
	assert_rc(gwalk_any(&w, 0x80204000ULL, &gpa), -RAUM_ENOENT); /* PTE 4 not present */
	/* the same tables are not read as long mode's: EFER.LMA decides */
	w.efer = EFER_LME | EFER_LMA;
	assert_true(gwalk_any(&w, 0x80203abcULL, &gpa) != 0 || gpa != 0x1234abcULL);
}

/* Random tables under every paging mode: an answer or an error, never a read outside the fake memory. */
static void random_tables(void **state)
{
	(void)state;
	unsigned seed = 7;
	reset();
	for (unsigned p = 0; p < MEM_PAGES; p++)
		for (unsigned i = 0; i < 512; i++) {
			seed = seed * 1103515245 + 12345;
			mem[p][i] = ((u64)seed << 32 | seed) & ((seed & 0x10000) ? 0x1ffffULL : ~0ULL);
		}
	for (int i = 0; i < 50000; i++) {
		seed = seed * 1103515245 + 12345;
		static const u64 cr4s[] = { 0, CR4_PSE, CR4_PAE, CR4_PAE | CR4_LA57 };
		struct gwalk w = { .cr0 = CR0_PE | CR0_PG, .cr3 = (u64)(seed % (MEM_PAGES + 2)) << 12 | (seed & 0xfe0),
				   .cr4 = cr4s[seed >> 30], .efer = (seed & 0x100) ? EFER_LME | EFER_LMA : 0,
				   .read_pte = read_pte };
		u64 gpa = 0;
		int rc = gwalk_any(&w, (u64)seed * 0x9e3779b97f4a7c15ULL, &gpa);
		assert_true(rc == 0 || rc == -RAUM_ENOENT || rc == -RAUM_EINVAL);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(four_levels),
		cmocka_unit_test(five_levels),
		cmocka_unit_test(tables_not_ram_refused),
		cmocka_unit_test(paging_off),
		cmocka_unit_test(thirty_two_bit),
		cmocka_unit_test(pae),
		cmocka_unit_test(random_tables),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
