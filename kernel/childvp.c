// SPDX-License-Identifier: MIT
/*
 * A child partition's virtual processors (docs/partitions.md, "VPs and
 * dispatch"): CreateVp / DeleteVp, Get/SetVpRegisters and DispatchVp, the
 * root's thread running a child VP on its own CPU.
 *
 * Ownership and locking. A call finds its partition with child_get
 * (kernel/partmem.c), which holds the partition busy: no Finalize or Delete
 * while it works. A VP is claimed for the call (vp->claimed, 0 -> 1 under
 * the partition's lock): one dispatch, register access or delete at a time,
 * from any root CPU; a second gets INVALID_VP_STATE. Finalize releases
 * every VP's pages into the pool (child_vps_release); it never meets a
 * claimed VP, since a claim holds the partition busy.
 *
 * The switch (root -> child -> root) on the dispatching CPU, around the
 * vendor's child_run:
 *   - FPU / SSE / AVX state and XCR0: the root's saved (XSAVE, or FXSAVE
 *     without XSAVE) into this CPU's area, the child's restored from its
 *     page, and back at the end. Raum itself never touches them
 *     (-mgeneral-regs-only); VMRUN / VM entry switch neither.
 *   - The syscall MSRs, KERNEL_GS_BASE, PAT: in the VMCB and switched by
 *     VMLOAD / VMSAVE and VMRUN on AMD; SPEC_CTRL: the child runs with
 *     Raum's value (the MSR is intercepted for it), the root gets its own
 *     back at its next entry (include/raum/specctrl.h).
 *   - Barriers (docs/security.md, "Between partitions"): IBPB on both
 *     switches, L1D flush and VERW before the child where the CPU says it
 *     needs them, the return stack refilled after every child exit.
 */
#include <raum/childvp.h>
#include <raum/crrules.h>
#include <raum/errno.h>
#include <raum/fmt.h>
#include <raum/gwalk.h>
#include <raum/log.h>
#include <raum/partmem.h>
#include <raum/partstate.h>
#include <raum/vendor.h>
#include <raum/vm.h>
#include <raum/vpregs.h>
#include <raum/x86.h>
#include <raum/xcr0.h>

#define CPUID1_ECX_XSAVE BIT(26)
#define MSR_PRED_CMD 0x49
#define MSR_FLUSH_CMD 0x10b

/*
 * The legacy region of a child's XSAVE page (FXSAVE's layout, SDM vol. 1
 * 10.5.1): FCW @0, FSW @2, abridged FTW @4, FOP @6, FIP @8, FDP @16,
 * MXCSR @24, MXCSR_MASK @28, ST0-ST7 @32 (16 bytes each), XMM0-15 @160.
 */
#define FX_FCW 0
#define FX_FSW 2
#define FX_FTW 4
#define FX_FOP 6
#define FX_FIP 8
#define FX_FDP 16
#define FX_MXCSR 24
#define FX_MXCSR_MASK 28
#define FX_ST0 32
#define FX_XMM0 160

/* What this CPU offers, read at the first child VP (all CPUs of a machine match: hwcheck). */
static struct child_caps {
	bool ready;
	bool xsave;              /* XSAVE / XRSTOR, else FXSAVE / FXRSTOR */
	u32 root_area_pages;     /* the root's save area: every component the CPU supports */
	u64 child_xcr0;          /* what a child may enable: x87 .. PKRU, within its one-page area */
	bool ibpb, l1d_flush, verw;
	u32 mxcsr_mask;          /* the MXCSR bits FXRSTOR / XRSTOR take (SDM vol. 1 11.6.6) */
	bool tsc_aux;            /* IA32_TSC_AUX exists (RDTSCP or RDPID): switched per dispatch */
	struct vpreg_limits lim;
} caps;
static struct spinlock caps_lock = SPINLOCK_INIT;
static u64 root_area[RAUM_MAX_CPUS]; /* per CPU, allocated at its first dispatch */

static inline u64 xgetbv0(void)
{
	u32 lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return ((u64)hi << 32) | lo;
}

static inline void xsetbv0(u64 v)
{
	__asm__ volatile("xsetbv" ::"a"((u32)v), "d"((u32)(v >> 32)), "c"(0) : "memory");
}

static inline void fpu_save(void *area)
{
	if (caps.xsave)
		__asm__ volatile("xsave64 (%0)" ::"r"(area), "a"(~0u), "d"(~0u) : "memory");
	else
		__asm__ volatile("fxsave64 (%0)" ::"r"(area) : "memory");
}

static inline void fpu_restore(const void *area)
{
	if (caps.xsave)
		__asm__ volatile("xrstor64 (%0)" ::"r"(area), "a"(~0u), "d"(~0u) : "memory");
	else
		__asm__ volatile("fxrstor64 (%0)" ::"r"(area) : "memory");
}

/*
 * Once, at the first CreateVp (computed apart, published under a lock): the XSAVE layout, the barriers and
 * the register limits. A child's XSAVE area is one page: it may enable the
 * user components that fit there (x87, SSE, AVX, AVX-512, PKRU), never AMX
 * (CPUID 0xD.i: size EAX, offset EBX).
 */
