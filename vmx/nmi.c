// SPDX-License-Identifier: MIT
/*
 * NMIs for the root under VT-x (SDM vol. 3C 25.6.1 NMI exiting and virtual
 * NMIs, 26.7.6 NMI-window exiting, 27.3.1.5 entry checks on the
 * interruptibility state, 27.6.1 event injection). Every physical NMI
 * exits to Raum (NMI exiting) or hits Raum's IDT while Raum runs
 * (kernel/trap.c); either way it is the root's, and Raum injects it as a
 * virtual NMI when the root can take it. Pure: vmx/vmx.c reads and writes
 * the VMCS around it.
 */
#include "nmi.h"

#include "vmcs.h"

static bool nmi_injecting(u32 entry_intr_info)
{
	return (entry_intr_info & INTR_INFO_VALID) &&
	       ((entry_intr_info >> INTR_INFO_TYPE_SHIFT) & 7) == INTR_TYPE_NMI;
}

u32 vmx_nmi_limit(u32 interruptibility, u32 entry_intr_info)
{
	return ((interruptibility & INTR_BLOCK_NMI) || nmi_injecting(entry_intr_info)) ? 1 : 2;
}

struct vmx_nmi_decision vmx_nmi_decide(u32 pending, u32 interruptibility, u32 entry_intr_info,
				       bool window_exit)
{
	struct vmx_nmi_decision d = { VMX_NMI_NONE, 0, false };
	u32 limit = vmx_nmi_limit(interruptibility, entry_intr_info);

	d.pending = pending < limit ? pending : limit;
	if (d.pending == 0)
		return d;
	/*
	 * Wait for the window when another event is being injected (one event
	 * per entry; the window exit comes after its delivery), when the root
	 * blocks NMIs (virtual-NMI blocking: its handler has not run IRET), or
	 * under MOV-SS blocking (entry refuses an NMI with it, 27.3.1.5).
	 */
	if ((entry_intr_info & INTR_INFO_VALID) || (interruptibility & (INTR_BLOCK_NMI | INTR_BLOCK_MOV_SS))) {
		d.action = VMX_NMI_WINDOW;
		d.window = true;
		return d;
	}
	/*
	 * Blocking by STI: "A processor may require bit 0 (blocking by STI) to
	 * be 0 if the valid bit in the VM-entry interruption-information field
	 * is 1 and the interruption type is NMI" (27.3.1.5), so injecting now
	 * may fail the entry on some CPUs. Wait for the window, as KVM does.
	 * A CPU "may also prevent" the NMI-window exit while STI blocks
	 * (26.7.6); one that does not has just given us a window exit under STI
	 * blocking, so it delivers NMIs in the STI shadow: inject there too,
	 * with the STI blocking cleared (as NMI delivery ends it natively),
	 * rather than exit at the same window again and again.
	 */
	if (interruptibility & INTR_BLOCK_STI) {
		if (!window_exit) {
			d.action = VMX_NMI_WINDOW;
			d.window = true;
			return d;
		}
		d.action = VMX_NMI_INJECT_UNBLOCK_STI;
	} else {
		d.action = VMX_NMI_INJECT;
	}
	/* The injected NMI blocks further ones until the root's IRET: the rest wait for the window. */
	d.pending--;
	d.window = d.pending != 0;
	return d;
}
