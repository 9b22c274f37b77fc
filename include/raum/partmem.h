/* SPDX-License-Identifier: MIT */
/*
 * A partition's memory (issue 12, docs/partitions.md; DESIGN.md decision 5):
 * the pages the root deposits for the partition's metadata, the ownership
 * table that says which of the root's pages Raum holds (include/raum/owner.h),
 * and the hypercalls that move pages: DepositMemory, WithdrawMemory,
 * GetMemoryBalance. A deposited page leaves the root's SLAT and the IOMMU's
 * DMA map, and every CPU and unit has dropped its translations, before Raum
 * writes to it; a withdrawn page is scrubbed before the root sees it again.
 */
#ifndef RAUM_PARTMEM_H
#define RAUM_PARTMEM_H

#include <raum/owner.h>
#include <raum/vp.h>

/* Under partmem's lock: the partition a call names (self, the root, a child), or NULL (none such). */
struct partition *partition_lookup(struct vp *caller, u64 id);
/*
 * The active child whose ID is id, held busy (no Finalize or Delete) until
 * child_put: for the VP calls, which work on it unlocked. 0, or
 * INVALID_PARTITION_ID / INVALID_PARTITION_STATE.
 */
u16 child_get(u64 id, struct partition **out);
void child_put(struct partition *p);
/*
 * Waits until no shootdown of p runs (UnmapGpaPages' end): a shootdown
 * reads the VPs it found in p->vps, so a removed VP's pages go back to the
 * pool only after this (kernel/childvp.c, delete_vp). Bounded: each
 * shootdown waits at most its spins per VP.
 */
void child_wait_shootdowns(struct partition *p);

/*
 * Reads n bytes at gpa of child p (within one page) through its SLAT,
 * under partmem's lock (no UnmapGpaPages in between): 0, or -RAUM_ENOENT
 * when the page is not mapped. For instruction bytes and page-table
 * entries (kernel/childvp.c, child_fetch_insn); never MMIO: a child's map
 * holds only root RAM.
 */
int child_read_gpa(struct partition *p, u64 gpa, void *buf, u32 n);

/* The ownership of the root's pages (kernel/partmem.c changes it under its lock). */
extern struct owner_table root_owners;

/*
 * Whether any page of [gpa, gpa + size) of the root's RAM is Raum's now,
 * deposited (a hypercall block, a page walk): one load while nothing is
 * taken, as on every exit of a root that never deposited (the exit path
 * reads guest page tables through this). Pages mapped into a child stay
 * the root's to use (it is the child's VMM).
 */
static inline bool partmem_taken(u64 gpa, u64 size)
{
	return __atomic_load_n(&root_owners.taken, __ATOMIC_RELAXED) &&
	       owner_any_of(&root_owners, gpa, size, OWN_DEPOSIT);
}

/*
 * One page of p's pool for its metadata, zeroed: 0 and *phys, or
 * -RAUM_ENOMEM when the pool is empty (the call that needed it returns
 * HV_STATUS_INSUFFICIENT_MEMORY; the root deposits and retries).
 */
int pool_take(struct partition *p, u64 *phys);
/* A page from pool_take back into p's pool (zeroed here). */
void pool_give(struct partition *p, u64 phys);

/* The rep calls' per-element steps and the end of each batch, for the dispatcher (kernel/hypercall.c). */
struct rep_batch;
u16 deposit_elem(struct vp *vp, const void *hdr, const void *in, void *out, u32 i, struct rep_batch *b);
u16 deposit_done(struct vp *vp, const void *hdr, struct rep_batch *b);
u16 withdraw_elem(struct vp *vp, const void *hdr, const void *in, void *out, u32 i, struct rep_batch *b);
u16 map_gpa_elem(struct vp *vp, const void *hdr, const void *in, void *out, u32 i, struct rep_batch *b);
u16 unmap_gpa_elem(struct vp *vp, const void *hdr, const void *in, void *out, u32 i, struct rep_batch *b);
u16 unmap_gpa_done(struct vp *vp, const void *hdr, struct rep_batch *b);
u16 withdraw_done(struct vp *vp, const void *hdr, struct rep_batch *b);
u16 get_memory_balance(struct vp *vp, const void *in, void *out);
/* Child partitions (include/raum/partstate.h has their states). */
u16 create_partition(struct vp *vp, const void *in, void *out);
u16 initialize_partition(struct vp *vp, const void *in, void *out);
u16 finalize_partition(struct vp *vp, const void *in, void *out);
u16 delete_partition(struct vp *vp, const void *in, void *out);
u16 get_next_child_partition(struct vp *vp, const void *in, void *out);
u16 get_partition_property(struct vp *vp, const void *in, void *out);
u16 set_partition_property(struct vp *vp, const void *in, void *out);

/* The most elements a rep call runs per entry before it returns to the caller to continue (TLFS rep calls). */
#define HVCALL_REP_BUDGET 64

struct rep_batch {
	u32 n;
	u64 page[HVCALL_REP_BUDGET];
};

#endif
