// SPDX-License-Identifier: MIT
/*
 * Intel VT-x backend (Intel SDM vol. 3C, chapters 24-29).
 *
 * Entering VMX operation (SDM 24.7, 25.11.5): IA32_FEATURE_CONTROL locked
 * with VMX-outside-SMX (the loader sets it when the firmware left it
 * unlocked), CR0 and CR4 inside the IA32_VMX_CR{0,4}_FIXED{0,1} bounds
 * (which include CR4.VMXE), and a 4 KiB-aligned VMXON region that starts
 * with the VMCS revision identifier from IA32_VMX_BASIC[30:0].
 *
 * The late launch builds one VMCS whose guest state is the firmware's
 * (saved by kernel/entry.S), with EPT (memory types from the MTRRs, since
 * EPT ignores the guest's), VPID, unrestricted guest (the firmware and the
 * OS may drop to real mode: the loader refuses CPUs without it), NMI
 * exiting with virtual NMIs, and the fewest exits VT-x allows: CPUID,
 * VMCALL, the VMX instructions, XSETBV, INVD and GETSEC exit
 * unconditionally; the MSR bitmap comes from the root's MSR policy
 * (kernel/msrpolicy.c, docs/security.md); the
 * CR0 / CR4 guest-host masks own NE and VMXE, whose read shadows show the
 * guest its own values.
 */
#include <raum/crrules.h>
#include <raum/errno.h>
#include <raum/fmt.h>
#include <raum/health.h>
#include <raum/hwcheck.h>
#include <raum/log.h>
#include <raum/mtrr.h>
#include <raum/taskswitch.h>
#include <raum/trap.h>
#include <raum/vendor.h>
#include <raum/vm.h>
#include <raum/x86.h>
#include <raum/xcr0.h>

#include "check.h"
#include "nmi.h"
#include "vmcs.h"
#include "vmx.h"

#define MSR_IA32_VMX_PINBASED_CTLS 0x481
#define MSR_IA32_VMX_EXIT_CTLS 0x483
#define MSR_IA32_VMX_ENTRY_CTLS 0x484
#define MSR_IA32_VMX_MISC 0x485
#define MSR_IA32_VMX_CR0_FIXED0 0x486
#define MSR_IA32_VMX_CR0_FIXED1 0x487
#define MSR_IA32_VMX_CR4_FIXED0 0x488
#define MSR_IA32_VMX_CR4_FIXED1 0x489
#define MSR_IA32_VMX_TRUE_PINBASED_CTLS 0x48d
#define MSR_IA32_VMX_TRUE_EXIT_CTLS 0x48f
#define MSR_IA32_VMX_TRUE_ENTRY_CTLS 0x490
#define MSR_PAT 0x277
#define MSR_SYSENTER_CS 0x174
#define MSR_SYSENTER_ESP 0x175
#define MSR_SYSENTER_EIP 0x176
#define VMX_BASIC_REVISION(b) ((u32)((b)&0x7fffffff))
#define VMX_BASIC_REGION_SIZE(b) ((u32)(((b) >> 32) & 0x1fff))
#define VMX_BASIC_TRUE_CTLS BIT(55)

/* Basic exit reasons (SDM vol. 3D appendix C). */
#define EXIT_EXCEPTION_NMI 0
#define EXIT_EXTERNAL_INTR 1
#define EXIT_TRIPLE_FAULT 2
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

/* Guest interruptibility state bits (SDM 25.4.2 table 25-3): INTR_BLOCK_* in nmi.h. */

#define ROOT_VPID 1

static struct vmx_cpu vmx_cpus[RAUM_MAX_CPUS];
static struct vmx_caps_msrs caps;
/* CR4 bits reserved on this CPU (cr4_reserved, from CPUID at boot): MOV to CR4 with one raises #GP. */
static u64 cr4_root_reserved;
static struct vmx_controls ctls;
static u64 msr_bitmap_phys;
static u64 eptp;

/* ---- VMX instructions --------------------------------------------------- */

/* VMX instructions report failure in RFLAGS (SDM 31.2): CF = VMfailInvalid, ZF = VMfailValid. */
static int vmx_insn_result(u8 cf, u8 zf) { return cf ? -RAUM_EIO : zf ? -RAUM_EBUSY : 0; }

static int vmxon(u64 phys)
{
	u8 cf, zf;
	__asm__ volatile("vmxon %2; setc %0; setz %1" : "=r"(cf), "=r"(zf) : "m"(phys) : "cc", "memory");
	return vmx_insn_result(cf, zf);
}

static int vmclear(u64 phys)
{
	u8 cf, zf;
	__asm__ volatile("vmclear %2; setc %0; setz %1" : "=r"(cf), "=r"(zf) : "m"(phys) : "cc", "memory");
	return vmx_insn_result(cf, zf);
}

static int vmptrld(u64 phys)
{
	u8 cf, zf;
	__asm__ volatile("vmptrld %2; setc %0; setz %1" : "=r"(cf), "=r"(zf) : "m"(phys) : "cc", "memory");
	return vmx_insn_result(cf, zf);
}

/* INVEPT / INVVPID descriptors (SDM vol. 3C 31.3). */
static int invept(u64 type, u64 ept_pointer)
{
	struct { u64 eptp, zero; } d = { ept_pointer, 0 };
	u8 cf, zf;
	__asm__ volatile("invept %2, %3; setc %0; setz %1" : "=r"(cf), "=r"(zf) : "m"(d), "r"(type) : "cc", "memory");
	return vmx_insn_result(cf, zf);
}