static void caps_init(void)
{
	struct cpuid_regs l1 = cpuid(1, 0), l7 = cpuid(0, 0).eax >= 7 ? cpuid(7, 0) : (struct cpuid_regs){ 0 };
	struct cr_cpuid c;
	struct child_caps t = { 0 };

	if (__atomic_load_n(&caps.ready, __ATOMIC_ACQUIRE))
		return;
	t.xsave = l1.ecx & CPUID1_ECX_XSAVE; /* Raum's CR4.OSXSAVE is set per CPU at its first dispatch */
	t.root_area_pages = 1;
	if (t.xsave) {
		struct cpuid_regs d = cpuid(0xd, 0);
		u64 supported = ((u64)d.edx << 32) | d.eax;
		t.root_area_pages = (u32)(ALIGN_UP((u64)d.ecx, PAGE_SIZE) / PAGE_SIZE);
		t.child_xcr0 = supported & (XCR0_X87 | XCR0_SSE);
		for (u32 i = 2; i < 10; i++) {
			struct cpuid_regs s = cpuid(0xd, i);
			if ((supported & BIT(i)) && (u64)s.eax + s.ebx <= PAGE_SIZE && i != 3 && i != 4 && i != 8)
				t.child_xcr0 |= BIT(i);
		}
		/* XSETBV refuses AVX-512 without AVX and either without all its parts (SDM vol. 1 13.3) */
		if ((t.child_xcr0 & XCR0_AVX512) != XCR0_AVX512 || !(t.child_xcr0 & XCR0_AVX))
			t.child_xcr0 &= ~XCR0_AVX512;
	}
	static u8 fx[512] __attribute__((aligned(16)));
	__asm__ volatile("fxsave64 %0" : "=m"(fx));
	t.mxcsr_mask = *(u32 *)(fx + 28) ? *(u32 *)(fx + 28) : 0xffbf; /* 0: the default mask */
	/* RDTSCP (CPUID 0x80000001:EDX[27]) or RDPID (CPUID 7:ECX[22]) */
	t.tsc_aux = (cpuid(0x80000000, 0).eax >= 0x80000001 && (cpuid(0x80000001, 0).edx & BIT(27))) ||
		    (l7.ecx & BIT(22));
	bool amd = vendor_current()->vendor == RAUM_VENDOR_AMD;
	t.ibpb = (l7.edx & BIT(26)) || (amd && (cpuid(0x80000008, 0).ebx & BIT(12)));
	t.l1d_flush = !amd && (l7.edx & BIT(28));
	t.verw = !amd && (l7.edx & BIT(10));
	cr_cpuid_read(&c);
	t.lim.cr4_reserved = cr4_reserved(&c);
	t.lim.efer_writable = efer_writable(&c) | EFER_LMA;
	spin_lock(&caps_lock); /* two CPUs' first CreateVp: one copy wins, both computed the same */
	if (!caps.ready) {
		caps = t;
		__atomic_store_n(&caps.ready, true, __ATOMIC_RELEASE);
	}
	spin_unlock(&caps_lock);
	pr_info("child VPs: %s, child XCR0 mask %#llx, root save area %u page(s); barriers: IBPB %s, L1D flush %s, "
		"VERW %s, RSB fill yes", t.xsave ? "XSAVE" : "FXSAVE", (unsigned long long)t.child_xcr0,
		t.root_area_pages, t.ibpb ? "yes" : "no (CPU lacks it)", t.l1d_flush ? "yes" : "no",
		t.verw ? "yes" : "no");
}

u64 child_xcr0_supported(void) { return caps.child_xcr0; }

/*
 * Before XRSTOR of a child's page (standard form): XSTATE_BV only within
 * the XCR0 it is restored under, XCOMP_BV and the next reserved bytes zero
 * (SDM vol. 1 13.8.1: XRSTOR raises #GP otherwise). Raum alone writes the
 * page (XSAVE, register writes); this keeps a mistake there from faulting
 * inside Raum.
 */
static void xsave_header_sanitize(void *area, u64 xcr0)
{
	u64 *hdr = (u64 *)((u8 *)area + 512);

	hdr[0] &= xcr0;
	hdr[1] = 0;
	hdr[2] = 0;
}

/* Saves DR0-DR3 into save[] and loads load[] (MOV DR, SDM vol. 2B: any canonical value). */
static void dr_switch(u64 save[4], const u64 load[4])
{
	__asm__ volatile("mov %%dr0, %0\n\tmov %%dr1, %1\n\tmov %%dr2, %2\n\tmov %%dr3, %3"
			 : "=r"(save[0]), "=r"(save[1]), "=r"(save[2]), "=r"(save[3]));
	__asm__ volatile("mov %0, %%dr0\n\tmov %1, %%dr1\n\tmov %2, %%dr2\n\tmov %3, %%dr3"
			 ::"r"(load[0]), "r"(load[1]), "r"(load[2]), "r"(load[3]));
}

/* ---- the barriers ---------------------------------------------------------------------------- */

static void ibpb(void)
{
	if (caps.ibpb)
		msr_write_safe(MSR_PRED_CMD, 1); /* IA32_PRED_CMD.IBPB (SDM vol. 4; AMD's "IBPB" white paper) */
}

/* Before the child runs: what it could sample of the root's or Raum's data in the L1D and buffers. */
static void enter_barriers(void)
{
	ibpb();
	if (caps.l1d_flush)
		msr_write_safe(MSR_FLUSH_CMD, 1); /* IA32_FLUSH_CMD.L1D_FLUSH */
	if (caps.verw) {
		u16 ds = SEL_DATA;
		__asm__ volatile("verw %0" ::"m"(ds) : "cc"); /* MD_CLEAR: VERW clears the CPU buffers */
	}
}

