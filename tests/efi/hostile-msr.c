// SPDX-License-Identifier: MIT
/*
 * The hostile-root suite: MSRs. Each access runs with interrupts off; what an
 * access changed is put back at once. The emulators answer many MSRs with #GP
 * themselves and QEMU ignores unknown writes, so a refusal is asserted through
 * Raum's own account: msr_denied went up by exactly one and last_denied_msr /
 * last_denied_write name this access. Allowed accesses are not counted.
 * MTRRs are not refused but shadowed: the root reads back what it wrote and
 * mtrr_writes counts each write.
 */
#include "hostile.h"

/* Besides the MSRs of include/raum/x86-regs.h: */
#define MSR_BIOS_UPDT_TRIG 0x79
#define MSR_PEBS_ENABLE 0x3f1
#define MSR_RTIT_OUTPUT_BASE 0x560
#define MSR_RTIT_OUTPUT_MASK_PTRS 0x561
#define MSR_RTIT_CTL 0x570
#define MSR_DS_AREA 0x600
#define MSR_UNLISTED 0x40001234
#define MSR_AMD_HWCR 0xc0010015
#define MSR_AMD_IORR_BASE0 0xc0010016
#define MSR_AMD_IORR_MASK0 0xc0010017
#define MSR_AMD_TOP_MEM 0xc001001a
#define MSR_AMD_TOM2 0xc001001d
#define MSR_AMD_PATCH_LOADER 0xc0010020
#define MSR_AMD_MMIO_CFG_BASE 0xc0010058

#define MTRR_DEF_E (1ULL << 11)
#define MTRR_MASK_VALID (1ULL << 11)

static long msr_rd(UINT32 msr, UINT64 *val)
{
	struct msr_op o = { msr, 0 };
	long v = guarded(do_rdmsr, &o);
	*val = o.val;
	return v;
}

static long msr_wr(UINT32 msr, UINT64 val)
{
	struct msr_op o = { msr, val };
	return guarded(do_wrmsr, &o);
}

static UINT64 msr_or_zero(UINT32 msr)
{
	UINT64 x = 0;
	UINT64 f = irq_save();
	if (msr_rd(msr, &x) != NO_TRAP)
		x = 0;
	irq_restore(f);
	return x;
}

/* A write Raum must refuse with #GP and count. Put back should the write have gone through. */
static void refused_write(const char *name, UINT32 msr, UINT64 val)
{
	struct snap b, a;
	UINT64 orig = 0;
	UINT64 f = irq_save();
	long vr = msr_rd(msr, &orig);

	snap(&b);
	long v = msr_wr(msr, val);
	snap(&a); /* before putting back: a relocated APIC page over the canary shows here */
	if (v == NO_TRAP)
		msr_wr(msr, vr == NO_TRAP ? orig : 0);
	irq_restore(f);
	judge(name,
	      v == 13 && b.ok && a.h.msr_denied - b.h.msr_denied == 1 && a.h.last_denied_msr == msr &&
		      a.h.last_denied_write == 1,
	      &a, L"WRMSR %x = %lx: %a (expected #GP); msr_denied +%ld (expected +1), last denied %x write %d",
	      msr, val, vec_name(v), a.h.msr_denied - b.h.msr_denied, a.h.last_denied_msr, a.h.last_denied_write);
}

/* A read Raum must refuse with #GP and count. */
static void refused_read(const char *name, UINT32 msr)
{
	struct snap b, a;
	UINT64 val = 0;
	UINT64 f = irq_save();

	snap(&b);
	long v = msr_rd(msr, &val);
	snap(&a);
	irq_restore(f);
	judge(name,
	      v == 13 && b.ok && a.h.msr_denied - b.h.msr_denied == 1 && a.h.last_denied_msr == msr &&
		      a.h.last_denied_write == 0,
	      &a, L"RDMSR %x: %a, value %lx (expected #GP); msr_denied +%ld (expected +1), last denied %x write %d",
	      msr, vec_name(v), val, a.h.msr_denied - b.h.msr_denied, a.h.last_denied_msr, a.h.last_denied_write);
}

/* A read Raum allows: no #GP, not counted. */
static void allowed_read(const char *name, UINT32 msr)
{
	struct snap b, a;
	UINT64 val = 0;
	UINT64 f = irq_save();

	snap(&b);
	long v = msr_rd(msr, &val);
	snap(&a);
	irq_restore(f);
	judge(name, v == NO_TRAP && b.ok && a.h.msr_denied == b.h.msr_denied, &a,
	      L"RDMSR %x: %a (expected none), value %lx; msr_denied +%ld (expected +0)", msr, vec_name(v), val,
	      a.h.msr_denied - b.h.msr_denied);
}

