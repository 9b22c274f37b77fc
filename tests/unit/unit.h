/* SPDX-License-Identifier: MIT */
/*
 * Common header of the host unit tests (tier 1). cmocka needs <stdarg.h>,
 * <stddef.h>, <setjmp.h> and <stdint.h> before <cmocka.h>. The tests are
 * built with AddressSanitizer and UBSan (tests/unit/objects.mk).
 */
#ifndef RAUM_TESTS_UNIT_H
#define RAUM_TESTS_UNIT_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <raum/errno.h>
#include <raum/types.h>

/* assert_int_equal for signed values: cmocka compares as unsigned, prints them as such. */
#define assert_rc(expr, expect) assert_int_equal((long long)(expr), (long long)(expect))

/* A small deterministic PRNG (xorshift64*), so randomized tests repeat exactly. */
static inline u64 unit_rand(u64 *state)
{
	u64 x = *state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/* Runs a group and returns its failure count as main's status. */
#define UNIT_MAIN(name, tests) \
	int main(void) { return cmocka_run_group_tests_name(name, tests, NULL, NULL) ? 1 : 0; }

#endif
