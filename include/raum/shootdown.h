/* SPDX-License-Identifier: MIT */
/*
 * TLB shootdown after a SLAT change (issue 10; docs/smp.md): when
 * mappings of a partition were removed or weakened, no CPU may use the old
 * translations once the caller goes on (reuses the frames, hands them to
 * another partition). Pure code (kernel/shootdown.c) over the VP table,
 * unit-tested with threads that play the CPUs (tests/unit/test_shootdown.c).
 *
 * The protocol, on each VP (vp_entry_begin / vp_entry_end, called by the
 * vendors' entry path) and the sender (slat_shootdown):
 *
 *   VP, before each entry              sender
 *   in_guest = 1     (full barrier)    generation++   (full barrier)
 *   g = generation                     for each VP: in_guest? flushed < gen?
 *   flushed = g; flush if g moved        -> kick its CPU, wait until
 *   enter ... exit                          !in_guest || flushed >= gen
 *   in_guest = 0
 *
 * Either the sender sees in_guest = 1 and waits for the VP's next entry
 * (which the kick forces: an NMI exits it), or the VP's read of the
 * generation comes after the increment and it flushes before it enters.
 * A VP outside the guest (handling an exit, parked for a SIPI, spinning
 * in a shootdown of its own) is not waited for: it reads the generation
 * again before its next entry. So two CPUs that shoot at each other do
 * not wait for each other.
 */
#ifndef RAUM_SHOOTDOWN_H
#define RAUM_SHOOTDOWN_H

#include <raum/vp.h>

/* Before an entry: marks the VP in the guest, then reads the generation it must flush for (returned). */
static inline u64 vp_entry_begin(struct vp *vp)
{
	__atomic_store_n(&vp->in_guest, 1, __ATOMIC_SEQ_CST); /* XCHG on x86: the load below stays after it */
	u64 g = __atomic_load_n(&vp->part->slat_generation, __ATOMIC_SEQ_CST);
	__atomic_store_n(&vp->slat_generation, g, __ATOMIC_RELEASE);
	return g;
}

/* After the exit: the VP uses no translation of the partition until its next vp_entry_begin. */
static inline void vp_entry_end(struct vp *vp) { __atomic_store_n(&vp->in_guest, 0, __ATOMIC_RELEASE); }

/*
 * The sender: bumps p's SLAT generation and returns once every VP that may
 * hold the old translations has flushed, or is out of the guest. 'self':
 * the caller's own VP (it flushes at its next entry), or NULL. kick(cpu)
 * makes that CPU's VP exit (smp_kick). 'spins': how long to wait for each
 * VP, in polls. Returns 0, or -RAUM_EBUSY when a VP neither exited nor
 * flushed in time (a stuck CPU: the caller must not reuse the frames).
 */
int slat_shootdown(struct partition *p, const struct vp *self, void (*kick)(u32 cpu), u64 spins);

#endif
