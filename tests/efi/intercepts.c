// SPDX-License-Identifier: MIT
/*
 * The intercept suite: a GNU-EFI application started as the root OS under
 * Raum that checks, from inside the root partition, every intercept the
 * hypervisor installs. The vendor comes from CPUID leaf 0: hypercalls use
 * VMMCALL on AMD and VMCALL on Intel.
 *
 *   both:  CPUID (hypervisor bit, Raum's leaves), EFER written back, the
 *          hypercall interface (and its refusal at CPL 3), accesses to
 *          Raum's own memory and the exit counters;
 *   AMD:   SVM hidden (CPUID, EFER.SVME, VM_CR) and the SVM instructions;
 *   Intel: VMX hidden (CPUID, IA32_FEATURE_CONTROL, the VMX capability MSRs,
 *          CR4.VMXE), the VMX instructions and XSETBV.
 *
 * Prints one line per check:
 *
 *   RAUM-CHECK PASS <name>
 *   RAUM-CHECK FAIL <name>: <details>
 *   RAUM-CHECK DONE <passed> passed, <failed> failed
 *
 * then ends the emulator: QEMU through isa-debug-exit (port 0xf4), Bochs
 * through "Shutdown" written to port 0x8900. Exceptions the checks
 * expect are caught by a private IDT (a copy of the firmware's with #UD, #GP
 * and #PF replaced) and the recovery code in lib-asm.S.
 */
#include "intercepts.h"

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab);

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	char vname[13];

	InitializeLib(image, systab);
	vendor = detect_vendor(vname);
	Print(L"RAUM-CHECK START intercept suite (Raum %d.%d.%d) on %a: hypercalls by %a\n", RAUM_VERSION_MAJOR,
	      RAUM_VERSION_MINOR, RAUM_VERSION_PATCH, vname, vendor == VENDOR_INTEL ? "VMCALL" : "VMMCALL");
	if (!suite_setup(vname))
		goto done;

	check_cpuid();
	check_msrs();
	check_prefixed_insns();
	check_single_step();
	if (vendor == VENDOR_AMD) {
		check_svm_insns();
	} else {
		check_cr4_vmxe();
		check_vmx_insns();
		check_xsetbv();
	}
	find_hv_region();
	check_hypercalls();
	check_vendor_counters();
	check_cpl3();
	check_hv_memory();

done:
	return suite_finish();
}
