/* SPDX-License-Identifier: MIT */
/*
 * The page-ownership table (issue 12, docs/partitions.md): which of the
 * root's RAM pages Raum has taken, and for what. Every page starts as the
 * root's (entry 0); a deposit makes it Raum's, held for one partition's
 * metadata; mapping it as a child's RAM (a later call) marks it mapped into
 * that child. One lookup answers "may this page be deposited / mapped /
 * used as a hypercall block / read by a page walk", so a page can never be
 * in two of those states at once.
 *
 * Pure code (mm/owner.c), unit-tested (tests/unit/test_owner.c): a radix
 * tree of four levels of 512 entries over the page frame number (36 bits:
 * 256 TiB of physical address space), whose leaves hold one u64 per page.
 * Interior tables come from the caller's allocator and are never freed
 * (they are bounded by the RAM they cover: 4 KiB per 2 MiB touched). The
 * caller serializes changes (kernel/partmem.c holds its lock); lookups
 * may run beside a change and see the entry before or after it.
 *
 * An entry: bits 63:62 the kind, 47:32 the partition's slot, 12:0 what the
 * root's SLAT leaf held for the page (its flags, restored on withdrawal:
 * bit 12 stands for the NX bit 63 of an NPT leaf).
 */
#ifndef RAUM_OWNER_H
#define RAUM_OWNER_H

#include <raum/types.h>

enum owner_kind {
	OWN_ROOT = 0,    /* the root's: nothing taken */
	OWN_DEPOSIT = 1, /* deposited: Raum's, in a partition's pool */
	OWN_MAPPED = 2,  /* mapped as RAM into a child partition */
};

#define OWNER_KIND_SHIFT 62
#define OWNER_SLOT_SHIFT 32
#define OWNER_SLOT_MASK 0xffffULL
#define OWNER_FLAGS_MASK 0x1fffULL
#define OWNER_PFN_BITS 36

static inline u64 owner_entry(enum owner_kind k, u32 slot, u64 flags)
{
	return ((u64)k << OWNER_KIND_SHIFT) | (((u64)slot & OWNER_SLOT_MASK) << OWNER_SLOT_SHIFT) |
	       (flags & OWNER_FLAGS_MASK);
}
static inline enum owner_kind owner_kind(u64 e) { return (enum owner_kind)(e >> OWNER_KIND_SHIFT); }
static inline u32 owner_slot(u64 e) { return (u32)((e >> OWNER_SLOT_SHIFT) & OWNER_SLOT_MASK); }
static inline u64 owner_flags(u64 e) { return e & OWNER_FLAGS_MASK; }

struct owner_table {
	u64 root;      /* physical address of the top table; 0: nothing taken yet */
	u64 *(*table)(void *ctx, u64 phys); /* a table's physical address to a pointer */
	int (*alloc)(void *ctx, u64 *phys); /* one zeroed 4 KiB page; 0 or a negative error */
	void *ctx;
	u64 nr_tables; /* table pages allocated */
	u64 taken;     /* entries that are not OWN_ROOT */
};

/* The entry for page frame pfn: 0 (OWN_ROOT) where nothing was set, and for pfn beyond the tree. */
u64 owner_get(const struct owner_table *t, u64 pfn);

/*
 * Sets pfn's entry to e (0: back to the root). Returns 0, -RAUM_EINVAL for
 * a pfn beyond the tree (nothing changed), -RAUM_ENOMEM when a table cannot
 * be allocated (nothing changed). Setting 0 never allocates.
 */
int owner_set(struct owner_table *t, u64 pfn, u64 e);

/*
 * Whether any page of [addr, addr + size) has an entry of this kind
 * (size > 0; an empty or wrapping range counts as one).
 */
bool owner_any_of(const struct owner_table *t, u64 addr, u64 size, enum owner_kind kind);

#endif
