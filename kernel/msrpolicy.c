// SPDX-License-Identifier: MIT
/*
 * The root partition's MSR allowlist: see include/raum/msrpolicy.h and the
 * table in docs/security.md (keep the two in step). Everything not listed
 * here is denied with #GP both ways.
 *
 * What the root must never reach, and why it is absent or denied below:
 *   - address decoding: IA32_APIC_BASE onto Raum's memory (emulated), AMD
 *     IORRs, TOP_MEM / TOM2, MMIO_CFG_BASE, SYSCFG (SME, MTRR fixed-range
 *     modification), TME_ACTIVATE;
 *   - the CPU writing memory on its own: Intel PT (RTIT_*), DS_AREA and PEBS,
 *     LBR / BTS storage, microcode loading (BIOS_UPDT_TRIG, PATCH_LOADER);
 *   - caching: the MTRRs are shadowed (kernel/msr.c), HWCR (INVD as WBINVD,
 *     memory types) and the AMD CPUID overrides are read-only;
 *   - NX: IA32_MISC_ENABLE's XD-disable bit (only harmless bits may change);
 *   - virtualization itself: EFER.SVME, VM_CR, VM_HSAVE_PA, FEATURE_CONTROL
 *     and the VMX capability MSRs (backend-emulated or denied), SMM ranges.
 */
#include <raum/bootinfo.h>
#include <raum/msrpolicy.h>

#define A MSR_V_AMD
#define I MSR_V_INTEL
#define B MSR_V_ALL
#define P MSR_PASS
#define F MSR_FORWARD
#define E MSR_EMULATE
#define V MSR_VENDOR
#define D MSR_DENY

