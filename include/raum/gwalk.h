/* SPDX-License-Identifier: MIT */
/*
 * The root's page-table walk (SDM vol. 3A 4.5: 4-level and 5-level paging),
 * as Raum does it to read instruction bytes and descriptor tables for the
 * root. Pure code (mm/gwalk.c), unit-tested in tests/unit/test_gwalk.c;
 * every table entry is read through read_pte, which refuses what is not
 * the partition's RAM (kernel/exit.c: partition_gpa_backed).
 */
#ifndef RAUM_GWALK_H
#define RAUM_GWALK_H

#include <raum/types.h>

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
 */
int gwalk(const struct gwalk *w, u64 va, u64 *gpa);

#endif