static int invvpid(u64 type, u16 vpid)
{
	struct { u64 vpid, addr; } d = { vpid, 0 };
	u8 cf, zf;
	__asm__ volatile("invvpid %2, %3; setc %0; setz %1" : "=r"(cf), "=r"(zf) : "m"(d), "r"(type) : "cc", "memory");
	return vmx_insn_result(cf, zf);
}

/* Drops the guest's cached linear translations after Raum changed CR0 / CR4 for it. */
static void flush_guest_tlb(struct vmx_vp *x)
{
	if (ctls.vpid && ctls.invvpid_type)
		invvpid(ctls.invvpid_type, x->vpid);
}

/* ---- enabling VMX -------------------------------------------------------- */

static void read_caps(void)
{
	u64 basic = rdmsr(MSR_IA32_VMX_BASIC);
	bool t = basic & VMX_BASIC_TRUE_CTLS;

	caps = (struct vmx_caps_msrs){
		.basic = basic,
		.pinbased = rdmsr(t ? MSR_IA32_VMX_TRUE_PINBASED_CTLS : MSR_IA32_VMX_PINBASED_CTLS),
		.procbased = rdmsr(t ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS : MSR_IA32_VMX_PROCBASED_CTLS),
		.exit = rdmsr(t ? MSR_IA32_VMX_TRUE_EXIT_CTLS : MSR_IA32_VMX_EXIT_CTLS),
		.entry = rdmsr(t ? MSR_IA32_VMX_TRUE_ENTRY_CTLS : MSR_IA32_VMX_ENTRY_CTLS),
		.misc = rdmsr(MSR_IA32_VMX_MISC),
		.cr0_fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0),
		.cr0_fixed1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1),
		.cr4_fixed0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0),
		.cr4_fixed1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1),
	};
	/* CTLS2 and EPT_VPID_CAP exist only when the CPU says so (SDM A.3.3, A.10). */
	if ((caps.procbased >> 32) & PROC_SECONDARY) {
		caps.procbased2 = rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2);
		if ((caps.procbased2 >> 32) & (PROC2_EPT | PROC2_VPID))
			caps.ept_vpid_cap = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
	}
}

static int vmx_cpu_enable(struct cpu *c)
{
	struct vmx_cpu *v = &vmx_cpus[c->id];
	u64 fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
	u64 basic = rdmsr(MSR_IA32_VMX_BASIC);

	if (!(fc & FEATCTL_LOCK) || !(fc & FEATCTL_VMX_OUTSIDE_SMX)) {
		pr_err("vmx: IA32_FEATURE_CONTROL is %#llx on cpu%u: VMX outside SMX is not "
		       "enabled and locked", (unsigned long long)fc, c->id);
		return -RAUM_ENODEV;
	}
	if (VMX_BASIC_REGION_SIZE(basic) > PAGE_SIZE) {
		pr_err("vmx: VMXON region of %u bytes is larger than a page",
		       VMX_BASIC_REGION_SIZE(basic));
		return -RAUM_ENOTSUP;
	}
	if (read_cr4() & CR4_VMXE) {
		pr_err("vmx: CR4.VMXE is already set on cpu%u: another hypervisor owns VMX", c->id);
		return -RAUM_EBUSY;
	}
	int rc = page_alloc_zeroed(1, &v->vmxon_phys);
	if (rc)
		return rc;
	*(u32 *)phys_to_virt(v->vmxon_phys) = VMX_BASIC_REVISION(basic);

	v->cr0_before = read_cr0();
	v->cr4_before = read_cr4();
	write_cr0((v->cr0_before | rdmsr(MSR_IA32_VMX_CR0_FIXED0)) & rdmsr(MSR_IA32_VMX_CR0_FIXED1));
	write_cr4((v->cr4_before | rdmsr(MSR_IA32_VMX_CR4_FIXED0) | CR4_VMXE) &
		  rdmsr(MSR_IA32_VMX_CR4_FIXED1));
	rc = vmxon(v->vmxon_phys);
	if (rc) {
		write_cr4(v->cr4_before);
		write_cr0(v->cr0_before);
		palloc_free(&hv_pool, v->vmxon_phys, 1);
		pr_err("vmx: VMXON failed on cpu%u (%s)", c->id,
		       rc == -RAUM_EIO ? "VMfailInvalid: bad VMXON region or CR0/CR4" : "VMfailValid");
		return rc;
	}
	c->vendor = v;
	pr_info_addr("vmx: VMXON on cpu%u, VMCS revision %#x, VMXON region at %p", c->id,
		VMX_BASIC_REVISION(basic), (void *)v->vmxon_phys);
	return 0;
}

static void vmx_cpu_disable(struct cpu *c)
{
	struct vmx_cpu *v = c->vendor;

	if (!v)
		return;
	__asm__ volatile("vmxoff" ::: "cc", "memory");
	write_cr4(v->cr4_before);
	write_cr0(v->cr0_before);
	palloc_free(&hv_pool, v->vmxon_phys, 1);
	c->vendor = NULL;
	pr_debug("vmx: VMXOFF on cpu%u", c->id);
}

/* ---- EPT ------------------------------------------------------------------- */

/*
 * EPT ignores the guest's MTRRs (SDM 29.3.7): each leaf carries the memory
 * type the MTRRs give its range, and a large page never straddles two
 * types, because each range is cut at the MTRR segments first.
 */