static void check_apic_base(void)
{
	struct snap b, a;
	UINT64 base = msr_or_zero(MSR_IA32_APIC_BASE);

	/* moved onto Raum's canary, the enable bits (BSP 8, x2APIC 10, enable 11) kept */
	refused_write("msr.apic_base_onto_canary_refused", MSR_IA32_APIC_BASE, canary_phys | (base & 0xfffULL));

	UINT64 f = irq_save();
	snap(&b);
	long v = msr_wr(MSR_IA32_APIC_BASE, base);
	UINT64 again = 0;
	long v2 = msr_rd(MSR_IA32_APIC_BASE, &again);
	snap(&a);
	irq_restore(f);
	judge("msr.apic_base_same_allowed",
	      v == NO_TRAP && v2 == NO_TRAP && again == base && b.ok && a.h.msr_denied == b.h.msr_denied, &a,
	      L"WRMSR APIC_BASE %lx (its value): %a; read back %lx (%a); msr_denied +%ld (expected +0)", base,
	      vec_name(v), again, vec_name(v2), a.h.msr_denied - b.h.msr_denied);
}

static void check_fs_base(void)
{
	struct snap b, a;
	const UINT64 val = 0x0000123456789000ULL;
	UINT64 f = irq_save();
	UINT64 orig = rdmsr(MSR_FS_BASE), back = 0;

	snap(&b);
	long v = msr_wr(MSR_FS_BASE, val);
	long v2 = msr_rd(MSR_FS_BASE, &back);
	snap(&a);
	wrmsr(MSR_FS_BASE, orig);
	irq_restore(f);
	judge("msr.fs_base_round_trip",
	      v == NO_TRAP && v2 == NO_TRAP && back == val && b.ok && a.h.msr_denied == b.h.msr_denied, &a,
	      L"WRMSR FS_BASE %lx: %a; read back %lx (%a); msr_denied +%ld (expected +0)", val, vec_name(v), back,
	      vec_name(v2), a.h.msr_denied - b.h.msr_denied);
}

/* One shadowed MTRR write: no #GP, read back as written, mtrr_writes +1, msr_denied +0. */
static BOOLEAN mtrr_write(UINT32 msr, UINT64 val, CHAR16 *why, UINTN why_size)
{
	struct snap b, a;
	UINT64 back = 0;
	UINT64 f = irq_save();

	snap(&b);
	long v = msr_wr(msr, val);
	long v2 = msr_rd(msr, &back);
	snap(&a);
	irq_restore(f);
	BOOLEAN ok = v == NO_TRAP && v2 == NO_TRAP && back == val && b.ok && a.ok && a.h.canary_ok == 1 &&
		     a.h.mtrr_writes - b.h.mtrr_writes == 1 && a.h.msr_denied == b.h.msr_denied;
	if (!ok)
		UnicodeSPrint(why, why_size,
			      L"WRMSR %x = %lx: %a; read back %lx (%a); mtrr_writes +%ld (expected +1), msr_denied +%ld "
			      L"(expected +0), canary_ok %d",
			      msr, val, vec_name(v), back, vec_name(v2), a.h.mtrr_writes - b.h.mtrr_writes,
			      a.h.msr_denied - b.h.msr_denied, a.h.canary_ok);
	return ok;
}

static void mtrr_check(const char *name, UINT32 msr, UINT64 val)
{
	CHAR16 why[240];

	if (mtrr_write(msr, val, why, sizeof(why)))
		pass(name);
	else
		fail(name, L"%s", why);
}

