// SPDX-License-Identifier: MIT
/*
 * VT-x exits (Intel SDM vol. 3C 26 - 28): one VM entry per call of
 * vmx_vp_run, the exit decoded into the vendor-neutral record
 * (include/raum/vp.h) that kernel/dispatch.c handles, and what only VT-x
 * code can do for the dispatcher: complete an instruction, the exits only
 * VT-x has (NMIs, control-register access, task switches, exceptions), the
 * MSRs the policy gives the backend, and NMI delivery to the guest.
 *
 * The exit path is the hot path: a CPUID or VMCALL round trip reads the
 * exit reason, the IDT-vectoring information, RIP, the instruction length,
 * the interruptibility state and RFLAGS, and writes RIP back: nothing else
 * (RSP only for the exits whose handlers may use it).
 */
#include <raum/childvp.h>
#include <raum/crrules.h>
#include <raum/dispatch.h>
#include <raum/fmt.h>
#include <raum/health.h>
#include <raum/hwcheck.h>
#include <raum/log.h>
#include <raum/shootdown.h>
#include <raum/smp.h>
#include <raum/taskswitch.h>
#include <raum/vendor.h>
#include <raum/vpregs.h>
#include <raum/x86.h>

#include "insn.h"
#include "nmi.h"
#include "vmcs.h"
#include "vmx.h"

/* Basic exit reasons (SDM vol. 3D appendix C). */
#define EXIT_EXCEPTION_NMI 0
#define EXIT_EXTERNAL_INTR 1
#define EXIT_TRIPLE_FAULT 2
#define EXIT_IO 30
#define EXIT_INIT 3
#define EXIT_TASK_SWITCH 9
#define EXIT_NMI_WINDOW 8
#define EXIT_CPUID 10
#define EXIT_GETSEC 11
#define EXIT_INVD 13
#define EXIT_VMCALL 18
#define EXIT_VMCLEAR 19
#define EXIT_VMXON 27
#define EXIT_CR_ACCESS 28
#define EXIT_RDMSR 31
#define EXIT_WRMSR 32
#define EXIT_INVALID_GUEST 33
#define EXIT_MSR_LOADING 34
#define EXIT_MCE_DURING_ENTRY 41
#define EXIT_EPT_VIOLATION 48
#define EXIT_EPT_MISCONFIG 49
#define EXIT_INVEPT 50
#define EXIT_VMFUNC 59
#define EXIT_INVVPID 53
#define EXIT_XSETBV 55
#define EXIT_REASON_ENTRY_FAILURE BIT(31)

void vmx_flush_guest_tlb(struct vmx_vp *x)
{
	const struct vmx_controls *c = &to_vmx_part(x->vp.part)->ctls;

	if (c->vpid && c->invvpid_type)
		invvpid(c->invvpid_type, (u16)x->vpid.tag);
}

/*
 * NMIs for the root (vmx/nmi.c decides): injected when the root can take
 * one, else NMI-window exiting is turned on until it can. Called before
 * every entry (prepare_entry, when anything is pending) and again when
 * vmx/vmrun.S found that an NMI reached Raum's IDT after that
 * (VMX_ENTER_NMI). 'window_exit': this exit
 * was an NMI-window exit.
 */
static __attribute__((noinline)) void deliver_nmis_slow(struct vmx_vp *x, bool window_exit)
{
	/* NMIs that hit Raum's IDT meanwhile (kernel/trap.c) are the root's too */
	if (*x->host_nmi_pending)
		x->nmi_pending += __atomic_exchange_n(x->host_nmi_pending, 0, __ATOMIC_RELAXED);

	u32 intr = vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY);
	struct vmx_nmi_decision d = vmx_nmi_decide(x->nmi_pending, intr, vmcs_read32(VMCS_ENTRY_INTR_INFO),
						   window_exit);
	if (d.action == VMX_NMI_INJECT_UNBLOCK_STI)
		vmcs_write32(VMCS_GUEST_INTERRUPTIBILITY, intr & ~INTR_BLOCK_STI);
	if (d.action == VMX_NMI_INJECT || d.action == VMX_NMI_INJECT_UNBLOCK_STI)
		vmcs_write32(VMCS_ENTRY_INTR_INFO, 2 | (INTR_TYPE_NMI << INTR_INFO_TYPE_SHIFT) | INTR_INFO_VALID);
	x->nmi_pending = d.pending;
	if (d.window != x->nmi_window) {
		u32 proc = vmcs_read32(VMCS_PROC_CTLS);
		vmcs_write32(VMCS_PROC_CTLS, d.window ? proc | PROC_NMI_WINDOW : proc & ~PROC_NMI_WINDOW);
		x->nmi_window = d.window;
	}
}

/*
 * The common case costs one test: nothing pending, no window open. An
 * NMI-window exit comes only with the window open (nmi_window), and the
 * NMIs that reached Raum's IDT (host_nmi_pending) are checked by
 * vmx/vmrun.S right before the entry, which returns VMX_ENTER_NMI for them.
 */
static inline void deliver_nmis(struct vmx_vp *x, bool window_exit)
{
	if (__builtin_expect(x->nmi_pending || x->nmi_window, 0))
		deliver_nmis_slow(x, window_exit);
}

/* The MSRs the policy gives the VT-x backend (MSR_VENDOR): called by the common handler (kernel/msr.c). */
enum exit_action vmx_msr_vendor(struct vp *vp, u32 msr, bool write)
{
	if (msr == MSR_IA32_FEATURE_CONTROL && !write) {
		/* locked, VMX off: what a CPU without VMX shows */
		u64 v = rdmsr(MSR_IA32_FEATURE_CONTROL) & ~(FEATCTL_VMX_IN_SMX | FEATCTL_VMX_OUTSIDE_SMX);
		vp->gpr[GPR_RAX] = (u32)v;
		vp->gpr[GPR_RDX] = v >> 32;
		return EXIT_ADVANCE;
	}
	if (msr == MSR_IA32_FEATURE_CONTROL) {
		/* a locked register: #GP */
		vmx_inject_exception(vp, 13, true, 0);
		return EXIT_RESUME;
	}
	/* the policy says MSR_VENDOR but this backend has no emulation: a Raum bug, refused */
	pr_warn("vp%u: MSR %#x is the backend's by the policy but vmx has no emulation: #GP", vp->index, msr);
	vmx_inject_exception(vp, 13, true, 0);
	return EXIT_RESUME;
}

/*
 * MOV to CR0 / CR4 of a bit the guest-host mask owns (SDM 28.1.3, 25.6.6):
 * Raum performs the write, so Raum applies the rules the CPU applies to MOV
 * to CR (include/raum/crrules.h). A value the CPU would refuse gets #GP(0),
 * as on hardware; handed to the VMCS it would fail the next VM entry
 * (SDM 27.3.1.1: e.g. IA-32e mode guest without CR4.PAE, or CR0.PG = 0 with
 * the IA-32e mode guest control clear while CS.L = 1).
 */
