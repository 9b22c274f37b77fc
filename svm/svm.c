// SPDX-License-Identifier: MIT
/*
 * AMD-V backend (AMD APM vol. 2, chapter 15).
 *
 * Enabling SVM on a CPU (APM 15.4): EFER.SVME = 1, which VM_CR.SVMDIS
 * forbids (the loader checked it), and VM_HSAVE_PA pointing at a 4 KiB page
 * where VMRUN saves host state. The late launch turns the firmware's state,
 * saved by kernel/entry.S, into VP 0 of the root partition and enters it;
 * from then on this CPU runs svm_run's loop: VMRUN, decode the exit here,
 * handle it in common code (kernel/exit.c, kernel/hypercall.c), repeat.
 *
 * Host interrupts: GIF is 0 after every #VMEXIT and Raum never executes
 * STGI, so the host runs with interrupts and NMIs held; they are taken by
 * the guest on the next VMRUN (nothing intercepts them: pass-through).
 */
#include <raum/crrules.h>
#include <raum/errno.h>
#include <raum/fmt.h>
#include <raum/health.h>
#include <raum/hwcheck.h>
#include <raum/insnlen.h>
#include <raum/log.h>
#include <raum/trap.h>
#include <raum/vendor.h>
#include <raum/vm.h>
#include <raum/x86.h>

#include "check.h"
#include "dbgpmu.h"
#include "initredir.h"
#include "svm.h"

#define MSR_VM_HSAVE_PA 0xc0010117
#define MSR_KERNEL_GS_BASE 0xc0000102
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SFMASK 0xc0000084
#define MSR_SYSENTER_CS 0x174
#define MSR_SYSENTER_ESP 0x175
#define MSR_SYSENTER_EIP 0x176
#define MSR_PAT 0x277

/* Instruction lengths: TCG has no NRIPS (PLATFORM.md), so Raum knows them. */
#define LEN_CPUID 2
#define LEN_MSR 2
#define LEN_VMMCALL 3
#define LEN_INVD 2 /* 0F 08, and WBINVD 0F 09 */

static struct svm_cpu svm_cpus[RAUM_MAX_CPUS];
static u64 msrpm_phys, iopm_phys;
static bool has_nrips, has_flush_by_asid;
/* The EFER bits the root may write on this CPU (efer_root_rules_init); SVME never. */
static u64 efer_root_writable;

static inline void vmsave(u64 pa) { __asm__ volatile("vmsave %%rax" ::"a"(pa) : "memory"); }

/* ---- enabling SVM ----------------------------------------------------- */

/*
 * VM_CR.R_INIT (svm/initredir.h, APM vol. 2 15.29): an INIT while Raum's own
 * code runs becomes #SX, which Raum's trap handler reports, instead of a
 * silent CPU reset. In guest mode the INIT intercept takes it first.
 */
static void enable_init_redirection(struct svm_cpu *s, u32 cpu)
{
	u64 v = 0, w, after = 0;
	int rc = msr_read_safe(MSR_VM_CR, &v);

	s->vm_cr_before = v;
	switch (svm_r_init_plan(rc, v, &w)) {
	case R_INIT_ALREADY:
		return;
	case R_INIT_NO_MSR:
		pr_warn("svm: VM_CR does not read on cpu%u: INIT outside guest mode is not redirected", cpu);
		return;
	case R_INIT_WRITE:
		break;
	}
	rc = msr_write_safe(MSR_VM_CR, w);
	if (rc == 0)
		rc = msr_read_safe(MSR_VM_CR, &after);
	s->r_init_set = svm_r_init_took(rc, after);
	if (!s->r_init_set)
		pr_info("svm: VM_CR.R_INIT did not stick on cpu%u (VM_CR %#llx -> %#llx; QEMU does not model "
			"it): an INIT outside guest mode would reset this CPU", cpu, (unsigned long long)v,
			(unsigned long long)after);
}

