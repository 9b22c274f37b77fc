// SPDX-License-Identifier: MIT
/*
 * mm/memcrypt.c: the root's physical-address width under AMD SME and Intel
 * TME-MK, from recorded CPUID / MSR values (neither QEMU TCG nor Bochs has
 * either feature, so these values are the only test the decisions get).
 */
#include "unit.h"

#include <ctype.h>
#include <raum/memcrypt.h>

/*
 * AMD EPYC 7003 (Zen 3) as the brief records it: CPUID 0x80000008 EAX
 * 0x3030 (48 physical, 48 linear bits); 0x8000001F EAX SME | SEV | SEV-ES |
 * SNP (0x1b), EBX 0x16f (C-bit 47, reduction 5). SYSCFG as the firmware
 * left it, SME off.
 */
static struct memcrypt_probe epyc_zen3(u64 syscfg)
{
	return (struct memcrypt_probe){
		.vendor = RAUM_VENDOR_AMD,
		.e8_valid = true, .e8_eax = 0x3030,
		.e1f_valid = true, .e1f_eax = 0x1b, .e1f_ebx = 0x16f,
		.syscfg_valid = true, .syscfg = syscfg,
	};
}

/*
 * Intel Xeon Ice Lake-SP: 52 physical bits (CPUID 0x80000008 EAX 0x3934:
 * 52 physical, 57 linear), CPUID 7.0 ECX with TME_EN.
 */
static struct memcrypt_probe icelake_sp(u64 tme_activate)
{
	return (struct memcrypt_probe){
		.vendor = RAUM_VENDOR_INTEL,
		.e8_valid = true, .e8_eax = 0x3934,
		.c7_valid = true, .c7_ecx = CPUID7_ECX_TME | BIT(2) | BIT(3),
		.tme_valid = true, .tme_activate = tme_activate,
	};
}

/* TME_ACTIVATE: lock, enable, policy AES-XTS-128, KeyID bits, algorithms AES-XTS-128. */
static u64 tme(bool locked, bool enabled, unsigned keyid_bits)
{
	return (locked ? TME_ACTIVATE_LOCKED : 0) | (enabled ? TME_ACTIVATE_ENABLED : 0) |
	       ((u64)keyid_bits << 32) | (1ULL << 48);
}

/* One sentence: a capital first, a full stop last, no break inside, within the buffer. */
static void check_sentence(const char *s)
{
	size_t n = strlen(s);
	if (n < 20 || n >= MEMCRYPT_REASON_MAX - 1)
		fail_msg("reason has length %zu: '%s'", n, s);
	if (!isupper((unsigned char)s[0]) || s[n - 1] != '.')
		fail_msg("reason is not a sentence: '%s'", s);
	if (strstr(s, ". ") || strstr(s, "! ") || strstr(s, "? ") || strchr(s, '\n'))
		fail_msg("reason is more than one sentence: '%s'", s);
	if (!strstr(s, "firmware setup"))
		fail_msg("reason names no fix: '%s'", s);
}

/* Whatever the input: a refusal with a sentence, or a width in [32, 52] no wider than CPUID's. */
static void check_invariants(const struct memcrypt_result *r)
{
	assert_true(r->cpu_bits >= 32 && r->cpu_bits <= 52);
	if (!r->ok) {
		check_sentence(r->reason);
		return;
	}
	assert_int_equal(r->reason[0], '\0');
	assert_true(r->bits >= 32 && r->bits <= r->cpu_bits);
	if (r->kind == MEMCRYPT_SME)
		assert_true(r->bits <= r->cbit);
	if (r->kind == MEMCRYPT_NONE)
		assert_int_equal(r->bits, r->cpu_bits);
}

static struct memcrypt_result check(const struct memcrypt_probe *p)
{
	struct memcrypt_result r;
	memset(&r, 0xa5, sizeof(r)); /* every field must be written */
	memcrypt_check(p, &r);
	check_invariants(&r);
	return r;
}

