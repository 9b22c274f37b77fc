// SPDX-License-Identifier: MIT
/*
 * Building and reading the VMCS (Intel SDM vol. 3C 25): the controls and
 * host state of a new VP's VMCS, the guest state from and to the
 * vendor-neutral struct vp_regs, the guest's view of its control registers
 * through the CR0 / CR4 read shadows, and event injection. Every function
 * here acts on the VMCS current on this CPU, which is the VP's own:
 * kernel/vp.c lets registers be read and set only while the VP is loaded
 * on the calling CPU (vp_life_step), and the exit path runs there too.
 */
#include <raum/cpu.h>
#include <raum/errno.h>
#include <raum/fmt.h>
#include <raum/hwcheck.h>
#include <raum/log.h>
#include <raum/trap.h>
#include <raum/x86.h>

#include "check.h"
#include "nmi.h"
#include "vmcs.h"
#include "vmx.h"


/* VMX access rights (SDM 25.4.1 table 25-2) from the packed attributes of struct vp_seg, and back. */
static u32 ar_from_attr(u16 attr)
{
	if (!(attr & VP_SEG_ATTR_P))
		return BIT(16); /* unusable */
	return (attr & 0xff) | ((u32)(attr & 0xf00) << 4);
}

static u16 attr_from_ar(u32 ar)
{
	if (ar & BIT(16))
		return 0;
	return (u16)((ar & 0xff) | ((ar >> 4) & 0xf00));
}

/* Segment fields are laid out by index: ES CS SS DS FS GS LDTR TR (SDM B.1.2, B.3.3, B.4.3). */
void vmx_write_seg(int i, const struct vp_seg *s)
{
	__vmwrite(VMCS_GUEST_ES_SEL + 2 * i, s->sel);
	__vmwrite(VMCS_GUEST_ES_BASE + 2 * i, s->base);
	__vmwrite(VMCS_GUEST_ES_LIMIT + 2 * i, s->limit);
	__vmwrite(VMCS_GUEST_ES_AR + 2 * i, ar_from_attr(s->attr));
}

struct vp_seg vmx_read_seg(int i)
{
	return (struct vp_seg){ .sel = (u16)__vmread(VMCS_GUEST_ES_SEL + 2 * i),
				.attr = attr_from_ar((u32)__vmread(VMCS_GUEST_ES_AR + 2 * i)),
				.limit = (u32)__vmread(VMCS_GUEST_ES_LIMIT + 2 * i),
				.base = __vmread(VMCS_GUEST_ES_BASE + 2 * i) };
}

void vmx_msr_bitmap_set(void *ctx, u32 msr, bool rd, bool wr)
{
	u8 *bm = ctx;
	/* read-low 0x000, read-high 0x400, write-low 0x800, write-high 0xc00 (SDM 25.6.9) */
	u32 off = msr >= 0xc0000000 ? 0x400 : 0;
	u32 bit = msr & 0x1fff;
	if (rd)
		bm[off + bit / 8] |= 1 << (bit % 8);
	if (wr)
		bm[0x800 + off + bit / 8] |= 1 << (bit % 8);
}

u64 vmx_cr0_guest_mask(void)
{
	/* bits the guest may not choose: FIXED0 ones (PE, PG are free with unrestricted guest) and FIXED1 zeros */
	return (vmx_caps.cr0_fixed0 & ~(CR0_PE | CR0_PG)) | ~vmx_caps.cr0_fixed1;
}

u64 vmx_cr0_real(u64 guest)
{
	return (guest | (vmx_caps.cr0_fixed0 & ~(CR0_PE | CR0_PG))) & vmx_caps.cr0_fixed1;
}

u64 vmx_cr4_guest_mask(void) { return CR4_VMXE | vmx_caps.cr4_fixed0 | ~vmx_caps.cr4_fixed1; }

u64 vmx_cr4_real(u64 guest) { return (guest | vmx_caps.cr4_fixed0) & vmx_caps.cr4_fixed1; }

