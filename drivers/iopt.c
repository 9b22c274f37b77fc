// SPDX-License-Identifier: MIT
/* The IOMMU's tables: see include/raum/iopt.h for the formats and contracts. */
#include <raum/errno.h>
#include <raum/iopt.h>

static u64 level_size(int level) { return 1ULL << (12 + 9 * (level - 1)); }
static unsigned level_index(u64 a, int level) { return (a >> (12 + 9 * (level - 1))) & 511; }

static bool present(const struct iopt *t, u64 e)
{
	return t->fmt == IOPT_VTD ? (e & (VTD_SL_R | VTD_SL_W)) != 0 : (e & AMDVI_PTE_PR) != 0;
}

/* An entry at level (2 or more) that maps a page rather than pointing at a table. */
static bool large(const struct iopt *t, u64 e)
{
	return t->fmt == IOPT_VTD ? (e & VTD_SL_PS) != 0 : (e & AMDVI_PTE_NL_MASK) == 0;
}

static u64 enc_table(const struct iopt *t, int level, u64 pa)
{
	if (t->fmt == IOPT_VTD)
		return pa | VTD_SL_R | VTD_SL_W;
	return pa | AMDVI_PTE_PR | ((u64)(level - 1) << AMDVI_PTE_NL_SHIFT) | AMDVI_PTE_IR | AMDVI_PTE_IW;
}

static u64 enc_leaf(const struct iopt *t, int level, u64 pa)
{
	if (t->fmt == IOPT_VTD)
		return pa | VTD_SL_R | VTD_SL_W | (level > 1 ? VTD_SL_PS : 0);
	return pa | AMDVI_PTE_PR | AMDVI_PTE_IR | AMDVI_PTE_IW; /* Next Level 0: a page of this level's size */
}

/* The largest page that a (aligned to it) and the bytes left allow. */
static int leaf_level(const struct iopt *t, u64 a, u64 left)
{
	if (t->allow_1g && t->levels >= 3 && !(a & (level_size(3) - 1)) && left >= level_size(3))
		return 3;
	if (t->allow_2m && !(a & (level_size(2) - 1)) && left >= level_size(2))
		return 2;
	return 1;
}

static int new_table(struct iopt *t, u64 *phys)
{
	int rc = t->alloc(t->ctx, phys);

	if (rc)
		return rc;
	t->nr_tables++;
	return 0;
}

int iopt_map(struct iopt *t, u64 base, u64 size)
{
	int rc;

	if (t->levels < 3 || t->levels > 4 || !size || (base | size) & (PAGE_SIZE - 1) || base + size < base ||
	    base + size > level_size(t->levels + 1))
		return -RAUM_EINVAL;
	if (!t->root && (rc = new_table(t, &t->root)))
		return rc;
	for (u64 a = base, end = base + size; a < end;) {
		int leaf = leaf_level(t, a, end - a);
		u64 *tab = t->table(t->ctx, t->root);
		for (int level = t->levels; level > leaf; level--) {
			u64 *e = &tab[level_index(a, level)];
			if (!present(t, *e)) {
				u64 p;
				if ((rc = new_table(t, &p)))
					return rc;
				*e = enc_table(t, level, p);
			} else if (large(t, *e)) {
				return -RAUM_EEXIST;
			}
			tab = t->table(t->ctx, *e & IOPT_ADDR_MASK);
		}
		u64 *e = &tab[level_index(a, leaf)];
		if (present(t, *e))
			return -RAUM_EEXIST;
		*e = enc_leaf(t, leaf, a);
		a += level_size(leaf);
	}
	return 0;
}

