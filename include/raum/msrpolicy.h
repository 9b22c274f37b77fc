/* SPDX-License-Identifier: MIT */
/*
 * The root partition's MSR policy: default-deny with a short allowlist
 * (docs/security.md has the table with a reason for every entry). Pure
 * code (kernel/msrpolicy.c), unit-tested in tests/unit/test_msrpolicy.c,
 * shared by both backends:
 *
 *   - the vendor code builds its intercept bitmap from msr_policy(): an MSR
 *     is left unintercepted exactly when its action is MSR_PASS;
 *   - an intercepted access goes to exit_msr() (kernel/msr.c), which acts
 *     on the same answer.
 *
 * The MSRs of the bitmaps' ranges (VT-x: 0-0x1fff and 0xc0000000-0xc0001fff,
 * SDM vol. 3C 25.6.9; SVM adds 0xc0010000-0xc0011fff, APM vol. 2 15.11) cost
 * no exit when passed; every MSR outside them exits on both vendors, and a
 * passed one is then forwarded to the hardware.
 */
#ifndef RAUM_MSRPOLICY_H
#define RAUM_MSRPOLICY_H

#include <raum/types.h>
#include <raum/x86-regs.h> /* the MSR numbers */

enum msr_action {
	MSR_DENY = 0,  /* #GP, counted and logged: the default */
	MSR_PASS,      /* not intercepted: the root reaches the hardware register */
	MSR_FORWARD,   /* intercepted, then done on the hardware as asked (the root sees its answer) */
	MSR_EMULATE,   /* intercepted and checked or shadowed by kernel/msr.c */
	MSR_VENDOR,    /* intercepted and emulated by the backend (EFER on SVM, VM_CR, FEATURE_CONTROL) */
};

#define MSR_V_AMD 1u
#define MSR_V_INTEL 2u
#define MSR_V_ALL 3u

struct msr_rule {
	u32 first, last;   /* inclusive range */
	u8 vendors;        /* MSR_V_* the rule applies to */
	u8 read, write;    /* enum msr_action for RDMSR / WRMSR */
	const char *why;   /* the reason, as in docs/security.md */
};

/* The rule for msr on this vendor (RAUM_VENDOR_AMD / _INTEL), or NULL: denied both ways. */
const struct msr_rule *msr_rule_find(u32 vendor, u32 msr);

/* The action for one access. */
enum msr_action msr_policy(u32 vendor, u32 msr, bool write);

/* The rules, in ascending order of first MSR and never overlapping for one vendor. */
const struct msr_rule *msr_rules(size_t *n);

/* Emulation checks (kernel/msr.c acts on them); each returns true when the write is allowed. */

/*
 * IA32_APIC_BASE: the xAPIC page [base, base + 4 KiB) must not overlap
 * [hv_base, hv_base + hv_size), or the root could lay the APIC's registers
 * over Raum's memory. Reserved-bit checks are left to the hardware.
 */
bool msr_apic_base_ok(u64 value, u64 hv_base, u64 hv_size);

/* IA32_MISC_ENABLE: only the bits in MISC_ENABLE_ROOT may change (XD disable would turn NX off). */
#define MISC_ENABLE_ROOT (BIT(0) | BIT(3) | BIT(16) | BIT(18) | BIT(22) | BIT(23) | BIT(38))
bool msr_misc_enable_ok(u64 old, u64 value);

/*
 * AMD NB_CFG: only EnableCf8ExtCfg (bit 46, BKDG for family 10h-16h) may
 * change; Linux sets it for extended PCI config access through 0xcf8.
 */
#define NB_CFG_ROOT (1ULL << 46)
bool msr_nb_cfg_ok(u64 old, u64 value);

#endif
