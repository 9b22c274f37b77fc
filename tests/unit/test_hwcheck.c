// SPDX-License-Identifier: MIT
/*
 * boot/hwcheck.c: hw_check's decisions from CPUID / MSR values recorded on
 * Bochs CPU models (/work/shared/PLATFORM.md), QEMU TCG and made-up
 * firmware settings.
 */
#include "unit.h"

#include <ctype.h>
#include <raum/hwcheck.h>

#define CR4_OVMF 0x668ULL /* DE PAE MCE PGE OSFXSR OSXMMEXCPT ... no LA57 */

static void set_str(char *dst, size_t cap, const char *s)
{
	snprintf(dst, cap, "%s", s);
}

/* An Intel CPU with VT-x, NX and 1 GiB pages, on bare metal under OVMF. */
static struct hw_probe intel_base(void)
{
	struct hw_probe p = { 0 };
	set_str(p.vendor, sizeof(p.vendor), "GenuineIntel");
	p.max_leaf = 0xd;
	p.max_ext_leaf = 0x80000008;
	p.family = 6;
	p.c1_ecx = CPUID1_ECX_VMX | BIT(0) | BIT(9) | BIT(19) | BIT(20);
	p.c1_edx = 0x0fabfbff;
	p.e1_ecx = BIT(0);
	p.e1_edx = CPUID_80000001_EDX_NX | CPUID_80000001_EDX_PAGE1GB | BIT(11) | BIT(29);
	p.cr4 = CR4_OVMF;
	p.featctl_valid = true;
	p.featctl = 0; /* OVMF leaves it unlocked */
	p.misc_enable_valid = true;
	p.misc_enable = 0x1;
	return p;
}

/* Bochs corei7_skylake_x. */
static struct hw_probe skylake_x(void)
{
	struct hw_probe p = intel_base();
	set_str(p.brand, sizeof(p.brand), "Intel(R) Core(TM) i7-7800X CPU @ 3.50GHz");
	p.model = 0x55;
	p.vmx_valid = p.ctls2_valid = p.ept_cap_valid = true;
	p.vmx_basic = 0x00d810000000002bULL;
	p.vmx_procbased = 0xf7f9fffe04006172ULL; /* TRUE_PROCBASED_CTLS */
	p.vmx_procbased2 = 0x02177fff00000000ULL;
	p.vmx_ept_vpid_cap = 0x00000f0106334141ULL;
	return p;
}

/* Bochs tigerlake (primary controls as skylake_x's: secondary allowed). */
static struct hw_probe tigerlake(void)
{
	struct hw_probe p = skylake_x();
	p.model = 0x8c;
	p.vmx_basic = 0x01d8100000000004ULL;
	p.vmx_procbased2 = 0x02977fff00000000ULL;
	p.vmx_ept_vpid_cap = 0x00000f0106b34141ULL;
	return p;
}

/* Bochs corei5_lynnfield_750: EPT and VPID, no unrestricted guest, no 1G EPT. */
static struct hw_probe lynnfield(void)
{
	struct hw_probe p = skylake_x();
	p.model = 0x1e;
	p.e1_edx &= ~(u32)CPUID_80000001_EDX_PAGE1GB;
	p.vmx_procbased2 = 0x0000007f00000000ULL;
	p.vmx_ept_vpid_cap = 0x00000f0106114141ULL;
	return p;
}

/* Bochs bx_generic with VMX: secondary controls without EPT. */
static struct hw_probe bx_generic(void)
{
	struct hw_probe p = skylake_x();
	p.vmx_procbased2 = 0x0000004900000000ULL;
	p.ept_cap_valid = false; /* the probe reads EPT_VPID_CAP only with EPT or VPID */
	p.vmx_ept_vpid_cap = 0;
	return p;
}