/*
 * The controls from the partition and the host state: Raum's own tables
 * (SDM 26.2.3). HOST_RSP is written by vmx/vmrun.S; the per-CPU host state
 * (TR, GDTR) by vmx_vmcs_host_cpu when the VP loads.
 */
int vmx_vmcs_init(struct vmx_vp *x, struct cpu *c)
{
	extern struct desc_ptr idt_ptr;
	struct vmx_partition *xp = to_vmx_part(x->vp.part);
	const struct vmx_controls *ctls = &xp->ctls;
	bool ok = true;

	x->entry_ctls = ctls->entry;
	ok &= vmcs_write32(VMCS_PIN_CTLS, ctls->pin);
	ok &= vmcs_write32(VMCS_PROC_CTLS, ctls->proc);
	ok &= vmcs_write32(VMCS_PROC_CTLS2, ctls->proc2);
	ok &= vmcs_write32(VMCS_EXIT_CTLS, ctls->exit);
	ok &= vmcs_write32(VMCS_ENTRY_CTLS, x->entry_ctls);
	ok &= vmcs_write32(VMCS_EXCEPTION_BITMAP, 0);
	ok &= vmcs_write32(VMCS_CR3_TARGET_COUNT, 0);
	ok &= vmcs_write32(VMCS_EXIT_MSR_STORE_COUNT, 0);
	ok &= vmcs_write32(VMCS_EXIT_MSR_LOAD_COUNT, 0);
	ok &= vmcs_write32(VMCS_ENTRY_MSR_LOAD_COUNT, 0);
	ok &= vmcs_write32(VMCS_ENTRY_INTR_INFO, 0);
	ok &= vmcs_write64(VMCS_MSR_BITMAP, xp->msr_bitmap_phys);
	ok &= vmcs_write64(VMCS_IO_BITMAP_A, xp->io_bitmap_phys);
	ok &= vmcs_write64(VMCS_IO_BITMAP_B, xp->io_bitmap_phys + PAGE_SIZE);
	ok &= vmcs_write64(VMCS_EPT_POINTER, xp->eptp);
	/* VMCS_VPID: written before each entry from this CPU's allocator (vmx/exit.c prepare_entry) */
	ok &= vmcs_writel(VMCS_CR0_MASK, vmx_cr0_guest_mask());
	ok &= vmcs_writel(VMCS_CR4_MASK, vmx_cr4_guest_mask());
	ok &= vmcs_write64(VMCS_LINK_POINTER, ~0ULL);

	ok &= vmcs_writel(VMCS_HOST_CR0, read_cr0());
	ok &= vmcs_writel(VMCS_HOST_CR3, read_cr3());
	/* OSXSAVE on whenever the CPU has XSAVE: exit_xsetbv runs the guest's XSETBV here, and the guest may
	 * enable OSXSAVE without an exit (it is not in the CR4 mask) where the firmware left it off */
	ok &= vmcs_writel(VMCS_HOST_CR4, read_cr4() | ((cpuid(1, 0).ecx & BIT(26)) ? CR4_OSXSAVE : 0));
	ok &= vmcs_write16(VMCS_HOST_CS_SEL, SEL_CODE);
	ok &= vmcs_write16(VMCS_HOST_SS_SEL, SEL_DATA);
	ok &= vmcs_write16(VMCS_HOST_DS_SEL, SEL_DATA);
	ok &= vmcs_write16(VMCS_HOST_ES_SEL, SEL_DATA);
	ok &= vmcs_write16(VMCS_HOST_FS_SEL, 0);
	ok &= vmcs_write16(VMCS_HOST_GS_SEL, 0);
	ok &= vmcs_write16(VMCS_HOST_TR_SEL, SEL_TSS);
	ok &= vmcs_writel(VMCS_HOST_FS_BASE, rdmsr(MSR_FS_BASE));
	ok &= vmcs_writel(VMCS_HOST_GS_BASE, rdmsr(MSR_GS_BASE));
	ok &= vmcs_writel(VMCS_HOST_IDTR_BASE, idt_ptr.base);
	ok &= vmcs_write32(VMCS_HOST_SYSENTER_CS, 0);
	ok &= vmcs_writel(VMCS_HOST_SYSENTER_ESP, 0);
	ok &= vmcs_writel(VMCS_HOST_SYSENTER_EIP, 0);
	ok &= vmcs_write64(VMCS_HOST_EFER, rdmsr(MSR_EFER));
	ok &= vmcs_write64(VMCS_HOST_PAT, rdmsr(MSR_PAT));
	ok &= vmcs_writel(VMCS_HOST_RIP, (u64)vmx_exit_entry);
	ok &= vmx_vmcs_host_cpu(c) == 0;
	/* a guest state that enters: no pending debug exceptions, active, nothing blocked */
	ok &= vmcs_writel(VMCS_GUEST_PENDING_DBG, 0);
	ok &= vmcs_write64(VMCS_GUEST_DEBUGCTL, 0);
	ok &= vmcs_write32(VMCS_GUEST_INTERRUPTIBILITY, 0);
	ok &= vmcs_write32(VMCS_GUEST_ACTIVITY, 0);
	return ok ? 0 : -RAUM_EIO;
}

