/* SPDX-License-Identifier: MIT */
/*
 * The root's page-table walk (SDM vol. 3A 4.5: 4-level and 5-level paging),
 * as Raum does it to read instruction bytes and descriptor tables for the
 * root. Pure code (inline, below), unit-tested in tests/unit/test_gwalk.c;
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
 * Translates va: paging off is the identity (32 bits); long mode walks 5
 * levels with CR4.LA57, else 4, with 1 GiB and 2 MiB leaves. Returns 0 and
 * *gpa, -RAUM_ENOENT for a non-present entry, -RAUM_EINVAL for a table
 * that is not RAM, -RAUM_ENOTSUP for 32-bit and PAE paging outside long
 * mode. Access rights are not checked: Raum reads what the CPU just used.
 * Inline, so that read_pte is inlined too: the walk is on the exit path
 * where the CPU does not report the next RIP (SVM without NRIPS).
 */
static inline __attribute__((always_inline)) int gwalk(const struct gwalk *w, u64 va, u64 *gpa)
{
	if (!(w->cr0 & CR0_PG)) {
		*gpa = va & 0xffffffffULL;
		return 0;
	}
	if (!(w->efer & EFER_LMA))
		return -RAUM_ENOTSUP; /* 32-bit paging: the root is in long mode from the firmware on */
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

#endif
