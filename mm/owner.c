// SPDX-License-Identifier: MIT
/* The page-ownership table: see include/raum/owner.h. */
#include <raum/errno.h>
#include <raum/owner.h>

#define OWNER_LEVELS 4

static unsigned idx(u64 pfn, int level) { return (pfn >> (9 * (level - 1))) & 511; }

/* The leaf table holding pfn's entry, or NULL; with alloc, missing tables are made. */
static u64 *leaf(struct owner_table *t, u64 pfn, bool alloc, int *rc)
{
	if (!t->root) {
		if (!alloc)
			return NULL;
		if ((*rc = t->alloc(t->ctx, &t->root)) != 0) {
			t->root = 0;
			return NULL;
		}
		t->nr_tables++;
	}
	u64 *tab = t->table(t->ctx, t->root);
	for (int level = OWNER_LEVELS; level > 1; level--) {
		u64 *e = &tab[idx(pfn, level)];
		if (!*e) {
			u64 phys;
			if (!alloc)
				return NULL;
			if ((*rc = t->alloc(t->ctx, &phys)) != 0)
				return NULL;
			t->nr_tables++;
			__atomic_store_n(e, phys, __ATOMIC_RELEASE); /* a lookup beside sees a zeroed table or none */
		}
		tab = t->table(t->ctx, __atomic_load_n(e, __ATOMIC_ACQUIRE));
	}
	return tab;
}

u64 owner_get(const struct owner_table *t, u64 pfn)
{
	int rc = 0;

	if (pfn >> OWNER_PFN_BITS)
		return 0;
	u64 *l = leaf((struct owner_table *)t, pfn, false, &rc);
	return l ? __atomic_load_n(&l[idx(pfn, 1)], __ATOMIC_ACQUIRE) : 0;
}

int owner_set(struct owner_table *t, u64 pfn, u64 e)
{
	int rc = -RAUM_ENOMEM;

	if (pfn >> OWNER_PFN_BITS)
		return -RAUM_EINVAL;
	u64 *l = leaf(t, pfn, e != 0, &rc);
	if (!l)
		return e ? rc : 0; /* clearing an entry that was never set */
	u64 old = l[idx(pfn, 1)];
	__atomic_store_n(&l[idx(pfn, 1)], e, __ATOMIC_RELEASE);
	t->taken += (old == 0 && e != 0) - (old != 0 && e == 0);
	return 0;
}

bool owner_any_of(const struct owner_table *t, u64 addr, u64 size, enum owner_kind kind)
{
	if (!__atomic_load_n(&t->taken, __ATOMIC_RELAXED))
		return false;
	if (!size || addr + size < addr)
		return true;
	for (u64 pfn = addr >> PAGE_SHIFT; pfn <= (addr + size - 1) >> PAGE_SHIFT; pfn++) {
		u64 e = owner_get(t, pfn);
		if (e && owner_kind(e) == kind)
			return true;
	}
	return false;
}
