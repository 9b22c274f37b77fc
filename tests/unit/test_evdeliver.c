// SPDX-License-Identifier: MIT
/*
 * kernel/evdeliver.c: the fault an event delivery raises when the SLAT
 * refused one of its accesses, for every event type x vector (0-255) x
 * access class, against SDM vol. 3A 6.13 (the EXT bit, the IDT error code)
 * and table 6-5 (serial delivery, #DF, shutdown); the vendor type decoders
 * and a few outcomes spelled out.
 */
#include "unit.h"

#include <raum/evdeliver.h>

static const enum ev_type types[] = { EV_EXTINT, EV_NMI, EV_HW_EXC, EV_SW_INT, EV_PRIV_SW_EXC, EV_SW_EXC };

static void test_every_combination(void **state)
{
	(void)state;
	unsigned n = 0;

	for (size_t t = 0; t < ARRAY_SIZE(types); t++)
		for (unsigned v = 0; v < 256; v++)
			for (int a = EV_ACCESS_GATE; a <= EV_ACCESS_OTHER; a++) {
				enum ev_type ty = types[t];
				struct ev_outcome o = ev_delivery_fault(ty, (u8)v, (enum ev_access)a);
				bool hw = ty == EV_HW_EXC;
				bool contributory = hw && (v == 0 || (v >= 10 && v <= 13));
				bool ext = ty != EV_SW_INT && ty != EV_SW_EXC;
				n++;

				if (hw && v == 8) { /* a fault while delivering #DF: shutdown */
					assert_true(o.shutdown);
					continue;
				}
				assert_false(o.shutdown);
				if (contributory || (hw && v == 14)) { /* contributory or #PF, then #GP: #DF(0) */
					assert_int_equal(o.vector, 8);
					assert_int_equal(o.error, 0);
					continue;
				}
				/* benign: the #GP alone, with the gate's IDT error code or just EXT */
				assert_int_equal(o.vector, 13);
				assert_int_equal(o.error, (a == EV_ACCESS_GATE ? v * 8 + 2 : 0) | (ext ? 1 : 0));
				/* the error code never names a GDT / LDT selector for the gate: IDT bit set */
				if (a == EV_ACCESS_GATE)
					assert_true(o.error & 2);
			}
	assert_int_equal(n, ARRAY_SIZE(types) * 256 * 2);
}

static void test_cases(void **state)
{
	(void)state;
	struct ev_outcome o;

	/* INT 0x40 whose gate is unbacked: #GP(0x202), EXT clear (the hostile suite's case) */
	o = ev_delivery_fault(EV_SW_INT, 0x40, EV_ACCESS_GATE);
	assert_int_equal(o.vector, 13);
	assert_int_equal(o.error, 0x202);
	/* an external interrupt 0x30: #GP(0x183) */
	o = ev_delivery_fault(EV_EXTINT, 0x30, EV_ACCESS_GATE);
	assert_int_equal(o.error, 0x183);
	/* NMI, stack unbacked: #GP(1) */
	o = ev_delivery_fault(EV_NMI, 2, EV_ACCESS_OTHER);
	assert_int_equal(o.vector, 13);
	assert_int_equal(o.error, 1);
	/* #PF or #GP whose gate is unbacked: #DF(0) */
	o = ev_delivery_fault(EV_HW_EXC, 14, EV_ACCESS_GATE);
	assert_int_equal(o.vector, 8);
	o = ev_delivery_fault(EV_HW_EXC, 13, EV_ACCESS_OTHER);
	assert_int_equal(o.vector, 8);
	/* #DF whose delivery faults: triple fault */
	assert_true(ev_delivery_fault(EV_HW_EXC, 8, EV_ACCESS_GATE).shutdown);
	/* INT 8 / INT 13 / INT 14 are software interrupts, not exceptions: no #DF, no shutdown */
	o = ev_delivery_fault(EV_SW_INT, 8, EV_ACCESS_GATE);
	assert_false(o.shutdown);
	assert_int_equal(o.vector, 13);
	assert_int_equal(o.error, 0x42);
	o = ev_delivery_fault(EV_SW_INT, 14, EV_ACCESS_OTHER);
	assert_int_equal(o.vector, 13);
	/* #MF (benign): #GP(16 * 8 + 2 + 1) */
	o = ev_delivery_fault(EV_HW_EXC, 16, EV_ACCESS_GATE);
	assert_int_equal(o.vector, 13);
	assert_int_equal(o.error, 0x83);
	/* INT3: EXT clear; INT1: EXT set */
	assert_int_equal(ev_delivery_fault(EV_SW_EXC, 3, EV_ACCESS_GATE).error, 0x1a);
	assert_int_equal(ev_delivery_fault(EV_PRIV_SW_EXC, 1, EV_ACCESS_GATE).error, 0xb);
}