static int svm_cpu_enable(struct cpu *c)
{
	struct svm_cpu *s = &svm_cpus[c->id];
	u64 efer = rdmsr(MSR_EFER);
	int rc;

	if (rdmsr(MSR_VM_CR) & VM_CR_SVMDIS) {
		pr_err("svm: VM_CR.SVMDIS is set: AMD-V is disabled in the firmware setup");
		return -RAUM_ENODEV;
	}
	if (efer & EFER_SVME) {
		/* Someone else turned SVM on: another hypervisor's leftovers. Not ours to take. */
		pr_err("svm: EFER.SVME is already set on cpu%u: another hypervisor owns SVM", c->id);
		return -RAUM_EBUSY;
	}
	rc = page_alloc_zeroed(1, &s->hsave_phys);
	if (rc == 0)
		rc = page_alloc_zeroed(1, &s->host_vmcb_phys);
	if (rc)
		return rc;
	struct cpuid_regs r = cpuid(0x8000000a, 0);
	has_nrips = r.edx & CPUID_8000000A_EDX_NRIPS;
	has_flush_by_asid = r.edx & BIT(6);
	asid_cpu_init(&s->asid, c->id, r.ebx, has_flush_by_asid);
	s->efer_before = efer;
	/*
	 * Automatic IBRS (CPUID 8000_0021 EAX[8], APM vol. 2 3.1.7): in Raum's own
	 * EFER, which VMRUN saves and #VMEXIT restores apart from the root's:
	 * predictions the root trains do not steer Raum's indirect branches.
	 */
	if (cpuid(0x80000000, 0).eax >= 0x80000021 && (cpuid(0x80000021, 0).eax & BIT(8)))
		efer |= X86_EFER_AIBRSE;
	wrmsr(MSR_EFER, efer | EFER_SVME);
	wrmsr(MSR_VM_HSAVE_PA, s->hsave_phys);
	enable_init_redirection(s, c->id);
	c->vendor = s;
	pr_info_addr("svm: EFER.SVME set on cpu%u, host save area at %p", c->id, (void *)s->hsave_phys);
	return 0;
}

static void svm_cpu_disable(struct cpu *c)
{
	struct svm_cpu *s = c->vendor;

	if (!s)
		return;
	if (s->r_init_set)
		msr_write_safe(MSR_VM_CR, s->vm_cr_before);
	wrmsr(MSR_VM_HSAVE_PA, 0);
	wrmsr(MSR_EFER, (rdmsr(MSR_EFER) & ~(EFER_SVME | X86_EFER_AIBRSE)) | (s->efer_before & X86_EFER_AIBRSE));
	palloc_free(&hv_pool, s->hsave_phys, 1);
	palloc_free(&hv_pool, s->host_vmcb_phys, 1);
	c->vendor = NULL;
	pr_debug("svm: SVM off on cpu%u", c->id);
}

/* ---- the MSR permission map (APM 15.11) --------------------------------- */

static void msrpm_set(void *ctx, u32 msr, bool rd, bool wr)
{
	u8 *pm = ctx;
	u32 base, off;

	if (msr <= 0x1fff) {
		base = 0x000;
		off = msr;
	} else if (msr >= 0xc0000000 && msr <= 0xc0001fff) {
		base = 0x800;
		off = msr - 0xc0000000;
	} else {
		base = 0x1000;
		off = msr - 0xc0010000;
	}
	u32 bit = off * 2;
	if (rd)
		pm[base + bit / 8] |= 1 << (bit % 8);
	if (wr)
		pm[base + (bit + 1) / 8] |= 1 << ((bit + 1) % 8);
}

static int svm_global_init(void)
{
	int rc;

	if (msrpm_phys)
		return 0;
	rc = page_alloc_zeroed(SVM_MSRPM_SIZE / PAGE_SIZE, &msrpm_phys);
	if (rc == 0)
		rc = page_alloc_zeroed(SVM_IOPM_SIZE / PAGE_SIZE, &iopm_phys);
	if (rc)
		return rc;
	/* The root's MSR policy (docs/security.md): only what it passes goes unintercepted. */
	u8 *pm = phys_to_virt(msrpm_phys);
	msr_policy_bitmap(0, 0x2000, msrpm_set, pm);
	msr_policy_bitmap(0xc0000000, 0x2000, msrpm_set, pm);
	msr_policy_bitmap(0xc0010000, 0x2000, msrpm_set, pm);
	return 0;
}

/* ---- nested paging ------------------------------------------------------ */

