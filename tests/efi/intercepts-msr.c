// SPDX-License-Identifier: MIT
/* The intercept suite (intercepts.c): EFER, VM_CR (AMD), IA32_FEATURE_CONTROL and the VMX capability MSRs (Intel). */
#include "intercepts.h"

static void check_vmx_msrs(void)
{
	struct msr_op fc = { MSR_IA32_FEATURE_CONTROL, ALL_ONES }, op;
	long v;

	v = guarded(do_rdmsr, &fc);
	if (v == NO_TRAP && (fc.val & FEATCTL_LOCK) && !(fc.val & (FEATCTL_VMX_IN_SMX | FEATCTL_VMX_OUTSIDE_SMX)))
		pass("msr.feature_control_read");
	else
		fail("msr.feature_control_read", L"%a, IA32_FEATURE_CONTROL %lx (lock set, bits 1-2 clear expected)",
		     vec_name(v), fc.val);

	op = (struct msr_op){ MSR_IA32_FEATURE_CONTROL, v == NO_TRAP ? fc.val : FEATCTL_LOCK };
	v = guarded(do_wrmsr, &op);
	if (v == 13)
		pass("msr.feature_control_write_gp");
	else
		fail("msr.feature_control_write_gp", L"WRMSR IA32_FEATURE_CONTROL %lx: %a, expected #GP", op.val,
		     vec_name(v));

	static const struct {
		const char *name;
		UINT32 msr;
	} caps[] = { { "msr.vmx_basic_gp", MSR_IA32_VMX_BASIC }, { "msr.vmx_ept_vpid_cap_gp", MSR_IA32_VMX_EPT_VPID_CAP } };
	for (unsigned i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		op = (struct msr_op){ caps[i].msr, ALL_ONES };
		v = guarded(do_rdmsr, &op);
		if (v == 13)
			pass(caps[i].name);
		else
			fail(caps[i].name, L"RDMSR %x: %a, value %lx, expected #GP", caps[i].msr, vec_name(v), op.val);
	}
}

void check_msrs(void)
{
	struct msr_op efer = { MSR_EFER, 0 }, op;
	long v;

	v = guarded(do_rdmsr, &efer);
	if (vendor == VENDOR_AMD) {
		if (v == NO_TRAP && !(efer.val & EFER_SVME))
			pass("msr.efer_read");
		else
			fail("msr.efer_read", L"%a, EFER %lx", vec_name(v), efer.val);

		op = (struct msr_op){ MSR_EFER, efer.val | EFER_SVME };
		v = guarded(do_wrmsr, &op);
		if (v == 13)
			pass("msr.efer_write_svme_gp");
		else
			fail("msr.efer_write_svme_gp", L"WRMSR EFER %lx: %a (vector %ld), expected #GP", op.val,
			     vec_name(v), v);
	} else if (v != NO_TRAP) {
		fail("msr.efer_read", L"%a", vec_name(v));
	}

	op = (struct msr_op){ MSR_EFER, efer.val };
	v = guarded(do_wrmsr, &op);
	struct msr_op again = { MSR_EFER, 0 };
	long v2 = guarded(do_rdmsr, &again);
	if (v == NO_TRAP && v2 == NO_TRAP && again.val == efer.val)
		pass("msr.efer_write_same");
	else
		fail("msr.efer_write_same", L"WRMSR EFER %lx: %a; read back %lx (%a)", op.val, vec_name(v), again.val,
		     vec_name(v2));
	if (vendor == VENDOR_INTEL) {
		check_vmx_msrs();
		return;
	}

	struct msr_op vmcr = { MSR_VM_CR, 0 };
	v = guarded(do_rdmsr, &vmcr);
	if (v == NO_TRAP && (vmcr.val & VM_CR_SVMDIS))
		pass("msr.vm_cr_read");
	else
		fail("msr.vm_cr_read", L"%a, VM_CR %lx (SVMDIS bit 4 expected)", vec_name(v), vmcr.val);

	op = (struct msr_op){ MSR_VM_CR, vmcr.val };
	v = guarded(do_wrmsr, &op);
	if (v == 13)
		pass("msr.vm_cr_write_gp");
	else
		fail("msr.vm_cr_write_gp", L"WRMSR VM_CR %lx: %a, expected #GP", op.val, vec_name(v));
}
