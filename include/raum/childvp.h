/* SPDX-License-Identifier: MIT */
/*
 * A child partition's VPs (kernel/childvp.c, docs/partitions.md): the
 * hypercalls, and what the vendor's child run loop calls back.
 */
#ifndef RAUM_CHILDVP_H
#define RAUM_CHILDVP_H

#include <raum/vp.h>

/* Pool pages a child VP takes at most: the vendor's (object, VMCB or VMCS, ...) and the XSAVE area. */
#define CHILD_VP_MAX_PAGES 4

/* What a COMPLETE of the next DispatchVp finishes (struct vp pending). */
enum child_pending {
	CHILD_PENDING_NONE,
	CHILD_PENDING_IN,    /* IN: the data into AL / AX / EAX, then step */
	CHILD_PENDING_STEP,  /* OUT, HLT, CPUID, WRMSR: step over */
	CHILD_PENDING_RDMSR, /* RDMSR: the data into EDX:EAX, then step */
};

struct rep_batch;
u16 create_vp(struct vp *vp, const void *in, void *out);
u16 delete_vp(struct vp *vp, const void *in, void *out);
u16 get_vp_reg_elem(struct vp *vp, const void *hdr, const void *in, void *out, u32 i, struct rep_batch *b);
u16 set_vp_reg_elem(struct vp *vp, const void *hdr, const void *in, void *out, u32 i, struct rep_batch *b);
u16 dispatch_vp(struct vp *vp, const void *in, void *out);
u16 install_intercept(struct vp *vp, const void *in, void *out);
/* For the child run loops: whether the root installed an intercept for CPUID leaf / this MSR access. */
bool child_cpuid_intercepted(const struct partition *p, u32 leaf);
bool child_msr_intercepted(const struct partition *p, u32 msr, bool write);
/*
 * For the run loops: when the root installed an intercept for this CPUID
 * (leaf in RAX) or RDMSR / WRMSR (ECX, EDX:EAX), fills *x for the root and
 * what a COMPLETE finishes (the instruction ends at next_rip): true. False
 * when Raum handles it.
 */
struct raum_vp_exit;
bool child_cpuid_exit(struct vp *vp, struct raum_vp_exit *x, u64 next_rip);
bool child_msr_exit(struct vp *vp, struct raum_vp_exit *x, bool write, u64 next_rip);
/* Finalize (kernel/partmem.c, partition busy, unlocked): every VP's pages back into the pool. */
void child_vps_release(struct partition *p);

/* For the vendors' child run loops. */
u64 child_xcr0_supported(void);
enum exit_action child_xsetbv(struct vp *vp);
/* Refills the return stack buffer after a child's exit (before Raum's first RET that matters). */
void child_rsb_fill(void);

#endif
