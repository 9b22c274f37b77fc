// SPDX-License-Identifier: MIT
/*
 * Intel VT-x backend (Intel SDM vol. 3C, chapters 24-29): entering VMX
 * operation, the capabilities, EPT, the partition's VT-x part and the VP
 * lifecycle (include/raum/vendor.h). The VMCS is built and read in
 * vmx/vmcs.c, exits are decoded in vmx/exit.c and handled by
 * kernel/dispatch.c; the VMX instructions are in vmx/insn.h.
 *
 * Entering VMX operation (SDM 24.7, 25.11.5): IA32_FEATURE_CONTROL locked
 * with VMX-outside-SMX (the loader sets it when the firmware left it
 * unlocked), CR0 and CR4 inside the IA32_VMX_CR{0,4}_FIXED{0,1} bounds
 * (which include CR4.VMXE), and a 4 KiB-aligned VMXON region that starts
 * with the VMCS revision identifier from IA32_VMX_BASIC[30:0].
 *
 * A VP's VMCS has EPT (memory types from the MTRRs, since EPT ignores the
 * guest's), VPID, unrestricted guest (the firmware and the OS may drop to
 * real mode: the loader refuses CPUs without it), NMI exiting with virtual
 * NMIs, and the fewest exits VT-x allows: CPUID, VMCALL, the VMX
 * instructions, XSETBV, INVD and GETSEC exit unconditionally; the MSR
 * bitmap comes from the partition's MSR policy (kernel/msrpolicy.c,
 * docs/security.md); the CR0 / CR4 guest-host masks own NE and VMXE, whose
 * read shadows show the guest its own values.
 */
#include <raum/crrules.h>
#include <raum/errno.h>
#include <raum/hwcheck.h>
#include <raum/log.h>
#include <raum/pciio.h>
#include <raum/smp.h>
#include <raum/mtrr.h>
#include <raum/trap.h>
#include <raum/vendor.h>
#include <raum/vm.h>
#include <raum/x86.h>

#include "insn.h"
#include "vmcs.h"
#include "vmx.h"

#define VMX_BASIC_REVISION(b) ((u32)((b)&0x7fffffff))
#define VMX_BASIC_REGION_SIZE(b) ((u32)(((b) >> 32) & 0x1fff))
#define VMX_BASIC_TRUE_CTLS BIT(55)

static struct vmx_cpu vmx_cpus[RAUM_MAX_CPUS];
struct vmx_caps_msrs vmx_caps;
u64 vmx_cr4_root_reserved;
/* The controls vmx_prepare computed from the boot CPU's capabilities: each partition starts from them. */
static struct vmx_controls boot_ctls;

/* ---- enabling VMX -------------------------------------------------------- */