void child_rsb_fill(void)
{
	/*
	 * 32 CALLs whose return addresses land on a speculation trap, then the
	 * stack back: the child's return-stack entries are gone before Raum's
	 * first RET (Intel "Retpoline" white paper, RSB stuffing).
	 */
	u64 n = 16;
	__asm__ volatile("1:\n\t"
			 "call 2f\n\t"
			 "3: pause; lfence; jmp 3b\n"
			 "2:\n\t"
			 "call 4f\n\t"
			 "5: pause; lfence; jmp 5b\n"
			 "4:\n\t"
			 "dec %0\n\t"
			 "jnz 1b\n\t"
			 "add $256, %%rsp\n\t"
			 "lfence"
			 : "+r"(n)
			 :
			 : "memory", "cc");
}

/* ---- XSETBV from a child ------------------------------------------------------------------- */

enum exit_action child_xsetbv(struct vp *vp)
{
	u32 idx = (u32)vp->gpr[GPR_RCX];
	u64 v = ((vp->gpr[GPR_RDX] & 0xffffffff) << 32) | (u32)vp->gpr[GPR_RAX];

	if (!caps.xsave || !xcr0_valid(idx, v, caps.child_xcr0)) {
		vp_inject_exception(vp, 13, true, 0);
		return EXIT_RESUME;
	}
	xsetbv0(v); /* the child's XCR0 is the live one while it is dispatched */
	vp->xcr0 = v;
	return EXIT_ADVANCE;
}

/* ---- the vendor's state, made reachable (VT-x: the child's VMCS current) ------------------------ */

static int vendor_enter(struct vp *vp)
{
	const struct vendor_ops *o = vendor_current();
	return o->child_enter ? o->child_enter(vp) : 0;
}

static void vendor_leave(struct vp *vp)
{
	const struct vendor_ops *o = vendor_current();
	if (o->child_leave)
		o->child_leave(vp);
}

static void child_get_regs(struct vp *vp, struct vp_regs *r)
{
	const struct vendor_ops *o = vendor_current();
	if (o->child_get_regs)
		o->child_get_regs(vp, r);
	else
		o->vp_get_regs(vp, r);
}

static int child_set_regs(struct vp *vp, const struct vp_regs *r)
{
	const struct vendor_ops *o = vendor_current();
	return o->child_set_regs ? o->child_set_regs(vp, r) : o->vp_set_regs(vp, r);
}

/* ---- finding and claiming a VP -------------------------------------------------------------- */

/* The VP 'index' of p claimed for this call, or the status. */
static u16 vp_claim(struct partition *p, u32 index, struct vp **out)
{
	u16 st = HV_STATUS_SUCCESS;

	if (index >= RAUM_MAX_CHILD_VPS)
		return HV_STATUS_INVALID_VP_INDEX;
	spin_lock(&p->lock);
	struct vp *vp = p->vps[index];
	if (!vp)
		st = HV_STATUS_INVALID_VP_INDEX;
	else if (vp->claimed)
		st = HV_STATUS_INVALID_VP_STATE; /* dispatched or worked on from another CPU */
	else
		vp->claimed = 1;
	spin_unlock(&p->lock);
	*out = vp;
	return st;
}

static void vp_unclaim(struct vp *vp) { __atomic_store_n(&vp->claimed, 0, __ATOMIC_RELEASE); }

/* ---- CreateVp / DeleteVp --------------------------------------------------------------------- */

static void give_pages(struct partition *p, const u64 *pages, u32 n)
{
	for (u32 i = 0; i < n; i++)
		if (pages[i])
			pool_give(p, pages[i]);
}

u16 create_vp(struct vp *caller __unused, const void *in, void *out __unused)
{
	const struct hv_create_vp_in *q = in;
	const struct vendor_ops *ops = vendor_current();
	u32 n = ops->child_vp_pages + 1; /* the vendor's, then the XSAVE area */
	u64 pages[CHILD_VP_MAX_PAGES] = { 0 };
	struct partition *p;
	struct vp *vp;
	struct vp_regs r;

	if (q->reserved || q->flags)
		return HV_STATUS_INVALID_PARAMETER;
	if (!ops->child_vp_create) {
		pr_warn("CreateVp: child VPs are not implemented for %s yet (docs/partitions.md)", ops->name);
		return HV_STATUS_OPERATION_DENIED;
	}
	if (q->vp_index >= RAUM_MAX_CHILD_VPS)
		return HV_STATUS_INVALID_VP_INDEX;
	u16 st = child_get(q->partition_id, &p);
	if (st)
		return st;
	caps_init();
	if (__atomic_load_n(&p->vps[q->vp_index], __ATOMIC_ACQUIRE)) {
		st = HV_STATUS_INVALID_VP_INDEX; /* exists already (TLFS: the index is taken) */
		goto out;
	}
	for (u32 i = 0; i < n; i++)
		if (pool_take(p, &pages[i])) {
			give_pages(p, pages, n);
			st = HV_STATUS_INSUFFICIENT_MEMORY;
			goto out;
		}
	if (ops->child_vp_create(p, q->vp_index, pages, &vp)) {
		give_pages(p, pages, n);
		st = HV_STATUS_INSUFFICIENT_MEMORY;
		goto out;
	}
	vp->part = p;
	vp->index = q->vp_index;
	vp->life = (struct vp_life){ .state = VP_STATE_CREATED };
	vp->apic_id = q->vp_index;
	vp->slat_generation = p->slat_generation;
	vp->xcr0 = XCR0_X87;
	vp->xsave_phys = pages[n - 1];
	vp->nr_pool_pages = n;
	for (u32 i = 0; i < n; i++)
		vp->pool_pages[i] = pages[i];
	/* FXRSTOR, and XRSTOR for MXCSR, read these even from an init header: the reset FCW and MXCSR
	 * (SDM vol. 1 10.5.1, 13.8.1) */
	u8 *area = phys_to_virt(vp->xsave_phys);
	*(u16 *)(area + FX_FCW) = 0x37f;
	*(u32 *)(area + FX_MXCSR) = 0x1f80;
	vpreg_reset(&r);
	if (vendor_enter(vp)) {
		give_pages(p, pages, n);
		st = HV_STATUS_INSUFFICIENT_MEMORY; /* the vendor could not set its control block up (logged) */
		goto out;
	}
	child_set_regs(vp, &r);
	vendor_leave(vp);
	spin_lock(&p->lock);
	if (p->vps[q->vp_index]) {
		spin_unlock(&p->lock);
		give_pages(p, pages, n); /* another CPU created it meanwhile */
		st = HV_STATUS_INVALID_VP_INDEX;
		goto out;
	}
	__atomic_store_n(&p->vps[q->vp_index], vp, __ATOMIC_RELEASE);
	p->nr_vps++;
	spin_unlock(&p->lock);
out:
	child_put(p);
	return st;
}