/* Sorted by first MSR; one vendor's rules never overlap (checked by the unit test). */
static const struct msr_rule rules[] = {
	{ 0x00000010, 0x00000010, B, P, P, "TSC: the root's clock; Raum keeps no time from it" },
	{ 0x00000017, 0x00000017, I, P, D, "PLATFORM_ID: read by the microcode driver" },
	{ 0x0000001b, 0x0000001b, B, P, E, "APIC_BASE: writes checked: the xAPIC page never over Raum's memory" },
	{ 0x00000034, 0x00000035, I, P, D, "SMI_COUNT, CORE_THREAD_COUNT: read-only counts" },
	{ 0x0000003a, 0x0000003a, I, V, V, "FEATURE_CONTROL: locked, VMX shown off (vmx/exit.c)" },
	{ 0x0000003b, 0x0000003b, B, P, P, "TSC_ADJUST: the root's clock, per CPU" },
	{ 0x00000048, 0x00000049, B, P, P, "SPEC_CTRL, PRED_CMD: speculation controls, hot on context switches" },
	{ 0x0000008b, 0x0000008b, B, P, E, "UCODE_REV: read; only the write of 0 that precedes the read" },
	{ 0x000000c1, 0x000000c8, I, P, P, "PMC0-7: performance counters (count, write no memory)" },
	{ 0x000000ce, 0x000000ce, I, P, D, "PLATFORM_INFO: read-only ratios and capabilities" },
	{ 0x000000e1, 0x000000e1, I, P, P, "UMWAIT_CONTROL: limits the root's own waits" },
	{ 0x000000e2, 0x000000e2, I, P, D, "PKG_CST_CONFIG_CONTROL: read-only for the root" },
	{ 0x000000e7, 0x000000e8, B, P, P, "MPERF, APERF: frequency feedback counters" },
	{ 0x000000fe, 0x000000fe, B, E, D, "MTRRCAP: read from the shadow, read-only" },
	{ 0x0000010a, 0x0000010b, I, P, P, "ARCH_CAPABILITIES (read-only), FLUSH_CMD: mitigations" },
	{ 0x0000010f, 0x0000010f, I, P, P, "TSX_FORCE_ABORT: a mitigation" },
	{ 0x00000122, 0x00000123, I, P, P, "TSX_CTRL, MCU_OPT_CTRL: mitigations" },
	{ 0x00000140, 0x00000140, I, P, P, "MISC_FEATURES_ENABLES: CPUID faulting at CPL > 0 (Raum runs at CPL 0)" },
	{ 0x00000174, 0x00000176, B, P, P, "SYSENTER_CS/ESP/EIP: guest state in the VMCB / VMCS" },
	{ 0x00000179, 0x0000017b, B, P, P, "MCG_CAP, MCG_STATUS, MCG_CTL: machine-check reporting is the root's" },
	{ 0x00000186, 0x0000018d, I, P, P, "PERFEVTSEL0-7: event selectors (PMIs are the root's interrupts)" },
	{ 0x00000198, 0x0000019c, I, P, P, "PERF_STATUS/CTL, clock modulation, thermal: clocking, not memory" },
	{ 0x000001a0, 0x000001a0, B, P, E, "MISC_ENABLE: only harmless bits may change (never XD disable)" },
	{ 0x000001a2, 0x000001a2, I, P, D, "TEMPERATURE_TARGET: read-only for the root" },
	{ 0x000001ad, 0x000001ad, I, P, D, "TURBO_RATIO_LIMIT: read-only for the root" },
	{ 0x000001b0, 0x000001b2, I, P, P, "ENERGY_PERF_BIAS, package thermal: power management" },
	{ 0x000001d9, 0x000001d9, I, P, P, "DEBUGCTL: guest state, cleared by every VM exit (SDM 28.5.1)" },
	{ 0x000001d9, 0x000001d9, A, V, V, "DEBUGCTL: the root's, switched (LBR virtualization or svm_enter): LBR / BTF never on in Raum" },
	{ 0x000001fc, 0x000001fc, I, P, P, "POWER_CTL: C1E promotion, power management (Linux writes it)" },
	{ 0x00000200, 0x0000021f, B, E, E, "MTRR PHYSBASE/PHYSMASK: shadowed, the hardware keeps the firmware's" },
	{ 0x00000250, 0x00000250, B, E, E, "MTRR FIX64K: shadowed" },
	{ 0x00000258, 0x00000259, B, E, E, "MTRR FIX16K: shadowed" },
	{ 0x00000268, 0x0000026f, B, E, E, "MTRR FIX4K: shadowed" },
	{ 0x00000277, 0x00000277, B, P, P, "PAT: guest state in the VMCB / VMCS, switched on entry and exit" },
	{ 0x00000280, 0x0000029f, I, P, P, "MCi_CTL2: corrected-error interrupts, the root's" },
	{ 0x000002ff, 0x000002ff, B, E, E, "MTRR_DEF_TYPE: shadowed (Linux clears E while it rewrites them)" },
	{ 0x00000309, 0x0000030b, I, P, P, "FIXED_CTR0-2: performance counters" },
	{ 0x00000345, 0x00000345, I, P, D, "PERF_CAPABILITIES: read-only" },
	{ 0x0000038d, 0x00000390, I, P, P, "FIXED_CTR_CTRL, PERF_GLOBAL_*: counter control (no PEBS, no DS)" },
	{ 0x00000400, 0x0000047f, B, P, P, "MCi_CTL/STATUS/ADDR/MISC: machine-check banks, the root's" },
	{ 0x000004c1, 0x000004c8, I, P, P, "full-width PMC0-7: performance counters" },
	{ 0x000006a0, 0x000006a8, I, P, P, "CET: enforced only with CR4.CET, which Raum's host CR4 never has" },
	{ 0x000006e0, 0x000006e0, I, P, P, "TSC_DEADLINE: the root's APIC timer, hot" },
	{ 0x00000770, 0x00000777, I, P, P, "HWP: hardware P-states, power management" },
	{ 0x00000800, 0x0000082f, I, P, P, "x2APIC: the root owns its local APIC (no page to move), EOI is hot" },
	{ 0x00000830, 0x00000830, I, P, E, "x2APIC ICR: INIT and SIPI are emulated, every other IPI sent as written" },
	{ 0x00000831, 0x000008ff, I, P, P, "x2APIC: the root owns its local APIC (timer, self IPI)" },
	{ 0x00000d90, 0x00000d90, I, P, P, "BNDCFGS: guest state in the VMCS" },
	{ 0x00000da0, 0x00000da0, I, P, P, "XSS: supervisor XSAVE state; Raum never runs XSAVES" },
	{ 0xc0000080, 0xc0000080, I, P, P, "EFER: guest state in the VMCS, loaded and saved on entry / exit" },
	{ 0xc0000080, 0xc0000080, A, V, V, "EFER: SVME hidden and kept (svm/exit.c)" },
	{ 0xc0000081, 0xc0000084, B, P, P, "STAR, LSTAR, CSTAR, SFMASK: the root's system calls (Raum makes none)" },
	{ 0xc0000100, 0xc0000102, B, P, P, "FS_BASE, GS_BASE, KERNEL_GS_BASE: guest state, hot" },
	{ 0xc0000103, 0xc0000103, B, P, P, "TSC_AUX: what RDTSCP / RDPID return to the root" },
	{ 0xc0000300, 0xc0000303, A, P, P, "PerfMonV2 global control and status: counters" },
	{ 0xc0000410, 0xc0000410, A, P, P, "MCA_INTR_CFG: machine-check interrupts, the root's" },
	{ 0xc0002000, 0xc0002fff, A, P, P, "SMCA machine-check banks, the root's" },
	{ 0xc0010000, 0xc0010003, A, V, V, "PERF_CTL0-3 legacy: GuestOnly forced, the root's bits shadowed (svm/perfctl.h)" },
	{ 0xc0010004, 0xc0010007, A, P, P, "PERF_CTR0-3 legacy: performance counters" },
	{ 0xc0010010, 0xc0010010, A, P, D, "SYSCFG: read-only (SME, SNP, MTRR fixed-range modification)" },
	{ 0xc0010015, 0xc0010015, A, P, D, "HWCR: read-only (INVD as WBINVD, memory-type controls)" },
	{ 0xc0010016, 0xc001001a, A, P, D, "IORR base / mask, TOP_MEM: read-only address decoding" },
	{ 0xc001001d, 0xc001001d, A, P, D, "TOM2: read-only address decoding" },
	{ 0xc001001f, 0xc001001f, A, P, E, "NB_CFG: only EnableCf8ExtCfg (bit 46), set by Linux for PCI config" },
	{ 0xc0010058, 0xc0010058, A, P, D, "MMIO_CFG_BASE: read-only address decoding" },
	{ 0xc0010061, 0xc0010071, A, P, P, "P-state and C-state controls: power management" },
	{ 0xc0010114, 0xc0010114, A, V, V, "VM_CR: locked, SVM disabled (svm/exit.c)" },
	{ 0xc0010117, 0xc0010117, A, V, V, "VM_HSAVE_PA: a shadow (svm/exit.c)" },
	{ 0xc0010140, 0xc0010141, A, P, D, "OSVW: read-only errata status" },
	{ 0xc0010200, 0xc0010200, A, V, V, "PERF_CTL0: GuestOnly forced, the root's bits shadowed (svm/perfctl.h)" },
	{ 0xc0010201, 0xc0010201, A, P, P, "PERF_CTR0: a core performance counter" },
	{ 0xc0010202, 0xc0010202, A, V, V, "PERF_CTL1: GuestOnly forced, the root's bits shadowed (svm/perfctl.h)" },
	{ 0xc0010203, 0xc0010203, A, P, P, "PERF_CTR1: a core performance counter" },
	{ 0xc0010204, 0xc0010204, A, V, V, "PERF_CTL2: GuestOnly forced, the root's bits shadowed (svm/perfctl.h)" },
	{ 0xc0010205, 0xc0010205, A, P, P, "PERF_CTR2: a core performance counter" },
	{ 0xc0010206, 0xc0010206, A, V, V, "PERF_CTL3: GuestOnly forced, the root's bits shadowed (svm/perfctl.h)" },
	{ 0xc0010207, 0xc0010207, A, P, P, "PERF_CTR3: a core performance counter" },
	{ 0xc0010208, 0xc0010208, A, V, V, "PERF_CTL4: GuestOnly forced, the root's bits shadowed (svm/perfctl.h)" },
	{ 0xc0010209, 0xc0010209, A, P, P, "PERF_CTR4: a core performance counter" },
	{ 0xc001020a, 0xc001020a, A, V, V, "PERF_CTL5: GuestOnly forced, the root's bits shadowed (svm/perfctl.h)" },
	{ 0xc001020b, 0xc001020b, A, P, P, "PERF_CTR5: a core performance counter" },
	{ 0xc0010230, 0xc001023b, A, P, P, "L2I / L3 performance counters" },
	{ 0xc0010240, 0xc0010247, A, P, P, "data-fabric performance counters" },
	{ 0xc0010299, 0xc001029b, A, P, D, "RAPL power unit and energy status: read-only" },
	{ 0xc00102b0, 0xc00102b3, A, P, P, "CPPC: power management" },
	{ 0xc0011000, 0xc0011007, A, P, D, "AMD CPUID feature overrides and the like: read-only" },
	{ 0xc0011020, 0xc0011020, A, P, D, "LS_CFG: read-only" },
	{ 0xc0011029, 0xc0011029, A, P, F, "DE_CFG: LFENCE serialization, a mitigation the root sets" },
};

