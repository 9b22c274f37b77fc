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
/*
 * Exceptions Raum intercepts in every child whether the root asked or not:
 * #DB (1) and #AC (17). A guest can make their delivery raise them again
 * forever (a #DB on the stack the handler's frame is pushed to, an #AC
 * with a misaligned stack), a loop inside one instruction that no
 * interrupt ends (CVE-2015-8104, CVE-2015-5307); with the intercept each
 * delivery is a VM exit, where the root's interrupts get through. Raum
 * delivers them itself unless the root installed an intercept.
 */
#define CHILD_EXC_ALWAYS ((1u << 1) | (1u << 17))
/* The exception bitmap for p's next entry: CHILD_EXC_ALWAYS and what the root installed. */
u32 child_exception_bitmap(const struct partition *p);
/*
 * For the run loops, at an exception exit: when the root installed an
 * intercept for vector, fills *x (EXCEPTION, error code, #PF's address,
 * the instruction bytes) and returns true; false when Raum delivers it.
 */
bool child_exception_exit(struct vp *vp, struct raum_vp_exit *x, u8 vector, bool has_error, u32 error, u64 address);
/*
 * A #DB Raum delivers to the child itself (its own handler): RFLAGS with RF
 * set when the #DB is fault-like (an instruction breakpoint: DR6.Bn with
 * DR7's R/Wn = 00, SDM vol. 3B 18.2.4 and 18.3.1.1: the handler's IRET
 * must not hit it again; event injection does not set RF itself), and
 * DR7 with GD cleared after a general-detect #DB (DR6.BD), as the CPU's
 * own delivery would leave them.
 */
void child_db_deliver_state(u64 dr6, u64 *rflags, u64 *dr7);
/* The bytes at CS:RIP into x->insn / insn_len, through the child's page tables and GPA map (0 bytes if none). */
void child_fetch_insn(struct vp *vp, struct raum_vp_exit *x);
/*
 * A child's RDMSR / WRMSR of IA32_TSC_AUX (0xc0000103), for both run loops:
 * its own value, live in the MSR while it is dispatched (RDTSCP and RDPID
 * read it without an exit). #GP where the CPU has no TSC_AUX or for bits
 * 63:32.
 */
#define MSR_TSC_AUX 0xc0000103
enum exit_action child_tsc_aux_msr(struct vp *vp, bool write);
/* Finalize (kernel/partmem.c, partition busy, unlocked): every VP's pages back into the pool. */
void child_vps_release(struct partition *p);

/* For the vendors' child run loops. */
u64 child_xcr0_supported(void);
enum exit_action child_xsetbv(struct vp *vp);
/* Refills the return stack buffer after a child's exit (before Raum's first RET that matters). */
void child_rsb_fill(void);

#endif
