// SPDX-License-Identifier: MIT
/*
 * How Raum switches IA32_SPEC_CTRL on this CPU, and Raum's own value
 * (include/raum/specctrl.h). Pure: unit-tested in tests/unit/test_specctrl.c.
 */
#include <raum/specctrl.h>

/* SPEC_CTRL exists when any of its controls is enumerated (SDM vol. 4 table 2-2; APM vol. 3 CPUID 8000_0008). */
static bool has_spec_ctrl(const struct spec_ctrl_cpu *c)
{
	if (c->l7_edx & (CPUID_7_EDX_IBRS_IBPB | CPUID_7_EDX_STIBP | CPUID_7_EDX_SSBD))
		return true;
	return c->amd && (c->e8_ebx & (CPUID_E8_EBX_IBRS | CPUID_E8_EBX_STIBP | CPUID_E8_EBX_SSBD));
}

void spec_ctrl_decide(const struct spec_ctrl_cpu *c, struct spec_ctrl_plan *p)
{
	*p = (struct spec_ctrl_plan){ .mode = SPEC_CTRL_ABSENT };
	/* an MSR that does not read is treated as absent, whatever CPUID says (an emulator, a quirk) */
	if (!has_spec_ctrl(c) || !c->fw_readable)
		return;
	p->root = c->fw;
	p->raum = c->fw;
	/* enhanced IBRS: IBRS set once protects Raum from the root's training (Intel only: AMD uses EFER.AIBRSE) */
	if (!c->amd && (c->l7_edx & CPUID_7_EDX_ARCH_CAP) && (c->arch_cap & ARCH_CAP_IBRS_ALL))
		p->raum |= SPEC_CTRL_IBRS;
	p->mode = (c->amd && (c->ea_edx & CPUID_EA_EDX_V_SPEC_CTRL)) ? SPEC_CTRL_VMCB : SPEC_CTRL_SWITCH;
}