static void test_amd_sme_off(void **state)
{
	(void)state;
	struct memcrypt_probe p = epyc_zen3(0x00740000); /* MtrrFixDramEn etc., bit 23 clear */
	struct memcrypt_result r = check(&p);
	char note[MEMCRYPT_REASON_MAX];
	assert_true(r.ok);
	assert_int_equal(r.kind, MEMCRYPT_NONE);
	assert_int_equal(r.bits, 48);
	memcrypt_describe(&r, note, sizeof(note));
	assert_string_equal(note, "");
}

static void test_amd_sme_on(void **state)
{
	(void)state;
	struct memcrypt_probe p = epyc_zen3(0x00740000 | SYSCFG_MEM_ENCRYPT);
	struct memcrypt_result r = check(&p);
	char note[MEMCRYPT_REASON_MAX];
	assert_true(r.ok);
	assert_int_equal(r.kind, MEMCRYPT_SME);
	assert_int_equal(r.cpu_bits, 48);
	assert_int_equal(r.cbit, 47);
	assert_int_equal(r.taken, 5);
	assert_int_equal(r.bits, 43);
	/* hv_base | C-bit lies beyond the root's map */
	assert_true(1ULL << 47 >= 1ULL << r.bits);
	memcrypt_describe(&r, note, sizeof(note));
	assert_string_equal(note, "SME enabled: the root's physical address width is 43 bits, not 48 (C-bit 47)");
}

/* SEV alone in CPUID with MemEncryptionModEn: Linux reduces the width the same way. */
static void test_amd_sev_only(void **state)
{
	(void)state;
	struct memcrypt_probe p = epyc_zen3(SYSCFG_MEM_ENCRYPT);
	p.e1f_eax = CPUID_8000001F_EAX_SEV;
	struct memcrypt_result r = check(&p);
	assert_true(r.ok);
	assert_int_equal(r.bits, 43);
}

/* Milan-like: C-bit 51 above a 48-bit width, reduction 5: the reduction decides. */
static void test_amd_cbit_above_width(void **state)
{
	(void)state;
	struct memcrypt_probe p = epyc_zen3(SYSCFG_MEM_ENCRYPT);
	p.e1f_ebx = 51 | 5 << 6;
	struct memcrypt_result r = check(&p);
	assert_true(r.ok);
	assert_int_equal(r.bits, 43);
	/* the C-bit decides when it lies below width - reduction */
	p.e1f_ebx = 40 | 1 << 6;
	r = check(&p);
	assert_true(r.ok);
	assert_int_equal(r.bits, 40);
	assert_int_equal(r.cbit, 40);
}

static void test_amd_snp_refused(void **state)
{
	(void)state;
	struct memcrypt_probe p = epyc_zen3(SYSCFG_MEM_ENCRYPT | SYSCFG_SNP_EN);
	struct memcrypt_result r = check(&p);
	assert_false(r.ok);
	assert_non_null(strstr(r.reason, "SEV-SNP"));
	assert_non_null(strstr(r.reason, "turn SEV-SNP off in the firmware setup"));
	/* SNPEn without MemEncryptionModEn is refused too */
	p.syscfg = SYSCFG_SNP_EN;
	r = check(&p);
	assert_false(r.ok);
	char note[MEMCRYPT_REASON_MAX] = "x";
	memcrypt_describe(&r, note, sizeof(note));
	assert_string_equal(note, "");
}

/* No 0x8000001F, no feature bits, SYSCFG unread: nothing to decide. */
static void test_amd_no_leaf(void **state)
{
	(void)state;
	struct memcrypt_probe p = epyc_zen3(SYSCFG_MEM_ENCRYPT | SYSCFG_SNP_EN);
	p.e1f_valid = false;
	struct memcrypt_result r = check(&p);
	assert_true(r.ok);
	assert_int_equal(r.bits, 48);
	p = epyc_zen3(SYSCFG_MEM_ENCRYPT | SYSCFG_SNP_EN);
	p.e1f_eax = 0; /* leaf present, no SME / SEV / SNP: the MSR value means nothing */
	r = check(&p);
	assert_true(r.ok);
	assert_int_equal(r.bits, 48);
	p = epyc_zen3(SYSCFG_MEM_ENCRYPT);
	p.syscfg_valid = false;
	r = check(&p);
	assert_true(r.ok);
	assert_int_equal(r.bits, 48);
}

