// SPDX-License-Identifier: MIT
/*
 * Hardware requirement decisions from recorded CPUID / MSR values: see
 * include/raum/hwcheck.h. Every refusal is one sentence that names what is
 * missing and what to do about it.
 */
#include <raum/fmt.h>
#include <raum/hwcheck.h>

static bool str_is(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

static void fail(struct hw_result *r, enum hw_fail f, const char *fmt, ...) __printf(3, 4);
static void fail(struct hw_result *r, enum hw_fail f, const char *fmt, ...)
{
	va_list ap;

	if (r->nfail >= HW_MAX_FAILS)
		return;
	r->fail[r->nfail] = f;
	va_start(ap, fmt);
	raum_vsnprintf(r->reason[r->nfail], HW_REASON_MAX, fmt, ap);
	va_end(ap);
	r->nfail++;
}

/*
 * The VMX capability MSRs report allowed-1 settings in bits 63:32
 * (SDM vol. 3D A.3.2): a control can be 1 only if its bit there is 1.
 */
static bool allowed1(u64 ctl_msr, u64 bit) { return (ctl_msr >> 32) & bit; }

static void check_intel(const struct hw_probe *p, struct hw_result *r)
{
	if (!(p->c1_ecx & CPUID1_ECX_VMX)) {
		if (r->hv_present)
			fail(r, HW_FAIL_NO_VMX,
			     "The hypervisor below (%s) does not offer VT-x: enable nested "
			     "virtualization in it, or boot Raum on bare metal.", p->hv_sig);
		else
			fail(r, HW_FAIL_NO_VMX,
			     "This Intel processor has no VT-x (VMX): Raum needs a CPU with Intel "
			     "Virtualization Technology.");
		return;
	}
	/*
	 * IA32_FEATURE_CONTROL (SDM vol. 3C 23.7): VMXON outside SMX needs bit 2
	 * and the lock bit. Firmware that leaves it unlocked (OVMF does) lets us
	 * set both; locked with bit 2 clear means the setup disabled VT-x.
	 */
	if (p->featctl_valid) {
		if (p->featctl & FEATCTL_LOCK) {
			if (!(p->featctl & FEATCTL_VMX_OUTSIDE_SMX)) {
				fail(r, HW_FAIL_VMX_LOCKED_OFF,
				     "VT-x is disabled in the firmware setup: enable Intel "
				     "Virtualization Technology (VT-x) and power-cycle.");
				return;
			}
		} else {
			r->featctl_write = true;
			r->featctl_value = p->featctl | FEATCTL_LOCK | FEATCTL_VMX_OUTSIDE_SMX;
		}
	}
	r->virt = true;
	if (p->vmx_valid && allowed1(p->vmx_procbased, VMX_PROC_SECONDARY) && p->ctls2_valid) {
		r->slat = allowed1(p->vmx_procbased2, VMX_PROC2_EPT);
		r->ug = allowed1(p->vmx_procbased2, VMX_PROC2_UNRESTRICTED);
		r->vpid = allowed1(p->vmx_procbased2, VMX_PROC2_VPID);
	}
	if (r->slat && p->ept_cap_valid) {
		/* EPT must offer write-back paging structures (SDM 28.3.7 / A.10). */
		if (!(p->vmx_ept_vpid_cap & VMX_EPT_WB))
			r->slat = false;
		r->slat_2m = p->vmx_ept_vpid_cap & VMX_EPT_2M;
		r->slat_1g = p->vmx_ept_vpid_cap & VMX_EPT_1G;
		r->ept_ad = p->vmx_ept_vpid_cap & VMX_EPT_AD;
	} else {
		r->slat = false;
	}
	if (!r->slat)
		fail(r, HW_FAIL_NO_EPT,
		     "This processor's VT-x has no EPT (extended page tables), which Raum needs: "
		     "use an Intel CPU from 2008 (Nehalem) or newer.");
	/*
	 * Unrestricted guest (SDM 26.6.2) lets the root run unpaged and in real
	 * mode, as firmware and OS do at times (the AP startup, ACPI S3 resume).
	 * Raum requires it rather than emulate real mode.
	 */
	else if (!r->ug)
		fail(r, HW_FAIL_NO_UG,
		     "This processor's VT-x has no unrestricted guest, which Raum needs to run the "
		     "firmware and OS as its root: use an Intel CPU from 2010 (Westmere) or newer.");
}

static void check_amd(const struct hw_probe *p, struct hw_result *r)
{
	if (!(p->e1_ecx & CPUID_80000001_ECX_SVM)) {
		if (r->hv_present)
			fail(r, HW_FAIL_NO_SVM,
			     "The hypervisor below (%s) does not offer AMD-V: enable nested "
			     "virtualization in it, or boot Raum on bare metal.", p->hv_sig);
		else
			fail(r, HW_FAIL_NO_SVM,
			     "This AMD processor has no AMD-V (SVM): Raum needs a CPU with AMD "
			     "Virtualization.");
		return;
	}
	/* VM_CR.SVMDIS (APM vol. 2 15.30.1): set by the firmware's "SVM Mode: Disabled". */
	if (p->vm_cr_valid && (p->vm_cr & VM_CR_SVMDIS)) {
		fail(r, HW_FAIL_SVM_DISABLED,
		     "AMD-V is disabled in the firmware setup: enable SVM Mode and power-cycle.");
		return;
	}
	r->virt = true;
	if (p->svm_leaf_valid) {
		r->slat = p->svm_edx & CPUID_8000000A_EDX_NPT;
		r->nrips = p->svm_edx & CPUID_8000000A_EDX_NRIPS;
		r->nasid = p->svm_nasid;
		/* NPT uses the host page format: large pages as the host has them. */
		r->slat_2m = true;
		r->slat_1g = p->e1_edx & CPUID_80000001_EDX_PAGE1GB;
	}
	if (!r->slat)
		fail(r, HW_FAIL_NO_NPT,
		     "This processor's AMD-V has no NPT (nested paging), which Raum needs: "
		     "use an AMD CPU from 2008 (Barcelona) or newer.");
}

void hw_check(const struct hw_probe *p, struct hw_result *r)
{
	*r = (struct hw_result){ 0 };

	r->hv_present = p->c1_ecx & CPUID1_ECX_HYPERVISOR;
	r->nx = p->e1_edx & CPUID_80000001_EDX_NX;
	r->page1g = p->e1_edx & CPUID_80000001_EDX_PAGE1GB;
	if (r->hv_present && str_is(p->hv_sig, RAUM_CPUID_SIGNATURE)) {
		fail(r, HW_FAIL_RAUM_RUNNING,
		     "Raum is already running on this machine: it cannot be started twice.");
		return;
	}
	if (p->cr4 & CR4_LA57)
		fail(r, HW_FAIL_LA57,
		     "The firmware runs with 5-level paging, which Raum does not support yet: "
		     "disable 5-level paging in the firmware setup.");

	if (str_is(p->vendor, "GenuineIntel")) {
		r->vendor = RAUM_VENDOR_INTEL;
		check_intel(p, r);
	} else if (str_is(p->vendor, "AuthenticAMD")) {
		r->vendor = RAUM_VENDOR_AMD;
		check_amd(p, r);
	} else {
		fail(r, HW_FAIL_VENDOR,
		     "This processor is neither Intel nor AMD (vendor '%s'): Raum supports Intel "
		     "VT-x and AMD-V only.", p->vendor);
	}

	/*
	 * NX (CPUID 0x80000001 EDX bit 20). Raum sets EFER.NXE itself; a clear
	 * bit means the CPU lacks it or, on Intel, the firmware set
	 * IA32_MISC_ENABLE.XD_DISABLE (bit 34), which hides the bit.
	 */
	if (!r->nx) {
		if (r->vendor == RAUM_VENDOR_INTEL && p->misc_enable_valid &&
		    (p->misc_enable & MISC_ENABLE_XD_DISABLE))
			fail(r, HW_FAIL_XD_DISABLED,
			     "The XD bit (execute disable, NX) is turned off in the firmware setup: "
			     "enable \"Execute Disable Bit\".");
		else if (r->hv_present)
			fail(r, HW_FAIL_NO_NX,
			     "The hypervisor below (%s) hides NX (no-execute) from this machine: "
			     "enable NX in its CPU model.", p->hv_sig);
		else
			fail(r, HW_FAIL_NO_NX,
			     "NX (no-execute, DEP) is not available: enable \"NX Mode\" or "
			     "\"Execute Disable Bit\" in the firmware setup.");
	}

	/* SME / TME-MK narrow the root's address width; SEV-SNP is refused (mm/memcrypt.c). */
	memcrypt_check(&p->mc, &r->mc);
	if (!r->mc.ok)
		fail(r, HW_FAIL_MEMCRYPT, "%s", r->mc.reason);
	r->ok = r->nfail == 0;
}

/* The features in 'want' that 'have' lacks, as a mask. */
static u64 lacks(u64 want, u64 have) { return want & ~have; }

bool hw_compare(const struct hw_probe *bp, const struct hw_result *b, const struct hw_probe *ap,
		const struct hw_result *a, u32 cpu, char *why, size_t n)
{
	const char *what = NULL;
	u64 mask = 0;

	if (!a->ok) {
		raum_snprintf(why, n, "CPU %u cannot run Raum: %s", cpu, a->reason[0]);
		return false;
	}
	if (a->vendor != b->vendor || !str_is(ap->vendor, bp->vendor))
		what = "the boot CPU's vendor";
	else if (b->slat_2m && !a->slat_2m)
		what = "2 MiB SLAT pages";
	else if (b->slat_1g && !a->slat_1g)
		what = "1 GiB SLAT pages";
	else if (b->ept_ad && !a->ept_ad)
		what = "EPT accessed / dirty bits";
	else if (b->vpid && !a->vpid)
		what = "VPID";
	else if (b->nrips && !a->nrips)
		what = "NRIP save";
	else if (b->page1g && !a->page1g)
		what = "1 GiB pages";
	else if (a->mc.bits != b->mc.bits)
		what = "the boot CPU's physical-address width";
	else if (b->vendor == RAUM_VENDOR_INTEL &&
		 (mask = lacks(bp->vmx_procbased >> 32, ap->vmx_procbased >> 32)) != 0)
		what = "a VM-execution control the boot CPU has";
	else if (b->vendor == RAUM_VENDOR_INTEL &&
		 (mask = lacks(bp->vmx_procbased2 >> 32, ap->vmx_procbased2 >> 32)) != 0)
		what = "a secondary VM-execution control the boot CPU has";
	else if (b->vendor == RAUM_VENDOR_INTEL && (mask = lacks(bp->vmx_ept_vpid_cap, ap->vmx_ept_vpid_cap)) != 0)
		what = "an EPT / VPID capability the boot CPU has";
	else if (b->vendor == RAUM_VENDOR_AMD && (mask = lacks(bp->svm_edx, ap->svm_edx)) != 0)
		what = "an SVM feature the boot CPU has (CPUID 8000000Ah EDX)";
	if (!what)
		return true;
	if (mask)
		raum_snprintf(why, n, "CPU %u lacks %s (bits %#llx): Raum needs every CPU alike, so it starts on none",
			      cpu, what, (unsigned long long)mask);
	else
		raum_snprintf(why, n, "CPU %u lacks %s: Raum needs every CPU alike, so it starts on none", cpu, what);
	return false;
}
