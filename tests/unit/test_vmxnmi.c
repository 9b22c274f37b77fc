// SPDX-License-Identifier: MIT
/*
 * vmx/nmi.c: the NMI decision before a VT-x entry, for every combination of
 * pending count (0-4), interruptibility state (STI, MOV-SS, NMI blocking),
 * event already in the entry interruption field (none, NMI, external
 * interrupt, exception) and NMI-window exit or not. The properties are the
 * SDM's rules (vol. 3C 27.3.1.5, 26.7.6, 25.4.2) and hardware's one
 * latched NMI; a few cases are spelled out.
 */
#include "unit.h"

#include "../../vmx/nmi.h"
#include "../../vmx/vmcs.h"

#define NMI_INFO (2u | (INTR_TYPE_NMI << INTR_INFO_TYPE_SHIFT) | INTR_INFO_VALID)
#define EXT_INFO (0x30u | (INTR_TYPE_EXT << INTR_INFO_TYPE_SHIFT) | INTR_INFO_VALID)
#define EXC_INFO (14u | (INTR_TYPE_HW_EXC << INTR_INFO_TYPE_SHIFT) | INTR_INFO_VALID)

static const u32 infos[] = { 0, NMI_INFO, EXT_INFO, EXC_INFO, NMI_INFO & ~INTR_INFO_VALID };

static void test_every_combination(void **state)
{
	(void)state;
	unsigned n = 0;

	for (u32 pending = 0; pending <= 4; pending++)
		for (u32 intr = 0; intr < 16; intr++) {
			if (intr & BIT(2))
				continue; /* bit 2 (SMI blocking) is not Raum's business */
			for (size_t i = 0; i < ARRAY_SIZE(infos); i++)
				for (int w = 0; w < 2; w++) {
					u32 info = infos[i];
					bool valid = info & INTR_INFO_VALID;
					bool nmi_in_service = (intr & INTR_BLOCK_NMI) || info == NMI_INFO;
					struct vmx_nmi_decision d = vmx_nmi_decide(pending, intr, info, w);
					bool inject = d.action == VMX_NMI_INJECT || d.action == VMX_NMI_INJECT_UNBLOCK_STI;
					u32 held = d.pending + (inject ? 1 : 0);
					n++;

					/* capped: one latched behind one in service, else two */
					assert_true(held <= (nmi_in_service ? 1u : 2u));
					assert_int_equal(held, pending < (nmi_in_service ? 1u : 2u)
								       ? pending : (nmi_in_service ? 1u : 2u));
					/* nothing to do only when nothing is held, and then the window is closed */
					assert_int_equal(d.action == VMX_NMI_NONE, pending == 0);
					if (d.action == VMX_NMI_NONE)
						assert_false(d.window);
					/* never stranded: whatever stays pending has the window open */
					if (d.pending)
						assert_true(d.window);
					if (d.action == VMX_NMI_WINDOW)
						assert_true(d.window && d.pending > 0);
					if (inject) {
						/* one event per entry; never with NMI or MOV-SS blocking (27.3.1.5) */
						assert_false(valid);
						assert_false(intr & (INTR_BLOCK_NMI | INTR_BLOCK_MOV_SS));
						/* under STI blocking only after the CPU gave a window there, and then unblocked */
						if (intr & INTR_BLOCK_STI) {
							assert_true(w);
							assert_int_equal(d.action, VMX_NMI_INJECT_UNBLOCK_STI);
						} else {
							assert_int_equal(d.action, VMX_NMI_INJECT);
						}
					} else if (pending) {
						/* it waits only for a reason */
						assert_true(valid || (intr & (INTR_BLOCK_NMI | INTR_BLOCK_MOV_SS)) ||
							    ((intr & INTR_BLOCK_STI) && !w));
					}
				}
		}
	assert_int_equal(n, 5 * 8 * ARRAY_SIZE(infos) * 2);
}

static void test_cases(void **state)
{
	(void)state;
	struct vmx_nmi_decision d;

	/* the common case */
	d = vmx_nmi_decide(0, 0, 0, false);
	assert_int_equal(d.action, VMX_NMI_NONE);
	/* one NMI, root open: injected, window closed */
	d = vmx_nmi_decide(1, 0, 0, false);
	assert_int_equal(d.action, VMX_NMI_INJECT);
	assert_int_equal(d.pending, 0);
	assert_false(d.window);
	/* two: one injected, one waits for the root's IRET */
	d = vmx_nmi_decide(2, 0, 0, false);
	assert_int_equal(d.action, VMX_NMI_INJECT);
	assert_int_equal(d.pending, 1);
	assert_true(d.window);
	/* a storm while the root handles one: one kept */
	d = vmx_nmi_decide(1000, INTR_BLOCK_NMI, 0, false);
	assert_int_equal(d.action, VMX_NMI_WINDOW);
	assert_int_equal(d.pending, 1);
	/* a storm with the root open: two kept, one injected */
	d = vmx_nmi_decide(0xffffffffu, 0, 0, false);
	assert_int_equal(d.action, VMX_NMI_INJECT);
	assert_int_equal(d.pending, 1);
	/* STI blocking: wait (the old code injected here) */
	d = vmx_nmi_decide(1, INTR_BLOCK_STI, 0, false);
	assert_int_equal(d.action, VMX_NMI_WINDOW);
	assert_true(d.window);
	/* the CPU gave the window under STI blocking: inject, STI blocking cleared */
	d = vmx_nmi_decide(1, INTR_BLOCK_STI, 0, true);
	assert_int_equal(d.action, VMX_NMI_INJECT_UNBLOCK_STI);
	assert_false(d.window);
	/* an NMI re-injected: a second one waits, a third is dropped */
	d = vmx_nmi_decide(2, 0, NMI_INFO, false);
	assert_int_equal(d.action, VMX_NMI_WINDOW);
	assert_int_equal(d.pending, 1);
	/* MOV-SS blocking, an exception being re-injected: wait */
	assert_int_equal(vmx_nmi_decide(1, INTR_BLOCK_MOV_SS, 0, true).action, VMX_NMI_WINDOW);
	assert_int_equal(vmx_nmi_decide(1, 0, EXC_INFO, true).action, VMX_NMI_WINDOW);
}

static void test_limit(void **state)
{
	(void)state;
	assert_int_equal(vmx_nmi_limit(0, 0), 2);
	assert_int_equal(vmx_nmi_limit(INTR_BLOCK_STI | INTR_BLOCK_MOV_SS, EXT_INFO), 2);
	assert_int_equal(vmx_nmi_limit(INTR_BLOCK_NMI, 0), 1);
	assert_int_equal(vmx_nmi_limit(0, NMI_INFO), 1);
	assert_int_equal(vmx_nmi_limit(0, NMI_INFO & ~INTR_INFO_VALID), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_combination),
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_limit),
	};
	return cmocka_run_group_tests_name("vmxnmi", tests, NULL, NULL) ? 1 : 0;
}