u16 delete_vp(struct vp *caller __unused, const void *in, void *out __unused)
{
	const struct hv_delete_vp_in *q = in;
	struct partition *p;
	struct vp *vp;

	if (q->reserved)
		return HV_STATUS_INVALID_PARAMETER;
	u16 st = child_get(q->partition_id, &p);
	if (st)
		return st;
	st = vp_claim(p, q->vp_index, &vp);
	if (st == HV_STATUS_SUCCESS) {
		u64 pages[CHILD_VP_MAX_PAGES];
		u32 n = vp->nr_pool_pages;
		for (u32 i = 0; i < n; i++)
			pages[i] = vp->pool_pages[i];
		spin_lock(&p->lock);
		__atomic_store_n(&p->vps[q->vp_index], NULL, __ATOMIC_RELEASE);
		p->nr_vps--;
		spin_unlock(&p->lock);
		child_wait_shootdowns(p); /* a shootdown that found it in the table reads it until it ends */
		give_pages(p, pages, n); /* scrubbed: the VP object is among them */
	}
	child_put(p);
	return st;
}

void child_vps_release(struct partition *p)
{
	for (u32 i = 0; i < RAUM_MAX_CHILD_VPS; i++) {
		struct vp *vp = p->vps[i];
		if (!vp)
			continue;
		u64 pages[CHILD_VP_MAX_PAGES];
		u32 n = vp->nr_pool_pages;
		for (u32 k = 0; k < n; k++)
			pages[k] = vp->pool_pages[k];
		spin_lock(&p->lock);
		p->vps[i] = NULL;
		p->nr_vps--;
		spin_unlock(&p->lock);
		give_pages(p, pages, n);
	}
}

/* ---- Get/SetVpRegisters ---------------------------------------------------------------------- */

/*
 * The x87 (XCR0_X87: ST0 @32 on) or SSE (XCR0_SSE: XMM0 @160 on) part of
 * a child's XSAVE page. With XSAVE a component may be in its init state
 * (its XSTATE_BV bit clear, SDM vol. 1 13.6), its bytes stale: a read then
 * gets NULL (the caller reports the init values), a write first puts the
 * init values there and marks it present. Without XSAVE (FXSAVE) it is
 * always present.
 */
static u64 *fpu_component(struct vp *vp, u64 comp, bool write)
{
	u8 *area = phys_to_virt(vp->xsave_phys);
	u64 *xstate_bv = (u64 *)(area + 512);

	if (caps.xsave && !(*xstate_bv & comp)) {
		if (!write)
			return NULL;
		if (comp == XCR0_X87) { /* FNINIT's state: FCW 0x37f, the rest 0 (abridged FTW 0: all empty) */
			for (unsigned i = 0; i < FX_MXCSR; i++)
				area[i] = 0;
			*(u16 *)(area + FX_FCW) = 0x37f;
			for (unsigned i = 0; i < 16; i++)
				((u64 *)(area + FX_ST0))[i] = 0;
		} else {
			for (unsigned i = 0; i < 32; i++)
				((u64 *)(area + FX_XMM0))[i] = 0;
		}
		*xstate_bv |= comp;
	}
	return (u64 *)(area + (comp == XCR0_X87 ? FX_ST0 : FX_XMM0));
}

/*
 * ST0-ST7, FP_CONTROL_STATUS and XMM_CONTROL_STATUS (include/hv/abi/hvcall.h
 * has their layouts) in the child's XSAVE page. A set checks what FXRSTOR /
 * XRSTOR would fault on (MXCSR outside the CPU's mask) or silently drop
 * (bits beyond an 80-bit register, the reserved byte, FOP above 11 bits).
 * MXCSR is restored whatever XSTATE_BV says (SDM vol. 1 13.8.1): always there.
 */
