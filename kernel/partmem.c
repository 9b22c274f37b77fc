// SPDX-License-Identifier: MIT
/*
 * Deposits, withdrawals and the partitions' pools: see include/raum/partmem.h.
 *
 * Lock order: partmem's lock, then the root SLAT's tables (changed only
 * under it at run time), then the IOMMU's map lock (inside iommu_dma_*).
 * Nothing waits for another CPU while holding it: the shootdown and the
 * units' invalidation run in the batch's end, unlocked.
 */
#include <raum/errno.h>
#include <raum/iommu.h>
#include <raum/log.h>
#include <raum/owner.h>
#include <raum/partmem.h>
#include <raum/shootdown.h>
#include <raum/smp.h>
#include <raum/vm.h>

static u64 *owner_tab(void *ctx __unused, u64 phys) { return phys_to_virt(phys); }
static int owner_alloc(void *ctx __unused, u64 *phys) { return page_alloc_zeroed(1, phys); }

static struct spinlock lock = SPINLOCK_INIT;
struct owner_table root_owners = { .table = owner_tab, .alloc = owner_alloc };
#define owners root_owners

/* How long a shootdown waits for each VP (pause loops): a CPU that never exits is stuck, not slow. */
#define SHOOTDOWN_SPINS (1ULL << 28)

struct partition *partition_lookup(struct vp *caller, u64 id)
{
	if (id == HV_PARTITION_ID_SELF)
		return caller->part;
	if (id == RAUM_ROOT_PARTITION_ID)
		return root_partition;
	return NULL; /* children: the partition table (kernel/partition.c) */
}

static void zero_page(u64 phys)
{
	u64 *p = phys_to_virt(phys);
	for (unsigned i = 0; i < PAGE_SIZE / 8; i++)
		p[i] = 0;
}

/* Under the lock: pushes a zeroed page onto p's free list. */
static void push_free(struct partition *p, u64 phys)
{
	*(u64 *)phys_to_virt(phys) = p->pool.free_head;
	p->pool.free_head = phys;
	p->pool.available++;
}

/* Under the lock: the first free page of p's pool, unlinked and zeroed, or 0. */
static u64 pop_free(struct partition *p)
{
	u64 phys = p->pool.free_head;

	if (!phys)
		return 0;
	u64 *w = phys_to_virt(phys);
	p->pool.free_head = *w;
	*w = 0; /* the rest of the page is zero since its deposit or pool_give */
	p->pool.available--;
	return phys;
}

int pool_take(struct partition *p, u64 *phys)
{
	spin_lock(&lock);
	u64 pa = pop_free(p);
	if (pa)
		p->pool.in_use++;
	spin_unlock(&lock);
	if (!pa)
		return -RAUM_ENOMEM;
	*phys = pa;
	return 0;
}

void pool_give(struct partition *p, u64 phys)
{
	zero_page(phys);
	spin_lock(&lock);
	p->pool.in_use--;
	push_free(p, phys);
	spin_unlock(&lock);
}

/* The root SLAT leaf's flags as the owner entry keeps them (NX, bit 63, as bit 12). */
static u64 flags_keep(const struct partition *root, u64 flags)
{
	if (root->slat.ept)
		return flags & EPT_FLAGS_ALLOWED;
	flags &= PTE_FLAGS_ALLOWED;
	return (flags & ~PTE_NX) | (flags & PTE_NX ? BIT(12) : 0);
}

static u64 flags_restore(const struct partition *root, u64 kept)
{
	if (root->slat.ept)
		return kept & EPT_FLAGS_ALLOWED;
	return (kept & ~BIT(12)) | (kept & BIT(12) ? PTE_NX : 0);
}

/* The slot the ownership table names p by: the root 0, children their table index + 1. */
static u32 slot_of(const struct partition *p) { return p->id; }

u16 deposit_elem(struct vp *vp, const void *hdr, const void *in, void *out __unused, struct rep_batch *b)
{
	const struct hv_deposit_memory *h = hdr;
	struct partition *root = root_partition, *target = partition_lookup(vp, h->partition_id);
	u64 pfn = *(const u64 *)in, pa = pfn << PAGE_SHIFT, hpa, flags, size;
	u16 st = HV_STATUS_SUCCESS;

	if (!target)
		return HV_STATUS_INVALID_PARTITION_ID;
	/*
	 * Only the root's RAM (never MMIO, a hole, what lies beyond it or
	 * Raum's region: the RAM ranges leave those out) that it still holds
	 * (not deposited, not a child's RAM): the TLFS's "already deposited or
	 * not mapped" is OPERATION_DENIED.
	 */
	if (pfn >> OWNER_PFN_BITS || !partition_gpa_backed(root, pa, PAGE_SIZE))
		return HV_STATUS_OPERATION_DENIED;
	spin_lock(&lock);
	if (owner_get(&owners, pfn) || pt_lookup(&root->slat, pa, &hpa, &flags, &size) || hpa != pa) {
		st = HV_STATUS_OPERATION_DENIED;
		goto out;
	}
	if (owner_set(&owners, pfn, owner_entry(OWN_DEPOSIT, slot_of(target), flags_keep(root, flags)))) {
		st = HV_STATUS_INSUFFICIENT_MEMORY; /* Raum's own pool: a table of the ownership tree */
		goto out;
	}
	int rc = pt_unmap(&root->slat, pa, PAGE_SIZE);
	if (rc >= 0)
		rc = iommu_dma_unmap(pa);
	if (rc < 0) {
		/* a split found no table page: the page stays the root's, as it was (a split maps the same) */
		pt_map(&root->slat, pa, pa, PAGE_SIZE, flags_restore(root, flags_keep(root, flags)));
		owner_set(&owners, pfn, 0);
		st = HV_STATUS_INSUFFICIENT_MEMORY;
		goto out;
	}
	b->page[b->n++] = pa;
out:
	spin_unlock(&lock);
	return st;
}