/*
 * The EFER bits the root may write: what CPUID says this CPU has
 * (efer_writable), each optional AMD bit then confirmed on the host's own
 * EFER with a fault fixup. A bit the CPU does not keep is one VMRUN refuses
 * (APM vol. 2 15.5.1: "any MBZ bit of EFER is set"): QEMU TCG, for one,
 * ignores WRMSR to LMSLE and TCE although its EPYC model does not report
 * LMSLE as unsupported, and its VMRUN rejects both.
 */
static void efer_root_rules_init(void)
{
	const u64 optional = X86_EFER_LMSLE | X86_EFER_FFXSR | X86_EFER_TCE | X86_EFER_MCOMMIT |
			     X86_EFER_INTWB | X86_EFER_UAIE | X86_EFER_AIBRSE;
	struct cr_cpuid c;
	u64 host = rdmsr(MSR_EFER);

	cr_cpuid_read(&c);
	u64 w = efer_writable(&c);
	for (unsigned b = 0; b < 64; b++) {
		u64 bit = BIT(b);
		if (!(w & optional & bit) || (host & bit))
			continue;
		if (msr_write_safe(MSR_EFER, host | bit) || !(rdmsr(MSR_EFER) & bit))
			w &= ~bit;
		wrmsr(MSR_EFER, host);
	}
	efer_root_writable = w;
	pr_info("svm: the root may write EFER bits %#llx (CPUID allows %#llx)", (unsigned long long)w,
		(unsigned long long)efer_writable(&c));
}

/* NPT uses the host's page sizes: 1 GiB leaves where the host has them. */
static int svm_prepare(bool *slat_1g)
{
	efer_root_rules_init();
	*slat_1g = cpuid(0x80000001, 0).edx & CPUID_80000001_EDX_PAGE1GB;
	return 0;
}

/* NPT is the host page format; its walks are user accesses, so leaves need U (APM 15.25.5). */
static int svm_slat_build_root(struct partition *p, const struct slat_range *r, int k, bool page1g)
{
	int rc = vm_pt_init(&p->slat, page1g);

	for (int i = 0; rc == 0 && i < k; i++)
		rc = pt_map(&p->slat, r[i].base, r[i].base, r[i].size, PTE_W | PTE_U);
	return rc;
}

/* ---- guest state from the firmware's ------------------------------------ */

/* A VMCB segment from a descriptor in the firmware's GDT (APM 15.5.1 attribute packing). */
static struct vmcb_seg seg_from_gdt(u64 gdt_base, u16 limit, u16 sel)
{
	struct vmcb_seg s = { .selector = sel };

	if ((sel & ~7) == 0 || (sel | 7) > limit || (sel & 4))
		return s; /* null (or an LDT selector the firmware does not use): unusable */
	u64 d = *(u64 *)phys_to_virt(gdt_base + (sel & ~7));
	s.attrib = ((d >> 40) & 0xff) | (((d >> 52) & 0xf) << 8);
	s.limit = (u32)((d & 0xffff) | ((d >> 32) & 0xf0000));
	if (d & BIT(55)) /* G: limit in 4 KiB units */
		s.limit = (s.limit << 12) | 0xfff;
	s.base = ((d >> 16) & 0xffffff) | (((d >> 56) & 0xff) << 24);
	if (!(d & BIT(44))) /* system descriptor (TSS, LDT): 16 bytes in long mode */
		s.base |= *(u64 *)phys_to_virt(gdt_base + (sel & ~7) + 8) << 32;
	return s;
}

