// SPDX-License-Identifier: MIT
/*
 * Reads the CPUID leaves and MSRs that memcrypt_check() decides from
 * (include/raum/memcrypt.h). Used by the loader (through boot/probe.c) and
 * by the hypervisor, so both decide from the same values. An MSR is read
 * only when CPUID says it exists: a read of an absent MSR raises #GP.
 */
#include <raum/memcrypt.h>
#include <raum/x86.h>

void memcrypt_probe_cpu(struct memcrypt_probe *p)
{
	struct cpuid_regs r = cpuid(0, 0);
	u32 max_leaf = r.eax, max_ext;

	*p = (struct memcrypt_probe){ 0 };
	/* "GenuineIntel" / "AuthenticAMD": EBX holds "Genu" / "Auth" */
	if (r.ebx == 0x756e6547 && r.edx == 0x49656e69 && r.ecx == 0x6c65746e)
		p->vendor = RAUM_VENDOR_INTEL;
	else if (r.ebx == 0x68747541 && r.edx == 0x69746e65 && r.ecx == 0x444d4163)
		p->vendor = RAUM_VENDOR_AMD;
	max_ext = cpuid(0x80000000, 0).eax;
	if (max_ext >= 0x80000008) {
		p->e8_valid = true;
		p->e8_eax = cpuid(0x80000008, 0).eax;
	}
	if (p->vendor == RAUM_VENDOR_AMD && max_ext >= 0x8000001f && max_ext <= 0x800000ff) {
		r = cpuid(0x8000001f, 0);
		p->e1f_valid = true;
		p->e1f_eax = r.eax;
		p->e1f_ebx = r.ebx;
		/* SYSCFG exists on every CPU with these (APM vol. 2 7.10.2; Linux reads it so) */
		if (r.eax & (CPUID_8000001F_EAX_SME | CPUID_8000001F_EAX_SEV | CPUID_8000001F_EAX_SNP)) {
			p->syscfg = rdmsr(MSR_AMD64_SYSCFG);
			p->syscfg_valid = true;
		}
	}
	if (p->vendor == RAUM_VENDOR_INTEL && max_leaf >= 7) {
		p->c7_ecx = cpuid(7, 0).ecx;
		p->c7_valid = true;
		if (p->c7_ecx & CPUID7_ECX_TME) {
			p->tme_activate = rdmsr(MSR_IA32_TME_ACTIVATE);
			p->tme_valid = true;
		}
	}
}
