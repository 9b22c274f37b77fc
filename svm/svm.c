// SPDX-License-Identifier: MIT
/*
 * AMD-V backend (AMD APM vol. 2, chapter 15): enabling SVM, the partition's
 * AMD-V part and the VP lifecycle (include/raum/vendor.h). Exits are
 * decoded in svm/exit.c and handled by kernel/dispatch.c.
 *
 * Enabling SVM on a CPU (APM 15.4): EFER.SVME = 1, which VM_CR.SVMDIS
 * forbids (the loader checked it), and VM_HSAVE_PA pointing at a 4 KiB page
 * where VMRUN saves host state.
 *
 * Host interrupts: GIF is 0 after every #VMEXIT, so the host runs with
 * interrupts and NMIs held. Interrupts are taken by the guest on the next
 * VMRUN (pass-through); NMIs exit (the NMI intercept) and Raum takes each
 * with a brief STGI (svm/exit.c), as it does around a parked VP's HLT.
 */
#include <raum/crrules.h>
#include <raum/errno.h>
#include <raum/health.h>
#include <raum/hwcheck.h>
#include <raum/log.h>
#include <raum/pciio.h>
#include <raum/smp.h>
#include <raum/trap.h>
#include <raum/vendor.h>
#include <raum/vm.h>
#include <raum/vpregs.h>
#include <raum/x86.h>

#include "dbgpmu.h"
#include "initredir.h"
#include "svm.h"


static struct svm_cpu svm_cpus[RAUM_MAX_CPUS];
struct svm_caps svm_caps;

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
	asid_cpu_init(&s->asid, c->id, r.ebx, r.edx & BIT(6));
	s->efer_before = efer;
	/*
	 * Automatic IBRS (CPUID 8000_0021 EAX[8], APM vol. 2 3.1.7): in Raum's own
	 * EFER, which VMRUN saves and #VMEXIT restores apart from the root's:
	 * predictions the root trains do not steer Raum's indirect branches.
	 */
	if (cpuid(0x80000000, 0).eax >= 0x80000021 && (cpuid(0x80000021, 0).eax & BIT(8)))
		efer |= EFER_AIBRSE;
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
	wrmsr(MSR_EFER, (rdmsr(MSR_EFER) & ~(EFER_SVME | EFER_AIBRSE)) | (s->efer_before & EFER_AIBRSE));
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
	const u64 optional = EFER_LMSLE | EFER_FFXSR | EFER_TCE | EFER_MCOMMIT |
			     EFER_INTWB | EFER_UAIE | EFER_AIBRSE;
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
	svm_caps.efer_root_writable = w;
	pr_info("svm: the root may write EFER bits %#llx (CPUID allows %#llx)", (unsigned long long)w,
		(unsigned long long)efer_writable(&c));
}

