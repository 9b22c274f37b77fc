// SPDX-License-Identifier: MIT
/*
 * kernel/insnlen.c: the lengths of prefixed CPUID / RDMSR / WRMSR / VMMCALL /
 * INVD / WBINVD that svm/svm.c steps over without NRIPS. The expected lengths
 * were checked with objdump -D -b binary -m i386:x86-64 (and -m i386) on the
 * same bytes. Each call reads from an exactly sized heap copy (ASan catches a
 * read past the end), and every shorter cut must give -RAUM_ERANGE.
 */
#include "unit.h"

#include <raum/errno.h>
#include <raum/insnlen.h>

static const u8 CPUID[] = { 0x0f, 0xa2 }, RDMSR[] = { 0x0f, 0x32 }, WRMSR[] = { 0x0f, 0x30 },
		VMMCALL[] = { 0x0f, 0x01, 0xd9 }, INVD[] = { 0x0f, 0x08 };

static int len_exact(const u8 *b, size_t n, int mode, const u8 *op, size_t oplen)
{
	u8 *copy = malloc(n ? n : 1);
	int rc;

	assert_non_null(copy);
	memcpy(copy, b, n);
	rc = x86_insn_len_of(copy, n, mode, op, oplen);
	free(copy);
	return rc;
}

/* b[0..n) holds the instruction and maybe more; want is its length. */
static void len_ok_at(int line, const u8 *b, size_t n, int mode, const u8 *op, size_t oplen, int want)
{
	int got = len_exact(b, n, mode, op, oplen);

	if (got != want)
		fail_msg("line %d: length %d, expected %d", line, got, want);
	for (int cut = 0; cut < want; cut++) {
		got = len_exact(b, (size_t)cut, mode, op, oplen);
		if (got != -RAUM_ERANGE)
			fail_msg("line %d: cut at %d: %d, expected -RAUM_ERANGE", line, cut, got);
	}
}
#define LEN_OK(mode, op, want, ...) \
	len_ok_at(__LINE__, (const u8[]){ __VA_ARGS__ }, sizeof((const u8[]){ __VA_ARGS__ }), mode, op, \
		  sizeof(op), want)
#define LEN_ERR(mode, op, want, ...) \
	assert_int_equal(len_exact((const u8[]){ __VA_ARGS__ }, sizeof((const u8[]){ __VA_ARGS__ }), mode, op, \
				   sizeof(op)), want)

static void test_plain(void **state)
{
	(void)state;
	LEN_OK(64, CPUID, 2, 0x0f, 0xa2);
	LEN_OK(64, RDMSR, 2, 0x0f, 0x32, 0x90);  /* trailing bytes are not counted */
	LEN_OK(64, WRMSR, 2, 0x0f, 0x30);
	LEN_OK(64, VMMCALL, 3, 0x0f, 0x01, 0xd9);
	LEN_OK(64, INVD, 2, 0x0f, 0x08);
	LEN_OK(32, CPUID, 2, 0x0f, 0xa2);
	LEN_OK(16, CPUID, 2, 0x0f, 0xa2);
}

static void test_prefixed(void **state)
{
	(void)state;
	LEN_OK(64, CPUID, 3, 0x66, 0x0f, 0xa2);
	LEN_OK(64, CPUID, 3, 0x2e, 0x0f, 0xa2);
	LEN_OK(64, CPUID, 4, 0x2e, 0x2e, 0x0f, 0xa2);
	LEN_OK(64, CPUID, 3, 0x48, 0x0f, 0xa2);             /* REX.W */
	LEN_OK(64, CPUID, 5, 0x66, 0x48, 0x41, 0x0f, 0xa2); /* a REX followed by a REX */
	LEN_OK(64, CPUID, 4, 0x48, 0x66, 0x0f, 0xa2);       /* a REX voided by a later prefix still takes a byte */
	LEN_OK(64, RDMSR, 4, 0x3e, 0x67, 0x0f, 0x32);
	LEN_OK(64, WRMSR, 5, 0x26, 0x36, 0x64, 0x0f, 0x30);
	LEN_OK(64, VMMCALL, 4, 0x65, 0x0f, 0x01, 0xd9);
	LEN_OK(64, INVD, 3, 0xf3, 0x0f, 0x08);
	LEN_OK(32, CPUID, 4, 0x66, 0x67, 0x0f, 0xa2);
	/* 13 prefixes + 2 opcode bytes: exactly the 15-byte limit */
	LEN_OK(64, CPUID, 15, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e,
	       0x0f, 0xa2);
}

static void test_refused(void **state)
{
	(void)state;
	/* 40-4f are INC / DEC outside 64-bit mode: not a prefix, so not CPUID */
	LEN_ERR(32, CPUID, -RAUM_EINVAL, 0x48, 0x0f, 0xa2);
	LEN_ERR(16, CPUID, -RAUM_EINVAL, 0x40, 0x0f, 0xa2);
	/* another instruction at RIP (the bytes changed since the exit) */
	LEN_ERR(64, CPUID, -RAUM_EINVAL, 0x0f, 0x32);
	LEN_ERR(64, RDMSR, -RAUM_EINVAL, 0x2e, 0x0f, 0x30);
	LEN_ERR(64, VMMCALL, -RAUM_EINVAL, 0x0f, 0x01, 0xc1);
	LEN_ERR(64, CPUID, -RAUM_EINVAL, 0x90, 0x0f, 0xa2);
	/* 14 prefixes + 2 opcode bytes: past 15 bytes, whatever follows */
	LEN_ERR(64, CPUID, -RAUM_EINVAL, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e,
		0x2e, 0x2e, 0x0f, 0xa2);
	/* 15 prefixes: refused at the limit even though the buffer ends there */
	LEN_ERR(64, CPUID, -RAUM_EINVAL, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e,
		0x2e, 0x2e, 0x2e);
	/* bad arguments */
	assert_int_equal(x86_insn_len_of(CPUID, 2, 48, CPUID, 2), -RAUM_EINVAL);
	assert_int_equal(x86_insn_len_of(NULL, 2, 64, CPUID, 2), -RAUM_EINVAL);
	assert_int_equal(x86_insn_len_of(CPUID, 2, 64, CPUID, 0), -RAUM_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_prefixed),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
