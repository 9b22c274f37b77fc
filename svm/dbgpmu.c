// SPDX-License-Identifier: MIT
/*
 * DEBUGCTL and PerfEvtSel of the root on AMD-V (svm/dbgpmu.h).
 *
 * DEBUGCTL: with LBR virtualization (CPUID 8000_000A EDX[1], APM vol. 2
 * 15.23) VMRUN loads the guest's DEBUGCTL and LBR MSRs from the VMCB and
 * #VMEXIT saves them and restores the host's: the root's value lives in
 * save.dbgctl. Without it (QEMU TCG models none), Raum keeps the root's
 * value in svm_vp.dbgctl, svm_enter (svm/vmrun.S) writes 0 after every exit
 * and the root's value before VMRUN, each only when the root's is not 0:
 * a root that leaves DEBUGCTL alone costs one compare per direction.
 * Either way every root write is intercepted, first tried on the hardware
 * under a fixup (the CPU's own #GP for reserved bits, APM vol. 2 13.1.1.6),
 * then Raum's own 0 is put back.
 *
 * PerfEvtSel: svm/perfctl.h.
 */
#include <raum/log.h>
#include <raum/vendor.h>
#include <raum/x86.h>

#include "dbgpmu.h"
#include "perfctl.h"

#define CPUID_80000001_ECX_PERFCTREXTCORE BIT(23)

static bool perf_ext; /* PerfCtrExtCore: six counters at 0xc0010200 */

static u32 perf_ctl_msr(int i)
{
	return perf_ext ? MSR_AMD_PERF_CTL_EXT + 2 * (u32)i : MSR_AMD_PERF_CTL_LEGACY + (u32)i;
}

void svm_dbgpmu_launch(struct svm_vp *s)
{
	u64 v = 0;

	s->lbrv = cpuid(0x8000000a, 0).edx & CPUID_8000000A_EDX_LBRV;
	if (msr_read_safe(MSR_DEBUGCTL, &v))
		v = 0;
	if (s->lbrv) {
		s->vmcb->control.lbr_virt_enable = SVM_LBR_VIRT_ENABLE;
		s->vmcb->save.dbgctl = v;
		s->dbgctl = 0;
	} else {
		s->dbgctl = v;
	}
	if (v)
		msr_write_safe(MSR_DEBUGCTL, 0); /* Raum's own: no LBR, no BTF */

	perf_ext = cpuid(0x80000001, 0).ecx & CPUID_80000001_ECX_PERFCTREXTCORE;
	for (int i = 0; i < (perf_ext ? PERF_CTL_NR : 4); i++) {
		if (msr_read_safe(perf_ctl_msr(i), &v))
			continue;
		s->perf_ctl[i] = v;
		if (perf_ctl_for_root(v) != v)
			msr_write_safe(perf_ctl_msr(i), perf_ctl_for_root(v));
	}
	pr_info("svm: DEBUGCTL %s (the root's %#llx); %u PerfEvtSel count the root only (GuestOnly)",
		s->lbrv ? "in the VMCB (LBR virtualization)" : "switched by svm_enter",
		(unsigned long long)(s->lbrv ? s->vmcb->save.dbgctl : s->dbgctl), perf_ext ? 6u : 4u);
}

bool svm_dbgpmu_owns(u32 msr)
{
	return msr == MSR_DEBUGCTL || perf_ctl_index(msr) >= 0;
}

static enum exit_action gp(struct vp *vp)
{
	vp_inject_exception(vp, 13, true, 0);
	return EXIT_RESUME;
}

enum exit_action svm_dbgpmu_msr(struct svm_vp *s, u32 msr, bool write, u64 val)
{
	struct vp *vp = &s->vp;
	int i = perf_ctl_index(msr);

	if (msr == MSR_DEBUGCTL && write) {
		if (msr_write_safe(MSR_DEBUGCTL, val))
			return gp(vp);
		if (val)
			wrmsr(MSR_DEBUGCTL, 0);
		if (s->lbrv)
			s->vmcb->save.dbgctl = val;
		else
			s->dbgctl = val;
		return EXIT_ADVANCE;
	}
	if (msr == MSR_DEBUGCTL) {
		val = s->lbrv ? s->vmcb->save.dbgctl : s->dbgctl;
	} else if (write) {
		if (msr_write_safe(msr, perf_ctl_for_root(val)))
			return gp(vp);
		s->perf_ctl[i] = val;
		return EXIT_ADVANCE;
	} else {
		/* the register must exist (the extended ones need PerfCtrExtCore): the hardware says */
		if (msr_read_safe(msr, &val))
			return gp(vp);
		val = s->perf_ctl[i];
	}
	vp->gpr[GPR_RAX] = (u32)val;
	vp->gpr[GPR_RDX] = val >> 32;
	return EXIT_ADVANCE;
}