/* Kept out of line: rare, and inlined it would cost every exit saved registers. */
static __attribute__((noinline)) enum exit_action cr_exit(struct vmx_vp *x, u64 qual)
{
	struct vp *vp = &x->vp;
	u32 cr = qual & 15, type = (qual >> 4) & 3, reg = (qual >> 8) & 15;
	struct vp_ctrl c;
	enum cr_fault f;

	if (type != 0 || (cr != 0 && cr != 4)) {
		vp->stop_reason = "control-register exit Raum does not program";
		return EXIT_FATAL;
	}
	u64 v = vp->gpr[reg];
	vmx_get_ctrl(vp, &c); /* the guest's view: read shadows applied */
	struct cr_state st = { .cr0 = c.cr0, .cr3 = c.cr3, .cr4 = c.cr4, .efer = c.efer,
			       .cs_l = vmcs_read32(VMCS_GUEST_ES_AR + 2 * VP_CS) & BIT(13) };
	if (cr == 4) {
		/* VMX does not exist for the guest: CR4.VMXE is as reserved as the bits FIXED1 forbids */
		f = cr4_check(&st, v, vmx_cr4_root_reserved | CR4_VMXE | ~vmx_caps.cr4_fixed1);
		if (f != CR_OK)
			goto refuse;
		vmcs_writel(VMCS_CR4_SHADOW, v);
		vmcs_writel(VMCS_GUEST_CR4, vmx_cr4_real(v));
		vmx_flush_guest_tlb(x);
		return EXIT_ADVANCE;
	}
	f = cr0_check(&st, v);
	if (f != CR_OK)
		goto refuse;
	v = cr0_effective(v);
	u64 old = vmcs_readl(VMCS_GUEST_CR0);
	u64 efer = c.efer;
	/* Paging switched with EFER.LME: the CPU would set or clear EFER.LMA; Raum does it here. */
	if ((efer & EFER_LME) && !(old & CR0_PG) && (v & CR0_PG)) {
		vmcs_write64(VMCS_GUEST_EFER, efer | EFER_LMA);
		x->entry_ctls |= ENTRY_IA32E;
		vmcs_write32(VMCS_ENTRY_CTLS, x->entry_ctls);
	} else if ((old & CR0_PG) && !(v & CR0_PG) && (efer & EFER_LMA)) {
		vmcs_write64(VMCS_GUEST_EFER, efer & ~EFER_LMA);
		x->entry_ctls &= ~ENTRY_IA32E;
		vmcs_write32(VMCS_ENTRY_CTLS, x->entry_ctls);
	}
	vmcs_writel(VMCS_CR0_SHADOW, v);
	vmcs_writel(VMCS_GUEST_CR0, vmx_cr0_real(v));
	vmx_flush_guest_tlb(x);
	return EXIT_ADVANCE;

refuse:
	pr_debug("vp%u: MOV to CR%u %#llx refused: %s", vp->index, cr, (unsigned long long)v, cr_fault_name(f));
	vmx_inject_exception(vp, 13, true, 0);
	return EXIT_RESUME;
}

/* ---- task switches (exit reason 9, kernel/taskswitch.c) ---- */

#define TS_CR0_TS BIT(3)

struct ts_vp {
	struct vp *vp;
	struct vp_ctrl c;
};

static int ts_read(void *ctx, u64 lin, void *buf, size_t n)
{
	struct ts_vp *t = ctx;
	return vp_read_virt(t->vp, &t->c, lin & 0xffffffffULL, buf, n);
}

static int ts_write(void *ctx, u64 lin, const void *buf, size_t n)
{
	struct ts_vp *t = ctx;
	return vp_write_virt(t->vp, &t->c, lin & 0xffffffffULL, buf, n);
}

static const struct ts_ops vmx_ts_ops = { ts_read, ts_write };

/*
 * A task switch always exits (SDM vol. 3C 26.1.2) and nothing of it has
 * happened yet (28.2.1: qualification bits 15:0 the new TSS selector,
 * 31:30 the source: CALL, IRET, JMP or a task gate in the IDT). The EIP
 * saved in the old task is past the instruction, except for an exception
 * or external event through a task gate, which resumes at RIP. An event
 * delivered through a task gate is not re-injected: the switch delivers it,
 * and its error code goes onto the new task's stack (SDM 6.13).
 */
static __attribute__((noinline)) enum exit_action task_switch_exit(struct vmx_vp *x, u64 qual, u32 idt)
{
	struct vp *vp = &x->vp;
	static const enum ts_reason src[4] = { TS_CALL, TS_IRET, TS_JMP, TS_GATE };
	enum ts_reason reason = src[(qual >> 30) & 3];
	struct ts_vp t = { .vp = vp };
	struct ts_state s;
	struct ts_fault f;
	bool gate_event = reason == TS_GATE && (idt & INTR_INFO_VALID);
	u32 type = (idt >> INTR_INFO_TYPE_SHIFT) & 7;

	if (gate_event)
		vmcs_write32(VMCS_ENTRY_INTR_INFO, 0); /* delivered by the switch, not re-injected */
	vp_get_ctrl(vp, &t.c);
	for (int i = 0; i < 8; i++)
		s.gpr[i] = (u32)vp->gpr[i];
	s.eip = (u32)vp->rip;
	/* past CALL / JMP / IRET and software INT n / INT3 / INTO (types 4-6); at RIP for the rest */
	if (!gate_event || type >= 4)
		s.eip += vmcs_read32(VMCS_EXIT_INSN_LEN);
	s.eflags = (u32)vmcs_readl(VMCS_GUEST_RFLAGS);
	s.cr0 = t.c.cr0;
	s.cr3 = t.c.cr3;
	s.cr3_changed = false;
	s.gdt_base = vmcs_readl(VMCS_GUEST_GDTR_BASE);
	s.gdt_limit = vmcs_read32(VMCS_GUEST_GDTR_LIMIT);
	for (int i = 0; i < TS_NSEG; i++)
		s.seg[i] = (struct ts_seg){ (u16)__vmread(VMCS_GUEST_ES_SEL + 2 * i),
					    (u32)__vmread(VMCS_GUEST_ES_BASE + 2 * i),
					    (u32)__vmread(VMCS_GUEST_ES_LIMIT + 2 * i),
					    (u32)__vmread(VMCS_GUEST_ES_AR + 2 * i) };
	int rc = task_switch(&s, &vmx_ts_ops, &t, (u16)qual, reason, &f);
	if (rc < 0) {
		/*
		 * A 16-bit TSS or a virtual-8086 task: the CPU would switch, Raum does not
		 * emulate it. Nothing has changed yet (task_switch refuses before its first
		 * write): the root gets #GP(selector) instead of a halted CPU (a deviation,
		 * docs/security.md "When Raum stops a CPU"); an event that came through the
		 * gate is lost with it.
		 */
		pr_info("vp%u: task switch to TSS %#x: a 16-bit TSS or virtual-8086 task, not emulated: #GP", vp->index,
			(unsigned)(qual & 0xffff));
		vmx_inject_exception(vp, 13, true, (u32)(qual & 0xfffc));
		return EXIT_RESUME;
	}
	/* the state the switch reached: the old task's before its commit point, the new one's after */
	for (int i = 0; i < 8; i++)
		vp->gpr[i] = s.gpr[i];
	vp->rip = s.eip;
	vmcs_writel(VMCS_GUEST_RFLAGS, s.eflags);
	for (int i = 0; i < TS_NSEG; i++) {
		/* taskswitch.c works in VMX access rights: written as they are */
		__vmwrite(VMCS_GUEST_ES_SEL + 2 * i, s.seg[i].sel);
		__vmwrite(VMCS_GUEST_ES_BASE + 2 * i, s.seg[i].base);
		__vmwrite(VMCS_GUEST_ES_LIMIT + 2 * i, s.seg[i].limit);
		__vmwrite(VMCS_GUEST_ES_AR + 2 * i, s.seg[i].ar);
	}
	if (s.cr0 != t.c.cr0) { /* CR0.TS: not in the guest-host mask, the shadow follows for the bits Raum owns */
		vmcs_writel(VMCS_GUEST_CR0, vmcs_readl(VMCS_GUEST_CR0) | TS_CR0_TS);
		vmcs_writel(VMCS_CR0_SHADOW, vmcs_readl(VMCS_CR0_SHADOW) | TS_CR0_TS);
	}
	if (s.cr3_changed) {
		vmcs_writel(VMCS_GUEST_CR3, s.cr3);
		vmx_flush_guest_tlb(x);
	}
	u32 intr = vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY);
	if (intr & (INTR_BLOCK_STI | INTR_BLOCK_MOV_SS))
		vmcs_write32(VMCS_GUEST_INTERRUPTIBILITY, intr & ~(INTR_BLOCK_STI | INTR_BLOCK_MOV_SS));
	if (rc == 1) {
		vmx_inject_exception(vp, f.vector, true, f.error);
		return EXIT_RESUME;
	}
	if (gate_event && (idt & INTR_INFO_ERROR_VALID)) {
		/* the error code of the event goes onto the new task's stack, 32 bits wide */
		u32 err = vmcs_read32(VMCS_IDT_VECTORING_ERROR);
		u32 esp = (u32)vp->gpr[GPR_RSP] - 4;
		if (vp_write_virt(vp, &t.c, (s.seg[TS_SS].base + esp) & 0xffffffffULL, &err, 4)) {
			vmx_inject_exception(vp, 12, true, 0);
			return EXIT_RESUME;
		}
		vp->gpr[GPR_RSP] = esp;
	}
	return EXIT_RESUME;
}

