// SPDX-License-Identifier: MIT
/*
 * vmx/check.c: the VM-entry checks on the guest-state area (SDM vol. 3C
 * 27.3.1) in software, so that a failed VM entry ("invalid guest state",
 * exit reason 33) names the rule it broke: see vmx/check.h. Pure code,
 * unit-tested in tests/unit/test_vmxcheck.c. Section numbers as in
 * vmx/caps.c (VMCS in chapter 25, VM entries in chapter 27).
 */
#include <raum/types.h>
#include <raum/errno.h>
#include <raum/fmt.h>
#include <raum/x86-regs.h>
#include "check.h"

/* Reserved RFLAGS bits that VM entry requires 0: 63:22, 15, 5, 3 (27.3.1.4). */
#define RFLAGS_RSVD (~0ULL << 22 | BIT(15) | BIT(5) | BIT(3))

/*
 * Access rights in VMCS format (SDM vol. 3C 25.4.1, "Format of Access Rights"):
 *
 *  31      17  16   15  14  13  12  11   8  7  6 5  4  3    0
 * +----------+----+---+---+---+---+------+---+---+---+------+
 * | reserved |unus| G |D/B| L |AVL| rsvd | P |DPL| S | type |
 * +----------+----+---+---+---+---+------+---+---+---+------+
 */
#define AR_TYPE(ar) ((ar) & 0xfU)
#define AR_S BIT(4)
#define AR_DPL(ar) (((ar) >> 5) & 3U)
#define AR_P BIT(7)
#define AR_RSVD_11_8 0xf00U
#define AR_L BIT(13)
#define AR_DB BIT(14)
#define AR_G BIT(15)
#define AR_UNUSABLE BIT(16)
#define AR_RSVD_31_17 0xfffe0000U
#define SEL_RPL(sel) ((sel) & 3U)
#define SEL_TI BIT(2)

/* Interruptibility state (SDM vol. 3C 25.4.2, table "Format of Interruptibility State"). */
#define INTR_STI BIT(0)
#define INTR_MOV_SS BIT(1)
#define INTR_SMI BIT(2)
#define INTR_RSVD (~0U << 5)
/* Activity states (25.4.2); VMX_MISC bits 6, 7, 8 enumerate HLT, shutdown, wait-for-SIPI (A.6). */
#define ACT_ACTIVE 0
#define ACT_HLT 1
#define ACT_LAST 3
#define MISC_ACT_SHIFT 5

/* A failed rule: the sentence, and the value it found. */
struct gs_fail {
	const char *rule;
	u64 val;
};

/* What the checks depend on, from the controls and capability MSRs. */
struct gs_ctx {
	bool ia32e, ug, v86, load_efer, load_pat, load_debug;
	unsigned int la_bits;
};

static bool fail(struct gs_fail *f, const char *rule, u64 val)
{
	f->rule = rule;
	f->val = val;
	return false;
}

static bool canonical(u64 v, unsigned int bits)
{
	return (u64)((s64)(v << (64 - bits)) >> (64 - bits)) == v;
}

/* 27.3.1.2: "G" against the limit, for CS and every usable segment, TR and LDTR. */
static bool limit_granular(u32 limit, u32 ar)
{
	if ((limit & 0xfff) != 0xfff && (ar & AR_G))
		return false;
	if ((limit & 0xfff00000) && !(ar & AR_G))
		return false;
	return true;
}

/* 27.3.1.1: control registers, debug registers and MSRs. */
static bool check_cr_msr(const struct vmx_guest_state *g, const struct gs_ctx *x, const struct vmx_caps_msrs *m,
			 struct gs_fail *f)
{
	u64 fixed0 = m->cr0_fixed0, fixed1 = m->cr0_fixed1;

