// SPDX-License-Identifier: MIT
/*
 * kernel/xcr0.c: the XCR0 values XSETBV accepts (Intel SDM vol. 1 13.3,
 * vol. 2B XSETBV). Bits are spelled as numbers here, not with the header's
 * names, so a wrong name there shows up too.
 */
#include "unit.h"

#include <raum/xcr0.h>

/* A Skylake-SP: x87, SSE, AVX, MPX, opmask, ZMM_Hi256, Hi16_ZMM, PKRU. */
#define SKX 0x2ffULL
/* A CPU with everything up to AMX: SKX's bits plus XTILECFG / XTILEDATA. */
#define AMX_CPU (SKX | 0x60000ULL)
/* Bochs 2.7 corei7_skylake_x as measured (CPUID.(EAX=0DH,ECX=0):EAX): x87, SSE, AVX and AVX-512 only. */
#define BOCHS_SKX 0xe7ULL
/* A CPU before AVX-512 (x87, SSE, AVX). */
#define AVX_CPU 0x7ULL

static void test_index(void **state)
{
	(void)state;
	assert_true(xcr0_valid(0, 0x7, SKX));
	assert_false(xcr0_valid(1, 0x7, SKX)); /* XCR1 (XINUSE) is read-only */
	assert_false(xcr0_valid(2, 0x7, SKX));
	assert_false(xcr0_valid(0xffffffff, 0x7, SKX));
}

static void test_x87_required(void **state)
{
	(void)state;
	assert_true(xcr0_valid(0, 0x1, SKX));
	assert_false(xcr0_valid(0, 0x0, SKX));
	assert_false(xcr0_valid(0, 0x2, SKX));
	assert_false(xcr0_valid(0, 0x6, SKX));
	assert_false(xcr0_valid(0, 0xe6, SKX));
}

static void test_avx_needs_sse(void **state)
{
	(void)state;
	assert_true(xcr0_valid(0, 0x3, SKX));
	assert_true(xcr0_valid(0, 0x7, SKX));
	assert_false(xcr0_valid(0, 0x5, SKX)); /* XCR0[2:1] = 10b */
}

static void test_unsupported_bits(void **state)
{
	(void)state;
	assert_false(xcr0_valid(0, 0x7, 0x3));            /* AVX on a CPU without it */
	assert_false(xcr0_valid(0, 0xe7, AVX_CPU));       /* AVX-512 on a CPU without it */
	assert_false(xcr0_valid(0, 0x203, AVX_CPU));      /* PKRU */
	assert_false(xcr0_valid(0, 0x60003, SKX));        /* AMX on skylake_x */
	assert_false(xcr0_valid(0, 0x103, ~0ULL & ~0x100ULL)); /* PT (supervisor) is never in XCR0 */
	assert_false(xcr0_valid(0, 0x3 | (1ULL << 63), SKX));
	assert_false(xcr0_valid(0, 0x3 | (1ULL << 32), SKX)); /* EDX half */
	/* every single bit outside the supported mask is refused, alone and with a valid base */
	for (int b = 1; b < 64; b++) {
		u64 bit = 1ULL << b;
		if (SKX & bit)
			continue;
		assert_false(xcr0_valid(0, 0x1 | bit, SKX));
		assert_false(xcr0_valid(0, 0xff | bit, SKX));
	}
}

static void test_mpx_pair(void **state)
{
	(void)state;
	assert_true(xcr0_valid(0, 0x1f, SKX));  /* both */
	assert_true(xcr0_valid(0, 0x07, SKX));  /* neither */
	assert_false(xcr0_valid(0, 0x0f, SKX)); /* BNDREGS alone */
	assert_false(xcr0_valid(0, 0x17, SKX)); /* BNDCSR alone */
	assert_true(xcr0_valid(0, 0x19, SKX));  /* MPX needs neither SSE nor AVX */
	assert_false(xcr0_valid(0, 0xef, SKX)); /* with AVX-512, still a pair */
}