/*
 * Raum completed an instruction for the root with RFLAGS.TF set: the
 * single-step trap hardware raises after it (SDM vol. 3B 17.3.1.4; KVM:
 * kvm_vcpu_do_singlestep): #DB with DR6.BS set and B0-B3 cleared, RIP past
 * the instruction. DR6 is not part of the VMCS: the root's value is live in
 * the register while Raum runs (Raum uses no debug registers), and an
 * injected #DB does not touch it (SDM vol. 3C 27.6.1.2), so Raum sets it.
 * The STI / MOV SS blocking is cleared already (the trap MOV SS held back
 * fires here too, once), so the injection passes the entry checks.
 */
static __attribute__((noinline)) void single_step_trap(struct vp *vp)
{
	u64 dr6;

	__asm__ volatile("mov %%dr6, %0" : "=r"(dr6));
	dr6 = (dr6 & ~DR6_TRAP_BITS) | DR6_ACTIVE_LOW | DR6_BS;
	__asm__ volatile("mov %0, %%dr6" ::"r"(dr6));
	vmx_inject_exception(vp, 1, false, 0);
}

/*
 * An exception exit (reason 0, not an NMI). Raum's exception bitmap is
 * empty, so none should come (SDM 26.2: an exception exits only through
 * the bitmap; #PF also through the PFEC mask / match, which Raum leaves
 * matching nothing): should one come anyway, the root gets the exception
 * the hardware would have delivered to it, not a halted CPU. The exit's
 * interruption information has the format VM entry takes (SDM 25.9.2,
 * 25.8.3); bit 12 (NMI unblocking by IRET) means the IRET's unblocking must
 * be undone before entry (SDM 28.2.3), as for an EPT violation. An event
 * whose delivery this exception interrupted (IDT-vectoring information) is
 * replaced by it rather than combined into #DF (SDM 6.15, table 6-5).
 */
static __attribute__((noinline)) enum exit_action exception_exit(struct vmx_vp *x, u32 info)
{
	struct vp *vp = &x->vp;
	u32 type = (info >> INTR_INFO_TYPE_SHIFT) & 7;

	pr_debug("vp%u: exception exit (vector %u, type %u) with an empty bitmap: delivered to the root", vp->index,
		 info & INTR_INFO_VECTOR_MASK, type);
	if ((info & INTR_INFO_NMI_UNBLOCK) && (info & INTR_INFO_VECTOR_MASK) != 8)
		vmcs_write32(VMCS_GUEST_INTERRUPTIBILITY, vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY) | INTR_BLOCK_NMI);
	vmcs_write32(VMCS_ENTRY_INTR_INFO, info & ~(INTR_INFO_NMI_UNBLOCK | 0x7fffe000U));
	if (info & INTR_INFO_ERROR_VALID)
		vmcs_write32(VMCS_ENTRY_EXC_ERROR, vmcs_read32(VMCS_EXIT_INTR_ERROR));
	/* INT3 / INTO (6) and INT1 (5) resume past the instruction: the entry needs its length (SDM 27.6.1.1) */
	if (type == INTR_TYPE_SW_EXC || type == INTR_TYPE_PRIV_SW_EXC)
		vmcs_write32(VMCS_ENTRY_INSN_LEN, vmcs_read32(VMCS_EXIT_INSN_LEN));
	return EXIT_RESUME;
}

/* TLFS: hypercalls only from CPL 0 (SS.DPL); this build takes 64-bit callers (EFER.LMA and CS.L). */
/* Called only by run_once right after x's exit: x's VMCS is the current one, no check needed. */
static bool hypercall_allowed(struct vmx_vp *x __unused)
{
	u32 ss_ar = (u32)__vmread(VMCS_GUEST_ES_AR + 2 * VP_SS);
	u32 cs_ar = (u32)__vmread(VMCS_GUEST_ES_AR + 2 * VP_CS);
	return !(ss_ar & (3 << 5)) && (cs_ar & BIT(13)) && (vmcs_read64(VMCS_GUEST_EFER) & EFER_LMA);
}

/*
 * The exits only VT-x has (VPX_VENDOR): e->code is the basic exit reason,
 * e->qual the qualification, e->gpa the IDT-vectoring information.
 */
enum exit_action vmx_vendor_exit(struct vp *vp, struct vp_exit *e)
{
	struct vmx_vp *x = to_vmx(vp);

	switch (e->code) {
	case EXIT_EXCEPTION_NMI: {
		u32 info = vmcs_read32(VMCS_EXIT_INTR_INFO);
		if (((info >> INTR_INFO_TYPE_SHIFT) & 7) == INTR_TYPE_NMI) {
			/*
			 * NMI exiting: a kick (include/raum/smp.h), or the root's NMI,
			 * handed on (deliver_nmis caps the count). An NMI-caused exit
			 * leaves NMIs blocked in VMX root operation as if the NMI had
			 * been delivered there (SDM vol. 3C, "Event Blocking" after VM
			 * exits), and Bochs 2.7's VM entry does not unblock them: an
			 * IRET does, as KVM's call of the host NMI handler does, so the
			 * next kick is not held back.
			 */
			struct cpu *c = this_cpu();
			if (smp_nmi_is_kick(&c->kick_inflight))
				c->kicks++;
			else
				x->nmi_pending++;
			nmi_unblock_iret();
			return EXIT_RESUME;
		}
		return exception_exit(x, info); /* the bitmap is empty: not expected, delivered as hardware would */
	}
	case EXIT_NMI_WINDOW:
		return EXIT_RESUME; /* deliver_nmis injects it before the entry */
	case EXIT_TASK_SWITCH:
		return task_switch_exit(x, e->qual, (u32)e->gpa);
	case EXIT_CR_ACCESS:
		return cr_exit(x, e->qual);
	default:
		vp->stop_reason = "vmx: a vendor exit record Raum does not make";
		return EXIT_FATAL;
	}
}

static void failed(struct vp_exit *e, const char *fmt, u32 basic, u64 qual)
{
	e->kind = VPX_FAILED;
	e->reason = RAUM_EXIT_OTHER;
	raum_snprintf(e->why, sizeof(e->why), fmt, basic, vmx_exit_reason_name(basic), (unsigned long long)qual);
}