/* NPT uses the host's page sizes: 1 GiB leaves where the host has them. */
static int svm_prepare(bool *slat_1g)
{
	struct cpuid_regs r = cpuid(0x8000000a, 0);

	svm_caps.nrips = r.edx & CPUID_8000000A_EDX_NRIPS;
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

/* ---- the partition -------------------------------------------------- */

static int svm_partition_alloc(struct partition **out)
{
	u64 pa;
	int rc = page_alloc_zeroed(ALIGN_UP(sizeof(struct svm_partition), PAGE_SIZE) / PAGE_SIZE, &pa);

	if (rc)
		return rc;
	*out = &((struct svm_partition *)phys_to_virt(pa))->p;
	return 0;
}

/* The permission maps from the partition's policy, and what CPUID shows it. */
static int svm_partition_finalize(struct partition *p)
{
	struct svm_partition *sp = to_svm_part(p);
	int rc = page_alloc_zeroed(SVM_MSRPM_SIZE / PAGE_SIZE, &sp->msrpm_phys);

	if (rc == 0)
		rc = page_alloc_zeroed(SVM_IOPM_SIZE / PAGE_SIZE, &sp->iopm_phys);
	if (rc)
		return rc;
	/* The root's MSR policy (docs/security.md): only what it passes goes unintercepted. */
	u8 *pm = phys_to_virt(sp->msrpm_phys);
	msr_policy_bitmap(0, 0x2000, msrpm_set, pm);
	msr_policy_bitmap(0xc0000000, 0x2000, msrpm_set, pm);
	msr_policy_bitmap(0xc0010000, 0x2000, msrpm_set, pm);
	/* The PCI configuration ports go through Raum (include/raum/pciio.h): one bit per port (APM 15.10.1). */
	u8 *io = phys_to_virt(sp->iopm_phys);
	for (u32 port = PCIIO_PORT_FIRST; port <= PCIIO_PORT_LAST; port++)
		io[port / 8] |= (u8)(1u << (port % 8));
	/* AMD has no enable controls in the CPUID table: ctls 0 (kernel/cpuid.c) */
	partition_cpuid_setup(p, RAUM_VENDOR_AMD, 0);
	return 0;
}

/* ---- the VP lifecycle --------------------------------------------------- */

static int svm_vp_create(struct partition *p, u32 index __unused, struct vp **out)
{
	struct svm_partition *sp = to_svm_part(p);
	struct svm_vp *s;
	u64 pa, vmcb;
	int rc = page_alloc_zeroed(ALIGN_UP(sizeof(*s), PAGE_SIZE) / PAGE_SIZE, &pa);

	if (rc)
		return rc;
	rc = page_alloc_zeroed(1, &vmcb);
	if (rc) {
		palloc_free(&hv_pool, pa, ALIGN_UP(sizeof(*s), PAGE_SIZE) / PAGE_SIZE);
		return rc;
	}
	s = phys_to_virt(pa);
	s->self_phys = pa;
	s->vmcb_phys = vmcb;
	s->vmcb = phys_to_virt(vmcb);
	s->vp.part = p;

	struct vmcb_control *ctl = &s->vmcb->control;
	/*
	 * INVD: the root would drop Raum's dirty cache lines too (done as WBINVD
	 * by kernel/dispatch.c). WBINVD is intercepted as well because QEMU 7.2's
	 * TCG checks the WBINVD intercept for INVD and reports exit 0x89 (fixed
	 * upstream in 2023, "target/i386: fix INVD vmexit"); hardware reports
	 * 0x76 (APM vol. 2 15.9, appendix C). WBINVD is rare: the cost is nil.
	 */
	ctl->intercept_misc1 = SVM_INTERCEPT_CPUID | SVM_INTERCEPT_MSR_PROT | SVM_INTERCEPT_SHUTDOWN |
			       SVM_INTERCEPT_IOIO_PROT | /* through the IOPM: the PCI configuration ports only */
			       SVM_INTERCEPT_INVLPGA | SVM_INTERCEPT_INVD |
			       SVM_INTERCEPT_INIT | /* an INIT must not reset the CPU out of guest mode (APM 15.29) */
			       SVM_INTERCEPT_NMI;   /* kicks are NMIs (include/raum/smp.h); the root's are injected */
	ctl->intercept_misc2 = SVM_INTERCEPT_VMRUN | SVM_INTERCEPT_VMMCALL | SVM_INTERCEPT_VMLOAD |
			       SVM_INTERCEPT_VMSAVE | SVM_INTERCEPT_STGI | SVM_INTERCEPT_CLGI |
			       SVM_INTERCEPT_SKINIT | SVM_INTERCEPT_WBINVD;
	ctl->iopm_base_pa = sp->iopm_phys;
	ctl->msrpm_base_pa = sp->msrpm_phys;
	/*
	 * Bit 0 only: INVLPGB/TLBSYNC enable (bit 7, APM vol. 2 table B-1)
	 * stays clear, so both raise #UD, and CPUID hides them (kernel/cpuid.c,
	 * whose table gives AMD no enable control).
	 */
	ctl->np_enable = 1;
	ctl->n_cr3 = p->slat.root;
	vp_msr_init(&s->vp);
	/* The root's DEBUGCTL and PerfEvtSel as the firmware left them (svm/dbgpmu.c). */
	svm_dbgpmu_launch(s);
	if (s->vp.spec_ctrl.mode == SPEC_CTRL_VMCB)
		s->vmcb->save.spec_ctrl = s->vp.spec_ctrl.root; /* V_SPEC_CTRL (include/raum/specctrl.h) */
	*out = &s->vp;
	return 0;
}

static void svm_vp_destroy(struct vp *vp)
{
	struct svm_vp *s = to_svm(vp);

	palloc_free(&hv_pool, s->vmcb_phys, 1);
	palloc_free(&hv_pool, s->self_phys, ALIGN_UP(sizeof(*s), PAGE_SIZE) / PAGE_SIZE);
}

/*
 * The VMCB needs no loading: the VP takes this CPU's host save area
 * (VMSAVEd here: the host's FS, GS, TR, LDTR and syscall MSRs, which
 * svm_enter VMLOADs after each exit) and its ASID comes from this CPU's
 * generation at the next entry (asid_prepare sees the CPU change).
 */
static int svm_vp_load(struct vp *vp, struct cpu *c)
{
	struct svm_vp *s = to_svm(vp);
	struct svm_cpu *sc = c->vendor;

	s->cpu = sc;
	s->host_nmi_pending = &c->nmi_pending;
	s->host_vmcb_phys = sc->host_vmcb_phys;
	vmsave(sc->host_vmcb_phys);
	return 0;
}

static void svm_vp_put(struct vp *vp) { to_svm(vp)->cpu = NULL; }

static struct vmcb_seg seg_to_vmcb(const struct vp_seg *s)
{
	return (struct vmcb_seg){ .selector = s->sel, .attrib = s->attr, .limit = s->limit, .base = s->base };
}

static struct vp_seg seg_from_vmcb(const struct vmcb_seg *s)
{
	return (struct vp_seg){ .sel = s->selector, .attr = s->attrib, .limit = s->limit, .base = s->base };
}

/*
 * The VMCB save area (APM vol. 2 15.5.1, appendix B). VMRUN requires guest
 * EFER.SVME (APM 15.5.1): kept set, and hidden by the EFER intercept. CPL
 * is SS.DPL. The VMCB always holds the current values of the VMLOAD /
 * VMSAVE state: svm_enter saves it after every exit.
 */
static int svm_vp_set_regs(struct vp *vp, const struct vp_regs *r)
{
	struct svm_vp *s = to_svm(vp);
	struct vmcb_save *g = &s->vmcb->save;
	struct vmcb_seg *segs[VP_NSEG] = { &g->es, &g->cs, &g->ss, &g->ds, &g->fs, &g->gs, &g->ldtr, &g->tr };

	for (int i = 0; i < VP_NSEG; i++)
		*segs[i] = seg_to_vmcb(&r->seg[i]);
	g->gdtr = (struct vmcb_seg){ .limit = r->gdtr_limit, .base = r->gdtr_base };
	g->idtr = (struct vmcb_seg){ .limit = r->idtr_limit, .base = r->idtr_base };
	g->cpl = (r->seg[VP_SS].attr >> 5) & 3;
	g->efer = r->efer | EFER_SVME;
	g->cr0 = r->cr0;
	g->cr2 = r->cr2;
	g->cr3 = r->cr3;
	g->cr4 = r->cr4;
	g->dr6 = r->dr6;
	g->dr7 = r->dr7;
	g->rflags = r->rflags;
	g->rip = r->rip;
	g->rsp = r->gpr[GPR_RSP];
	g->rax = r->gpr[GPR_RAX];
	g->g_pat = r->pat;
	g->star = r->star;
	g->lstar = r->lstar;
	g->cstar = r->cstar;
	g->sfmask = r->sfmask;
	g->kernel_gs_base = r->kernel_gs_base;
	g->sysenter_cs = r->sysenter_cs;
	g->sysenter_esp = r->sysenter_esp;
	g->sysenter_eip = r->sysenter_eip;
	for (int i = 0; i < GPR_COUNT; i++)
		vp->gpr[i] = r->gpr[i];
	vp->rip = r->rip;
	if (debug_bad_entry() && vp->part->id == 0)
		g->efer &= ~EFER_SVME; /* debug_fault=entry: VMRUN must refuse this (APM 15.5.1) */
	return 0;
}

static void svm_vp_get_regs(struct vp *vp, struct vp_regs *r)
{
	const struct vmcb_save *g = &to_svm(vp)->vmcb->save;
	const struct vmcb_seg *segs[VP_NSEG] = { &g->es, &g->cs, &g->ss, &g->ds, &g->fs, &g->gs, &g->ldtr, &g->tr };

	for (int i = 0; i < GPR_COUNT; i++)
		r->gpr[i] = vp->gpr[i];
	r->gpr[GPR_RAX] = g->rax;
	r->gpr[GPR_RSP] = g->rsp;
	r->rip = g->rip;
	for (int i = 0; i < VP_NSEG; i++)
		r->seg[i] = seg_from_vmcb(segs[i]);
	r->gdtr_base = g->gdtr.base;
	r->gdtr_limit = (u16)g->gdtr.limit;
	r->idtr_base = g->idtr.base;
	r->idtr_limit = (u16)g->idtr.limit;
	r->efer = g->efer & ~EFER_SVME;
	r->cr0 = g->cr0;
	r->cr2 = g->cr2;
	r->cr3 = g->cr3;
	r->cr4 = g->cr4;
	r->dr6 = g->dr6;
	r->dr7 = g->dr7;
	r->rflags = g->rflags;
	r->pat = g->g_pat;
	r->star = g->star;
	r->lstar = g->lstar;
	r->cstar = g->cstar;
	r->sfmask = g->sfmask;
	r->kernel_gs_base = g->kernel_gs_base;
	r->sysenter_cs = g->sysenter_cs;
	r->sysenter_esp = g->sysenter_esp;
	r->sysenter_eip = g->sysenter_eip;
}

/* ---- a child's AMD-V part (kernel/childvp.c) ------------------------------- */

_Static_assert(sizeof(struct svm_partition) <= PAGE_SIZE, "a child's partition object is one pool page");
_Static_assert(sizeof(struct svm_vp) <= PAGE_SIZE, "a child's VP object is one pool page");

/*
 * Every child shares one MSR permission map and one I/O permission map,
 * all ones: every MSR access and every port exits (a child's policy is
 * "everything exits"; Raum emulates the few MSRs that live in the VMCB,
 * the root the ports). Allocated at the first InitializePartition, from
 * Raum's own pool (they must be physically contiguous, which a partition's
 * pool never is), never freed.
 */
static u64 child_msrpm, child_iopm;

static int svm_child_partition_init(struct partition *p)
{
	struct svm_partition *sp = to_svm_part(p);

	if (!child_msrpm) {
		u64 m, io;
		if (page_alloc_zeroed(SVM_MSRPM_SIZE / PAGE_SIZE, &m))
			return -RAUM_ENOMEM;
		if (page_alloc_zeroed(SVM_IOPM_SIZE / PAGE_SIZE, &io)) {
			palloc_free(&hv_pool, m, SVM_MSRPM_SIZE / PAGE_SIZE);
			return -RAUM_ENOMEM;
		}
		__builtin_memset(phys_to_virt(m), 0xff, SVM_MSRPM_SIZE);
		__builtin_memset(phys_to_virt(io), 0xff, SVM_IOPM_SIZE);
		child_iopm = io;
		child_msrpm = m;
	}
	sp->msrpm_phys = child_msrpm;
	sp->iopm_phys = child_iopm;
	partition_cpuid_setup(p, RAUM_VENDOR_AMD, 0); /* the root's table: no SVM, no SEV, Raum's leaves */
	return 0;
}

static int svm_child_vp_create(struct partition *p, u32 index __unused, const u64 *pages, struct vp **out)
{
	struct svm_partition *sp = to_svm_part(p);
	struct svm_vp *s = phys_to_virt(pages[0]);

	if (!sp->msrpm_phys)
		return -RAUM_ENOMEM; /* child_partition_init could not allocate the maps */
	s->self_phys = pages[0];
	s->vmcb_phys = pages[1];
	s->vmcb = phys_to_virt(pages[1]);
	s->vp.part = p;

	struct vmcb_control *ctl = &s->vmcb->control;
	/*
	 * The root's set (svm_vp_create) plus what only a child needs: INTR
	 * (the root's interrupts end the dispatch; V_INTR_MASKING makes Raum's
	 * RFLAGS.IF, set around VMRUN, the mask, not the child's: APM 15.21.1),
	 * HLT, XSETBV (the child's XCR0 is checked against its own mask), and
	 * every MSR and port through the shared all-ones maps.
	 */
	ctl->intercept_misc1 = SVM_INTERCEPT_INTR | SVM_INTERCEPT_NMI | SVM_INTERCEPT_INIT | SVM_INTERCEPT_CPUID |
			       SVM_INTERCEPT_HLT | SVM_INTERCEPT_INVD | SVM_INTERCEPT_INVLPGA |
			       SVM_INTERCEPT_IOIO_PROT | SVM_INTERCEPT_MSR_PROT | SVM_INTERCEPT_SHUTDOWN;
	ctl->intercept_misc2 = SVM_INTERCEPT_VMRUN | SVM_INTERCEPT_VMMCALL | SVM_INTERCEPT_VMLOAD |
			       SVM_INTERCEPT_VMSAVE | SVM_INTERCEPT_STGI | SVM_INTERCEPT_CLGI |
			       SVM_INTERCEPT_SKINIT | SVM_INTERCEPT_WBINVD | SVM_INTERCEPT_XSETBV;
	ctl->vintr = SVM_VINTR_MASKING;
	ctl->iopm_base_pa = sp->iopm_phys;
	ctl->msrpm_base_pa = sp->msrpm_phys;
	ctl->np_enable = 1;
	ctl->n_cr3 = p->slat.root;
	/* SPEC_CTRL: intercepted for the child, which runs with Raum's value; nothing to switch */
	s->vp.spec_ctrl = (struct vp_spec_ctrl){ .mode = SPEC_CTRL_ABSENT };
	s->asid.slat_generation = ~0ULL;
	*out = &s->vp;
	return 0;
}

static void svm_child_complete(struct vp *vp, u64 rax, u64 rip)
{
	struct vmcb *v = to_svm(vp)->vmcb;

	vp->gpr[GPR_RAX] = v->save.rax = rax;
	vp->rip = v->save.rip = rip;
	v->control.interrupt_shadow = 0;
}

static void svm_child_set_rdx(struct vp *vp, u64 rdx) { vp->gpr[GPR_RDX] = rdx; }

/* A child's CR8 is V_TPR (VINTR bits 3:0): with V_INTR_MASKING its MOV CR8 reaches only that (APM 15.21.1). */
static void svm_child_get_regs(struct vp *vp, struct vp_regs *r)
{
	svm_vp_get_regs(vp, r);
	r->cr8 = to_svm(vp)->vmcb->control.vintr & 0xf;
}

static int svm_child_set_regs(struct vp *vp, const struct vp_regs *r)
{
	struct vmcb_control *c = &to_svm(vp)->vmcb->control;

	c->vintr = (c->vintr & ~0xfULL) | (r->cr8 & 0xf);
	return svm_vp_set_regs(vp, r);
}

/* The child's TSC is the host's plus the VMCB's offset (RDTSC does not exit: APM vol. 2 15.30.5). */
static void svm_child_tsc(struct vp *vp, bool set, u64 *v)
{
	struct vmcb_control *ctl = &to_svm(vp)->vmcb->control;

	if (set)
		ctl->tsc_offset = *v - rdtsc();
	else
		*v = rdtsc() + ctl->tsc_offset;
}

/* VINTR (APM vol. 2 15.21.4, appendix B offset 0x60): V_IRQ, V_INTR_PRIO, V_IGN_TPR, V_INTR_VECTOR. */
#define VINTR_V_IRQ BIT(8)
#define VINTR_PRIO_SHIFT 16
#define VINTR_IGN_TPR BIT(20)
#define VINTR_VECTOR_SHIFT 32
#define VINTR_EVENT_BITS (VINTR_V_IRQ | (0xfULL << VINTR_PRIO_SHIFT) | VINTR_IGN_TPR | (0xffULL << VINTR_VECTOR_SHIFT))
/*
 * HV_X64_REGISTER_PENDING_INTERRUPTION as the VMCB holds it: an external
 * interrupt as a virtual interrupt (V_IRQ: the CPU delivers it when the
 * child's RFLAGS.IF allows, V_INTR_MASKING being on), an NMI or exception
 * in EVENTINJ (whose layout is the register's: vector, type, error code
 * valid, error code) for the next entry. Checked by vpreg_event_decode.
 */
static int svm_child_event(struct vp *vp, u32 name, bool set, u64 *v)
{
	struct vmcb_control *ctl = &to_svm(vp)->vmcb->control;
	struct vp_event e;

	if (name == HV_X64_REGISTER_INTERRUPT_STATE) {
		*v = ctl->interrupt_shadow & 1;
		return set ? -RAUM_EINVAL : 0;
	}
	if (!set) {
		if (ctl->vintr & VINTR_V_IRQ)
			e = (struct vp_event){ true, HV_X64_PENDING_INTERRUPT, (u8)(ctl->vintr >> VINTR_VECTOR_SHIFT), false, 0 };
		else if (ctl->eventinj & SVM_EVT_VALID)
			e = (struct vp_event){ true, (u8)((ctl->eventinj >> SVM_EVT_TYPE_SHIFT) & 7), (u8)ctl->eventinj,
					       ctl->eventinj & SVM_EVT_ERROR_VALID, (u32)(ctl->eventinj >> 32) };
		else
			e = (struct vp_event){ 0 };
		*v = vpreg_event_encode(&e);
		return 0;
	}
	if (vpreg_event_decode(*v, &e))
		return -RAUM_EINVAL;
	if (!e.pending) {
		ctl->vintr &= ~VINTR_EVENT_BITS; /* withdrawn */
		ctl->eventinj = 0;
	} else if (e.type == HV_X64_PENDING_INTERRUPT) {
		ctl->vintr = (ctl->vintr & ~VINTR_EVENT_BITS) | VINTR_V_IRQ | (0xfULL << VINTR_PRIO_SHIFT) |
			     VINTR_IGN_TPR | ((u64)e.vector << VINTR_VECTOR_SHIFT);
	} else if (ctl->eventinj & SVM_EVT_VALID) {
		return -RAUM_EINVAL; /* an event is being delivered again: it goes first */
	} else {
		ctl->eventinj = e.vector | ((u64)(e.type == HV_X64_PENDING_NMI ? SVM_EVT_TYPE_NMI : SVM_EVT_TYPE_EXCEPTION)
					    << SVM_EVT_TYPE_SHIFT) | SVM_EVT_VALID |
				(e.has_error ? SVM_EVT_ERROR_VALID | ((u64)e.error << 32) : 0);
	}
	return 0;
}

/* ---- guest control state and injection ----------------------------------- */

void svm_get_ctrl(struct vp *vp, struct vp_ctrl *c)
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

void svm_inject_exception(struct vp *vp, u8 vector, bool has_error, u32 error)
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

/*
 * INIT reached the VP (include/raum/smp.h): nothing in flight survives it,
 * NMI blocking included, and the VP's ASID is flushed before the next
 * VMRUN (a SLAT generation it never had makes asid_prepare flush the tag).
 */
static void svm_reset_events(struct vp *vp)
{
	struct svm_vp *s = to_svm(vp);
	struct vmcb_control *ctl = &s->vmcb->control;

	ctl->eventinj = 0;
	ctl->interrupt_shadow = 0;
	ctl->intercept_misc1 &= ~SVM_INTERCEPT_IRET;
	s->nmi_masked = false;
	s->nmi_after_iret = false;
	s->asid.slat_generation = ~0ULL;
}

/* GIF is 0 in Raum after every #VMEXIT: STGI lets the wake-up NMI in (taken by kernel/trap.c). */
static void svm_host_wait(const u32 *word)
{
	__asm__ volatile("stgi" ::: "memory");
	hlt_until(word);
	__asm__ volatile("clgi" ::: "memory");
}

const struct vendor_ops svm_ops = {
	.name = "svm",
	.vendor = RAUM_VENDOR_AMD,
	.cpu_enable = svm_cpu_enable,
	.cpu_disable = svm_cpu_disable,
	.prepare = svm_prepare,
	.slat_build_root = svm_slat_build_root,
	.partition_alloc = svm_partition_alloc,
	.partition_finalize = svm_partition_finalize,
	.vp_create = svm_vp_create,
	.vp_destroy = svm_vp_destroy,
	.vp_load = svm_vp_load,
	.vp_put = svm_vp_put,
	.vp_set_regs = svm_vp_set_regs,
	.vp_get_regs = svm_vp_get_regs,
	.vp_run = svm_vp_run,
	.run_loop = svm_run_loop,
	.complete_insn = svm_complete_insn,
	.vendor_exit = svm_vendor_exit,
	.msr_vendor = svm_msr_vendor,
	.get_ctrl = svm_get_ctrl,
	.inject_exception = svm_inject_exception,
	.reset_events = svm_reset_events,
	.host_wait = svm_host_wait,
	.child_vp_pages = 2, /* the svm_vp, the VMCB */
	.child_partition_init = svm_child_partition_init,
	.child_vp_create = svm_child_vp_create,
	.child_run = svm_child_run,
	.child_complete = svm_child_complete,
	.child_set_rdx = svm_child_set_rdx,
	.child_get_regs = svm_child_get_regs,
	.child_set_regs = svm_child_set_regs,
	.child_event = svm_child_event,
	.child_tsc = svm_child_tsc,
};
