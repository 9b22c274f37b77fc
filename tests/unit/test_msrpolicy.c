// SPDX-License-Identifier: MIT
/*
 * kernel/msrpolicy.c: the root's MSR allowlist (docs/security.md). The
 * table's shape, the default (deny), each class of MSR the hardening
 * review named (address decoding, PT / DS / PEBS output, microcode, HWCR,
 * SME, MTRRs, the xAPIC base, VMX capability MSRs), the hot MSRs of a
 * Linux root (no exit), and the emulation checks.
 */
#include "unit.h"

#include <raum/bootinfo.h>
#include <raum/msrpolicy.h>

#include "../../svm/perfctl.h"

#define AMD RAUM_VENDOR_AMD
#define INTEL RAUM_VENDOR_INTEL

static void table_sorted_and_disjoint_per_vendor(void **state)
{
	(void)state;
	size_t n;
	const struct msr_rule *r = msr_rules(&n);

	assert_true(n > 20);
	for (size_t i = 0; i < n; i++) {
		assert_true(r[i].first <= r[i].last);
		assert_true(r[i].vendors != 0 && (r[i].vendors & ~MSR_V_ALL) == 0);
		assert_non_null(r[i].why);
		assert_true(strlen(r[i].why) > 10);
		/* a rule that allows nothing has no reason to exist */
		assert_false(r[i].read == MSR_DENY && r[i].write == MSR_DENY);
		if (i == 0)
			continue;
		assert_true(r[i - 1].first <= r[i].first);
		assert_true(r[i - 1].last <= r[i].last); /* msr_rule_find's binary search needs it */
		for (size_t j = 0; j < i; j++)
			if (r[j].vendors & r[i].vendors)
				assert_true(r[j].last < r[i].first);
	}
}

static void every_rule_is_found(void **state)
{
	(void)state;
	size_t n;
	const struct msr_rule *r = msr_rules(&n);

	for (size_t i = 0; i < n; i++) {
		u32 vendors[2] = { AMD, INTEL };
		for (int v = 0; v < 2; v++) {
			if (!(r[i].vendors & (v == 0 ? MSR_V_AMD : MSR_V_INTEL)))
				continue;
			assert_ptr_equal(msr_rule_find(vendors[v], r[i].first), &r[i]);
			assert_ptr_equal(msr_rule_find(vendors[v], r[i].last), &r[i]);
		}
	}
}

static void unlisted_msrs_are_denied_both_ways(void **state)
{
	(void)state;
	const u32 unlisted[] = { 0x0, 0x1, 0x11, 0x40001234, 0xffffffff, 0xc0011fff, 0x4d0, 0x1ff, 0x2000,
				 0xc0001fff };
	for (size_t i = 0; i < ARRAY_SIZE(unlisted); i++)
		for (u32 v = AMD; v >= INTEL; v--) {
			assert_null(msr_rule_find(v, unlisted[i]));
			assert_int_equal(msr_policy(v, unlisted[i], false), MSR_DENY);
			assert_int_equal(msr_policy(v, unlisted[i], true), MSR_DENY);
		}
	/* an unknown vendor gets nothing */
	assert_int_equal(msr_policy(0, 0xc0000100, false), MSR_DENY);
}

/* Writes the review found dangerous: all denied, on both vendors. */
static void dangerous_writes_denied(void **state)
{
	(void)state;
	const u32 both[] = {
		0x79,       /* BIOS_UPDT_TRIG: microcode load */
		0x560, 0x561, 0x570, 0x571, 0x572, 0x580, 0x587, /* Intel PT output and control */
		0x600,      /* DS_AREA */
		0x3f1,      /* PEBS_ENABLE */
		0x1c9, 0x680, 0x6c0, /* LBR storage */
		0x9b,       /* SMM_MONITOR_CTL */
		0x981, 0x982, /* TME */
		0x1f2, 0x1f3, /* SMRR */
		0x480, 0x48c, 0x491, 0x492, 0x493, /* VMX capabilities */
		0xc0010010, /* SYSCFG */
		0xc0010015, /* HWCR */
		0xc0010016, 0xc0010017, 0xc0010018, 0xc0010019, /* IORRs */
		0xc001001a, 0xc001001d, /* TOP_MEM, TOM2 */
		0xc0010058, /* MMIO_CFG_BASE */
		0xc0010020, /* PATCH_LOADER */
		0xc0010111, 0xc0010112, 0xc0010113, 0xc0010116, /* SMM */
		0xc0011004, 0xc0011005, /* CPUID overrides */
		0xc0010131, /* SEV_STATUS */
	};
	for (size_t i = 0; i < ARRAY_SIZE(both); i++) {
		assert_int_equal(msr_policy(AMD, both[i], true), MSR_DENY);
		assert_int_equal(msr_policy(INTEL, both[i], true), MSR_DENY);
	}
	/* VMX capability reads (0x492 / 0x493 would reveal VMX too) */
	for (u32 m = 0x480; m <= 0x493; m++)
		assert_int_equal(msr_policy(INTEL, m, false), MSR_DENY);
}