static u16 fp_reg(struct vp *vp, u32 name, struct hv_register_value *get, const struct hv_register_value *set)
{
	u8 *area = phys_to_virt(vp->xsave_phys);

	if (name == HV_X64_REGISTER_XMM_CONTROL_STATUS) {
		u64 *xmm = fpu_component(vp, XCR0_SSE, false);
		if (get) {
			get->low = xmm ? *(u64 *)(area + FX_FDP) : 0;
			get->high = *(u32 *)(area + FX_MXCSR) | (u64)caps.mxcsr_mask << 32;
			return HV_STATUS_SUCCESS;
		}
		if ((u32)set->high & ~caps.mxcsr_mask)
			return HV_STATUS_INVALID_PARAMETER;
		fpu_component(vp, XCR0_X87, true); /* FDP lives in the x87 part of the state */
		*(u64 *)(area + FX_FDP) = set->low;
		*(u32 *)(area + FX_MXCSR) = (u32)set->high;
		return HV_STATUS_SUCCESS;
	}
	u64 *st0 = fpu_component(vp, XCR0_X87, false);
	if (get) {
		if (name == HV_X64_REGISTER_FP_CONTROL_STATUS)
			*get = st0 ? (struct hv_register_value){ *(u64 *)(area + FX_FCW), *(u64 *)(area + FX_FIP) }
				   : (struct hv_register_value){ 0x37f, 0 };
		else
			*get = st0 ? (struct hv_register_value){ st0[2 * (name - HV_X64_REGISTER_FP_MMX0)],
								 st0[2 * (name - HV_X64_REGISTER_FP_MMX0) + 1] & 0xffff }
				   : (struct hv_register_value){ 0 };
		return HV_STATUS_SUCCESS;
	}
	if (name == HV_X64_REGISTER_FP_CONTROL_STATUS) {
		if (((set->low >> 40) & 0xff) || (set->low >> 59))
			return HV_STATUS_INVALID_PARAMETER;
		fpu_component(vp, XCR0_X87, true);
		*(u64 *)(area + FX_FCW) = set->low;
		*(u64 *)(area + FX_FIP) = set->high;
		return HV_STATUS_SUCCESS;
	}
	if (set->high >> 16)
		return HV_STATUS_INVALID_PARAMETER;
	st0 = fpu_component(vp, XCR0_X87, true);
	st0[2 * (name - HV_X64_REGISTER_FP_MMX0)] = set->low;
	st0[2 * (name - HV_X64_REGISTER_FP_MMX0) + 1] = set->high;
	return HV_STATUS_SUCCESS;
}

/*
 * The registers Raum keeps for a child itself, and the TSC (its offset in
 * the VMCB or VMCS): DR0-DR3 (switched around
 * each dispatch, neither VMCB nor VMCS holds them) and XMM0-XMM15 in its
 * XSAVE page (the legacy region's XMM area at byte 160; a write marks the
 * SSE state present in XSTATE_BV at byte 512, SDM vol. 1 13.4). True when
 * name is one of them (*st set).
 */
static bool extra_reg(struct vp *vp, u32 name, struct hv_register_value *get, const struct hv_register_value *set,
		      u16 *st)
{
	if (name >= HV_X64_REGISTER_DR0 && name <= HV_X64_REGISTER_DR3) {
		u64 *d = &vp->child_dr[name - HV_X64_REGISTER_DR0];
		if (get)
			*get = (struct hv_register_value){ .low = *d };
		else if (set->high || !vpreg_canonical(set->low))
			*st = HV_STATUS_INVALID_PARAMETER; /* a linear address (and MOV to DRn in Raum must not fault) */
		else
			*d = set->low;
		return true;
	}
	if (name == HV_X64_REGISTER_TSC_AUX) {
		if (get)
			*get = (struct hv_register_value){ .low = vp->child_tsc_aux };
		else if (set->high || (set->low >> 32) || (!caps.tsc_aux && set->low))
			*st = HV_STATUS_INVALID_PARAMETER; /* WRMSR would #GP */
		else
			vp->child_tsc_aux = set->low;
		return true;
	}
	if (name == HV_X64_REGISTER_TSC) {
		u64 v = set ? set->low : 0;
		if (set && set->high) {
			*st = HV_STATUS_INVALID_PARAMETER;
			return true;
		}
		vendor_current()->child_tsc(vp, set != NULL, &v);
		if (get)
			*get = (struct hv_register_value){ .low = v };
		return true;
	}
	if (name >= HV_X64_REGISTER_XMM0 && name <= HV_X64_REGISTER_XMM15) {
		u64 *xmm = fpu_component(vp, XCR0_SSE, set != NULL);
		u32 i = 2 * (name - HV_X64_REGISTER_XMM0);
		if (get)
			*get = xmm ? (struct hv_register_value){ xmm[i], xmm[i + 1] } : (struct hv_register_value){ 0 };
		else {
			xmm[i] = set->low;
			xmm[i + 1] = set->high;
		}
		return true;
	}
	if ((name >= HV_X64_REGISTER_FP_MMX0 && name <= HV_X64_REGISTER_FP_CONTROL_STATUS) ||
	    name == HV_X64_REGISTER_XMM_CONTROL_STATUS) {
		*st = fp_reg(vp, name, get, set);
		return true;
	}
	return false;
}

