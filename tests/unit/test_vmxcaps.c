// SPDX-License-Identifier: MIT
/*
 * vmx/caps.c: VT-x control decisions from the capability MSRs recorded on
 * Bochs CPU models (/work/shared/PLATFORM.md) and made-up edge cases; the
 * VM-instruction error and exit-reason names. The guest-state checker
 * (vmx/check.c) is tested in test_vmxcheck.c.
 */
#include "unit.h"

#include "bochs_caps.h"

/* ---- capability MSRs ---- */

/* skylake_x(), tigerlake(): tests/unit/bochs_caps.h */

/* EPT and VPID, no unrestricted guest, no 1 GiB EPT pages, no EPT A/D. */
static struct vmx_caps_msrs lynnfield(void)
{
	struct vmx_caps_msrs m = skylake_x();
	m.procbased2 = 0x0000007f00000000ULL;
	m.ept_vpid_cap = 0x00000f0106114141ULL;
	return m;
}

/* Secondary controls without EPT or VPID: the probe leaves EPT_VPID_CAP 0. */
static struct vmx_caps_msrs bx_generic(void)
{
	struct vmx_caps_msrs m = skylake_x();
	m.procbased2 = 0x0000004900000000ULL;
	m.ept_vpid_cap = 0;
	return m;
}

/* A control value is inside its capability MSR (SDM vol. 3D A.3). */
static void assert_fits(u32 v, u64 msr)
{
	u32 must1 = (u32)msr, may1 = (u32)(msr >> 32);

	assert_int_equal(v & must1, must1);
	assert_int_equal(v & ~may1, 0);
}

static void assert_all_fit(const struct vmx_controls *c, const struct vmx_caps_msrs *m)
{
	assert_fits(c->pin, m->pinbased);
	assert_fits(c->proc, m->procbased);
	assert_fits(c->proc2, m->procbased2);
	assert_fits(c->exit, m->exit);
	assert_fits(c->entry, m->entry);
}

static int compute(const struct vmx_caps_msrs *m, struct vmx_controls *c, char *why, size_t len)
{
	memset(c, 0xa5, sizeof(*c)); /* stale values must not survive */
	memset(why, 'x', len);
	return vmx_compute_controls(m, c, why, len);
}

/* What every accepted CPU must give: the required and wanted controls, no unwanted exits. */
static void assert_raum_controls(const struct vmx_controls *c, const struct vmx_caps_msrs *m)
{
	assert_all_fit(c, m);
	assert_true(c->pin & PIN_NMI_EXIT);
	assert_true(c->pin & PIN_VIRTUAL_NMIS);
	assert_true(c->proc & PROC_USE_MSR_BITMAPS);
	assert_true(c->proc & PROC_SECONDARY);
	assert_true(c->proc2 & PROC2_EPT);
	assert_true(c->proc2 & PROC2_UNRESTRICTED);
	assert_true(c->exit & EXIT_HOST_64);
	assert_true(c->exit & EXIT_SAVE_EFER);
	assert_true(c->exit & EXIT_LOAD_EFER);
	assert_true(c->entry & ENTRY_LOAD_EFER);
	assert_true(c->ug);
	/* Unwanted where the TRUE MSRs allow 0. */
	assert_false(c->pin & PIN_EXT_INTR_EXIT);
	assert_false(c->proc & PROC_HLT_EXIT);
	assert_false(c->proc & PROC_CR3_LOAD_EXIT);
	assert_false(c->proc & PROC_CR3_STORE_EXIT);
	assert_false(c->proc & PROC_UNCOND_IO_EXIT);
	assert_false(c->proc & PROC_INTR_WINDOW);
	assert_false(c->proc & PROC_NMI_WINDOW);
	/* IA-32e mode guest is the caller's choice per guest. */
	assert_false(c->entry & ENTRY_IA32E);
}

