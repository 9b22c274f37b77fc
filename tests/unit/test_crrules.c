// SPDX-License-Identifier: MIT
/*
 * kernel/crrules.c: the CR0 / CR4 / EFER write rules (SDM vol. 3A 2.5,
 * vol. 2B MOV CR; APM vol. 2 3.1, 14.6) and the writable EFER / reserved CR4
 * masks derived from recorded CPUID values. Bits are spelled as numbers, not
 * with the header's names, so a wrong name there shows up too.
 */
#include "unit.h"

#include <raum/crrules.h>

/*
 * Recorded CPUID words. AMD: InstLatx64's bare-metal dumps (github.com/
 * InstLatx64/InstLatx64, AuthenticAMD/): EPYC 7713 (Zen 3, Milan,
 * AuthenticAMD0A00F11_K19_Milan_CPUID1.txt) and EPYC 9124 (Zen 4, Genoa,
 * AuthenticAMD0A10F11_K19_Genoa_02_CPUID.txt). QEMU 7.2 TCG -cpu EPYC and Bochs
 * 2.7 corei7_skylake_x: printed by the hostile-root suite under Raum
 * ("RAUM-CHECK INFO cpustate"), which passes these leaves through.
 */
static const struct cr_cpuid milan = {
	.amd = true,
	.l1_ecx = 0x7eda320b, .l1_edx = 0x178bfbff,
	.l7_ebx = 0x219c97a9, .l7_ecx = 0x0040068c, .l7_edx = 0x00000010,
	.e1_ecx = 0x75c237ff, .e1_edx = 0x2fd3fbff,
	.e8_ebx = 0x91bef75f, .e21_eax = 0x0000204d,
};
static const struct cr_cpuid genoa = {
	.amd = true,
	.l1_ecx = 0x7efa320b, .l1_edx = 0x178bfbff,
	.l7_ebx = 0xf1bf97a9, .l7_ecx = 0x00415fce, .l7_edx = 0x10000010, .l7s1_eax = 0x00000020,
	.e1_ecx = 0x75c237ff, .e1_edx = 0x2fd3fbff,
	.e8_ebx = 0x79bef25f, .e21_eax = 0x00062fcf,
};
static const struct cr_cpuid qemu_epyc = {
	.amd = true,
	.l1_ecx = 0xf6d8320b, .l1_edx = 0x078bfbfd,
	.l7_ebx = 0x009801a9,
	.e1_ecx = 0x00000071, .e1_edx = 0x2dd3fbfd,
};
/* CPUID.1:ECX.VMX reads 0 here: Raum hides it (cr4_reserved refuses VMXE either way). */
static const struct cr_cpuid bochs_skx = {
	.amd = false,
	.l1_ecx = 0xf7faf39f, .l1_edx = 0xbfebfbff,
	.l7_ebx = 0xd19f27eb,
	.e1_ecx = 0x00000121, .e1_edx = 0x2c100800,
};

#define SCE (1ULL << 0)
#define LME (1ULL << 8)
#define LMA (1ULL << 10)
#define NXE (1ULL << 11)
#define SVME (1ULL << 12)
#define LMSLE (1ULL << 13)
#define FFXSR (1ULL << 14)
#define TCE (1ULL << 15)
#define MCOMMIT (1ULL << 17)
#define INTWB (1ULL << 18)
#define UAIE (1ULL << 20)
#define AIBRSE (1ULL << 21)

static void test_efer_writable_recorded(void **state)
{
	(void)state;
	/* Zen 3: EferLmsleUnsupported, MCOMMIT and INT_WBINVD yes, no UAI / AutoIBRS */
	assert_int_equal(efer_writable(&milan), SCE | LME | LMA | NXE | FFXSR | TCE | MCOMMIT | INTWB);
	/* Zen 4: no LMSLE, no MCOMMIT; UAI and AutoIBRS */
	assert_int_equal(efer_writable(&genoa), SCE | LME | LMA | NXE | FFXSR | TCE | INTWB | UAIE | AIBRSE);
	/* QEMU's EPYC (Zen 1) does not report LMSLE unsupported: CPUID allows it (svm.c then probes) */
	assert_int_equal(efer_writable(&qemu_epyc), SCE | LME | LMA | NXE | LMSLE);
	/* Intel: SCE, LME/LMA, NXE only */
	assert_int_equal(efer_writable(&bochs_skx), SCE | LME | LMA | NXE);
	/* never SVME */
	assert_false(efer_writable(&milan) & SVME);
	assert_false(efer_writable(&genoa) & SVME);
}

