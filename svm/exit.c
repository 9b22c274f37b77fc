// SPDX-License-Identifier: MIT
/*
 * AMD-V exits (AMD APM vol. 2, 15.6 - 15.9): one VMRUN per call of
 * svm_vp_run, the #VMEXIT decoded into the vendor-neutral exit record
 * (include/raum/vp.h) that kernel/dispatch.c handles, and what only AMD-V
 * code can do for the dispatcher: complete an instruction (NRIPS, or the
 * length decoded from the bytes where the CPU has no NRIPS: QEMU TCG) and
 * the MSRs the policy gives the backend.
 *
 * Host interrupts: GIF is 0 after every #VMEXIT, so the host runs with
 * interrupts and NMIs held; interrupts are taken by the guest on the next
 * VMRUN (not intercepted: pass-through). NMIs exit (the NMI intercept):
 * Raum takes each with a brief STGI and injects the root's (svm_vendor_exit).
 */
#include <raum/childvp.h>
#include <raum/crrules.h>
#include <raum/dispatch.h>
#include <raum/fmt.h>
#include <raum/health.h>
#include <raum/hwcheck.h>
#include <raum/insnlen.h>
#include <raum/log.h>
#include <raum/shootdown.h>
#include <raum/vendor.h>
#include <raum/vpregs.h>
#include <raum/x86.h>

#include "check.h"
#include "dbgpmu.h"
#include "svm.h"

/* Instruction lengths without prefixes: TCG has no NRIPS (PLATFORM.md), so Raum knows them. */
#define LEN_CPUID 2
#define LEN_MSR 2
#define LEN_VMMCALL 3
#define LEN_INVD 2 /* 0F 08, and WBINVD 0F 09 */

/*
 * The MSRs the policy gives the AMD-V backend (MSR_VENDOR, kernel/msrpolicy.c):
 * called by the common MSR handler (kernel/msr.c).
 */
enum exit_action svm_msr_vendor(struct vp *vp, u32 msr, bool write)
{
	struct svm_vp *s = to_svm(vp);
	struct vmcb_save *g = &s->vmcb->save;
	u64 val = (vp->gpr[GPR_RDX] << 32) | (u32)vp->gpr[GPR_RAX];

	if (svm_dbgpmu_owns(msr))
		return svm_dbgpmu_msr(s, msr, write, val); /* DEBUGCTL, PerfEvtSel (svm/dbgpmu.c) */
	switch (msr) {
	case MSR_EFER:
		if (!write) {
			val = g->efer & ~EFER_SVME;
			break;
		}
		/* This CPU's reserved bits, SVME included (SVM does not exist for the guest), and no LME
		 * change under paging: what VMRUN would refuse gets the #GP the CPU gives (crrules.h). */
		struct cr_state cs = { .cr0 = g->cr0, .cr3 = g->cr3, .cr4 = g->cr4, .efer = g->efer & ~EFER_SVME,
				       .cs_l = g->cs.attrib & BIT(9) };
		enum cr_fault f = efer_check(&cs, val, svm_caps.efer_root_writable);
		if (f != CR_OK) {
			pr_debug("vp%u: WRMSR EFER %#llx refused: %s", vp->index, (unsigned long long)val,
				 cr_fault_name(f));
			vp_inject_exception(vp, 13, true, 0);
			return EXIT_RESUME;
		}
		g->efer = (val & ~EFER_LMA) | (g->efer & EFER_LMA) | EFER_SVME;
		return EXIT_ADVANCE;
	case MSR_VM_CR:
		if (write) {
			vp_inject_exception(vp, 13, true, 0); /* reads as locked */
			return EXIT_RESUME;
		}
		val = VM_CR_LOCK | VM_CR_SVMDIS;
		break;
	case MSR_VM_HSAVE_PA:
		if (write)
			s->hsave_shadow = val;
		val = s->hsave_shadow;
		break;
	default:
		/* the policy says MSR_VENDOR but this backend has no emulation: a Raum bug, refused */
		pr_warn("vp%u: MSR %#x is the backend's by the policy but svm has no emulation: #GP", vp->index, msr);
		svm_inject_exception(vp, 13, true, 0);
		return EXIT_RESUME;
	}
	if (!write) {
		vp->gpr[GPR_RAX] = (u32)val;
		vp->gpr[GPR_RDX] = val >> 32;
	}
	return EXIT_ADVANCE;
}

