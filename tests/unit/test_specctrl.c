// SPDX-License-Identifier: MIT
/*
 * kernel/specctrl.c: whether Raum switches IA32_SPEC_CTRL, and its own value,
 * from CPUID words as CPUs and the emulators report them.
 */
#include "unit.h"

#include <raum/specctrl.h>

static struct spec_ctrl_plan decide(struct spec_ctrl_cpu c)
{
	struct spec_ctrl_plan p;
	spec_ctrl_decide(&c, &p);
	return p;
}

static void test_absent(void **state)
{
	(void)state;
	/* no control enumerated (an old CPU, or a model without them): nothing to switch */
	struct spec_ctrl_plan p = decide((struct spec_ctrl_cpu){ .fw_readable = true });
	assert_int_equal(p.mode, SPEC_CTRL_ABSENT);
	p = decide((struct spec_ctrl_cpu){ .amd = true, .fw_readable = true });
	assert_int_equal(p.mode, SPEC_CTRL_ABSENT);
	/* the AMD bits mean nothing on Intel */
	p = decide((struct spec_ctrl_cpu){ .e8_ebx = CPUID_E8_EBX_IBRS, .fw_readable = true });
	assert_int_equal(p.mode, SPEC_CTRL_ABSENT);
	/* enumerated, but the MSR faults (an emulator that shows the bit): absent */
	p = decide((struct spec_ctrl_cpu){ .l7_edx = CPUID_7_EDX_IBRS_IBPB, .fw_readable = false });
	assert_int_equal(p.mode, SPEC_CTRL_ABSENT);
}

static void test_intel(void **state)
{
	(void)state;
	const u32 bits[] = { CPUID_7_EDX_IBRS_IBPB, CPUID_7_EDX_STIBP, CPUID_7_EDX_SSBD };
	for (size_t i = 0; i < ARRAY_SIZE(bits); i++) {
		struct spec_ctrl_plan p = decide((struct spec_ctrl_cpu){ .l7_edx = bits[i], .fw_readable = true, .fw = 4 });
		assert_int_equal(p.mode, SPEC_CTRL_SWITCH);
		assert_int_equal(p.root, 4); /* the firmware's value: the root starts with it */
		assert_int_equal(p.raum, 4); /* and Raum keeps it: no enhanced IBRS */
	}
	/* enhanced IBRS (ARCH_CAPABILITIES[1]): Raum sets IBRS for itself */
	struct spec_ctrl_plan p = decide((struct spec_ctrl_cpu){
		.l7_edx = CPUID_7_EDX_IBRS_IBPB | CPUID_7_EDX_ARCH_CAP, .arch_cap = 0x2, .fw_readable = true });
	assert_int_equal(p.mode, SPEC_CTRL_SWITCH);
	assert_int_equal(p.root, 0);
	assert_int_equal(p.raum, SPEC_CTRL_IBRS);
	/* ARCH_CAPABILITIES without IBRS_ALL, or not enumerated: no */
	p = decide((struct spec_ctrl_cpu){ .l7_edx = CPUID_7_EDX_IBRS_IBPB | CPUID_7_EDX_ARCH_CAP, .arch_cap = 0x1,
					   .fw_readable = true });
	assert_int_equal(p.raum, 0);
	p = decide((struct spec_ctrl_cpu){ .l7_edx = CPUID_7_EDX_IBRS_IBPB, .arch_cap = 0x2, .fw_readable = true });
	assert_int_equal(p.raum, 0);
}

static void test_amd(void **state)
{
	(void)state;
	const u32 bits[] = { CPUID_E8_EBX_IBRS, CPUID_E8_EBX_STIBP, CPUID_E8_EBX_SSBD };
	for (size_t i = 0; i < ARRAY_SIZE(bits); i++) {
		struct spec_ctrl_plan p =
			decide((struct spec_ctrl_cpu){ .amd = true, .e8_ebx = bits[i], .fw_readable = true, .fw = 2 });
		assert_int_equal(p.mode, SPEC_CTRL_SWITCH);
		assert_int_equal(p.root, 2);
		assert_int_equal(p.raum, 2); /* AMD: automatic IBRS is EFER's, not SPEC_CTRL's */
	}
	/* Zen 3 and later also enumerate leaf 7 EDX[26] */
	struct spec_ctrl_plan p =
		decide((struct spec_ctrl_cpu){ .amd = true, .l7_edx = CPUID_7_EDX_IBRS_IBPB, .fw_readable = true });
	assert_int_equal(p.mode, SPEC_CTRL_SWITCH);
	/* V_SPEC_CTRL: the VMCB keeps the root's copy */
	p = decide((struct spec_ctrl_cpu){ .amd = true, .e8_ebx = CPUID_E8_EBX_IBRS, .ea_edx = BIT(20),
					   .fw_readable = true, .fw = 1 });
	assert_int_equal(p.mode, SPEC_CTRL_VMCB);
	assert_int_equal(p.root, 1);
	assert_int_equal(p.raum, 1);
	/* 8000_000A EDX[20] on Intel is not V_SPEC_CTRL */
	p = decide((struct spec_ctrl_cpu){ .l7_edx = CPUID_7_EDX_SSBD, .ea_edx = BIT(20), .fw_readable = true });
	assert_int_equal(p.mode, SPEC_CTRL_SWITCH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_absent),
		cmocka_unit_test(test_intel),
		cmocka_unit_test(test_amd),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