/* Sets an event whose delivery the exit cut off to go in again at the next entry; returns the IDT-vectoring information. */
static u32 reinject_cut_event(void)
{
	u32 idt = vmcs_read32(VMCS_IDT_VECTORING_INFO);

	if (idt & INTR_INFO_VALID) {
		vmcs_write32(VMCS_ENTRY_INTR_INFO, idt & ~(BIT(12) | 0x7fffe000U));
		if (idt & INTR_INFO_ERROR_VALID)
			vmcs_write32(VMCS_ENTRY_EXC_ERROR, vmcs_read32(VMCS_IDT_VECTORING_ERROR));
		vmcs_write32(VMCS_ENTRY_INSN_LEN, vmcs_read32(VMCS_EXIT_INSN_LEN));
	}
	return idt;
}

/* The exits off the hot path, decoded out of line. */
static __attribute__((noinline)) void decode_rare(struct vmx_vp *x, u32 reason, struct vp_exit *e)
{
	/*
	 * An event whose delivery the exit cut off is delivered again (SDM
	 * 28.2.4, 27.6). VM entry clears the valid bit of the entry
	 * interruption field (SDM 27.2 / 25.8.3), so it needs no clearing here
	 * unless something was set.
	 */
	u32 idt = reinject_cut_event();
	u32 basic = reason & 0xffff;
	u64 qual = vmcs_readl(VMCS_EXIT_QUALIFICATION);
	struct vp *vp = &x->vp;

	/* the handlers below may use RSP as an operand: synced for them, written back before the entry */
	vp->gpr[GPR_RSP] = vmcs_readl(VMCS_GUEST_RSP);
	x->rsp_read = true;
	e->qual = qual;
	e->gpa = idt;
	if (reason & EXIT_REASON_ENTRY_FAILURE) {
		char what[64];
		raum_snprintf(what, sizeof(what), basic == EXIT_INVALID_GUEST ? "invalid guest state (exit reason %u)"
									     : "exit reason %u", basic);
		if (basic == EXIT_INVALID_GUEST) {
			vmx_explain_entry_failure(x, what, e->why, sizeof(e->why));
		} else {
			raum_snprintf(e->why, sizeof(e->why), "VM entry failed: exit reason %u (%s)", basic,
				      vmx_exit_reason_name(basic));
		}
		e->kind = VPX_FAILED;
		e->reason = RAUM_EXIT_OTHER;
		return;
	}
	switch (basic) {
	case EXIT_EXCEPTION_NMI: {
		u32 info = vmcs_read32(VMCS_EXIT_INTR_INFO);
		e->kind = VPX_VENDOR;
		e->reason = ((info >> INTR_INFO_TYPE_SHIFT) & 7) == INTR_TYPE_NMI ? RAUM_EXIT_NMI : RAUM_EXIT_OTHER;
		return;
	}
	case EXIT_NMI_WINDOW:
		x->window_exit = true;
		e->kind = VPX_VENDOR;
		e->reason = RAUM_EXIT_NMI;
		return;
	case EXIT_TRIPLE_FAULT:
		e->kind = VPX_SHUTDOWN;
		e->reason = RAUM_EXIT_SHUTDOWN;
		return;
	case EXIT_IO: { /* SDM vol. 3C 28.2.1, table 28-5: the exit qualification of I/O instructions */
		u64 q = vmcs_readl(VMCS_EXIT_QUALIFICATION);
		e->kind = VPX_IO;
		e->reason = RAUM_EXIT_IO;
		e->port = (u16)(q >> 16);
		e->io_size = (u8)((q & 7) + 1);
		e->flags = ((q & BIT(3)) ? 0 : VPX_F_WRITE) | ((q & (BIT(4) | BIT(5))) ? VPX_F_STRING : 0);
		return;
	}
	case EXIT_INIT:
		/* INIT always exits from VMX non-root and is blocked in root operation (SDM 26.2, 25.8) */
		e->kind = VPX_INIT;
		e->reason = RAUM_EXIT_INIT_SIPI;
		return;
	case EXIT_TASK_SWITCH:
		e->kind = VPX_VENDOR;
		e->reason = RAUM_EXIT_OTHER;
		return;
	case EXIT_CR_ACCESS:
		e->kind = VPX_VENDOR;
		e->reason = RAUM_EXIT_CR_ACCESS;
		return;
	case EXIT_VMCLEAR ... EXIT_VMXON:
	case EXIT_INVEPT:
	case EXIT_INVVPID:
	case EXIT_VMFUNC:
	case EXIT_GETSEC:
		/* The guest sees no VMX (and no SMX): these raise #UD as on a CPU without them. */
		e->kind = VPX_UNDEFINED;
		e->reason = RAUM_EXIT_VMX_INSN;
		return;
	case EXIT_INVD:
		e->kind = VPX_INVD;
		e->reason = RAUM_EXIT_OTHER;
		e->flags = VPX_F_INVD;
		return;
	case EXIT_XSETBV:
		e->kind = VPX_XSETBV;
		e->reason = RAUM_EXIT_XSETBV;
		return;
	case EXIT_EPT_VIOLATION: {
		e->gpa = vmcs_read64(VMCS_GUEST_PHYS_ADDR);
		e->reason = RAUM_EXIT_NPF;
		/* bit 7: a linear address is valid; bit 8 clear then: the access was a guest paging-structure walk */
		e->flags = ((qual & BIT(7)) && !(qual & BIT(8))) ? VPX_F_WALK : 0;
		if (idt & INTR_INFO_VALID) {
			/* the access was the event's delivery, not the instruction's: the delivery faults */
			vmcs_write32(VMCS_ENTRY_INTR_INFO, 0);
			e->kind = VPX_DELIVERY_FAULT;
			e->ev_type = (u8)ev_type_vmx((idt >> INTR_INFO_TYPE_SHIFT) & 7);
			e->ev_vector = idt & INTR_INFO_VECTOR_MASK;
			e->idt_base = vmcs_readl(VMCS_GUEST_IDTR_BASE);
			return;
		}
		/* bit 12: the access unblocked NMIs through an IRET; re-block before re-entry (SDM 28.2.3) */
		if (qual & BIT(12))
			vmcs_write32(VMCS_GUEST_INTERRUPTIBILITY,
				     vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY) | INTR_BLOCK_NMI);
		e->kind = VPX_SLAT;
		e->flags |= ((qual & BIT(1)) ? VPX_F_WRITE : 0) | ((qual & BIT(2)) ? VPX_F_FETCH : 0);
		return;
	}
	case EXIT_EPT_MISCONFIG:
		e->kind = VPX_FAILED;
		e->reason = RAUM_EXIT_OTHER;
		raum_snprintf(e->why, sizeof(e->why), "EPT misconfiguration: a bug in Raum's EPT encoder");
		return;
	default:
		failed(e, "unhandled exit reason %u (%s), qualification %#llx", basic, qual);
		return;
	}
}