static void test_efer_writable_features(void **state)
{
	(void)state;
	struct cr_cpuid c = { .amd = true };
	/* an AMD CPU with nothing: SCE and LMSLE (not reported unsupported) */
	assert_int_equal(efer_writable(&c), SCE | LMSLE);
	c.e1_edx = 1u << 29;
	assert_int_equal(efer_writable(&c), SCE | LMSLE | LME | LMA);
	c.e1_edx |= 1u << 20;
	assert_true(efer_writable(&c) & NXE);
	c.e1_edx |= 1u << 25;
	assert_true(efer_writable(&c) & FFXSR);
	c.e1_ecx = 1u << 17;
	assert_true(efer_writable(&c) & TCE);
	c.e8_ebx = 1u << 8;
	assert_true(efer_writable(&c) & MCOMMIT);
	c.e8_ebx |= 1u << 13;
	assert_true(efer_writable(&c) & INTWB);
	c.e8_ebx |= 1u << 20;
	assert_false(efer_writable(&c) & LMSLE);
	c.e21_eax = 1u << 7;
	assert_true(efer_writable(&c) & UAIE);
	c.e21_eax |= 1u << 8;
	assert_true(efer_writable(&c) & AIBRSE);
	/* the same words on Intel give none of the AMD bits */
	c.amd = false;
	assert_int_equal(efer_writable(&c), SCE | LME | LMA | NXE);
}

static struct cr_state long64(void)
{
	/* a 64-bit kernel: PE MP ET NE WP AM PG; PAE PGE OSFXSR OSXMMEXCPT; SCE LME LMA NXE; CS.L */
	return (struct cr_state){ .cr0 = 0x80050033, .cr3 = 0x1000, .cr4 = 0x6a0, .efer = 0xd01, .cs_l = true };
}

static void test_efer_check(void **state)
{
	(void)state;
	struct cr_state s = long64();
	u64 w = efer_writable(&milan);

	assert_int_equal(efer_check(&s, s.efer, w), CR_OK);
	assert_int_equal(efer_check(&s, s.efer & ~LMA, w), CR_OK); /* LMA written as 0: ignored */
	assert_int_equal(efer_check(&s, s.efer | FFXSR, w), CR_OK);
	assert_int_equal(efer_check(&s, s.efer | LMSLE, w), EFER_RESERVED_BIT); /* Zen 3 */
	assert_int_equal(efer_check(&s, s.efer | SVME, w), EFER_RESERVED_BIT);
	assert_int_equal(efer_check(&s, s.efer | AIBRSE, w), EFER_RESERVED_BIT);
	assert_int_equal(efer_check(&s, s.efer | (1ULL << 9), w), EFER_RESERVED_BIT);
	assert_int_equal(efer_check(&s, s.efer | (1ULL << 63), w), EFER_RESERVED_BIT);
	assert_int_equal(efer_check(&s, s.efer | AIBRSE, efer_writable(&genoa)), CR_OK);
	assert_int_equal(efer_check(&s, s.efer | MCOMMIT, efer_writable(&genoa)), EFER_RESERVED_BIT);
	/* LME may not change under paging, either way */
	assert_int_equal(efer_check(&s, s.efer & ~LME, w), EFER_LME_CHANGE_PAGING);
	s.efer = SCE | NXE;
	s.cr0 = 0x80000011; /* 32-bit paging */
	assert_int_equal(efer_check(&s, s.efer | LME, w), EFER_LME_CHANGE_PAGING);
	s.cr0 = 0x11; /* paging off: LME may change */
	assert_int_equal(efer_check(&s, s.efer | LME, w), CR_OK);
	s.efer |= LME;
	assert_int_equal(efer_check(&s, s.efer & ~LME, w), CR_OK);
	/* a CPU without NX / LM */
	struct cr_cpuid old = { .amd = false };
	assert_int_equal(efer_check(&s, NXE, efer_writable(&old)), EFER_RESERVED_BIT);
	s.efer = 0;
	assert_int_equal(efer_check(&s, LME, efer_writable(&old)), EFER_RESERVED_BIT);
	assert_int_equal(efer_check(&s, SCE, efer_writable(&old)), CR_OK);
}