static void test_avx512(void **state)
{
	(void)state;
	/* the Bochs skylake_x crash: opmask without ZMM_Hi256 / Hi16_ZMM */
	assert_false(xcr0_valid(0, 0x27, SKX));
	assert_true(xcr0_valid(0, 0xe7, SKX));  /* all three, with AVX */
	assert_false(xcr0_valid(0, 0xe3, SKX)); /* all three, AVX off */
	assert_false(xcr0_valid(0, 0xe5, SKX)); /* all three, AVX without SSE */
	assert_true(xcr0_valid(0, 0x2ff, SKX)); /* everything skylake_x has */
	/* every proper, non-empty subset of bits 7:5 is refused, with or without AVX */
	for (u64 k = 1; k < 7; k++) {
		assert_false(xcr0_valid(0, 0x7 | (k << 5), SKX));
		assert_false(xcr0_valid(0, 0x3 | (k << 5), SKX));
		assert_false(xcr0_valid(0, 0x21f | (k << 5), SKX));
	}
}

/* What the boot suite saw on Bochs corei7_skylake_x: 0x27 raised #GP inside Raum before the fix. */
static void test_bochs_skylake_x(void **state)
{
	(void)state;
	assert_true(xcr0_valid(0, 0x1, BOCHS_SKX));   /* what OVMF leaves */
	assert_true(xcr0_valid(0, 0x7, BOCHS_SKX));
	assert_true(xcr0_valid(0, 0xe7, BOCHS_SKX));  /* AVX-512 on, with AVX */
	assert_false(xcr0_valid(0, 0x27, BOCHS_SKX)); /* opmask alone: the crash */
	assert_false(xcr0_valid(0, 0x67, BOCHS_SKX));
	assert_false(xcr0_valid(0, 0xa7, BOCHS_SKX));
	assert_false(xcr0_valid(0, 0xc7, BOCHS_SKX));
	assert_false(xcr0_valid(0, 0xe3, BOCHS_SKX)); /* AVX-512 without AVX */
	assert_false(xcr0_valid(0, 0x1f, BOCHS_SKX)); /* MPX: not on this model */
	assert_false(xcr0_valid(0, 0x207, BOCHS_SKX)); /* PKRU: not on this model */
	assert_false(xcr0_valid(1, 0x7, BOCHS_SKX));
}

static void test_amx_pair(void **state)
{
	(void)state;
	assert_true(xcr0_valid(0, 0x60003, AMX_CPU));  /* both; AMX needs neither AVX nor AVX-512 */
	assert_true(xcr0_valid(0, 0x602ff, AMX_CPU));  /* everything */
	assert_false(xcr0_valid(0, 0x20003, AMX_CPU)); /* XTILECFG alone */
	assert_false(xcr0_valid(0, 0x40003, AMX_CPU)); /* XTILEDATA alone */
	assert_false(xcr0_valid(0, 0x202ff, AMX_CPU));
	assert_false(xcr0_valid(0, 0x402ff, AMX_CPU));
	assert_false(xcr0_valid(0, 0x60000, AMX_CPU)); /* x87 still required */
}

/* Against a reference written bit by bit, over every value of bits 0-9 and 17-18. */
static void test_exhaustive_low_bits(void **state)
{
	(void)state;
	for (u64 lo = 0; lo < 1024; lo++) {
		for (u64 hi = 0; hi < 4; hi++) {
			u64 v = lo | (hi << 17);
			bool x87 = v & 1, sse = v & 2, avx = v & 4, br = v & 8, bc = v & 16;
			bool k = v & 32, zh = v & 64, hz = v & 128, tc = v & (1 << 17), td = v & (1 << 18);
			bool supported = !(v & ~AMX_CPU);
			bool ok = x87 && supported && (sse || !avx) && br == bc && k == zh && zh == hz &&
				  (!k || avx) && tc == td;
			assert_int_equal(xcr0_valid(0, v, AMX_CPU), ok);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_index),
		cmocka_unit_test(test_x87_required),
		cmocka_unit_test(test_avx_needs_sse),
		cmocka_unit_test(test_unsupported_bits),
		cmocka_unit_test(test_mpx_pair),
		cmocka_unit_test(test_avx512),
		cmocka_unit_test(test_bochs_skylake_x),
		cmocka_unit_test(test_amx_pair),
		cmocka_unit_test(test_exhaustive_low_bits),
	};
	return cmocka_run_group_tests_name("xcr0", tests, NULL, NULL) ? 1 : 0;
}