int vmx_vmcs_host_cpu(struct cpu *c)
{
	bool ok = vmcs_writel(VMCS_HOST_TR_BASE, (u64)&c->tss);

	ok &= vmcs_writel(VMCS_HOST_GDTR_BASE, (u64)c->gdt);
	return ok ? 0 : -RAUM_EIO;
}

/*
 * The guest state (SDM 25.4): CR0 and CR4 as the hardware needs them
 * (FIXED0 / FIXED1), with the read shadows showing the guest its own
 * values; the IA-32e mode entry control follows EFER.LMA.
 */
int vmx_vp_set_regs(struct vp *vp, const struct vp_regs *r)
{
	struct vmx_vp *x = to_vmx(vp);
	bool ok = true;

	for (int i = 0; i < VP_NSEG; i++)
		vmx_write_seg(i, &r->seg[i]);
	x->entry_ctls = (x->entry_ctls & ~ENTRY_IA32E) | ((r->efer & EFER_LMA) ? ENTRY_IA32E : 0);
	ok &= vmcs_write32(VMCS_ENTRY_CTLS, x->entry_ctls);
	ok &= vmcs_writel(VMCS_GUEST_GDTR_BASE, r->gdtr_base);
	ok &= vmcs_write32(VMCS_GUEST_GDTR_LIMIT, r->gdtr_limit);
	ok &= vmcs_writel(VMCS_GUEST_IDTR_BASE, r->idtr_base);
	ok &= vmcs_write32(VMCS_GUEST_IDTR_LIMIT, r->idtr_limit);
	ok &= vmcs_writel(VMCS_CR0_SHADOW, r->cr0);
	ok &= vmcs_writel(VMCS_CR4_SHADOW, r->cr4);
	ok &= vmcs_writel(VMCS_GUEST_CR0, vmx_cr0_real(r->cr0));
	ok &= vmcs_writel(VMCS_GUEST_CR3, r->cr3);
	ok &= vmcs_writel(VMCS_GUEST_CR4, vmx_cr4_real(r->cr4));
	ok &= vmcs_writel(VMCS_GUEST_DR7, r->dr7);
	ok &= vmcs_writel(VMCS_GUEST_RFLAGS, r->rflags);
	ok &= vmcs_writel(VMCS_GUEST_RSP, r->gpr[GPR_RSP]);
	ok &= vmcs_writel(VMCS_GUEST_RIP, r->rip);
	ok &= vmcs_write64(VMCS_GUEST_EFER, r->efer);
	ok &= vmcs_write64(VMCS_GUEST_PAT, r->pat);
	ok &= vmcs_write32(VMCS_GUEST_SYSENTER_CS, (u32)r->sysenter_cs);
	ok &= vmcs_writel(VMCS_GUEST_SYSENTER_ESP, r->sysenter_esp);
	ok &= vmcs_writel(VMCS_GUEST_SYSENTER_EIP, r->sysenter_eip);
	/*
	 * Not in the VMCS: DR6, CR2 and the syscall MSRs stay in the CPU across
	 * VM entries and exits (Raum does not touch them), so the VP's are the
	 * live registers while it is loaded here. DR6 is written (the loaded
	 * VP's: kernel/vp.c); the others are the firmware's already for the
	 * root's first state, and a VP that moves between partitions will
	 * switch them with the FPU state (child partitions).
	 */
	if (vp->part->id == 0)
		__asm__ volatile("mov %0, %%dr6" ::"r"(r->dr6)); /* a child's: vmx_child_set_regs keeps it */
	for (int i = 0; i < GPR_COUNT; i++)
		vp->gpr[i] = r->gpr[i];
	vp->rip = r->rip;
	if (debug_bad_entry() && vp->part->id == 0)
		__vmwrite(VMCS_GUEST_ES_AR + 2 * VP_TR, 0x89); /* debug_fault=entry: an available TSS fails the entry */
	return ok ? 0 : -RAUM_EIO;
}