static void test_cr0_basic(void **state)
{
	(void)state;
	struct cr_state s = long64();

	assert_int_equal(cr0_check(&s, s.cr0), CR_OK);
	assert_int_equal(cr0_check(&s, s.cr0 ^ (1ULL << 5)), CR_OK); /* NE */
	assert_int_equal(cr0_check(&s, s.cr0 | (1ULL << 32)), CR0_HIGH_BITS);
	assert_int_equal(cr0_check(&s, s.cr0 | (1ULL << 63)), CR0_HIGH_BITS);
	assert_int_equal(cr0_check(&s, s.cr0 | (1ULL << 29)), CR0_NW_WITHOUT_CD);
	assert_int_equal(cr0_check(&s, s.cr0 | (3ULL << 29)), CR_OK); /* CD + NW */
	assert_int_equal(cr0_check(&s, s.cr0 | (1ULL << 30)), CR_OK); /* CD alone */
	assert_int_equal(cr0_check(&s, s.cr0 & ~1ULL), CR0_PG_WITHOUT_PE); /* PE cleared under PG */
	/* reserved bits 31:0 are ignored, ET reads as 1 */
	assert_int_equal(cr0_check(&s, s.cr0 | (1ULL << 6)), CR_OK);
	assert_int_equal(cr0_effective(0x80050033 | (1ULL << 6) | (1ULL << 17)), 0x80050033);
	assert_int_equal(cr0_effective(0x1), 0x11);
}

static void test_cr0_paging(void **state)
{
	(void)state;
	struct cr_state s = long64();

	/* PG cleared in 64-bit code: #GP; from compatibility mode (CS.L = 0): the way out of long mode */
	assert_int_equal(cr0_check(&s, s.cr0 & ~(1ULL << 31)), CR0_PG_OFF_IN_64BIT);
	s.cs_l = false;
	assert_int_equal(cr0_check(&s, s.cr0 & ~(1ULL << 31)), CR_OK);
	/* ... but not with PCIDE set */
	s.cr4 |= 1ULL << 17;
	assert_int_equal(cr0_check(&s, s.cr0 & ~(1ULL << 31)), CR0_PG_OFF_WITH_PCIDE);

	/* entering long mode: LME set, paging off, PAE needed, not from CS.L = 1 */
	s = (struct cr_state){ .cr0 = 0x11, .cr4 = 0x20, .efer = LME, .cs_l = false };
	assert_int_equal(cr0_check(&s, 0x80000011), CR_OK);
	s.cr4 = 0;
	assert_int_equal(cr0_check(&s, 0x80000011), CR0_LONG_WITHOUT_PAE);
	s.cr4 = 0x20;
	s.cs_l = true;
	assert_int_equal(cr0_check(&s, 0x80000011), CR0_LONG_FROM_CS_L);
	/* without LME: 32-bit paging needs no PAE */
	s = (struct cr_state){ .cr0 = 0x11, .cr4 = 0, .efer = 0 };
	assert_int_equal(cr0_check(&s, 0x80000011), CR_OK);
	assert_int_equal(cr0_check(&s, 0x80000010), CR0_PG_WITHOUT_PE);
	/* PG already on, LME set: not an entry into long mode, PAE not re-checked here */
	s = long64();
	assert_int_equal(cr0_check(&s, s.cr0 | (1ULL << 18)), CR_OK);
}

static void test_cr0_wp_cet(void **state)
{
	(void)state;
	struct cr_state s = long64();

	assert_int_equal(cr0_check(&s, s.cr0 & ~(1ULL << 16)), CR_OK);
	s.cr4 |= 1ULL << 23;
	assert_int_equal(cr0_check(&s, s.cr0 & ~(1ULL << 16)), CR0_WP_OFF_WITH_CET);
	/* CET can be set only with WP */
	s = long64();
	assert_int_equal(cr4_check(&s, s.cr4 | (1ULL << 23), 0), CR_OK);
	s.cr0 &= ~(1ULL << 16);
	assert_int_equal(cr4_check(&s, s.cr4 | (1ULL << 23), 0), CR4_CET_WITHOUT_WP);
}

