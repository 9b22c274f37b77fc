// SPDX-License-Identifier: MIT
/* Four-level page-table builder: see include/raum/pt.h. */
#include <raum/errno.h>
#include <raum/pt.h>

/* Interior entries grant everything; the leaf decides. */
#define PTE_TABLE (PTE_P | PTE_W | PTE_U)

static bool present(const struct pt_ctx *pt, u64 e) { return pt->ept ? (e & EPT_RWX) : (e & PTE_P); }

static u64 level_size(int level) { return 1ULL << (12 + 9 * (level - 1)); }

static bool is_leaf(u64 e, int level) { return level == 1 || (e & PTE_PS); }

/* One store, so that a walker on another CPU never sees half an entry. */
static void set_entry(u64 *e, u64 v) { *(volatile u64 *)e = v; }

/*
 * The checks pt_map and pt_unmap share: page-aligned, not empty, not
 * wrapping, canonical at both ends and not across the canonical hole.
 */
static bool range_ok(u64 va, u64 size)
{
	u64 last = va + size - 1;

	return IS_ALIGNED(va | size, PAGE_SIZE) && size != 0 && last >= va && pt_canonical(va) &&
	       pt_canonical(last) && (va >> 47) == (last >> 47);
}

/* Every table page comes and goes through these two: nr_tables counts what the context holds. */
static int table_alloc(struct pt_ctx *pt, u64 *phys)
{
	int rc = pt->alloc(pt->ctx, phys);

	if (rc == 0)
		pt->nr_tables++;
	return rc;
}

static void table_free(struct pt_ctx *pt, u64 phys)
{
	pt->free(pt->ctx, phys);
	pt->nr_tables--;
}

static int alloc_root(struct pt_ctx *pt)
{
	return pt->root ? 0 : table_alloc(pt, &pt->root);
}

/*
 * Returns the table one level below entry *e, allocating it when the entry
 * is empty. A large-page entry in the way is a conflict.
 */
static int next_table(struct pt_ctx *pt, u64 *e, u64 **out)
{
	if (!present(pt, *e)) {
		u64 phys;
		int rc = table_alloc(pt, &phys);
		if (rc)
			return rc;
		*e = phys | (pt->ept ? EPT_RWX : PTE_TABLE);
	} else if (*e & PTE_PS) {
		return -RAUM_EEXIST;
	}
	*out = pt->table(pt->ctx, *e & PTE_ADDR_MASK);
	return 0;
}

int pt_map(struct pt_ctx *pt, u64 va, u64 pa, u64 size, u64 flags)
{
	u64 allowed = pt->ept ? EPT_FLAGS_ALLOWED : PTE_FLAGS_ALLOWED;

	if (pt->ept && !(flags & EPT_RWX))
		return -RAUM_EINVAL; /* an EPT leaf with no access bit would be "not present" */
	if (!range_ok(va, size) || !IS_ALIGNED(pa, PAGE_SIZE) || (flags & ~allowed) ||
	    (pa & ~PTE_ADDR_MASK) || (pa + size - 1) >> 52)
		return -RAUM_EINVAL;
	int rc = alloc_root(pt);
	if (rc)
		return rc;

	while (size) {
		/* the largest page that fits here */
		int leaf = 1;
		if (pt->allow_1g && IS_ALIGNED(va | pa, HUGE_PAGE_SIZE) && size >= HUGE_PAGE_SIZE)
			leaf = 3;
		else if (pt->allow_2m && IS_ALIGNED(va | pa, LARGE_PAGE_SIZE) && size >= LARGE_PAGE_SIZE)
			leaf = 2;

		u64 *table = pt->table(pt->ctx, pt->root);
		for (int level = 4; level > leaf; level--) {
			rc = next_table(pt, &table[pt_index(va, level)], &table);
			if (rc)
				return rc;
		}
		u64 *e = &table[pt_index(va, leaf)];
		/* a table where the large page would go (kept by pt_unmap): smaller pages inside it */
		while (leaf > 1 && present(pt, *e) && !(*e & PTE_PS)) {
			table = pt->table(pt->ctx, *e & PTE_ADDR_MASK);
			e = &table[pt_index(va, --leaf)];
		}
		if (present(pt, *e))
			return -RAUM_EEXIST;
		/* bit 7 marks a large page in both formats */
		*e = pa | flags | (pt->ept ? 0 : PTE_P) | (leaf > 1 ? PTE_PS : 0);

		u64 step = level_size(leaf);
		va += step;
		pa += step;
		size -= step;
	}
	return 0;
}