static void load_guest_from_fw(struct svm_vp *s, const struct fw_ctx *fw, u64 rax)
{
	struct vmcb_save *g = &s->vmcb->save;
	u64 gdt_base, idt_base;
	u16 gdt_limit, idt_limit;

	__builtin_memcpy(&gdt_limit, fw->gdtr, 2);
	__builtin_memcpy(&gdt_base, fw->gdtr + 2, 8);
	__builtin_memcpy(&idt_limit, fw->idtr, 2);
	__builtin_memcpy(&idt_base, fw->idtr + 2, 8);

	g->cs = seg_from_gdt(gdt_base, gdt_limit, fw->cs);
	g->ss = seg_from_gdt(gdt_base, gdt_limit, fw->ss);
	g->ds = seg_from_gdt(gdt_base, gdt_limit, fw->ds);
	g->es = seg_from_gdt(gdt_base, gdt_limit, fw->es);
	g->fs = seg_from_gdt(gdt_base, gdt_limit, fw->fs);
	g->gs = seg_from_gdt(gdt_base, gdt_limit, fw->gs);
	g->fs.base = rdmsr(MSR_FS_BASE);
	g->gs.base = rdmsr(MSR_GS_BASE);
	g->ldtr = seg_from_gdt(gdt_base, gdt_limit, fw->ldtr);
	g->tr = seg_from_gdt(gdt_base, gdt_limit, fw->tr);
	if (!fw->tr) {
		/* OVMF runs with TR = 0: give the guest an empty busy 64-bit TSS, as after reset. */
		g->tr.attrib = 0x8b;
		g->tr.limit = 0xffff;
	}
	g->gdtr = (struct vmcb_seg){ .limit = gdt_limit, .base = gdt_base };
	g->idtr = (struct vmcb_seg){ .limit = idt_limit, .base = idt_base };
	g->cpl = 0;
	g->efer = fw->efer | EFER_SVME; /* VMRUN requires guest EFER.SVME (APM 15.5.1); hidden by the MSR intercept */
	g->cr0 = fw->cr0;
	g->cr3 = fw->cr3;
	g->cr4 = fw->cr4;
	g->cr2 = read_cr2();
	g->dr6 = 0xffff0ff0;
	g->dr7 = 0x400;
	g->rflags = fw->rflags;
	/* Resume where the loader's call of the entry point returns, with its result. */
	g->rip = *(u64 *)phys_to_virt(fw->rsp);
	g->rsp = fw->rsp + 8;
	g->rax = rax;
	g->g_pat = rdmsr(MSR_PAT);
	g->star = rdmsr(MSR_STAR);
	g->lstar = rdmsr(MSR_LSTAR);
	g->cstar = rdmsr(MSR_CSTAR);
	g->sfmask = rdmsr(MSR_SFMASK);
	g->kernel_gs_base = rdmsr(MSR_KERNEL_GS_BASE);
	g->sysenter_cs = rdmsr(MSR_SYSENTER_CS);
	g->sysenter_esp = rdmsr(MSR_SYSENTER_ESP);
	g->sysenter_eip = rdmsr(MSR_SYSENTER_EIP);

	struct vp *vp = &s->vp;
	vp->gpr[GPR_RBX] = fw->rbx;
	vp->gpr[GPR_RBP] = fw->rbp;
	vp->gpr[GPR_R12] = fw->r12;
	vp->gpr[GPR_R13] = fw->r13;
	vp->gpr[GPR_R14] = fw->r14;
	vp->gpr[GPR_R15] = fw->r15;
	vp->rip = g->rip;
}

static void prepare_entry(struct svm_vp *s)
{
	struct vmcb_control *ctl = &s->vmcb->control;
	struct asid_decision d = asid_prepare(&s->cpu->asid, &s->asid, s->vp.part->slat_generation);
	ctl->tlb_control = svm_tlb_control(d.flush);
	ctl->guest_asid = d.tag;
}