static void check_mtrrs(void)
{
	UINT32 r[4];
	UINT64 def = 0, base0 = 0, mask0 = 0, cap = 0;
	CHAR16 why[240];

	cpuid(1, 0, r);
	UINT64 f = irq_save();
	long v = msr_rd(MSR_IA32_MTRRCAP, &cap);
	v = v == NO_TRAP ? msr_rd(MSR_IA32_MTRR_DEF_TYPE, &def) : v;
	v = v == NO_TRAP ? msr_rd(MSR_IA32_MTRR_PHYSBASE(0), &base0) : v;
	v = v == NO_TRAP ? msr_rd(MSR_IA32_MTRR_PHYSMASK(0), &mask0) : v;
	irq_restore(f);
	if (!(r[3] & (1U << 12)) || v != NO_TRAP || !(cap & 0xff)) {
		fail("mtrr.setup", L"no MTRRs: CPUID.1:EDX %08x, reads %a, MTRRcap %lx", r[3], vec_name(v), cap);
		return;
	}
	Print(L"RAUM-CHECK INFO MTRR def_type %lx, physbase0 %lx, physmask0 %lx\n", def, base0, mask0);

	UINT64 addr_mask = ((1ULL << phys_bits) - 1) & ~(PAGE - 1);
	mtrr_check("mtrr.def_type_shadowed", MSR_IA32_MTRR_DEF_TYPE, def & ~MTRR_DEF_E);
	mtrr_check("mtrr.physbase0_shadowed", MSR_IA32_MTRR_PHYSBASE(0), canary_phys | 0 /* UC */);
	mtrr_check("mtrr.physmask0_shadowed", MSR_IA32_MTRR_PHYSMASK(0), addr_mask | MTRR_MASK_VALID);

	/* put back: the mask first (the pair off while its base changes), then the base, then the default */
	CHAR16 why2[240], why3[240];
	BOOLEAN ok1 = mtrr_write(MSR_IA32_MTRR_PHYSMASK(0), mask0, why, sizeof(why));
	BOOLEAN ok2 = mtrr_write(MSR_IA32_MTRR_PHYSBASE(0), base0, why2, sizeof(why2));
	BOOLEAN ok3 = mtrr_write(MSR_IA32_MTRR_DEF_TYPE, def, why3, sizeof(why3));
	if (!ok1)
		;
	else if (!ok2)
		StrCpy(why, why2);
	else if (!ok3)
		StrCpy(why, why3);
	if (ok1 && ok2 && ok3)
		pass("mtrr.restored");
	else
		fail("mtrr.restored", L"%s", why);

	/* type 2 is reserved: #GP as the hardware gives it (Raum may count it or not) */
	struct snap a;
	UINT64 bad = (def & ~0xffULL) | 2, back = 0;
	f = irq_save();
	v = msr_wr(MSR_IA32_MTRR_DEF_TYPE, bad);
	long v2 = msr_rd(MSR_IA32_MTRR_DEF_TYPE, &back);
	snap(&a);
	if (v == NO_TRAP)
		msr_wr(MSR_IA32_MTRR_DEF_TYPE, def);
	irq_restore(f);
	judge("mtrr.def_type_invalid_gp", v == 13 && v2 == NO_TRAP && back == def, &a,
	      L"WRMSR MTRR_DEF_TYPE %lx: %a (expected #GP); read back %lx (%a), expected %lx", bad, vec_name(v), back,
	      vec_name(v2), def);
}

void hostile_msr(void)
{
	check_apic_base();
	refused_write("msr.rtit_output_base_refused", MSR_RTIT_OUTPUT_BASE, canary_phys);
	refused_write("msr.rtit_output_mask_refused", MSR_RTIT_OUTPUT_MASK_PTRS, 0x7f);
	refused_write("msr.rtit_ctl_refused", MSR_RTIT_CTL, 1); /* TraceEn */
	refused_write("msr.ds_area_refused", MSR_DS_AREA, canary_phys);
	refused_write("msr.pebs_enable_refused", MSR_PEBS_ENABLE, 1);
	refused_write("msr.bios_updt_trig_refused", MSR_BIOS_UPDT_TRIG, canary_phys);
	refused_write("msr.patch_loader_refused", MSR_AMD_PATCH_LOADER, canary_phys);
	if (vendor == VENDOR_AMD) {
		UINT64 addr_mask = ((1ULL << phys_bits) - 1) & ~(PAGE - 1);
		refused_write("msr.iorr_base0_refused", MSR_AMD_IORR_BASE0, canary_phys | 0x18); /* RdMem, WrMem */
		refused_write("msr.iorr_mask0_refused", MSR_AMD_IORR_MASK0, addr_mask | (1ULL << 11));
		refused_write("msr.top_mem_write_refused", MSR_AMD_TOP_MEM, canary_phys & ~0x7fffffULL);
		refused_write("msr.tom2_write_refused", MSR_AMD_TOM2, 1ULL << 32);
		refused_write("msr.mmio_cfg_base_refused", MSR_AMD_MMIO_CFG_BASE,
			      (canary_phys & ~0xfffffULL) | (8 << 2) | 1); /* 256 buses, enabled */
		refused_write("msr.syscfg_write_refused", MSR_AMD64_SYSCFG, msr_or_zero(MSR_AMD64_SYSCFG) | (1ULL << 23));
		refused_write("msr.hwcr_write_refused", MSR_AMD_HWCR, msr_or_zero(MSR_AMD_HWCR) ^ (1ULL << 4));
		allowed_read("msr.top_mem_read_allowed", MSR_AMD_TOP_MEM);
		allowed_read("msr.syscfg_read_allowed", MSR_AMD64_SYSCFG);
	} else {
		refused_read("msr.vmx_0x492_read_refused", 0x492);
		refused_read("msr.vmx_0x493_read_refused", 0x493);
	}
	refused_read("msr.unlisted_read_refused", MSR_UNLISTED);
	refused_write("msr.unlisted_write_refused", MSR_UNLISTED, 0);
	check_fs_base();
	check_mtrrs();
}
