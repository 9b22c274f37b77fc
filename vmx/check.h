/* SPDX-License-Identifier: MIT */
/*
 * The VM-entry checks on the guest-state area (Intel SDM vol. 3C 27.3.1),
 * in software: when VM entry fails with "invalid guest state" (exit reason
 * 33) the CPU does not say which rule broke, so Raum names the first one.
 * The counterpart of svm/check.h. Pure code (tests/unit/test_vmxcheck.c).
 */
#ifndef RAUM_VMX_CHECK_H
#define RAUM_VMX_CHECK_H

#include <raum/types.h>

#include "caps.h" /* struct vmx_controls, struct vmx_caps_msrs, ENTRY_IA32E */

/* The guest state a VM entry checks (SDM vol. 3C 27.3.1), as Raum programs it. */
struct vmx_guest_state {
	u64 cr0, cr3, cr4, dr7, rflags, rip, efer, pat, debugctl;
	u64 seg_base[8];   /* ES CS SS DS FS GS LDTR TR */
	u32 seg_limit[8];
	u32 seg_ar[8];     /* access rights in VMCS format, bit 16 = unusable */
	u16 seg_sel[8];
	u64 gdtr_base, idtr_base;
	u32 gdtr_limit, idtr_limit;
	u32 interruptibility, activity;
	u64 vmcs_link;
};
enum { VSEG_ES, VSEG_CS, VSEG_SS, VSEG_DS, VSEG_FS, VSEG_GS, VSEG_LDTR, VSEG_TR };

/*
 * Checks the main guest-state rules of SDM 27.3.1 against the controls:
 * CR0 / CR4 fixed bits (PE and PG may be 0 with unrestricted guest), PG
 * without PE, IA-32e mode guest vs EFER.LMA / LME and CR0.PG, CR4.PAE in
 * IA-32e mode, reserved EFER and PAT values, RFLAGS reserved bits and
 * bit 1, RFLAGS.VM with IA-32e, canonical bases (FS GS LDTR TR GDTR IDTR,
 * RIP in 64-bit CS), CS / SS / DS ES FS GS / TR / LDTR access rights
 * (type, S, DPL, P, reserved bits, granularity vs limit, L and D/B, SS.DPL
 * == CS.DPL with unrestricted guest, TR type 11 in IA-32e mode or 3/11
 * otherwise, TR and LDTR usable and TI = 0), GDTR / IDTR limits fit 16
 * bits, activity state 0, interruptibility consistent with RFLAGS.IF,
 * VMCS link pointer all-ones. Returns NULL when all hold, else a sentence
 * naming the first rule broken (a static string).
 *
 * 'c' holds the controls as they will be written, IA-32e mode guest
 * (ENTRY_IA32E in c->entry) included; 'm' gives the CR0 / CR4 fixed bits,
 * the activity states VMX_MISC allows and, through CR4_FIXED1.LA57, the
 * linear-address width for the canonical checks (57 bits, else 48). Not
 * checked (not in the struct, or needs MAXPHYADDR): CR3 bits beyond the
 * physical-address width, SYSENTER_ESP / EIP, pending debug exceptions,
 * event injection, PDPTEs.
 */
const char *vmx_check_guest_state(const struct vmx_guest_state *g, const struct vmx_controls *c,
				  const struct vmx_caps_msrs *m);

/*
 * As vmx_check_guest_state(), but writes the sentence and the offending
 * value into buf, e.g. "guest TR: type must be 11 (busy 64-bit TSS) in
 * IA-32e mode, is 9" (values below 10 in decimal, others in hex). Returns 0
 * with buf "" when the state passes, -RAUM_EINVAL when a rule is broken.
 */
int vmx_explain_guest_state(const struct vmx_guest_state *g, const struct vmx_controls *c,
			    const struct vmx_caps_msrs *m, char *buf, size_t len);

#endif