static void read_caps(void)
{
	u64 basic = rdmsr(MSR_IA32_VMX_BASIC);
	bool t = basic & VMX_BASIC_TRUE_CTLS;

	vmx_caps = (struct vmx_caps_msrs){
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
	if ((vmx_caps.procbased >> 32) & PROC_SECONDARY) {
		vmx_caps.procbased2 = rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2);
		if ((vmx_caps.procbased2 >> 32) & (PROC2_EPT | PROC2_VPID))
			vmx_caps.ept_vpid_cap = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
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
	vmxoff();
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
	int rc = vm_pt_init(&p->slat, boot_ctls.ept_1g);

	if (rc)
		return rc;
	p->slat.ept = true;
	p->slat.allow_2m = boot_ctls.ept_2m;
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
	pr_info("vmx: EPT built from %zu MTRR segment%s (%s pages)", n, n == 1 ? "" : "s",
		boot_ctls.ept_1g ? "1 GiB" : boot_ctls.ept_2m ? "2 MiB" : "4 KiB");
	return 0;
}

/* ---- the partition -------------------------------------------------------- */

static int vmx_partition_alloc(struct partition **out)
{
	u64 pa;
	int rc = page_alloc_zeroed(ALIGN_UP(sizeof(struct vmx_partition), PAGE_SIZE) / PAGE_SIZE, &pa);

	if (rc)
		return rc;
	struct vmx_partition *xp = phys_to_virt(pa);
	xp->ctls = boot_ctls;
	*out = &xp->p;
	return 0;
}

/* The EPTP of its SLAT, the MSR bitmap from its policy and what CPUID shows it. */
static int vmx_partition_finalize(struct partition *p)
{
	struct vmx_partition *xp = to_vmx_part(p);
	int rc = page_alloc_zeroed(1, &xp->msr_bitmap_phys);

	if (rc == 0)
		rc = page_alloc_zeroed(2, &xp->io_bitmap_phys);
	if (rc)
		return rc;
	u8 *io = phys_to_virt(xp->io_bitmap_phys); /* bitmap A: one bit per port, 0x0000-0x7fff */
	for (u32 port = PCIIO_PORT_FIRST; port <= PCIIO_PORT_LAST; port++)
		io[port / 8] |= (u8)(1u << (port % 8));
	/* the partition's MSR policy (docs/security.md): only what it passes goes unintercepted */
	u8 *bm = phys_to_virt(xp->msr_bitmap_phys);
	msr_policy_bitmap(0, 0x2000, vmx_msr_bitmap_set, bm);
	msr_policy_bitmap(0xc0000000, 0x2000, vmx_msr_bitmap_set, bm);
	/* EPTP (SDM 25.6.11): write-back paging structures, 4-level walk. */
	xp->eptp = p->slat.root | (3 << 3) | MTRR_WB;
	/* CPUID shows what the controls vmx_compute_controls got let the partition use */
	partition_cpuid_setup(p, RAUM_VENDOR_INTEL, xp->ctls.cpuid_ctls);
	/*
	 * Nothing may be cached for this EPTP from before (SDM 29.4.3): each
	 * VP's first entry on a CPU has a fresh VPID, and a fresh VPID gets
	 * INVEPT (vpid_flush, vmx/exit.c). Not here: the root partition is
	 * built before any CPU is in VMX operation, where INVEPT is #UD.
	 */
	return 0;
}

/* ---- the VP lifecycle ------------------------------------------------------ */

static int vmx_vp_create(struct partition *p, u32 index __unused, struct vp **out)
{
	struct vmx_vp *x;
	u64 pa, vmcs;
	int rc = page_alloc_zeroed(ALIGN_UP(sizeof(*x), PAGE_SIZE) / PAGE_SIZE, &pa);

	if (rc)
		return rc;
	rc = page_alloc_zeroed(1, &vmcs);
	if (rc) {
		palloc_free(&hv_pool, pa, ALIGN_UP(sizeof(*x), PAGE_SIZE) / PAGE_SIZE);
		return rc;
	}
	x = phys_to_virt(pa);
	x->self_phys = pa;
	x->vmcs_phys = vmcs;
	x->vp.part = p;
	vp_msr_init(&x->vp);
	/* a VMCS region starts with the revision identifier (SDM 25.2); VMCLEAR makes it clear, not launched */
	*(u32 *)phys_to_virt(vmcs) = VMX_BASIC_REVISION(vmx_caps.basic);
	rc = vmclear(vmcs);
	if (rc) {
		pr_err("vmx: VMCLEAR of a new VMCS failed (%d)", rc);
		palloc_free(&hv_pool, vmcs, 1);
		palloc_free(&hv_pool, pa, ALIGN_UP(sizeof(*x), PAGE_SIZE) / PAGE_SIZE);
		return rc;
	}
	*out = &x->vp;
	return 0;
}

static void vmx_vp_destroy(struct vp *vp)
{
	struct vmx_vp *x = to_vmx(vp);

	palloc_free(&hv_pool, x->vmcs_phys, 1);
	palloc_free(&hv_pool, x->self_phys, ALIGN_UP(sizeof(*x), PAGE_SIZE) / PAGE_SIZE);
}

/*
 * VMPTRLD makes the VMCS current on this CPU (SDM 25.11.3). Its first load
 * anywhere writes the controls and host state; a later load on another CPU
 * rewrites the host state that is per CPU (TR, GDTR), and the VPID's
 * translations are flushed there (another CPU may hold stale ones). A
 * VMCS that was VMCLEARed must be launched again (SDM 25.11.3).
 */
static int vmx_vp_load(struct vp *vp, struct cpu *c)
{
	struct vmx_vp *x = to_vmx(vp);
	int rc = vmptrld(x->vmcs_phys);

	if (rc) {
		/* VMPTRLD fails only for an address Raum got wrong: nothing can run this VP */
		pr_err("vmx: VMPTRLD of vp%u failed (%d)", vp->index, rc);
		return -RAUM_EIO;
	}
	struct vmx_cpu *v = c->vendor;
	if (!v->vpids.max_tag) /* INVEPT single-context is the "flush one tag" of asid.h on VT-x */
		asid_cpu_init(&v->vpids, c->id, ASID_VPID_MAX_TAG,
			      to_vmx_part(vp->part)->ctls.invept_type == INVEPT_SINGLE);
	x->cpu = v;
	x->host_nmi_pending = &c->nmi_pending; /* vmx/vmrun.S checks it before each entry */
	x->host_rsp = 0;                       /* vmrun.S writes HOST_RSP at the next entry */
	if (!x->vmcs_ready) {
		if (vmx_vmcs_init(x, c)) {
			pr_err("vmx: a VMWRITE failed: VM-instruction error %u (%s)", vmcs_read32(VMCS_INSN_ERROR),
			       vmx_instruction_error_name(vmcs_read32(VMCS_INSN_ERROR)));
			vmclear(x->vmcs_phys);
			return -RAUM_EIO;
		}
		x->vmcs_ready = true;
	}
	/* the VPID comes from this CPU's allocator at the entry (asid_prepare: a fresh tag, flushed) */
	return vmx_vmcs_host_cpu(c);
}

/* VMCLEAR writes the VMCS back to memory and makes it inactive: it may load on another CPU then. */
static void vmx_vp_put(struct vp *vp)
{
	struct vmx_vp *x = to_vmx(vp);

	if (vmclear(x->vmcs_phys))
		pr_err("vmx: VMCLEAR of vp%u failed", vp->index);
	x->launched = 0;
	x->host_nmi_pending = NULL;
	x->cpu = NULL;
}

/* ---- child partitions (kernel/childvp.c) -------------------------------------------------- */

_Static_assert(sizeof(struct vmx_partition) <= PAGE_SIZE, "a child's partition object is one pool page");
_Static_assert(sizeof(struct vmx_vp) <= PAGE_SIZE, "a child's VP object is one pool page");

/* Every child shares one MSR bitmap of all ones: each RDMSR / WRMSR exits (never freed). */
static u64 child_msr_bitmap;

/*
 * A child's VT-x part: the boot controls plus external-interrupt exiting
 * (the root's interrupts end a dispatch; not acknowledged on exit, so the
 * root takes them from its APIC when it runs again), HLT exiting and
 * unconditional I/O exiting (every port), and the shared MSR bitmap.
 */
static int vmx_child_partition_init(struct partition *p)
{
	struct vmx_partition *xp = to_vmx_part(p);
	u32 pin_ok = (u32)(vmx_caps.pinbased >> 32), proc_ok = (u32)(vmx_caps.procbased >> 32);

	if (!child_msr_bitmap) {
		u64 m;
		if (page_alloc_zeroed(1, &m))
			return -RAUM_ENOMEM;
		__builtin_memset(phys_to_virt(m), 0xff, PAGE_SIZE);
		child_msr_bitmap = m;
	}
	xp->ctls = boot_ctls;
	if (!(pin_ok & PIN_EXT_INTR_EXIT) || !(proc_ok & PROC_HLT_EXIT) || !(proc_ok & PROC_UNCOND_IO_EXIT) ||
	    !(proc_ok & PROC_INTR_WINDOW) || (proc_ok & (PROC_CR8_LOAD_EXIT | PROC_CR8_STORE_EXIT)) !=
	    (PROC_CR8_LOAD_EXIT | PROC_CR8_STORE_EXIT))
		return -RAUM_ENODEV;
	xp->ctls.pin |= PIN_EXT_INTR_EXIT;
	/*
	 * A time slice per dispatch where the CPU has the preemption timer: the
	 * root gets its CPU back after about 2^26 TSC cycles (20 ms at 3 GHz) however the child
	 * runs. Needed under Bochs, whose VM entry decides interrupt masking
	 * before it is in VMX non-root operation, so a child entered with
	 * RFLAGS.IF = 0 never takes the external-interrupt exit until it
	 * changes IF (bochs/cpu/vmx.cc: handleCpuContextChange runs before
	 * in_vmx_guest is set); the SDM says IF does not matter with
	 * external-interrupt exiting (26.2), which real CPUs honor.
	 */
	if (pin_ok & PIN_PREEMPT_TIMER)
		xp->ctls.pin |= PIN_PREEMPT_TIMER;
	/*
	 * MOV to / from CR8 exit: without them (and without a TPR shadow) a
	 * child's MOV to CR8 would write the local APIC's TPR (SDM vol. 3C
	 * 26.3, "MOV to CR8"), which the root's interrupts then meet: a child
	 * could mask the root's interrupts on that CPU. Its CR8 is its own
	 * (vmx_vp child_cr8), as AMD's V_TPR is with V_INTR_MASKING.
	 */
	xp->ctls.proc = (xp->ctls.proc | PROC_HLT_EXIT | PROC_UNCOND_IO_EXIT | PROC_USE_MSR_BITMAPS |
			 PROC_CR8_LOAD_EXIT | PROC_CR8_STORE_EXIT) & ~PROC_USE_IO_BITMAPS;
	if (proc_ok & PROC_TSC_OFFSET)
		xp->ctls.proc |= PROC_TSC_OFFSET; /* the child's TSC register moves its offset (vmx_child_tsc) */
	xp->ctls.exit &= ~BIT(15); /* "acknowledge interrupt on exit" off */
	xp->msr_bitmap_phys = child_msr_bitmap;
	xp->io_bitmap_phys = 0;
	xp->eptp = p->slat.root | (3 << 3) | MTRR_WB;
	partition_cpuid_setup(p, RAUM_VENDOR_INTEL, xp->ctls.cpuid_ctls);
	return 0;
}

static int vmx_child_vp_create(struct partition *p, u32 index __unused, const u64 *pages, struct vp **out)
{
	struct vmx_vp *x = phys_to_virt(pages[0]);

	if (!to_vmx_part(p)->msr_bitmap_phys)
		return -RAUM_ENOMEM; /* child_partition_init could not allocate the bitmap */
	x->self_phys = pages[0];
	x->vmcs_phys = pages[1];
	x->vp.part = p;
	x->vp.spec_ctrl = (struct vp_spec_ctrl){ .mode = SPEC_CTRL_ABSENT }; /* runs with Raum's value */
	x->child_dr6 = 0xffff0ff0;
	x->vpid.slat_generation = ~0ULL;
	*(u32 *)phys_to_virt(pages[1]) = VMX_BASIC_REVISION(vmx_caps.basic);
	if (vmclear(pages[1]))
		return -RAUM_EIO;
	*out = &x->vp;
	return 0;
}

/*
 * From the root's exit handler: the child's VMCS current on this CPU, the
 * root's VP remembered (vmx_check_current follows loaded_vp).
 */
static int vmx_child_enter(struct vp *vp)
{
	struct vmx_vp *x = to_vmx(vp);
	struct cpu *c = this_cpu();

	x->saved_loaded = c->loaded_vp;
	x->saved_vmcs = c->loaded_vp ? to_vmx(c->loaded_vp)->vmcs_phys : ~0ULL; /* the root VP's, current now */
	if (vmptrld(x->vmcs_phys)) {
		pr_err("vmx: VMPTRLD of a child VMCS failed");
		return -RAUM_EIO;
	}
	c->loaded_vp = vp;
	if (!x->vmcs_ready) {
		if (vmx_vmcs_init(x, c)) {
			pr_err("vmx: a child VMCS write failed: VM-instruction error %u", vmcs_read32(VMCS_INSN_ERROR));
			vmclear(x->vmcs_phys);
			c->loaded_vp = x->saved_loaded;
			if (x->saved_vmcs != ~0ULL)
				vmptrld(x->saved_vmcs);
			return -RAUM_EIO;
		}
		x->vmcs_ready = true;
		/* every #PF the bitmap names exits (mask 0 matches 0: SDM vol. 3C 26.2) */
		vmcs_write32(VMCS_PF_ERROR_MASK, 0);
		vmcs_write32(VMCS_PF_ERROR_MATCH, 0);
		if (to_vmx_part(vp->part)->ctls.pin & PIN_PREEMPT_TIMER) /* counts down once per 2^MISC[4:0] TSC ticks */
			vmcs_write32(VMCS_PREEMPT_TIMER, (1u << 26) >> (vmx_caps.misc & 0x1f));
	}
	vmx_vmcs_host_cpu(c);
	return 0;
}

static void vmx_child_leave(struct vp *vp)
{
	struct vmx_vp *x = to_vmx(vp);
	struct cpu *c = this_cpu();

	if (vmclear(x->vmcs_phys))
		pr_err("vmx: VMCLEAR of a child VMCS failed");
	x->launched = 0;
	c->loaded_vp = x->saved_loaded;
	if (x->saved_vmcs != ~0ULL && vmptrld(x->saved_vmcs))
		pr_err("vmx: VMPTRLD of the root's VMCS failed after a child's");
}

static void vmx_child_get_regs(struct vp *vp, struct vp_regs *r)
{
	struct vmx_vp *x = to_vmx(vp);

	vmx_vp_get_regs(vp, r);
	r->cr2 = x->child_cr2;
	r->dr6 = x->child_dr6;
	r->star = x->child_msr[0];
	r->lstar = x->child_msr[1];
	r->cstar = x->child_msr[2];
	r->sfmask = x->child_msr[3];
	r->kernel_gs_base = x->child_msr[4];
	r->cr8 = x->child_cr8;
}

static int vmx_child_set_regs(struct vp *vp, const struct vp_regs *r)
{
	struct vmx_vp *x = to_vmx(vp);

	x->child_cr2 = r->cr2;
	x->child_dr6 = r->dr6;
	x->child_msr[0] = r->star;
	x->child_msr[1] = r->lstar;
	x->child_msr[2] = r->cstar;
	x->child_msr[3] = r->sfmask;
	x->child_msr[4] = r->kernel_gs_base;
	x->child_cr8 = (u8)r->cr8;
	return vmx_vp_set_regs(vp, r);
}

static void vmx_child_set_rdx(struct vp *vp, u64 rdx) { vp->gpr[GPR_RDX] = rdx; }

/* The child's TSC: the host's plus the VMCS's offset where "use TSC offsetting" is on (its VMCS is current). */
static void vmx_child_tsc(struct vp *vp, bool set, u64 *v)
{
	bool on = to_vmx_part(vp->part)->ctls.proc & PROC_TSC_OFFSET;

	if (set && on)
		vmcs_write64(VMCS_TSC_OFFSET, *v - rdtsc());
	else if (!set)
		*v = rdtsc() + (on ? vmcs_read64(VMCS_TSC_OFFSET) : 0);
}

/* Capabilities are decided once, before anything is built: EPT page sizes are EPT's own. */
static int vmx_prepare(bool *slat_1g)
{
	char why[200];

	read_caps();
	struct cr_cpuid cc;
	cr_cpuid_read(&cc);
	vmx_cr4_root_reserved = cr4_reserved(&cc);
	if (vmx_compute_controls(&vmx_caps, &boot_ctls, why, sizeof(why))) {
		pr_err("vmx: %s", why);
		return -RAUM_ENODEV;
	}
	*slat_1g = boot_ctls.ept_1g;
	return 0;
}

/*
 * INIT reached the VP (include/raum/smp.h): nothing in flight survives it
 * (the injection, NMIs held for the root, the NMI window, STI / MOV SS and
 * NMI blocking, pending debug exceptions), the activity state is active,
 * and the VP's VPID and EPT translations are flushed before the next entry
 * (a SLAT generation it never had makes asid_prepare flush).
 */
static void vmx_reset_events(struct vp *vp)
{
	struct vmx_vp *x = to_vmx(vp);

	vmx_check_current(vp);
	vmcs_write32(VMCS_ENTRY_INTR_INFO, 0);
	vmcs_write32(VMCS_GUEST_INTERRUPTIBILITY, 0);
	vmcs_write32(VMCS_GUEST_ACTIVITY, 0);
	vmcs_writel(VMCS_GUEST_PENDING_DBG, 0);
	x->nmi_pending = 0;
	x->window_exit = false;
	if (x->nmi_window) {
		vmcs_write32(VMCS_PROC_CTLS, vmcs_read32(VMCS_PROC_CTLS) & ~PROC_NMI_WINDOW);
		x->nmi_window = false;
	}
	x->vpid.slat_generation = ~0ULL;
}

/* NMIs may still be blocked by the last NMI exit: an IRET opens them before the wait (vmx/exit.c). */
static void vmx_host_wait(const u32 *word)
{
	nmi_unblock_iret();
	hlt_until(word);
}

const struct vendor_ops vmx_ops = {
	.name = "vmx",
	.vendor = RAUM_VENDOR_INTEL,
	.cpu_enable = vmx_cpu_enable,
	.cpu_disable = vmx_cpu_disable,
	.prepare = vmx_prepare,
	.slat_build_root = vmx_slat_build_root,
	.partition_alloc = vmx_partition_alloc,
	.partition_finalize = vmx_partition_finalize,
	.vp_create = vmx_vp_create,
	.vp_destroy = vmx_vp_destroy,
	.vp_load = vmx_vp_load,
	.vp_put = vmx_vp_put,
	.vp_set_regs = vmx_vp_set_regs,
	.vp_get_regs = vmx_vp_get_regs,
	.vp_run = vmx_vp_run,
	.run_loop = vmx_run_loop,
	.complete_insn = vmx_complete_insn,
	.vendor_exit = vmx_vendor_exit,
	.msr_vendor = vmx_msr_vendor,
	.get_ctrl = vmx_get_ctrl,
	.inject_exception = vmx_inject_exception,
	.reset_events = vmx_reset_events,
	.host_wait = vmx_host_wait,
	.child_vp_pages = 2, /* the vmx_vp, the VMCS */
	.child_partition_init = vmx_child_partition_init,
	.child_vp_create = vmx_child_vp_create,
	.child_run = vmx_child_run,
	.child_complete = vmx_child_complete,
	.child_set_rdx = vmx_child_set_rdx,
	.child_event = vmx_child_event,
	.child_tsc = vmx_child_tsc,
	.child_enter = vmx_child_enter,
	.child_leave = vmx_child_leave,
	.child_get_regs = vmx_child_get_regs,
	.child_set_regs = vmx_child_set_regs,
};
