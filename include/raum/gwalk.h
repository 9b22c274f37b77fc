/* SPDX-License-Identifier: MIT */
/*
 * A guest's page-table walk (SDM vol. 3A 4.3-4.5: 32-bit, PAE, 4-level and
 * 5-level paging), as Raum does it to read instruction bytes and
 * descriptor tables for the root and instruction bytes for a child. Pure code (inline, below), unit-tested in tests/unit/test_gwalk.c;
 * every table entry is read through read_pte, which refuses what is not
 * the partition's RAM (kernel/exit.c: partition_gpa_backed).
 */
#ifndef RAUM_GWALK_H
#define RAUM_GWALK_H

#include <raum/errno.h>
#include <raum/hwcheck.h>
#include <raum/pt.h>
#include <raum/types.h>
#include <raum/x86.h>

struct gwalk {
	u64 cr0, cr3, cr4, efer;
	/* Reads the 8-byte entry at gpa into *pte; non-zero when gpa is not RAM. */
	int (*read_pte)(void *ctx, u64 gpa, u64 *pte);
	void *ctx;
};

/*
 * One entry of 'size' bytes (4 or 8) at gpa, through read_pte's aligned
 * 8-byte reads (a 4-byte entry is half of one: no read crosses a page).
 */
static inline int gwalk_entry(const struct gwalk *w, u64 gpa, int size, u64 *e)
{
	if (w->read_pte(w->ctx, gpa & ~7ULL, e))
		return -RAUM_EINVAL;
	if (size == 4)
		*e = (u32)(*e >> (8 * (gpa & 4)));
	return 0;
}

/*
 * Paging outside long mode (SDM vol. 3A 4.3, 4.4): 32-bit paging with
 * 4-byte entries and 4 MiB leaves under CR4.PSE (PSE-36: bits 20:13 of the
 * entry are address bits 39:32), or PAE paging: four PDPTEs at CR3 bits
 * 31:5, then 2 MiB or 4 KiB leaves. For children (gwalk_any): the
 * root's exit path never walks these.
 */
static inline int gwalk_legacy(const struct gwalk *w, u64 va, u64 *gpa)
{
	u64 e;

	va &= 0xffffffffULL;
	if (!(w->cr4 & CR4_PAE)) { /* 32-bit paging: 10 + 10 + 12 bits */
		if (gwalk_entry(w, (w->cr3 & 0xfffff000ULL) + 4 * (va >> 22), 4, &e))
			return -RAUM_EINVAL;
		if (!(e & PTE_P))
			return -RAUM_ENOENT;
		if ((e & PTE_PS) && (w->cr4 & CR4_PSE)) {
			*gpa = (e & 0xffc00000ULL) + (((e >> 13) & 0xffULL) << 32) + (va & 0x3fffffULL);
			return 0;
		}
		if (gwalk_entry(w, (e & 0xfffff000ULL) + 4 * ((va >> 12) & 1023), 4, &e))
			return -RAUM_EINVAL;
		if (!(e & PTE_P))
			return -RAUM_ENOENT;
		*gpa = (e & 0xfffff000ULL) + (va & 0xfff);
		return 0;
	}
	if (gwalk_entry(w, (w->cr3 & 0xffffffe0ULL) + 8 * (va >> 30), 8, &e))
		return -RAUM_EINVAL;
	if (!(e & PTE_P))
		return -RAUM_ENOENT;
	u64 table = e & PTE_ADDR_MASK;
	for (int level = 2; level >= 1; level--) {
		if (gwalk_entry(w, table + 8 * pt_index(va, level), 8, &e))
			return -RAUM_EINVAL;
		if (!(e & PTE_P))
			return -RAUM_ENOENT;
		if (level == 1 || (e & PTE_PS)) {
			u64 size = 1ULL << (12 + 9 * (level - 1));
			*gpa = (e & PTE_ADDR_MASK & ~(size - 1)) + (va & (size - 1));
			return 0;
		}
		table = e & PTE_ADDR_MASK;
	}
	return -RAUM_ENOENT;
}

/*
 * Translates va: paging off is the identity (32 bits); long mode walks 5
 * levels with CR4.LA57, else 4, with 1 GiB and 2 MiB leaves (SDM vol. 3A
 * 4.5). Returns 0 and *gpa, -RAUM_ENOENT for a non-present entry,
 * -RAUM_EINVAL for a table that is not RAM, -RAUM_ENOTSUP for paging
 * outside long mode (gwalk_any walks that too). Access rights are not
 * checked: Raum reads what the CPU just used. Inline, so that read_pte is
 * inlined too: the root's walk is on the exit path where the CPU does not
 * report the next RIP (SVM without NRIPS), and the root is always in long
 * mode (from the firmware on); a call to gwalk_legacy here made the
 * compiler keep read_pte out of line, 74 instructions more per root exit.
 */
static inline __attribute__((always_inline)) int gwalk(const struct gwalk *w, u64 va, u64 *gpa)
{
	if (!(w->cr0 & CR0_PG)) {
		*gpa = va & 0xffffffffULL;
		return 0;
	}
	if (!(w->efer & EFER_LMA))
		return -RAUM_ENOTSUP;
	u64 table = w->cr3 & PTE_ADDR_MASK;
	for (int level = (w->cr4 & CR4_LA57) ? 5 : 4; level >= 1; level--) {
		u64 e;
		/* the PML5 index is bits 56:48 (SDM 4.5.1): pt_index's formula for level 5 */
		if (w->read_pte(w->ctx, table + 8 * pt_index(va, level), &e))
			return -RAUM_EINVAL;
		if (!(e & PTE_P))
			return -RAUM_ENOENT;
		if (level == 1 || ((e & PTE_PS) && (level == 2 || level == 3))) {
			u64 size = 1ULL << (12 + 9 * (level - 1));
			*gpa = (e & PTE_ADDR_MASK & ~(size - 1)) + (va & (size - 1));
			return 0;
		}
		table = e & PTE_ADDR_MASK;
	}
	return -RAUM_ENOENT;
}

/* Every paging mode (a child's): gwalk, or gwalk_legacy outside long mode. */
static inline int gwalk_any(const struct gwalk *w, u64 va, u64 *gpa)
{
	if ((w->cr0 & CR0_PG) && !(w->efer & EFER_LMA))
		return gwalk_legacy(w, va, gpa);
	return gwalk(w, va, gpa);
}

#endif
