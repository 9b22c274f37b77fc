/* SPDX-License-Identifier: MIT */
/*
 * The IOMMU's tables, encoded (issue 11, docs/iommu.md). Pure code
 * (drivers/iopt.c), unit-tested on the host (tests/unit/test_iopt.c).
 *
 * I/O page tables in two formats, identity-mapping what the caller names
 * with read and write access and the largest pages the unit allows:
 *
 *   VT-d second-level (Intel VT-d 4.1, 9.8, legacy mode):
 *     63 62 .. 52  51 ...... 12  11   10..8   7    6..2  1   0
 *    +--+--------+-------------+----+-------+----+------+---+---+
 *    |  | ign.   |  address    |SNP |  ign. | PS | 0    | W | R |
 *    +--+--------+-------------+----+-------+----+------+---+---+
 *     present = R or W; PS (bit 7) marks a 2 MiB / 1 GiB page; bits 2..6
 *     (X, memory type, IPAT) and 11 (SNP) are left 0: QEMU's model faults
 *     on SNP when it has no snoop control, and X needs SLEE.
 *
 *   AMD-Vi (AMD IOMMU specification 48882, 2.2.3):
 *     63  62  61  60  59  58..52  51 ...... 12  11..9       8..1  0
 *    +---+---+---+---+---+-------+-------------+------------+-----+---+
 *    |   |IW |IR |FC | U |  0    |  address    | Next Level | 0   |PR |
 *    +---+---+---+---+---+-------+-------------+------------+-----+---+
 *     an interior entry's Next Level is the level it points at; a leaf has
 *     Next Level 0 and maps the size of its level (4 KiB, 2 MiB, 1 GiB).
 *     IR / IW are set on every level (the walk ANDs them).
 *
 * Levels: 3 (39-bit addresses) or 4 (48-bit). The top table is t->root.
 * Nothing here frees: the tables are built at launch and live as long as
 * Raum does; iopt_unmap_page takes single pages out (deposits, issue 12)
 * and iopt_map puts them back.
 *
 * Then the structures that point every requester ID at those tables:
 * VT-d's root and context tables (VT-d 9.1, 9.3) and AMD-Vi's device table
 * (48882, 2.2.2.1).
 */
#ifndef RAUM_IOPT_H
#define RAUM_IOPT_H

#include <raum/types.h>

enum iopt_fmt { IOPT_VTD, IOPT_AMDVI };

#define VTD_SL_R BIT(0)
#define VTD_SL_W BIT(1)
#define VTD_SL_PS BIT(7)
#define AMDVI_PTE_PR BIT(0)
#define AMDVI_PTE_NL_SHIFT 9
#define AMDVI_PTE_NL_MASK (7ULL << AMDVI_PTE_NL_SHIFT)
#define AMDVI_PTE_IR BIT(61)
#define AMDVI_PTE_IW BIT(62)
#define IOPT_ADDR_MASK 0x000ffffffffff000ULL

struct iopt {
	enum iopt_fmt fmt;
	int levels;    /* 3 or 4 */
	u64 root;      /* physical address of the top table; 0: iopt_map allocates it */
	bool allow_2m, allow_1g;
	u64 *(*table)(void *ctx, u64 phys);  /* a table's physical address to a pointer */
	int (*alloc)(void *ctx, u64 *phys);  /* one zeroed 4 KiB page; 0 or a negative error */
	void *ctx;
	u64 nr_tables; /* pages allocated */
};

/*
 * Identity-maps [base, base + size) read / write. Returns 0, or
 * -RAUM_EINVAL (unaligned, empty, wrapping, or beyond the levels' reach;
 * nothing mapped), -RAUM_EEXIST (a page of it is mapped already),
 * -RAUM_ENOMEM (alloc failed); the last two leave what was mapped before
 * the failure mapped.
 */
int iopt_map(struct iopt *t, u64 base, u64 size);

/*
 * Walks iova as the unit would. Returns 0 with the address it reaches, the
 * leaf's size and whether reads and writes are allowed (every level's
 * permission bits ANDed), or -RAUM_ENOENT when not present, or -RAUM_EINVAL
 * for an entry the unit would refuse (an AMD-Vi Next Level that does not
 * step down by one, a large page where the unit allows none).
 */
int iopt_lookup(const struct iopt *t, u64 iova, u64 *pa, u64 *size, bool *r, bool *w);

/*
 * Unmaps the 4 KiB page at iova: a large page holding it is split first
 * (into a table of the next level's pages mapping the same addresses,
 * written in full before it replaces the leaf), the page's leaf cleared.
 * Returns 0, -RAUM_ENOENT (not mapped), -RAUM_EINVAL (unaligned, beyond the
 * levels' reach), -RAUM_ENOMEM (a split needs a table; splits done so far
 * stay, mapping what they mapped). Nothing is invalidated: the caller
 * flushes the units (iommu_dma_flush) before it reuses the page.
 */
int iopt_unmap_page(struct iopt *t, u64 iova);

/* ---- VT-d: root table (256 x 16 bytes, one per bus), context table (256 x 16, one per devfn) ---- */

#define VTD_ROOT_P BIT(0)
#define VTD_CTX_P BIT(0)
#define VTD_CTX_FPD BIT(1)
#define VTD_CTX_TT_SHIFT 2 /* 0: untranslated requests through the second-level tables */
#define VTD_CTX_AW(levels) ((u64)((levels) - 2)) /* 1: 39-bit 3-level, 2: 48-bit 4-level */
#define VTD_CTX_DID_SHIFT 8

/*
 * Fills a root table whose 256 entries all point at the one context table
 * at ctx_phys, and that context table, whose 256 entries all translate
 * through the second-level tables at slpt with the given levels, in domain
 * did: every requester ID (bus, device, function) lands in the same domain.
 */
void vtd_fill_tables(u64 root[512], u64 ctx[512], u64 ctx_phys, u64 slpt, int levels, u16 did);

/* ---- AMD-Vi: device table, 65,536 entries of 32 bytes (2 MiB), one per requester ID ---- */

#define AMDVI_DEVTAB_ENTRIES 65536
#define AMDVI_DTE_V BIT(0)
#define AMDVI_DTE_TV BIT(1)
#define AMDVI_DTE_MODE_SHIFT 9
#define AMDVI_DTE_IR BIT(61)
#define AMDVI_DTE_IW BIT(62)

/*
 * Fills the device table: every entry valid (V = 1: an entry with V = 0
 * would let that requester's DMA through untranslated), translated
 * (TV = 1), through the page tables at pt_root with the given levels, read
 * and write allowed, in domain; IV = 0 so that interrupts pass as before
 * (no interrupt remapping yet).
 */
void amdvi_fill_devtab(u64 *dt, u64 pt_root, int levels, u16 domain);

#endif