int pt_lookup(const struct pt_ctx *pt, u64 va, u64 *pa, u64 *flags, u64 *page_size)
{
	if (!pt_canonical(va) || !pt->root)
		return -RAUM_ENOENT;
	u64 *table = pt->table(pt->ctx, pt->root);
	for (int level = 4; level >= 1; level--) {
		u64 e = table[pt_index(va, level)];
		if (!present(pt, e))
			return -RAUM_ENOENT;
		if (level == 1 || (e & PTE_PS)) {
			u64 sz = level_size(level);
			u64 base = e & PTE_ADDR_MASK & ~(sz - 1);
			*pa = base + (va & (sz - 1));
			*flags = e & ~PTE_ADDR_MASK;
			*page_size = sz;
			return 0;
		}
		table = pt->table(pt->ctx, e & PTE_ADDR_MASK);
	}
	return -RAUM_ENOENT;
}

/*
 * The entry for va at level, or NULL when a level above it holds no table
 * (not present, or a large leaf).
 */
static u64 *entry_at(const struct pt_ctx *pt, u64 va, int level)
{
	u64 *table = pt->table(pt->ctx, pt->root);
	for (int l = 4; l > level; l--) {
		u64 e = table[pt_index(va, l)];
		if (!present(pt, e) || (e & PTE_PS))
			return NULL;
		table = pt->table(pt->ctx, e & PTE_ADDR_MASK);
	}
	return &table[pt_index(va, level)];
}

/*
 * Splits the large leaf *e of level into a table of 512 leaves of
 * level - 1. Everything but the address and the page-size bits is copied:
 * R/W/X, memory type and IPAT (EPT, SDM vol. 3C 29.3.2); P, W, U, PWT, PCD,
 * A, D, G, the available bits and NX (x86 / NPT). PAT moves from bit 12 of
 * a large entry to bit 7 of a 4 KiB one (SDM vol. 3A table 4-19 / 4-20).
 * EPT large leaves have no PAT bit: bit 12 is part of the reserved address
 * bits there and stays 0.
 */
static int split_leaf(struct pt_ctx *pt, u64 *e, int level)
{
	u64 old = *e, phys;
	u64 child = level_size(level - 1);
	u64 base = old & PTE_ADDR_MASK & ~(level_size(level) - 1);
	u64 attrs = old & ~PTE_ADDR_MASK & ~PTE_PS;

	if (level - 1 > 1)
		attrs |= PTE_PS | (pt->ept ? 0 : old & PTE_PAT_LARGE);
	else if (!pt->ept && (old & PTE_PAT_LARGE))
		attrs |= PTE_PAT_4K;

	int rc = table_alloc(pt, &phys);
	if (rc)
		return rc;
	u64 *t = pt->table(pt->ctx, phys);
	for (u64 i = 0; i < 512; i++)
		t[i] = (base + i * child) | attrs;
	/* x86 stores are not reordered with older stores (SDM vol. 3A 9.2.3.2): the table is complete first */
	__asm__ volatile("" ::: "memory");
	set_entry(e, phys | (pt->ept ? EPT_RWX : PTE_TABLE));
	return 0;
}

int pt_split(struct pt_ctx *pt, u64 va, int level)
{
	if ((level != 2 && level != 3) || !pt_canonical(va))
		return -RAUM_EINVAL;
	if (!pt->root)
		return -RAUM_ENOENT;
	u64 *e = entry_at(pt, va, level);
	if (!e || !present(pt, *e) || !(*e & PTE_PS))
		return -RAUM_ENOENT;
	return split_leaf(pt, e, level);
}

/*
 * Splits the large leaves that map addr until the leaf there (if any)
 * starts at addr: afterwards no leaf straddles addr - 1 / addr.
 */
