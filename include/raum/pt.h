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
 * large entry bit 12 is PAT, so the address field starts at bit 21 / 30.
 * In a 4 KiB entry bit 7 is PAT (SDM vol. 3A 4.5, tables 4-15 .. 4-20).
 *
 * Table pages come from pt_ctx.alloc and go back through pt_ctx.free:
 * pt_map allocates, pt_unmap never frees (see there), pt_teardown frees
 * them all. Nothing here flushes a TLB: pt_unmap reports, the caller flushes.
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
#define PTE_PAT_4K BIT(7)     /* PAT in a 4 KiB entry (where PS sits in a large one) */
#define PTE_PAT_LARGE BIT(12) /* PAT in a 2 MiB / 1 GiB entry */
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
	/*
	 * Physical address of the PML4, or 0 for "no tables yet" (after
	 * pt_teardown; pt_map then allocates one). A pool never hands out
	 * physical page 0 as a table: Raum's pool keeps its bitmap in its
	 * first page.
	 */
	u64 root;
	/* Turns a physical address of a table into a pointer the builder can use. */
	u64 *(*table)(void *ctx, u64 phys);
	/* Allocates one zeroed 4 KiB table page; returns 0 or a negative error. */
	int (*alloc)(void *ctx, u64 *phys);
	/* Gives a table page from alloc back; NULL: pt_teardown refuses (-RAUM_EINVAL). */
	void (*free)(void *ctx, u64 phys);
	void *ctx;
	u64 nr_tables; /* table pages it holds now (allocated through alloc, not yet freed): memory reports */
	bool allow_1g; /* CPUID.80000001h:EDX.Page1GB, or EPT 1 GiB pages */
	bool allow_2m;
	bool ept;      /* EPT format instead of x86 / NPT */
};

/*
 * Maps [va, va + size) to [pa, pa + size) with the given PTE_* flags (P is
 * implied) or, for EPT, EPT_* flags (at least one of R W X), using the
 * largest pages that alignment, size and allow_1g / allow_2m allow; where
 * a table already exists (pt_unmap keeps them) it maps with smaller pages
 * inside it. Interior entries grant everything (P W U, or R W X), so that
 * the leaf alone decides access. Allocates the root when there is none.
 * Returns 0, or:
 *   -RAUM_EINVAL  before mapping anything: va, pa or size not 4 KiB-aligned,
 *                 size 0, flags outside PTE_FLAGS_ALLOWED / EPT_FLAGS_ALLOWED
 *                 (or no R W X for EPT), a range that wraps, crosses the
 *                 canonical hole or reaches past 52 physical bits;
 *   -RAUM_EEXIST  a page of the range is mapped already;
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

/*
 * Removes the mappings of [va, va + size) (for EPT / NPT: guest-physical
 * addresses). A 1 GiB or 2 MiB leaf the range covers only partly is split
 * first (pt_split, down to 4 KiB where needed), so that the part outside the
 * range stays mapped with the same attributes (memory type, IPAT, PAT, A/D
 * included). Splits are done for both ends before anything is removed.
 *
 * Returns 1 when at least one present entry was cleared, 0 when nothing in
 * the range was mapped, or a negative error with NO mapping removed:
 * -RAUM_EINVAL for an unaligned, empty, wrapping or non-canonical range or
 * one across the canonical hole (the rules of pt_map), -RAUM_ENOMEM when a
 * split needs a table page that cannot be allocated (leaves already split
 * stay split: a split changes no translation).
 *
 * TLB contract: pt_unmap does NOT flush. On 1 the caller must invalidate
 * every TLB that may hold the old translations before it relies on their
 * absence (reuses or hands out the frames): for a SLAT, bump the
 * partition's slat_generation and let each VP flush its tag before its next
 * entry (include/raum/asid.h), and make running VPs exit; for Raum's own
 * tables, INVLPG / a CR3 reload on every CPU. A split alone needs no flush:
 * old and new entries translate every address identically.
 *
 * Table pages are kept, even when the unmap leaves them empty: a page a
 * walker on another CPU may still have cached (paging-structure caches,
 * SDM vol. 3A 4.10.3) never returns to the pool before pt_teardown, which
 * callers run only when no CPU uses the tables. pt_map reuses them (it
 * maps with smaller pages inside an existing table).
 */
int pt_unmap(struct pt_ctx *pt, u64 va, u64 size);

/*
 * Splits the large leaf of the given level (3: 1 GiB, 2: 2 MiB) that maps
 * va into a new table of 512 leaves of the next smaller size, with the
 * same attributes and together the same translation. The new table is
 * filled before the one store that links it, so a concurrent walker sees
 * either the old leaf or the complete table. Returns 0, -RAUM_ENOENT when
 * va is not mapped by a leaf of that level, -RAUM_EINVAL for a bad level or
 * a non-canonical va, -RAUM_ENOMEM (the old leaf stays as it was).
 */
int pt_split(struct pt_ctx *pt, u64 va, int level);

/*
 * Frees every table page, the root included, back through pt->free (the
 * mapped memory itself is not touched) and leaves the context empty
 * (root 0), ready for pt_map again. The caller guarantees that no CPU walks
 * these tables any more and that TLBs tagged for them are flushed before
 * the tag is reused. Returns 0, or -RAUM_EINVAL without a free op.
 */
int pt_teardown(struct pt_ctx *pt);

/*
 * Calls fn for every leaf, in address order: its address (the lower half:
 * no sign extension), the physical address it maps and its size. Changes
 * nothing; the caller keeps the tables still.
 */
void pt_for_each_leaf(const struct pt_ctx *pt, void (*fn)(void *ctx, u64 va, u64 pa, u64 size), void *ctx);

/* Canonical 48-bit virtual address: bits 63..47 all equal. */
static inline bool pt_canonical(u64 va)
{
	u64 top = va >> 47;
	return top == 0 || top == 0x1ffff;
}

#endif