/* QEMU TCG -cpu EPYC: AMD-V offered by the hypervisor below, NPT, 16 ASIDs, no NRIPS. */
static struct hw_probe qemu_epyc(void)
{
	struct hw_probe p = { 0 };
	set_str(p.vendor, sizeof(p.vendor), "AuthenticAMD");
	set_str(p.brand, sizeof(p.brand), "AMD EPYC Processor");
	p.max_leaf = 0xd;
	p.max_ext_leaf = 0x8000001f;
	p.family = 0x17;
	p.model = 1;
	p.c1_ecx = CPUID1_ECX_HYPERVISOR | BIT(0) | BIT(9) | BIT(19) | BIT(20);
	p.c1_edx = 0x078bfbff;
	p.e1_ecx = CPUID_80000001_ECX_SVM | BIT(0) | BIT(5) | BIT(6);
	p.e1_edx = CPUID_80000001_EDX_NX | CPUID_80000001_EDX_PAGE1GB | BIT(11) | BIT(29);
	set_str(p.hv_sig, sizeof(p.hv_sig), "TCGTCGTCGTCG");
	p.cr4 = CR4_OVMF;
	p.vm_cr_valid = true;
	p.vm_cr = 0;
	p.svm_leaf_valid = true;
	p.svm_rev = 1;
	p.svm_nasid = 16;
	p.svm_edx = CPUID_8000000A_EDX_NPT;
	return p;
}

/* QEMU TCG with an Intel model (e.g. -cpu Skylake-Client): TCG has no VMX. */
static struct hw_probe qemu_intel(void)
{
	struct hw_probe p = intel_base();
	p.c1_ecx = (p.c1_ecx & ~(u32)CPUID1_ECX_VMX) | CPUID1_ECX_HYPERVISOR;
	set_str(p.hv_sig, sizeof(p.hv_sig), "TCGTCGTCGTCG");
	return p;
}

/*
 * Every reason: present, not cut off, one sentence (a capital first, a full
 * stop last, no sentence break inside), and no reason in unused slots.
 */
static void check_reasons(const struct hw_result *r)
{
	assert_true(r->nfail >= 0 && r->nfail <= HW_MAX_FAILS);
	assert_int_equal(r->ok, r->nfail == 0);
	for (int i = 0; i < r->nfail; i++) {
		const char *s = r->reason[i];
		size_t n = strlen(s);
		if (n < 20 || n >= HW_REASON_MAX - 1)
			fail_msg("reason %d has length %zu: '%s'", i, n, s);
		if (!isupper((unsigned char)s[0]) || s[n - 1] != '.')
			fail_msg("reason %d is not a sentence: '%s'", i, s);
		if (strstr(s, ". ") || strstr(s, "! ") || strstr(s, "? ") || strchr(s, '\n'))
			fail_msg("reason %d is more than one sentence: '%s'", i, s);
		assert_true(r->fail[i] >= HW_FAIL_RAUM_RUNNING && r->fail[i] <= HW_FAIL_MEMCRYPT);
	}
	for (int i = r->nfail; i < HW_MAX_FAILS; i++)
		assert_int_equal(r->reason[i][0], '\0');
}

static const struct hw_result *check(const struct hw_probe *p)
{
	static struct hw_result r;
	memset(&r, 0xa5, sizeof(r)); /* hw_check must set every field */
	hw_check(p, &r);
	check_reasons(&r);
	return &r;
}

static void assert_reason(const struct hw_result *r, int i, enum hw_fail f, const char *needle)
{
	assert_true(i < r->nfail);
	assert_int_equal(r->fail[i], f);
	if (!strstr(r->reason[i], needle))
		fail_msg("reason '%s' lacks '%s'", r->reason[i], needle);
}