static int vmx_slat_build_root(struct partition *p, const struct slat_range *r, int k, bool slat_1g __unused)
{
	static struct mtrr_seg seg[256];
	struct mtrr_state m;
	int rc = vm_pt_init(&p->slat, ctls.ept_1g);

	if (rc)
		return rc;
	p->slat.ept = true;
	p->slat.allow_2m = ctls.ept_2m;
	mtrr_read_hw(&m);
	/*
	 * The root's effective width, not CPUID's MAXPHYADDR: with TME-MK the
	 * valid PhysMask bits follow the width less the KeyID bits (Linux
	 * 6890cb1ace35, "x86/cpu/intel: Detect TME keyid bits before setting
	 * MTRR mask registers"), and the SLAT ends there anyway.
	 */
	m.phys_bits = p->phys_bits;
	u64 limit = r[k - 1].base + r[k - 1].size;
	size_t n = mtrr_segments(&m, limit, seg, ARRAY_SIZE(seg));
	if (n == (size_t)-1) {
		pr_err("vmx: the MTRRs cut memory into more than %zu pieces", ARRAY_SIZE(seg));
		return -RAUM_ERANGE;
	}
	rc = slat_map_typed(&p->slat, r, k, seg, n);
	if (rc)
		return rc;
	/* EPTP (SDM 25.6.11): write-back paging structures, 4-level walk. */
	eptp = p->slat.root | (3 << 3) | MTRR_WB;
	pr_info("vmx: EPT built from %zu MTRR segment%s (%s pages)", n, n == 1 ? "" : "s",
		ctls.ept_1g ? "1 GiB" : ctls.ept_2m ? "2 MiB" : "4 KiB");
	return 0;
}

/* ---- the VMCS ---------------------------------------------------------------- */

/* VMX access rights from a GDT descriptor (SDM 25.4.1 table 25-2); null: unusable. */
struct seg { u16 sel; u64 base; u32 limit, ar; };

static struct seg seg_from_gdt(u64 gdt_base, u16 gdt_limit, u16 sel)
{
	struct seg s = { .sel = sel, .ar = BIT(16) };

	if ((sel & ~7) == 0 || (sel | 7) > gdt_limit || (sel & 4))
		return s;
	u64 d = *(u64 *)phys_to_virt(gdt_base + (sel & ~7));
	s.ar = ((d >> 40) & 0xff) | (((d >> 52) & 0xf) << 12);
	s.limit = (u32)((d & 0xffff) | ((d >> 32) & 0xf0000));
	if (d & BIT(55))
		s.limit = (s.limit << 12) | 0xfff;
	s.base = ((d >> 16) & 0xffffff) | (((d >> 56) & 0xff) << 24);
	if (!(d & BIT(44)))
		s.base |= *(u64 *)phys_to_virt(gdt_base + (sel & ~7) + 8) << 32;
	return s;
}

/* Segment fields are laid out by index: ES CS SS DS FS GS LDTR TR (SDM B.1.2, B.3.3, B.4.3). */
static void write_seg(int i, const struct seg *s)
{
	__vmwrite(VMCS_GUEST_ES_SEL + 2 * i, s->sel);
	__vmwrite(VMCS_GUEST_ES_BASE + 2 * i, s->base);
	__vmwrite(VMCS_GUEST_ES_LIMIT + 2 * i, s->limit);
	__vmwrite(VMCS_GUEST_ES_AR + 2 * i, s->ar);
}

static void set_msr_intercept(void *ctx, u32 msr, bool rd, bool wr)
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

static u64 cr0_guest_mask(void)
{
	/* bits the guest may not choose: FIXED0 ones (PE, PG are free with unrestricted guest) and FIXED1 zeros */
	return (caps.cr0_fixed0 & ~(CR0_PE | CR0_PG)) | ~caps.cr0_fixed1;
}

static u64 cr0_real(u64 guest)
{
	return (guest | (caps.cr0_fixed0 & ~(CR0_PE | CR0_PG))) & caps.cr0_fixed1;
}

static u64 cr4_guest_mask(void) { return CR4_VMXE | caps.cr4_fixed0 | ~caps.cr4_fixed1; }

static u64 cr4_real(u64 guest) { return (guest | caps.cr4_fixed0) & caps.cr4_fixed1; }