static int svm_launch_root(struct cpu *c, struct partition *root, const struct fw_ctx *fw, u64 rax)
{
	struct svm_cpu *sc = c->vendor;
	struct svm_vp *s;
	u64 sp, vmcb;
	int rc;

	rc = svm_global_init();
	if (rc == 0)
		rc = page_alloc_zeroed(ALIGN_UP(sizeof(*s), PAGE_SIZE) / PAGE_SIZE, &sp);
	if (rc == 0)
		rc = page_alloc_zeroed(1, &vmcb);
	if (rc)
		return rc;
	s = phys_to_virt(sp);
	s->vmcb_phys = vmcb;
	s->vmcb = phys_to_virt(vmcb);
	s->host_vmcb_phys = sc->host_vmcb_phys;
	s->cpu = sc;
	s->vp.part = root;
	partition_cpuid_setup(root, RAUM_VENDOR_AMD, 0);
	s->vp.index = c->id;
	s->vp.cpu = c->id;
	vp_msr_init(&s->vp);

	struct vmcb_control *ctl = &s->vmcb->control;
	/*
	 * INVD: the root would drop Raum's dirty cache lines too (done as WBINVD
	 * in svm_handle_exit). WBINVD is intercepted as well because QEMU 7.2's
	 * TCG checks the WBINVD intercept for INVD and reports exit 0x89 (fixed
	 * upstream in 2023, "target/i386: fix INVD vmexit"); hardware reports
	 * 0x76 (APM vol. 2 15.9, appendix C). WBINVD is rare: the cost is nil.
	 */
	ctl->intercept_misc1 = SVM_INTERCEPT_CPUID | SVM_INTERCEPT_MSR_PROT | SVM_INTERCEPT_SHUTDOWN |
			       SVM_INTERCEPT_INVLPGA | SVM_INTERCEPT_INVD |
			       SVM_INTERCEPT_INIT; /* an INIT must not reset the CPU out of guest mode (APM 15.29) */
	ctl->intercept_misc2 = SVM_INTERCEPT_VMRUN | SVM_INTERCEPT_VMMCALL | SVM_INTERCEPT_VMLOAD |
			       SVM_INTERCEPT_VMSAVE | SVM_INTERCEPT_STGI | SVM_INTERCEPT_CLGI |
			       SVM_INTERCEPT_SKINIT | SVM_INTERCEPT_WBINVD;
	ctl->iopm_base_pa = iopm_phys;
	ctl->msrpm_base_pa = msrpm_phys;
	/*
	 * Bit 0 only: INVLPGB/TLBSYNC enable (bit 7, APM vol. 2 table B-1)
	 * stays clear, so both raise #UD, and CPUID hides them (kernel/cpuid.c,
	 * whose table gives AMD no enable control: ctls 0 below).
	 */
	ctl->np_enable = 1;
	ctl->n_cr3 = root->slat.root;
	load_guest_from_fw(s, fw, rax);
	svm_dbgpmu_launch(s);
	if (s->vp.spec_ctrl.mode == SPEC_CTRL_VMCB)
		s->vmcb->save.spec_ctrl = s->vp.spec_ctrl.root; /* V_SPEC_CTRL (include/raum/specctrl.h) */
	prepare_entry(s);
	if (debug_bad_entry())
		s->vmcb->save.efer &= ~EFER_SVME; /* VMRUN must refuse this (APM 15.5.1) */

	/* The host's FS, GS, TR, LDTR and syscall MSRs, restored by VMLOAD after each exit. */
	vmsave(sc->host_vmcb_phys);
	root_vps[c->id] = &s->vp;
	pr_info("svm: late launch on cpu%u: the firmware resumes as root VP%u at rip %#llx", c->id,
		s->vp.index, (unsigned long long)s->vmcb->save.rip);
	log_console_handover();
	svm_run(s);
}

/* ---- exits -------------------------------------------------------------- */

static void svm_get_ctrl(struct vp *vp, struct vp_ctrl *c)
{
	const struct vmcb_save *g = &to_svm(vp)->vmcb->save;

	c->cr0 = g->cr0;
	c->cr3 = g->cr3;
	c->cr4 = g->cr4;
	c->efer = g->efer & ~EFER_SVME;
	c->cs_base = g->cs.base;
	c->cpl = g->cpl;
	/* CS.L is attribute bit 9, CS.D bit 10 (descriptor bits 53, 54). */
	if ((g->efer & EFER_LMA) && (g->cs.attrib & BIT(9)))
		c->mode = 64;
	else
		c->mode = (g->cs.attrib & BIT(10)) ? 32 : 16;
}

static void svm_inject_exception(struct vp *vp, u8 vector, bool has_error, u32 error)
{
	struct vmcb_control *ctl = &to_svm(vp)->vmcb->control;

	if (ctl->eventinj & SVM_EVT_VALID) {
		/* An event cut off by this exit is being re-delivered: it goes first. */
		pr_debug("vp%u: exception %u dropped behind a re-injected event", vp->index, vector);
		return;
	}
	ctl->eventinj = vector | ((u64)SVM_EVT_TYPE_EXCEPTION << SVM_EVT_TYPE_SHIFT) | SVM_EVT_VALID |
			(has_error ? SVM_EVT_ERROR_VALID | ((u64)error << 32) : 0);
}

