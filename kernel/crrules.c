// SPDX-License-Identifier: MIT
/* The CR0 / CR4 / EFER write rules: see include/raum/crrules.h. Pure code. */
#include <raum/crrules.h>

static const char *const fault_names[CR_FAULT_COUNT] = {
	[CR_OK] = "allowed",
	[CR0_HIGH_BITS] = "CR0 bits 63:32 set",
	[CR0_NW_WITHOUT_CD] = "CR0.NW set with CR0.CD clear",
	[CR0_PG_WITHOUT_PE] = "CR0.PG set with CR0.PE clear",
	[CR0_LONG_WITHOUT_PAE] = "CR0.PG set with EFER.LME and CR4.PAE clear",
	[CR0_LONG_FROM_CS_L] = "CR0.PG set with EFER.LME while CS.L is set",
	[CR0_PG_OFF_IN_64BIT] = "CR0.PG cleared in 64-bit code",
	[CR0_PG_OFF_WITH_PCIDE] = "CR0.PG cleared with CR4.PCIDE set",
	[CR0_WP_OFF_WITH_CET] = "CR0.WP cleared with CR4.CET set",
	[CR4_RESERVED_BIT] = "CR4 bit reserved on this CPU",
	[CR4_PAE_OFF_IN_LONG] = "CR4.PAE cleared in long mode",
	[CR4_LA57_CHANGE_IN_LONG] = "CR4.LA57 changed in long mode",
	[CR4_PCIDE_OUTSIDE_LONG] = "CR4.PCIDE set outside long mode",
	[CR4_PCIDE_CR3_LOW] = "CR4.PCIDE set with CR3[11:0] non-zero",
	[CR4_CET_WITHOUT_WP] = "CR4.CET set with CR0.WP clear",
	[EFER_RESERVED_BIT] = "EFER bit reserved on this CPU",
	[EFER_LME_CHANGE_PAGING] = "EFER.LME changed with CR0.PG set",
};

const char *cr_fault_name(enum cr_fault f)
{
	return (unsigned)f < CR_FAULT_COUNT ? fault_names[f] : "unknown rule";
}

static inline bool has(u32 word, unsigned bit) { return (word >> bit) & 1; }

u64 efer_writable(const struct cr_cpuid *c)
{
	u64 w = EFER_SCE; /* every x86-64 CPU: KVM and Xen allow it unconditionally */

	if (has(c->e1_edx, 29)) /* LM */
		w |= EFER_LME | EFER_LMA;
	if (has(c->e1_edx, 20)) /* NX (Intel: XD) */
		w |= EFER_NXE;
	if (!c->amd)
		return w; /* SDM vol. 4 table 2-2: IA32_EFER 63:12 are reserved */
	/* APM vol. 2 3.1.7 and vol. 3 appendix E (CPUID) */
	if (!has(c->e8_ebx, 20)) /* EferLmsleUnsupported: LMSLE is MBZ (Zen 3 and later) */
		w |= EFER_LMSLE;
	if (has(c->e1_edx, 25)) /* FFXSR */
		w |= EFER_FFXSR;
	if (has(c->e1_ecx, 17)) /* TCE */
		w |= EFER_TCE;
	if (has(c->e8_ebx, 8)) /* MCOMMIT */
		w |= EFER_MCOMMIT;
	if (has(c->e8_ebx, 13)) /* INT_WBINVD */
		w |= EFER_INTWB;
	if (has(c->e21_eax, 7)) /* UpperAddressIgnore */
		w |= EFER_UAIE;
	if (has(c->e21_eax, 8)) /* AutomaticIBRS */
		w |= EFER_AIBRSE;
	return w; /* never SVME: SVM is hidden from the root */
}

u64 cr4_reserved(const struct cr_cpuid *c)
{
	/* Each architectural bit with the CPUID feature that makes it exist (SDM vol. 3A 2.5, figure
	 * 2-7 and the CR4 list; APM vol. 2 3.1.3); a bit not listed is reserved. */
	u64 ok = CR4_PCE; /* performance counters at CPL 3: no feature flag */

	if (has(c->l1_edx, 1)) /* VME */
		ok |= CR4_VME | CR4_PVI;
	if (has(c->l1_edx, 4)) /* TSC */
		ok |= CR4_TSD;
	if (has(c->l1_edx, 2)) /* DE */
		ok |= CR4_DE;
	if (has(c->l1_edx, 3)) /* PSE */
		ok |= CR4_PSE;
	if (has(c->l1_edx, 6)) /* PAE */
		ok |= CR4_PAE;
	if (has(c->l1_edx, 7)) /* MCE */
		ok |= CR4_MCE;
	if (has(c->l1_edx, 13)) /* PGE */
		ok |= CR4_PGE;
	if (has(c->l1_edx, 24)) /* FXSR */
		ok |= CR4_OSFXSR;
	if (has(c->l1_edx, 25)) /* SSE */
		ok |= CR4_OSXMMEXCPT;
	if (has(c->l7_ecx, 2)) /* UMIP */
		ok |= CR4_UMIP;
	if (has(c->l7_ecx, 16)) /* LA57 */
		ok |= CR4_LA57;
	/* VMXE never: VMX is hidden from the root (CPUID.1:ECX.VMX reads 0) */
	if (has(c->l1_ecx, 6)) /* SMX */
		ok |= CR4_SMXE;
	if (has(c->l7_ebx, 0)) /* FSGSBASE */
		ok |= CR4_FSGSBASE;
	if (has(c->l1_ecx, 17)) /* PCID */
		ok |= CR4_PCIDE;
	if (has(c->l1_ecx, 26)) /* XSAVE */
		ok |= CR4_OSXSAVE;
	if (has(c->l7_ecx, 23)) /* KL (Key Locker) */
		ok |= CR4_KL;
	if (has(c->l7_ebx, 7)) /* SMEP */
		ok |= CR4_SMEP;
	if (has(c->l7_ebx, 20)) /* SMAP */
		ok |= CR4_SMAP;
	if (has(c->l7_ecx, 3)) /* PKU */
		ok |= CR4_PKE;
	if (has(c->l7_ecx, 7) || has(c->l7_edx, 20)) /* CET_SS or CET_IBT */
		ok |= CR4_CET;
	if (has(c->l7_ecx, 31)) /* PKS */
		ok |= CR4_PKS;
	if (has(c->l7_edx, 5)) /* UINTR */
		ok |= CR4_UINTR;
	if (has(c->l7s1_eax, 26)) /* LAM */
		ok |= CR4_LAM_SUP;
	if (has(c->l7s1_eax, 17)) /* FRED */
		ok |= CR4_FRED;
	return ~ok;
}