/* A failed VMLAUNCH / VMRESUME (SDM 31.2, 31.4): the record says which rule broke. */
static __attribute__((noinline)) void entry_failed(struct vmx_vp *x, struct vp_exit *e)
{
	x->vp.gpr[GPR_RSP] = vmcs_readl(VMCS_GUEST_RSP); /* the dump shows the state that failed */
	x->rsp_read = true;
	e->kind = VPX_FAILED;
	e->reason = RAUM_EXIT_OTHER;
	e->code = ~0U;
	if (x->fail_rflags & BIT(0)) {
		raum_snprintf(e->why, sizeof(e->why), "VM entry failed: VMfailInvalid (no current VMCS)");
		return;
	}
	u32 err = vmcs_read32(VMCS_INSN_ERROR);
	char what[96];
	raum_snprintf(what, sizeof(what), "VM-instruction error %u (%s)", err, vmx_instruction_error_name(err));
	vmx_explain_entry_failure(x, what, e->why, sizeof(e->why));
}

/*
 * The TLB decision of the common allocator (include/raum/asid.h) on VT-x
 * (SDM vol. 3C 29.4.3): INVVPID drops linear and combined mappings of a
 * VPID but need not drop guest-physical ones, which only INVEPT does; so a
 * new tag or a SLAT change takes INVEPT for the partition's EPTP (single
 * context, else all), and INVVPID drops the tag's linear mappings (single
 * context where that is what the CPU has, else all-context). Without VPIDs every entry and exit flushes linear mappings
 * anyway (SDM 29.4.3.1), and only the INVEPT part is needed.
 */
static __attribute__((noinline)) void vpid_flush(struct vmx_vp *x, struct asid_decision d)
{
	const struct vmx_partition *xp = to_vmx_part(x->vp.part);

	x->vp.slat_generation = x->vp.part->slat_generation;
	if (xp->ctls.vpid) {
		vmcs_write16(VMCS_VPID, d.tag);
		/*
		 * The tag's linear and combined mappings from before go: all VPIDs'
		 * when the generation rolled and the CPU has all-context INVVPID,
		 * else this tag's (single-context), which is all this VP's entry
		 * needs: a tag handed out again is flushed when it is handed out.
		 */
		if (xp->ctls.invvpid_type)
			invvpid(xp->ctls.invvpid_type, (u16)d.tag); /* INVVPID_SINGLE or INVVPID_ALL (SDM 31.3) */
	}
	if (xp->ctls.invept_type)
		invept(xp->ctls.invept_type, xp->eptp);
}

/* Before the entry: NMIs for the guest, the registers the VMCS holds, a flush the SLAT asked for. */
static inline void prepare_entry(struct vmx_vp *x)
{
	struct vp *vp = &x->vp;

	deliver_nmis(x, x->window_exit);
	x->window_exit = false;
	if (x->rsp_read) {
		vmcs_writel(VMCS_GUEST_RSP, vp->gpr[GPR_RSP]);
		x->rsp_read = false;
	}
	vmcs_writel(VMCS_GUEST_RIP, vp->rip);
	struct asid_decision d = asid_prepare(&x->cpu->vpids, &x->vpid, vp_entry_begin(vp));
	if (__builtin_expect(d.flush != ASID_FLUSH_NONE || d.fresh, 0))
		vpid_flush(x, d);
}

/*
 * vmx/vmrun.S's vmx_enter with the x86-64 calling convention replaced by
 * a clobber list: it loads the guest's GPRs over all of Raum's but RSP, so
 * everything else is clobbered; RBP (the frame pointer, which cannot be
 * named) is pushed around the call. The kernel is built with
 * -mno-red-zone, so pushing below RSP here is safe.
 */
static inline __attribute__((always_inline)) int vmx_enter_call(struct vmx_vp *x)
{
	long r;
	struct vmx_vp *di = x;

	__asm__ volatile("push %%rbp\n\t"
			 "call vmx_enter\n\t"
			 "pop %%rbp"
			 : "=a"(r), "+D"(di)
			 :
			 : "rbx", "rcx", "rdx", "rsi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "memory",
			   "cc");
	return (int)r;
}

/*
 * NMIs that reach Raum's IDT (this CPU's nmi_pending, kernel/trap.c) are
 * the guest's, and NMIs cannot be masked in VMX root operation: one can
 * arrive at any point of the exit path. Left in nmi_pending until some
 * later exit, it would wait as long as the guest runs without exits (HLT,
 * interrupts and most MSRs do not exit). So vmx/vmrun.S checks
 * nmi_pending as the last thing before VMLAUNCH / VMRESUME, and an NMI
 * that arrives between that check and the entry moves the interrupted RIP
 * back to the check (nmi_restart_table, kernel/trap.c); after the entry,
 * an NMI exits (NMI exiting). When the check finds one, vmx_enter returns
 * VMX_ENTER_NMI without entering, and the loop below delivers them
 * (deliver_nmis_slow) and enters again.
 */
static inline __attribute__((always_inline)) void run_once(struct vp *vp, struct vp_exit *e)
{
	struct vmx_vp *x = to_vmx(vp);
	int r;

	prepare_entry(x);
	while ((r = vmx_enter_call(x)) == VMX_ENTER_NMI)
		deliver_nmis_slow(x, false); /* NMIs that reached Raum's IDT: see deliver_nmis_slow */
	vp_entry_end(vp);
	if (r != VMX_ENTER_EXITED) {
		entry_failed(x, e);
		return;
	}
	u32 reason = vmcs_read32(VMCS_EXIT_REASON);
	vp->rip = vmcs_readl(VMCS_GUEST_RIP);
	e->code = reason & 0xffff;
	/*
	 * The exits of an instruction (CPUID, VMCALL, RDMSR, WRMSR) never come
	 * during the delivery of an event (SDM vol. 3C 28.2.4: the IDT-vectoring
	 * information is valid only for an exit during event delivery), so they
	 * skip its VMREAD; decode_rare reads it for every other exit.
	 */
	switch (reason) { /* the entry-failure bit makes any of these another value */
	case EXIT_CPUID:
		e->kind = VPX_CPUID;
		e->reason = RAUM_EXIT_CPUID;
		return;
	case EXIT_VMCALL:
		e->kind = VPX_HYPERCALL;
		e->reason = RAUM_EXIT_HYPERCALL;
		e->flags = hypercall_allowed(x) ? VPX_F_ALLOWED : 0;
		return;
	case EXIT_RDMSR:
		e->kind = VPX_MSR_READ;
		e->reason = RAUM_EXIT_MSR_READ;
		return;
	case EXIT_WRMSR:
		e->kind = VPX_MSR_WRITE;
		e->reason = RAUM_EXIT_MSR_WRITE;
		return;
	default:
		decode_rare(x, reason, e);
	}
}

void vmx_vp_run(struct vp *vp, struct vp_exit *e) { run_once(vp, e); }

static inline __attribute__((always_inline)) void complete_insn(struct vp *vp, const struct vp_exit *e __unused,
								 bool advance)
{
	if (advance)
		vp->rip += vmcs_read32(VMCS_EXIT_INSN_LEN);
	/* a skipped instruction ends any STI / MOV SS blocking */
	u32 intr = vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY);
	if (__builtin_expect(intr & (INTR_BLOCK_STI | INTR_BLOCK_MOV_SS), 0))
		vmcs_write32(VMCS_GUEST_INTERRUPTIBILITY, intr & ~(INTR_BLOCK_STI | INTR_BLOCK_MOV_SS));
	if (__builtin_expect(vmcs_readl(VMCS_GUEST_RFLAGS) & RFLAGS_TF, 0))
		single_step_trap(vp);
}

void vmx_complete_insn(struct vp *vp, const struct vp_exit *e, bool advance) { complete_insn(vp, e, advance); }

/* The VP's run loop: one function, no call per exit but the handler's (include/raum/dispatch.h). */
void vmx_run_loop(struct vp *vp)
{
	struct vp_exit e;

	do
		run_once(vp, &e);
	while (vp_dispatch_inline(vp, &e, complete_insn));
}