static void test_skylake_x_ovmf(void **state)
{
	(void)state;
	struct hw_probe p = skylake_x();
	const struct hw_result *r = check(&p);

	assert_true(r->ok);
	assert_int_equal(r->nfail, 0);
	assert_int_equal(r->vendor, RAUM_VENDOR_INTEL);
	assert_true(r->virt);
	assert_true(r->slat);
	assert_true(r->slat_2m);
	assert_true(r->slat_1g);
	assert_true(r->ept_ad);
	assert_true(r->ug);
	assert_true(r->vpid);
	assert_true(r->nx);
	assert_true(r->page1g);
	assert_false(r->hv_present);
	assert_false(r->nrips);
	/* unlocked under OVMF: the loader must lock it with VMX outside SMX on */
	assert_true(r->featctl_write);
	assert_int_equal(r->featctl_value, FEATCTL_LOCK | FEATCTL_VMX_OUTSIDE_SMX);
	assert_int_equal(r->featctl_value, 0x5);

	/* other unlocked bits are kept */
	p.featctl = FEATCTL_VMX_IN_SMX | BIT(20);
	r = check(&p);
	assert_true(r->ok);
	assert_int_equal(r->featctl_value, BIT(20) | 0x7);
}

static void test_tigerlake_legacy_bios(void **state)
{
	(void)state;
	struct hw_probe p = tigerlake();
	p.featctl = 0x5; /* locked by the BIOS with VMX on */
	const struct hw_result *r = check(&p);

	assert_true(r->ok);
	assert_false(r->featctl_write);
	assert_true(r->slat && r->slat_2m && r->slat_1g && r->ept_ad && r->ug && r->vpid);
	/* locked with VMX in and outside SMX */
	p.featctl = 0x7;
	r = check(&p);
	assert_true(r->ok);
	assert_false(r->featctl_write);
	/* the MSR could not be read: nothing to write, nothing refused */
	p.featctl_valid = false;
	p.featctl = 0x1;
	r = check(&p);
	assert_true(r->ok);
	assert_false(r->featctl_write);
}

static void test_lynnfield_no_ug(void **state)
{
	(void)state;
	struct hw_probe p = lynnfield();
	const struct hw_result *r = check(&p);

	/* Raum requires unrestricted guest (decided with the VT-x late launch) */
	assert_false(r->ok);
	assert_int_equal(r->nfail, 1);
	assert_reason(r, 0, HW_FAIL_NO_UG, "unrestricted guest");
	assert_reason(r, 0, HW_FAIL_NO_UG, "Westmere");
	assert_true(r->slat);
	assert_false(r->ug);
	assert_true(r->vpid);
	assert_true(r->slat_2m);
	assert_false(r->slat_1g);
	assert_false(r->ept_ad);
	assert_false(r->page1g);
}

static void test_bx_generic_no_ept(void **state)
{
	(void)state;
	struct hw_probe p = bx_generic();
	const struct hw_result *r = check(&p);

	assert_false(r->ok);
	assert_true(r->virt);
	assert_false(r->slat);
	assert_false(r->ug);
	assert_false(r->vpid);
	assert_int_equal(r->nfail, 1);
	assert_reason(r, 0, HW_FAIL_NO_EPT, "EPT");
	assert_reason(r, 0, HW_FAIL_NO_EPT, "Nehalem");
}

static void test_ept_requirements(void **state)
{
	(void)state;
	const struct hw_result *r;

	/* EPT allowed, but no secondary controls at all */
	struct hw_probe p = skylake_x();
	p.vmx_procbased &= ~(VMX_PROC_SECONDARY << 32);
	r = check(&p);
	assert_false(r->slat);
	assert_false(r->ug);
	assert_reason(r, 0, HW_FAIL_NO_EPT, "EPT");
	/* EPT without write-back paging structures is unusable */
	p = skylake_x();
	p.vmx_ept_vpid_cap &= ~VMX_EPT_WB;
	r = check(&p);
	assert_false(r->slat);
	assert_reason(r, 0, HW_FAIL_NO_EPT, "EPT");
	/* the allowed-0 half of CTLS2 says nothing: EPT only in the low word */
	p = skylake_x();
	p.vmx_procbased2 = 0x00000000ffffffffULL;
	r = check(&p);
	assert_false(r->slat);
	assert_false(r->vpid);
	/* VMX capability MSRs unreadable */
	p = skylake_x();
	p.vmx_valid = false;
	r = check(&p);
	assert_false(r->slat);
	assert_reason(r, 0, HW_FAIL_NO_EPT, "EPT");
	/* EPT in CTLS2 but EPT_VPID_CAP unread */
	p = skylake_x();
	p.ept_cap_valid = false;
	r = check(&p);
	assert_false(r->ok);
	assert_false(r->slat);
}

