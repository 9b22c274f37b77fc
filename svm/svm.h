/* SPDX-License-Identifier: MIT */
/* AMD-V backend: private state shared by svm.c, vmrun.S (via asm-offsets) and tests. */
#ifndef RAUM_SVM_SVM_H
#define RAUM_SVM_SVM_H

#include <raum/vp.h>

#include "tlbctl.h"
#include "vmcb.h"

struct svm_cpu {
	u64 hsave_phys;     /* VM_HSAVE_PA: where VMRUN saves host state */
	u64 host_vmcb_phys; /* VMSAVE / VMLOAD area for host FS, GS, TR, LDTR, syscall MSRs */
	u64 efer_before;
	u64 vm_cr_before;   /* VM_CR as the firmware left it, put back if Raum set R_INIT */
	bool r_init_set;    /* Raum wrote VM_CR.R_INIT (svm/initredir.h) */
	struct asid_cpu asid;
};

/* The partition with its AMD-V part (as KVM's kvm_svm embeds struct kvm). */
struct svm_partition {
	struct partition p;  /* first */
	u64 msrpm_phys;      /* MSR permission map (APM 15.11) from the partition's MSR policy */
	u64 iopm_phys;       /* I/O permission map (APM 15.10.1): the PCI configuration ports (include/raum/pciio.h) */
};

static inline struct svm_partition *to_svm_part(struct partition *p) { return container_of(p, struct svm_partition, p); }

/* What the boot CPU's CPUID says, decided once by svm_prepare (every CPU must match it). */
struct svm_caps {
	bool nrips;          /* NRIP_SAVE: the VMCB's next RIP after instruction intercepts (APM 15.7.1) */
	u64 efer_root_writable; /* the EFER bits the root may write; SVME never */
};
extern struct svm_caps svm_caps;

struct svm_vp {
	struct vp vp;        /* first: generic code sees only this */
	u64 self_phys;       /* where this object lives (svm_vp_destroy) */
	u64 vmcb_phys;
	u64 host_vmcb_phys;  /* the loading CPU's host save area (vp_load) */
	struct vmcb *vmcb;
	struct svm_cpu *cpu; /* the CPU it is loaded on (vp_load), else NULL */
	struct asid_vp asid;
	u64 hsave_shadow;    /* what the root wrote to VM_HSAVE_PA (ignored) */
	/*
	 * The root's DEBUGCTL without LBR virtualization: svm_enter clears the
	 * register after each exit and writes this back before VMRUN, each only
	 * when it is not 0 (svm/dbgpmu.c). Always 0 with LbrVirt (then the VMCB's).
	 */
	u64 dbgctl;
	bool lbrv;           /* LBR virtualization on: DEBUGCTL lives in the VMCB */
	u64 perf_ctl[6];     /* PerfEvtSel0-5 as the root wrote them (svm/perfctl.h) */
	/*
	 * The root's NMIs (svm/exit.c): every physical NMI exits (the NMI
	 * intercept: kicks must not reach the root), so Raum injects the
	 * root's itself and keeps the NMI blocking hardware would: set by an
	 * injection, cleared when the root's handler executes IRET (the IRET
	 * intercept, on only meanwhile).
	 */
	bool nmi_masked;
	u32 *host_nmi_pending; /* the loading CPU's struct cpu nmi_pending (vp_load): the root's NMIs Raum took */
	bool nmi_after_iret; /* the IRET exit came first: inject no NMI before the IRET has executed */
};

static inline struct svm_vp *to_svm(struct vp *vp) { return container_of(vp, struct svm_vp, vp); }

/*
 * svm/vmrun.S: enters the guest once (VMLOAD, VMRUN, VMSAVE, the host's
 * VMLOAD) and returns after the #VMEXIT with the guest's GPRs in s->vp.gpr
 * (RAX and RSP are in the VMCB).
 */
void svm_enter(void); /* not a C function: called only through svm_enter_call (svm/exit.c) */

/* svm/exit.c */
void svm_vp_run(struct vp *vp, struct vp_exit *e);
void svm_run_loop(struct vp *vp);
void svm_complete_insn(struct vp *vp, const struct vp_exit *e, bool advance);
enum exit_action svm_vendor_exit(struct vp *vp, struct vp_exit *e);
enum exit_action svm_msr_vendor(struct vp *vp, u32 msr, bool write);
void svm_inject_nmi(struct svm_vp *s);
void svm_child_run(struct vp *vp, struct cpu *c, struct raum_vp_exit *x);
/* svm/svm.c */
void svm_inject_exception(struct vp *vp, u8 vector, bool has_error, u32 error);
void svm_get_ctrl(struct vp *vp, struct vp_ctrl *c);

#endif