/* ---- a child's VP (kernel/childvp.c): run until the root must act ---------------------------- */

#define EXIT_INTR_WINDOW 7
#define EXIT_HLT 12
#define EXIT_PREEMPT_TIMER 52
static const u32 child_msr_index[5] = { MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SFMASK, MSR_KERNEL_GS_BASE };

/*
 * A child's RDMSR / WRMSR (every MSR exits: the shared all-ones bitmap).
 * Raum emulates EFER, the MSRs in the VMCS (FS / GS base, SYSENTER, PAT),
 * the syscall MSRs and KERNEL_GS_BASE (live in the CPU while the child is
 * dispatched) and a read of the TSC; any other MSR raises #GP.
 */
static enum exit_action vmx_child_msr(struct vmx_vp *x, bool write)
{
	struct vp *vp = &x->vp;
	u32 msr = (u32)vp->gpr[GPR_RCX];
	u64 val = (vp->gpr[GPR_RDX] << 32) | (u32)vp->gpr[GPR_RAX], cur = 0;
	u32 field = 0;
	bool addr = false, live = false;

	switch (msr) {
	case MSR_TSC_AUX:
		return child_tsc_aux_msr(vp, write);
	case MSR_EFER:
		if (!write) {
			cur = vmcs_read64(VMCS_GUEST_EFER);
			break;
		} else {
			struct vp_ctrl c;
			vmx_get_ctrl(vp, &c);
			struct cr_cpuid cc;
			cr_cpuid_read(&cc);
			struct cr_state cs = { .cr0 = c.cr0, .cr3 = c.cr3, .cr4 = c.cr4, .efer = c.efer, .cs_l = c.mode == 64 };
			if (efer_check(&cs, val, efer_writable(&cc)) != CR_OK)
				goto gp;
			vmcs_write64(VMCS_GUEST_EFER, (val & ~EFER_LMA) | (c.efer & EFER_LMA));
			return EXIT_ADVANCE;
		}
	case 0x10: /* the TSC: read only here */
		if (write)
			goto gp;
		cur = rdtsc() + ((to_vmx_part(vp->part)->ctls.proc & PROC_TSC_OFFSET) ? vmcs_read64(VMCS_TSC_OFFSET) : 0);
		break;
	case MSR_FS_BASE: field = VMCS_GUEST_ES_BASE + 2 * VP_FS; addr = true; break;
	case MSR_GS_BASE: field = VMCS_GUEST_ES_BASE + 2 * VP_GS; addr = true; break;
	case MSR_SYSENTER_CS: field = VMCS_GUEST_SYSENTER_CS; break;
	case MSR_SYSENTER_ESP: field = VMCS_GUEST_SYSENTER_ESP; addr = true; break;
	case MSR_SYSENTER_EIP: field = VMCS_GUEST_SYSENTER_EIP; addr = true; break;
	case MSR_PAT: field = VMCS_GUEST_PAT; break;
	case MSR_STAR: case MSR_SFMASK: live = true; break;
	case MSR_LSTAR: case MSR_CSTAR: case MSR_KERNEL_GS_BASE: live = addr = true; break;
	default:
		goto gp;
	}
	if (!write) {
		if (field) /* a variable field: its width is known from the cases above (SYSENTER_CS 32 bits) */
			cur = field == VMCS_GUEST_SYSENTER_CS ? (u32)__vmread(field) : __vmread(field);
		else if (live)
			cur = rdmsr(msr);
		vp->gpr[GPR_RAX] = (u32)cur;
		vp->gpr[GPR_RDX] = cur >> 32;
		return EXIT_ADVANCE;
	}
	if (!vpreg_msr_value_ok(msr, val, addr))
		goto gp;
	if (live)
		wrmsr(msr, val);
	else
		__vmwrite(field, field == VMCS_GUEST_SYSENTER_CS ? (u32)val : val);
	return EXIT_ADVANCE;
gp:
	vmx_inject_exception(vp, 13, true, 0);
	return EXIT_RESUME;
}

/* The external interrupt the root raised: in as soon as the child can take it, else an interrupt window. */
static void child_irq_window(struct vmx_vp *x)
{
	u32 proc = vmcs_read32(VMCS_PROC_CTLS), want = proc & ~PROC_INTR_WINDOW;

	if (x->child_irq & 0x100) {
		u32 intr = vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY);
		if (!(vmcs_read32(VMCS_ENTRY_INTR_INFO) & INTR_INFO_VALID) && (vmcs_readl(VMCS_GUEST_RFLAGS) & RFLAGS_IF) &&
		    !(intr & (INTR_BLOCK_STI | INTR_BLOCK_MOV_SS))) {
			vmcs_write32(VMCS_ENTRY_INTR_INFO, (x->child_irq & 0xff) | (INTR_TYPE_EXT << INTR_INFO_TYPE_SHIFT) |
								   INTR_INFO_VALID);
			x->child_irq = 0;
		} else {
			want |= PROC_INTR_WINDOW;
		}
	}
	if (want != proc)
		vmcs_write32(VMCS_PROC_CTLS, want);
}

/* The pending event (vpreg_event_decode checks it): VM-entry interruption information has its layout. */
int vmx_child_event(struct vp *vp, u32 name, bool set, u64 *v)
{
	struct vmx_vp *x = to_vmx(vp);
	u32 info = vmcs_read32(VMCS_ENTRY_INTR_INFO);
	struct vp_event e;

	if (name == HV_X64_REGISTER_INTERRUPT_STATE) {
		u32 intr = vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY);
		*v = ((intr & (INTR_BLOCK_STI | INTR_BLOCK_MOV_SS)) ? 1 : 0) | ((intr & INTR_BLOCK_NMI) ? 2 : 0);
		return set ? -RAUM_EINVAL : 0;
	}
	if (!set) {
		if (x->child_irq & 0x100)
			e = (struct vp_event){ true, HV_X64_PENDING_INTERRUPT, (u8)x->child_irq, false, 0 };
		else if (info & INTR_INFO_VALID)
			e = (struct vp_event){ true, (u8)((info >> INTR_INFO_TYPE_SHIFT) & 7), (u8)info,
					       info & INTR_INFO_ERROR_VALID,
					       (info & INTR_INFO_ERROR_VALID) ? vmcs_read32(VMCS_ENTRY_EXC_ERROR) : 0 };
		else
			e = (struct vp_event){ 0 };
		*v = vpreg_event_encode(&e);
		return 0;
	}
	if (vpreg_event_decode(*v, &e))
		return -RAUM_EINVAL;
	if (!e.pending) {
		x->child_irq = 0;
		vmcs_write32(VMCS_ENTRY_INTR_INFO, 0);
	} else if (e.type == HV_X64_PENDING_INTERRUPT) {
		x->child_irq = (u16)(0x100 | e.vector);
	} else if (info & INTR_INFO_VALID) {
		return -RAUM_EINVAL; /* an event is being delivered again: it goes first */
	} else {
		vmcs_write32(VMCS_ENTRY_INTR_INFO, e.vector | ((e.type == HV_X64_PENDING_NMI ? INTR_TYPE_NMI : INTR_TYPE_HW_EXC)
							       << INTR_INFO_TYPE_SHIFT) |
							   INTR_INFO_VALID | (e.has_error ? INTR_INFO_ERROR_VALID : 0));
		if (e.has_error)
			vmcs_write32(VMCS_ENTRY_EXC_ERROR, e.error);
	}
	return 0;
}

