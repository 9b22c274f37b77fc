// SPDX-License-Identifier: MIT
/*
 * svm/check.c: the VMRUN consistency checks (AMD APM vol. 2 15.5.1) Raum
 * runs in software to name why VMRUN refused a VMCB. A valid long-mode
 * VMCB like the late launch builds passes; each rule broken alone fails
 * with its own sentence.
 */
#include "unit.h"

#include <string.h>

#include "../../svm/check.h"

static struct vmcb vmcb;

static void valid(void)
{
	memset(&vmcb, 0, sizeof(vmcb));
	vmcb.control.intercept_misc2 = BIT(0) | BIT(1); /* VMRUN, VMMCALL */
	vmcb.control.guest_asid = 1;
	vmcb.save.efer = 0xd00 | BIT(12);               /* LME LMA NXE SVME */
	vmcb.save.cr0 = 0x80010033;
	vmcb.save.cr3 = 0x1f801000;
	vmcb.save.cr4 = 0x668;
	vmcb.save.dr6 = 0xffff0ff0;
	vmcb.save.dr7 = 0x400;
	vmcb.save.cs.attrib = 0x29b;                    /* P, code, L */
}

static void expect(const char *needle)
{
	const char *why = svm_check_vmcb(&vmcb);
	assert_non_null(why);
	if (!strstr(why, needle))
		fail_msg("'%s' does not name '%s'", why, needle);
}

static void test_valid_passes(void **state)
{
	(void)state;
	valid();
	assert_null(svm_check_vmcb(&vmcb));
	/* a 32-bit protected-mode guest (no LME) with CS.D passes too */
	vmcb.save.efer = BIT(12);
	vmcb.save.cr0 = 0x11;
	vmcb.save.cs.attrib = 0x49b;
	assert_null(svm_check_vmcb(&vmcb));
}

static void test_each_rule(void **state)
{
	(void)state;
	valid(); vmcb.save.efer &= ~BIT(12); expect("SVME");
	valid(); vmcb.save.efer |= BIT(1); expect("EFER has a reserved bit");
	valid(); vmcb.save.cr0 |= BIT(29); expect("CR0.NW");
	valid(); vmcb.save.cr0 |= BIT(29) | BIT(30); assert_null(svm_check_vmcb(&vmcb)); /* NW with CD is legal */
	valid(); vmcb.save.cr0 |= 1ULL << 32; expect("CR0 bits 63:32");
	valid(); vmcb.save.cr3 |= 1ULL << 60; expect("CR3");
	valid(); vmcb.save.cr4 |= BIT(15); expect("CR4 has a reserved bit");
	valid(); vmcb.save.dr6 |= 1ULL << 40; expect("DR6");
	valid(); vmcb.save.dr7 |= 1ULL << 40; expect("DR7");
	valid(); vmcb.save.cr4 &= ~BIT(5); expect("CR4.PAE");
	valid(); vmcb.save.cr0 &= ~1ULL; expect("CR0.PE");
	valid(); vmcb.save.cs.attrib |= BIT(10); expect("CS.L and CS.D");
	valid(); vmcb.control.intercept_misc2 &= ~BIT(0); expect("VMRUN intercept");
	valid(); vmcb.control.guest_asid = 0; expect("ASID is 0");
	valid(); vmcb.control.eventinj = BIT(31) | (1 << 8) | 32; expect("reserved type 1");
	valid(); vmcb.control.eventinj = BIT(31) | (3 << 8) | 13; assert_null(svm_check_vmcb(&vmcb));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_passes),
		cmocka_unit_test(test_each_rule),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