/* Whether the instruction at the VP's RIP is INVD (0F 08): see the WBINVD intercept in svm_vp_create. */
static bool insn_is_invd(struct vp *vp)
{
	struct vp_ctrl c;
	u8 b[2];

	vp_get_ctrl(vp, &c);
	u64 lin = c.mode == 64 ? vp->rip : (vp->rip + c.cs_base) & 0xffffffffULL;
	return vp_read_virt(vp, &c, lin, b, sizeof(b)) == 0 && b[0] == 0x0f && b[1] == 0x08;
}

/*
 * The length of the intercepted instruction at the VP's RIP without NRIPS: its
 * prefixes (legacy, REX) plus the opcode op[0..oplen) (include/raum/insnlen.h);
 * a fixed length would land "2e 0f a2" one byte short, in its own opcode.
 * When the bytes cannot be read or are not that instruction any more (changed
 * since the exit, from another CPU), the plain opcode length: the root only
 * misleads itself.
 */
static u8 insn_len_at_rip(struct vp *vp, const u8 *op, size_t oplen, const u8 *alt_op)
{
	struct vp_ctrl c;
	u8 b[15];
	size_t n = sizeof(b);
	int len;

	svm_get_ctrl(vp, &c);
	u64 lin = c.mode == 64 ? vp->rip : (vp->rip + c.cs_base) & 0xffffffffULL;
	/*
	 * The common case first: the opcode itself at RIP, no prefix (one guest
	 * walk and oplen bytes). Only then the bytes up to the end of RIP's
	 * page, for the prefixes; an instruction cut by the page's end takes a
	 * second walk for the next page.
	 */
	if (PAGE_SIZE - (lin & (PAGE_SIZE - 1)) >= oplen && vp_read_virt(vp, &c, lin, b, oplen) == 0) {
		size_t i = 0;
		while (i < oplen && b[i] == op[i])
			i++;
		if (i == oplen)
			return (u8)oplen;
	}
	n = MIN(n, PAGE_SIZE - (lin & (PAGE_SIZE - 1)));
	if (vp_read_virt(vp, &c, lin, b, n) != 0)
		return (u8)oplen;
	len = x86_insn_len_of(b, n, c.mode, op, oplen);
	if (len < 0 && alt_op)
		len = x86_insn_len_of(b, n, c.mode, alt_op, oplen);
	if (len < 0 && n < sizeof(b) && vp_read_virt(vp, &c, lin, b, sizeof(b)) == 0) {
		n = sizeof(b);
		len = x86_insn_len_of(b, n, c.mode, op, oplen);
		if (len < 0 && alt_op)
			len = x86_insn_len_of(b, n, c.mode, alt_op, oplen);
	}
	if (len < 0) {
		pr_debug("vp%u: no %#x %#x instruction at rip %#llx: stepping %u bytes", vp->index, op[0], op[1],
			 (unsigned long long)vp->rip, (unsigned)oplen);
		return (u8)oplen;
	}
	return (u8)len;
}

/* The exit's instruction and its length when NRIPS is absent (APM 15.7.1: NRIP is then not written). */
static __attribute__((noinline)) u8 svm_insn_len(struct svm_vp *s, u32 code, u64 info1)
{
	static const u8 cpuid[] = { 0x0f, 0xa2 }, rdmsr[] = { 0x0f, 0x32 }, wrmsr[] = { 0x0f, 0x30 },
			vmmcall[] = { 0x0f, 0x01, 0xd9 }, invd[] = { 0x0f, 0x08 }, wbinvd[] = { 0x0f, 0x09 };

	switch (code) {
	case SVM_EXIT_CPUID:
		return insn_len_at_rip(&s->vp, cpuid, LEN_CPUID, NULL);
	case SVM_EXIT_MSR:
		return insn_len_at_rip(&s->vp, (info1 & 1) ? wrmsr : rdmsr, LEN_MSR, NULL);
	case SVM_EXIT_VMMCALL:
		return insn_len_at_rip(&s->vp, vmmcall, LEN_VMMCALL, NULL);
	case SVM_EXIT_INVD:
	case SVM_EXIT_WBINVD: /* QEMU 7.2 reports INVD as WBINVD: either */
		return insn_len_at_rip(&s->vp, invd, LEN_INVD, wbinvd);
	case SVM_EXIT_IOIO: /* EXITINFO2 is the next RIP with or without NRIPS (APM vol. 2 15.10.2) */
		return (u8)(s->vmcb->control.exitinfo2 - s->vp.rip);
	default:
		return 0;
	}
}