void vmx_child_complete(struct vp *vp, u64 rax, u64 rip)
{
	vp->gpr[GPR_RAX] = rax;
	vp->rip = rip;
	vmcs_writel(VMCS_GUEST_RIP, rip);
	u32 intr = vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY);
	if (intr & (INTR_BLOCK_STI | INTR_BLOCK_MOV_SS))
		vmcs_write32(VMCS_GUEST_INTERRUPTIBILITY, intr & ~(INTR_BLOCK_STI | INTR_BLOCK_MOV_SS));
}

/*
 * MOV to / from CR8 of a child (SDM vol. 3C 28.1.3, exit qualification:
 * bits 5:4 the direction, 11:8 the register): its own task priority.
 * MOV to CR8 with bits 63:4 set raises #GP (SDM vol. 2B, MOV CRn).
 */
static enum exit_action child_cr8(struct vmx_vp *x, u64 qual)
{
	struct vp *vp = &x->vp;
	u32 type = (qual >> 4) & 3, reg = (qual >> 8) & 15;

	if (type == 1) {
		vp->gpr[reg] = x->child_cr8;
		return EXIT_ADVANCE;
	}
	if (type != 0 || (vp->gpr[reg] >> 4)) {
		vmx_inject_exception(vp, 13, true, 0);
		return EXIT_RESUME;
	}
	x->child_cr8 = (u8)vp->gpr[reg];
	return EXIT_ADVANCE;
}

/*
 * An exception exit of a child (SDM vol. 3C 28.2.2: the exception not
 * delivered, RIP at the instruction; 28.2.1: #PF's address and #DB's DR6
 * bits in the exit qualification). True with *xo filled when the root
 * installed the vector; otherwise (#DB, #AC: CHILD_EXC_ALWAYS) the child's
 * own handler gets it, as the CPU would have delivered it. INT1 (a
 * privileged software exception) is reported after the instruction, as
 * AMD-V does.
 */
static bool child_exception(struct vmx_vp *x, struct raum_vp_exit *xo, u32 info)
{
	struct vp *vp = &x->vp;
	u8 vec = (u8)info;
	u32 err = (info & INTR_INFO_ERROR_VALID) ? vmcs_read32(VMCS_EXIT_INTR_ERROR) : 0;
	u64 qual = vmcs_readl(VMCS_EXIT_QUALIFICATION);

	vp->exits[RAUM_EXIT_OTHER]++;
	if (info & BIT(12)) /* a fault in an IRET that unblocked NMIs: blocked again (SDM 28.2.3) */
		vmcs_write32(VMCS_GUEST_INTERRUPTIBILITY, vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY) | INTR_BLOCK_NMI);
	if (((info >> INTR_INFO_TYPE_SHIFT) & 7) == INTR_TYPE_PRIV_SW_EXC)
		vp->rip += vmcs_read32(VMCS_EXIT_INSN_LEN);
	if (vec == 1) { /* DR6 as the delivery would leave it: B0-B3 replaced, BD and BS added (SDM 18.2.3) */
		u64 dr6;
		__asm__ volatile("mov %%dr6, %0" : "=r"(dr6));
		dr6 = (dr6 & ~DR6_TRAP_BITS) | (qual & (DR6_TRAP_BITS | DR6_BD | DR6_BS));
		__asm__ volatile("mov %0, %%dr6" ::"r"(dr6));
		if (child_exception_exit(vp, xo, vec, false, 0, 0))
			return true;
		u64 rflags = vmcs_readl(VMCS_GUEST_RFLAGS), dr7 = vmcs_readl(VMCS_GUEST_DR7);
		child_db_deliver_state(dr6, &rflags, &dr7);
		vmcs_writel(VMCS_GUEST_RFLAGS, rflags);
		vmcs_writel(VMCS_GUEST_DR7, dr7);
	} else if (child_exception_exit(vp, xo, vec, info & INTR_INFO_ERROR_VALID, err, qual)) {
		return true;
	}
	vmx_inject_exception(vp, vec, info & INTR_INFO_ERROR_VALID, err);
	return false;
}

/*
 * Runs a child VP (its VMCS current: child_enter) on CPU c until an exit
 * the root must see, the root's interrupt or NMI, or a failure. The root's
 * interrupts exit it (external-interrupt exiting, not acknowledged: they
 * wait in the APIC for the root); the root's NMIs exit it and are left in
 * c->nmi_pending for the root's VP. The state the VMCS does not switch
 * (the syscall MSRs, KERNEL_GS_BASE, CR2, DR6) is the child's while it runs.
 */