	/* CD and NW are never checked; PE and PG not with unrestricted guest. */
	fixed0 &= ~(CR0_CD | CR0_NW);
	fixed1 |= CR0_CD | CR0_NW;
	if (x->ug)
		fixed0 &= ~(CR0_PE | CR0_PG);
	if ((g->cr0 & fixed0) != fixed0)
		return fail(f, "guest CR0: a bit that IA32_VMX_CR0_FIXED0 requires is clear "
			       "(PE and PG may be 0 only with unrestricted guest)", g->cr0);
	if (g->cr0 & ~fixed1)
		return fail(f, "guest CR0: a bit that IA32_VMX_CR0_FIXED1 forbids is set", g->cr0);
	if ((g->cr0 & CR0_PG) && !(g->cr0 & CR0_PE))
		return fail(f, "guest CR0: PG set requires PE set", g->cr0);
	if ((g->cr4 & m->cr4_fixed0) != m->cr4_fixed0)
		return fail(f, "guest CR4: a bit that IA32_VMX_CR4_FIXED0 requires is clear (VMXE?)", g->cr4);
	if (g->cr4 & ~m->cr4_fixed1)
		return fail(f, "guest CR4: a bit that IA32_VMX_CR4_FIXED1 forbids is set", g->cr4);
	if ((g->cr4 & CR4_CET) && !(g->cr0 & CR0_WP))
		return fail(f, "guest CR4: CET set requires CR0.WP set", g->cr0);
	if (x->ia32e && !(g->cr0 & CR0_PG))
		return fail(f, "guest CR0: PG must be 1 in IA-32e mode", g->cr0);
	if (x->ia32e && !(g->cr4 & CR4_PAE))
		return fail(f, "guest CR4: PAE must be 1 in IA-32e mode", g->cr4);
	if (!x->ia32e && (g->cr4 & CR4_PCIDE))
		return fail(f, "guest CR4: PCIDE must be 0 outside IA-32e mode", g->cr4);
	/*
	 * CR3 bits 63:52 must be 0 (62:61 are LAM's controls where LAM exists);
	 * the bits between MAXPHYADDR and 51 are not known here.
	 */
	if (g->cr3 & (BIT(63) | (0x1ffULL << 52)))
		return fail(f, "guest CR3: bits 63 and 60:52 must be 0", g->cr3);
	if (x->load_debug && (g->dr7 >> 32))
		return fail(f, "guest DR7: bits 63:32 must be 0 when the entry loads debug controls", g->dr7);
	/* IA32_DEBUGCTL bits 63:16 are reserved (SDM vol. 4); 5:2 left to the CPU. */
	if (x->load_debug && (g->debugctl >> 16))
		return fail(f, "guest IA32_DEBUGCTL: reserved bits 63:16 must be 0", g->debugctl);
	if (x->load_pat) {
		for (unsigned int i = 0; i < 8; i++) {
			u8 t = (u8)(g->pat >> (8 * i));

			/* 0 UC, 1 WC, 4 WT, 5 WP, 6 WB, 7 UC-; 2, 3 and 8+ reserved. */
			if (t > 7 || t == 2 || t == 3)
				return fail(f, "guest IA32_PAT: each byte must be 0, 1, 4, 5, 6 or 7", g->pat);
		}
	}
	if (x->load_efer) {
		if (g->efer & ~(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE))
			return fail(f, "guest IA32_EFER: reserved bits must be 0", g->efer);
		if (!!(g->efer & EFER_LMA) != x->ia32e)
			return fail(f, "guest IA32_EFER: LMA must equal the IA-32e mode guest entry control",
				    g->efer);
		if ((g->cr0 & CR0_PG) && !!(g->efer & EFER_LME) != x->ia32e)
			return fail(f, "guest IA32_EFER: LME must equal the IA-32e mode guest entry control "
				       "when CR0.PG is 1", g->efer);
	}
	return true;
}