static void test_vmx_locked_off(void **state)
{
	(void)state;
	struct hw_probe p = skylake_x();
	p.featctl = 0x1; /* locked with VMX off */
	const struct hw_result *r = check(&p);

	assert_false(r->ok);
	assert_false(r->virt);
	assert_false(r->featctl_write);
	assert_int_equal(r->nfail, 1);
	assert_reason(r, 0, HW_FAIL_VMX_LOCKED_OFF, "firmware setup");
	assert_reason(r, 0, HW_FAIL_VMX_LOCKED_OFF, "enable");
	/* locked with VMX only inside SMX: still off for Raum */
	p.featctl = FEATCTL_LOCK | FEATCTL_VMX_IN_SMX;
	r = check(&p);
	assert_reason(r, 0, HW_FAIL_VMX_LOCKED_OFF, "VT-x");
}

static void test_qemu_tcg_epyc(void **state)
{
	(void)state;
	struct hw_probe p = qemu_epyc();
	const struct hw_result *r = check(&p);

	assert_true(r->ok);
	assert_int_equal(r->vendor, RAUM_VENDOR_AMD);
	assert_true(r->hv_present); /* nested: allowed since it offers SVM */
	assert_true(r->virt);
	assert_true(r->slat);
	assert_true(r->slat_2m);
	assert_true(r->slat_1g);
	assert_false(r->nrips);
	assert_int_equal(r->nasid, 16);
	assert_true(r->nx);
	assert_false(r->featctl_write);
	assert_false(r->ug);

	/* NRIPS where the hardware has it */
	p.svm_edx |= CPUID_8000000A_EDX_NRIPS;
	p.svm_nasid = 32768;
	r = check(&p);
	assert_true(r->nrips);
	assert_int_equal(r->nasid, 32768);
	/* no 1 GiB host pages: no 1 GiB NPT pages */
	p.e1_edx &= ~(u32)CPUID_80000001_EDX_PAGE1GB;
	r = check(&p);
	assert_true(r->ok);
	assert_false(r->slat_1g);
	assert_false(r->page1g);
}

static void test_qemu_no_svm(void **state)
{
	(void)state;
	/* -cpu qemu64,-svm */
	struct hw_probe p = qemu_epyc();
	set_str(p.brand, sizeof(p.brand), "QEMU Virtual CPU version 2.5+");
	p.e1_ecx &= ~(u32)CPUID_80000001_ECX_SVM;
	p.svm_leaf_valid = false;
	const struct hw_result *r = check(&p);

	assert_false(r->ok);
	assert_false(r->virt);
	assert_int_equal(r->nfail, 1);
	assert_reason(r, 0, HW_FAIL_NO_SVM, "TCGTCGTCGTCG");
	assert_reason(r, 0, HW_FAIL_NO_SVM, "nested virtualization");

	/* the same CPU on bare metal: a different fix */
	p.c1_ecx &= ~(u32)CPUID1_ECX_HYPERVISOR;
	r = check(&p);
	assert_reason(r, 0, HW_FAIL_NO_SVM, "AMD-V");
	assert_null(strstr(r->reason[0], "TCG"));
}

static void test_qemu_no_nx(void **state)
{
	(void)state;
	/* -cpu EPYC,-nx */
	struct hw_probe p = qemu_epyc();
	p.e1_edx &= ~(u32)CPUID_80000001_EDX_NX;
	const struct hw_result *r = check(&p);

	assert_false(r->ok);
	assert_false(r->nx);
	assert_true(r->virt && r->slat); /* only NX is missing */
	assert_int_equal(r->nfail, 1);
	assert_reason(r, 0, HW_FAIL_NO_NX, "NX");
	assert_reason(r, 0, HW_FAIL_NO_NX, "TCGTCGTCGTCG");

	/* on bare metal the fix is in the firmware setup */
	p.c1_ecx &= ~(u32)CPUID1_ECX_HYPERVISOR;
	r = check(&p);
	assert_reason(r, 0, HW_FAIL_NO_NX, "firmware setup");
}