void vmx_vp_get_regs(struct vp *vp, struct vp_regs *r)
{
	struct vp_ctrl c;

	for (int i = 0; i < GPR_COUNT; i++)
		r->gpr[i] = vp->gpr[i];
	r->gpr[GPR_RSP] = vmcs_readl(VMCS_GUEST_RSP);
	r->rip = vmcs_readl(VMCS_GUEST_RIP);
	r->rflags = vmcs_readl(VMCS_GUEST_RFLAGS);
	for (int i = 0; i < VP_NSEG; i++)
		r->seg[i] = vmx_read_seg(i);
	r->gdtr_base = vmcs_readl(VMCS_GUEST_GDTR_BASE);
	r->gdtr_limit = (u16)vmcs_read32(VMCS_GUEST_GDTR_LIMIT);
	r->idtr_base = vmcs_readl(VMCS_GUEST_IDTR_BASE);
	r->idtr_limit = (u16)vmcs_read32(VMCS_GUEST_IDTR_LIMIT);
	vmx_get_ctrl(vp, &c);
	r->cr0 = c.cr0;
	r->cr3 = c.cr3;
	r->cr4 = c.cr4;
	r->efer = c.efer;
	r->cr2 = read_cr2();
	__asm__ volatile("mov %%dr6, %0" : "=r"(r->dr6));
	r->dr7 = vmcs_readl(VMCS_GUEST_DR7);
	r->pat = vmcs_read64(VMCS_GUEST_PAT);
	r->sysenter_cs = vmcs_read32(VMCS_GUEST_SYSENTER_CS);
	r->sysenter_esp = vmcs_readl(VMCS_GUEST_SYSENTER_ESP);
	r->sysenter_eip = vmcs_readl(VMCS_GUEST_SYSENTER_EIP);
	r->star = rdmsr(0xc0000081);
	r->lstar = rdmsr(0xc0000082);
	r->cstar = rdmsr(0xc0000083);
	r->sfmask = rdmsr(0xc0000084);
	r->kernel_gs_base = rdmsr(0xc0000102);
}

/* Reads the guest state back for the software entry checks. */
static void read_guest_state(struct vmx_guest_state *g)
{
	g->cr0 = vmcs_readl(VMCS_GUEST_CR0);
	g->cr3 = vmcs_readl(VMCS_GUEST_CR3);
	g->cr4 = vmcs_readl(VMCS_GUEST_CR4);
	g->dr7 = vmcs_readl(VMCS_GUEST_DR7);
	g->rflags = vmcs_readl(VMCS_GUEST_RFLAGS);
	g->rip = vmcs_readl(VMCS_GUEST_RIP);
	g->efer = vmcs_read64(VMCS_GUEST_EFER);
	g->pat = vmcs_read64(VMCS_GUEST_PAT);
	g->debugctl = vmcs_read64(VMCS_GUEST_DEBUGCTL);
	for (int i = 0; i < 8; i++) {
		g->seg_sel[i] = (u16)__vmread(VMCS_GUEST_ES_SEL + 2 * i);
		g->seg_base[i] = __vmread(VMCS_GUEST_ES_BASE + 2 * i);
		g->seg_limit[i] = (u32)__vmread(VMCS_GUEST_ES_LIMIT + 2 * i);
		g->seg_ar[i] = (u32)__vmread(VMCS_GUEST_ES_AR + 2 * i);
	}
	g->gdtr_base = vmcs_readl(VMCS_GUEST_GDTR_BASE);
	g->idtr_base = vmcs_readl(VMCS_GUEST_IDTR_BASE);
	g->gdtr_limit = vmcs_read32(VMCS_GUEST_GDTR_LIMIT);
	g->idtr_limit = vmcs_read32(VMCS_GUEST_IDTR_LIMIT);
	g->interruptibility = vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY);
	g->activity = vmcs_read32(VMCS_GUEST_ACTIVITY);
	g->vmcs_link = vmcs_read64(VMCS_LINK_POINTER);
}