static void test_cr4_reserved_recorded(void **state)
{
	(void)state;
	u64 r = cr4_reserved(&milan);

	/* Milan: UMIP, FSGSBASE, PCID, OSXSAVE, SMEP, SMAP, PKE, CET (shadow stacks); no LA57, SMX, KL, PKS */
	assert_false(r & 0x7ff); /* VME .. OSXMMEXCPT */
	assert_false(r & ((1ULL << 11) | (1ULL << 16) | (1ULL << 17) | (1ULL << 18) | (1ULL << 20) | (1ULL << 21) |
			  (1ULL << 22) | (1ULL << 23)));
	assert_true(r & (1ULL << 12)); /* LA57 */
	assert_true(r & (1ULL << 13)); /* VMXE: always */
	assert_true(r & (1ULL << 14)); /* SMXE */
	assert_true(r & (1ULL << 15));
	assert_true(r & (1ULL << 19)); /* KL */
	assert_true(r & (1ULL << 24)); /* PKS */
	assert_true(r & (1ULL << 32)); /* FRED */
	assert_true(r & (1ULL << 63));
	/* Genoa: LA57 too */
	assert_false(cr4_reserved(&genoa) & (1ULL << 12));
	/* Bochs skylake_x: VME .. OSXMMEXCPT, FSGSBASE, PCIDE, OSXSAVE, SMEP, SMAP: exactly its CR4_FIXED1
	 * 0x3727ff (PLATFORM.md) without VMXE */
	assert_int_equal(cr4_reserved(&bochs_skx), ~0x3707ffULL);
	/* a CPU with nothing: only PCE */
	struct cr_cpuid none = { 0 };
	assert_int_equal(cr4_reserved(&none), ~(1ULL << 8));
}

static void test_cr4_check(void **state)
{
	(void)state;
	struct cr_state s = long64();
	u64 r = cr4_reserved(&milan);

	assert_int_equal(cr4_check(&s, s.cr4, r), CR_OK);
	assert_int_equal(cr4_check(&s, s.cr4 | (1ULL << 13), r), CR4_RESERVED_BIT);
	assert_int_equal(cr4_check(&s, s.cr4 | (1ULL << 12), r), CR4_RESERVED_BIT);
	assert_int_equal(cr4_check(&s, s.cr4 & ~(1ULL << 5), r), CR4_PAE_OFF_IN_LONG);
	/* LA57 cannot change in long mode, either way */
	u64 g = cr4_reserved(&genoa);
	assert_int_equal(cr4_check(&s, s.cr4 | (1ULL << 12), g), CR4_LA57_CHANGE_IN_LONG);
	s.cr4 |= 1ULL << 12;
	assert_int_equal(cr4_check(&s, s.cr4 & ~(1ULL << 12), g), CR4_LA57_CHANGE_IN_LONG);
	assert_int_equal(cr4_check(&s, s.cr4, g), CR_OK);
	/* PCIDE: long mode and CR3[11:0] = 0 */
	s = long64();
	assert_int_equal(cr4_check(&s, s.cr4 | (1ULL << 17), r), CR_OK);
	s.cr3 |= 8;
	assert_int_equal(cr4_check(&s, s.cr4 | (1ULL << 17), r), CR4_PCIDE_CR3_LOW);
	s.cr4 |= 1ULL << 17; /* already set: CR3's low bits are the PCID */
	assert_int_equal(cr4_check(&s, s.cr4, r), CR_OK);
	assert_int_equal(cr4_check(&s, s.cr4 & ~(1ULL << 17), r), CR_OK); /* clearing is allowed */
	s = (struct cr_state){ .cr0 = 0x80000011, .cr4 = 0x20, .efer = 0 };
	assert_int_equal(cr4_check(&s, s.cr4 | (1ULL << 17), r), CR4_PCIDE_OUTSIDE_LONG);
	/* outside long mode, PAE and LA57 may change */
	assert_int_equal(cr4_check(&s, 0, r), CR_OK);
	assert_int_equal(cr4_check(&s, s.cr4 | (1ULL << 12), g), CR_OK);
}

static void test_fault_names(void **state)
{
	(void)state;
	for (int f = 0; f < CR_FAULT_COUNT; f++) {
		assert_non_null(cr_fault_name(f));
		assert_true(strlen(cr_fault_name(f)) > 5);
	}
	assert_string_equal(cr_fault_name(CR_FAULT_COUNT), "unknown rule");
	assert_string_equal(cr_fault_name(CR0_PG_OFF_IN_64BIT), "CR0.PG cleared in 64-bit code");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_efer_writable_recorded),
		cmocka_unit_test(test_efer_writable_features),
		cmocka_unit_test(test_efer_check),
		cmocka_unit_test(test_cr0_basic),
		cmocka_unit_test(test_cr0_paging),
		cmocka_unit_test(test_cr0_wp_cet),
		cmocka_unit_test(test_cr4_reserved_recorded),
		cmocka_unit_test(test_cr4_check),
		cmocka_unit_test(test_fault_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
