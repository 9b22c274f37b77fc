// SPDX-License-Identifier: MIT
/*
 * tools/raumctl/mmio.c: the MOV forms decode with the lengths the SDM gives
 * (the encodings below are GNU as's), loads get all-ones sized as the
 * destination says, anything else is refused, and random bytes never crash
 * it (AddressSanitizer watches). The page walk that finds the bytes is
 * Raum's (include/raum/gwalk.h, tests/unit/test_gwalk.c).
 */
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#include "../../tools/raumctl/mmio.h"

static void dec(const char *hex, unsigned mode, int want_len, int write, unsigned size, int reg)
{
	uint8_t b[16];
	size_t n = 0;
	struct mmio_insn d;

	for (const char *p = hex; *p; p += 2) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		char t[3] = { p[0], p[1], 0 };
		b[n++] = (uint8_t)strtoul(t, NULL, 16);
	}
	int rc = mmio_decode(b, n, mode, &d);
	if (want_len < 0) {
		assert_int_equal(rc, -1);
		return;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(d.len, want_len);
	assert_int_equal(d.write, write);
	assert_int_equal(d.size, size);
	assert_int_equal(d.reg, reg);
}

static void test_decode(void **state)
{
	(void)state;
	dec("8b03", 32, 2, 0, 4, 0);                     /* mov (%ebx),%eax */
	dec("8b0500 00 00 fe", 32, 6, 0, 4, 0);          /* mov 0xfe000000,%eax */
	dec("8918", 32, 2, 1, 4, 3);                     /* mov %ebx,(%eax) */
	dec("c705 0010e0fe 41414141", 32, 10, 1, 4, 0);  /* movl $0x41414141,0xfee01000 */
	dec("8a6004", 32, 3, 0, 1, 0);                   /* mov 0x4(%eax),%ah (high8) */
	dec("668b4802", 32, 4, 0, 2, 1);                 /* mov 0x2(%eax),%cx */
	dec("0fb64c2408", 32, 5, 0, 1, 1);               /* movzbl 0x8(%esp),%ecx */
	dec("3e8b03", 32, 3, 0, 4, 0);                   /* ds: prefix */
	dec("488b042500 00 e0 fe", 64, 8, 0, 8, 0);      /* mov 0xfee00000,%rax */
	dec("448b0510000000", 64, 7, 0, 4, 8);           /* mov 0x10(%rip),%r8d */
	dec("c600ff", 32, 3, 1, 1, 0);                   /* movb $0xff,(%eax) */
	dec("48c70001000000", 64, 7, 1, 8, 0);           /* movq $1,(%rax) */
	dec("8b07", 16, 2, 0, 2, 0);                     /* mov (%bx),%ax */
	dec("8b063412", 16, 4, 0, 2, 0);                 /* mov 0x1234,%ax */
	dec("668b07", 16, 3, 0, 4, 0);                   /* mov (%bx),%eax */
	dec("ff00", 32, -1, 0, 0, 0);                    /* inc (%eax): not a MOV */
	dec("8bc0", 32, -1, 0, 0, 0);                    /* mov %eax,%eax: no memory operand */
	dec("8b0500", 32, -1, 0, 0, 0);                  /* cut short */
	dec("c70d00000000", 32, -1, 0, 0, 0);            /* c7 /1: not MOV */
	dec("", 32, -1, 0, 0, 0);
	dec("666666666666666666666666666666", 32, -1, 0, 0, 0); /* prefixes only */
	/* mov 0x4(%eax),%ah leaves the rest of RAX */
	struct mmio_insn d;
	static const uint8_t ah[] = { 0x8a, 0x60, 0x04 }, movzx[] = { 0x0f, 0xb6, 0x08 }, w[] = { 0x66, 0x8b, 0x08 };
	assert_int_equal(mmio_decode(ah, sizeof(ah), 32, &d), 0);
	assert_int_equal(mmio_read_result(0x1122334455667788ULL, &d), 0x112233445566ff88ULL);
	assert_int_equal(mmio_decode(movzx, sizeof(movzx), 32, &d), 0);
	assert_int_equal(mmio_read_result(0x1122334455667788ULL, &d), 0xffULL);
	assert_int_equal(mmio_decode(w, sizeof(w), 32, &d), 0);
	assert_int_equal(mmio_read_result(0x1122334455667788ULL, &d), 0x112233445566ffffULL);
	static const uint8_t q[] = { 0x48, 0x8b, 0x00 };
	assert_int_equal(mmio_decode(q, sizeof(q), 64, &d), 0);
	assert_int_equal(mmio_read_result(5, &d), ~0ULL);
}

static void test_random(void **state)
{
	(void)state;
	unsigned seed = 99;
	struct mmio_insn d;

	for (int i = 0; i < 200000; i++) {
		uint8_t b[15];
		for (int k = 0; k < 15; k++) {
			seed = seed * 1103515245 + 12345;
			b[k] = (uint8_t)(seed >> 16);
		}
		size_t n = (seed >> 8) % 16;
		if (mmio_decode(b, n, (i % 3) == 0 ? 16 : (i % 3) == 1 ? 32 : 64, &d) == 0)
			assert_true(d.len > 0 && (size_t)d.len <= n && d.reg >= 0 && d.reg < 16);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_random),
	};
	return cmocka_run_group_tests_name("mmio", tests, NULL, NULL) ? 1 : 0;
}
