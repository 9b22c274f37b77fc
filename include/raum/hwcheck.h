/* SPDX-License-Identifier: MIT */
/*
 * Hardware requirement checks. The loader gathers raw CPUID and MSR values
 * into struct hw_probe (boot/probe.c, the only part that touches hardware);
 * hw_check() decides from them alone, so the decisions are unit-tested with
 * recorded values from real and emulated CPUs.
 *
 * Requirements (as Hyper-V's): Intel VT-x with EPT, or AMD-V with NPT; NX;
 * no other hypervisor underneath unless it offers VT-x / AMD-V to us
 * (nested virtualization, as QEMU and KVM do); Raum not already running;
 * no memory encryption in a state Raum cannot keep its memory safe in
 * (SEV-SNP; include/raum/memcrypt.h).
 */
#ifndef RAUM_HWCHECK_H
#define RAUM_HWCHECK_H

#include <raum/bootinfo.h>
#include <raum/memcrypt.h>
#include <raum/x86-regs.h>

/* The signature Raum's CPUID leaf 0x40000000 returns in EBX, ECX, EDX. */
#define RAUM_CPUID_SIGNATURE "RaumRaumRaum"

/* CPUID bits used by the checks. */
#define CPUID1_ECX_VMX BIT(5)
#define CPUID1_ECX_SMX BIT(6)
#define CPUID1_ECX_OSXSAVE BIT(27)
#define CPUID1_ECX_HYPERVISOR BIT(31)
#define CPUID_80000001_ECX_SVM BIT(2)
#define CPUID_80000001_EDX_NX BIT(20)
#define CPUID_80000001_EDX_PAGE1GB BIT(26)
#define CPUID_8000000A_EDX_NPT BIT(0)
#define CPUID_8000000A_EDX_NRIPS BIT(3)

/* MSR numbers, FEATCTL_*, VM_CR_*, CR4_LA57: include/raum/x86-regs.h. VMX capability bits: */
#define VMX_PROC_SECONDARY BIT(31)   /* primary processor-based control 31 */
#define VMX_PROC2_EPT BIT(1)
#define VMX_PROC2_VPID BIT(5)
#define VMX_PROC2_UNRESTRICTED BIT(7)
#define VMX_EPT_WB BIT(14)
#define VMX_EPT_2M BIT(16)
#define VMX_EPT_1G BIT(17)
#define VMX_EPT_AD BIT(21)

struct hw_probe {
	char vendor[13];   /* CPUID 0: EBX EDX ECX */
	char brand[49];    /* CPUID 0x80000002..4, may be empty */
	u32 max_leaf, max_ext_leaf;
	u32 family, model, stepping;
	u32 c1_ecx, c1_edx;      /* CPUID 1 */
	u32 e1_ecx, e1_edx;      /* CPUID 0x80000001 */
	char hv_sig[13];         /* CPUID 0x40000000 when CPUID1_ECX_HYPERVISOR is set */
	u64 cr4;

	/* Intel: valid only when the matching *_valid is true. */
	bool featctl_valid, misc_enable_valid, vmx_valid, ctls2_valid, ept_cap_valid;
	u64 featctl, misc_enable;
	u64 vmx_basic, vmx_procbased; /* the TRUE_ form when VMX_BASIC bit 55 says it exists */
	u64 vmx_procbased2, vmx_ept_vpid_cap;

	/* AMD */
	bool vm_cr_valid, svm_leaf_valid;
	u64 vm_cr;
	u32 svm_rev, svm_nasid, svm_edx; /* CPUID 0x8000000A EAX, EBX, EDX */

	struct memcrypt_probe mc; /* SME / TME-MK: include/raum/memcrypt.h */
};

enum hw_fail {
	HW_FAIL_RAUM_RUNNING = 1,
	HW_FAIL_VENDOR,
	HW_FAIL_NO_VMX,
	HW_FAIL_VMX_LOCKED_OFF,
	HW_FAIL_NO_EPT,
	HW_FAIL_NO_SVM,
	HW_FAIL_SVM_DISABLED,
	HW_FAIL_NO_NPT,
	HW_FAIL_NO_NX,
	HW_FAIL_XD_DISABLED,
	HW_FAIL_LA57,
	HW_FAIL_NO_UG,
	HW_FAIL_MEMCRYPT,   /* a memory-encryption state Raum does not support (SEV-SNP) */
};

#define HW_MAX_FAILS 6
#define HW_REASON_MAX 200

struct hw_result {
	u32 vendor;     /* enum raum_vendor */
	bool ok;        /* every requirement holds */
	bool virt;      /* VT-x / AMD-V usable */
	bool slat;      /* EPT / NPT */
	bool slat_2m, slat_1g, ept_ad;
	bool ug;        /* Intel unrestricted guest */
	bool vpid;      /* Intel VPID */
	bool nrips;     /* AMD next-RIP save */
	u32 nasid;      /* AMD ASIDs */
	bool nx;
	bool page1g;    /* 1 GiB pages for Raum's own tables */
	bool hv_present;      /* some hypervisor runs below us */
	bool featctl_write;   /* the loader must write featctl_value to IA32_FEATURE_CONTROL */
	u64 featctl_value;
	struct memcrypt_result mc; /* the root's physical-address width */
	int nfail;
	enum hw_fail fail[HW_MAX_FAILS];
	char reason[HW_MAX_FAILS][HW_REASON_MAX]; /* one plain sentence each, naming the fix */
};

void hw_check(const struct hw_probe *p, struct hw_result *r);

/*
 * An application processor against the boot CPU (issue 10): true when CPU
 * 'cpu' (probe ap, checked into a) passes hw_check and has every feature
 * Raum chose from the boot CPU (bp, b): the vendor, the SLAT page sizes,
 * VPID, NRIPS, 1 GiB pages, the physical-address width, and the VMX
 * controls / SVM features the boot CPU offers. Otherwise false and one
 * sentence in why (n bytes) naming the CPU and what it lacks: the whole
 * launch is refused, never a machine with some CPUs outside Raum.
 */
bool hw_compare(const struct hw_probe *bp, const struct hw_result *b, const struct hw_probe *ap,
		const struct hw_result *a, u32 cpu, char *why, size_t n);

#endif