/* 27.3.1.4: RIP and RFLAGS (checked before the segments: VM decides their rules). */
static bool check_rip_rflags(const struct vmx_guest_state *g, const struct gs_ctx *x, struct gs_fail *f)
{
	bool cs_l = g->seg_ar[VSEG_CS] & AR_L;

	if (g->rflags & RFLAGS_RSVD)
		return fail(f, "guest RFLAGS: reserved bits 63:22, 15, 5 and 3 must be 0", g->rflags);
	if (!(g->rflags & RFLAGS_FIXED1))
		return fail(f, "guest RFLAGS: bit 1 must be 1", g->rflags);
	if ((g->rflags & RFLAGS_VM) && (x->ia32e || !(g->cr0 & CR0_PE)))
		return fail(f, "guest RFLAGS: VM must be 0 in IA-32e mode or with CR0.PE 0", g->rflags);
	if ((!x->ia32e || !cs_l) && (g->rip >> 32))
		return fail(f, "guest RIP: bits 63:32 must be 0 unless in IA-32e mode with CS.L 1", g->rip);
	if (x->ia32e && cs_l && !canonical(g->rip, x->la_bits))
		return fail(f, "guest RIP: must be canonical in 64-bit mode", g->rip);
	return true;
}

#define PER_SEG(msg) \
	{ "guest ES: " msg, "guest CS: " msg, "guest SS: " msg, "guest DS: " msg, \
	  "guest FS: " msg, "guest GS: " msg, "guest LDTR: " msg, "guest TR: " msg }

/* 27.3.1.2, virtual-8086 guest: CS SS DS ES FS GS are real-mode-like. */
static bool check_seg_v86(const struct vmx_guest_state *g, unsigned int s, struct gs_fail *f)
{
	static const char *const base_rule[8] = PER_SEG("base must be the selector shifted left 4 in virtual-8086 mode");
	static const char *const limit_rule[8] = PER_SEG("limit must be 0xffff in virtual-8086 mode");
	static const char *const ar_rule[8] = PER_SEG("access rights must be 0xf3 in virtual-8086 mode");

	if (g->seg_base[s] != (u64)g->seg_sel[s] << 4)
		return fail(f, base_rule[s], g->seg_base[s]);
	if (g->seg_limit[s] != 0xffff)
		return fail(f, limit_rule[s], g->seg_limit[s]);
	if (g->seg_ar[s] != 0xf3)
		return fail(f, ar_rule[s], g->seg_ar[s]);
	return true;
}