void vmx_child_run(struct vp *vp, struct cpu *c, struct raum_vp_exit *xo)
{
	struct vmx_vp *x = to_vmx(vp);
	struct vp_exit e;
	u64 root_msr[5], root_cr2 = read_cr2(), root_dr6;

	__asm__ volatile("mov %%dr6, %0" : "=r"(root_dr6));
	for (int i = 0; i < 5; i++) {
		root_msr[i] = rdmsr(child_msr_index[i]);
		wrmsr(child_msr_index[i], x->child_msr[i]);
	}
	write_cr2(x->child_cr2);
	__asm__ volatile("mov %0, %%dr6" ::"r"(x->child_dr6));
	x->cpu = c->vendor;
	x->host_nmi_pending = &c->nmi_pending;
	x->host_rsp = 0;
	x->rsp_read = false;
	vmcs_write32(VMCS_EXCEPTION_BITMAP, child_exception_bitmap(vp->part));
	for (;;) {
		if (__atomic_load_n(&c->nmi_pending, __ATOMIC_RELAXED)) {
			xo->kind = RAUM_VPEXIT_INTERRUPTED;
			break;
		}
		child_irq_window(x);
		prepare_entry(x);
		int r = vmx_enter_call(x);
		vp_entry_end(vp);
		if (r == VMX_ENTER_NMI) {
			xo->kind = RAUM_VPEXIT_INTERRUPTED; /* the root's NMIs: its VP takes them */
			break;
		}
		child_rsb_fill();
		if (r != VMX_ENTER_EXITED) {
			entry_failed(x, &e);
			xo->kind = RAUM_VPEXIT_FAILED;
			xo->flags |= RAUM_VPEXIT_F_REFUSED; /* VMfail: nothing ran */
			raum_snprintf(xo->why, sizeof(xo->why), "%s", e.why);
			break;
		}
		u32 reason = vmcs_read32(VMCS_EXIT_REASON), basic = reason & 0xffff;
		vp->rip = vmcs_readl(VMCS_GUEST_RIP);
		e.code = basic;
		if (reason & EXIT_REASON_ENTRY_FAILURE) {
			/* the guest state broke a rule (SDM 27.3.1): nothing ran, the state stays as the root set it */
			vmx_explain_entry_failure(x, "invalid guest state", e.why, sizeof(e.why));
			xo->kind = RAUM_VPEXIT_FAILED;
			xo->flags |= RAUM_VPEXIT_F_REFUSED;
			raum_snprintf(xo->why, sizeof(xo->why), "%s", e.why);
			break;
		}
		if (basic != EXIT_CPUID && basic != EXIT_VMCALL && basic != EXIT_RDMSR && basic != EXIT_WRMSR) {
			reinject_cut_event(); /* an event cut off by the exit goes in again (SDM 28.2.4, 27.6) */
		}
		enum exit_action a;
		switch (basic) {
		case EXIT_EXTERNAL_INTR:
			vp->exits[RAUM_EXIT_INTR]++;
			xo->kind = RAUM_VPEXIT_INTERRUPTED;
			goto done;
		case EXIT_PREEMPT_TIMER:
			vp->exits[RAUM_EXIT_OTHER]++;
			xo->kind = RAUM_VPEXIT_INTERRUPTED; /* its time slice is over: the root runs, then dispatches again */
			goto done;
		case EXIT_INTR_WINDOW:
			continue; /* child_irq_window injects it */
		case EXIT_NMI_WINDOW:
			continue;
		case EXIT_EXCEPTION_NMI: {
			u32 info = vmcs_read32(VMCS_EXIT_INTR_INFO);
			if (((info >> INTR_INFO_TYPE_SHIFT) & 7) != INTR_TYPE_NMI) {
				if (child_exception(x, xo, info))
					goto done;
				a = EXIT_RESUME;
				break;
			}
			vp->exits[RAUM_EXIT_NMI]++;
			bool kick = smp_nmi_is_kick(&c->kick_inflight);
			if (kick)
				c->kicks++;
			else
				__atomic_add_fetch(&c->nmi_pending, 1, __ATOMIC_RELAXED); /* the root's */
			nmi_unblock_iret();
			continue;
		}
		case EXIT_CPUID:
			vp->exits[RAUM_EXIT_CPUID]++;
			if (child_cpuid_exit(vp, xo, vp->rip + vmcs_read32(VMCS_EXIT_INSN_LEN)))
				goto done;
			a = exit_cpuid(vp);
			break;
		case EXIT_VMCALL:
			a = exit_hypercall(vp, hypercall_allowed(x));
			break;
		case EXIT_RDMSR:
		case EXIT_WRMSR: {
			bool wr = basic == EXIT_WRMSR;
			vp->exits[wr ? RAUM_EXIT_MSR_WRITE : RAUM_EXIT_MSR_READ]++;
			if (child_msr_exit(vp, xo, wr, vp->rip + vmcs_read32(VMCS_EXIT_INSN_LEN)))
				goto done;
			a = vmx_child_msr(x, wr);
			break;
		}
		case EXIT_XSETBV:
			vp->exits[RAUM_EXIT_XSETBV]++;
			a = child_xsetbv(vp);
			break;
		case EXIT_INVD:
			vp->exits[RAUM_EXIT_OTHER]++;
			__asm__ volatile("wbinvd" ::: "memory");
			a = EXIT_ADVANCE;
			break;
		case EXIT_VMCLEAR ... EXIT_VMXON:
		case EXIT_INVEPT:
		case EXIT_INVVPID:
		case EXIT_VMFUNC:
		case EXIT_GETSEC:
			vp->exits[RAUM_EXIT_VMX_INSN]++;
			a = exit_undefined(vp);
			break;
		case EXIT_CR_ACCESS: {
			u64 q = vmcs_readl(VMCS_EXIT_QUALIFICATION);
			vp->exits[RAUM_EXIT_CR_ACCESS]++;
			vp->gpr[GPR_RSP] = vmcs_readl(VMCS_GUEST_RSP);
			x->rsp_read = true;
			a = (q & 15) == 8 ? child_cr8(x, q) : cr_exit(x, q);
			break;
		}
		case EXIT_IO: {
			u64 q = vmcs_readl(VMCS_EXIT_QUALIFICATION);
			vp->exits[RAUM_EXIT_IO]++;
			xo->kind = RAUM_VPEXIT_IO;
			xo->port = (u16)(q >> 16);
			xo->size = (u8)((q & 7) + 1);
			xo->flags = ((q & BIT(3)) ? 0 : RAUM_VPEXIT_F_WRITE) | ((q & BIT(4)) ? RAUM_VPEXIT_F_STRING : 0) |
				    ((q & BIT(5)) ? RAUM_VPEXIT_F_REP : 0);
			if (!(q & BIT(3)))
				xo->data = vp->gpr[GPR_RAX] & (xo->size == 4 ? 0xffffffffULL : xo->size == 2 ? 0xffff : 0xff);
			if (!(xo->flags & RAUM_VPEXIT_F_STRING)) {
				vp->pending = (q & BIT(3)) ? CHILD_PENDING_IN : CHILD_PENDING_STEP;
				vp->pending_size = xo->size;
				vp->pending_next_rip = vp->rip + vmcs_read32(VMCS_EXIT_INSN_LEN);
			}
			goto done;
		}
		case EXIT_HLT:
			vp->exits[RAUM_EXIT_HLT]++;
			xo->kind = RAUM_VPEXIT_HLT;
			vp->pending = CHILD_PENDING_STEP;
			vp->pending_next_rip = vp->rip + vmcs_read32(VMCS_EXIT_INSN_LEN);
			goto done;
		case EXIT_EPT_VIOLATION: {
			u64 q = vmcs_readl(VMCS_EXIT_QUALIFICATION);
			vp->exits[RAUM_EXIT_NPF]++;
			if (q & BIT(12)) /* the access unblocked NMIs through an IRET: blocked again (SDM 28.2.3) */
				vmcs_write32(VMCS_GUEST_INTERRUPTIBILITY,
					     vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY) | INTR_BLOCK_NMI);
			xo->kind = RAUM_VPEXIT_MEMORY;
			xo->gpa = vmcs_read64(VMCS_GUEST_PHYS_ADDR);
			xo->flags = ((q & BIT(1)) ? RAUM_VPEXIT_F_WRITE : 0) | ((q & BIT(2)) ? RAUM_VPEXIT_F_EXECUTE : 0);
			child_fetch_insn(vp, xo);
			goto done;
		}
		case EXIT_TRIPLE_FAULT:
			vp->exits[RAUM_EXIT_SHUTDOWN]++;
			xo->kind = RAUM_VPEXIT_SHUTDOWN;
			raum_snprintf(xo->why, sizeof(xo->why), "shutdown (triple fault) at rip %#llx",
				      (unsigned long long)vp->rip);
			goto done;
		default:
			vp->exits[RAUM_EXIT_OTHER]++;
			xo->kind = RAUM_VPEXIT_FAILED;
			raum_snprintf(xo->why, sizeof(xo->why), "exit reason %u (%s) Raum does not handle for a child", basic,
				      vmx_exit_reason_name(basic));
			goto done;
		}
		if (a > EXIT_SKIPPED) {
			xo->kind = RAUM_VPEXIT_FAILED;
			raum_snprintf(xo->why, sizeof(xo->why), "%s", vp->stop_reason ? vp->stop_reason : "a handler failed");
			goto done;
		}
		if (a != EXIT_RESUME)
			complete_insn(vp, &e, a == EXIT_ADVANCE);
		xo->exits++;
	}
done:
	if (x->rsp_read) {
		vmcs_writel(VMCS_GUEST_RSP, vp->gpr[GPR_RSP]);
		x->rsp_read = false;
	}
	vmcs_writel(VMCS_GUEST_RIP, vp->rip);
	xo->rip = vp->rip;
	xo->rflags = vmcs_readl(VMCS_GUEST_RFLAGS);
	struct vp_ctrl ctl;
	vmx_get_ctrl(vp, &ctl);
	xo->mode = ctl.mode;
	/* the root's registers back */
	x->child_cr2 = read_cr2();
	__asm__ volatile("mov %%dr6, %0" : "=r"(x->child_dr6));
	for (int i = 0; i < 5; i++) {
		x->child_msr[i] = rdmsr(child_msr_index[i]);
		wrmsr(child_msr_index[i], root_msr[i]);
	}
	write_cr2(root_cr2);
	__asm__ volatile("mov %0, %%dr6" ::"r"(root_dr6));
	x->host_nmi_pending = NULL;
	x->cpu = NULL;
}
