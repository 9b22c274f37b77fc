// SPDX-License-Identifier: MIT
/*
 * kernel/partstate.c: every call in every state, against the table in
 * include/raum/partstate.h written out here independently; then walks
 * through the lifecycle.
 */
#include "unit.h"

#include <hv/abi/hvcall.h>
#include <raum/partstate.h>

#define BAD HV_STATUS_INVALID_PARTITION_STATE

static void test_every_pair(void **state)
{
	(void)state;
	/* expected next state, 0 = refused */
	static const int want[4][POP_COUNT] = {
		[PART_CREATED] = { [POP_INITIALIZE] = PART_ACTIVE, [POP_FINALIZE] = 0, [POP_DELETE] = PART_CREATED,
				   [POP_DEPOSIT] = PART_CREATED, [POP_WITHDRAW] = PART_CREATED, [POP_RUN] = 0 },
		[PART_ACTIVE] = { [POP_INITIALIZE] = 0, [POP_FINALIZE] = PART_FINALIZED, [POP_DELETE] = 0,
				  [POP_DEPOSIT] = PART_ACTIVE, [POP_WITHDRAW] = PART_ACTIVE, [POP_RUN] = PART_ACTIVE },
		[PART_FINALIZED] = { [POP_INITIALIZE] = 0, [POP_FINALIZE] = 0, [POP_DELETE] = PART_FINALIZED,
				     [POP_DEPOSIT] = 0, [POP_WITHDRAW] = PART_FINALIZED, [POP_RUN] = 0 },
	};
	for (int s = PART_CREATED; s <= PART_FINALIZED; s++)
		for (int op = 0; op < POP_COUNT; op++) {
			enum part_state next = (enum part_state)99;
			u16 st = partstate_check((enum part_state)s, (enum part_op)op, &next);
			if (want[s][op]) {
				assert_int_equal(st, HV_STATUS_SUCCESS);
				assert_int_equal(next, want[s][op]);
			} else {
				assert_int_equal(st, BAD);
				assert_int_equal(next, 99); /* untouched */
			}
		}
}

static void test_out_of_range(void **state)
{
	(void)state;
	enum part_state next;
	assert_int_equal(partstate_check((enum part_state)0, POP_DELETE, &next), BAD);
	assert_int_equal(partstate_check((enum part_state)4, POP_DELETE, &next), BAD);
	assert_int_equal(partstate_check((enum part_state)-1, POP_DELETE, &next), BAD);
	assert_int_equal(partstate_check(PART_CREATED, POP_COUNT, &next), BAD);
	assert_int_equal(partstate_check(PART_CREATED, (enum part_op)-1, &next), BAD);
}

static void test_lifecycle(void **state)
{
	(void)state;
	enum part_state s = PART_CREATED;
	assert_int_equal(partstate_check(s, POP_INITIALIZE, &s), HV_STATUS_SUCCESS);
	assert_int_equal(s, PART_ACTIVE);
	assert_int_equal(partstate_check(s, POP_INITIALIZE, &s), BAD); /* twice */
	assert_int_equal(partstate_check(s, POP_DELETE, &s), BAD);     /* live */
	assert_int_equal(partstate_check(s, POP_FINALIZE, &s), HV_STATUS_SUCCESS);
	assert_int_equal(s, PART_FINALIZED);
	assert_int_equal(partstate_check(s, POP_RUN, &s), BAD);
	assert_int_equal(partstate_check(s, POP_DEPOSIT, &s), BAD);
	assert_int_equal(partstate_check(s, POP_DELETE, &s), HV_STATUS_SUCCESS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_pair),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_lifecycle),
	};
	return cmocka_run_group_tests_name("partstate", tests, NULL, NULL) ? 1 : 0;
}
