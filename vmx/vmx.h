/* SPDX-License-Identifier: MIT */
/* Intel VT-x backend: private state shared by vmx.c and vmrun.S (via asm-offsets). */
#ifndef RAUM_VMX_VMX_H
#define RAUM_VMX_VMX_H

#include <raum/vp.h>

#include "caps.h"

struct vmx_cpu {
	u64 vmxon_phys;
	u64 cr0_before, cr4_before;
};

struct vmx_vp {
	struct vp vp;       /* first: generic code sees only this */
	u64 vmcs_phys;
	u8 launched;        /* VMLAUNCH done: VMRESUME from now on */
	u16 vpid;
	u32 nmi_pending;    /* NMIs for the guest not yet injected: at most 2 (vmx_nmi_limit) */
	bool nmi_window;    /* NMI-window exiting is on */
	u32 *host_nmi_pending; /* this CPU's struct cpu nmi_pending: NMIs that hit Raum's IDT */
	u32 entry_ctls;     /* the VM-entry controls now programmed (IA-32e mode follows the guest) */
};

static inline struct vmx_vp *to_vmx(struct vp *vp) { return container_of(vp, struct vmx_vp, vp); }

__noreturn void vmx_run(struct vmx_vp *x);
void vmx_exit_entry(void);
void vmx_handle_exit(struct vmx_vp *x);
/* Called by vmx_run when NMIs reached Raum after vmx_handle_exit took them. */
void vmx_late_nmis(struct vmx_vp *x);
__noreturn void vmx_entry_failed(struct vmx_vp *x, u64 rflags);

#endif
