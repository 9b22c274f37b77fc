/* SPDX-License-Identifier: MIT */
/*
 * Four-level page tables, built and walked by mm/pt.c in two formats:
 *   x86-64 (Intel SDM vol. 3A 4.5; AMD APM vol. 2 5.3): the hypervisor's own
 *          address space and, with the U/S bit set (APM 15.25.5: nested
 *          walks are user accesses), AMD NPT;
 *   EPT    (pt_ctx.ept; Intel SDM vol. 3C 29.3.2): the root's SLAT on VT-x.
 * Map and look up only: nothing is unmapped or freed (the tables live as
 * long as Raum does). pt.c takes no lock: every table is built at boot, by
 * one CPU, before the root runs.
 *
 * An x86-64 entry (4 KiB / 2 MiB / 1 GiB):
 *
 *   63  62..52   51 ........ 12  11..9   8   7   6   5   4   3   2   1   0
 *  +--+--------+---------------+-------+---+---+---+---+---+---+---+---+---+
 *  |NX| avail  | physical addr | avail | G |PS | D | A |PCD|PWT|U/S|R/W| P |
 *  +--+--------+---------------+-------+---+---+---+---+---+---+---+---+---+
 *
 * PS (bit 7) marks a large page in a PDPT (1 GiB) or PD (2 MiB) entry; in a
 * 4 KiB entry bit 7 is PAT, in a large entry bit 12 is, so the address
 * field starts at bit 21 / 30. pt_map sets neither PAT bit.
 */
#ifndef RAUM_PT_H
#define RAUM_PT_H

#include <raum/types.h>

#define PTE_P BIT(0)
#define PTE_W BIT(1)
#define PTE_U BIT(2)
#define PTE_PWT BIT(3)
#define PTE_PCD BIT(4)
#define PTE_A BIT(5)
#define PTE_D BIT(6)
#define PTE_PS BIT(7)
#define PTE_G BIT(8)
#define PTE_NX BIT(63)
#define PTE_ADDR_MASK 0x000ffffffffff000ULL
/* Flags a caller may pass to pt_map; everything else is the encoder's. */
#define PTE_FLAGS_ALLOWED (PTE_W | PTE_U | PTE_PWT | PTE_PCD | PTE_G | PTE_NX)

/*
 * EPT entries (Intel SDM vol. 3C 29.3.2): read, write, execute in bits 2:0
 * (present = any of them), a leaf's memory type in 5:3 and "ignore PAT" in
 * 6, bit 7 a large page, as in the x86 format:
 *
 *   63 ... 52  51 ........ 12  11  10   9   8   7   6   5..3   2   1   0
 *  +---------+---------------+---+---+---+---+---+----+------+---+---+---+
 *  | ignored | physical addr |   |   | D | A |PS |IPAT| type | X | W | R |
 *  +---------+---------------+---+---+---+---+---+----+------+---+---+---+
 */
#define EPT_R BIT(0)
#define EPT_W BIT(1)
#define EPT_X BIT(2)
#define EPT_RWX (EPT_R | EPT_W | EPT_X)
#define EPT_MT_SHIFT 3
#define EPT_MT(t) ((u64)(t) << EPT_MT_SHIFT)
#define EPT_IPAT BIT(6)
#define EPT_FLAGS_ALLOWED (EPT_RWX | EPT_MT(7) | EPT_IPAT)

/* Index of va at level (4 = PML4 .. 1 = PT). */
static inline unsigned pt_index(u64 va, int level) { return (va >> (12 + 9 * (level - 1))) & 511; }

struct pt_ctx {
	u64 root; /* physical address of the PML4 */
	/* Turns a physical address of a table into a pointer the builder can use. */
	u64 *(*table)(void *ctx, u64 phys);
	/* Allocates one zeroed 4 KiB table page; returns 0 or a negative error. */
	int (*alloc)(void *ctx, u64 *phys);
	void *ctx;
	bool allow_1g; /* CPUID.80000001h:EDX.Page1GB, or EPT 1 GiB pages */
	bool allow_2m;
	bool ept;      /* EPT format instead of x86 / NPT */
};

/*
 * Maps [va, va + size) to [pa, pa + size) with the given PTE_* flags (P is
 * implied) or, for EPT, EPT_* flags (at least one of R W X), using the
 * largest pages that alignment, size and allow_1g / allow_2m allow.
 * Interior entries grant everything (P W U, or R W X), so that the leaf
 * alone decides access. Returns 0, or:
 *   -RAUM_EINVAL  before mapping anything: va, pa or size not 4 KiB-aligned,
 *                 size 0, flags outside PTE_FLAGS_ALLOWED / EPT_FLAGS_ALLOWED
 *                 (or no R W X for EPT), a range that wraps, crosses the
 *                 canonical hole or reaches past 52 physical bits;
 *   -RAUM_EEXIST  a page of the range, or a large page over it, is mapped;
 *   -RAUM_ENOMEM  pt->alloc failed.
 * The last two leave the pages mapped before the failure mapped, and the
 * tables allocated so far in place: there is no rollback.
 */
int pt_map(struct pt_ctx *pt, u64 va, u64 pa, u64 size, u64 flags);

/*
 * Translates va. Returns 0 and fills pa (the byte's physical address),
 * the leaf's flags (bits 11:0 and 63:52 of the entry, PS included) and the
 * leaf's page size, or -RAUM_ENOENT (not mapped, or va not canonical).
 */
int pt_lookup(const struct pt_ctx *pt, u64 va, u64 *pa, u64 *flags, u64 *page_size);

/* Canonical 48-bit virtual address: bits 63..47 all equal. */
static inline bool pt_canonical(u64 va)
{
	u64 top = va >> 47;
	return top == 0 || top == 0x1ffff;
}

#endif