/*
 * Raum completed an instruction for the root with RFLAGS.TF set: the
 * single-step trap hardware raises after it (SDM vol. 3B 17.3.1.4, APM
 * vol. 2 13.1.3.2; KVM: kvm_vcpu_do_singlestep): #DB with DR6.BS set and
 * B0-B3 cleared, RIP past the instruction. VMRUN loads DR6 from the VMCB.
 * A MOV SS / STI shadow the instruction sat in is over (the trap MOV SS
 * held back fires here too, once).
 */
static __attribute__((noinline)) void single_step_trap(struct svm_vp *s)
{
	s->vmcb->save.dr6 = (s->vmcb->save.dr6 & ~DR6_TRAP_BITS) | DR6_ACTIVE_LOW | DR6_BS;
	svm_inject_exception(&s->vp, 1, false, 0);
}

/* TLFS: hypercalls only from CPL 0; this build takes 64-bit callers (EFER.LMA and CS.L). */
static bool hypercall_allowed(const struct svm_vp *s)
{
	const struct vmcb_save *g = &s->vmcb->save;

	return g->cpl == 0 && (g->efer & EFER_LMA) && (g->cs.attrib & BIT(9));
}

/* Before VMRUN: the registers the VMCB holds, and the ASID with its TLB decision (include/raum/asid.h). */
static inline void prepare_entry(struct svm_vp *s)
{
	struct vmcb *v = s->vmcb;
	struct vp *vp = &s->vp;

	v->save.rax = vp->gpr[GPR_RAX];
	v->save.rsp = vp->gpr[GPR_RSP];
	v->save.rip = vp->rip;
	if (__builtin_expect(*s->host_nmi_pending != 0, 0))
		svm_inject_nmi(s);
	struct asid_decision d = asid_prepare(&s->cpu->asid, &s->asid, vp_entry_begin(vp));
	v->control.tlb_control = svm_tlb_control(d.flush);
	v->control.guest_asid = d.tag;
}

static void failed(struct vp_exit *e, const char *fmt, u64 a, u64 b)
{
	e->kind = VPX_FAILED;
	e->reason = RAUM_EXIT_OTHER;
	raum_snprintf(e->why, sizeof(e->why), fmt, a, b);
}

/*
 * Decodes a #VMEXIT into the exit record (APM vol. 2 15.6, appendix C).
 * Rare exits are kept out of line so the common ones (CPUID, MSR,
 * VMMCALL) stay a short path.
 */
static __attribute__((noinline)) void decode_rare(struct svm_vp *s, u32 code, struct vp_exit *e)
{
	struct vmcb *v = s->vmcb;

	switch (code) {
	case SVM_EXIT_IOIO: { /* APM vol. 2 15.10.2, figure 15-2: EXITINFO1 */
		u64 i1 = v->control.exitinfo1;
		e->kind = VPX_IO;
		e->reason = RAUM_EXIT_IO;
		e->port = (u16)(i1 >> 16);
		e->io_size = (i1 & BIT(4)) ? 1 : (i1 & BIT(5)) ? 2 : 4;
		e->flags = ((i1 & 1) ? 0 : VPX_F_WRITE) | ((i1 & (BIT(2) | BIT(3))) ? VPX_F_STRING : 0);
		return;
	}
	case SVM_EXIT_INVD:
		e->kind = VPX_INVD;
		e->reason = RAUM_EXIT_OTHER;
		e->flags = VPX_F_INVD;
		return;
	case SVM_EXIT_WBINVD:
		/* WBINVD (0F 09), or an INVD (0F 08) reported as WBINVD by QEMU 7.2: both done as WBINVD */
		e->kind = VPX_INVD;
		e->reason = RAUM_EXIT_OTHER;
		e->flags = insn_is_invd(&s->vp) ? VPX_F_INVD : 0;
		return;
	case SVM_EXIT_VMRUN:
	case SVM_EXIT_VMLOAD:
	case SVM_EXIT_VMSAVE:
	case SVM_EXIT_STGI:
	case SVM_EXIT_CLGI:
	case SVM_EXIT_SKINIT:
	case SVM_EXIT_INVLPGA:
		/* The guest sees no SVM: these raise #UD as on a CPU without it. */
		e->kind = VPX_UNDEFINED;
		e->reason = RAUM_EXIT_SVM_INSN;
		return;
	case SVM_EXIT_NPF: {
		u64 info1 = v->control.exitinfo1;
		e->reason = RAUM_EXIT_NPF;
		e->gpa = v->control.exitinfo2;
		e->flags = (info1 & SVM_NPF_WALK) ? VPX_F_WALK : 0;
		if (v->control.exitintinfo & SVM_EVT_VALID) {
			/* the access was the event's delivery, not the instruction's: the delivery faults */
			u64 ev = v->control.exitintinfo;
			e->kind = VPX_DELIVERY_FAULT;
			e->ev_vector = ev & SVM_EVT_VECTOR_MASK;
			e->ev_type = (u8)ev_type_svm((ev >> SVM_EVT_TYPE_SHIFT) & 7, e->ev_vector);
			e->idt_base = v->save.idtr.base;
			v->control.eventinj = 0;
			return;
		}
		e->kind = VPX_SLAT;
		e->flags |= ((info1 & SVM_NPF_WRITE) ? VPX_F_WRITE : 0) | ((info1 & SVM_NPF_FETCH) ? VPX_F_FETCH : 0);
		return;
	}
	case SVM_EXIT_SHUTDOWN:
		e->kind = VPX_SHUTDOWN;
		e->reason = RAUM_EXIT_SHUTDOWN;
		return;
	case SVM_EXIT_INIT:
		e->kind = VPX_INIT;
		e->reason = RAUM_EXIT_INIT_SIPI;
		return;
	case SVM_EXIT_NMI:
	case SVM_EXIT_IRET:
		e->kind = VPX_VENDOR; /* svm_vendor_exit */
		e->reason = code == SVM_EXIT_NMI ? RAUM_EXIT_NMI : RAUM_EXIT_OTHER;
		return;
	case SVM_EXIT_INVALID: {
		const char *rule = svm_check_vmcb(v);
		e->kind = VPX_FAILED;
		e->reason = RAUM_EXIT_OTHER;
		raum_snprintf(e->why, sizeof(e->why), "VMRUN refused the VMCB (VMEXIT_INVALID): %s",
			      rule ? rule : "no rule Raum checks is broken (APM 15.5.1)");
		return;
	}
	default:
		failed(e, "unhandled exit code %#llx (info1 %#llx)", code, v->control.exitinfo1);
		return;
	}
}