/* Address-decoding reads stay allowed (Linux reads SYSCFG, TOP_MEM, TOM2 with plain RDMSR). */
static void amd_decoding_readable(void **state)
{
	(void)state;
	const u32 m[] = { 0xc0010010, 0xc0010015, 0xc001001a, 0xc001001d, 0xc0010058 };
	for (size_t i = 0; i < ARRAY_SIZE(m); i++) {
		assert_int_equal(msr_policy(AMD, m[i], false), MSR_PASS);
		assert_int_equal(msr_policy(INTEL, m[i], false), MSR_DENY); /* no such MSR on Intel */
	}
}

/* The hot MSRs of a Linux root never exit where a bitmap covers them. */
static void hot_msrs_pass(void **state)
{
	(void)state;
	const u32 both[] = { 0x48, 0x49, 0x277, 0x174, 0x175, 0x176, 0xc0000081, 0xc0000082, 0xc0000084,
			     0xc0000100, 0xc0000101, 0xc0000102, 0xc0000103, 0x10, 0x3b };
	for (size_t i = 0; i < ARRAY_SIZE(both); i++)
		for (u32 v = AMD; v >= INTEL; v--) {
			assert_int_equal(msr_policy(v, both[i], false), MSR_PASS);
			assert_int_equal(msr_policy(v, both[i], true), MSR_PASS);
		}
	const u32 intel[] = { 0x6e0 /* TSC_DEADLINE */, 0x80b /* x2APIC EOI */, 0x808 /* TPR */,
			      0x838 /* timer */, 0x1d9, 0xc0000080 };
	for (size_t i = 0; i < ARRAY_SIZE(intel); i++) {
		assert_int_equal(msr_policy(INTEL, intel[i], false), MSR_PASS);
		assert_int_equal(msr_policy(INTEL, intel[i], true), MSR_PASS);
	}
}

static void emulated_and_vendor_msrs(void **state)
{
	(void)state;
	/* checked writes */
	for (u32 v = AMD; v >= INTEL; v--) {
		assert_int_equal(msr_policy(v, MSR_IA32_APIC_BASE, true), MSR_EMULATE);
		assert_int_equal(msr_policy(v, MSR_IA32_APIC_BASE, false), MSR_PASS);
		/* the x2APIC ICR: INIT and SIPI are Raum's (include/raum/smp.h); AMD's x2APIC MSRs stay denied */
		assert_int_equal(msr_policy(v, 0x830, true), v == INTEL ? MSR_EMULATE : MSR_DENY);
		assert_int_equal(msr_policy(v, 0x830, false), v == INTEL ? MSR_PASS : MSR_DENY);
		assert_int_equal(msr_policy(v, MSR_IA32_UCODE_REV, true), MSR_EMULATE);
		assert_int_equal(msr_policy(v, MSR_IA32_MISC_ENABLE, true), MSR_EMULATE);
		/* MTRRs: shadowed both ways, MTRRCAP read-only */
		const u32 mtrr[] = { 0x200, 0x20f, 0x21f, 0x250, 0x258, 0x259, 0x268, 0x26f, 0x2ff };
		for (size_t i = 0; i < ARRAY_SIZE(mtrr); i++) {
			assert_int_equal(msr_policy(v, mtrr[i], false), MSR_EMULATE);
			assert_int_equal(msr_policy(v, mtrr[i], true), MSR_EMULATE);
		}
		assert_int_equal(msr_policy(v, 0xfe, false), MSR_EMULATE);
		assert_int_equal(msr_policy(v, 0xfe, true), MSR_DENY);
		assert_int_equal(msr_policy(v, 0x251, true), MSR_DENY); /* between the fixed ranges */
	}
	/* backend-emulated */
	assert_int_equal(msr_policy(AMD, 0xc0000080, true), MSR_VENDOR);
	assert_int_equal(msr_policy(AMD, 0xc0010114, false), MSR_VENDOR);
	assert_int_equal(msr_policy(AMD, 0xc0010117, true), MSR_VENDOR);
	assert_int_equal(msr_policy(INTEL, 0x3a, false), MSR_VENDOR);
	assert_int_equal(msr_policy(AMD, 0x3a, false), MSR_DENY); /* no FEATURE_CONTROL on AMD */
	assert_int_equal(msr_policy(INTEL, 0xc0010114, false), MSR_DENY);
	/* AMD DEBUGCTL: switched by the backend (svm/dbgpmu.c); Intel's is VMCS guest state */
	assert_int_equal(msr_policy(AMD, 0x1d9, false), MSR_VENDOR);
	assert_int_equal(msr_policy(AMD, 0x1d9, true), MSR_VENDOR);
}

