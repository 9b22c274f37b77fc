// SPDX-License-Identifier: MIT
/* The intercept suite (intercepts.c): CPUID, the hypervisor bit and leaves, VMX/SVM hidden. */
#include "intercepts.h"

void check_cpuid(void)
{
	UINT32 r[4];

	cpuid(1, 0, r);
	if (r[2] & (1U << 31))
		pass("cpuid.hypervisor_bit");
	else
		fail("cpuid.hypervisor_bit", L"leaf 1 ECX %08x has bit 31 clear", r[2]);

	cpuid(0x40000000, 0, r);
	if (r[1] == RAUM_CPUID_SIGNATURE_EBX && r[2] == RAUM_CPUID_SIGNATURE_ECX && r[3] == RAUM_CPUID_SIGNATURE_EDX &&
	    r[0] >= 0x40000001)
		pass("cpuid.signature");
	else
		fail("cpuid.signature", L"leaf 0x40000000: eax %08x ebx %08x ecx %08x edx %08x", r[0], r[1], r[2], r[3]);

	cpuid(0x40000001, 0, r);
	if (r[0] == ((RAUM_VERSION_MAJOR << 16) | RAUM_VERSION_MINOR))
		pass("cpuid.version");
	else
		fail("cpuid.version", L"leaf 0x40000001 eax %08x, expected %08x", r[0],
		     (RAUM_VERSION_MAJOR << 16) | RAUM_VERSION_MINOR);

	if (vendor == VENDOR_INTEL) {
		cpuid(1, 0, r);
		if (!(r[2] & (1U << 5)))
			pass("cpuid.vmx_hidden");
		else
			fail("cpuid.vmx_hidden", L"leaf 1 ECX %08x has VMX (bit 5) set", r[2]);
		return;
	}

	cpuid(0x80000001, 0, r);
	if (!(r[2] & (1U << 2)))
		pass("cpuid.svm_hidden");
	else
		fail("cpuid.svm_hidden", L"leaf 0x80000001 ECX %08x has SVM (bit 2) set", r[2]);

	cpuid(0x8000000a, 0, r);
	if (!r[0] && !r[1] && !r[2] && !r[3])
		pass("cpuid.svm_leaf_zero");
	else
		fail("cpuid.svm_leaf_zero", L"leaf 0x8000000a: %08x %08x %08x %08x", r[0], r[1], r[2], r[3]);
}
