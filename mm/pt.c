// SPDX-License-Identifier: MIT
/* Four-level page-table builder: see include/raum/pt.h. */
#include <raum/errno.h>
#include <raum/pt.h>

/* Interior entries grant everything; the leaf decides. */
#define PTE_TABLE (PTE_P | PTE_W | PTE_U)

static bool present(const struct pt_ctx *pt, u64 e) { return pt->ept ? (e & EPT_RWX) : (e & PTE_P); }

static u64 level_size(int level) { return 1ULL << (12 + 9 * (level - 1)); }

/*
 * Returns the table one level below entry *e, allocating it when the entry
 * is empty. A large-page entry in the way is a conflict.
 */
static int next_table(struct pt_ctx *pt, u64 *e, u64 **out)
{
	if (!present(pt, *e)) {
		u64 phys;
		int rc = pt->alloc(pt->ctx, &phys);
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
	if (!IS_ALIGNED(va | pa | size, PAGE_SIZE) || (flags & ~allowed) ||
	    (pa & ~PTE_ADDR_MASK) || size == 0 || va + size - 1 < va || (pa + size - 1) >> 52 ||
	    !pt_canonical(va) || !pt_canonical(va + size - 1))
		return -RAUM_EINVAL;
	/* A range may not cross the canonical hole. */
	if ((va >> 47) != ((va + size - 1) >> 47))
		return -RAUM_EINVAL;

	while (size) {
		/* the largest page that fits here */
		int leaf = 1;
		if (pt->allow_1g && IS_ALIGNED(va | pa, HUGE_PAGE_SIZE) && size >= HUGE_PAGE_SIZE)
			leaf = 3;
		else if (pt->allow_2m && IS_ALIGNED(va | pa, LARGE_PAGE_SIZE) && size >= LARGE_PAGE_SIZE)
			leaf = 2;

		u64 *table = pt->table(pt->ctx, pt->root);
		for (int level = 4; level > leaf; level--) {
			int rc = next_table(pt, &table[pt_index(va, level)], &table);
			if (rc)
				return rc;
		}
		u64 *e = &table[pt_index(va, leaf)];
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
	if (!pt_canonical(va))
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