static u16 regs_elem(const void *hdr, u32 name, struct hv_register_value *get, const struct hv_register_value *set)
{
	const struct hv_vp_registers_hdr *h = hdr;
	struct partition *p;
	struct vp *vp;
	struct vp_regs r;

	if (h->input_vtl || h->reserved[0] || h->reserved[1] || h->reserved[2])
		return HV_STATUS_INVALID_PARAMETER;
	u16 st = child_get(h->partition_id, &p);
	if (st)
		return st;
	st = vp_claim(p, h->vp_index, &vp);
	if (st == HV_STATUS_SUCCESS && vendor_enter(vp)) {
		vp_unclaim(vp);
		st = HV_STATUS_INVALID_VP_STATE;
	}
	if (st == HV_STATUS_SUCCESS) {
		child_get_regs(vp, &r);
		if (name == HV_X64_REGISTER_PENDING_INTERRUPTION || name == HV_X64_REGISTER_INTERRUPT_STATE) {
			u64 val = set ? set->low : 0;
			if ((set && (set->high || name == HV_X64_REGISTER_INTERRUPT_STATE)) ||
			    vendor_current()->child_event(vp, name, set != NULL, &val))
				st = HV_STATUS_INVALID_PARAMETER;
			else if (get)
				*get = (struct hv_register_value){ .low = val };
		} else if (extra_reg(vp, name, get, set, &st)) {
			/* DR0-DR3, XMM0-XMM15: kept by Raum, not in the vendor's control block */
		} else if (name == RAUM_REGISTER_XCR0) {
			if (get) {
				get->low = vp->xcr0;
				get->high = 0;
			} else if (!caps.xsave || set->high || !xcr0_valid(0, set->low, caps.child_xcr0)) {
				st = HV_STATUS_INVALID_PARAMETER;
			} else {
				vp->xcr0 = set->low;
			}
		} else if (get) {
			if (vpreg_get(&r, name, get))
				st = HV_STATUS_INVALID_PARAMETER;
		} else if (vpreg_set(&r, name, set, &caps.lim)) {
			st = HV_STATUS_INVALID_PARAMETER;
		} else {
			child_set_regs(vp, &r);
		}
		vendor_leave(vp);
		vp_unclaim(vp);
	}
	child_put(p);
	return st;
}

u16 get_vp_reg_elem(struct vp *caller __unused, const void *hdr, const void *in, void *out, u32 i __unused,
		    struct rep_batch *b __unused)
{
	return regs_elem(hdr, *(const u32 *)in, out, NULL);
}

u16 set_vp_reg_elem(struct vp *caller __unused, const void *hdr, const void *in, void *out __unused,
		    u32 i __unused, struct rep_batch *b __unused)
{
	const struct hv_register_assoc *a = in;

	if (a->reserved1 || a->reserved2)
		return HV_STATUS_INVALID_PARAMETER;
	return regs_elem(hdr, a->name, NULL, &a->value);
}

/* ---- DispatchVp -------------------------------------------------------------------------------- */

/* The pending intercept finished as the root emulated it: IN's data, the instruction stepped over. */
static u16 complete_pending(struct vp *vp, u64 data)
{
	u64 rax = vp->gpr[GPR_RAX];

	switch (vp->pending) {
	case CHILD_PENDING_IN:
		if (vp->pending_size == 1)
			rax = (rax & ~0xffULL) | (data & 0xff);
		else if (vp->pending_size == 2)
			rax = (rax & ~0xffffULL) | (data & 0xffff);
		else
			rax = (u32)data; /* a 32-bit destination is zero-extended (SDM vol. 1 3.4.1.1) */
		break;
	case CHILD_PENDING_RDMSR:
		rax = (u32)data;
		vendor_current()->child_set_rdx(vp, data >> 32);
		break;
	case CHILD_PENDING_STEP:
		break;
	default:
		return HV_STATUS_INVALID_PARAMETER; /* nothing to complete */
	}
	vendor_current()->child_complete(vp, rax, vp->pending_next_rip);
	vp->pending = CHILD_PENDING_NONE;
	return HV_STATUS_SUCCESS;
}