static int split_at(struct pt_ctx *pt, u64 addr)
{
	u64 *table = pt->table(pt->ctx, pt->root);
	for (int level = 4; level > 1; level--) {
		u64 *e = &table[pt_index(addr, level)];
		if (!present(pt, *e))
			return 0;
		if (*e & PTE_PS) {
			if (IS_ALIGNED(addr, level_size(level)))
				return 0;
			int rc = split_leaf(pt, e, level);
			if (rc)
				return rc;
		}
		table = pt->table(pt->ctx, *e & PTE_ADDR_MASK);
	}
	return 0;
}

/*
 * Clears the leaves of [va, last] in table (of level), which maps all of
 * that range. Returns whether a present entry was cleared.
 */
static bool clear_range(struct pt_ctx *pt, u64 *table, int level, u64 va, u64 last)
{
	u64 mask = level_size(level) - 1;
	bool removed = false;

	for (;;) {
		u64 *e = &table[pt_index(va, level)];
		u64 stop = MIN(va | mask, last); /* the end of this slot or of the range */

		if (!present(pt, *e)) {
			/* nothing here */
		} else if (!is_leaf(*e, level)) {
			removed |= clear_range(pt, pt->table(pt->ctx, *e & PTE_ADDR_MASK), level - 1, va, stop);
		} else if (IS_ALIGNED(va, level_size(level)) && stop == (va | mask)) {
			set_entry(e, 0);
			removed = true;
		}
		/*
		 * else: a large leaf only partly in the range. split_at made
		 * that impossible for both ends, and no other leaf can be
		 * partly inside; leaving it is the safe way should it happen.
		 */
		if (stop == last)
			return removed;
		va = stop + 1;
	}
}

int pt_unmap(struct pt_ctx *pt, u64 va, u64 size)
{
	if (!range_ok(va, size))
		return -RAUM_EINVAL;
	if (!pt->root)
		return 0;
	u64 last = va + size - 1;
	/*
	 * Split first, both ends, so that an allocation failure leaves every
	 * mapping in place. The end is last + 1; at the top of the address
	 * space (last + 1 == 0) nothing straddles it.
	 */
	int rc = split_at(pt, va);
	if (!rc && last + 1 != 0 && pt_canonical(last + 1))
		rc = split_at(pt, last + 1);
	if (rc)
		return rc;
	return clear_range(pt, pt->table(pt->ctx, pt->root), 4, va, last) ? 1 : 0;
}

/* Frees the table at phys of level and every table below it. */
static void free_tables(struct pt_ctx *pt, u64 phys, int level)
{
	if (level > 1) {
		u64 *t = pt->table(pt->ctx, phys);
		for (int i = 0; i < 512; i++)
			if (present(pt, t[i]) && !(t[i] & PTE_PS))
				free_tables(pt, t[i] & PTE_ADDR_MASK, level - 1);
	}
	table_free(pt, phys);
}

int pt_teardown(struct pt_ctx *pt)
{
	if (!pt->free)
		return -RAUM_EINVAL;
	if (pt->root)
		free_tables(pt, pt->root, 4);
	pt->root = 0;
	return 0;
}

static void leaves(const struct pt_ctx *pt, u64 phys, int level, u64 base, void (*fn)(void *, u64, u64, u64),
		   void *ctx)
{
	const u64 *t = pt->table(pt->ctx, phys);

	for (int i = 0; i < 512; i++) {
		u64 e = t[i], va = base + (u64)i * level_size(level);
		if (!present(pt, e))
			continue;
		if (is_leaf(e, level))
			fn(ctx, va, e & PTE_ADDR_MASK & ~(level_size(level) - 1), level_size(level));
		else
			leaves(pt, e & PTE_ADDR_MASK, level - 1, va, fn, ctx);
	}
}

void pt_for_each_leaf(const struct pt_ctx *pt, void (*fn)(void *ctx, u64 va, u64 pa, u64 size), void *ctx)
{
	if (pt->root)
		leaves(pt, pt->root, 4, 0, fn, ctx);
}