void vmx_explain_entry_failure(struct vmx_vp *x, const char *what, char *why, size_t n)
{
	struct vmx_guest_state g;
	struct vmx_controls cur = to_vmx_part(x->vp.part)->ctls;
	char rule[120];

	read_guest_state(&g);
	cur.entry = x->entry_ctls;
	if (vmx_explain_guest_state(&g, &cur, &vmx_caps, rule, sizeof(rule)) == 0)
		raum_snprintf(rule, sizeof(rule), "no guest-state rule Raum checks is broken (SDM 27.3)");
	raum_snprintf(why, n, "VM entry failed: %s: %s", what, rule);
}

void vmx_not_current(const struct vp *vp)
{
	struct vp *cur = this_cpu()->loaded_vp;

	panic("vmx: an accessor for vp%u ran on cpu%u, where %s is loaded: the VMCS is another's", vp->index,
	      cpu_id(), cur ? "another VP" : "no VP");
}

void vmx_get_ctrl(struct vp *vp, struct vp_ctrl *c)
{
	vmx_check_current(vp);
	u32 cs_ar = vmcs_read32(VMCS_GUEST_ES_AR + 2 * VP_CS);

	c->cr0 = (vmcs_readl(VMCS_GUEST_CR0) & ~vmx_cr0_guest_mask()) |
		 (vmcs_readl(VMCS_CR0_SHADOW) & vmx_cr0_guest_mask());
	c->cr3 = vmcs_readl(VMCS_GUEST_CR3);
	/* the guest's view: shadow for the bits Raum owns, the real register for the rest */
	u64 cr4_mask = vmx_cr4_guest_mask();
	c->cr4 = (vmcs_readl(VMCS_GUEST_CR4) & ~cr4_mask) | (vmcs_readl(VMCS_CR4_SHADOW) & cr4_mask);
	c->efer = vmcs_read64(VMCS_GUEST_EFER);
	c->cs_base = __vmread(VMCS_GUEST_ES_BASE + 2 * VP_CS);
	c->cpl = (vmcs_read32(VMCS_GUEST_ES_AR + 2 * VP_SS) >> 5) & 3; /* CPL is SS.DPL (SDM 27.3.1.2) */
	if ((c->efer & EFER_LMA) && (cs_ar & BIT(13)))
		c->mode = 64;
	else
		c->mode = (cs_ar & BIT(14)) ? 32 : 16;
}

/* Whether an event is queued for the VP's next entry (its VMCS is the current one: see above). */
static bool injecting(const struct vmx_vp *x)
{
	vmx_check_current(&x->vp);
	return vmcs_read32(VMCS_ENTRY_INTR_INFO) & INTR_INFO_VALID;
}

void vmx_inject_exception(struct vp *vp, u8 vector, bool has_error, u32 error)
{
	if (injecting(to_vmx(vp))) {
		pr_debug("vp%u: exception %u dropped behind a re-injected event", vp->index, vector);
		return;
	}
	vmcs_write32(VMCS_ENTRY_INTR_INFO, vector | (INTR_TYPE_HW_EXC << INTR_INFO_TYPE_SHIFT) |
					       INTR_INFO_VALID | (has_error ? INTR_INFO_ERROR_VALID : 0));
	if (has_error)
		vmcs_write32(VMCS_ENTRY_EXC_ERROR, error);
}