int iopt_lookup(const struct iopt *t, u64 iova, u64 *pa, u64 *size, bool *r, bool *w)
{
	bool rd = true, wr = true;
	u64 phys = t->root;

	if (!phys || iova >= level_size(t->levels + 1))
		return -RAUM_ENOENT;
	for (int level = t->levels; level >= 1; level--) {
		u64 e = t->table(t->ctx, phys)[level_index(iova, level)];
		if (!present(t, e))
			return -RAUM_ENOENT;
		if (t->fmt == IOPT_VTD) {
			rd = rd && (e & VTD_SL_R);
			wr = wr && (e & VTD_SL_W);
		} else {
			rd = rd && (e & AMDVI_PTE_IR);
			wr = wr && (e & AMDVI_PTE_IW);
		}
		bool leaf = level == 1 || large(t, e);
		if (!leaf && t->fmt == IOPT_AMDVI && ((e & AMDVI_PTE_NL_MASK) >> AMDVI_PTE_NL_SHIFT) != (u64)(level - 1))
			return -RAUM_EINVAL;
		if (leaf) {
			if ((level == 3 && !t->allow_1g) || (level == 2 && !t->allow_2m) || level > 3)
				return -RAUM_EINVAL;
			u64 s = level_size(level);
			*pa = (e & IOPT_ADDR_MASK & ~(s - 1)) | (iova & (s - 1));
			*size = s;
			*r = rd;
			*w = wr;
			return 0;
		}
		phys = e & IOPT_ADDR_MASK;
	}
	return -RAUM_ENOENT; /* not reached: level 1 is always a leaf */
}

void vtd_fill_tables(u64 root[512], u64 ctx[512], u64 ctx_phys, u64 slpt, int levels, u16 did)
{
	for (unsigned bus = 0; bus < 256; bus++) {
		root[2 * bus] = (ctx_phys & IOPT_ADDR_MASK) | VTD_ROOT_P;
		root[2 * bus + 1] = 0;
	}
	for (unsigned devfn = 0; devfn < 256; devfn++) {
		ctx[2 * devfn] = (slpt & IOPT_ADDR_MASK) | VTD_CTX_P; /* TT 0, FPD 0: faults are recorded */
		ctx[2 * devfn + 1] = VTD_CTX_AW(levels) | (u64)did << VTD_CTX_DID_SHIFT;
	}
}

void amdvi_fill_devtab(u64 *dt, u64 pt_root, int levels, u16 domain)
{
	for (u32 id = 0; id < AMDVI_DEVTAB_ENTRIES; id++) {
		u64 *e = &dt[4 * id];
		e[0] = AMDVI_DTE_V | AMDVI_DTE_TV | (u64)levels << AMDVI_DTE_MODE_SHIFT | (pt_root & IOPT_ADDR_MASK) |
		       AMDVI_DTE_IR | AMDVI_DTE_IW;
		e[1] = domain; /* bits 79:64: DomainID */
		e[2] = 0;      /* IV = 0: interrupts pass unremapped */
		e[3] = 0;
	}
}

int iopt_unmap_page(struct iopt *t, u64 iova)
{
	int rc;

	if (!t->root || (iova & (PAGE_SIZE - 1)) || iova >= level_size(t->levels + 1))
		return t->root ? -RAUM_EINVAL : -RAUM_ENOENT;
	u64 *tab = t->table(t->ctx, t->root);
	for (int level = t->levels; level > 1; level--) {
		u64 *e = &tab[level_index(iova, level)];
		if (!present(t, *e))
			return -RAUM_ENOENT;
		if (large(t, *e)) {
			/* the large page becomes a table of the next level's pages mapping the same, then one is cleared */
			u64 p, sub = level_size(level - 1), first = *e & IOPT_ADDR_MASK & ~(level_size(level) - 1);
			if ((rc = new_table(t, &p)))
				return rc;
			u64 *n = t->table(t->ctx, p);
			for (unsigned i = 0; i < 512; i++)
				n[i] = enc_leaf(t, level - 1, first + i * sub);
			__atomic_store_n(e, enc_table(t, level, p), __ATOMIC_RELEASE); /* filled before it is seen */
		}
		tab = t->table(t->ctx, *e & IOPT_ADDR_MASK);
	}
	u64 *e = &tab[level_index(iova, 1)];
	if (!present(t, *e))
		return -RAUM_ENOENT;
	__atomic_store_n(e, 0, __ATOMIC_RELEASE);
	return 0;
}
