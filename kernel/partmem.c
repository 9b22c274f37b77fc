// SPDX-License-Identifier: MIT
/*
 * Partitions and their memory (include/raum/partmem.h, docs/partitions.md):
 * deposits, withdrawals and the pools; the children's table, states and
 * properties; a child's RAM (MapGpaPages / UnmapGpaPages). One lock
 * serializes all of it (docs/partitions.md says what that costs).
 *
 * Lock order: partmem's lock, then the root SLAT's tables (changed only
 * under it at run time), then the IOMMU's map lock (inside iommu_dma_*).
 * Nothing waits for another CPU while holding it: the shootdown and the
 * units' invalidation run in the batch's end, unlocked.
 */
#include <raum/childvp.h>
#include <raum/errno.h>
#include <raum/iommu.h>
#include <raum/log.h>
#include <raum/owner.h>
#include <raum/partmem.h>
#include <raum/partstate.h>
#include <raum/shootdown.h>
#include <raum/smp.h>
#include <raum/vendor.h>
#include <raum/vm.h>

static u64 *owner_tab(void *ctx __unused, u64 phys) { return phys_to_virt(phys); }
static int owner_alloc(void *ctx __unused, u64 *phys) { return page_alloc_zeroed(1, phys); }

static struct spinlock lock = SPINLOCK_INIT;
struct owner_table root_owners = { .table = owner_tab, .alloc = owner_alloc };

/* How long a shootdown waits for each VP (pause loops): a CPU that never exits is stuck, not slow. */
#define SHOOTDOWN_SPINS (1ULL << 28)

/* The children, by slot (partition id - 1); changed under the lock. */
static struct partition *children[RAUM_MAX_CHILD_PARTITIONS];
static u64 next_child_id = RAUM_ROOT_PARTITION_ID + 1; /* never reused within a boot */

/* Under the lock: the child whose ID is id, or NULL. */
static struct partition *child_by_id(u64 id)
{
	for (u32 i = 0; i < RAUM_MAX_CHILD_PARTITIONS; i++)
		if (children[i] && children[i]->ext_id == id)
			return children[i];
	return NULL;
}

struct partition *partition_lookup(struct vp *caller, u64 id)
{
	if (id == HV_PARTITION_ID_SELF)
		return caller->part;
	if (id == RAUM_ROOT_PARTITION_ID)
		return root_partition;
	return child_by_id(id);
}

/*
 * Under the lock: the partition a memory call names and whether its state
 * allows op (the root's always does). 0 with *out, or the status.
 */
