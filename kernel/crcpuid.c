// SPDX-License-Identifier: MIT
/* The CPUID words the CR0 / CR4 / EFER rules read (include/raum/crrules.h), from this CPU. */
#include <raum/crrules.h>
#include <raum/x86.h>

void cr_cpuid_read(struct cr_cpuid *c)
{
	struct cpuid_regs r = cpuid(0, 0);
	u32 max = r.eax;

	*c = (struct cr_cpuid){ 0 };
	/* "AuthenticAMD" / "HygonGenuine": EBX "Auth" / "Hygo" */
	c->amd = r.ebx == 0x68747541 || r.ebx == 0x6f677948;
	if (max >= 1) {
		r = cpuid(1, 0);
		c->l1_ecx = r.ecx;
		c->l1_edx = r.edx;
	}
	if (max >= 7) {
		r = cpuid(7, 0);
		c->l7_ebx = r.ebx;
		c->l7_ecx = r.ecx;
		c->l7_edx = r.edx;
		if (r.eax >= 1)
			c->l7s1_eax = cpuid(7, 1).eax;
	}
	u32 emax = cpuid(0x80000000, 0).eax;
	if (emax >= 0x80000001) {
		r = cpuid(0x80000001, 0);
		c->e1_ecx = r.ecx;
		c->e1_edx = r.edx;
	}
	if (emax >= 0x80000008)
		c->e8_ebx = cpuid(0x80000008, 0).ebx;
	if (emax >= 0x80000021)
		c->e21_eax = cpuid(0x80000021, 0).eax;
}
