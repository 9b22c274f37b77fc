/* SPDX-License-Identifier: MIT */
/*
 * Intel VT-x backend: private state shared by vmx.c (enabling, partitions,
 * the VP lifecycle), vmcs.c (building and reading the VMCS), exit.c (exits)
 * and vmrun.S (via asm-offsets).
 */
#ifndef RAUM_VMX_VMX_H
#define RAUM_VMX_VMX_H

#include <raum/vp.h>

#include <raum/asid.h>

#include "caps.h"

struct vmx_cpu {
	u64 vmxon_phys;
	u64 cr0_before, cr4_before;
	struct asid_cpu vpids; /* this CPU's VPIDs (include/raum/asid.h), set up by the first vp_load */
};

/* The partition with its VT-x part (as KVM's kvm_vmx embeds struct kvm). */
struct vmx_partition {
	struct partition p;  /* first */
	u64 eptp;            /* EPT pointer (SDM 25.6.11) of p.slat */
	u64 msr_bitmap_phys; /* from the partition's MSR policy (SDM 25.6.9) */
	u64 io_bitmap_phys;  /* two pages, A then B (SDM 25.6.4): the PCI configuration ports (include/raum/pciio.h) */
	struct vmx_controls ctls; /* the VM-execution, exit and entry controls its VMCSs get */
};

static inline struct vmx_partition *to_vmx_part(struct partition *p) { return container_of(p, struct vmx_partition, p); }

struct vmx_vp {
	struct vp vp;       /* first: generic code sees only this */
	u64 self_phys;      /* where this object lives (vmx_vp_destroy) */
	u64 vmcs_phys;
	u64 host_rsp;       /* HOST_RSP as last written (vmrun.S writes it only when the stack moved) */
	u8 launched;        /* VMLAUNCH done: VMRESUME from now on (VMCLEAR resets it) */
	bool vmcs_ready;    /* controls and host state written (its first vp_load) */
	bool rsp_read;      /* vp.gpr[RSP] was read from the VMCS at this exit: written back before the entry */
	bool window_exit;   /* the last exit was an NMI-window exit */
	struct vmx_cpu *cpu; /* the CPU it is loaded on (vp_load) */
	struct asid_vp vpid; /* its VPID on that CPU and the SLAT generation last flushed for */
	u32 nmi_pending;    /* NMIs for the guest not yet injected: at most 2 (vmx_nmi_limit) */
	bool nmi_window;    /* NMI-window exiting is on */
	u32 *host_nmi_pending; /* the loading CPU's struct cpu nmi_pending: NMIs that hit Raum's IDT */
	u32 entry_ctls;     /* the VM-entry controls now programmed (IA-32e mode follows the guest) */
	u64 fail_rflags;    /* RFLAGS after a failed VMLAUNCH / VMRESUME (vmrun.S) */
	/*
	 * A child's VP (vmx/exit.c, vmx_child_*): the state the VMCS does not
	 * hold, live in the CPU only while it is dispatched (for the root's VPs
	 * the CPU's registers are theirs), and its pending external interrupt.
	 */
	u64 child_msr[5];   /* STAR, LSTAR, CSTAR, SFMASK, KERNEL_GS_BASE */
	u64 child_cr2, child_dr6;
	u8 child_cr8;       /* its task priority: MOV CR8 exits (CR8-load / -store exiting), never the APIC's TPR */
	u16 child_irq;      /* bit 8: an external interrupt waits for the window; bits 7:0 its vector */
	struct vp *saved_loaded; /* child_enter: the VP that was loaded on this CPU (the root's) */
	u64 saved_vmcs;     /* its VMCS, made current again by child_leave */
};

static inline struct vmx_vp *to_vmx(struct vp *vp) { return container_of(vp, struct vmx_vp, vp); }

/*
 * VMREAD and VMWRITE act on the VMCS current on this CPU (SDM vol. 3C
 * 25.11.3), whatever VP the caller means: every accessor that takes a VP
 * checks first that its VMCS is the current one (the VP is loaded here,
 * kernel/vp.c). A mismatch is Raum's bug, never the guest's: panic rather
 * than read or write another VP's state.
 */
void vmx_not_current(const struct vp *vp) __attribute__((noreturn, cold));
static inline void vmx_check_current(const struct vp *vp)
{
	if (__builtin_expect(this_cpu()->loaded_vp != vp, 0))
		vmx_not_current(vp);
}

/* The capability MSRs (read once, by vmx_prepare) and what follows from them. */
extern struct vmx_caps_msrs vmx_caps;
extern u64 vmx_cr4_root_reserved; /* CR4 bits reserved on this CPU: MOV to CR4 with one raises #GP */

/* vmx/vmrun.S: enters the guest once. */
#define VMX_ENTER_EXITED 0      /* a VM exit: the guest's GPRs are in x->vp.gpr */
#define VMX_ENTER_NMI 1         /* not entered: NMIs reached Raum since the last check (deliver_nmis_slow) */
#define VMX_ENTER_FAILED 2      /* VMLAUNCH / VMRESUME failed: x->fail_rflags says how (SDM 31.2) */
/* Not a C function: called only through vmx_enter_call (vmx/exit.c), which declares what it clobbers. */
void vmx_enter(void);
void vmx_exit_entry(void);

/* vmx/vmcs.c */
u64 vmx_cr0_guest_mask(void);
u64 vmx_cr0_real(u64 guest);
u64 vmx_cr4_guest_mask(void);
u64 vmx_cr4_real(u64 guest);
void vmx_msr_bitmap_set(void *ctx, u32 msr, bool rd, bool wr);
/* The controls and host state of a new VMCS (current on this CPU). */
int vmx_vmcs_init(struct vmx_vp *x, struct cpu *c);
/* The host state that depends on the CPU (TR, GDTR base): written by vp_load. */
int vmx_vmcs_host_cpu(struct cpu *c);
int vmx_vp_set_regs(struct vp *vp, const struct vp_regs *r);
void vmx_vp_get_regs(struct vp *vp, struct vp_regs *r);
void vmx_get_ctrl(struct vp *vp, struct vp_ctrl *c);
void vmx_inject_exception(struct vp *vp, u8 vector, bool has_error, u32 error);
/* The segment register i (VP_ES .. VP_TR) in the VMCS's access-rights form. */
void vmx_write_seg(int i, const struct vp_seg *s);
struct vp_seg vmx_read_seg(int i);
/* Names the rule a failed entry broke into why (the CPU says only which class of state was wrong). */
void vmx_explain_entry_failure(struct vmx_vp *x, const char *what, char *why, size_t n);

/* vmx/exit.c */
void vmx_vp_run(struct vp *vp, struct vp_exit *e);
void vmx_run_loop(struct vp *vp);
void vmx_complete_insn(struct vp *vp, const struct vp_exit *e, bool advance);
enum exit_action vmx_vendor_exit(struct vp *vp, struct vp_exit *e);
enum exit_action vmx_msr_vendor(struct vp *vp, u32 msr, bool write);
/* Child partitions (vmx/exit.c). */
void vmx_child_run(struct vp *vp, struct cpu *c, struct raum_vp_exit *x);
int vmx_child_event(struct vp *vp, u32 name, bool set, u64 *v);
void vmx_child_complete(struct vp *vp, u64 rax, u64 rip);
/* Drops the guest's cached linear translations after Raum changed CR0 / CR4 / CR3 for it. */
void vmx_flush_guest_tlb(struct vmx_vp *x);

#endif