/*
 * svm/vmrun.S's svm_enter with the calling convention replaced by a
 * clobber list: it loads the guest's GPRs over all of Raum's but RSP, so
 * everything else is clobbered; RBP (the frame pointer, which cannot be
 * named) is pushed around the call. The kernel is built with
 * -mno-red-zone, so pushing below RSP here is safe.
 */
static inline __attribute__((always_inline)) void svm_enter_call(struct svm_vp *s)
{
	struct svm_vp *di = s;

	__asm__ volatile("push %%rbp\n\t"
			 "call svm_enter\n\t"
			 "pop %%rbp"
			 : "+D"(di)
			 :
			 : "rax", "rbx", "rcx", "rdx", "rsi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
			   "memory", "cc");
}

static inline __attribute__((always_inline)) void run_once(struct vp *vp, struct vp_exit *e)
{
	struct svm_vp *s = to_svm(vp);
	struct vmcb *v = s->vmcb;

	prepare_entry(s);
	svm_enter_call(s);
	vp_entry_end(vp);
	vp->gpr[GPR_RAX] = v->save.rax;
	vp->gpr[GPR_RSP] = v->save.rsp;
	vp->rip = v->save.rip;
	/* An event whose delivery the exit cut off is delivered again (APM 15.7.2). */
	v->control.eventinj = (v->control.exitintinfo & SVM_EVT_VALID) ? v->control.exitintinfo : 0;

	u32 code = (u32)v->control.exitcode;
	e->code = code;
	switch (code) {
	case SVM_EXIT_CPUID:
		e->kind = VPX_CPUID;
		e->reason = RAUM_EXIT_CPUID;
		return;
	case SVM_EXIT_MSR:
		e->kind = (v->control.exitinfo1 & 1) ? VPX_MSR_WRITE : VPX_MSR_READ;
		e->reason = (v->control.exitinfo1 & 1) ? RAUM_EXIT_MSR_WRITE : RAUM_EXIT_MSR_READ;
		return;
	case SVM_EXIT_VMMCALL:
		e->kind = VPX_HYPERCALL;
		e->reason = RAUM_EXIT_HYPERCALL;
		e->flags = hypercall_allowed(s) ? VPX_F_ALLOWED : 0;
		return;
	default:
		decode_rare(s, code, e);
	}
}

void svm_vp_run(struct vp *vp, struct vp_exit *e) { run_once(vp, e); }