static void test_qemu_intel_model(void **state)
{
	(void)state;
	struct hw_probe p = qemu_intel();
	const struct hw_result *r = check(&p);

	assert_false(r->ok);
	assert_int_equal(r->vendor, RAUM_VENDOR_INTEL);
	assert_false(r->virt);
	assert_int_equal(r->nfail, 1);
	assert_reason(r, 0, HW_FAIL_NO_VMX, "TCGTCGTCGTCG");
	assert_reason(r, 0, HW_FAIL_NO_VMX, "VT-x");

	/* an Intel CPU without VMX on bare metal */
	p.c1_ecx &= ~(u32)CPUID1_ECX_HYPERVISOR;
	r = check(&p);
	assert_reason(r, 0, HW_FAIL_NO_VMX, "Intel Virtualization Technology");
}

static void test_raum_running(void **state)
{
	(void)state;
	struct hw_probe p = skylake_x();
	p.c1_ecx |= CPUID1_ECX_HYPERVISOR;
	set_str(p.hv_sig, sizeof(p.hv_sig), RAUM_CPUID_SIGNATURE);
	p.cr4 |= CR4_LA57; /* other failures are not reported: this one says it all */
	const struct hw_result *r = check(&p);

	assert_false(r->ok);
	assert_int_equal(r->nfail, 1);
	assert_reason(r, 0, HW_FAIL_RAUM_RUNNING, "already running");

	/* the signature without the hypervisor bit means nothing */
	p = skylake_x();
	set_str(p.hv_sig, sizeof(p.hv_sig), RAUM_CPUID_SIGNATURE);
	r = check(&p);
	assert_true(r->ok);
	/* a prefix of the signature is another hypervisor */
	p = qemu_epyc();
	set_str(p.hv_sig, sizeof(p.hv_sig), "RaumRaum");
	r = check(&p);
	assert_true(r->ok);
}

static void test_svm_disabled(void **state)
{
	(void)state;
	struct hw_probe p = qemu_epyc();
	p.c1_ecx &= ~(u32)CPUID1_ECX_HYPERVISOR;
	p.vm_cr = VM_CR_SVMDIS | VM_CR_LOCK;
	const struct hw_result *r = check(&p);

	assert_false(r->ok);
	assert_false(r->virt);
	assert_int_equal(r->nfail, 1);
	assert_reason(r, 0, HW_FAIL_SVM_DISABLED, "enable SVM Mode");
	/* VM_CR unreadable: not refused on its account */
	p.vm_cr_valid = false;
	r = check(&p);
	assert_true(r->ok);
	/* VM_CR locked but SVM enabled */
	p.vm_cr_valid = true;
	p.vm_cr = VM_CR_LOCK;
	r = check(&p);
	assert_true(r->ok);
}

static void test_no_npt(void **state)
{
	(void)state;
	struct hw_probe p = qemu_epyc();
	p.svm_edx = CPUID_8000000A_EDX_NRIPS;
	const struct hw_result *r = check(&p);
	assert_false(r->ok);
	assert_true(r->virt);
	assert_false(r->slat);
	assert_reason(r, 0, HW_FAIL_NO_NPT, "NPT");
	/* the SVM leaf unreadable */
	p = qemu_epyc();
	p.svm_leaf_valid = false;
	r = check(&p);
	assert_false(r->slat);
	assert_reason(r, 0, HW_FAIL_NO_NPT, "Barcelona");
}