static void test_amd_absurd(void **state)
{
	(void)state;
	struct memcrypt_probe p = epyc_zen3(SYSCFG_MEM_ENCRYPT);
	struct memcrypt_result r;

	/* C-bit 0 (or anywhere below 4 GiB): refused, never a 0-bit map */
	for (unsigned cbit = 0; cbit < 32; cbit++) {
		p.e1f_ebx = cbit | 5 << 6;
		r = check(&p);
		assert_false(r.ok);
		assert_non_null(strstr(r.reason, "C-bit"));
	}
	/* a reduction of the whole width, or more, or leaving under 32 bits */
	static const unsigned red[] = { 17, 30, 47, 48, 63 };
	for (unsigned i = 0; i < ARRAY_SIZE(red); i++) {
		p.e1f_ebx = 47 | red[i] << 6;
		r = check(&p);
		assert_false(r.ok);
	}
	/* exactly 32 left is still fine */
	p.e1f_ebx = 47 | 16 << 6;
	r = check(&p);
	assert_true(r.ok);
	assert_int_equal(r.bits, 32);
	/* an absurd CPUID width is taken as 36, then reduced */
	p.e8_eax = 0x30ff;
	p.e1f_ebx = 47 | 1 << 6;
	r = check(&p);
	assert_true(r.ok);
	assert_int_equal(r.cpu_bits, 36);
	assert_int_equal(r.bits, 35);
	/* every EBX: never a width outside [32, cpu_bits], never at or above the C-bit */
	p.e8_eax = 0x3030;
	for (u32 ebx = 0; ebx < 4096; ebx++) {
		p.e1f_ebx = ebx | 0xfffff000u; /* bits above 11 are reserved: ignored */
		check(&p);
	}
}

static void test_intel_tme_mk(void **state)
{
	(void)state;
	struct memcrypt_probe p = icelake_sp(tme(true, true, 6));
	struct memcrypt_result r = check(&p);
	char note[MEMCRYPT_REASON_MAX];
	assert_true(r.ok);
	assert_int_equal(r.kind, MEMCRYPT_TME_MK);
	assert_int_equal(r.cpu_bits, 52);
	assert_int_equal(r.taken, 6);
	assert_int_equal(r.bits, 46);
	memcrypt_describe(&r, note, sizeof(note));
	assert_string_equal(note,
			    "TME-MK enabled: the root's physical address width is 46 bits, not 52 (6 KeyID bits)");
}

static void test_intel_no_clamp(void **state)
{
	(void)state;
	struct memcrypt_result r;
	struct memcrypt_probe p;

	/* TME active with no KeyID bits: one key for all memory, transparent */
	p = icelake_sp(tme(true, true, 0));
	r = check(&p);
	assert_true(r.ok);
	assert_int_equal(r.kind, MEMCRYPT_NONE);
	assert_int_equal(r.bits, 52);
	/* unlocked: the firmware did not activate TME; KeyID bits there mean nothing */
	p = icelake_sp(tme(false, true, 6));
	r = check(&p);
	assert_int_equal(r.bits, 52);
	/* locked but not enabled */
	p = icelake_sp(tme(true, false, 6));
	r = check(&p);
	assert_int_equal(r.bits, 52);
	/* CPUID without TME_EN: the MSR is not read, and a recorded value is ignored */
	p = icelake_sp(tme(true, true, 6));
	p.c7_ecx &= ~(u32)CPUID7_ECX_TME;
	r = check(&p);
	assert_int_equal(r.bits, 52);
	p = icelake_sp(tme(true, true, 6));
	p.c7_valid = false;
	r = check(&p);
	assert_int_equal(r.bits, 52);
	p = icelake_sp(tme(true, true, 6));
	p.tme_valid = false;
	r = check(&p);
	assert_int_equal(r.bits, 52);
}