static u16 target_for(struct vp *vp, u64 id, enum part_op op, struct partition **out)
{
	struct partition *p = partition_lookup(vp, id);
	enum part_state next;

	if (!p)
		return HV_STATUS_INVALID_PARTITION_ID;
	if (p->id && partstate_check((enum part_state)p->state, op, &next) != HV_STATUS_SUCCESS)
		return HV_STATUS_INVALID_PARTITION_STATE;
	*out = p;
	return HV_STATUS_SUCCESS;
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

u16 deposit_elem(struct vp *vp, const void *hdr, const void *in, void *out __unused, u32 i __unused,
		 struct rep_batch *b)
{
	const struct hv_deposit_memory *h = hdr;
	struct partition *root = root_partition, *target;
	u64 pfn = *(const u64 *)in, pa = pfn << PAGE_SHIFT, hpa, flags, size;
	u16 st;

	/*
	 * Only the root's RAM (never MMIO, a hole, what lies beyond it or
	 * Raum's region: the RAM ranges leave those out) that it still holds
	 * (not deposited, not a child's RAM): the TLFS's "already deposited or
	 * not mapped" is OPERATION_DENIED.
	 */
	spin_lock(&lock);
	if ((st = target_for(vp, h->partition_id, POP_DEPOSIT, &target)) != HV_STATUS_SUCCESS)
		goto out;
	if (pfn >> OWNER_PFN_BITS || !partition_gpa_backed(root, pa, PAGE_SIZE)) {
		st = HV_STATUS_OPERATION_DENIED;
		goto out;
	}
	if (owner_get(&root_owners, pfn) || pt_lookup(&root->slat, pa, &hpa, &flags, &size) || hpa != pa) {
		st = HV_STATUS_OPERATION_DENIED;
		goto out;
	}
	if (owner_set(&root_owners, pfn, owner_entry(OWN_DEPOSIT, slot_of(target), flags_keep(root, flags)))) {
		st = HV_STATUS_INSUFFICIENT_MEMORY; /* Raum's own pool: a table of the ownership tree */
		goto out;
	}
	int rc = pt_unmap(&root->slat, pa, PAGE_SIZE);
	if (rc >= 0)
		rc = iommu_dma_unmap(pa);
	if (rc < 0) {
		/* a split found no table page: the page stays the root's, as it was (a split maps the same) */
		pt_map(&root->slat, pa, pa, PAGE_SIZE, flags_restore(root, flags_keep(root, flags)));
		owner_set(&root_owners, pfn, 0);
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
	for (u32 i = 0; i < b->n; i++)
		zero_page(b->page[i]);
	spin_lock(&lock);
	/*
	 * The batch's pages were not counted in the target's pool yet, so a
	 * DeletePartition may have run in between: then they join the root's
	 * pool, from which the root withdraws them as any other.
	 */
	struct partition *target = partition_lookup(vp, h->partition_id);
	if (!target)
		target = root_partition;
	for (u32 i = 0; i < b->n; i++)
		push_free(target, b->page[i]);
	spin_unlock(&lock);
	return HV_STATUS_SUCCESS;
}

u16 withdraw_elem(struct vp *vp, const void *hdr, const void *in __unused, void *out, u32 i __unused,
		  struct rep_batch *b)
{
	const struct hv_withdraw_memory_in *h = hdr;
	struct partition *root = root_partition, *target;
	u16 st;

	spin_lock(&lock);
	if ((st = target_for(vp, h->partition_id, POP_WITHDRAW, &target)) != HV_STATUS_SUCCESS)
		goto out;
	u64 pa = pop_free(target);
	if (!pa) {
		st = HV_STATUS_NO_RESOURCES; /* the reps completed say how many came back */
		goto out;
	}
	/* free pages are zero but their first word, cleared by pop_free: nothing of the partition's is left */
	u64 e = owner_get(&root_owners, pa >> PAGE_SHIFT);
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
	owner_set(&root_owners, pa >> PAGE_SHIFT, 0);
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
	struct partition *p;

	spin_lock(&lock);
	u16 st = target_for(vp, q->partition_id, POP_WITHDRAW, &p);
	if (st == HV_STATUS_SUCCESS) {
		r->pages_available = p->pool.available;
		r->pages_in_use = p->pool.in_use;
	}
	spin_unlock(&lock);
	return st;
}

/* ---- child partitions: create, initialize, finalize, delete, list ------------------------------ */

_Static_assert(sizeof(struct partition) <= PAGE_SIZE, "a child's partition object is one pool page");

/* A child's SLAT tables from its pool (pt_ctx callbacks): every change of a child's SLAT runs under the lock. */
static u64 *child_table(void *ctx __unused, u64 phys) { return phys_to_virt(phys); }
static int child_table_alloc(void *ctx, u64 *phys)
{
	struct partition *p = ctx;
	u64 pa = pop_free(p);

	if (!pa)
		return -RAUM_ENOMEM;
	p->pool.in_use++;
	*phys = pa;
	return 0;
}
static void child_table_free(void *ctx, u64 phys)
{
	struct partition *p = ctx;

	zero_page(phys);
	p->pool.in_use--;
	push_free(p, phys);
}

u16 create_partition(struct vp *vp __unused, const void *in, void *out)
{
	const struct hv_create_partition_in *q = in;
	struct hv_create_partition_out *r = out;
	struct partition *root = root_partition;
	u32 slot;

	if (q->flags || q->disabled_processor_features[0] || q->disabled_processor_features[1] ||
	    q->disabled_xsave_features || q->isolation_properties)
		return HV_STATUS_INVALID_PARAMETER; /* no creation flag or isolation is defined yet */
	spin_lock(&lock);
	for (slot = 0; slot < RAUM_MAX_CHILD_PARTITIONS && children[slot]; slot++)
		;
	if (slot == RAUM_MAX_CHILD_PARTITIONS) {
		spin_unlock(&lock);
		return HV_STATUS_NO_RESOURCES;
	}
	u64 pa = pop_free(root); /* the object is the parent's metadata: its pool pays (Hyper-V, mshv) */
	if (!pa) {
		spin_unlock(&lock);
		return HV_STATUS_INSUFFICIENT_MEMORY;
	}
	root->pool.in_use++;
	struct partition *p = phys_to_virt(pa); /* zeroed: pop_free */
	p->id = slot + 1;
	p->ext_id = next_child_id++;
	p->state = PART_CREATED;
	p->pool_page = pa;
	spin_init(&p->lock);
	p->phys_bits = root->phys_bits;
	p->gpa_limit = root->gpa_limit; /* the same physical-address width as the root's */
	children[slot] = p;
	spin_unlock(&lock);
	r->partition_id = p->ext_id;
	pr_debug("partition %llu created (slot %u)", (unsigned long long)p->ext_id, slot);
	return HV_STATUS_SUCCESS;
}

/*
 * Under the lock: the child named by id in a state that allows op; a
 * state change (Finalize, Delete) also needs no call working on it
 * unlocked (busy).
 */
static u16 child_for(u64 id, enum part_op op, struct partition **out, enum part_state *next)
{
	struct partition *p = child_by_id(id);

	if (!p)
		return HV_STATUS_INVALID_PARTITION_ID; /* the root, self and unknown IDs alike: not a child */
	if (((op == POP_FINALIZE || op == POP_DELETE) && p->busy) ||
	    partstate_check((enum part_state)p->state, op, next) != HV_STATUS_SUCCESS)
		return HV_STATUS_INVALID_PARTITION_STATE;
	*out = p;
	return HV_STATUS_SUCCESS;
}

u16 child_get(u64 id, struct partition **out)
{
	struct partition *p;
	enum part_state next;

	spin_lock(&lock);
	u16 st = child_for(id, POP_RUN, &p, &next);
	if (st == HV_STATUS_SUCCESS) {
		p->busy++;
		*out = p;
	}
	spin_unlock(&lock);
	return st;
}

void child_put(struct partition *p)
{
	spin_lock(&lock);
	p->busy--;
	spin_unlock(&lock);
}

void child_wait_shootdowns(struct partition *p)
{
	while (__atomic_load_n(&p->shootdowns, __ATOMIC_ACQUIRE))
		__builtin_ia32_pause();
}

/*
 * Initialize: the partition's own metadata comes from its own pool (the
 * root deposits first and retries on INSUFFICIENT_MEMORY): so far the top
 * table of its SLAT, in the root's format (NPT or EPT).
 */
u16 initialize_partition(struct vp *vp __unused, const void *in, void *out __unused)
{
	const struct hv_partition_id_in *q = in;
	struct partition *p;
	enum part_state next;

	spin_lock(&lock);
	u16 st = child_for(q->partition_id, POP_INITIALIZE, &p, &next);
	if (st == HV_STATUS_SUCCESS) {
		u64 pa = pop_free(p);
		if (!pa) {
			st = HV_STATUS_INSUFFICIENT_MEMORY;
		} else {
			p->pool.in_use++;
			p->slat = (struct pt_ctx){ .root = pa, .table = child_table, .alloc = child_table_alloc,
						   .free = child_table_free, .ctx = p, .nr_tables = 1, .allow_2m = true,
						   .allow_1g = root_partition->slat.allow_1g, .ept = root_partition->slat.ept };
			if (vendor_current()->child_partition_init)
				vendor_current()->child_partition_init(p); /* intercepts and CPUID: nothing it allocates */
			p->state = next;
		}
	}
	spin_unlock(&lock);
	return st;
}

/* Under the lock, for each leaf of a finalizing child's SLAT: the root page is the root's alone again. */
static void release_leaf(void *ctx, u64 gpa __unused, u64 pa, u64 size)
{
	const struct partition *p = ctx;

	for (u64 a = pa; a < pa + size; a += PAGE_SIZE) {
		u64 e = owner_get(&root_owners, a >> PAGE_SHIFT);
		if (owner_kind(e) == OWN_MAPPED && owner_slot(e) == p->id)
			owner_set(&root_owners, a >> PAGE_SHIFT, 0);
	}
}

/*
 * Finalize: the partition stops; every CPU drops its translations (a
 * shootdown of its VPs) before its RAM goes back to the root (the
 * ownership table) and its SLAT's tables go back to its pool as free
 * pages, which the root withdraws before it deletes the partition.
 */
u16 finalize_partition(struct vp *vp __unused, const void *in, void *out __unused)
{
	const struct hv_partition_id_in *q = in;
	struct partition *p;
	enum part_state next;

	spin_lock(&lock);
	u16 st = child_for(q->partition_id, POP_FINALIZE, &p, &next);
	if (st == HV_STATUS_SUCCESS) {
		p->state = next; /* no new mapping, no VP runs from here on */
		p->busy++;
	}
	spin_unlock(&lock);
	if (st != HV_STATUS_SUCCESS)
		return st;
	int rc = slat_shootdown(p, NULL, smp_kick, SHOOTDOWN_SPINS);
	child_vps_release(p); /* no VP is claimed: a claim holds the partition busy, and Finalize needed it idle */
	spin_lock(&lock);
	p->busy--;
	if (rc == 0) {
		pt_for_each_leaf(&p->slat, release_leaf, p);
		rc = pt_teardown(&p->slat); /* every table back into the pool */
	}
	spin_unlock(&lock);
	if (rc)
		pr_err("partition %llu: a VP did not flush its translations (error %d): its RAM and tables stay "
		       "taken", (unsigned long long)p->ext_id, rc);
	return HV_STATUS_SUCCESS;
}

/*
 * Delete: created or finalized, and nothing left in its pool (TLFS 2.0:
 * the parent withdraws first; OPERATION_DENIED otherwise). The object's
 * page goes back to the root's pool, scrubbed.
 */
u16 delete_partition(struct vp *vp __unused, const void *in, void *out __unused)
{
	const struct hv_partition_id_in *q = in;
	struct partition *p;
	enum part_state next;

	spin_lock(&lock);
	u16 st = child_for(q->partition_id, POP_DELETE, &p, &next);
	if (st == HV_STATUS_SUCCESS && (p->pool.available || p->pool.in_use))
		st = HV_STATUS_OPERATION_DENIED;
	if (st == HV_STATUS_SUCCESS) {
		u64 pa = p->pool_page, id = p->ext_id;
		children[p->id - 1] = NULL;
		zero_page(pa);
		root_partition->pool.in_use--;
		push_free(root_partition, pa);
		pr_debug("partition %llu deleted", (unsigned long long)id);
	}
	spin_unlock(&lock);
	return st;
}

/* ---- properties ------------------------------------------------------------------------------ */

/* Under the lock: property code of p into *v; INVALID_PARAMETER for a code Raum does not know. */
static u16 property_get(const struct partition *p, u32 code, u64 *v)
{
	switch (code) {
	case HV_PARTITION_PROPERTY_PROCESSOR_VENDOR:
		*v = vendor_current()->vendor == RAUM_VENDOR_INTEL ? HV_PROCESSOR_VENDOR_INTEL : HV_PROCESSOR_VENDOR_AMD;
		return HV_STATUS_SUCCESS;
	case HV_PARTITION_PROPERTY_PHYSICAL_ADDRESS_WIDTH:
		*v = p->phys_bits;
		return HV_STATUS_SUCCESS;
	case HV_PARTITION_PROPERTY_GUEST_OS_ID:
		*v = p->guest_os_id;
		return HV_STATUS_SUCCESS;
	default:
		return HV_STATUS_INVALID_PARAMETER;
	}
}

u16 get_partition_property(struct vp *vp, const void *in, void *out)
{
	const struct hv_get_partition_property_in *q = in;
	struct hv_get_partition_property_out *r = out;

	if (q->padding)
		return HV_STATUS_INVALID_PARAMETER;
	spin_lock(&lock);
	struct partition *p = partition_lookup(vp, q->partition_id);
	u16 st = p ? property_get(p, q->property_code, &r->property_value) : HV_STATUS_INVALID_PARTITION_ID;
	spin_unlock(&lock);
	return st;
}

u16 set_partition_property(struct vp *vp, const void *in, void *out __unused)
{
	const struct hv_set_partition_property_in *q = in;
	u16 st = HV_STATUS_INVALID_PARAMETER; /* unknown or read-only */

	if (q->padding)
		return HV_STATUS_INVALID_PARAMETER;
	spin_lock(&lock);
	struct partition *p = partition_lookup(vp, q->partition_id);
	if (!p) {
		st = HV_STATUS_INVALID_PARTITION_ID;
	} else if (q->property_code == HV_PARTITION_PROPERTY_GUEST_OS_ID) {
		p->guest_os_id = q->property_value;
		st = HV_STATUS_SUCCESS;
	}
	spin_unlock(&lock);
	return st;
}

u16 get_next_child_partition(struct vp *vp, const void *in, void *out)
{
	const struct hv_get_next_child_in *q = in;
	struct hv_get_next_child_out *r = out;

	spin_lock(&lock);
	struct partition *parent = partition_lookup(vp, q->parent_id);
	if (!parent || parent != root_partition) {
		spin_unlock(&lock);
		return parent ? HV_STATUS_SUCCESS : HV_STATUS_INVALID_PARTITION_ID; /* a child has no children */
	}
	u64 best = 0;
	for (u32 i = 0; i < RAUM_MAX_CHILD_PARTITIONS; i++) {
		u64 id = children[i] ? children[i]->ext_id : 0;
		if (id > q->previous_child_id && (!best || id < best))
			best = id;
	}
	spin_unlock(&lock);
	r->next_child_id = best;
	return HV_STATUS_SUCCESS;
}

/* ---- a child's RAM: MapGpaPages / UnmapGpaPages ---------------------------------------------- */

/* The child's SLAT leaf flags for a TLFS access mask; 0 for a combination Raum does not map. */
static u64 map_flags(const struct partition *p, u32 f)
{
	bool x = f & HV_MAP_GPA_EXECUTABLE;

	/* R, RW, R+X, RWX; kernel and user execute together (one X bit in EPT without MBEC, none split in NPT) */
	if (!(f & HV_MAP_GPA_READABLE) || (f & ~0xfu) || (x && (f & HV_MAP_GPA_EXECUTABLE) != HV_MAP_GPA_EXECUTABLE))
		return 0;
	if (p->slat.ept)
		return EPT_R | (f & HV_MAP_GPA_WRITABLE ? EPT_W : 0) | (x ? EPT_X : 0) | EPT_MT(6); /* write-back */
	return PTE_U | (f & HV_MAP_GPA_WRITABLE ? PTE_W : 0) | (x ? 0 : PTE_NX);
}

u16 map_gpa_elem(struct vp *vp __unused, const void *hdr, const void *in, void *out __unused, u32 i,
		 struct rep_batch *b __unused)
{
	const struct hv_map_gpa_pages *h = hdr;
	struct partition *root = root_partition, *p;
	enum part_state next;
	u64 pfn = *(const u64 *)in, pa = pfn << PAGE_SHIFT, gfn = h->target_gpa_base + i;
	u16 st;

	spin_lock(&lock);
	if ((st = child_for(h->target_partition_id, POP_RUN, &p, &next)) != HV_STATUS_SUCCESS)
		goto out;
	u64 flags = map_flags(p, h->map_flags);
	if (!flags || h->padding || gfn < h->target_gpa_base || gfn >= (p->gpa_limit >> PAGE_SHIFT)) {
		st = HV_STATUS_INVALID_PARAMETER;
		goto out;
	}
	/* the root's RAM it still holds: not deposited, not another child's (or this one's) RAM already */
	if (pfn >> OWNER_PFN_BITS || !partition_gpa_backed(root, pa, PAGE_SIZE) || owner_get(&root_owners, pfn)) {
		st = HV_STATUS_OPERATION_DENIED;
		goto out;
	}
	if (owner_set(&root_owners, pfn, owner_entry(OWN_MAPPED, p->id, 0))) {
		st = HV_STATUS_INSUFFICIENT_MEMORY;
		goto out;
	}
	u64 gpa = gfn << PAGE_SHIFT, old, of, os;
	int rc = pt_lookup(&p->slat, gpa, &old, &of, &os) == 0 ? -RAUM_EEXIST : pt_map(&p->slat, gpa, pa, PAGE_SIZE, flags);
	if (rc < 0) {
		owner_set(&root_owners, pfn, 0);
		st = rc == -RAUM_ENOMEM ? HV_STATUS_INSUFFICIENT_MEMORY : HV_STATUS_INVALID_PARAMETER; /* mapped already */
		goto out;
	}
	p->mapped_pages++;
out:
	spin_unlock(&lock);
	return st;
}

u16 unmap_gpa_elem(struct vp *vp __unused, const void *hdr, const void *in __unused, void *out __unused, u32 i,
		   struct rep_batch *b)
{
	const struct hv_unmap_gpa_pages *h = hdr;
	struct partition *p;
	enum part_state next;
	u64 gfn = h->target_gpa_base + i, pa, flags, size;
	u16 st;

	spin_lock(&lock);
	if ((st = child_for(h->target_partition_id, POP_RUN, &p, &next)) != HV_STATUS_SUCCESS)
		goto out;
	if (h->unmap_flags || h->padding || gfn < h->target_gpa_base || gfn >= (p->gpa_limit >> PAGE_SHIFT)) {
		st = HV_STATUS_INVALID_PARAMETER;
		goto out;
	}
	if (pt_lookup(&p->slat, gfn << PAGE_SHIFT, &pa, &flags, &size))
		goto out; /* not mapped: nothing to do */
	if (pt_unmap(&p->slat, gfn << PAGE_SHIFT, PAGE_SIZE) < 0) {
		st = HV_STATUS_INSUFFICIENT_MEMORY; /* a split: not reached, children get 4 KiB leaves only */
		goto out;
	}
	p->mapped_pages--;
	b->page[b->n++] = pa & PAGE_MASK; /* the root's again once every CPU flushed (unmap_gpa_done) */
out:
	spin_unlock(&lock);
	return st;
}

int child_read_gpa(struct partition *p, u64 gpa, void *buf, u32 n)
{
	u64 pa, flags, size;
	int rc = -RAUM_ENOENT;

	if (!n || n > PAGE_SIZE - (gpa & (PAGE_SIZE - 1)))
		return -RAUM_EINVAL;
	spin_lock(&lock);
	if (!pt_lookup(&p->slat, gpa, &pa, &flags, &size)) {
		const u8 *src = phys_to_virt(pa);
		for (u32 i = 0; i < n; i++)
			((u8 *)buf)[i] = src[i];
		rc = 0;
	}
	spin_unlock(&lock);
	return rc;
}

/*
 * The batch's GPAs are out of the child's SLAT: every CPU that may cache
 * them flushes (a shootdown of the child's VPs) before the root's pages
 * are free to be deposited or mapped into another partition.
 */
u16 unmap_gpa_done(struct vp *vp __unused, const void *hdr, struct rep_batch *b)
{
	const struct hv_unmap_gpa_pages *h = hdr;
	int rc = 0;

	if (!b->n)
		return HV_STATUS_SUCCESS;
	spin_lock(&lock);
	struct partition *p = child_by_id(h->target_partition_id);
	if (p) {
		p->busy++; /* no finalize or delete while the shootdown runs unlocked */
		p->shootdowns++; /* and no VP's pages back in the pool meanwhile (delete_vp waits) */
	}
	spin_unlock(&lock);
	if (p)
		rc = slat_shootdown(p, NULL, smp_kick, SHOOTDOWN_SPINS);
	spin_lock(&lock);
	if (p) {
		p->busy--;
		p->shootdowns--;
	}
	for (u32 k = 0; rc == 0 && k < b->n; k++) {
		u64 e = owner_get(&root_owners, b->page[k] >> PAGE_SHIFT);
		if (owner_kind(e) == OWN_MAPPED)
			owner_set(&root_owners, b->page[k] >> PAGE_SHIFT, 0);
	}
	spin_unlock(&lock);
	if (rc) {
		pr_err("unmap: a VP of partition %llu did not flush: %u root pages stay taken",
		       (unsigned long long)h->target_partition_id, b->n);
		return HV_STATUS_INSUFFICIENT_MEMORY;
	}
	return HV_STATUS_SUCCESS;
}
