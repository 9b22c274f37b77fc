// SPDX-License-Identifier: MIT
/* The root's page-table walk: see include/raum/gwalk.h. */
#include <raum/errno.h>
#include <raum/gwalk.h>
#include <raum/hwcheck.h>
#include <raum/pt.h>
#include <raum/x86.h>

int gwalk(const struct gwalk *w, u64 va, u64 *gpa)
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
