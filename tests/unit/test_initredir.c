// SPDX-License-Identifier: MIT
/*
 * svm/initredir.c: the VM_CR.R_INIT decision (APM vol. 2 15.29, 15.30.1),
 * from VM_CR values as CPUs and emulators report them. QEMU 7.2 TCG does
 * not model R_INIT (reads 0, ignores the write), so this is the only test
 * of the decision; the intercept bit and exit code are checked against the
 * manual's encodings here too.
 */
#include "unit.h"

#include "../../svm/initredir.h"
#include "../../svm/vmcb.h"

#define VM_CR_LOCK BIT(3)
#define VM_CR_SVMDIS BIT(4)

static void test_encodings(void **state)
{
	(void)state;
	/* APM table B-1: intercept vector at 0x00c, INIT is bit 3; table C-1: VMEXIT_INIT is 0x63 */
	assert_int_equal(SVM_INTERCEPT_INIT, 1u << 3);
	assert_int_equal(SVM_EXIT_INIT, 0x63);
	/* APM 15.30.1: VM_CR bit 1 is R_INIT */
	assert_int_equal(VM_CR_R_INIT, 2);
}

static void test_sets_r_init_keeps_the_rest(void **state)
{
	(void)state;
	/* recorded: QEMU 7.2 TCG -cpu EPYC reads 0; firmware that locked SVM on reads LOCK (0x8) */
	static const u64 read[] = { 0, VM_CR_LOCK, VM_CR_LOCK | VM_CR_DIS_A20M, VM_CR_DPD, 1ull << 40 };
	for (size_t i = 0; i < sizeof(read) / sizeof(read[0]); i++) {
		u64 w = 0;
		assert_int_equal(svm_r_init_plan(0, read[i], &w), R_INIT_WRITE);
		assert_int_equal(w, read[i] | VM_CR_R_INIT);
	}
}

static void test_already_set_writes_nothing(void **state)
{
	(void)state;
	u64 w = 0;
	assert_int_equal(svm_r_init_plan(0, VM_CR_LOCK | VM_CR_R_INIT, &w), R_INIT_ALREADY);
	assert_int_equal(w, VM_CR_LOCK | VM_CR_R_INIT);
}

static void test_unreadable_vm_cr(void **state)
{
	(void)state;
	u64 w = 0;
	/* a #GP on the read (a hypervisor below that hides VM_CR): nothing is written */
	assert_int_equal(svm_r_init_plan(-RAUM_EIO, 0x1234, &w), R_INIT_NO_MSR);
}

static void test_read_back(void **state)
{
	(void)state;
	/* hardware keeps the bit; QEMU 7.2 reads 0 after the write; a faulting read-back means not set */
	assert_true(svm_r_init_took(0, VM_CR_LOCK | VM_CR_R_INIT));
	assert_false(svm_r_init_took(0, 0));
	assert_false(svm_r_init_took(0, VM_CR_LOCK | VM_CR_SVMDIS));
	assert_false(svm_r_init_took(-RAUM_EIO, VM_CR_R_INIT));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encodings),
		cmocka_unit_test(test_sets_r_init_keeps_the_rest),
		cmocka_unit_test(test_already_set_writes_nothing),
		cmocka_unit_test(test_unreadable_vm_cr),
		cmocka_unit_test(test_read_back),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