static void test_intel_absurd(void **state)
{
	(void)state;
	struct memcrypt_probe p = icelake_sp(tme(true, true, 15));
	struct memcrypt_result r = check(&p);

	/* 15 KeyID bits of 52 leave 37 */
	assert_true(r.ok);
	assert_int_equal(r.bits, 37);
	/* of a 36-bit CPU (e.g. CPUID 0x80000008 absent), 15 leave too few: refused */
	p.e8_valid = false;
	r = check(&p);
	assert_false(r.ok);
	assert_non_null(strstr(r.reason, "KeyID"));
	p.e8_valid = true;
	p.e8_eax = 39;
	for (unsigned k = 0; k < 16; k++) {
		p.tme_activate = tme(true, true, k);
		r = check(&p);
		assert_int_equal(r.ok, 39 - k >= 32);
		if (r.ok)
			assert_int_equal(r.bits, 39 - k);
	}
}

/* The other vendor's records never count; an unknown vendor gets CPUID's width. */
static void test_vendor_mixups(void **state)
{
	(void)state;
	struct memcrypt_probe p = icelake_sp(tme(true, true, 6));
	p.vendor = RAUM_VENDOR_AMD;
	struct memcrypt_result r = check(&p);
	assert_int_equal(r.bits, 52);
	p = epyc_zen3(SYSCFG_MEM_ENCRYPT | SYSCFG_SNP_EN);
	p.vendor = RAUM_VENDOR_INTEL;
	r = check(&p);
	assert_true(r.ok);
	assert_int_equal(r.bits, 48);
	p.vendor = RAUM_VENDOR_UNKNOWN;
	r = check(&p);
	assert_true(r.ok);
	assert_int_equal(r.bits, 48);
	struct memcrypt_probe none = { 0 };
	r = check(&none);
	assert_true(r.ok);
	assert_int_equal(r.bits, 36);
}

/* Random records: the invariants hold for any input. */
static void test_random(void **state)
{
	(void)state;
	u64 seed = 0x5eed5eed;
	for (int i = 0; i < 200000; i++) {
		struct memcrypt_probe p = {
			.vendor = (u32)(unit_rand(&seed) % 4),
			.e8_valid = unit_rand(&seed) & 1, .e8_eax = (u32)unit_rand(&seed),
			.e1f_valid = unit_rand(&seed) & 1, .e1f_eax = (u32)unit_rand(&seed),
			.e1f_ebx = (u32)unit_rand(&seed),
			.syscfg_valid = unit_rand(&seed) & 1, .syscfg = unit_rand(&seed),
			.c7_valid = unit_rand(&seed) & 1, .c7_ecx = (u32)unit_rand(&seed),
			.tme_valid = unit_rand(&seed) & 1, .tme_activate = unit_rand(&seed),
		};
		if (i & 1)
			p.e8_eax = 32 + (u32)(unit_rand(&seed) % 21);
		check(&p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_amd_sme_off),
		cmocka_unit_test(test_amd_sme_on),
		cmocka_unit_test(test_amd_sev_only),
		cmocka_unit_test(test_amd_cbit_above_width),
		cmocka_unit_test(test_amd_snp_refused),
		cmocka_unit_test(test_amd_no_leaf),
		cmocka_unit_test(test_amd_absurd),
		cmocka_unit_test(test_intel_tme_mk),
		cmocka_unit_test(test_intel_no_clamp),
		cmocka_unit_test(test_intel_absurd),
		cmocka_unit_test(test_vendor_mixups),
		cmocka_unit_test(test_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