/* The opcode lengths, when no prefix precedes them and NRIPS says nothing. */
static u8 opcode_len(u32 code)
{
	return code == SVM_EXIT_VMMCALL ? LEN_VMMCALL : LEN_CPUID; /* CPUID, RDMSR / WRMSR, INVD / WBINVD: two */
}

static inline __attribute__((always_inline)) void complete_insn(struct vp *vp, const struct vp_exit *e, bool advance)
{
	struct svm_vp *s = to_svm(vp);
	struct vmcb *v = s->vmcb;

	if (advance) {
		if (svm_caps.nrips && v->control.nrip)
			vp->rip = v->control.nrip;
		else
			vp->rip += svm_insn_len(s, e->code, v->control.exitinfo1) ?: opcode_len(e->code);
	}
	v->control.interrupt_shadow = 0; /* a skipped instruction ends any STI / MOV SS shadow */
	if (v->save.rflags & RFLAGS_TF)
		single_step_trap(s);
}

/*
 * The root's NMIs, which Raum injects (struct svm_vp): when the root is
 * not in an NMI handler and no other event is being injected, one goes in
 * on this entry and the IRET intercept watches for the handler's end.
 * Otherwise it waits in this CPU's nmi_pending (two at most, as hardware
 * latches one behind the one in service) for a later entry.
 */
void svm_inject_nmi(struct svm_vp *s)
{
	struct vmcb_control *ctl = &s->vmcb->control;
	if (s->nmi_masked || (ctl->eventinj & SVM_EVT_VALID))
		return;
	if (s->nmi_after_iret) {
		s->nmi_after_iret = false; /* the IRET runs first: the NMI goes in at the next entry */
		return;
	}
	ctl->eventinj = 2 | ((u64)SVM_EVT_TYPE_NMI << SVM_EVT_TYPE_SHIFT) | SVM_EVT_VALID;
	(*s->host_nmi_pending)--;
	s->nmi_masked = true;
	ctl->intercept_misc1 |= SVM_INTERCEPT_IRET;
}

/*
 * The exits only AMD-V has: an NMI (a kick, or the root's), and the IRET
 * that ends the root's NMI handler. After #VMEXIT(NMI) the NMI is still
 * pending, held by GIF = 0 (APM 15.17.1): STGI takes it in Raum's NMI
 * handler, which tells a kick from the root's (kernel/trap.c), and CLGI
 * closes the window again (KVM's svm_vcpu_run, Jailhouse do the same).
 */
enum exit_action svm_vendor_exit(struct vp *vp, struct vp_exit *e)
{
	struct svm_vp *s = to_svm(vp);

	switch (e->code) {
	case SVM_EXIT_NMI:
		__asm__ volatile("stgi\n\tclgi" ::: "memory");
		return EXIT_RESUME;
	case SVM_EXIT_IRET:
		s->nmi_masked = false;
		s->nmi_after_iret = true;
		s->vmcb->control.intercept_misc1 &= ~SVM_INTERCEPT_IRET;
		return EXIT_RESUME;
	default:
		vp->stop_reason = "svm: an exit record of the vendor kind for an exit it has no handler for";
		return EXIT_FATAL;
	}
}

void svm_complete_insn(struct vp *vp, const struct vp_exit *e, bool advance) { complete_insn(vp, e, advance); }

/* The VP's run loop: one function, no call per exit but the handler's (include/raum/dispatch.h). */
void svm_run_loop(struct vp *vp)
{
	struct vp_exit e;

	do
		run_once(vp, &e);
	while (vp_dispatch_inline(vp, &e, complete_insn));
}

/* ---- a child's VP (kernel/childvp.c): run until the root must act ---------------------------- */

/*
 * A child's RDMSR / WRMSR (every MSR exits: the shared all-ones map). Raum
 * emulates EFER (svm_msr_vendor's rules), the MSRs that live in the VMCB
 * (switched by VMRUN / VMLOAD / VMSAVE) and a read of the TSC; any other
 * MSR raises #GP, as one the CPU does not have: a child reaches no real
 * MSR of the machine.
 */
static enum exit_action child_msr(struct svm_vp *s, bool write)
{
	struct vp *vp = &s->vp;
	struct vmcb_save *g = &s->vmcb->save;
	u32 msr = (u32)vp->gpr[GPR_RCX];
	u64 val = (vp->gpr[GPR_RDX] << 32) | (u32)vp->gpr[GPR_RAX];
	size_t off;
	bool addr = false;
	u64 cur;

