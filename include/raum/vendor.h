/* SPDX-License-Identifier: MIT */
/*
 * The vendor backend: one ops table, filled by svm/ or vmx/, chosen once at
 * boot (as Xen's hvm_funcs and KVM's kvm_x86_ops). Common code calls the
 * inline wrappers below, never the table directly. Vendor code decodes,
 * common code (kernel/) handles.
 *
 * Each op lands together with its implementation; vendor_select refuses a
 * table with a hole.
 */
#ifndef RAUM_VENDOR_H
#define RAUM_VENDOR_H

#include <raum/bootinfo.h>
#include <raum/cpu.h>
#include <raum/fwctx.h>
#include <raum/slat.h>
#include <raum/vp.h>

struct vendor_ops {
	const char *name; /* "svm" or "vmx" */
	u32 vendor;       /* enum raum_vendor it serves */
	/* Turns the virtualization extension on for this CPU (EFER.SVME / VMXON). */
	int (*cpu_enable)(struct cpu *c);
	/* Turns it off again and releases what cpu_enable took. */
	void (*cpu_disable)(struct cpu *c);
	/*
	 * Decides whether this CPU can run the root (VT-x: the controls from the
	 * capability MSRs) and whether the SLAT may use 1 GiB leaves. Returns 0
	 * or -RAUM_ENODEV, having logged the reason.
	 */
	int (*prepare)(bool *slat_1g);
	/*
	 * Builds p->slat as an identity map of the k ranges (read, write,
	 * execute), in the vendor's format: NPT, or EPT with memory types from
	 * the MTRRs. page1g: the host's 1 GiB page support (NPT's rule).
	 */
	int (*slat_build_root)(struct partition *p, const struct slat_range *r, int k, bool slat_1g);
	/*
	 * Allocates a zeroed partition embedded in the vendor's own object
	 * (struct svm_partition, struct vmx_partition); partition_finalize then
	 * builds what the vendor derives from it (MSR / I/O bitmaps, EPTP,
	 * controls) once its SLAT exists.
	 */
	int (*partition_alloc)(struct partition **out);
	int (*partition_finalize)(struct partition *p);
	/*
	 * The VP lifecycle, in KVM's shape (kernel/vp.c checks each call with
	 * vp_life_step first). vp_create allocates a VP of p with its VMCB or
	 * VMCS, the controls from p; vp_destroy frees it (never loaded).
	 * vp_load makes it current on this CPU (VMPTRLD; the VMCB, its ASID and
	 * the host save area on AMD), vp_put the opposite (VMCLEAR: the VP may
	 * then load on another CPU). Registers are set and read only while the
	 * VP is loaded on the calling CPU.
	 */
	int (*vp_create)(struct partition *p, u32 index, struct vp **out);
	void (*vp_destroy)(struct vp *vp);
	int (*vp_load)(struct vp *vp, struct cpu *c);
	void (*vp_put)(struct vp *vp);
	int (*vp_set_regs)(struct vp *vp, const struct vp_regs *r);
	void (*vp_get_regs)(struct vp *vp, struct vp_regs *r);
	/*
	 * Enters the guest once and returns after the exit with *e filled
	 * (include/raum/vp.h); vp->gpr, vp->rip hold the guest's registers.
	 */
	void (*vp_run)(struct vp *vp, struct vp_exit *e);
	/*
	 * vp_run and vp_dispatch_inline (include/raum/dispatch.h) in a loop,
	 * until the failure policy stops the VP (the root's never returns).
	 * Called by vp_run_loop with the VP in state RUNNING.
	 */
	void (*run_loop)(struct vp *vp);
	/*
	 * Completes an instruction the dispatcher handled: 'advance' moves RIP
	 * past it (its length from the exit, or decoded where the CPU does not
	 * say); any STI / MOV SS shadow ends; a single-step trap follows when
	 * RFLAGS.TF is set.
	 */
	void (*complete_insn)(struct vp *vp, const struct vp_exit *e, bool advance);
	/* The exits only this vendor has (VPX_VENDOR). */
	enum exit_action (*vendor_exit)(struct vp *vp, struct vp_exit *e);
	/* An MSR the policy gives the vendor (MSR_VENDOR: EFER, VM_CR, FEATURE_CONTROL, DEBUGCTL, ...). */
	enum exit_action (*msr_vendor)(struct vp *vp, u32 msr, bool write);
	/* Guest control state for the common handlers. */
	void (*get_ctrl)(struct vp *vp, struct vp_ctrl *out);
	/* Queues an exception for the next entry (SDM 6.15 / APM 8.2 vectors). */
	void (*inject_exception)(struct vp *vp, u8 vector, bool has_error, u32 error);
	/*
	 * INIT reached the VP (include/raum/smp.h): drops every event in flight
	 * or pending for it (injection, NMI and interrupt windows, STI / MOV SS
	 * blocking, the VT-x activity state) and flushes its TLB tag before the
	 * next entry, as INIT does (SDM vol. 3A 10.1: "the TLBs and BTB are
	 * invalidated").
	 */
	void (*reset_events)(struct vp *vp);
	/*
	 * Child partitions (kernel/childvp.c). child_partition_init, under
	 * partmem's lock at InitializePartition: what the vendor derives for a
	 * child (its MSR / I/O intercepts: everything exits; its CPUID policy).
	 * child_vp_create builds a VP in child_vp_pages zeroed pool pages
	 * (pages[0] holds the vendor's VP object). child_run runs it on this
	 * CPU until an exit the root must see, the root's interrupt, or a
	 * failure, and fills *x; child_complete sets RAX and RIP as an emulated
	 * instruction left them (no STI / MOV SS shadow after it).
	 */
	u32 child_vp_pages;
	int (*child_partition_init)(struct partition *p);
	int (*child_vp_create)(struct partition *p, u32 index, const u64 *pages, struct vp **out);
	void (*child_run)(struct vp *vp, struct cpu *c, struct raum_vp_exit *x);
	void (*child_complete)(struct vp *vp, u64 rax, u64 rip);
	void (*child_set_rdx)(struct vp *vp, u64 rdx);
	/*
	 * Around every access to a child VP's vendor state from the root's
	 * exit handler (may be NULL: AMD needs none). VT-x: child_enter makes
	 * the child's VMCS current on this CPU (VMPTRLD; the first time, its
	 * controls and host state), child_leave VMCLEARs it (so that it can load
	 * on any CPU next) and makes the root's VMCS current again.
	 */
	int (*child_enter)(struct vp *vp);
	void (*child_leave)(struct vp *vp);
	/* A child's registers (may be NULL: vp_get_regs / vp_set_regs serve): VT-x keeps some outside the VMCS. */
	void (*child_get_regs)(struct vp *vp, struct vp_regs *r);
	int (*child_set_regs)(struct vp *vp, const struct vp_regs *r);
	/*
	 * HV_X64_REGISTER_PENDING_INTERRUPTION / INTERRUPT_STATE of a child VP:
	 * set (validated: -RAUM_EINVAL for an event no CPU delivers) or read
	 * into *v. The VP is claimed, not running.
	 */
	int (*child_event)(struct vp *vp, u32 name, bool set, u64 *v);
	/* HV_X64_REGISTER_TSC of a child: the TSC it reads (host TSC + its offset); a set moves the offset. */
	void (*child_tsc)(struct vp *vp, bool set, u64 *v);
	/* hlt_until(word) with NMIs open on this CPU (SVM: STGI around it; VT-x: an IRET first). */
	void (*host_wait)(const u32 *word);
};

extern const struct vendor_ops svm_ops;
extern const struct vendor_ops vmx_ops;

/*
 * Chooses the backend for the CPU vendor and checks that every op is set.
 * Returns 0, or -RAUM_ENODEV for a vendor without a backend.
 */
int vendor_select(u32 vendor);
/* The backend vendor_select chose: set once at boot, read on every exit. */
extern const struct vendor_ops *vendor_ops_current;
static inline const struct vendor_ops *vendor_current(void) { return vendor_ops_current; }

static inline int vendor_cpu_enable(struct cpu *c) { return vendor_current()->cpu_enable(c); }
static inline void vendor_cpu_disable(struct cpu *c) { vendor_current()->cpu_disable(c); }
static inline const char *vendor_name(void) { return vendor_current()->name; }
static inline void vp_get_ctrl(struct vp *vp, struct vp_ctrl *c) { vendor_current()->get_ctrl(vp, c); }
static inline void vp_inject_exception(struct vp *vp, u8 vector, bool has_error, u32 error)
{
	vendor_current()->inject_exception(vp, vector, has_error, error);
}

#endif
