// SPDX-License-Identifier: MIT
/*
 * The hostile-root suite: DEBUGCTL and the AMD performance-event selectors
 * (docs/security.md, "DEBUGCTL, LBR and the PMU on SVM").
 *
 *   DEBUGCTL (both vendors): the root sets LBR and BTF, Raum goes on through
 *   a batch of exits (GetHealth, CPUID) with the value kept for the root,
 *   which reads it back unchanged. On AMD Raum switches it (LBR
 *   virtualization, or svm_enter's write of 0 after each exit and of the
 *   root's value before VMRUN); on Intel it is VMCS guest state. A CPU that
 *   refuses the bits with #GP natively may refuse them here (skipped), and
 *   Bochs keeps no DEBUGCTL at all (it ignores unknown MSRs): Intel passes
 *   DEBUGCTL through, so there only survival is checked. Before the switch,
 *   QEMU (which likewise keeps no DEBUGCTL) read back 0 on AMD.
 *
 *   PerfEvtSel (AMD): the root programs counter 0 with HostOnly (what a Linux
 *   root sets for an event that excludes guests) and reads back exactly what
 *   it wrote, at the legacy address and, with PerfCtrExtCore, at the
 *   extended one; the hardware gets GuestOnly instead (svm/perfctl.h: not
 *   visible from the root).
 */
#include "hostile.h"

#define DEBUGCTL_LBR (1ULL << 0)
#define DEBUGCTL_BTF (1ULL << 1)
#define PERF_CTL0 0xc0010000
#define PERF_CTL0_EXT 0xc0010200
#define PERF_HOSTONLY (1ULL << 41)
#define PERF_EV_CYCLES 0x430076ULL /* EN, OS, USR, event 0x76: no interrupt */

static void exits(void)
{
	for (int i = 0; i < 8; i++) {
		UINT32 a = 0, b, c = 0, d;
		__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	}
}

static void debugctl(void)
{
	struct msr_op r = { MSR_DEBUGCTL, 0 }, w, back = { MSR_DEBUGCTL, 0 };
	struct snap b, a;
	UINT64 f = irq_save();

	snap(&b);
	long v1 = guarded(do_rdmsr, &r);
	w = (struct msr_op){ MSR_DEBUGCTL, r.val | DEBUGCTL_LBR | DEBUGCTL_BTF };
	long v2 = v1 == NO_TRAP ? guarded(do_wrmsr, &w) : v1;
	exits();
	snap(&a); /* a hypercall: an exit and a return with the root's DEBUGCTL */
	long v3 = guarded(do_rdmsr, &back);
	struct msr_op restore = { MSR_DEBUGCTL, r.val };
	if (v2 == NO_TRAP)
		guarded(do_wrmsr, &restore);
	irq_restore(f);
	if (vendor == VENDOR_INTEL && v2 == 13) {
		Print(L"RAUM-CHECK SKIP debugctl.lbr_btf_kept: this CPU refuses LBR | BTF (#GP)\n");
		return;
	}
	/* Bochs (ignore_bad_msrs) keeps no DEBUGCTL: VT-x passes it through, so the root sees that */
	BOOLEAN kept = back.val == w.val;
	if (vendor == VENDOR_INTEL && !kept && back.val == r.val) {
		Print(L"RAUM-CHECK NOTE debugctl: the CPU kept no DEBUGCTL bits (read %lx after writing %lx): "
		      L"passed through, checked for survival only\n", back.val, w.val);
		kept = TRUE;
	}
	judge("debugctl.lbr_btf_kept", v1 == NO_TRAP && v2 == NO_TRAP && v3 == NO_TRAP && kept, &a,
	      L"DEBUGCTL read %a (%lx), write %lx %a, read back %a: %lx (expected the value written)", vec_name(v1),
	      r.val, w.val, vec_name(v2), vec_name(v3), back.val);
}

static void perf_ctl(void)
{
	UINT32 a = 0x80000001, b, c = 0, d;
	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	BOOLEAN ext = (c >> 23) & 1; /* PerfCtrExtCore */
	struct msr_op old = { PERF_CTL0, 0 }, w = { PERF_CTL0, PERF_EV_CYCLES | PERF_HOSTONLY };
	struct msr_op back = { PERF_CTL0, 0 }, back_ext = { PERF_CTL0_EXT, 0 };
	struct snap s, after;
	UINT64 f = irq_save();

	snap(&s);
	long v1 = guarded(do_rdmsr, &old);
	long v2 = v1 == NO_TRAP ? guarded(do_wrmsr, &w) : v1;
	exits();
	long v3 = guarded(do_rdmsr, &back);
	long v4 = ext ? guarded(do_rdmsr, &back_ext) : NO_TRAP;
	if (v2 == NO_TRAP)
		guarded(do_wrmsr, &old);
	snap(&after);
	irq_restore(f);
	judge("perf_ctl.root_bits_read_back",
	      v1 == NO_TRAP && v2 == NO_TRAP && v3 == NO_TRAP && v4 == NO_TRAP && back.val == w.val &&
		      (!ext || back_ext.val == w.val),
	      &after,
	      L"PerfEvtSel0 read %a, write %lx %a, read back %a: %lx, at 0xc0010200 (%a) %a: %lx (expected the value "
	      L"written)",
	      vec_name(v1), w.val, vec_name(v2), vec_name(v3), back.val, ext ? "PerfCtrExtCore" : "absent",
	      vec_name(v4), back_ext.val);
}

void hostile_dbgpmu(void)
{
	debugctl();
	if (vendor == VENDOR_AMD)
		perf_ctl();
}