/*
 * The batch's pages are out of the tables; no CPU and no IOMMU unit may
 * still reach them through a cached translation before Raum writes them
 * (zeroing, the free list): the root's VPs flush (a shootdown: those in
 * the guest are kicked and waited for), the units invalidate the domain.
 * Where either did not complete, the pages stay Raum's, unused.
 */
u16 deposit_done(struct vp *vp, const void *hdr, struct rep_batch *b)
{
	const struct hv_deposit_memory *h = hdr;

	if (!b->n)
		return HV_STATUS_SUCCESS;
	int rc = slat_shootdown(root_partition, vp, smp_kick, SHOOTDOWN_SPINS);
	int rc2 = iommu_dma_flush();
	if (rc || rc2) {
		pr_err("deposit: %s did not complete: %u pages stay Raum's, unused", rc ? "the root's TLB shootdown"
		       : "the IOMMU's invalidation", b->n);
		return HV_STATUS_INSUFFICIENT_MEMORY;
	}
	/*
	 * A handler of another root VP may have checked one of the pages
	 * before it was taken and not yet made its access: wait for each to
	 * leave its handler (this VP's own flag goes first, so that two CPUs
	 * depositing at once do not wait for each other).
	 */
	__atomic_store_n(&vp->in_handler, 0, __ATOMIC_SEQ_CST);
	for (u32 i = 0; i < PARTITION_MAX_VPS; i++) {
		const struct vp *v = __atomic_load_n(&root_partition->vps[i], __ATOMIC_ACQUIRE);
		for (u64 n = 0; v && v != vp && __atomic_load_n(&v->in_handler, __ATOMIC_SEQ_CST); n++) {
			if (n == SHOOTDOWN_SPINS) {
				pr_err("deposit: root VP%u stays in an exit handler: %u pages stay Raum's, unused", i, b->n);
				return HV_STATUS_INSUFFICIENT_MEMORY;
			}
			__builtin_ia32_pause();
		}
	}
	struct partition *target = partition_lookup(vp, h->partition_id);
	for (u32 i = 0; i < b->n; i++)
		zero_page(b->page[i]);
	spin_lock(&lock);
	for (u32 i = 0; i < b->n; i++)
		push_free(target, b->page[i]);
	spin_unlock(&lock);
	return HV_STATUS_SUCCESS;
}

u16 withdraw_elem(struct vp *vp, const void *hdr, const void *in __unused, void *out, struct rep_batch *b)
{
	const struct hv_withdraw_memory_in *h = hdr;
	struct partition *root = root_partition, *target = partition_lookup(vp, h->partition_id);
	u16 st = HV_STATUS_SUCCESS;

	if (!target)
		return HV_STATUS_INVALID_PARTITION_ID;
	spin_lock(&lock);
	u64 pa = pop_free(target);
	if (!pa) {
		st = HV_STATUS_NO_RESOURCES; /* the reps completed say how many came back */
		goto out;
	}
	/* free pages are zero but their first word, cleared by pop_free: nothing of the partition's is left */
	u64 e = owner_get(&owners, pa >> PAGE_SHIFT);
	if (owner_kind(e) != OWN_DEPOSIT) {
		pr_err("withdraw: pool page %#llx is not marked deposited (entry %#llx): a Raum bug; kept",
		       (unsigned long long)pa, (unsigned long long)e);
		st = HV_STATUS_OPERATION_DENIED;
		goto out;
	}
	int rc = pt_map(&root->slat, pa, pa, PAGE_SIZE, flags_restore(root, owner_flags(e)));
	if (rc >= 0)
		rc = iommu_dma_map(pa);
	if (rc < 0) {
		pt_unmap(&root->slat, pa, PAGE_SIZE);
		push_free(target, pa);
		st = HV_STATUS_INSUFFICIENT_MEMORY;
		goto out;
	}
	owner_set(&owners, pa >> PAGE_SHIFT, 0);
	*(u64 *)out = pa >> PAGE_SHIFT;
	b->n++;
out:
	spin_unlock(&lock);
	return st;
}

/* A unit that caches not-present entries (VT-d caching mode) sees the pages mapped again. */
u16 withdraw_done(struct vp *vp __unused, const void *hdr __unused, struct rep_batch *b)
{
	if (b->n)
		iommu_dma_flush();
	return HV_STATUS_SUCCESS;
}

u16 get_memory_balance(struct vp *vp, const void *in, void *out)
{
	const struct hv_get_memory_balance_in *q = in;
	struct hv_memory_balance *r = out;
	struct partition *p = partition_lookup(vp, q->partition_id);

	if (!p)
		return HV_STATUS_INVALID_PARTITION_ID;
	spin_lock(&lock);
	r->pages_available = p->pool.available;
	r->pages_in_use = p->pool.in_use;
	spin_unlock(&lock);
	return HV_STATUS_SUCCESS;
}
