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

struct svm_vp {
	struct vp vp;        /* first: generic code sees only this */
	u64 vmcb_phys;
	u64 host_vmcb_phys;
	struct vmcb *vmcb;
	struct svm_cpu *cpu;
	struct asid_vp asid;
	u64 hsave_shadow;    /* what the root wrote to VM_HSAVE_PA (ignored) */
	/*
	 * The root's DEBUGCTL without LBR virtualization: svm_run clears the
	 * register after each exit and writes this back before VMRUN, each only
	 * when it is not 0 (svm/dbgpmu.c). Always 0 with LbrVirt (then the VMCB's).
	 */
	u64 dbgctl;
	bool lbrv;           /* LBR virtualization on: DEBUGCTL lives in the VMCB */
	u64 perf_ctl[6];     /* PerfEvtSel0-5 as the root wrote them (svm/perfctl.h) */
};

static inline struct svm_vp *to_svm(struct vp *vp) { return container_of(vp, struct svm_vp, vp); }

/* svm/vmrun.S: enters the guest and loops over exits; never returns. */
__noreturn void svm_run(struct svm_vp *s);
/* Called by svm_run after every #VMEXIT, with the guest's GPRs in s->vp.gpr. */
void svm_handle_exit(struct svm_vp *s);

#endif