	switch (msr) {
	case MSR_EFER:
		return svm_msr_vendor(vp, msr, write);
	case MSR_TSC_AUX:
		return child_tsc_aux_msr(vp, write);
	case 0x10: /* IA32_TIME_STAMP_COUNTER: read only here */
		if (write)
			goto gp;
		val = rdtsc() + s->vmcb->control.tsc_offset;
		vp->gpr[GPR_RAX] = (u32)val;
		vp->gpr[GPR_RDX] = val >> 32;
		return EXIT_ADVANCE;
	case MSR_STAR: off = offsetof(struct vmcb_save, star); break;
	case MSR_LSTAR: off = offsetof(struct vmcb_save, lstar); addr = true; break;
	case MSR_CSTAR: off = offsetof(struct vmcb_save, cstar); addr = true; break;
	case MSR_SFMASK: off = offsetof(struct vmcb_save, sfmask); break;
	case MSR_KERNEL_GS_BASE: off = offsetof(struct vmcb_save, kernel_gs_base); addr = true; break;
	case MSR_FS_BASE: off = offsetof(struct vmcb_save, fs.base); addr = true; break;
	case MSR_GS_BASE: off = offsetof(struct vmcb_save, gs.base); addr = true; break;
	case MSR_SYSENTER_CS: off = offsetof(struct vmcb_save, sysenter_cs); break;
	case MSR_SYSENTER_ESP: off = offsetof(struct vmcb_save, sysenter_esp); addr = true; break;
	case MSR_SYSENTER_EIP: off = offsetof(struct vmcb_save, sysenter_eip); addr = true; break;
	case MSR_PAT: off = offsetof(struct vmcb_save, g_pat); break;
	default:
		goto gp;
	}
	if (!write) {
		__builtin_memcpy(&cur, (u8 *)g + off, 8);
		vp->gpr[GPR_RAX] = (u32)cur;
		vp->gpr[GPR_RDX] = cur >> 32;
		return EXIT_ADVANCE;
	}
	if (!vpreg_msr_value_ok(msr, val, addr))
		goto gp;
	__builtin_memcpy((u8 *)g + off, &val, 8);
	return EXIT_ADVANCE;
gp:
	svm_inject_exception(vp, 13, true, 0);
	return EXIT_RESUME;
}

static void child_stop(struct raum_vp_exit *x, u32 kind, const char *fmt, u64 a, u64 b)
{
	x->kind = kind;
	raum_snprintf(x->why, sizeof(x->why), fmt, a, b);
}

/* The RIP after the intercepted instruction: NRIP, or its length without prefixes (a child misleads only itself). */
static u64 child_next_rip(struct svm_vp *s, u8 len)
{
	return (svm_caps.nrips && s->vmcb->control.nrip) ? s->vmcb->control.nrip : s->vp.rip + len;
}

/*
 * Runs a child VP on CPU c until an exit the root must see (port I/O, an
 * unmapped GPA, HLT), the root's interrupt or NMI, or a failure. The
 * exits Raum handles itself (CPUID, MSRs, hypercalls, XSETBV, the SVM
 * instructions as #UD, NMI kicks) loop here: a child that exits to Raum
 * forever still leaves at the root's next timer interrupt.
 */