#undef A
#undef I
#undef B
#undef P
#undef F
#undef E
#undef V
#undef D

static u8 vendor_bit(u32 vendor)
{
	return vendor == RAUM_VENDOR_AMD ? MSR_V_AMD : vendor == RAUM_VENDOR_INTEL ? MSR_V_INTEL : 0;
}

const struct msr_rule *msr_rules(size_t *n)
{
	*n = ARRAY_SIZE(rules);
	return rules;
}

const struct msr_rule *msr_rule_find(u32 vendor, u32 msr)
{
	u8 v = vendor_bit(vendor);
	size_t lo = 0, hi = ARRAY_SIZE(rules);

	/* the first rule whose last >= msr; rules that share a range differ by vendor and sit together */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (rules[mid].last < msr)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < ARRAY_SIZE(rules) && rules[i].first <= msr; i++)
		if ((rules[i].vendors & v) && msr <= rules[i].last)
			return &rules[i];
	return NULL;
}

enum msr_action msr_policy(u32 vendor, u32 msr, bool write)
{
	const struct msr_rule *r = msr_rule_find(vendor, msr);

	if (!r)
		return MSR_DENY;
	return (enum msr_action)(write ? r->write : r->read);
}

bool msr_apic_base_ok(u64 value, u64 hv_base, u64 hv_size)
{
	u64 base = value & 0x000ffffffffff000ULL; /* bits 51:12: the APIC page (SDM vol. 3A 11.4.4) */

	return base + PAGE_SIZE <= hv_base || base >= hv_base + hv_size;
}

bool msr_nb_cfg_ok(u64 old, u64 value)
{
	return ((old ^ value) & ~NB_CFG_ROOT) == 0;
}

bool msr_misc_enable_ok(u64 old, u64 value)
{
	return ((old ^ value) & ~(u64)MISC_ENABLE_ROOT) == 0;
}