/* Bits 31:0 of CR0 the architecture defines (SDM vol. 3A figure 2-7); the rest are ignored. */
#define CR0_DEFINED                                                                                   \
	(CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_ET | CR0_NE | CR0_WP |   \
	 CR0_AM | CR0_NW | CR0_CD | CR0_PG)

u64 cr0_effective(u64 val) { return (val & CR0_DEFINED) | CR0_ET; }

enum cr_fault cr0_check(const struct cr_state *s, u64 val)
{
	bool lma = s->efer & EFER_LMA;

	/* SDM vol. 2B MOV CR, 64-bit mode exceptions: a 1 in CR0[63:32] */
	if (val >> 32)
		return CR0_HIGH_BITS;
	/* SDM vol. 3A 2.5 (CD, NW): NW = 1 with CD = 0 is an invalid combination */
	if ((val & CR0_NW) && !(val & CR0_CD))
		return CR0_NW_WITHOUT_CD;
	/* 2.5 (PG): paging needs protection */
	if ((val & CR0_PG) && !(val & CR0_PE))
		return CR0_PG_WITHOUT_PE;
	/* Entering IA-32e mode (SDM vol. 3A 10.8.5, APM vol. 2 14.6.1): PAE first, from 32-bit code */
	if ((s->efer & EFER_LME) && !(s->cr0 & CR0_PG) && (val & CR0_PG)) {
		if (!(s->cr4 & CR4_PAE))
			return CR0_LONG_WITHOUT_PAE;
		if (s->cs_l)
			return CR0_LONG_FROM_CS_L;
	}
	/* Leaving paging: not from 64-bit code (10.8.5.4, vol. 2B MOV CR), not with PCIDE set (4.10.1) */
	if ((s->cr0 & CR0_PG) && !(val & CR0_PG)) {
		if (lma && s->cs_l)
			return CR0_PG_OFF_IN_64BIT;
		if (s->cr4 & CR4_PCIDE)
			return CR0_PG_OFF_WITH_PCIDE;
	}
	/* 2.5 (CET): WP cannot be cleared while CR4.CET is set */
	if (!(val & CR0_WP) && (s->cr4 & CR4_CET))
		return CR0_WP_OFF_WITH_CET;
	return CR_OK;
}

enum cr_fault cr4_check(const struct cr_state *s, u64 val, u64 reserved)
{
	bool lma = s->efer & EFER_LMA;

	/* vol. 2B MOV CR: a 1 in a reserved bit of CR4 */
	if (val & reserved)
		return CR4_RESERVED_BIT;
	/* 10.8.5: IA-32e mode requires PAE; vol. 2B MOV CR: clearing it there is #GP */
	if (lma && !(val & CR4_PAE))
		return CR4_PAE_OFF_IN_LONG;
	/* 2.5 (LA57): it can change only outside IA-32e mode */
	if (lma && ((val ^ s->cr4) & CR4_LA57))
		return CR4_LA57_CHANGE_IN_LONG;
	/* 4.10.1: PCIDE 0 -> 1 needs IA-32e mode and CR3[11:0] = 0 */
	if (!(s->cr4 & CR4_PCIDE) && (val & CR4_PCIDE)) {
		if (!lma)
			return CR4_PCIDE_OUTSIDE_LONG;
		if (s->cr3 & 0xfff)
			return CR4_PCIDE_CR3_LOW;
	}
	/* 2.5 (CET): CET can be set only while CR0.WP is set */
	if ((val & CR4_CET) && !(s->cr0 & CR0_WP))
		return CR4_CET_WITHOUT_WP;
	return CR_OK;
}

enum cr_fault efer_check(const struct cr_state *s, u64 val, u64 writable)
{
	/* a written LMA is ignored (the CPU keeps its own); every other bit must be writable here */
	if (val & ~writable & ~EFER_LMA)
		return EFER_RESERVED_BIT;
	/* APM vol. 2 14.6.1 / SDM vol. 3A 10.8.5: LME changes only while paging is off */
	if ((s->cr0 & CR0_PG) && ((val ^ s->efer) & EFER_LME))
		return EFER_LME_CHANGE_PAGING;
	return CR_OK;
}
