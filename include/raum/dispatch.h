/* SPDX-License-Identifier: MIT */
/*
 * The one exit dispatcher (kernel/dispatch.c), inline: each backend's run
 * loop (svm/exit.c, vmx/exit.c) is vp_run followed by vp_dispatch_inline,
 * in one function, so that the exit round trip pays no call for the loop,
 * the run or the completion: the logic (the table, the counting, the
 * failure policy) is common, only its place in the code is the vendor's.
 */
#ifndef RAUM_DISPATCH_H
#define RAUM_DISPATCH_H

#include <raum/smp.h>
#include <raum/vp.h>

typedef enum exit_action (*exit_handler)(struct vp *vp, struct vp_exit *e);
/* One handler per kind (kernel/dispatch.c; vp_dispatch_table_complete checks it). */
extern const exit_handler vp_exit_handlers[VPX_KINDS];
/* The failure policy (vp_fail_decide) carried out: returns only when the VP stops alone. */
void vp_fail(struct vp *vp, struct vp_exit *e, enum exit_action a);

/*
 * Handles the exit *e of vp: counts it once under e->reason (anything out
 * of range counts as OTHER), runs the kind's handler (anything out of
 * range is VPX_FAILED), completes the instruction through 'complete' when
 * the handler asks, and applies the failure policy. True: enter again.
 */
static inline __attribute__((always_inline)) bool
vp_dispatch_inline(struct vp *vp, struct vp_exit *e, void (*complete)(struct vp *, const struct vp_exit *, bool))
{
	u32 k = e->kind < VPX_KINDS ? e->kind : VPX_FAILED;
	u32 r = e->reason < RAUM_EXIT_REASONS ? e->reason : RAUM_EXIT_OTHER;

	vp->exits[r]++;
	/* a full barrier (XCHG): the handler's checks of what Raum took come after it (kernel/partmem.c) */
	__atomic_store_n(&vp->in_handler, 1, __ATOMIC_SEQ_CST);
	enum exit_action a = vp_exit_handlers[k](vp, e);
	__atomic_store_n(&vp->in_handler, 0, __ATOMIC_RELEASE);
	if (__builtin_expect(a <= EXIT_SKIPPED, 1)) {
		if (a != EXIT_RESUME)
			complete(vp, e, a == EXIT_ADVANCE);
		/* INIT / SIPI other CPUs posted (include/raum/smp.h): taken before the next entry */
		if (__builtin_expect(vp_events_pending(&vp->initsipi.pending), 0))
			vp_take_events(vp);
		return true;
	}
	vp_fail(vp, e, a);
	return false;
}

#endif