static void test_skylake_x(void **state)
{
	(void)state;
	struct vmx_caps_msrs m = skylake_x();
	struct vmx_controls c;
	char why[160];

	assert_rc(compute(&m, &c, why, sizeof(why)), 0);
	assert_string_equal(why, "");
	assert_raum_controls(&c, &m);
	/* Optional features the root keeps. */
	assert_true(c.proc2 & PROC2_RDTSCP);
	assert_true(c.proc2 & PROC2_INVPCID);
	assert_true(c.proc2 & PROC2_XSAVES);
	assert_true(c.proc2 & PROC2_VPID);
	assert_true(c.exit & EXIT_SAVE_PAT);
	assert_true(c.exit & EXIT_LOAD_PAT);
	assert_true(c.exit & EXIT_SAVE_DEBUG);
	assert_true(c.entry & ENTRY_LOAD_PAT);
	assert_true(c.entry & ENTRY_LOAD_DEBUG);
	assert_true(c.ept_2m);
	assert_true(c.ept_1g);
	assert_true(c.ept_ad);
	assert_true(c.vpid);
	assert_int_equal(c.invept_type, 1);
	assert_int_equal(c.invvpid_type, 1);
	/* Exactly the values the rules give for these MSRs. */
	assert_int_equal(c.pin, 0x3e);          /* must-1 0x16 | NMI exiting | virtual NMIs */
	assert_int_equal(c.proc, 0x96006172);   /* must-1 | I/O bitmaps | MSR bitmaps | secondary */
	assert_int_equal(c.proc2, 0x1010aa);    /* EPT RDTSCP VPID UG INVPCID XSAVES */
	assert_int_equal(c.exit, 0x3f6fff);     /* must-1 | save debug | host 64 | PAT | EFER */
	assert_int_equal(c.entry, 0xd1ff);      /* must-1 | load debug | PAT | EFER */
}

static void test_tigerlake(void **state)
{
	(void)state;
	struct vmx_caps_msrs m = tigerlake();
	struct vmx_controls c;
	char why[160];

	assert_rc(compute(&m, &c, why, sizeof(why)), 0);
	assert_raum_controls(&c, &m);
	assert_true(c.vpid && c.ept_1g && c.ept_2m && c.ept_ad);
	assert_int_equal(c.invept_type, 1);
	assert_int_equal(c.invvpid_type, 1);
	/* Bit 23 (allowed on tigerlake) is not one Raum asks for. */
	assert_false(c.proc2 & BIT(23));
}

static void test_lynnfield_no_ug(void **state)
{
	(void)state;
	struct vmx_caps_msrs m = lynnfield();
	struct vmx_controls c;
	char why[200];

	assert_rc(compute(&m, &c, why, sizeof(why)), -RAUM_ENODEV);
	assert_non_null(strstr(why, "unrestricted guest"));
	assert_non_null(strstr(why, "corei7_skylake_x"));
	assert_int_equal(why[strlen(why) - 1], '.');
}

static void test_bx_generic_no_ept(void **state)
{
	(void)state;
	struct vmx_caps_msrs m = bx_generic();
	struct vmx_controls c;
	char why[200];

	assert_rc(compute(&m, &c, why, sizeof(why)), -RAUM_ENODEV);
	assert_non_null(strstr(why, "lacks EPT"));
	assert_null(strstr(why, "unrestricted"));
}

