// SPDX-License-Identifier: MIT
/*
 * The intercept suite (intercepts.c): CPUID, the hypervisor bit and leaves,
 * VMX/SVM hidden; and what kernel/cpuid.c's table promises: every
 * instruction CPUID shows executes without #UD (on VT-x each needs an
 * enable control), and what Raum cannot give is hidden (memory encryption,
 * INVLPGB, PCONFIG).
 */
#include "intercepts.h"

static void do_rdtscp(void *a)
{
	UINT32 lo, hi, aux;
	(void)a;
	__asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
}

static void do_rdpid(void *a)
{
	UINT64 v;
	(void)a;
	__asm__ volatile("rdpid %0" : "=r"(v));
}

static void do_invpcid(void *a)
{
	struct { UINT64 pcid, addr; } d = { 0, 0 };
	(void)a;
	/* type 2: all contexts, globals included: a full TLB flush, harmless */
	__asm__ volatile("invpcid %0, %1" ::"m"(d), "r"(2ULL) : "memory");
}

static UINT8 xsave_area[4096] __attribute__((aligned(64)));

static void do_xsaves(void *a)
{
	(void)a;
	/* RFBM 0: only the header is written (SDM vol. 1 13.11) */
	__asm__ volatile("xsaves %0" : "+m"(xsave_area) : "a"(0), "d"(0));
}

/* Shown (leaf, sub, reg, bit) => fn runs without an exception. */
static void expect_runs(const char *name, UINT32 leaf, UINT32 sub, int reg, int bit, void (*fn)(void *))
{
	UINT32 r[4];
	long v;

	cpuid(leaf, sub, r);
	if (!(r[reg] & (1U << bit))) {
		pass(name); /* not shown: nothing to run */
		return;
	}
	v = guarded(fn, NULL);
	if (v == NO_TRAP)
		pass(name);
	else
		fail(name, L"CPUID %x.%x shows it, but it raised %a", leaf, sub, vec_name(v));
}

/* Each feature CPUID shows can be used (kernel/cpuid.c: the enable controls on VT-x). */
static void check_cpuid_features_usable(void)
{
	UINT32 r[4];

	cpuid(0x80000000, 0, r);
	if (r[0] >= 0x80000001)
		expect_runs("cpuid.rdtscp_usable", 0x80000001, 0, 3, 27, do_rdtscp);
	cpuid(0, 0, r);
	if (r[0] < 7)
		return;
	expect_runs("cpuid.rdpid_usable", 7, 0, 2, 22, do_rdpid);
	expect_runs("cpuid.invpcid_usable", 7, 0, 1, 10, do_invpcid);
	if (r[0] < 0xd)
		return;
	cpuid(0xd, 1, r);
	if (r[0] & (1U << 3)) {
		/* XSAVES needs CR4.OSXSAVE: set for the check, restored after */
		UINT64 cr4 = read_cr4();
		write_cr4(cr4 | CR4_OSXSAVE);
		expect_runs("cpuid.xsaves_usable", 0xd, 1, 0, 3, do_xsaves);
		write_cr4(cr4);
	} else {
		pass("cpuid.xsaves_usable");
	}
}

void check_cpuid(void)
{
	UINT32 r[4];

	cpuid(1, 0, r);
	if (r[2] & (1U << 31))
		pass("cpuid.hypervisor_bit");
	else
		fail("cpuid.hypervisor_bit", L"leaf 1 ECX %08x has bit 31 clear", r[2]);

	cpuid(0x40000000, 0, r);
	if (r[1] == RAUM_CPUID_SIGNATURE_EBX && r[2] == RAUM_CPUID_SIGNATURE_ECX && r[3] == RAUM_CPUID_SIGNATURE_EDX &&
	    r[0] >= 0x40000001)
		pass("cpuid.signature");
	else
		fail("cpuid.signature", L"leaf 0x40000000: eax %08x ebx %08x ecx %08x edx %08x", r[0], r[1], r[2], r[3]);

	cpuid(0x40000001, 0, r);
	if (r[0] == ((RAUM_VERSION_MAJOR << 16) | RAUM_VERSION_MINOR))
		pass("cpuid.version");
	else
		fail("cpuid.version", L"leaf 0x40000001 eax %08x, expected %08x", r[0],
		     (RAUM_VERSION_MAJOR << 16) | RAUM_VERSION_MINOR);

	if (vendor == VENDOR_INTEL) {
		cpuid(1, 0, r);
		if (!(r[2] & (1U << 5)))
			pass("cpuid.vmx_hidden");
		else
			fail("cpuid.vmx_hidden", L"leaf 1 ECX %08x has VMX (bit 5) set", r[2]);
		check_cpuid_features_usable();
		cpuid(7, 0, r);
		/* TME: its KeyIDs lie beyond the root's SLAT; PCONFIG: "enable PCONFIG" stays off */
		if (!(r[2] & (1U << 13)) && !(r[3] & (1U << 18)))
			pass("cpuid.tme_pconfig_hidden");
		else
			fail("cpuid.tme_pconfig_hidden", L"leaf 7 ECX %08x EDX %08x: TME (ECX 13) or PCONFIG (EDX 18)",
			     r[2], r[3]);
		return;
	}
	check_cpuid_features_usable();

	cpuid(0x80000001, 0, r);
	if (!(r[2] & (1U << 2)))
		pass("cpuid.svm_hidden");
	else
		fail("cpuid.svm_hidden", L"leaf 0x80000001 ECX %08x has SVM (bit 2) set", r[2]);

	cpuid(0x8000000a, 0, r);
	if (!r[0] && !r[1] && !r[2] && !r[3])
		pass("cpuid.svm_leaf_zero");
	else
		fail("cpuid.svm_leaf_zero", L"leaf 0x8000000a: %08x %08x %08x %08x", r[0], r[1], r[2], r[3]);

	/* SME / SEV: the C-bit lies beyond the root's SLAT; INVLPGB: the VMCB enable stays clear */
	cpuid(0x8000001f, 0, r);
	if (!r[0] && !r[1] && !r[2] && !r[3])
		pass("cpuid.sme_leaf_zero");
	else
		fail("cpuid.sme_leaf_zero", L"leaf 0x8000001f: %08x %08x %08x %08x", r[0], r[1], r[2], r[3]);
	cpuid(0x80000008, 0, r);
	if (!(r[1] & (1U << 3)) && !(r[3] & 0xffff))
		pass("cpuid.invlpgb_hidden");
	else
		fail("cpuid.invlpgb_hidden", L"leaf 0x80000008 EBX %08x EDX %08x", r[1], r[3]);
}