static void test_xd_disabled(void **state)
{
	(void)state;
	struct hw_probe p = skylake_x();
	p.misc_enable |= MISC_ENABLE_XD_DISABLE;
	p.e1_edx &= ~(u32)CPUID_80000001_EDX_NX; /* XD_DISABLE hides the NX bit */
	const struct hw_result *r = check(&p);

	assert_false(r->ok);
	assert_int_equal(r->nfail, 1);
	assert_reason(r, 0, HW_FAIL_XD_DISABLED, "Execute Disable");
	/* NX present: the MSR bit alone changes nothing */
	p.e1_edx |= CPUID_80000001_EDX_NX;
	r = check(&p);
	assert_true(r->ok);
	/* on AMD, MISC_ENABLE is not consulted */
	p = qemu_epyc();
	p.c1_ecx &= ~(u32)CPUID1_ECX_HYPERVISOR;
	p.misc_enable_valid = true;
	p.misc_enable = MISC_ENABLE_XD_DISABLE;
	p.e1_edx &= ~(u32)CPUID_80000001_EDX_NX;
	r = check(&p);
	assert_reason(r, 0, HW_FAIL_NO_NX, "NX");
}

static void test_la57(void **state)
{
	(void)state;
	struct hw_probe p = skylake_x();
	p.cr4 |= CR4_LA57;
	const struct hw_result *r = check(&p);

	assert_false(r->ok);
	assert_true(r->virt && r->slat); /* the rest was still checked */
	assert_int_equal(r->nfail, 1);
	assert_reason(r, 0, HW_FAIL_LA57, "5-level paging");
}

static void test_unknown_vendor(void **state)
{
	(void)state;
	struct hw_probe p = qemu_epyc();
	set_str(p.vendor, sizeof(p.vendor), "CentaurHauls");
	p.c1_ecx &= ~(u32)CPUID1_ECX_HYPERVISOR;
	const struct hw_result *r = check(&p);

	assert_false(r->ok);
	assert_int_equal(r->vendor, RAUM_VENDOR_UNKNOWN);
	assert_false(r->virt);
	assert_int_equal(r->nfail, 1);
	assert_reason(r, 0, HW_FAIL_VENDOR, "CentaurHauls");
	assert_reason(r, 0, HW_FAIL_VENDOR, "Intel");
	/* a vendor string that only starts like a known one */
	set_str(p.vendor, sizeof(p.vendor), "GenuineIntex");
	r = check(&p);
	assert_reason(r, 0, HW_FAIL_VENDOR, "GenuineIntex");
	set_str(p.vendor, sizeof(p.vendor), "");
	r = check(&p);
	assert_reason(r, 0, HW_FAIL_VENDOR, "''");
}

/*
 * Memory encryption (mm/memcrypt.c, tested in full by test_memcrypt): a
 * clamp is no failure; SEV-SNP is one more refusal, in a sentence.
 */
static void test_memcrypt(void **state)
{
	(void)state;
	const struct hw_result *r;

	/* QEMU's EPYC with the values of a Zen 3 EPYC with SME on */
	struct hw_probe p = qemu_epyc();
	p.mc = (struct memcrypt_probe){
		.vendor = RAUM_VENDOR_AMD, .e8_valid = true, .e8_eax = 0x3030,
		.e1f_valid = true, .e1f_eax = 0x1b, .e1f_ebx = 0x16f,
		.syscfg_valid = true, .syscfg = SYSCFG_MEM_ENCRYPT,
	};
	r = check(&p);
	assert_true(r->ok);
	assert_int_equal(r->mc.kind, MEMCRYPT_SME);
	assert_int_equal(r->mc.bits, 43);

	p.mc.syscfg |= SYSCFG_SNP_EN;
	r = check(&p);
	assert_false(r->ok);
	assert_int_equal(r->nfail, 1);
	assert_reason(r, 0, HW_FAIL_MEMCRYPT, "SEV-SNP");
	assert_reason(r, 0, HW_FAIL_MEMCRYPT, "firmware setup");

	/* SNP and no NPT: both said */
	p.svm_edx = 0;
	r = check(&p);
	assert_int_equal(r->nfail, 2);
	assert_reason(r, 0, HW_FAIL_NO_NPT, "NPT");
	assert_reason(r, 1, HW_FAIL_MEMCRYPT, "SEV-SNP");

	/* Bochs skylake_x with the TME_ACTIVATE of an Ice Lake-SP: 6 KeyID bits */
	p = skylake_x();
	p.mc = (struct memcrypt_probe){
		.vendor = RAUM_VENDOR_INTEL, .e8_valid = true, .e8_eax = 0x3934,
		.c7_valid = true, .c7_ecx = CPUID7_ECX_TME,
		.tme_valid = true, .tme_activate = TME_ACTIVATE_LOCKED | TME_ACTIVATE_ENABLED | 6ULL << 32,
	};
	r = check(&p);
	assert_true(r->ok);
	assert_int_equal(r->mc.kind, MEMCRYPT_TME_MK);
	assert_int_equal(r->mc.bits, 46);

	/* the recorded emulators have neither: CPUID's width, no clamp */
	p = skylake_x();
	r = check(&p);
	assert_true(r->ok);
	assert_int_equal(r->mc.kind, MEMCRYPT_NONE);
}