static enum exit_action msr_exit(struct svm_vp *s, bool write)
{
	struct vp *vp = &s->vp;
	struct vmcb_save *g = &s->vmcb->save;
	u32 msr = (u32)vp->gpr[GPR_RCX];
	u64 val = (vp->gpr[GPR_RDX] << 32) | (u32)vp->gpr[GPR_RAX];

	vp_count(vp, write ? RAUM_EXIT_MSR_WRITE : RAUM_EXIT_MSR_READ);
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
		enum cr_fault f = efer_check(&cs, val, efer_root_writable);
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
		return exit_msr(vp, write); /* the common policy (kernel/msr.c) */
	}
	if (!write) {
		vp->gpr[GPR_RAX] = (u32)val;
		vp->gpr[GPR_RDX] = val >> 32;
	}
	return EXIT_ADVANCE;
}

/* Whether the instruction at the VP's RIP is INVD (0F 08): see the WBINVD intercept in svm_launch_root. */
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

	vp_get_ctrl(vp, &c);
	u64 lin = c.mode == 64 ? vp->rip : (vp->rip + c.cs_base) & 0xffffffffULL;
	/*
	 * First the bytes up to the end of RIP's page: one guest walk, which is
	 * what the exit costs here. Only an instruction cut by the page's end
	 * takes a second walk for the next page.
	 */
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
static __attribute__((noinline)) u8 svm_insn_len(struct svm_vp *s, u32 code)
{
	static const u8 cpuid[] = { 0x0f, 0xa2 }, rdmsr[] = { 0x0f, 0x32 }, wrmsr[] = { 0x0f, 0x30 },
			vmmcall[] = { 0x0f, 0x01, 0xd9 }, invd[] = { 0x0f, 0x08 }, wbinvd[] = { 0x0f, 0x09 };

	switch (code) {
	case SVM_EXIT_CPUID:
		return insn_len_at_rip(&s->vp, cpuid, LEN_CPUID, NULL);
	case SVM_EXIT_MSR:
		return insn_len_at_rip(&s->vp, (s->vmcb->control.exitinfo1 & 1) ? wrmsr : rdmsr, LEN_MSR, NULL);
	case SVM_EXIT_VMMCALL:
		return insn_len_at_rip(&s->vp, vmmcall, LEN_VMMCALL, NULL);
	case SVM_EXIT_INVD:
	case SVM_EXIT_WBINVD: /* QEMU 7.2 reports INVD as WBINVD: either */
		return insn_len_at_rip(&s->vp, invd, LEN_INVD, wbinvd);
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
static bool hypercall_allowed(const struct vmcb_save *g)
{
	return g->cpl == 0 && (g->efer & EFER_LMA) && (g->cs.attrib & BIT(9));
}

void svm_handle_exit(struct svm_vp *s)
{
	struct vmcb *v = s->vmcb;
	struct vp *vp = &s->vp;
	u32 code = (u32)v->control.exitcode;
	enum exit_action a = EXIT_FATAL;
	u8 len = 0;

	vp->gpr[GPR_RAX] = v->save.rax;
	vp->gpr[GPR_RSP] = v->save.rsp;
	vp->rip = v->save.rip;
	/* An event whose delivery the exit cut off is delivered again (APM 15.7.2). */
	v->control.eventinj = (v->control.exitintinfo & SVM_EVT_VALID) ? v->control.exitintinfo : 0;

	switch (code) {
	case SVM_EXIT_CPUID:
		a = exit_cpuid(vp);
		len = LEN_CPUID;
		break;
	case SVM_EXIT_MSR:
		a = msr_exit(s, v->control.exitinfo1 & 1);
		len = LEN_MSR;
		break;
	case SVM_EXIT_VMMCALL:
		a = exit_hypercall(vp, hypercall_allowed(&v->save));
		len = LEN_VMMCALL;
		break;
	case SVM_EXIT_INVD:
		/*
		 * INVD would drop dirty lines of Raum's memory too (with HWCR.INVD_WBINVD
		 * clear it does not write back, APM vol. 3 INVD): write them back instead.
		 * CPL is checked before the intercept (APM vol. 2 15.9), so this is CPL 0.
		 */
		vp_count(vp, RAUM_EXIT_OTHER);
		health_add(&health.invd, 1);
		__asm__ volatile("wbinvd" ::: "memory");
		a = EXIT_ADVANCE;
		len = LEN_INVD;
		break;
	case SVM_EXIT_WBINVD:
		/* WBINVD (0F 09), or an INVD (0F 08) reported as WBINVD by QEMU 7.2: both done as WBINVD */
		vp_count(vp, RAUM_EXIT_OTHER);
		if (insn_is_invd(vp))
			health_add(&health.invd, 1);
		__asm__ volatile("wbinvd" ::: "memory");
		a = EXIT_ADVANCE;
		len = LEN_INVD;
		break;
	case SVM_EXIT_VMRUN:
	case SVM_EXIT_VMLOAD:
	case SVM_EXIT_VMSAVE:
	case SVM_EXIT_STGI:
	case SVM_EXIT_CLGI:
	case SVM_EXIT_SKINIT:
	case SVM_EXIT_INVLPGA:
		/* The root sees no SVM: these raise #UD as on a CPU without it. */
		vp_count(vp, RAUM_EXIT_SVM_INSN);
		a = exit_undefined(vp);
		break;
	case SVM_EXIT_NPF:
		vp_count(vp, RAUM_EXIT_NPF);
		if (v->control.exitintinfo & SVM_EVT_VALID) {
			/* the access was the event's delivery, not the instruction's: the delivery faults */
			u64 ev = v->control.exitintinfo;
			u8 vec = ev & SVM_EVT_VECTOR_MASK;
			v->control.eventinj = 0;
			a = exit_delivery_fault(vp, ev_type_svm((ev >> SVM_EVT_TYPE_SHIFT) & 7, vec), vec,
						v->control.exitinfo2, v->control.exitinfo1 & SVM_NPF_WALK,
						v->save.idtr.base);
			break;
		}
		a = exit_slat_violation(vp, v->control.exitinfo2, v->control.exitinfo1 & SVM_NPF_WRITE,
					v->control.exitinfo1 & SVM_NPF_FETCH,
					v->control.exitinfo1 & SVM_NPF_WALK);
		break;
	case SVM_EXIT_SHUTDOWN:
		vp_count(vp, RAUM_EXIT_SHUTDOWN);
		vp_shutdown(vp);
	case SVM_EXIT_INIT:
		vp_init_signal(vp);
	case SVM_EXIT_INVALID: {
		const char *rule = svm_check_vmcb(v);
		char why[160];
		raum_snprintf(why, sizeof(why), "VMRUN refused the VMCB (VMEXIT_INVALID): %s",
			      rule ? rule : "no rule Raum checks is broken (APM 15.5.1)");
		vp_stop(vp, why);
	}
	default: {
		char why[64];
		raum_snprintf(why, sizeof(why), "unhandled exit code %#x (info1 %#llx)", code,
			      (unsigned long long)v->control.exitinfo1);
		vp_count(vp, RAUM_EXIT_OTHER);
		vp_stop(vp, why);
	}
	}

	if (a == EXIT_FATAL)
		vp_stop(vp, "a handler could not go on");
	if (a == EXIT_ADVANCE) {
		if (has_nrips && v->control.nrip)
			vp->rip = v->control.nrip;
		else
			vp->rip += svm_insn_len(s, code) ?: len;
		v->control.interrupt_shadow = 0; /* a skipped instruction ends any STI / MOV SS shadow */
	} else if (a == EXIT_SKIPPED) {
		v->control.interrupt_shadow = 0;
	}
	if ((a == EXIT_ADVANCE || a == EXIT_SKIPPED) && (v->save.rflags & RFLAGS_TF))
		single_step_trap(s);
	v->save.rax = vp->gpr[GPR_RAX];
	v->save.rsp = vp->gpr[GPR_RSP];
	v->save.rip = vp->rip;
	prepare_entry(s);
}

const struct vendor_ops svm_ops = {
	.name = "svm",
	.vendor = RAUM_VENDOR_AMD,
	.cpu_enable = svm_cpu_enable,
	.cpu_disable = svm_cpu_disable,
	.prepare = svm_prepare,
	.slat_build_root = svm_slat_build_root,
	.launch_root = svm_launch_root,
	.get_ctrl = svm_get_ctrl,
	.inject_exception = svm_inject_exception,
};