/* AMD: exactly the PerfEvtSel registers svm/dbgpmu.c emulates are MSR_VENDOR; the counters pass. */
static void amd_perf_ctl_to_the_backend(void **state)
{
	(void)state;
	int ctl = 0;
	for (u32 m = 0xc0010000; m <= 0xc001020b; m++) {
		if (m == 0xc0010008)
			m = 0xc0010200; /* the two PMU ranges only */
		bool is_ctl = perf_ctl_index(m) >= 0;
		ctl += is_ctl;
		for (int w = 0; w < 2; w++)
			assert_int_equal(msr_policy(AMD, m, w), is_ctl ? MSR_VENDOR : MSR_PASS);
	}
	assert_int_equal(ctl, 4 + 6);
	assert_int_equal(msr_policy(INTEL, 0xc0010000, true), MSR_DENY);
}

static void apic_base_never_over_raum(void **state)
{
	(void)state;
	const u64 hv = 0x1e000000, size = 0x2000000; /* Raum: 32 MiB at 480 MiB */
	const u64 flags = BIT(11) | BIT(8); /* enable, BSP */

	assert_true(msr_apic_base_ok(0xfee00000 | flags, hv, size));
	assert_true(msr_apic_base_ok((hv - PAGE_SIZE) | flags, hv, size)); /* the page just below */
	assert_true(msr_apic_base_ok((hv + size) | flags, hv, size));      /* the page just above */
	assert_false(msr_apic_base_ok(hv | flags, hv, size));
	assert_false(msr_apic_base_ok((hv + size - PAGE_SIZE) | flags, hv, size));
	assert_false(msr_apic_base_ok((hv + 0x123000) | BIT(10) | flags, hv, size)); /* x2APIC bit too */
	/* bits above 51 are not address bits: the page is still Raum's */
	assert_false(msr_apic_base_ok((hv + 0x5000) | (1ULL << 60), hv, size));
}

static void misc_enable_only_harmless_bits(void **state)
{
	(void)state;
	const u64 cur = 0x851889; /* fast strings, TCC, perfmon, BTS / PEBS unavailable, EIST, MONITOR, xTPR */

	assert_true(msr_misc_enable_ok(cur, cur));
	assert_true(msr_misc_enable_ok(cur, cur & ~BIT(22)));
	assert_true(msr_misc_enable_ok(cur, cur | BIT(22) | BIT(38)));
	assert_false(msr_misc_enable_ok(cur, cur | BIT(34))); /* XD disable: NX off for Raum too */
	assert_false(msr_misc_enable_ok(cur | BIT(34), cur)); /* nor back */
	assert_false(msr_misc_enable_ok(cur, cur & ~BIT(11))); /* BTS unavailable is read-only */
	assert_false(msr_misc_enable_ok(cur, cur | (1ULL << 63)));
}

static void nb_cfg_only_ext_config(void **state)
{
	(void)state;
	const u64 cur = 0x0000000000000000ULL | BIT(54);

	assert_int_equal(msr_policy(AMD, MSR_AMD_NB_CFG, true), MSR_EMULATE);
	assert_int_equal(msr_policy(AMD, MSR_AMD_NB_CFG, false), MSR_PASS);
	assert_true(msr_nb_cfg_ok(cur, cur | (1ULL << 46)));  /* what Linux writes */
	assert_true(msr_nb_cfg_ok(cur | (1ULL << 46), cur));
	assert_false(msr_nb_cfg_ok(cur, cur | BIT(0)));
	assert_false(msr_nb_cfg_ok(cur, cur & ~BIT(54)));
}

/* docs/security.md lists every rule (the runner starts tests in the repository's root). */
static void docs_list_every_rule(void **state)
{
	(void)state;
	FILE *f = fopen("docs/security.md", "r");
	assert_non_null(f);
	static char doc[64 * 1024];
	size_t len = fread(doc, 1, sizeof(doc) - 1, f);
	fclose(f);
	doc[len] = 0;

	size_t n;
	const struct msr_rule *r = msr_rules(&n);
	for (size_t i = 0; i < n; i++) {
		char want[64];
		if (r[i].first == r[i].last)
			snprintf(want, sizeof(want), "| `0x%08x` |", r[i].first);
		else
			snprintf(want, sizeof(want), "| `0x%08x-0x%08x` |", r[i].first, r[i].last);
		if (!strstr(doc, want))
			fail_msg("docs/security.md has no row %s (%s)", want, r[i].why);
		assert_non_null(strstr(doc, r[i].why));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(table_sorted_and_disjoint_per_vendor),
		cmocka_unit_test(every_rule_is_found),
		cmocka_unit_test(unlisted_msrs_are_denied_both_ways),
		cmocka_unit_test(dangerous_writes_denied),
		cmocka_unit_test(amd_decoding_readable),
		cmocka_unit_test(hot_msrs_pass),
		cmocka_unit_test(emulated_and_vendor_msrs),
		cmocka_unit_test(apic_base_never_over_raum),
		cmocka_unit_test(misc_enable_only_harmless_bits),
		cmocka_unit_test(nb_cfg_only_ext_config),
		cmocka_unit_test(docs_list_every_rule),
		cmocka_unit_test(amd_perf_ctl_to_the_backend),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
