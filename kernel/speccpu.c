// SPDX-License-Identifier: MIT
/* IA32_SPEC_CTRL: this CPU's side of the decision in kernel/specctrl.c (include/raum/specctrl.h). */
#include <raum/log.h>
#include <raum/specctrl.h>
#include <raum/x86.h>

void spec_ctrl_cpu_read(struct spec_ctrl_cpu *c)
{
	struct cpuid_regs r = cpuid(0, 0);
	u32 max = r.eax, emax = cpuid(0x80000000, 0).eax;

	*c = (struct spec_ctrl_cpu){ 0 };
	c->amd = r.ebx == 0x68747541 || r.ebx == 0x6f677948; /* "Auth", "Hygo" */
	if (max >= 7)
		c->l7_edx = cpuid(7, 0).edx;
	if (emax >= 0x80000008)
		c->e8_ebx = cpuid(0x80000008, 0).ebx;
	if (c->amd && emax >= 0x8000000a)
		c->ea_edx = cpuid(0x8000000a, 0).edx;
	if ((c->l7_edx & CPUID_7_EDX_ARCH_CAP) && msr_read_safe(MSR_IA32_ARCH_CAPABILITIES, &c->arch_cap))
		c->arch_cap = 0;
	c->fw_readable = msr_read_safe(MSR_IA32_SPEC_CTRL, &c->fw) == 0;
}

void vp_spec_ctrl_init(struct vp_spec_ctrl *s)
{
	struct spec_ctrl_plan pl, *plan = &pl;
	static const char *const mode[] = { "absent", "switched on exit and entry", "switched by VMRUN (V_SPEC_CTRL)" };
	struct spec_ctrl_cpu c;

	spec_ctrl_cpu_read(&c);
	spec_ctrl_decide(&c, plan);
	*s = (struct vp_spec_ctrl){ .root = plan->root, .raum = plan->raum, .on = plan->mode == SPEC_CTRL_SWITCH,
				    .mode = (u8)plan->mode };
	if (plan->mode == SPEC_CTRL_SWITCH && plan->raum != plan->root && msr_write_safe(MSR_IA32_SPEC_CTRL, plan->raum)) {
		/* Raum's value does not take: keep the firmware's for both (nothing to switch) */
		s->raum = s->root;
		plan->raum = plan->root;
	}
	pr_info("spec_ctrl: %s (CPUID 7 EDX %#x, 8000_0008 EBX %#x); the root's value %#llx, Raum's %#llx",
		mode[plan->mode], c.l7_edx, c.e8_ebx, (unsigned long long)plan->root, (unsigned long long)plan->raum);
}
