// SPDX-License-Identifier: MIT
/*
 * kernel/cpuid.c: the table of what CPUID shows the root, and its
 * consistency with the controls vmx_compute_controls enables, from the
 * capability MSRs recorded on Bochs (/work/shared/PLATFORM.md): every
 * feature the root is shown has its enable control on, and every control
 * the CPU does not allow hides its features. AMD: memory encryption and
 * INVLPGB hidden, from the CPUID of a Zen 3 EPYC (SME, SEV, INVLPGB) and
 * of QEMU's EPYC model (neither).
 */
#include "unit.h"

#include <raum/bootinfo.h>
#include <raum/cpuid.h>

#include "bochs_caps.h"

/* skylake_x(), tigerlake(): tests/unit/bochs_caps.h */

/* The secondary control of each table control, from the SDM (25.6.2), not from vmx/caps.c. */
static u32 sdm_proc2(unsigned ctl)
{
	switch (ctl) {
	case CPUID_CTL_RDTSCP: return 1u << 3;
	case CPUID_CTL_INVPCID: return 1u << 12;
	case CPUID_CTL_XSAVES: return 1u << 20;
	case CPUID_CTL_USER_WAIT: return 1u << 26;
	default: fail_msg("control %u has no secondary control", ctl); return 0;
	}
}

/* The bits of (leaf, subleaf, reg) the root sees out of 'hw'. */
static u32 shown(const struct cpuid_policy *p, u32 leaf, u32 subleaf, int reg, u32 hw)
{
	int s = cpuid_slot(leaf, subleaf);
	if (s < 0)
		return hw;
	return (hw & p->and_mask[s][reg]) | p->or_bits[s][reg];
}

static void test_table_well_formed(void **state)
{
	(void)state;
	assert_true(cpuid_nr_rules > 0);
	for (size_t i = 0; i < cpuid_nr_rules; i++) {
		const struct cpuid_rule *r = &cpuid_rules[i];
		assert_true(cpuid_slot(r->leaf, r->subleaf) >= 0); /* else exit_cpuid would never apply it */
		assert_true(r->reg <= CPUID_EDX);
		assert_true(r->ctl < CPUID_CTLS);
		assert_true(r->mask != 0);
		assert_true(r->vendors && !(r->vendors & ~CPUID_BOTH));
		assert_non_null(r->name);
		assert_true(r->reason && strlen(r->reason) > 8);
		/* a control is a VT-x one: AMD rules are unconditional */
		if (r->ctl != CPUID_CTL_NEVER)
			assert_int_equal(r->vendors, CPUID_INTEL);
	}
	assert_int_equal(cpuid_wanted_ctls(RAUM_VENDOR_AMD), 0);
	assert_int_equal(cpuid_wanted_ctls(RAUM_VENDOR_INTEL),
			 CPUID_CTL_BIT(CPUID_CTL_RDTSCP) | CPUID_CTL_BIT(CPUID_CTL_INVPCID) |
				 CPUID_CTL_BIT(CPUID_CTL_XSAVES) | CPUID_CTL_BIT(CPUID_CTL_USER_WAIT));
}

/*
 * The core property on one CPU: for every Intel rule, its bits are shown
 * exactly when its control is on in the secondary controls Raum programs.
 */
static void assert_consistent(const struct vmx_caps_msrs *m)
{
	struct vmx_controls c;
	struct cpuid_policy p;

	assert_rc(vmx_compute_controls(m, &c, NULL, 0), 0);
	cpuid_policy_init(&p, RAUM_VENDOR_INTEL, c.cpuid_ctls, 0, 0);
	for (size_t i = 0; i < cpuid_nr_rules; i++) {
		const struct cpuid_rule *r = &cpuid_rules[i];
		if (!(r->vendors & CPUID_INTEL))
			continue;
		u32 out = shown(&p, r->leaf, r->subleaf, r->reg, 0xffffffffu) & r->mask;
		if (r->ctl == CPUID_CTL_NEVER) {
			assert_int_equal(out, 0);
			continue;
		}
		bool on = c.proc2 & sdm_proc2(r->ctl);
		if (on)
			assert_int_equal(out, r->mask);
		else
			assert_int_equal(out, 0);
		/* the report matches the programmed control */
		assert_int_equal(!!(c.cpuid_ctls & CPUID_CTL_BIT(r->ctl)), on);
		/* a control the CPU allows is never left off */
		if ((m->procbased2 >> 32) & sdm_proc2(r->ctl))
			assert_true(on);
	}
}

