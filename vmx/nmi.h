/* SPDX-License-Identifier: MIT */
/*
 * The VT-x NMI decision (vmx/nmi.c), pure so tests/unit/test_vmxnmi.c can
 * try every combination: how many NMIs Raum keeps for the root, and whether
 * the next VM entry injects one, opens the NMI window, or does nothing.
 */
#ifndef RAUM_VMX_NMI_H
#define RAUM_VMX_NMI_H

#include <raum/types.h>

/* Guest interruptibility state (SDM vol. 3C 25.4.2, table 25-3). */
#define INTR_BLOCK_STI BIT(0)
#define INTR_BLOCK_MOV_SS BIT(1)
#define INTR_BLOCK_NMI BIT(3)

enum vmx_nmi_action {
	VMX_NMI_NONE,              /* nothing pending: NMI-window exiting off */
	VMX_NMI_INJECT,            /* inject an NMI on this entry */
	VMX_NMI_INJECT_UNBLOCK_STI, /* clear blocking by STI, then inject (see vmx_nmi_decide) */
	VMX_NMI_WINDOW,            /* blocked: NMI-window exiting on, inject at the window */
};

struct vmx_nmi_decision {
	enum vmx_nmi_action action;
	u32 pending;  /* NMIs still held after this entry (the injected one not counted) */
	bool window;  /* NMI-window exiting on for this entry */
};

/*
 * At most how many NMIs the root may have pending: one while an NMI is in
 * service (the root blocks NMIs, or an NMI injection is in flight), two
 * otherwise (one injected at once, one held for the window), as hardware
 * latches one NMI while it handles another (SDM vol. 3A 6.7.1) and KVM's
 * process_nmi keeps them.
 */
u32 vmx_nmi_limit(u32 interruptibility, u32 entry_intr_info);

/*
 * The decision before a VM entry. 'pending': the NMIs queued for the root,
 * the new ones included (capped here with vmx_nmi_limit). 'interruptibility':
 * the guest interruptibility state as the entry will load it.
 * 'entry_intr_info': the VM-entry interruption-information field (an event
 * already being injected, e.g. re-injected after an exit cut its delivery
 * off). 'window_exit': this exit was an NMI-window exit.
 */
struct vmx_nmi_decision vmx_nmi_decide(u32 pending, u32 interruptibility, u32 entry_intr_info,
				       bool window_exit);

#endif