u16 dispatch_vp(struct vp *caller, const void *in, void *out)
{
	const struct raum_dispatch_in *q = in;
	struct raum_vp_exit *x = out;
	struct cpu *c = this_cpu();
	struct partition *p;
	struct vp *vp;

	if (q->reserved || (q->flags & ~RAUM_DISPATCH_COMPLETE))
		return HV_STATUS_INVALID_PARAMETER;
	u16 st = child_get(q->partition_id, &p);
	if (st)
		return st;
	st = vp_claim(p, q->vp_index, &vp);
	if (st)
		goto out_put;
	if (vp->stopped) {
		st = HV_STATUS_INVALID_VP_STATE; /* a triple fault or a failed entry ended it */
		goto out;
	}
	if (vendor_enter(vp)) {
		st = HV_STATUS_INVALID_VP_STATE;
		goto out;
	}
	if (q->flags & RAUM_DISPATCH_COMPLETE) {
		st = complete_pending(vp, q->data);
		if (st)
			goto out_leave;
	}
	vp->pending = CHILD_PENDING_NONE; /* not completed: the instruction runs again */
	if (!root_area[c->id]) {
		/* this CPU's first dispatch: its save area, and XSAVE / XGETBV / XSETBV allowed in Raum (CR4 is
		 * Raum's own in host mode; the root's is in its VMCB or VMCS) */
		if (page_alloc_zeroed(caps.root_area_pages, &root_area[c->id])) {
			st = HV_STATUS_INSUFFICIENT_MEMORY;
			goto out_leave;
		}
		if (caps.xsave)
			write_cr4(read_cr4() | CR4_OSXSAVE);
	}
	void *root_fpu = phys_to_virt(root_area[c->id]), *child_fpu = phys_to_virt(vp->xsave_phys);
	u64 root_xcr0 = caps.xsave ? xgetbv0() : 0;

	/*
	 * root -> child: DR0-DR3 first (Raum itself sets no breakpoint), then
	 * the FPU state. XSAVE and XRSTOR move only what XCR0 enables, but SSE
	 * code runs whatever XCR0.SSE says (CR4.OSFXSR is enough): so each side's
	 * x87 and SSE state moves under its XCR0 with SSE added (always a valid
	 * XCR0), and only then does its own XCR0 go in. Otherwise a child with
	 * XCR0 = x87 would read the root's XMM registers.
	 */
	u64 root_dr[4];
	dr_switch(root_dr, vp->child_dr);
	u64 root_tsc_aux = 0;
	if (caps.tsc_aux) {
		root_tsc_aux = rdmsr(MSR_TSC_AUX);
		wrmsr(MSR_TSC_AUX, vp->child_tsc_aux);
	}
	if (caps.xsave)
		xsetbv0(root_xcr0 | XCR0_SSE);
	fpu_save(root_fpu);
	if (caps.xsave) {
		xsetbv0(vp->xcr0 | XCR0_SSE);
		xsave_header_sanitize(child_fpu, vp->xcr0 | XCR0_SSE);
	}
	fpu_restore(child_fpu);
	if (caps.xsave)
		xsetbv0(vp->xcr0);
	enter_barriers();
	__atomic_store_n(&vp->life.cpu, c->id, __ATOMIC_RELAXED);
	vp->life.state = VP_STATE_RUNNING;

	vendor_current()->child_run(vp, c, x);

	/* child -> root */
	vp->life.state = VP_STATE_CREATED;
	if (caps.xsave) {
		vp->xcr0 = xgetbv0(); /* set by the child's XSETBV: valid (child_xsetbv) */
		xsetbv0(vp->xcr0 | XCR0_SSE);
	}
	fpu_save(child_fpu);
	if (caps.xsave)
		xsetbv0(root_xcr0 | XCR0_SSE);
	fpu_restore(root_fpu);
	if (caps.xsave)
		xsetbv0(root_xcr0);
	dr_switch(vp->child_dr, root_dr);
	if (caps.tsc_aux)
		wrmsr(MSR_TSC_AUX, root_tsc_aux); /* the child's changes it only through WRMSR: vp->child_tsc_aux */
	ibpb();
	if (x->kind == RAUM_VPEXIT_SHUTDOWN || (x->kind == RAUM_VPEXIT_FAILED && !(x->flags & RAUM_VPEXIT_F_REFUSED))) {
		vp->stopped = true;
		pr_info("partition %llu vp%u stopped: %s (rip %#llx)", (unsigned long long)p->ext_id, vp->index, x->why,
			(unsigned long long)x->rip);
	}
	(void)caller;
out_leave:
	vendor_leave(vp);
out:
	vp_unclaim(vp);
out_put:
	child_put(p);
	return st;
}

/* ---- InstallIntercept ------------------------------------------------------------------------ */

u16 install_intercept(struct vp *caller __unused, const void *in, void *out __unused)
{
	const struct hv_install_intercept_in *q = in;
	struct partition *p;
	u16 st = HV_STATUS_SUCCESS;

	if (q->intercept_type > HV_INTERCEPT_TYPE_EXCEPTION || !q->access_type ||
	    (q->access_type & ~(u32)(HV_INTERCEPT_ACCESS_READ | HV_INTERCEPT_ACCESS_WRITE)) ||
	    q->parameter > 0xffffffffULL)
		return HV_STATUS_INVALID_PARAMETER;
	if (q->intercept_type == HV_INTERCEPT_TYPE_EXCEPTION &&
	    (q->parameter > 31 || !(RAUM_INTERCEPT_EXCEPTIONS & (1u << q->parameter))))
		return HV_STATUS_INVALID_PARAMETER; /* #NMI, #BP, #OF, #DF, #MC, reserved vectors */
	st = child_get(q->partition_id, &p);
	if (st)
		return st;
	spin_lock(&p->lock);
	if (q->intercept_type == HV_INTERCEPT_TYPE_EXCEPTION) {
		/* read by the run loops at each dispatch (child_exception_bitmap) */
		__atomic_or_fetch(&p->exc_icpt, 1u << q->parameter, __ATOMIC_RELEASE);
	} else if (q->intercept_type == HV_INTERCEPT_TYPE_X64_CPUID) {
		if (child_cpuid_intercepted(p, (u32)q->parameter))
			; /* installed already */
		else if (p->nr_cpuid_icpt == RAUM_MAX_INTERCEPTS)
			st = HV_STATUS_NO_RESOURCES;
		else {
			p->cpuid_icpt[p->nr_cpuid_icpt] = (u32)q->parameter;
			__atomic_store_n(&p->nr_cpuid_icpt, p->nr_cpuid_icpt + 1, __ATOMIC_RELEASE);
		}
	} else if (q->intercept_type == HV_INTERCEPT_TYPE_X64_MSR) {
		u32 i;
		for (i = 0; i < p->nr_msr_icpt && p->msr_icpt[i] != (u32)q->parameter; i++)
			;
		if (i < p->nr_msr_icpt) {
			__atomic_or_fetch(&p->msr_icpt_access[i], (u8)q->access_type, __ATOMIC_RELEASE);
		} else if (i == RAUM_MAX_INTERCEPTS) {
			st = HV_STATUS_NO_RESOURCES;
		} else {
			p->msr_icpt[i] = (u32)q->parameter;
			p->msr_icpt_access[i] = (u8)q->access_type;
			__atomic_store_n(&p->nr_msr_icpt, i + 1, __ATOMIC_RELEASE);
		}
	} /* IO_PORT: every port of a child exits already */
	spin_unlock(&p->lock);
	child_put(p);
	return st;
}

