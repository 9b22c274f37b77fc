/* SPDX-License-Identifier: MIT */
/*
 * What CPUID shows a partition (kernel/cpuid.c). One table lists every
 * feature bit Raum hides or shows only under a condition, with its reason:
 * a feature is shown exactly when the partition can use it. The same table
 * tells the vendor code which execution controls to ask for (VT-x's
 * "enable RDTSCP", "enable INVPCID", ...): vmx_compute_controls enables
 * what cpuid_wanted_ctls() names where the CPU allows it, and reports what
 * it got; cpuid_policy_init turns the table and that report into the masks
 * exit_cpuid applies. docs/security.md, "CPUID: what the root is shown".
 */
#ifndef RAUM_CPUID_H
#define RAUM_CPUID_H

#include <raum/types.h>

enum cpuid_reg { CPUID_EAX, CPUID_EBX, CPUID_ECX, CPUID_EDX };

/*
 * Execution controls a feature depends on, vendor-neutral names; the vendor
 * code maps each to its own bit. CPUID_CTL_NEVER: the feature is hidden
 * whatever the CPU allows.
 */
enum cpuid_ctl {
	CPUID_CTL_NEVER = 0,
	CPUID_CTL_RDTSCP,    /* VT-x secondary control 3, "enable RDTSCP" (RDPID too) */
	CPUID_CTL_INVPCID,   /* VT-x secondary control 12, "enable INVPCID" */
	CPUID_CTL_XSAVES,    /* VT-x secondary control 20, "enable XSAVES/XRSTORS" */
	CPUID_CTL_USER_WAIT, /* VT-x secondary control 26, "enable user wait and pause" */
	CPUID_CTLS
};
#define CPUID_CTL_BIT(c) (1u << (c))

/* Vendor masks of a rule: which CPUs it applies to. */
#define CPUID_INTEL (1u << 1) /* 1 << RAUM_VENDOR_INTEL */
#define CPUID_AMD (1u << 2)   /* 1 << RAUM_VENDOR_AMD */
#define CPUID_BOTH (CPUID_INTEL | CPUID_AMD)

struct cpuid_rule {
	u32 leaf, subleaf;
	u8 reg;          /* enum cpuid_reg */
	u8 ctl;          /* enum cpuid_ctl: shown only while this control is enabled */
	u8 vendors;      /* CPUID_INTEL / CPUID_AMD */
	u32 mask;        /* the bits: one feature bit, or a field, or the whole register */
	const char *name, *reason;
};

extern const struct cpuid_rule cpuid_rules[];
extern const size_t cpuid_nr_rules;

/*
 * The leaves exit_cpuid edits, each a slot of the policy. cpuid_slot() maps
 * (leaf, subleaf) to one, or -1: the leaf is passed through untouched.
 */
enum cpuid_slot {
	CPUID_SLOT_1,          /* leaf 1 */
	CPUID_SLOT_7_0,        /* leaf 7 subleaf 0 */
	CPUID_SLOT_D_1,        /* leaf 0xd subleaf 1 */
	CPUID_SLOT_80000001,
	CPUID_SLOT_80000008,
	CPUID_SLOT_8000000A,
	CPUID_SLOT_8000001F,
	CPUID_SLOTS
};

static inline int cpuid_slot(u32 leaf, u32 subleaf)
{
	switch (leaf) {
	case 1: return CPUID_SLOT_1;
	case 7: return subleaf == 0 ? CPUID_SLOT_7_0 : -1;
	case 0xd: return subleaf == 1 ? CPUID_SLOT_D_1 : -1;
	case 0x80000001: return CPUID_SLOT_80000001;
	case 0x80000008: return CPUID_SLOT_80000008;
	case 0x8000000a: return CPUID_SLOT_8000000A;
	case 0x8000001f: return CPUID_SLOT_8000001F;
	default: return -1;
	}
}

/* Per slot and register: the root sees (hardware & and_mask) | or_bits. */
struct cpuid_policy {
	u32 and_mask[CPUID_SLOTS][4];
	u32 or_bits[CPUID_SLOTS][4];
};

/* The controls the table wants enabled on this vendor (CPUID_CTL_BIT set). */
u32 cpuid_wanted_ctls(u32 vendor);

/*
 * Fills p from the table: every rule of this vendor whose control is not in
 * 'ctls' (CPUID_CTL_BIT set of those the vendor enabled) clears its bits;
 * the hypervisor-present bit (leaf 1 ECX[31]) is set; and CPUID 0x80000008
 * EAX[7:0] says 'phys_bits' when that is below 'native_phys_bits' (the
 * width left after SME's or TME-MK's address bits, mm/memcrypt.c, which the
 * root cannot compute itself once leaf 0x8000001F and TME are hidden).
 */
void cpuid_policy_init(struct cpuid_policy *p, u32 vendor, u32 ctls, unsigned phys_bits,
		       unsigned native_phys_bits);

#endif