void svm_child_run(struct vp *vp, struct cpu *c, struct raum_vp_exit *x)
{
	struct svm_vp *s = to_svm(vp);
	struct vmcb *v = s->vmcb;
	struct svm_cpu *sc = c->vendor;
	bool first = true;

	s->cpu = sc;
	s->host_vmcb_phys = sc->host_vmcb_phys;
	s->host_nmi_pending = &c->nmi_pending;
	v->control.intercept_exceptions = child_exception_bitmap(vp->part); /* no clean bits: read at each VMRUN */
	for (;;) {
		if (__atomic_load_n(&c->nmi_pending, __ATOMIC_RELAXED)) {
			x->kind = RAUM_VPEXIT_INTERRUPTED; /* the root's NMI: it is injected at the root's entry */
			break;
		}
		v->save.rax = vp->gpr[GPR_RAX];
		v->save.rsp = vp->gpr[GPR_RSP];
		v->save.rip = vp->rip;
		struct asid_decision d = asid_prepare(&sc->asid, &s->asid, vp_entry_begin(vp));
		v->control.tlb_control = svm_tlb_control(d.flush);
		v->control.guest_asid = d.tag;
		if (first) {
			/* the root's registers against VMRUN's rules: refused here, never a failed entry */
			const char *rule = svm_check_vmcb(v);
			first = false;
			if (rule) {
				vp_entry_end(vp);
				x->kind = RAUM_VPEXIT_FAILED;
				x->flags |= RAUM_VPEXIT_F_REFUSED;
				raum_snprintf(x->why, sizeof(x->why), "%s", rule);
				break;
			}
		}
		/* GIF is 0 here: IF = 1 takes nothing in Raum, it only unmasks the root's interrupts for VMRUN */
		__asm__ volatile("sti" ::: "memory");
		svm_enter_call(s);
		__asm__ volatile("cli" ::: "memory");
		child_rsb_fill();
		vp_entry_end(vp);
		vp->gpr[GPR_RAX] = v->save.rax;
		vp->gpr[GPR_RSP] = v->save.rsp;
		vp->rip = v->save.rip;
		v->control.eventinj = (v->control.exitintinfo & SVM_EVT_VALID) ? v->control.exitintinfo : 0;

		u32 code = (u32)v->control.exitcode;
		enum exit_action a;
		switch (code) {
		case SVM_EXIT_INTR:
			vp->exits[RAUM_EXIT_INTR]++;
			x->kind = RAUM_VPEXIT_INTERRUPTED;
			goto done;
		case SVM_EXIT_NMI: /* a kick (a shootdown) or the root's: taken in Raum's handler */
			vp->exits[RAUM_EXIT_NMI]++;
			__asm__ volatile("stgi\n\tclgi" ::: "memory");
			continue;
		case SVM_EXIT_CPUID:
			vp->exits[RAUM_EXIT_CPUID]++;
			if (child_cpuid_exit(vp, x, child_next_rip(s, 2)))
				goto done; /* the root asked for this leaf (InstallIntercept) */
			a = exit_cpuid(vp);
			break;
		case SVM_EXIT_VMMCALL:
			a = exit_hypercall(vp, hypercall_allowed(s)); /* counts itself; root-only calls: ACCESS_DENIED */
			break;
		case SVM_EXIT_EXCP_BASE ... SVM_EXIT_EXCP_BASE + 31: {
			/* APM vol. 2 15.12: EXITINFO1 the error code, EXITINFO2 #PF's address; nothing delivered */
			u8 vec = (u8)(code - SVM_EXIT_EXCP_BASE);
			bool err = EXC_ERROR_CODE & BIT(vec);
			vp->exits[RAUM_EXIT_OTHER]++;
			if (child_exception_exit(vp, x, vec, err, (u32)v->control.exitinfo1, v->control.exitinfo2))
				goto done;
			/* #DB or #AC, intercepted for Raum's sake (CHILD_EXC_ALWAYS): the child's own handler takes it;
			 * for #DB the VMCB's DR6 holds what the CPU set */
			if (vec == 1) {
				u64 rflags = v->save.rflags, dr7 = v->save.dr7;
				child_db_deliver_state(v->save.dr6, &rflags, &dr7);
				v->save.rflags = rflags;
				v->save.dr7 = dr7;
			}
			svm_inject_exception(vp, vec, err, (u32)v->control.exitinfo1);
			a = EXIT_RESUME;
			break;
		}
		case SVM_EXIT_MSR: {
			bool wr = v->control.exitinfo1 & 1;
			vp->exits[wr ? RAUM_EXIT_MSR_WRITE : RAUM_EXIT_MSR_READ]++;
			if (child_msr_exit(vp, x, wr, child_next_rip(s, 2)))
				goto done;
			a = child_msr(s, wr);
			break;
		}
		case SVM_EXIT_XSETBV:
			vp->exits[RAUM_EXIT_XSETBV]++;
			a = child_xsetbv(vp);
			if (a == EXIT_ADVANCE) { /* XSETBV is 0F 01 D1: three bytes, NRIP or not */
				vp->rip = (svm_caps.nrips && v->control.nrip) ? v->control.nrip : vp->rip + 3;
				a = EXIT_SKIPPED;
			}
			break;
		case SVM_EXIT_INVD:
		case SVM_EXIT_WBINVD:
			vp->exits[RAUM_EXIT_OTHER]++;
			__asm__ volatile("wbinvd" ::: "memory");
			a = EXIT_ADVANCE;
			break;
		case SVM_EXIT_VMRUN:
		case SVM_EXIT_VMLOAD:
		case SVM_EXIT_VMSAVE:
		case SVM_EXIT_STGI:
		case SVM_EXIT_CLGI:
		case SVM_EXIT_SKINIT:
		case SVM_EXIT_INVLPGA:
			vp->exits[RAUM_EXIT_SVM_INSN]++;
			a = exit_undefined(vp);
			break;
		case SVM_EXIT_IOIO: {
			u64 i1 = v->control.exitinfo1;
			vp->exits[RAUM_EXIT_IO]++;
			x->kind = RAUM_VPEXIT_IO;
			x->port = (u16)(i1 >> 16);
			x->size = (i1 & BIT(4)) ? 1 : (i1 & BIT(5)) ? 2 : 4;
			x->flags = ((i1 & 1) ? 0 : RAUM_VPEXIT_F_WRITE) | ((i1 & BIT(2)) ? RAUM_VPEXIT_F_STRING : 0) |
				   ((i1 & BIT(3)) ? RAUM_VPEXIT_F_REP : 0);
			if (!(i1 & 1))
				x->data = vp->gpr[GPR_RAX] & (x->size == 4 ? 0xffffffffULL : x->size == 2 ? 0xffff : 0xff);
			if (!(x->flags & RAUM_VPEXIT_F_STRING)) {
				vp->pending = (i1 & 1) ? CHILD_PENDING_IN : CHILD_PENDING_STEP;
				vp->pending_size = x->size;
				vp->pending_next_rip = v->control.exitinfo2; /* the next RIP, NRIPS or not (APM 15.10.2) */
			}
			goto done;
		}
		case SVM_EXIT_HLT:
			vp->exits[RAUM_EXIT_HLT]++;
			x->kind = RAUM_VPEXIT_HLT;
			vp->pending = CHILD_PENDING_STEP;
			vp->pending_next_rip = (svm_caps.nrips && v->control.nrip) ? v->control.nrip : vp->rip + 1;
			goto done;
		case SVM_EXIT_NPF: {
			u64 i1 = v->control.exitinfo1;
			vp->exits[RAUM_EXIT_NPF]++;
			x->kind = RAUM_VPEXIT_MEMORY;
			x->gpa = v->control.exitinfo2;
			x->flags = ((i1 & SVM_NPF_WRITE) ? RAUM_VPEXIT_F_WRITE : 0) |
				   ((i1 & SVM_NPF_FETCH) ? RAUM_VPEXIT_F_EXECUTE : 0);
			child_fetch_insn(vp, x);
			goto done;
		}
		case SVM_EXIT_SHUTDOWN:
			vp->exits[RAUM_EXIT_SHUTDOWN]++;
			child_stop(x, RAUM_VPEXIT_SHUTDOWN, "shutdown (triple fault) at rip %#llx", vp->rip, 0);
			goto done;
		case SVM_EXIT_INVALID: {
			const char *rule = svm_check_vmcb(v);
			vp->exits[RAUM_EXIT_OTHER]++;
			raum_snprintf(x->why, sizeof(x->why), "VMRUN refused the VMCB: %s",
				      rule ? rule : "no rule Raum checks is broken (APM 15.5.1)");
			x->kind = RAUM_VPEXIT_FAILED;
			goto done;
		}
		default:
			vp->exits[RAUM_EXIT_OTHER]++;
			child_stop(x, RAUM_VPEXIT_FAILED, "exit code %#llx Raum does not handle for a child (info1 %#llx)",
				   code, v->control.exitinfo1);
			goto done;
		}
		if (a > EXIT_SKIPPED) {
			x->kind = RAUM_VPEXIT_FAILED;
			raum_snprintf(x->why, sizeof(x->why), "%s", vp->stop_reason ? vp->stop_reason : "a handler failed");
			goto done;
		}
		if (a != EXIT_RESUME) {
			/*
			 * Without NRIPS (QEMU TCG) the plain opcode's length: Raum does not
			 * read a child's memory, so a prefixed CPUID or RDMSR in a child
			 * lands inside its own opcode (the child misleads only itself).
			 */
			if (a == EXIT_ADVANCE)
				vp->rip = (svm_caps.nrips && v->control.nrip) ? v->control.nrip : vp->rip + opcode_len(code);
			v->control.interrupt_shadow = 0;
			if (v->save.rflags & RFLAGS_TF)
				single_step_trap(s);
		}
		x->exits++;
	}
done:
	x->rip = vp->rip;
	x->rflags = v->save.rflags;
	x->mode = 16;
	if ((v->save.efer & EFER_LMA) && (v->save.cs.attrib & BIT(9)))
		x->mode = 64;
	else if (v->save.cs.attrib & BIT(10))
		x->mode = 32;
	s->cpu = NULL;
}