static void test_classes(void **state)
{
	(void)state;
	for (unsigned v = 0; v < 256; v++) {
		enum ev_class c = ev_class_of(EV_HW_EXC, (u8)v);
		if (v == 0 || (v >= 10 && v <= 13))
			assert_int_equal(c, EV_CONTRIBUTORY);
		else if (v == 14)
			assert_int_equal(c, EV_PAGE_FAULT);
		else if (v == 8)
			assert_int_equal(c, EV_DOUBLE_FAULT);
		else
			assert_int_equal(c, EV_BENIGN);
		for (size_t t = 0; t < ARRAY_SIZE(types); t++)
			if (types[t] != EV_HW_EXC)
				assert_int_equal(ev_class_of(types[t], (u8)v), EV_BENIGN);
	}
}

static void test_vendor_types(void **state)
{
	(void)state;
	/* SVM EXITINTINFO TYPE (APM vol. 2 15.20): 0 INTR, 2 NMI, 3 exception, 4 INTn */
	assert_int_equal(ev_type_svm(0, 0x30), EV_EXTINT);
	assert_int_equal(ev_type_svm(2, 2), EV_NMI);
	assert_int_equal(ev_type_svm(3, 14), EV_HW_EXC);
	assert_int_equal(ev_type_svm(3, 3), EV_SW_EXC);
	assert_int_equal(ev_type_svm(3, 4), EV_SW_EXC);
	assert_int_equal(ev_type_svm(4, 0x80), EV_SW_INT);
	for (u32 t = 5; t < 8; t++)
		assert_int_equal(ev_type_svm(t, 0), EV_EXTINT);
	assert_int_equal(ev_type_svm(1, 0), EV_EXTINT);
	/* VT-x (SDM vol. 3C 25.9.3): 0 ext, 2 NMI, 3 hw exc, 4 sw int, 5 priv sw exc, 6 sw exc */
	assert_int_equal(ev_type_vmx(0), EV_EXTINT);
	assert_int_equal(ev_type_vmx(2), EV_NMI);
	assert_int_equal(ev_type_vmx(3), EV_HW_EXC);
	assert_int_equal(ev_type_vmx(4), EV_SW_INT);
	assert_int_equal(ev_type_vmx(5), EV_PRIV_SW_EXC);
	assert_int_equal(ev_type_vmx(6), EV_SW_EXC);
	assert_int_equal(ev_type_vmx(7), EV_EXTINT);
	/* EXT */
	assert_true(ev_external(EV_EXTINT) && ev_external(EV_NMI) && ev_external(EV_HW_EXC) &&
		    ev_external(EV_PRIV_SW_EXC));
	assert_false(ev_external(EV_SW_INT) || ev_external(EV_SW_EXC));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_combination),
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_classes),
		cmocka_unit_test(test_vendor_types),
	};
	return cmocka_run_group_tests_name("evdeliver", tests, NULL, NULL) ? 1 : 0;
}
