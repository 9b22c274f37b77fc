// SPDX-License-Identifier: MIT
/* VMRUN consistency checks: see svm/check.h (AMD APM vol. 2 15.5.1). */
#include <raum/x86-regs.h>

#include "check.h"

#define EFER_MBZ 0xffffffffffc902feULL /* reserved bits (APM vol. 2 3.1.7) */
/* CR4 bits the architecture reserves today (APM vol. 2 3.7): 15, 19, 26-63 */
#define CR4_MBZ (BIT(15) | BIT(19) | ~((1ULL << 26) - 1))
#define CR3_MBZ_LONG 0xfff0000000000000ULL /* above the 52-bit address in long mode */
#define SEG_L BIT(9)  /* CS.L in VMCB attribute packing */
#define SEG_D BIT(10) /* CS.D */

const char *svm_check_vmcb(const struct vmcb *v)
{
	const struct vmcb_save *g = &v->save;
	const struct vmcb_control *c = &v->control;

	if (!(g->efer & EFER_SVME))
		return "guest EFER.SVME is 0 (VMRUN requires it set)";
	if (g->efer & EFER_MBZ)
		return "guest EFER has a reserved bit set";
	if (!(g->cr0 & CR0_CD) && (g->cr0 & CR0_NW))
		return "guest CR0.NW is set while CR0.CD is clear";
	if (g->cr0 >> 32)
		return "guest CR0 bits 63:32 are not zero";
	if ((g->efer & EFER_LME) && (g->cr3 & CR3_MBZ_LONG))
		return "guest CR3 has bits above the physical address set";
	if (g->cr4 & CR4_MBZ)
		return "guest CR4 has a reserved bit set";
	if (g->dr6 >> 32)
		return "guest DR6 bits 63:32 are not zero";
	if (g->dr7 >> 32)
		return "guest DR7 bits 63:32 are not zero";
	if ((g->efer & EFER_LME) && (g->cr0 & CR0_PG) && !(g->cr4 & CR4_PAE))
		return "guest EFER.LME and CR0.PG are set but CR4.PAE is clear";
	if ((g->efer & EFER_LME) && (g->cr0 & CR0_PG) && !(g->cr0 & CR0_PE))
		return "guest EFER.LME and CR0.PG are set but CR0.PE is clear";
	if ((g->efer & EFER_LME) && (g->cr0 & CR0_PG) && (g->cr4 & CR4_PAE) && (g->cs.attrib & SEG_L) &&
	    (g->cs.attrib & SEG_D))
		return "guest CS.L and CS.D are both set in long mode";
	if (!(c->intercept_misc2 & BIT(0)))
		return "the VMRUN intercept is clear";
	if (c->guest_asid == 0)
		return "the guest ASID is 0 (the host's)";
	if ((c->eventinj & BIT(31)) && ((c->eventinj >> 8) & 7) == 1)
		return "EVENTINJ has the reserved type 1";
	return NULL;
}