static void test_several_failures(void **state)
{
	(void)state;
	const struct hw_result *r;

	/* Intel on bare metal: 5-level paging, no VMX, NX hidden by XD_DISABLE */
	struct hw_probe p = intel_base();
	p.cr4 |= CR4_LA57;
	p.c1_ecx &= ~(u32)CPUID1_ECX_VMX;
	p.misc_enable |= MISC_ENABLE_XD_DISABLE;
	p.e1_edx &= ~(u32)CPUID_80000001_EDX_NX;
	r = check(&p);
	assert_false(r->ok);
	assert_int_equal(r->nfail, 3);
	assert_reason(r, 0, HW_FAIL_LA57, "5-level");
	assert_reason(r, 1, HW_FAIL_NO_VMX, "VT-x");
	assert_reason(r, 2, HW_FAIL_XD_DISABLED, "Execute Disable");

	/* AMD under a hypervisor: no NPT and no NX */
	p = qemu_epyc();
	p.svm_edx = 0;
	p.e1_edx &= ~(u32)CPUID_80000001_EDX_NX;
	r = check(&p);
	assert_int_equal(r->nfail, 2);
	assert_reason(r, 0, HW_FAIL_NO_NPT, "NPT");
	assert_reason(r, 1, HW_FAIL_NO_NX, "TCGTCGTCGTCG");

	/* unknown vendor with 5-level paging and no NX */
	p = qemu_epyc();
	set_str(p.vendor, sizeof(p.vendor), "HygonGenuine");
	p.cr4 |= CR4_LA57;
	p.e1_edx = 0;
	r = check(&p);
	assert_int_equal(r->nfail, 3);
	assert_int_equal(r->fail[0], HW_FAIL_LA57);
	assert_int_equal(r->fail[1], HW_FAIL_VENDOR);
	assert_int_equal(r->fail[2], HW_FAIL_NO_NX);

	/* Intel, VT-x locked off, 5-level paging, no NX */
	p = skylake_x();
	p.featctl = 0x1;
	p.cr4 |= CR4_LA57;
	p.e1_edx &= ~(u32)CPUID_80000001_EDX_NX;
	r = check(&p);
	assert_int_equal(r->nfail, 3);
	assert_int_equal(r->fail[0], HW_FAIL_LA57);
	assert_int_equal(r->fail[1], HW_FAIL_VMX_LOCKED_OFF);
	assert_reason(r, 2, HW_FAIL_NO_NX, "firmware setup");
}