bool child_cpuid_exit(struct vp *vp, struct raum_vp_exit *x, u64 next_rip)
{
	u32 leaf = (u32)vp->gpr[GPR_RAX];

	if (__builtin_expect(!child_cpuid_intercepted(vp->part, leaf), 1))
		return false;
	x->kind = RAUM_VPEXIT_CPUID;
	x->index = leaf;
	x->data = (u32)vp->gpr[GPR_RCX];
	vp->pending = CHILD_PENDING_STEP;
	vp->pending_next_rip = next_rip;
	return true;
}

bool child_msr_exit(struct vp *vp, struct raum_vp_exit *x, bool write, u64 next_rip)
{
	u32 msr = (u32)vp->gpr[GPR_RCX];

	if (__builtin_expect(!child_msr_intercepted(vp->part, msr, write), 1))
		return false;
	x->kind = RAUM_VPEXIT_MSR;
	x->index = msr;
	x->flags = write ? RAUM_VPEXIT_F_WRITE : 0;
	x->data = write ? (vp->gpr[GPR_RDX] << 32) | (u32)vp->gpr[GPR_RAX] : 0;
	vp->pending = write ? CHILD_PENDING_STEP : CHILD_PENDING_RDMSR;
	vp->pending_next_rip = next_rip;
	return true;
}

/* ---- Exceptions and instruction bytes ----------------------------------------------------------- */

/* A child's page-table entry, read through its GPA map (gwalk's read_pte). */
static int child_read_pte(void *ctx, u64 gpa, u64 *pte)
{
	return child_read_gpa(ctx, gpa, pte, 8);
}

void child_fetch_insn(struct vp *vp, struct raum_vp_exit *x)
{
	struct vp_ctrl c;
	u32 len = 0;

	vp_get_ctrl(vp, &c);
	struct gwalk w = { c.cr0, c.cr3, c.cr4, c.efer, child_read_pte, vp->part };
	u64 va = c.mode == 64 ? vp->rip : c.cs_base + vp->rip; /* CS's base is ignored in 64-bit mode */
	while (len < 15) {
		u64 gpa;
		if (c.mode != 64)
			va &= 0xffffffffULL; /* the linear address wraps at 4 GiB outside 64-bit mode */
		u32 chunk = MIN(15 - len, PAGE_SIZE - (u32)(va & (PAGE_SIZE - 1)));
		if (gwalk_any(&w, va, &gpa) || child_read_gpa(vp->part, gpa, x->insn + len, chunk))
			break;
		len += chunk;
		va += chunk;
	}
	x->insn_len = (u8)len;
}

void child_db_deliver_state(u64 dr6, u64 *rflags, u64 *dr7)
{
	for (int i = 0; i < 4; i++)
		if ((dr6 & BIT(i)) && !((*dr7 >> (16 + 4 * i)) & 3))
			*rflags |= RFLAGS_RF;
	if (dr6 & DR6_BD)
		*dr7 &= ~DR7_GD;
}

enum exit_action child_tsc_aux_msr(struct vp *vp, bool write)
{
	if (!caps.tsc_aux || (write && (u32)vp->gpr[GPR_RDX])) {
		vp_inject_exception(vp, 13, true, 0);
		return EXIT_RESUME;
	}
	if (write) {
		vp->child_tsc_aux = (u32)vp->gpr[GPR_RAX];
		wrmsr(MSR_TSC_AUX, vp->child_tsc_aux); /* live for its RDTSCP / RDPID until the dispatch ends */
	} else {
		vp->gpr[GPR_RAX] = (u32)vp->child_tsc_aux;
		vp->gpr[GPR_RDX] = 0;
	}
	return EXIT_ADVANCE;
}

u32 child_exception_bitmap(const struct partition *p)
{
	return CHILD_EXC_ALWAYS | __atomic_load_n(&p->exc_icpt, __ATOMIC_ACQUIRE);
}

bool child_exception_exit(struct vp *vp, struct raum_vp_exit *x, u8 vector, bool has_error, u32 error, u64 address)
{
	if (vector > 31 || !(__atomic_load_n(&vp->part->exc_icpt, __ATOMIC_ACQUIRE) & (1u << vector)))
		return false;
	x->kind = RAUM_VPEXIT_EXCEPTION;
	x->index = vector;
	x->flags = has_error ? RAUM_VPEXIT_F_ERROR_CODE : 0;
	x->error_code = has_error ? error : 0;
	x->address = vector == 14 ? address : 0;
	child_fetch_insn(vp, x);
	return true;
}

bool child_cpuid_intercepted(const struct partition *p, u32 leaf)
{
	u32 n = __atomic_load_n(&p->nr_cpuid_icpt, __ATOMIC_ACQUIRE);

	for (u32 i = 0; i < n; i++)
		if (p->cpuid_icpt[i] == leaf)
			return true;
	return false;
}

bool child_msr_intercepted(const struct partition *p, u32 msr, bool write)
{
	u32 n = __atomic_load_n(&p->nr_msr_icpt, __ATOMIC_ACQUIRE);

	for (u32 i = 0; i < n; i++)
		if (p->msr_icpt[i] == msr)
			return __atomic_load_n(&p->msr_icpt_access[i], __ATOMIC_ACQUIRE) &
			       (write ? HV_INTERCEPT_ACCESS_WRITE : HV_INTERCEPT_ACCESS_READ);
	return false;
}