/* 27.3.1.2, not virtual-8086: one of CS SS DS ES FS GS (index s). */
static bool check_seg(const struct vmx_guest_state *g, const struct gs_ctx *x, unsigned int s, struct gs_fail *f)
{
	static const char *const base_hi_rule[8] = PER_SEG("base bits 63:32 must be 0");
	static const char *const base_canon_rule[8] = PER_SEG("base must be canonical");
	static const char *const s_rule[8] = PER_SEG("S must be 1 (code or data segment)");
	static const char *const p_rule[8] = PER_SEG("P must be 1");
	static const char *const rsvd_rule[8] = PER_SEG("access-rights bits 11:8 and 31:17 must be 0");
	static const char *const g_rule[8] = PER_SEG("G must be 0 unless limit bits 11:0 are all 1, "
						    "and 1 if any of limit bits 31:20 is 1");
	static const char *const acc_rule[8] = PER_SEG("type must be accessed (bit 0 set)");
	static const char *const read_rule[8] = PER_SEG("a code segment here must be readable (type bit 1)");
	static const char *const dpl_rule[8] = PER_SEG("DPL must not be less than the selector's RPL "
						      "(data or non-conforming code, no unrestricted guest)");
	u32 ar = g->seg_ar[s], type = AR_TYPE(ar);
	bool usable = !(ar & AR_UNUSABLE);

	/* Bases: FS GS canonical; CS, and SS DS ES when usable, fit 32 bits. */
	if (s == VSEG_FS || s == VSEG_GS) {
		if (!canonical(g->seg_base[s], x->la_bits))
			return fail(f, base_canon_rule[s], g->seg_base[s]);
	} else if ((s == VSEG_CS || usable) && (g->seg_base[s] >> 32)) {
		return fail(f, base_hi_rule[s], g->seg_base[s]);
	}
	if (s != VSEG_CS && !usable)
		return true;

	if (s == VSEG_CS) {
		/* Accessed code (9, 11, 13, 15), or 3 (accessed data) with unrestricted guest. */
		if (!(type == 9 || type == 11 || type == 13 || type == 15 || (type == 3 && x->ug)))
			return fail(f, x->ug ? "guest CS: type must be 3, 9, 11, 13 or 15" :
					       "guest CS: type must be 9, 11, 13 or 15 (accessed code; "
					       "3 needs unrestricted guest)", type);
	} else if (s == VSEG_SS) {
		if (type != 3 && type != 7)
			return fail(f, "guest SS: type must be 3 or 7 (read/write accessed data)", type);
	} else {
		if (!(type & 1))
			return fail(f, acc_rule[s], type);
		if ((type & 8) && !(type & 2))
			return fail(f, read_rule[s], type);
	}
	if (!(ar & AR_S))
		return fail(f, s_rule[s], ar);
	/* DPL of DS ES FS GS (SS and CS are checked as a pair by the caller). */
	if (s != VSEG_CS && s != VSEG_SS && !x->ug && type <= 11 && AR_DPL(ar) < SEL_RPL(g->seg_sel[s]))
		return fail(f, dpl_rule[s], AR_DPL(ar));
	if (!(ar & AR_P))
		return fail(f, p_rule[s], ar);
	if (ar & (AR_RSVD_11_8 | AR_RSVD_31_17))
		return fail(f, rsvd_rule[s], ar);
	if (s == VSEG_CS && x->ia32e && (ar & AR_L) && (ar & AR_DB))
		return fail(f, "guest CS: L and D/B must not both be 1 in IA-32e mode", ar);
	if (!limit_granular(g->seg_limit[s], ar))
		return fail(f, g_rule[s], g->seg_limit[s]);
	return true;
}

/* 27.3.1.2: the DPL and RPL rules that tie CS and SS together. */
static bool check_cs_ss(const struct vmx_guest_state *g, const struct gs_ctx *x, struct gs_fail *f)
{
	u32 cs_ar = g->seg_ar[VSEG_CS], ss_ar = g->seg_ar[VSEG_SS];
	u32 cs_type = AR_TYPE(cs_ar), cs_dpl = AR_DPL(cs_ar), ss_dpl = AR_DPL(ss_ar);

	if (!x->ug && SEL_RPL(g->seg_sel[VSEG_SS]) != SEL_RPL(g->seg_sel[VSEG_CS]))
		return fail(f, "guest SS: selector RPL must equal CS's RPL without unrestricted guest",
			    SEL_RPL(g->seg_sel[VSEG_SS]));
	if (cs_type == 3 && cs_dpl != 0)
		return fail(f, "guest CS: DPL must be 0 with type 3 (unrestricted guest)", cs_dpl);
	if ((cs_type == 9 || cs_type == 11) && cs_dpl != ss_dpl)
		return fail(f, "guest CS: DPL must equal SS's DPL (non-conforming code)", cs_dpl);
	if ((cs_type == 13 || cs_type == 15) && cs_dpl > ss_dpl)
		return fail(f, "guest CS: DPL must not exceed SS's DPL (conforming code)", cs_dpl);
	if (!x->ug && ss_dpl != SEL_RPL(g->seg_sel[VSEG_SS]))
		return fail(f, "guest SS: DPL must equal the selector's RPL without unrestricted guest", ss_dpl);
	/* Applies whether or not SS is usable. */
	if ((cs_type == 3 || !(g->cr0 & CR0_PE)) && ss_dpl != 0)
		return fail(f, "guest SS: DPL must be 0 when CS type is 3 or CR0.PE is 0", ss_dpl);
	return true;
}