static void test_bochs_skylake_x(void **state)
{
	(void)state;
	struct vmx_caps_msrs m = skylake_x();
	struct vmx_controls c;
	struct cpuid_policy p;

	assert_consistent(&m);
	assert_rc(vmx_compute_controls(&m, &c, NULL, 0), 0);
	cpuid_policy_init(&p, RAUM_VENDOR_INTEL, c.cpuid_ctls, 0, 0);
	/* skylake_x allows RDTSCP, INVPCID, XSAVES, not user wait and pause (CTLS2 bit 26) */
	assert_true(shown(&p, 0x80000001, 0, CPUID_EDX, ~0u) & (1u << 27));
	assert_true(shown(&p, 7, 0, CPUID_ECX, ~0u) & (1u << 22));  /* RDPID */
	assert_true(shown(&p, 7, 0, CPUID_EBX, ~0u) & (1u << 10));
	assert_true(shown(&p, 0xd, 1, CPUID_EAX, ~0u) & (1u << 3));
	assert_false(shown(&p, 7, 0, CPUID_ECX, ~0u) & (1u << 5));  /* WAITPKG */
	assert_false(shown(&p, 7, 0, CPUID_EDX, ~0u) & (1u << 18)); /* PCONFIG */
	assert_false(shown(&p, 7, 0, CPUID_ECX, ~0u) & (1u << 13)); /* TME */
	assert_false(shown(&p, 1, 0, CPUID_ECX, ~0u) & (3u << 5));  /* VMX, SMX */
	assert_true(shown(&p, 1, 0, CPUID_ECX, 0) & (1u << 31));    /* hypervisor */
	/* AMD-only rules leave Intel leaves alone */
	assert_int_equal(shown(&p, 0x8000001f, 0, CPUID_EAX, 0x1234), 0x1234);
	assert_int_equal(shown(&p, 0x80000008, 0, CPUID_EBX, ~0u), ~0u);
	/* other leaves pass */
	assert_int_equal(shown(&p, 0, 0, CPUID_EBX, 0x756e6547), 0x756e6547);
	assert_int_equal(shown(&p, 7, 1, CPUID_EAX, ~0u), ~0u);
}

static void test_bochs_tigerlake(void **state)
{
	(void)state;
	struct vmx_caps_msrs m = tigerlake();
	assert_consistent(&m);
}

/* A control vmx_compute_controls drops (the CPU does not allow it) hides its bits. */
static void test_dropped_controls_hide(void **state)
{
	(void)state;
	for (unsigned ctl = 1; ctl < CPUID_CTLS; ctl++) {
		struct vmx_caps_msrs m = skylake_x();
		struct vmx_controls c;
		struct cpuid_policy p;

		m.procbased2 |= (u64)(1u << 26) << 32; /* a CPU with user wait and pause */
		m.procbased2 &= ~((u64)sdm_proc2(ctl) << 32);
		assert_consistent(&m);
		assert_rc(vmx_compute_controls(&m, &c, NULL, 0), 0);
		assert_false(c.proc2 & sdm_proc2(ctl));
		cpuid_policy_init(&p, RAUM_VENDOR_INTEL, c.cpuid_ctls, 0, 0);
		for (size_t i = 0; i < cpuid_nr_rules; i++) {
			const struct cpuid_rule *r = &cpuid_rules[i];
			if (r->vendors & CPUID_INTEL && r->ctl != CPUID_CTL_NEVER) {
				u32 out = shown(&p, r->leaf, r->subleaf, r->reg, ~0u) & r->mask;
				assert_int_equal(out, r->ctl == ctl ? 0 : r->mask);
			}
		}
	}
	/* all four off: none of their features shown */
	struct vmx_caps_msrs m = skylake_x();
	m.procbased2 &= ~((u64)((1u << 3) | (1u << 12) | (1u << 20) | (1u << 26)) << 32);
	assert_consistent(&m);
}

