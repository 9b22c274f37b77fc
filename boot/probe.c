// SPDX-License-Identifier: MIT
/*
 * Reads the CPUID leaves and MSRs that boot/hwcheck.c decides from. An MSR
 * is read only when CPUID says it exists: a read of an absent MSR raises
 * #GP, which in the firmware would hang the boot.
 */
#include "probe.h"
#include <raum/x86.h>

static void copy_regs(char *dst, u32 a, u32 b, u32 c)
{
	const u32 r[3] = { a, b, c };
	for (int i = 0; i < 12; i++)
		dst[i] = (char)(r[i / 4] >> (8 * (i % 4)));
	dst[12] = '\0';
}

void hw_probe_cpu(struct hw_probe *p)
{
	struct cpuid_regs r;

	*p = (struct hw_probe){ 0 };
	r = cpuid(0, 0);
	p->max_leaf = r.eax;
	copy_regs(p->vendor, r.ebx, r.edx, r.ecx);
	r = cpuid(1, 0);
	p->c1_ecx = r.ecx;
	p->c1_edx = r.edx;
	p->family = (r.eax >> 8) & 0xf;
	p->model = (r.eax >> 4) & 0xf;
	p->stepping = r.eax & 0xf;
	if (p->family == 0xf)
		p->family += (r.eax >> 20) & 0xff;
	if (p->family >= 6)
		p->model |= ((r.eax >> 16) & 0xf) << 4;
	r = cpuid(0x80000000, 0);
	p->max_ext_leaf = r.eax;
	if (p->max_ext_leaf >= 0x80000001) {
		r = cpuid(0x80000001, 0);
		p->e1_ecx = r.ecx;
		p->e1_edx = r.edx;
	}
	if (p->max_ext_leaf >= 0x80000004) {
		for (u32 i = 0; i < 3; i++) {
			r = cpuid(0x80000002 + i, 0);
			const u32 w[4] = { r.eax, r.ebx, r.ecx, r.edx };
			for (int j = 0; j < 16; j++)
				p->brand[16 * i + j] = (char)(w[j / 4] >> (8 * (j % 4)));
		}
		p->brand[48] = '\0';
	}
	if (p->c1_ecx & CPUID1_ECX_HYPERVISOR) {
		r = cpuid(0x40000000, 0);
		copy_regs(p->hv_sig, r.ebx, r.ecx, r.edx);
	}
	p->cr4 = read_cr4();

	bool intel = p->vendor[0] == 'G'; /* GenuineIntel */
	bool amd = p->vendor[0] == 'A';   /* AuthenticAMD */
	if (intel && (p->c1_ecx & (CPUID1_ECX_VMX | CPUID1_ECX_SMX))) {
		p->featctl = rdmsr(MSR_IA32_FEATURE_CONTROL);
		p->featctl_valid = true;
	}
	if (intel && !(p->e1_edx & CPUID_80000001_EDX_NX) && p->family >= 6) {
		/* only to explain a missing NX: XD_DISABLE hides the CPUID bit */
		p->misc_enable = rdmsr(MSR_IA32_MISC_ENABLE);
		p->misc_enable_valid = true;
	}
	if (intel && (p->c1_ecx & CPUID1_ECX_VMX)) {
		p->vmx_basic = rdmsr(MSR_IA32_VMX_BASIC);
		/* VMX_BASIC bit 55: the TRUE_ capability MSRs exist (SDM vol. 3D A.1) */
		p->vmx_procbased = rdmsr(p->vmx_basic & BIT(55) ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS
							      : MSR_IA32_VMX_PROCBASED_CTLS);
		p->vmx_valid = true;
		if ((p->vmx_procbased >> 32) & VMX_PROC_SECONDARY) {
			p->vmx_procbased2 = rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2);
			p->ctls2_valid = true;
			if ((p->vmx_procbased2 >> 32) & (VMX_PROC2_EPT | VMX_PROC2_VPID)) {
				p->vmx_ept_vpid_cap = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
				p->ept_cap_valid = true;
			}
		}
	}
	if (amd && (p->e1_ecx & CPUID_80000001_ECX_SVM)) {
		p->vm_cr = rdmsr(MSR_VM_CR);
		p->vm_cr_valid = true;
		if (p->max_ext_leaf >= 0x8000000a) {
			r = cpuid(0x8000000a, 0);
			p->svm_rev = r.eax & 0xff;
			p->svm_nasid = r.ebx;
			p->svm_edx = r.edx;
			p->svm_leaf_valid = true;
		}
	}
	memcrypt_probe_cpu(&p->mc);
}