/* hw_compare: an AP against the boot CPU (issue 10): alike passes, each missing feature is named. */
static void test_compare_aps(void **state)
{
	(void)state;
	struct hw_probe bp = skylake_x(), ap = skylake_x();
	struct hw_result b, a;
	char why[HW_REASON_MAX];

	hw_check(&bp, &b);
	hw_check(&ap, &a);
	assert_true(hw_compare(&bp, &b, &ap, &a, 1, why, sizeof(why)));

	/* the AP has more than the boot CPU: fine */
	ap.vmx_procbased2 |= 1ULL << 63;
	hw_check(&ap, &a);
	assert_true(hw_compare(&bp, &b, &ap, &a, 1, why, sizeof(why)));

	/* no 1 GiB EPT pages on CPU 3 */
	ap = skylake_x();
	ap.vmx_ept_vpid_cap &= ~(u64)VMX_EPT_1G;
	hw_check(&ap, &a);
	assert_true(a.ok);
	assert_false(hw_compare(&bp, &b, &ap, &a, 3, why, sizeof(why)));
	assert_non_null(strstr(why, "CPU 3 lacks 1 GiB SLAT pages"));
	assert_non_null(strstr(why, "starts on none"));

	/* a secondary control the boot CPU has (bit 2: descriptor-table exiting) */
	ap = skylake_x();
	ap.vmx_procbased2 &= ~(BIT(2) << 32);
	hw_check(&ap, &a);
	assert_false(hw_compare(&bp, &b, &ap, &a, 2, why, sizeof(why)));
	assert_non_null(strstr(why, "CPU 2 lacks a secondary VM-execution control"));
	assert_non_null(strstr(why, "0x4"));

	/* an AP that fails hw_check on its own: its own reason */
	ap = skylake_x();
	ap.featctl = 0x1; /* locked, VMX off */
	hw_check(&ap, &a);
	assert_false(hw_compare(&bp, &b, &ap, &a, 5, why, sizeof(why)));
	assert_non_null(strstr(why, "CPU 5 cannot run Raum: "));

	/* another vendor, another address width, no NRIPS on AMD */
	struct hw_probe abp = qemu_epyc(), aap = qemu_epyc();
	struct hw_result ab, aa;
	abp.svm_edx |= CPUID_8000000A_EDX_NRIPS;
	hw_check(&abp, &ab);
	hw_check(&aap, &aa);
	assert_false(hw_compare(&abp, &ab, &aap, &aa, 1, why, sizeof(why)));
	assert_non_null(strstr(why, "CPU 1 lacks NRIP save"));
	aap.svm_edx |= CPUID_8000000A_EDX_NRIPS;
	hw_check(&aap, &aa);
	assert_true(hw_compare(&abp, &ab, &aap, &aa, 1, why, sizeof(why)));
	assert_false(hw_compare(&bp, &b, &aap, &aa, 1, why, sizeof(why)));
	assert_non_null(strstr(why, "vendor"));
	aa.mc.bits = ab.mc.bits - 1;
	assert_false(hw_compare(&abp, &ab, &aap, &aa, 1, why, sizeof(why)));
	assert_non_null(strstr(why, "physical-address width"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_skylake_x_ovmf),
		cmocka_unit_test(test_tigerlake_legacy_bios),
		cmocka_unit_test(test_lynnfield_no_ug),
		cmocka_unit_test(test_bx_generic_no_ept),
		cmocka_unit_test(test_ept_requirements),
		cmocka_unit_test(test_vmx_locked_off),
		cmocka_unit_test(test_qemu_tcg_epyc),
		cmocka_unit_test(test_qemu_no_svm),
		cmocka_unit_test(test_qemu_no_nx),
		cmocka_unit_test(test_qemu_intel_model),
		cmocka_unit_test(test_raum_running),
		cmocka_unit_test(test_svm_disabled),
		cmocka_unit_test(test_no_npt),
		cmocka_unit_test(test_xd_disabled),
		cmocka_unit_test(test_la57),
		cmocka_unit_test(test_unknown_vendor),
		cmocka_unit_test(test_several_failures),
		cmocka_unit_test(test_memcrypt),
		cmocka_unit_test(test_compare_aps),
	};
	return cmocka_run_group_tests_name("hwcheck", tests, NULL, NULL) ? 1 : 0;
}
