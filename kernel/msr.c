// SPDX-License-Identifier: MIT
/*
 * Intercepted MSR accesses of the root: the policy of kernel/msrpolicy.c
 * (docs/security.md) put into effect. Denied accesses raise #GP, are
 * counted in the health counters and logged (the first ones); emulated
 * ones are checked here; the rest is done on the hardware with the
 * fault-safe RDMSR / WRMSR, so the root sees the hardware's own answer.
 */
#include <raum/health.h>
#include <raum/icr.h>
#include <raum/log.h>
#include <raum/smp.h>
#include <raum/msrpolicy.h>
#include <raum/vendor.h>
#include <raum/x86.h>

#define DENIED_LOG_MAX 64 /* log lines for the first denials; the counter goes on */

static enum exit_action deny(struct vp *vp, u32 msr, bool write)
{
	u64 n = health_add(&health.msr_denied, 1);

	health.last_denied_msr = msr; /* the latest: racing CPUs may pair it with the other's direction */
	health.last_denied_write = write;
	if (n <= DENIED_LOG_MAX)
		pr_warn("vp%u: %s of MSR %#x denied (#GP): not on the root's MSR allowlist%s", vp->index,
			write ? "write" : "read", msr, n == DENIED_LOG_MAX ? " (further denials are only counted)" : "");
	vp_inject_exception(vp, 13, true, 0);
	return EXIT_RESUME;
}

static enum exit_action gp(struct vp *vp)
{
	vp_inject_exception(vp, 13, true, 0);
	return EXIT_RESUME;
}

static enum exit_action emulate(struct vp *vp, u32 msr, bool write, u64 v)
{
	u64 cur;

	switch (msr) {
	case MSR_IA32_APIC_BASE:
		if (!msr_apic_base_ok(v, vp->part->hv_base, vp->part->hv_size))
			return deny(vp, msr, write);
		/* the xAPIC page stays where smp_init made it read-only: moved, it would let INIT through */
		if (vp->part->apic_base && (v & APIC_BASE_ADDR_MASK) != vp->part->apic_base)
			return deny(vp, msr, write);
		return exit_msr_forward(vp, write);
	case APIC_MSR_ICR:
		return write ? apic_x2icr_write(vp, v) : exit_msr_forward(vp, write);
	case MSR_IA32_UCODE_REV:
		/* SDM vol. 3A 10.11.7: write 0, CPUID, then read the revision */
		return v == 0 ? exit_msr_forward(vp, write) : deny(vp, msr, write);
	case MSR_IA32_MISC_ENABLE:
	case MSR_AMD_NB_CFG:
		/* only some bits may change: compare with the hardware's value */
		if (msr_read_safe(msr, &cur))
			return gp(vp);
		if (msr == MSR_IA32_MISC_ENABLE ? msr_misc_enable_ok(cur, v) : msr_nb_cfg_ok(cur, v))
			return exit_msr_forward(vp, write);
		return deny(vp, msr, write);
	default:
		break;
	}
	/* the rest are the MTRRs (the policy table emulates nothing else) */
	if (!vp->mtrr_present)
		return gp(vp); /* a CPU without MTRRs has none of these */
	if (write) {
		if (mtrr_shadow_write(&vp->mtrr, msr, v))
			return gp(vp);
		health_add(&health.mtrr_writes, 1);
		return EXIT_ADVANCE;
	}
	if (mtrr_shadow_read(&vp->mtrr, msr, &v))
		return gp(vp);
	vp->gpr[GPR_RAX] = (u32)v;
	vp->gpr[GPR_RDX] = v >> 32;
	return EXIT_ADVANCE;
}

/*
 * The one MSR handler of every intercepted RDMSR / WRMSR, both vendors
 * (kernel/dispatch.c): the policy decides, and MSR_VENDOR hands the access
 * to the backend's msr_vendor op. Synthetic MSRs (the TLFS range
 * 0x40000000-0x400000ff) come first here once Raum emulates any; today the
 * policy denies them like any MSR without a rule.
 */
enum exit_action exit_msr(struct vp *vp, bool write)
{
	u32 msr = (u32)vp->gpr[GPR_RCX];
	u64 v = (vp->gpr[GPR_RDX] << 32) | (u32)vp->gpr[GPR_RAX];

	switch (msr_policy(vendor_current()->vendor, msr, write)) {
	case MSR_PASS:
	case MSR_FORWARD:
		/* PASS lands here only for MSRs outside the bitmap's ranges, which always exit */
		return exit_msr_forward(vp, write);
	case MSR_EMULATE:
		return emulate(vp, msr, write, v);
	case MSR_VENDOR: /* EFER, VM_CR, FEATURE_CONTROL, DEBUGCTL, PerfEvtSel: the backend's (svm/, vmx/) */
		return vendor_current()->msr_vendor(vp, msr, write);
	case MSR_DENY:
	default:
		return deny(vp, msr, write);
	}
}

void msr_policy_bitmap(u32 first, u32 count, void (*set)(void *ctx, u32 msr, bool rd, bool wr), void *ctx)
{
	u32 vendor = vendor_current()->vendor;

	for (u32 m = first; m - first < count; m++) {
		bool rd = msr_policy(vendor, m, false) != MSR_PASS;
		bool wr = msr_policy(vendor, m, true) != MSR_PASS;
		if (rd || wr)
			set(ctx, m, rd, wr);
	}
}

void mtrr_read_hw(struct mtrr_state *m)
{
	static const u32 fixed[MTRR_NR_FIXED] = { 0x250, 0x258, 0x259, 0x268, 0x269, 0x26a,
						  0x26b, 0x26c, 0x26d, 0x26e, 0x26f };
	struct cpuid_regs r1 = cpuid(1, 0), e8 = cpuid(0x80000008, 0);

	*m = (struct mtrr_state){ .phys_bits = e8.eax & 0xff };
	if (!(r1.edx & BIT(12)))
		return; /* no MTRRs: def_type 0 = disabled = UC, which the CPU then uses too */
	m->cap = rdmsr(MSR_IA32_MTRRCAP);
	m->def_type = rdmsr(MSR_IA32_MTRR_DEF_TYPE);
	if (m->cap & MTRRCAP_FIX)
		for (int i = 0; i < MTRR_NR_FIXED; i++)
			m->fixed[i] = rdmsr(fixed[i]);
	m->nvar = MIN((u32)(m->cap & MTRRCAP_VCNT_MASK), (u32)MTRR_NR_VAR);
	for (u32 i = 0; i < m->nvar; i++) {
		m->var_base[i] = rdmsr(MSR_IA32_MTRR_PHYSBASE(i));
		m->var_mask[i] = rdmsr(MSR_IA32_MTRR_PHYSMASK(i));
	}
}

void vp_msr_init(struct vp *vp)
{
	vp->mtrr_present = cpuid(1, 0).edx & BIT(12);
	mtrr_read_hw(&vp->mtrr);
	vp->mtrr.phys_bits = vp->part->phys_bits; /* the reduced width under SME / TME-MK (mm/memcrypt.c) */
	vp_spec_ctrl_init(&vp->spec_ctrl);
}
