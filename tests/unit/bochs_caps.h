/* SPDX-License-Identifier: MIT */
/*
 * VT-x capability MSRs recorded on Bochs 2.7 (../shared/PLATFORM.md), shared
 * by the unit tests that decide controls from them (test_vmxcaps, test_cpuid).
 * corei7_skylake_x has the TRUE_* controls (VMX_BASIC bit 55 set); tigerlake
 * differs in VMX_BASIC, the secondary controls and EPT/VPID capabilities.
 */
#ifndef RAUM_TESTS_BOCHS_CAPS_H
#define RAUM_TESTS_BOCHS_CAPS_H

#include "../../vmx/caps.h"

static inline struct vmx_caps_msrs skylake_x(void)
{
	return (struct vmx_caps_msrs){
		.basic = 0x00d810000000002bULL,
		.pinbased = 0x0000007f00000016ULL,
		.procbased = 0xf7f9fffe04006172ULL,
		.procbased2 = 0x02177fff00000000ULL,
		.exit = 0x007fffff00036dfbULL,
		.entry = 0x0000ffff000011fbULL,
		.misc = 0x00000000600401e0ULL,
		.cr0_fixed0 = 0x80000021ULL,
		.cr0_fixed1 = 0xffffffffULL,
		.cr4_fixed0 = 0x2000ULL,
		.cr4_fixed1 = 0x3727ffULL,
		.ept_vpid_cap = 0x00000f0106334141ULL,
	};
}

static inline struct vmx_caps_msrs tigerlake(void)
{
	struct vmx_caps_msrs m = skylake_x();
	m.basic = 0x01d8100000000004ULL;
	m.procbased2 = 0x02977fff00000000ULL;
	m.ept_vpid_cap = 0x00000f0106b34141ULL;
	return m;
}

#endif