/* 27.3.1.2: TR and LDTR (system segments). */
static bool check_tr_ldtr(const struct vmx_guest_state *g, const struct gs_ctx *x, struct gs_fail *f)
{
	u32 ar = g->seg_ar[VSEG_TR], type = AR_TYPE(ar);

	if (g->seg_sel[VSEG_TR] & SEL_TI)
		return fail(f, "guest TR: selector TI must be 0", g->seg_sel[VSEG_TR]);
	if (!canonical(g->seg_base[VSEG_TR], x->la_bits))
		return fail(f, "guest TR: base must be canonical", g->seg_base[VSEG_TR]);
	if (ar & AR_UNUSABLE)
		return fail(f, "guest TR: must be usable (access-rights bit 16 clear)", ar);
	if (x->ia32e && type != 11)
		return fail(f, "guest TR: type must be 11 (busy 64-bit TSS) in IA-32e mode", type);
	if (!x->ia32e && type != 3 && type != 11)
		return fail(f, "guest TR: type must be 3 or 11 (busy 16- or 32-bit TSS)", type);
	if (ar & AR_S)
		return fail(f, "guest TR: S must be 0 (system segment)", ar);
	if (!(ar & AR_P))
		return fail(f, "guest TR: P must be 1", ar);
	if (ar & (AR_RSVD_11_8 | AR_RSVD_31_17))
		return fail(f, "guest TR: access-rights bits 11:8 and 31:17 must be 0", ar);
	if (!limit_granular(g->seg_limit[VSEG_TR], ar))
		return fail(f, "guest TR: G must be 0 unless limit bits 11:0 are all 1, "
			       "and 1 if any of limit bits 31:20 is 1", g->seg_limit[VSEG_TR]);

	ar = g->seg_ar[VSEG_LDTR];
	if (ar & AR_UNUSABLE)
		return true;
	if (g->seg_sel[VSEG_LDTR] & SEL_TI)
		return fail(f, "guest LDTR: selector TI must be 0", g->seg_sel[VSEG_LDTR]);
	if (!canonical(g->seg_base[VSEG_LDTR], x->la_bits))
		return fail(f, "guest LDTR: base must be canonical", g->seg_base[VSEG_LDTR]);
	if (AR_TYPE(ar) != 2)
		return fail(f, "guest LDTR: type must be 2 (LDT)", AR_TYPE(ar));
	if (ar & AR_S)
		return fail(f, "guest LDTR: S must be 0 (system segment)", ar);
	if (!(ar & AR_P))
		return fail(f, "guest LDTR: P must be 1", ar);
	if (ar & (AR_RSVD_11_8 | AR_RSVD_31_17))
		return fail(f, "guest LDTR: access-rights bits 11:8 and 31:17 must be 0", ar);
	if (!limit_granular(g->seg_limit[VSEG_LDTR], ar))
		return fail(f, "guest LDTR: G must be 0 unless limit bits 11:0 are all 1, "
			       "and 1 if any of limit bits 31:20 is 1", g->seg_limit[VSEG_LDTR]);
	return true;
}

/* 27.3.1.3: GDTR and IDTR. */
static bool check_dt(const struct vmx_guest_state *g, const struct gs_ctx *x, struct gs_fail *f)
{
	if (!canonical(g->gdtr_base, x->la_bits))
		return fail(f, "guest GDTR: base must be canonical", g->gdtr_base);
	if (!canonical(g->idtr_base, x->la_bits))
		return fail(f, "guest IDTR: base must be canonical", g->idtr_base);
	if (g->gdtr_limit >> 16)
		return fail(f, "guest GDTR: limit bits 31:16 must be 0", g->gdtr_limit);
	if (g->idtr_limit >> 16)
		return fail(f, "guest IDTR: limit bits 31:16 must be 0", g->idtr_limit);
	return true;
}