static int write_vmcs(struct vmx_vp *x, struct cpu *c, const struct fw_ctx *fw, u64 rax)
{
	extern struct desc_ptr idt_ptr;
	u64 gdt_base, idt_base;
	u16 gdt_limit, idt_limit;
	bool ok = true;

	__builtin_memcpy(&gdt_limit, fw->gdtr, 2);
	__builtin_memcpy(&gdt_base, fw->gdtr + 2, 8);
	__builtin_memcpy(&idt_limit, fw->idtr, 2);
	__builtin_memcpy(&idt_base, fw->idtr + 2, 8);

	/* controls */
	x->entry_ctls = ctls.entry | ((fw->efer & EFER_LMA) ? ENTRY_IA32E : 0);
	ok &= vmcs_write32(VMCS_PIN_CTLS, ctls.pin);
	ok &= vmcs_write32(VMCS_PROC_CTLS, ctls.proc);
	ok &= vmcs_write32(VMCS_PROC_CTLS2, ctls.proc2);
	ok &= vmcs_write32(VMCS_EXIT_CTLS, ctls.exit);
	ok &= vmcs_write32(VMCS_ENTRY_CTLS, x->entry_ctls);
	ok &= vmcs_write32(VMCS_EXCEPTION_BITMAP, 0);
	ok &= vmcs_write32(VMCS_CR3_TARGET_COUNT, 0);
	ok &= vmcs_write32(VMCS_EXIT_MSR_STORE_COUNT, 0);
	ok &= vmcs_write32(VMCS_EXIT_MSR_LOAD_COUNT, 0);
	ok &= vmcs_write32(VMCS_ENTRY_MSR_LOAD_COUNT, 0);
	ok &= vmcs_write32(VMCS_ENTRY_INTR_INFO, 0);
	ok &= vmcs_write64(VMCS_MSR_BITMAP, msr_bitmap_phys);
	ok &= vmcs_write64(VMCS_EPT_POINTER, eptp);
	if (ctls.vpid)
		ok &= vmcs_write16(VMCS_VPID, x->vpid);
	ok &= vmcs_writel(VMCS_CR0_MASK, cr0_guest_mask());
	ok &= vmcs_writel(VMCS_CR0_SHADOW, fw->cr0);
	ok &= vmcs_writel(VMCS_CR4_MASK, cr4_guest_mask());
	ok &= vmcs_writel(VMCS_CR4_SHADOW, fw->cr4);
	ok &= vmcs_write64(VMCS_LINK_POINTER, ~0ULL);

	/* host state: Raum's own tables on this CPU's stack (SDM 26.2.3) */
	ok &= vmcs_writel(VMCS_HOST_CR0, read_cr0());
	ok &= vmcs_writel(VMCS_HOST_CR3, read_cr3());
	/* OSXSAVE on whenever the CPU has XSAVE: xsetbv_exit runs the root's XSETBV here, and the root may
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
	ok &= vmcs_writel(VMCS_HOST_TR_BASE, (u64)&c->tss);
	ok &= vmcs_writel(VMCS_HOST_GDTR_BASE, (u64)c->gdt);
	ok &= vmcs_writel(VMCS_HOST_IDTR_BASE, idt_ptr.base);
	ok &= vmcs_write32(VMCS_HOST_SYSENTER_CS, 0);
	ok &= vmcs_writel(VMCS_HOST_SYSENTER_ESP, 0);
	ok &= vmcs_writel(VMCS_HOST_SYSENTER_EIP, 0);
	ok &= vmcs_write64(VMCS_HOST_EFER, rdmsr(MSR_EFER));
	ok &= vmcs_write64(VMCS_HOST_PAT, rdmsr(MSR_PAT));
	ok &= vmcs_writel(VMCS_HOST_RIP, (u64)vmx_exit_entry);
	/* HOST_RSP is written by vmx_run */

	/* guest state: the firmware's, resuming where the loader's call returns */
	struct seg sg[8];
	const u16 sels[8] = { fw->es, fw->cs, fw->ss, fw->ds, fw->fs, fw->gs, fw->ldtr, fw->tr };
	for (int i = 0; i < 8; i++)
		sg[i] = seg_from_gdt(gdt_base, gdt_limit, sels[i]);
	sg[VSEG_FS].base = rdmsr(MSR_FS_BASE);
	sg[VSEG_GS].base = rdmsr(MSR_GS_BASE);
	if (!fw->tr) {
		/* OVMF runs with TR = 0: an empty busy 64-bit TSS, which VM entry accepts (SDM 27.3.1.2) */
		sg[VSEG_TR] = (struct seg){ .sel = 0, .base = 0, .limit = 0x67, .ar = 0x8b };
	}
	for (int i = 0; i < 8; i++)
		write_seg(i, &sg[i]);
	ok &= vmcs_writel(VMCS_GUEST_GDTR_BASE, gdt_base);
	ok &= vmcs_write32(VMCS_GUEST_GDTR_LIMIT, gdt_limit);
	ok &= vmcs_writel(VMCS_GUEST_IDTR_BASE, idt_base);
	ok &= vmcs_write32(VMCS_GUEST_IDTR_LIMIT, idt_limit);
	ok &= vmcs_writel(VMCS_GUEST_CR0, cr0_real(fw->cr0));
	ok &= vmcs_writel(VMCS_GUEST_CR3, fw->cr3);
	ok &= vmcs_writel(VMCS_GUEST_CR4, cr4_real(fw->cr4));
	ok &= vmcs_writel(VMCS_GUEST_DR7, 0x400);
	ok &= vmcs_writel(VMCS_GUEST_RFLAGS, fw->rflags);
	ok &= vmcs_writel(VMCS_GUEST_RSP, fw->rsp + 8);
	ok &= vmcs_writel(VMCS_GUEST_RIP, *(u64 *)phys_to_virt(fw->rsp));
	ok &= vmcs_writel(VMCS_GUEST_PENDING_DBG, 0);
	ok &= vmcs_write64(VMCS_GUEST_EFER, fw->efer);
	ok &= vmcs_write64(VMCS_GUEST_PAT, rdmsr(MSR_PAT));
	ok &= vmcs_write64(VMCS_GUEST_DEBUGCTL, 0);
	ok &= vmcs_write32(VMCS_GUEST_SYSENTER_CS, (u32)rdmsr(MSR_SYSENTER_CS));
	ok &= vmcs_writel(VMCS_GUEST_SYSENTER_ESP, rdmsr(MSR_SYSENTER_ESP));
	ok &= vmcs_writel(VMCS_GUEST_SYSENTER_EIP, rdmsr(MSR_SYSENTER_EIP));
	ok &= vmcs_write32(VMCS_GUEST_INTERRUPTIBILITY, 0);
	ok &= vmcs_write32(VMCS_GUEST_ACTIVITY, 0);

	struct vp *vp = &x->vp;
	vp->gpr[GPR_RAX] = rax;
	vp->gpr[GPR_RBX] = fw->rbx;
	vp->gpr[GPR_RBP] = fw->rbp;
	vp->gpr[GPR_R12] = fw->r12;
	vp->gpr[GPR_R13] = fw->r13;
	vp->gpr[GPR_R14] = fw->r14;
	vp->gpr[GPR_R15] = fw->r15;
	vp->rip = *(u64 *)phys_to_virt(fw->rsp);
	return ok ? 0 : -RAUM_EIO;
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


/* Names the rule a failed entry broke: the CPU says only which class of state was wrong. */
static __noreturn void entry_failure(struct vmx_vp *x, const char *what)
{
	struct vmx_guest_state g;
	struct vmx_controls cur = ctls;
	char why[200];

	read_guest_state(&g);
	cur.entry = x->entry_ctls;
	char rule[120];
	if (vmx_explain_guest_state(&g, &cur, &caps, rule, sizeof(rule)) == 0)
		raum_snprintf(rule, sizeof(rule), "no guest-state rule Raum checks is broken (SDM 27.3)");
	raum_snprintf(why, sizeof(why), "VM entry failed: %s: %s", what, rule);
	vp_stop(&x->vp, why);
}

__noreturn void vmx_entry_failed(struct vmx_vp *x, u64 rflags)
{
	if (rflags & BIT(0))
		vp_stop(&x->vp, "VM entry failed: VMfailInvalid (no current VMCS)");
	u32 err = vmcs_read32(VMCS_INSN_ERROR);
	char what[96];
	raum_snprintf(what, sizeof(what), "VM-instruction error %u (%s)", err, vmx_instruction_error_name(err));
	entry_failure(x, what);
}

static int vmx_launch_root(struct cpu *c, struct partition *root, const struct fw_ctx *fw, u64 rax)
{
	struct vmx_vp *x;
	u64 xp, vmcs;
	int rc;

	/* CPUID shows what the controls vmx_compute_controls got let the root use */
	partition_cpuid_setup(root, RAUM_VENDOR_INTEL, ctls.cpuid_ctls);
	rc = page_alloc_zeroed(ALIGN_UP(sizeof(*x), PAGE_SIZE) / PAGE_SIZE, &xp);
	if (rc == 0)
		rc = page_alloc_zeroed(1, &vmcs);
	if (rc == 0 && !msr_bitmap_phys) {
		rc = page_alloc_zeroed(1, &msr_bitmap_phys);
		if (rc == 0) {
			/* the root's MSR policy (docs/security.md): only what it passes goes unintercepted */
			u8 *bm = phys_to_virt(msr_bitmap_phys);
			msr_policy_bitmap(0, 0x2000, set_msr_intercept, bm);
			msr_policy_bitmap(0xc0000000, 0x2000, set_msr_intercept, bm);
		}
	}
	if (rc)
		return rc;
	x = phys_to_virt(xp);
	x->vmcs_phys = vmcs;
	x->vpid = ROOT_VPID;
	x->vp.part = root;
	x->host_nmi_pending = &c->nmi_pending; /* c is this CPU: vmx/vmrun.S checks it before each entry */
	x->vp.index = c->id;
	x->vp.cpu = c->id;
	vp_msr_init(&x->vp);
	*(u32 *)phys_to_virt(vmcs) = VMX_BASIC_REVISION(caps.basic);
	rc = vmclear(vmcs);
	if (rc == 0)
		rc = vmptrld(vmcs);
	if (rc) {
		pr_err("vmx: VMCLEAR / VMPTRLD failed (%d)", rc);
		return rc;
	}
	rc = write_vmcs(x, c, fw, rax);
	if (rc) {
		pr_err("vmx: a VMWRITE failed: VM-instruction error %u (%s)", vmcs_read32(VMCS_INSN_ERROR),
		       vmx_instruction_error_name(vmcs_read32(VMCS_INSN_ERROR)));
		return rc;
	}
	if (debug_bad_entry())
		__vmwrite(VMCS_GUEST_ES_AR + 2 * VSEG_TR, 0x89); /* an available TSS: entry must refuse it */
	/* Nothing may be cached for this EPTP or VPID from before (SDM 29.4.3). */
	if (ctls.invept_type)
		invept(ctls.invept_type, eptp);
	flush_guest_tlb(x);

	root_vps[c->id] = &x->vp;
	pr_info("vmx: late launch on cpu%u: the firmware resumes as root VP%u at rip %#llx", c->id,
		x->vp.index, (unsigned long long)x->vp.rip);
	log_console_handover();
	vmx_run(x);
}

/* ---- exits ------------------------------------------------------------------- */

static void vmx_get_ctrl(struct vp *vp __unused, struct vp_ctrl *c)
{
	u32 cs_ar = vmcs_read32(VMCS_GUEST_ES_AR + 2 * VSEG_CS);

	c->cr0 = (vmcs_readl(VMCS_GUEST_CR0) & ~cr0_guest_mask()) |
		 (vmcs_readl(VMCS_CR0_SHADOW) & cr0_guest_mask());
	c->cr3 = vmcs_readl(VMCS_GUEST_CR3);
	/* the guest's view: shadow for the bits Raum owns, the real register for the rest */
	u64 cr4_mask = cr4_guest_mask();
	c->cr4 = (vmcs_readl(VMCS_GUEST_CR4) & ~cr4_mask) | (vmcs_readl(VMCS_CR4_SHADOW) & cr4_mask);
	c->efer = vmcs_read64(VMCS_GUEST_EFER);
	c->cs_base = __vmread(VMCS_GUEST_ES_BASE + 2 * VSEG_CS);
	c->cpl = (vmcs_read32(VMCS_GUEST_ES_AR + 2 * VSEG_SS) >> 5) & 3; /* CPL is SS.DPL (SDM 27.3.1.2) */
	if ((c->efer & EFER_LMA) && (cs_ar & BIT(13)))
		c->mode = 64;
	else
		c->mode = (cs_ar & BIT(14)) ? 32 : 16;
}

static bool injecting(void) { return vmcs_read32(VMCS_ENTRY_INTR_INFO) & INTR_INFO_VALID; }

static void vmx_inject_exception(struct vp *vp, u8 vector, bool has_error, u32 error)
{
	if (injecting()) {
		pr_debug("vp%u: exception %u dropped behind a re-injected event", vp->index, vector);
		return;
	}
	vmcs_write32(VMCS_ENTRY_INTR_INFO, vector | (INTR_TYPE_HW_EXC << INTR_INFO_TYPE_SHIFT) |
					       INTR_INFO_VALID | (has_error ? INTR_INFO_ERROR_VALID : 0));
	if (has_error)
		vmcs_write32(VMCS_ENTRY_EXC_ERROR, error);
}

/*
 * NMIs for the root (vmx/nmi.c decides): injected when the root can take
 * one, else NMI-window exiting is turned on until it can. Called at the end
 * of every exit and, from vmx/vmrun.S, right before the entry when an NMI
 * reached Raum's IDT after that (vmx_late_nmis). 'window_exit': this exit
 * was an NMI-window exit.
 */
static void deliver_nmis(struct vmx_vp *x, bool window_exit)
{
	if (!x->nmi_pending && !x->nmi_window && !*x->host_nmi_pending)
		return; /* the common case: nothing to deliver, no window open */
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
 * The race this closes: vmx_handle_exit takes the NMIs that reached Raum's
 * IDT (this CPU's nmi_pending, kernel/trap.c) in deliver_nmis, but an NMI
 * can still arrive after that, before VMRESUME; NMIs cannot be masked in
 * VMX root operation. It would wait in nmi_pending until some later exit,
 * and a root that runs long without exits (HLT, interrupts and most MSRs
 * do not exit) would not see it for that long. So vmx/vmrun.S checks
 * nmi_pending once more with nothing left between the check and the
 * VMLAUNCH / VMRESUME, and an NMI that arrives inside that stretch moves
 * the interrupted RIP back to the check (nmi_restart_table, kernel/trap.c);
 * after the entry, an NMI exits (NMI exiting). When the check finds one it
 * calls here, then checks again.
 */
void vmx_late_nmis(struct vmx_vp *x) { deliver_nmis(x, false); }

static enum exit_action msr_exit(struct vmx_vp *x, bool write)
{
	struct vp *vp = &x->vp;
	u32 msr = (u32)vp->gpr[GPR_RCX];

	vp_count(vp, write ? RAUM_EXIT_MSR_WRITE : RAUM_EXIT_MSR_READ);
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
	/* the common policy (kernel/msr.c): the VMX capability MSRs are denied there */
	return exit_msr(vp, write);
}

/*
 * MOV to CR0 / CR4 of a bit the guest-host mask owns (SDM 28.1.3, 25.6.6):
 * Raum performs the write, so Raum applies the rules the CPU applies to MOV
 * to CR (include/raum/crrules.h). A value the CPU would refuse gets #GP(0),
 * as on hardware; handed to the VMCS it would fail the next VM entry
 * (SDM 27.3.1.1: e.g. IA-32e mode guest without CR4.PAE, or CR0.PG = 0 with
 * the IA-32e mode guest control clear while CS.L = 1).
 */
/* Kept out of line, as xsetbv_exit: rare, and inlined it would cost every exit saved registers. */
static __attribute__((noinline)) enum exit_action cr_exit(struct vmx_vp *x, u64 qual)
{
	struct vp *vp = &x->vp;
	u32 cr = qual & 15, type = (qual >> 4) & 3, reg = (qual >> 8) & 15;
	struct vp_ctrl c;
	enum cr_fault f;

	vp_count(vp, RAUM_EXIT_CR_ACCESS);
	if (type != 0 || (cr != 0 && cr != 4)) {
		vp_dump(vp, "control-register exit Raum does not program");
		return EXIT_FATAL;
	}
	u64 v = vp->gpr[reg];
	vmx_get_ctrl(vp, &c); /* the guest's view: read shadows applied */
	struct cr_state st = { .cr0 = c.cr0, .cr3 = c.cr3, .cr4 = c.cr4, .efer = c.efer,
			       .cs_l = vmcs_read32(VMCS_GUEST_ES_AR + 2 * VSEG_CS) & BIT(13) };
	if (cr == 4) {
		/* VMX does not exist for the guest: CR4.VMXE is as reserved as the bits FIXED1 forbids */
		f = cr4_check(&st, v, cr4_root_reserved | CR4_VMXE | ~caps.cr4_fixed1);
		if (f != CR_OK)
			goto refuse;
		vmcs_writel(VMCS_CR4_SHADOW, v);
		vmcs_writel(VMCS_GUEST_CR4, cr4_real(v));
		flush_guest_tlb(x);
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
	vmcs_writel(VMCS_GUEST_CR0, cr0_real(v));
	flush_guest_tlb(x);
	return EXIT_ADVANCE;

refuse:
	pr_debug("vp%u: MOV to CR%u %#llx refused: %s", vp->index, cr, (unsigned long long)v, cr_fault_name(f));
	vmx_inject_exception(vp, 13, true, 0);
	return EXIT_RESUME;
}

/*
 * XSETBV exits unconditionally (SDM 26.1.2); CPL and CR4.OSXSAVE were checked
 * by the CPU before the exit (26.1.1). The value is checked as the CPU would
 * (xcr0_valid, SDM vol. 1 13.3) and refused with #GP; then Raum runs XSETBV
 * itself, under a fixup, so a rule Raum does not know yet gives the root its
 * #GP instead of faulting in Raum.
 */
/* Kept out of line: rare, and inlined it costs every exit two more saved registers. */
static __attribute__((noinline)) enum exit_action xsetbv_exit(struct vp *vp)
{
	u32 idx = (u32)vp->gpr[GPR_RCX];
	u64 v = ((vp->gpr[GPR_RDX] & 0xffffffff) << 32) | (u32)vp->gpr[GPR_RAX];
	struct cpuid_regs d = cpuid(0xd, 0);
	u64 supported = ((u64)d.edx << 32) | d.eax;

	vp_count(vp, RAUM_EXIT_XSETBV);
	if (!xcr0_valid(idx, v, supported)) {
		vmx_inject_exception(vp, 13, true, 0);
		return EXIT_RESUME;
	}
	if (xsetbv_safe(idx, v)) {
		health_add(&health.fixups, 1);
		pr_warn("vp%u: XSETBV %#llx passed xcr0_valid but faulted: #GP to the root", vp->index,
			(unsigned long long)v);
		vmx_inject_exception(vp, 13, true, 0);
		return EXIT_RESUME;
	}
	return EXIT_ADVANCE;
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

	vp_count(vp, RAUM_EXIT_OTHER);
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
		struct seg g = { s.seg[i].sel, s.seg[i].base, s.seg[i].limit, s.seg[i].ar };
		write_seg(i, &g);
	}
	if (s.cr0 != t.c.cr0) { /* CR0.TS: not in the guest-host mask, the shadow follows for the bits Raum owns */
		vmcs_writel(VMCS_GUEST_CR0, vmcs_readl(VMCS_GUEST_CR0) | TS_CR0_TS);
		vmcs_writel(VMCS_CR0_SHADOW, vmcs_readl(VMCS_CR0_SHADOW) | TS_CR0_TS);
	}
	if (s.cr3_changed) {
		vmcs_writel(VMCS_GUEST_CR3, s.cr3);
		flush_guest_tlb(x);
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

	vp_count(vp, RAUM_EXIT_OTHER);
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
static bool hypercall_allowed(void)
{
	u32 ss_ar = (u32)__vmread(VMCS_GUEST_ES_AR + 2 * VSEG_SS);
	u32 cs_ar = (u32)__vmread(VMCS_GUEST_ES_AR + 2 * VSEG_CS);
	return !(ss_ar & (3 << 5)) && (cs_ar & BIT(13)) && (vmcs_read64(VMCS_GUEST_EFER) & EFER_LMA);
}

void vmx_handle_exit(struct vmx_vp *x)
{
	struct vp *vp = &x->vp;
	u32 reason = vmcs_read32(VMCS_EXIT_REASON);
	u32 basic = reason & 0xffff;
	u64 qual = vmcs_readl(VMCS_EXIT_QUALIFICATION);
	enum exit_action a = EXIT_FATAL;

	vp->gpr[GPR_RSP] = vmcs_readl(VMCS_GUEST_RSP);
	vp->rip = vmcs_readl(VMCS_GUEST_RIP);
	if (reason & EXIT_REASON_ENTRY_FAILURE) {
		if (basic == EXIT_INVALID_GUEST)
			entry_failure(x, "invalid guest state (exit reason 33)");
		char why[96];
		raum_snprintf(why, sizeof(why), "VM entry failed: exit reason %u (%s)", basic,
			      vmx_exit_reason_name(basic));
		vp_stop(vp, why);
	}

	/* An event whose delivery the exit cut off is delivered again (SDM 28.2.4, 27.6). */
	/*
	 * VM entry clears the valid bit of the entry interruption field (SDM
	 * 27.2 / 25.8.3), so it needs no clearing here unless something was set.
	 */
	u32 idt = vmcs_read32(VMCS_IDT_VECTORING_INFO);
	if (idt & INTR_INFO_VALID) {
		vmcs_write32(VMCS_ENTRY_INTR_INFO, idt & ~(BIT(12) | 0x7fffe000U));
		if (idt & INTR_INFO_ERROR_VALID)
			vmcs_write32(VMCS_ENTRY_EXC_ERROR, vmcs_read32(VMCS_IDT_VECTORING_ERROR));
		vmcs_write32(VMCS_ENTRY_INSN_LEN, vmcs_read32(VMCS_EXIT_INSN_LEN));
	}

	switch (basic) {
	case EXIT_EXCEPTION_NMI: {
		u32 info = vmcs_read32(VMCS_EXIT_INTR_INFO);
		if (((info >> INTR_INFO_TYPE_SHIFT) & 7) == INTR_TYPE_NMI) {
			/* NMI exiting: the NMI was the root's; hand it on (deliver_nmis caps the count) */
			vp_count(vp, RAUM_EXIT_NMI);
			x->nmi_pending++;
			a = EXIT_RESUME;
			break;
		}
		a = exception_exit(x, info); /* the bitmap is empty: not expected, delivered as hardware would */
		break;
	}
	case EXIT_NMI_WINDOW:
		vp_count(vp, RAUM_EXIT_NMI);
		a = EXIT_RESUME; /* deliver_nmis injects it below */
		break;
	case EXIT_TRIPLE_FAULT:
		vp_count(vp, RAUM_EXIT_SHUTDOWN);
		vp_shutdown(vp);
	case EXIT_INIT:
		/* INIT always exits from VMX non-root and is blocked in root operation (SDM 26.2, 25.8) */
		vp_init_signal(vp);
	case EXIT_TASK_SWITCH:
		a = task_switch_exit(x, qual, idt);
		break;
	case EXIT_CPUID: {
		a = exit_cpuid(vp);
		break;
	}
	case EXIT_VMCALL:
		a = exit_hypercall(vp, hypercall_allowed());
		break;
	case EXIT_VMCLEAR ... EXIT_VMXON:
	case EXIT_INVEPT:
	case EXIT_INVVPID:
	case EXIT_VMFUNC:
	case EXIT_GETSEC:
		/* The root sees no VMX (and no SMX): these raise #UD as on a CPU without them. */
		vp_count(vp, RAUM_EXIT_VMX_INSN);
		a = exit_undefined(vp);
		break;
	case EXIT_INVD:
		/* INVD would drop dirty lines of Raum's memory too: write them back instead */
		vp_count(vp, RAUM_EXIT_OTHER);
		health_add(&health.invd, 1);
		__asm__ volatile("wbinvd" ::: "memory");
		a = EXIT_ADVANCE;
		break;
	case EXIT_XSETBV:
		a = xsetbv_exit(vp);
		break;
	case EXIT_CR_ACCESS:
		a = cr_exit(x, qual);
		break;
	case EXIT_RDMSR:
	case EXIT_WRMSR:
		a = msr_exit(x, basic == EXIT_WRMSR);
		break;
	case EXIT_EPT_VIOLATION: {
		u64 gpa = vmcs_read64(VMCS_GUEST_PHYS_ADDR);
		vp_count(vp, RAUM_EXIT_NPF);
		if (idt & INTR_INFO_VALID) {
			/* the access was the event's delivery, not the instruction's: the delivery faults */
			vmcs_write32(VMCS_ENTRY_INTR_INFO, 0);
			a = exit_delivery_fault(vp, ev_type_vmx((idt >> INTR_INFO_TYPE_SHIFT) & 7),
						idt & INTR_INFO_VECTOR_MASK, gpa, (qual & BIT(7)) && !(qual & BIT(8)),
						vmcs_readl(VMCS_GUEST_IDTR_BASE));
			break;
		}
		/* bit 12: the access unblocked NMIs through an IRET; re-block before re-entry (SDM 28.2.3) */
		if ((qual & BIT(12)) && !(idt & INTR_INFO_VALID))
			vmcs_write32(VMCS_GUEST_INTERRUPTIBILITY,
				     vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY) | INTR_BLOCK_NMI);
		/* bit 7: a linear address is valid; bit 8 clear then: the access was a guest paging-structure walk */
		bool walk = (qual & BIT(7)) && !(qual & BIT(8));
		a = exit_slat_violation(vp, gpa, qual & BIT(1), qual & BIT(2), walk);
		break;
	}
	case EXIT_EPT_MISCONFIG:
		vp_stop(vp, "EPT misconfiguration: a bug in Raum's EPT encoder");
	default: {
		char why[96];
		vp_count(vp, RAUM_EXIT_OTHER);
		raum_snprintf(why, sizeof(why), "unhandled exit reason %u (%s), qualification %#llx", basic,
			      vmx_exit_reason_name(basic), (unsigned long long)qual);
		vp_stop(vp, why);
	}
	}

	if (a == EXIT_FATAL)
		vp_stop(vp, "a handler could not go on");
	if (a == EXIT_ADVANCE || a == EXIT_SKIPPED) {
		if (a == EXIT_ADVANCE)
			vp->rip += vmcs_read32(VMCS_EXIT_INSN_LEN);
		/* a skipped instruction ends any STI / MOV SS blocking */
		u32 intr = vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY);
		if (intr & (INTR_BLOCK_STI | INTR_BLOCK_MOV_SS))
			vmcs_write32(VMCS_GUEST_INTERRUPTIBILITY, intr & ~(INTR_BLOCK_STI | INTR_BLOCK_MOV_SS));
		if (vmcs_readl(VMCS_GUEST_RFLAGS) & RFLAGS_TF)
			single_step_trap(vp);
	}
	deliver_nmis(x, basic == EXIT_NMI_WINDOW);
	vmcs_writel(VMCS_GUEST_RSP, vp->gpr[GPR_RSP]);
	vmcs_writel(VMCS_GUEST_RIP, vp->rip);
}

/* Capabilities are decided once, before anything is built: EPT page sizes are EPT's own. */
static int vmx_prepare(bool *slat_1g)
{
	char why[200];

	read_caps();
	struct cr_cpuid cc;
	cr_cpuid_read(&cc);
	cr4_root_reserved = cr4_reserved(&cc);
	if (vmx_compute_controls(&caps, &ctls, why, sizeof(why))) {
		pr_err("vmx: %s", why);
		return -RAUM_ENODEV;
	}
	*slat_1g = ctls.ept_1g;
	return 0;
}

const struct vendor_ops vmx_ops = {
	.name = "vmx",
	.vendor = RAUM_VENDOR_INTEL,
	.cpu_enable = vmx_cpu_enable,
	.cpu_disable = vmx_cpu_disable,
	.prepare = vmx_prepare,
	.slat_build_root = vmx_slat_build_root,
	.launch_root = vmx_launch_root,
	.get_ctrl = vmx_get_ctrl,
	.inject_exception = vmx_inject_exception,
};