/* Each required feature taken away alone is refused with its name. */
static void test_required_features(void **state)
{
	(void)state;
	static const struct {
		int msr; /* 0 pin, 1 proc, 2 proc2, 3 exit, 4 entry, 5 ept_vpid_cap */
		u64 clear;
		const char *name;
	} cases[] = {
		{ 0, (u64)PIN_NMI_EXIT << 32, "NMI exiting with virtual NMIs" },
		{ 0, (u64)PIN_VIRTUAL_NMIS << 32, "NMI exiting with virtual NMIs" },
		{ 1, (u64)PROC_USE_MSR_BITMAPS << 32, "MSR bitmaps" },
		{ 1, (u64)PROC_SECONDARY << 32, "secondary processor-based controls" },
		{ 2, (u64)PROC2_EPT << 32, "lacks EPT" },
		{ 2, (u64)PROC2_UNRESTRICTED << 32, "unrestricted guest" },
		{ 5, BIT(6), "page walks of length 4" },
		{ 5, BIT(14), "write-back" },
		{ 5, BIT(20), "INVEPT" },
		{ 5, BIT(25) | BIT(26), "INVEPT" },
		{ 3, (u64)EXIT_HOST_64 << 32, "host address-space size" },
		{ 3, (u64)EXIT_SAVE_EFER << 32, "IA32_EFER on VM exit" },
		{ 3, (u64)EXIT_LOAD_EFER << 32, "IA32_EFER on VM exit" },
		{ 4, (u64)ENTRY_LOAD_EFER << 32, "IA32_EFER on VM entry" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct vmx_caps_msrs m = skylake_x();
		u64 *f[] = { &m.pinbased, &m.procbased, &m.procbased2, &m.exit, &m.entry, &m.ept_vpid_cap };
		struct vmx_controls c;
		char why[256];

		*f[cases[i].msr] &= ~cases[i].clear;
		assert_rc(compute(&m, &c, why, sizeof(why)), -RAUM_ENODEV);
		if (!strstr(why, cases[i].name))
			fail_msg("case %zu: '%s' does not name '%s'", i, why, cases[i].name);
	}
}

/* Optional features absent: accepted, and the controls simply stay off. */
static void test_optional_features(void **state)
{
	(void)state;
	struct vmx_caps_msrs m = skylake_x();
	struct vmx_controls c;
	char why[160];

	m.procbased2 &= ~((u64)(PROC2_RDTSCP | PROC2_INVPCID | PROC2_XSAVES) << 32);
	m.exit &= ~((u64)(EXIT_SAVE_PAT | EXIT_LOAD_PAT | EXIT_SAVE_DEBUG) << 32);
	m.entry &= ~((u64)(ENTRY_LOAD_PAT | ENTRY_LOAD_DEBUG) << 32);
	m.ept_vpid_cap &= ~(BIT(16) | BIT(17) | BIT(21));
	assert_rc(compute(&m, &c, why, sizeof(why)), 0);
	assert_raum_controls(&c, &m);
	assert_false(c.proc2 & (PROC2_RDTSCP | PROC2_INVPCID | PROC2_XSAVES));
	assert_false(c.exit & (EXIT_SAVE_PAT | EXIT_LOAD_PAT | EXIT_SAVE_DEBUG));
	assert_false(c.entry & (ENTRY_LOAD_PAT | ENTRY_LOAD_DEBUG));
	assert_false(c.ept_2m || c.ept_1g || c.ept_ad);
}

/* Without the TRUE MSRs the default1 controls are must-1, and are honoured. */
static void test_must_be_one_honoured(void **state)
{
	(void)state;
	struct vmx_caps_msrs m = skylake_x();
	struct vmx_controls c;
	char why[160];

	m.basic &= ~BIT(55);
	m.procbased = 0xf7f9fffe0401e172ULL;     /* PROCBASED_CTLS: CR3 load/store must be 1 */
	m.procbased2 |= BIT(0) | BIT(6);         /* made up: CTLS2 must-1 bits */
	m.pinbased |= PIN_EXT_INTR_EXIT;         /* made up: external-interrupt exiting must be 1 */
	m.procbased |= PROC_HLT_EXIT | PROC_UNCOND_IO_EXIT;
	assert_rc(compute(&m, &c, why, sizeof(why)), 0);
	assert_all_fit(&c, &m);
	assert_true(c.proc & PROC_CR3_LOAD_EXIT);
	assert_true(c.proc & PROC_CR3_STORE_EXIT);
	assert_true(c.proc & PROC_HLT_EXIT);
	assert_true(c.proc & PROC_UNCOND_IO_EXIT);
	assert_true(c.pin & PIN_EXT_INTR_EXIT);
	assert_int_equal(c.proc2 & (BIT(0) | BIT(6)), BIT(0) | BIT(6));
}

/* A capability MSR that requires what it forbids is refused, not half-obeyed. */
static void test_inconsistent_msr(void **state)
{
	(void)state;
	struct vmx_caps_msrs m = skylake_x();
	struct vmx_controls c;
	char why[200];

	m.entry |= BIT(20); /* must-1 bit 20, allowed-1 only 15:0 */
	assert_rc(compute(&m, &c, why, sizeof(why)), -RAUM_ENODEV);
	assert_non_null(strstr(why, "consistent"));
}

static void test_no_vpid(void **state)
{
	(void)state;
	struct vmx_caps_msrs m = skylake_x();
	struct vmx_controls c;
	char why[160];

	/* The VPID control absent. */
	m.procbased2 &= ~((u64)PROC2_VPID << 32);
	assert_rc(compute(&m, &c, why, sizeof(why)), 0);
	assert_false(c.vpid);
	assert_false(c.proc2 & PROC2_VPID);
	assert_int_equal(c.invvpid_type, 0);
	assert_raum_controls(&c, &m);

	/* The control present but no INVVPID. */
	m = skylake_x();
	m.ept_vpid_cap &= ~BIT(32);
	assert_rc(compute(&m, &c, why, sizeof(why)), 0);
	assert_false(c.vpid);
	assert_false(c.proc2 & PROC2_VPID);
	assert_int_equal(c.invvpid_type, 0);

	/* INVVPID with only the individual-address and retaining-globals types. */
	m = skylake_x();
	m.ept_vpid_cap &= ~(BIT(41) | BIT(42));
	assert_rc(compute(&m, &c, why, sizeof(why)), 0);
	assert_false(c.vpid);
	assert_false(c.proc2 & PROC2_VPID);
	assert_int_equal(c.invvpid_type, 0);
}

static void test_invvpid_all_context_only(void **state)
{
	(void)state;
	struct vmx_caps_msrs m = skylake_x();
	struct vmx_controls c;
	char why[160];

	m.ept_vpid_cap &= ~(BIT(40) | BIT(41) | BIT(43));
	assert_rc(compute(&m, &c, why, sizeof(why)), 0);
	assert_true(c.vpid);
	assert_true(c.proc2 & PROC2_VPID);
	assert_int_equal(c.invvpid_type, 2);
}

static void test_invept_types(void **state)
{
	(void)state;
	struct vmx_caps_msrs m = skylake_x();
	struct vmx_controls c;
	char why[200];

	m.ept_vpid_cap &= ~BIT(25);
	assert_rc(compute(&m, &c, why, sizeof(why)), 0);
	assert_int_equal(c.invept_type, 2);

	m = skylake_x();
	m.ept_vpid_cap &= ~BIT(26);
	assert_rc(compute(&m, &c, why, sizeof(why)), 0);
	assert_int_equal(c.invept_type, 1);

	/* No INVEPT at all: refused. */
	m = skylake_x();
	m.ept_vpid_cap &= ~(BIT(20) | BIT(25) | BIT(26));
	assert_rc(compute(&m, &c, why, sizeof(why)), -RAUM_ENODEV);
	assert_non_null(strstr(why, "INVEPT"));
}

/* 'why' may be NULL or short; it is always terminated. */
static void test_why_buffer(void **state)
{
	(void)state;
	struct vmx_caps_msrs m = lynnfield();
	struct vmx_controls c;
	char why[16];

	assert_rc(vmx_compute_controls(&m, &c, NULL, 0), -RAUM_ENODEV);
	assert_rc(compute(&m, &c, why, sizeof(why)), -RAUM_ENODEV);
	assert_int_equal(strlen(why), sizeof(why) - 1);
	assert_rc(compute(&m, &c, why, 1), -RAUM_ENODEV);
	assert_int_equal(why[0], '\0');
}

/* ---- names ---- */

static void test_instruction_error_names(void **state)
{
	(void)state;
	assert_string_equal(vmx_instruction_error_name(1), "VMCALL executed in VMX root operation");
	assert_string_equal(vmx_instruction_error_name(2), "VMCLEAR with invalid physical address");
	assert_string_equal(vmx_instruction_error_name(7), "VM entry with invalid control field(s)");
	assert_string_equal(vmx_instruction_error_name(8), "VM entry with invalid host-state field(s)");
	assert_string_equal(vmx_instruction_error_name(9), "VMPTRLD with invalid physical address");
	assert_string_equal(vmx_instruction_error_name(12), "VMREAD/VMWRITE from/to unsupported VMCS component");
	assert_string_equal(vmx_instruction_error_name(13), "VMWRITE to read-only VMCS component");
	assert_string_equal(vmx_instruction_error_name(15), "VMXON executed in VMX root operation");
	assert_string_equal(vmx_instruction_error_name(16), "VM entry with invalid executive-VMCS pointer");
	assert_string_equal(vmx_instruction_error_name(26), "VM entry with events blocked by MOV SS");
	assert_string_equal(vmx_instruction_error_name(28), "invalid operand to INVEPT/INVVPID");
	for (u32 i = 1; i <= 28; i++) {
		if (i == 14 || i == 21 || i == 27)
			assert_string_equal(vmx_instruction_error_name(i), "unknown VM-instruction error");
		else
			assert_string_not_equal(vmx_instruction_error_name(i), "unknown VM-instruction error");
	}
	assert_string_equal(vmx_instruction_error_name(0), "unknown VM-instruction error");
	assert_string_equal(vmx_instruction_error_name(29), "unknown VM-instruction error");
	assert_string_equal(vmx_instruction_error_name(0xffffffffU), "unknown VM-instruction error");
}

static void test_exit_reason_names(void **state)
{
	(void)state;
	assert_string_equal(vmx_exit_reason_name(0), "exception or non-maskable interrupt (NMI)");
	assert_string_equal(vmx_exit_reason_name(1), "external interrupt");
	assert_string_equal(vmx_exit_reason_name(2), "triple fault");
	assert_string_equal(vmx_exit_reason_name(3), "INIT signal");
	assert_string_equal(vmx_exit_reason_name(4), "start-up IPI (SIPI)");
	assert_string_equal(vmx_exit_reason_name(10), "CPUID");
	assert_string_equal(vmx_exit_reason_name(12), "HLT");
	assert_string_equal(vmx_exit_reason_name(18), "VMCALL");
	assert_string_equal(vmx_exit_reason_name(19), "VMCLEAR");
	assert_string_equal(vmx_exit_reason_name(27), "VMXON");
	assert_string_equal(vmx_exit_reason_name(28), "control-register accesses");
	assert_string_equal(vmx_exit_reason_name(30), "I/O instruction");
	assert_string_equal(vmx_exit_reason_name(31), "RDMSR");
	assert_string_equal(vmx_exit_reason_name(32), "WRMSR");
	assert_string_equal(vmx_exit_reason_name(33), "VM-entry failure due to invalid guest state");
	assert_string_equal(vmx_exit_reason_name(34), "VM-entry failure due to MSR loading");
	assert_string_equal(vmx_exit_reason_name(48), "EPT violation");
	assert_string_equal(vmx_exit_reason_name(49), "EPT misconfiguration");
	assert_string_equal(vmx_exit_reason_name(50), "INVEPT");
	assert_string_equal(vmx_exit_reason_name(53), "INVVPID");
	assert_string_equal(vmx_exit_reason_name(55), "XSETBV");
	assert_string_equal(vmx_exit_reason_name(35), "unknown exit reason");
	assert_string_equal(vmx_exit_reason_name(38), "unknown exit reason");
	assert_string_equal(vmx_exit_reason_name(80), "unknown exit reason");
	assert_string_equal(vmx_exit_reason_name(0xffffffffU), "unknown exit reason");
	/* The basic reason only: bit 31 (entry failure) set is not a reason. */
	assert_string_equal(vmx_exit_reason_name(0x80000021U), "unknown exit reason");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_skylake_x),
		cmocka_unit_test(test_tigerlake),
		cmocka_unit_test(test_lynnfield_no_ug),
		cmocka_unit_test(test_bx_generic_no_ept),
		cmocka_unit_test(test_required_features),
		cmocka_unit_test(test_optional_features),
		cmocka_unit_test(test_must_be_one_honoured),
		cmocka_unit_test(test_inconsistent_msr),
		cmocka_unit_test(test_no_vpid),
		cmocka_unit_test(test_invvpid_all_context_only),
		cmocka_unit_test(test_invept_types),
		cmocka_unit_test(test_why_buffer),
		cmocka_unit_test(test_instruction_error_names),
		cmocka_unit_test(test_exit_reason_names),
	};
	return cmocka_run_group_tests_name("vmxcaps", tests, NULL, NULL) ? 1 : 0;
}