/* 27.3.1.5: activity and interruptibility state, VMCS link pointer. */
static bool check_nonreg(const struct vmx_guest_state *g, const struct vmx_caps_msrs *m, struct gs_fail *f)
{
	u32 act = g->activity, intr = g->interruptibility;

	if (act > ACT_LAST || (act != ACT_ACTIVE && !(m->misc & BIT(MISC_ACT_SHIFT + act))))
		return fail(f, "guest activity state: must be 0 (active) or a state VMX_MISC bits 8:6 allow", act);
	if (act == ACT_HLT && AR_DPL(g->seg_ar[VSEG_SS]) != 0)
		return fail(f, "guest activity state: HLT needs SS.DPL 0", AR_DPL(g->seg_ar[VSEG_SS]));
	if (act != ACT_ACTIVE && (intr & (INTR_STI | INTR_MOV_SS)))
		return fail(f, "guest activity state: must be active with blocking by STI or MOV SS", act);
	if (intr & INTR_RSVD)
		return fail(f, "guest interruptibility: reserved bits 31:5 must be 0", intr);
	if ((intr & INTR_STI) && (intr & INTR_MOV_SS))
		return fail(f, "guest interruptibility: blocking by STI and by MOV SS must not both be set", intr);
	if ((intr & INTR_STI) && !(g->rflags & RFLAGS_IF))
		return fail(f, "guest interruptibility: blocking by STI requires RFLAGS.IF 1", g->rflags);
	/* Raum never runs in SMM. */
	if (intr & INTR_SMI)
		return fail(f, "guest interruptibility: blocking by SMI must be 0 outside SMM", intr);
	/* Any other value makes the CPU check a shadow VMCS, which Raum does not use (27.3.1.5). */
	if (g->vmcs_link != ~0ULL)
		return fail(f, "guest VMCS link pointer: must be all ones (no VMCS shadowing)", g->vmcs_link);
	return true;
}

static bool guest_check(const struct vmx_guest_state *g, const struct vmx_controls *c,
			const struct vmx_caps_msrs *m, struct gs_fail *f)
{
	struct gs_ctx x = {
		.ia32e = c->entry & ENTRY_IA32E,
		.ug = (c->proc & PROC_SECONDARY) && (c->proc2 & PROC2_UNRESTRICTED),
		.v86 = g->rflags & RFLAGS_VM,
		.load_efer = c->entry & ENTRY_LOAD_EFER,
		.load_pat = c->entry & ENTRY_LOAD_PAT,
		.load_debug = c->entry & ENTRY_LOAD_DEBUG,
		/* "Canonical" uses the CPU's linear-address width: 57 with 5-level paging. */
		.la_bits = (m->cr4_fixed1 & CR4_LA57) ? 57 : 48,
	};
	unsigned int s;

	if (!check_cr_msr(g, &x, m, f) || !check_rip_rflags(g, &x, f))
		return false;
	for (s = VSEG_ES; s <= VSEG_GS; s++) {
		if (x.v86 ? !check_seg_v86(g, s, f) : !check_seg(g, &x, s, f))
			return false;
	}
	if (!x.v86 && !check_cs_ss(g, &x, f))
		return false;
	return check_tr_ldtr(g, &x, f) && check_dt(g, &x, f) && check_nonreg(g, m, f);
}

const char *vmx_check_guest_state(const struct vmx_guest_state *g, const struct vmx_controls *c,
				  const struct vmx_caps_msrs *m)
{
	struct gs_fail f = { 0 };

	return guest_check(g, c, m, &f) ? NULL : f.rule;
}

int vmx_explain_guest_state(const struct vmx_guest_state *g, const struct vmx_controls *c,
			    const struct vmx_caps_msrs *m, char *buf, size_t len)
{
	struct gs_fail f = { 0 };

	if (guest_check(g, c, m, &f)) {
		if (buf && len)
			buf[0] = '\0';
		return 0;
	}
	if (buf && len) {
		if (f.val < 10)
			raum_snprintf(buf, len, "%s, is %llu", f.rule, (unsigned long long)f.val);
		else
			raum_snprintf(buf, len, "%s, is 0x%llx", f.rule, (unsigned long long)f.val);
	}
	return -RAUM_EINVAL;
}