/* A CPU that allows "enable user wait and pause": WAITPKG shown, and the control on. */
static void test_user_wait_enabled(void **state)
{
	(void)state;
	struct vmx_caps_msrs m = tigerlake();
	struct vmx_controls c;
	struct cpuid_policy p;

	m.procbased2 |= (u64)(1u << 26) << 32;
	assert_rc(vmx_compute_controls(&m, &c, NULL, 0), 0);
	assert_true(c.proc2 & (1u << 26));
	assert_false(c.proc2 & (1u << 27)); /* enable PCONFIG stays off */
	cpuid_policy_init(&p, RAUM_VENDOR_INTEL, c.cpuid_ctls, 0, 0);
	assert_true(shown(&p, 7, 0, CPUID_ECX, ~0u) & (1u << 5));
	assert_consistent(&m);
}

/*
 * AMD: a Zen 3 EPYC with SME, SEV, SEV-ES, SNP (0x8000001F EAX 0x1b, EBX
 * 0x16f: C-bit 47, reduction 5) and INVLPGB (0x80000008 EBX bit 3, EDX
 * count 7), as test_memcrypt.c records it; with SME on, the root's width
 * is 43 of 48 bits.
 */
static void test_amd_epyc_zen3(void **state)
{
	(void)state;
	struct cpuid_policy p;

	cpuid_policy_init(&p, RAUM_VENDOR_AMD, 0, 43, 48);
	for (int reg = CPUID_EAX; reg <= CPUID_EDX; reg++)
		assert_int_equal(shown(&p, 0x8000001f, 0, reg, reg == CPUID_EAX ? 0x1b : 0x16f), 0);
	assert_int_equal(shown(&p, 0x80000008, 0, CPUID_EAX, 0x3030), 0x302b);
	assert_int_equal(shown(&p, 0x80000008, 0, CPUID_EBX, 0x0000000f), 0x7); /* INVLPGB gone */
	assert_int_equal(shown(&p, 0x80000008, 0, CPUID_EDX, 0x00010007), 0x10000);
	assert_int_equal(shown(&p, 0x80000001, 0, CPUID_ECX, (1u << 2) | (1u << 12) | 1), 1); /* SVM, SKINIT */
	assert_int_equal(shown(&p, 0x8000000a, 0, CPUID_EDX, 0xffffffff), 0);
	/* AMD runs RDTSCP, INVPCID, XSAVES without controls: shown */
	assert_true(shown(&p, 0x80000001, 0, CPUID_EDX, ~0u) & (1u << 27));
	assert_true(shown(&p, 0xd, 1, CPUID_EAX, ~0u) & (1u << 3));
	assert_true(shown(&p, 7, 0, CPUID_EBX, ~0u) & (1u << 10));
	/* Intel-only rules do not apply */
	assert_true(shown(&p, 7, 0, CPUID_ECX, ~0u) & (1u << 13));
}

/*
 * QEMU 7.2 -cpu EPYC (TCG): no SME / SEV and no INVLPGB, the full width:
 * the width passes as it is (the intercept suite checks leaf 0x8000001F).
 */
static void test_amd_qemu_epyc(void **state)
{
	(void)state;
	struct cpuid_policy p;

	cpuid_policy_init(&p, RAUM_VENDOR_AMD, 0, 48, 48);
	assert_int_equal(shown(&p, 0x80000008, 0, CPUID_EAX, 0x3030), 0x3030);
	assert_int_equal(shown(&p, 0x80000008, 0, CPUID_EBX, 0), 0);
	/* a wider native width than Raum's limit is clamped, a narrower one is not raised */
	cpuid_policy_init(&p, RAUM_VENDOR_AMD, 0, 40, 39);
	assert_int_equal(shown(&p, 0x80000008, 0, CPUID_EAX, 0x3027), 0x3027);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_well_formed),
		cmocka_unit_test(test_bochs_skylake_x),
		cmocka_unit_test(test_bochs_tigerlake),
		cmocka_unit_test(test_dropped_controls_hide),
		cmocka_unit_test(test_user_wait_enabled),
		cmocka_unit_test(test_amd_epyc_zen3),
		cmocka_unit_test(test_amd_qemu_epyc),
	};
	return cmocka_run_group_tests_name("cpuid", tests, NULL, NULL) ? 1 : 0;
}
