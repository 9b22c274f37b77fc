// SPDX-License-Identifier: MIT
/* kernel/logredact.c: Raum's addresses out of the ring the root reads. */
#include "unit.h"

#include <raum/logredact.h>

static void redact_ok(const char *in, const char *want)
{
	char out[128];
	size_t n = log_redact_hex(out, sizeof(out), in, strlen(in));

	assert_string_equal(out, want);
	assert_int_equal(n, strlen(want));
}

static void test_redact(void **state)
{
	(void)state;
	redact_ok("[cpu0] I svm: EFER.SVME set on cpu0, host save area at 0x000000001fe52000\n",
		  "[cpu0] I svm: EFER.SVME set on cpu0, host save area at [hidden]\n");
	redact_ok("Raum's 32 MiB at 0x1c000000 left out", "Raum's 32 MiB at [hidden] left out");
	redact_ok("two 0xA 0Xff", "two [hidden] [hidden]");
	redact_ok("no number, 0x, 0xg, 10 MiB", "no number, 0x, 0xg, 10 MiB");
	redact_ok("ends 0", "ends 0");
	redact_ok("ends 0x", "ends 0x");
	redact_ok("0x1", "[hidden]");
	redact_ok("", "");
}

static void test_bounds(void **state)
{
	char small[6];
	const char *in = "at 0x1234";
	(void)state;

	/* truncated to fit, always terminated */
	assert_int_equal(log_redact_hex(small, sizeof(small), in, strlen(in)), 5);
	assert_string_equal(small, "at [h");
	assert_int_equal(log_redact_hex(small, 1, in, strlen(in)), 0);
	assert_string_equal(small, "");
	assert_int_equal(log_redact_hex(small, 0, in, strlen(in)), 0);
	/* n bounds the input: the digits past n are not looked at */
	char big[32];
	assert_int_equal(log_redact_hex(big, sizeof(big), "0x12", 2), 2);
	assert_string_equal(big, "0x");
	{
		/* an exactly sized input: ASan catches a read past it */
		char *heap = malloc(4);
		memcpy(heap, "a 0x", 4);
		assert_int_equal(log_redact_hex(big, sizeof(big), heap, 4), 4);
		assert_string_equal(big, "a 0x");
		memcpy(heap, "ab 0", 4);
		log_redact_hex(big, sizeof(big), heap, 4);
		assert_string_equal(big, "ab 0");
		memcpy(heap, "0xab", 4);
		log_redact_hex(big, sizeof(big), heap, 4);
		assert_string_equal(big, "[hidden]");
		free(heap);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_redact),
		cmocka_unit_test(test_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
