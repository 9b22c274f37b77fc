// SPDX-License-Identifier: MIT
/*
 * vmx/check.c: the guest-state checker against a 64-bit OVMF-like state
 * broken one rule at a time, real mode and virtual-8086 mode under
 * unrestricted guest, LA57, the MSRs VM entry does not load, and HLT.
 * The controls come from vmx/caps.c on the recorded Bochs skylake_x MSRs.
 */
#include "unit.h"

#include "bochs_caps.h"
#include "../../vmx/check.h"

/* ---- guest state ---- */

/* OVMF's state at the late launch: long mode, flat segments, no TSS (TR 0). */
static struct vmx_guest_state ovmf_guest(void)
{
	struct vmx_guest_state g = { 0 };

	g.cr0 = 0x80010033;
	g.cr3 = 0x7fc01000;
	g.cr4 = 0x2668; /* DE PAE MCE OSFXSR OSXMMEXCPT VMXE */
	g.dr7 = 0x400;
	g.rflags = 0x2;
	g.rip = 0x7fe5a123;
	g.efer = 0xd00; /* LME LMA NXE */
	g.pat = 0x0007040600070406ULL;
	for (int s = VSEG_ES; s <= VSEG_GS; s++) {
		g.seg_sel[s] = 0x30;
		g.seg_limit[s] = 0xffffffff;
		g.seg_ar[s] = 0xc093;
	}
	g.seg_sel[VSEG_CS] = 0x38;
	g.seg_ar[VSEG_CS] = 0xa09b;
	g.seg_ar[VSEG_LDTR] = 0x10000;
	g.seg_limit[VSEG_TR] = 0x67;
	g.seg_ar[VSEG_TR] = 0x8b;
	g.gdtr_base = 0x7f9ee698;
	g.gdtr_limit = 0x47;
	g.idtr_base = 0x7f39d018;
	g.idtr_limit = 0xfff;
	g.vmcs_link = ~0ULL;
	return g;
}

static struct vmx_controls skylake_controls(bool ia32e)
{
	struct vmx_caps_msrs m = skylake_x();
	struct vmx_controls c;

	assert_rc(vmx_compute_controls(&m, &c, NULL, 0), 0);
	if (ia32e)
		c.entry |= ENTRY_IA32E;
	return c;
}

/* Passes, both through the static sentence and the explained one. */
static void assert_guest_ok(const struct vmx_guest_state *g, const struct vmx_controls *c,
			    const struct vmx_caps_msrs *m)
{
	char buf[256];
	const char *r = vmx_check_guest_state(g, c, m);

	if (r)
		fail_msg("valid state rejected: %s", r);
	memset(buf, 'x', sizeof(buf));
	assert_rc(vmx_explain_guest_state(g, c, m, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
}

/* Fails with exactly this explained sentence; the static one is its prefix. */
static void assert_guest_bad(const struct vmx_guest_state *g, const struct vmx_controls *c,
			     const struct vmx_caps_msrs *m, const char *expect, const char *what)
{
	char buf[256];
	const char *r = vmx_check_guest_state(g, c, m);

	if (!r)
		fail_msg("%s: broken state accepted", what);
	assert_rc(vmx_explain_guest_state(g, c, m, buf, sizeof(buf)), -RAUM_EINVAL);
	if (strcmp(buf, expect))
		fail_msg("%s:\n  got    '%s'\n  wanted '%s'", what, buf, expect);
	assert_int_equal(strncmp(buf, r, strlen(r)), 0);
}

static void test_guest_ovmf_valid(void **state)
{
	(void)state;
	struct vmx_caps_msrs m = skylake_x();
	struct vmx_controls c = skylake_controls(true);
	struct vmx_guest_state g = ovmf_guest();

	assert_guest_ok(&g, &c, &m);
	/* The same with tigerlake's MSRs, and with a usable LDT, a null SS and a 4 GiB TSS. */
	m = tigerlake();
	g.seg_ar[VSEG_LDTR] = 0x82;
	g.seg_limit[VSEG_LDTR] = 0xffff;
	g.seg_sel[VSEG_SS] = 0;
	g.seg_ar[VSEG_SS] = 0x1c000;
	g.seg_base[VSEG_SS] = 0xdead00000000ULL; /* ignored while unusable */
	g.seg_limit[VSEG_TR] = 0xffffffff;
	g.seg_ar[VSEG_TR] = 0x808b;
	g.seg_base[VSEG_FS] = 0xffff800000001000ULL;
	g.interruptibility = 1; /* blocking by STI, with IF */
	g.rflags = 0x202;
	assert_guest_ok(&g, &c, &m);
}

/* One broken rule each, on the OVMF state with skylake_x controls (IA-32e). */
struct mutation {
	const char *what;
	void (*apply)(struct vmx_guest_state *g, struct vmx_controls *c);
	const char *expect;
};

#define MUT(name, body) \
	static void mut_##name(struct vmx_guest_state *g, struct vmx_controls *c) \
	{ \
		(void)g; \
		(void)c; \
		body; \
	}

MUT(cr0_ne, g->cr0 &= ~BIT(5))
MUT(cr0_high, g->cr0 |= BIT(32))
MUT(cr0_pg_ia32e, { g->cr0 &= ~BIT(31); })
MUT(cr0_pg_no_pe, { g->cr0 &= ~BIT(0); })
MUT(cr0_pe_no_ug, { c->proc2 &= ~PROC2_UNRESTRICTED; g->cr0 &= ~BIT(0); g->cr0 &= ~BIT(31); })
MUT(cr4_vmxe, g->cr4 &= ~BIT(13))
MUT(cr4_la57, g->cr4 |= BIT(12))
MUT(cr4_pae, g->cr4 &= ~BIT(5))
MUT(cr4_pcide_legacy, {
	c->entry &= ~ENTRY_IA32E;
	g->cr4 |= BIT(17);
})
MUT(cr3_high, g->cr3 |= BIT(63))
MUT(efer_lma, c->entry &= ~ENTRY_IA32E)
MUT(efer_lme, g->efer &= ~BIT(8))
MUT(efer_rsvd, g->efer |= BIT(1))
MUT(pat, g->pat = 0x0007040600070402ULL)
MUT(pat3, g->pat = 0x0307040600070406ULL)
MUT(pat8, g->pat = 0x0007040600080406ULL)
MUT(dr7, g->dr7 |= BIT(32))
MUT(debugctl, g->debugctl = BIT(20))
MUT(rflags_bit1, g->rflags = 0)
MUT(rflags_bit3, g->rflags |= BIT(3))
MUT(rflags_high, g->rflags |= BIT(22))
MUT(rflags_vm, g->rflags |= BIT(17))
MUT(rip_canonical, g->rip = 0x0000800000000000ULL)
MUT(rip_compat, {
	g->seg_ar[VSEG_CS] = 0xc09b;
	g->rip = 0x100000000ULL;
})
MUT(cs_l_db, g->seg_ar[VSEG_CS] = 0xe09b)
MUT(cs_type, g->seg_ar[VSEG_CS] = 0xa09a)
MUT(cs_type_no_ug, {
	c->proc2 &= ~PROC2_UNRESTRICTED;
	g->seg_ar[VSEG_CS] = 0xa093;
})
MUT(cs_s, g->seg_ar[VSEG_CS] = 0xa08b)
MUT(cs_p, g->seg_ar[VSEG_CS] = 0xa01b)
MUT(cs_base, g->seg_base[VSEG_CS] = 0x100000000ULL)
MUT(cs_base_unusable, {
	g->seg_ar[VSEG_CS] |= BIT(16); /* CS is checked whether or not marked unusable */
	g->seg_base[VSEG_CS] = 0x100000000ULL;
})
MUT(cs_p_unusable, g->seg_ar[VSEG_CS] = 0x1a01b)
MUT(cs_dpl_ss, g->seg_ar[VSEG_SS] = 0xc0f3)
MUT(cs_conforming_dpl, {
	g->seg_ar[VSEG_CS] = 0xa0ff; /* conforming, DPL 3 */
	g->seg_ar[VSEG_SS] = 0xc0b3; /* DPL 1 */
})
MUT(ss_type, g->seg_ar[VSEG_SS] = 0xc091)
MUT(ss_rpl_no_ug, {
	c->proc2 &= ~PROC2_UNRESTRICTED;
	g->seg_sel[VSEG_SS] = 0x33;
})
MUT(ss_dpl_rpl_no_ug, {
	c->proc2 &= ~PROC2_UNRESTRICTED;
	g->seg_sel[VSEG_SS] = 0x30;
	g->seg_sel[VSEG_CS] = 0x38;
	g->seg_ar[VSEG_SS] = 0xc093;
	g->seg_ar[VSEG_CS] = 0xa09f; /* conforming DPL 0: no CS/SS DPL equality */
	g->seg_sel[VSEG_SS] = 0x31;
	g->seg_sel[VSEG_CS] = 0x39;
})
MUT(ss_base_high, g->seg_base[VSEG_SS] = 0x100000000ULL)
MUT(ds_accessed, g->seg_ar[VSEG_DS] = 0xc092)
MUT(es_code_unreadable, g->seg_ar[VSEG_ES] = 0xc099)
MUT(ds_s, g->seg_ar[VSEG_DS] = 0xc083)
MUT(ds_dpl_rpl, {
	c->proc2 &= ~PROC2_UNRESTRICTED;
	g->seg_sel[VSEG_DS] = 0x33;
})
MUT(ds_p, g->seg_ar[VSEG_DS] = 0xc013)
MUT(es_rsvd, g->seg_ar[VSEG_ES] = 0xc193)
MUT(gs_rsvd_high, g->seg_ar[VSEG_GS] = 0x2c093)
MUT(ds_g_clear, g->seg_ar[VSEG_DS] = 0x4093)
MUT(ds_g_set, g->seg_limit[VSEG_DS] = 0xfff00)
MUT(fs_base, g->seg_base[VSEG_FS] = 0x0000800000000000ULL)
MUT(gs_base, g->seg_base[VSEG_GS] = 0xfff0000000000000ULL)
MUT(tr_type, g->seg_ar[VSEG_TR] = 0x89)
MUT(tr_unusable, g->seg_ar[VSEG_TR] = 0x1008b)
MUT(tr_ti, g->seg_sel[VSEG_TR] = 0x4)
MUT(tr_s, g->seg_ar[VSEG_TR] = 0x9b)
MUT(tr_p, g->seg_ar[VSEG_TR] = 0x0b)
MUT(tr_g, g->seg_ar[VSEG_TR] = 0x808b)
MUT(tr_base, g->seg_base[VSEG_TR] = 0x0001000000000000ULL)
MUT(tr_type_legacy, {
	c->entry &= ~ENTRY_IA32E;
	g->efer = 0x800;
	g->seg_ar[VSEG_CS] = 0xc09b;
	g->seg_ar[VSEG_TR] = 0x89;
})
MUT(ldtr_type, g->seg_ar[VSEG_LDTR] = 0x83)
MUT(ldtr_ti, {
	g->seg_ar[VSEG_LDTR] = 0x82;
	g->seg_sel[VSEG_LDTR] = 0x44;
})
MUT(ldtr_s, g->seg_ar[VSEG_LDTR] = 0x92)
MUT(gdtr_limit, g->gdtr_limit = 0x10000)
MUT(idtr_limit, g->idtr_limit = 0x10000)
MUT(idtr_base, g->idtr_base = 0x0000900000000000ULL)
MUT(activity_range, g->activity = 4)
MUT(activity_hlt_dpl, {
	g->activity = 1;
	g->seg_ar[VSEG_SS] = 0xc0f3;
	g->seg_ar[VSEG_CS] = 0xa0fb;
	g->seg_sel[VSEG_SS] = 0x33;
	g->seg_sel[VSEG_CS] = 0x3b;
})
MUT(activity_sti, {
	g->activity = 1;
	g->rflags |= BIT(9);
	g->interruptibility = 1;
})
MUT(sti_no_if, g->interruptibility = 1)
MUT(sti_and_movss, {
	g->rflags |= BIT(9);
	g->interruptibility = 3;
})
MUT(intr_rsvd, g->interruptibility = BIT(5))
MUT(intr_smi, g->interruptibility = BIT(2))
MUT(link, g->vmcs_link = 0)

#define GS_G_RULE "G must be 0 unless limit bits 11:0 are all 1, and 1 if any of limit bits 31:20 is 1"

static const struct mutation mutations[] = {
	{ "CR0.NE clear", mut_cr0_ne,
	  "guest CR0: a bit that IA32_VMX_CR0_FIXED0 requires is clear (PE and PG may be 0 only with "
	  "unrestricted guest), is 0x80010013" },
	{ "CR0 bit 32", mut_cr0_high, "guest CR0: a bit that IA32_VMX_CR0_FIXED1 forbids is set, is 0x180010033" },
	{ "CR0.PG clear in IA-32e", mut_cr0_pg_ia32e, "guest CR0: PG must be 1 in IA-32e mode, is 0x10033" },
	{ "CR0.PG without PE", mut_cr0_pg_no_pe, "guest CR0: PG set requires PE set, is 0x80010032" },
	{ "CR0.PE clear without UG", mut_cr0_pe_no_ug,
	  "guest CR0: a bit that IA32_VMX_CR0_FIXED0 requires is clear (PE and PG may be 0 only with "
	  "unrestricted guest), is 0x10032" },
	{ "CR4.VMXE clear", mut_cr4_vmxe,
	  "guest CR4: a bit that IA32_VMX_CR4_FIXED0 requires is clear (VMXE?), is 0x668" },
	{ "CR4.LA57 unsupported", mut_cr4_la57, "guest CR4: a bit that IA32_VMX_CR4_FIXED1 forbids is set, is 0x3668" },
	{ "CR4.PAE clear", mut_cr4_pae, "guest CR4: PAE must be 1 in IA-32e mode, is 0x2648" },
	{ "CR4.PCIDE outside IA-32e", mut_cr4_pcide_legacy,
	  "guest CR4: PCIDE must be 0 outside IA-32e mode, is 0x22668" },
	{ "CR3 bit 63", mut_cr3_high, "guest CR3: bits 63 and 60:52 must be 0, is 0x800000007fc01000" },
	{ "EFER.LMA without IA-32e", mut_efer_lma,
	  "guest IA32_EFER: LMA must equal the IA-32e mode guest entry control, is 0xd00" },
	{ "EFER.LME clear", mut_efer_lme,
	  "guest IA32_EFER: LME must equal the IA-32e mode guest entry control when CR0.PG is 1, is 0xc00" },
	{ "EFER reserved", mut_efer_rsvd, "guest IA32_EFER: reserved bits must be 0, is 0xd02" },
	{ "PAT type 2", mut_pat, "guest IA32_PAT: each byte must be 0, 1, 4, 5, 6 or 7, is 0x7040600070402" },
	{ "PAT type 3", mut_pat3, "guest IA32_PAT: each byte must be 0, 1, 4, 5, 6 or 7, is 0x307040600070406" },
	{ "PAT type 8", mut_pat8, "guest IA32_PAT: each byte must be 0, 1, 4, 5, 6 or 7, is 0x7040600080406" },
	{ "DR7 high", mut_dr7,
	  "guest DR7: bits 63:32 must be 0 when the entry loads debug controls, is 0x100000400" },
	{ "DEBUGCTL reserved", mut_debugctl, "guest IA32_DEBUGCTL: reserved bits 63:16 must be 0, is 0x100000" },
	{ "RFLAGS bit 1", mut_rflags_bit1, "guest RFLAGS: bit 1 must be 1, is 0" },
	{ "RFLAGS bit 3", mut_rflags_bit3, "guest RFLAGS: reserved bits 63:22, 15, 5 and 3 must be 0, is 0xa" },
	{ "RFLAGS bit 22", mut_rflags_high,
	  "guest RFLAGS: reserved bits 63:22, 15, 5 and 3 must be 0, is 0x400002" },
	{ "RFLAGS.VM in IA-32e", mut_rflags_vm,
	  "guest RFLAGS: VM must be 0 in IA-32e mode or with CR0.PE 0, is 0x20002" },
	{ "RIP non-canonical", mut_rip_canonical, "guest RIP: must be canonical in 64-bit mode, is 0x800000000000" },
	{ "RIP high in compatibility mode", mut_rip_compat,
	  "guest RIP: bits 63:32 must be 0 unless in IA-32e mode with CS.L 1, is 0x100000000" },
	{ "CS L and D/B", mut_cs_l_db, "guest CS: L and D/B must not both be 1 in IA-32e mode, is 0xe09b" },
	{ "CS not accessed", mut_cs_type, "guest CS: type must be 3, 9, 11, 13 or 15, is 0xa" },
	{ "CS data without UG", mut_cs_type_no_ug,
	  "guest CS: type must be 9, 11, 13 or 15 (accessed code; 3 needs unrestricted guest), is 3" },
	{ "CS S clear", mut_cs_s, "guest CS: S must be 1 (code or data segment), is 0xa08b" },
	{ "CS not present", mut_cs_p, "guest CS: P must be 1, is 0xa01b" },
	{ "CS base high", mut_cs_base, "guest CS: base bits 63:32 must be 0, is 0x100000000" },
	{ "CS base high, unusable", mut_cs_base_unusable, "guest CS: base bits 63:32 must be 0, is 0x100000000" },
	{ "CS not present, unusable", mut_cs_p_unusable, "guest CS: P must be 1, is 0x1a01b" },
	{ "SS.DPL != CS.DPL", mut_cs_dpl_ss, "guest CS: DPL must equal SS's DPL (non-conforming code), is 0" },
	{ "conforming CS.DPL > SS.DPL", mut_cs_conforming_dpl,
	  "guest CS: DPL must not exceed SS's DPL (conforming code), is 3" },
	{ "SS type", mut_ss_type, "guest SS: type must be 3 or 7 (read/write accessed data), is 1" },
	{ "SS.RPL != CS.RPL", mut_ss_rpl_no_ug,
	  "guest SS: selector RPL must equal CS's RPL without unrestricted guest, is 3" },
	{ "SS.DPL != SS.RPL", mut_ss_dpl_rpl_no_ug,
	  "guest SS: DPL must equal the selector's RPL without unrestricted guest, is 0" },
	{ "SS base high", mut_ss_base_high, "guest SS: base bits 63:32 must be 0, is 0x100000000" },
	{ "DS not accessed", mut_ds_accessed, "guest DS: type must be accessed (bit 0 set), is 2" },
	{ "ES execute-only code", mut_es_code_unreadable,
	  "guest ES: a code segment here must be readable (type bit 1), is 9" },
	{ "DS S clear", mut_ds_s, "guest DS: S must be 1 (code or data segment), is 0xc083" },
	{ "DS.DPL < RPL", mut_ds_dpl_rpl,
	  "guest DS: DPL must not be less than the selector's RPL (data or non-conforming code, no "
	  "unrestricted guest), is 0" },
	{ "DS not present", mut_ds_p, "guest DS: P must be 1, is 0xc013" },
	{ "ES bit 8", mut_es_rsvd, "guest ES: access-rights bits 11:8 and 31:17 must be 0, is 0xc193" },
	{ "GS bit 17", mut_gs_rsvd_high, "guest GS: access-rights bits 11:8 and 31:17 must be 0, is 0x2c093" },
	{ "DS 4 GiB limit, G clear", mut_ds_g_clear, "guest DS: " GS_G_RULE ", is 0xffffffff" },
	{ "DS limit 0xfff00, G set", mut_ds_g_set, "guest DS: " GS_G_RULE ", is 0xfff00" },
	{ "FS base", mut_fs_base, "guest FS: base must be canonical, is 0x800000000000" },
	{ "GS base", mut_gs_base, "guest GS: base must be canonical, is 0xfff0000000000000" },
	{ "TR type 9", mut_tr_type, "guest TR: type must be 11 (busy 64-bit TSS) in IA-32e mode, is 9" },
	{ "TR unusable", mut_tr_unusable, "guest TR: must be usable (access-rights bit 16 clear), is 0x1008b" },
	{ "TR TI", mut_tr_ti, "guest TR: selector TI must be 0, is 4" },
	{ "TR S", mut_tr_s, "guest TR: S must be 0 (system segment), is 0x9b" },
	{ "TR P", mut_tr_p, "guest TR: P must be 1, is 0xb" },
	{ "TR G with limit 0x67", mut_tr_g, "guest TR: " GS_G_RULE ", is 0x67" },
	{ "TR base", mut_tr_base, "guest TR: base must be canonical, is 0x1000000000000" },
	{ "TR type 9 outside IA-32e", mut_tr_type_legacy,
	  "guest TR: type must be 3 or 11 (busy 16- or 32-bit TSS), is 9" },
	{ "LDTR type", mut_ldtr_type, "guest LDTR: type must be 2 (LDT), is 3" },
	{ "LDTR TI", mut_ldtr_ti, "guest LDTR: selector TI must be 0, is 0x44" },
	{ "LDTR S", mut_ldtr_s, "guest LDTR: S must be 0 (system segment), is 0x92" },
	{ "GDTR limit", mut_gdtr_limit, "guest GDTR: limit bits 31:16 must be 0, is 0x10000" },
	{ "IDTR limit", mut_idtr_limit, "guest IDTR: limit bits 31:16 must be 0, is 0x10000" },
	{ "IDTR base", mut_idtr_base, "guest IDTR: base must be canonical, is 0x900000000000" },
	{ "activity 4", mut_activity_range,
	  "guest activity state: must be 0 (active) or a state VMX_MISC bits 8:6 allow, is 4" },
	{ "HLT at DPL 3", mut_activity_hlt_dpl, "guest activity state: HLT needs SS.DPL 0, is 3" },
	{ "HLT with STI blocking", mut_activity_sti,
	  "guest activity state: must be active with blocking by STI or MOV SS, is 1" },
	{ "STI blocking, IF 0", mut_sti_no_if, "guest interruptibility: blocking by STI requires RFLAGS.IF 1, is 2" },
	{ "STI and MOV SS", mut_sti_and_movss,
	  "guest interruptibility: blocking by STI and by MOV SS must not both be set, is 3" },
	{ "interruptibility bit 5", mut_intr_rsvd, "guest interruptibility: reserved bits 31:5 must be 0, is 0x20" },
	{ "blocking by SMI", mut_intr_smi, "guest interruptibility: blocking by SMI must be 0 outside SMM, is 4" },
	{ "VMCS link pointer", mut_link,
	  "guest VMCS link pointer: must be all ones (no VMCS shadowing), is 0" },
};

static void test_guest_mutations(void **state)
{
	(void)state;
	struct vmx_caps_msrs m = skylake_x();

	for (size_t i = 0; i < ARRAY_SIZE(mutations); i++) {
		struct vmx_guest_state g = ovmf_guest();
		struct vmx_controls c = skylake_controls(true);

		mutations[i].apply(&g, &c);
		assert_guest_bad(&g, &c, &m, mutations[i].expect, mutations[i].what);
	}
	/* Enough distinct rules are covered. */
	assert_true(ARRAY_SIZE(mutations) >= 20);
}

/* Unrestricted guest: the root in real mode (reset-like state) passes; its rules hold. */
static void test_guest_real_mode(void **state)
{
	(void)state;
	struct vmx_caps_msrs m = skylake_x();
	struct vmx_controls c = skylake_controls(false);
	struct vmx_guest_state g = ovmf_guest();

	g.cr0 = 0x30; /* ET NE, PE = PG = 0 */
	g.cr4 = 0x2000;
	g.efer = 0;
	g.rip = 0xfff0;
	for (int s = VSEG_ES; s <= VSEG_GS; s++) {
		g.seg_sel[s] = 0;
		g.seg_base[s] = 0;
		g.seg_limit[s] = 0xffff;
		g.seg_ar[s] = 0x93;
	}
	g.seg_sel[VSEG_CS] = 0xf000;
	g.seg_base[VSEG_CS] = 0xf0000;
	g.seg_ar[VSEG_CS] = 0x93; /* type 3: only with unrestricted guest */
	g.seg_ar[VSEG_TR] = 0x8b;
	assert_guest_ok(&g, &c, &m);

	/* SS.DPL must be 0 with CR0.PE 0 (CS code, so only the PE rule fires). */
	g.seg_ar[VSEG_SS] = 0xf3;
	g.seg_ar[VSEG_CS] = 0x9f; /* conforming DPL 0 <= SS.DPL 3 */
	assert_guest_bad(&g, &c, &m, "guest SS: DPL must be 0 when CS type is 3 or CR0.PE is 0, is 3", "SS.DPL, PE 0");
	g.seg_ar[VSEG_SS] = 0x93;

	/* CS type 3 needs DPL 0. */
	g.seg_ar[VSEG_CS] = 0xf3;
	assert_guest_bad(&g, &c, &m, "guest CS: DPL must be 0 with type 3 (unrestricted guest), is 3", "CS.DPL 3");
	g.seg_ar[VSEG_CS] = 0x93;

	/* RFLAGS.VM with PE 0. */
	g.rflags = 0x20002;
	assert_guest_bad(&g, &c, &m, "guest RFLAGS: VM must be 0 in IA-32e mode or with CR0.PE 0, is 0x20002",
			 "VM, PE 0");
	g.rflags = 0x2;

	/* Without unrestricted guest the same state breaks the CR0 fixed bits. */
	c.proc2 &= ~PROC2_UNRESTRICTED;
	assert_guest_bad(&g, &c, &m,
			 "guest CR0: a bit that IA32_VMX_CR0_FIXED0 requires is clear (PE and PG may be 0 only "
			 "with unrestricted guest), is 0x30",
			 "real mode without UG");
	/* ... and UG counts only with the secondary controls active. */
	c = skylake_controls(false);
	c.proc &= ~PROC_SECONDARY;
	assert_non_null(vmx_check_guest_state(&g, &c, &m));
}

/* Virtual-8086 guest under 32-bit protected mode. */
static void test_guest_v86(void **state)
{
	(void)state;
	struct vmx_caps_msrs m = skylake_x();
	struct vmx_controls c = skylake_controls(false);
	struct vmx_guest_state g = ovmf_guest();

	g.cr0 = 0x80000031; /* PG NE ET PE, 32-bit paging */
	g.cr4 = 0x2000;
	g.efer = 0;
	g.rflags = 0x20202;
	g.rip = 0x100;
	for (int s = VSEG_ES; s <= VSEG_GS; s++) {
		g.seg_sel[s] = 0x1234;
		g.seg_base[s] = 0x12340;
		g.seg_limit[s] = 0xffff;
		g.seg_ar[s] = 0xf3;
	}
	g.seg_base[VSEG_TR] = 0x5000;
	assert_guest_ok(&g, &c, &m);

	g.seg_base[VSEG_DS] = 0x12350;
	assert_guest_bad(&g, &c, &m, "guest DS: base must be the selector shifted left 4 in virtual-8086 mode, is 0x12350",
			 "v86 base");
	g.seg_base[VSEG_DS] = 0x12340;
	g.seg_limit[VSEG_SS] = 0xfffff;
	assert_guest_bad(&g, &c, &m, "guest SS: limit must be 0xffff in virtual-8086 mode, is 0xfffff", "v86 limit");
	g.seg_limit[VSEG_SS] = 0xffff;
	g.seg_ar[VSEG_CS] = 0xfb;
	assert_guest_bad(&g, &c, &m, "guest CS: access rights must be 0xf3 in virtual-8086 mode, is 0xfb", "v86 AR");
}

/* Canonical means 57 bits where the CPU has 5-level paging (CR4_FIXED1.LA57). */
static void test_guest_la57(void **state)
{
	(void)state;
	struct vmx_caps_msrs m = skylake_x();
	struct vmx_controls c = skylake_controls(true);
	struct vmx_guest_state g = ovmf_guest();

	g.seg_base[VSEG_GS] = 0x00ff800000000000ULL;
	assert_non_null(vmx_check_guest_state(&g, &c, &m));
	m.cr4_fixed1 |= BIT(12);
	assert_guest_ok(&g, &c, &m);
	g.seg_base[VSEG_GS] = 0x0100000000000000ULL;
	assert_guest_bad(&g, &c, &m, "guest GS: base must be canonical, is 0x100000000000000", "57-bit");
}

/* Controls that skip a check: no load-PAT / load-EFER / load-debug entry controls. */
static void test_guest_unloaded_msrs(void **state)
{
	(void)state;
	struct vmx_caps_msrs m = skylake_x();
	struct vmx_controls c = skylake_controls(true);
	struct vmx_guest_state g = ovmf_guest();

	g.pat = 0x0202020202020202ULL;
	g.efer = 0x2;
	g.dr7 = 0x100000400ULL;
	g.debugctl = BIT(40);
	c.entry &= ~(ENTRY_LOAD_PAT | ENTRY_LOAD_EFER | ENTRY_LOAD_DEBUG);
	assert_guest_ok(&g, &c, &m);
}

/* HLT is accepted where VMX_MISC allows it, refused where it does not. */
static void test_guest_activity_hlt(void **state)
{
	(void)state;
	struct vmx_caps_msrs m = skylake_x();
	struct vmx_controls c = skylake_controls(true);
	struct vmx_guest_state g = ovmf_guest();

	g.activity = 1;
	assert_guest_ok(&g, &c, &m);
	m.misc &= ~BIT(6);
	assert_guest_bad(&g, &c, &m,
			 "guest activity state: must be 0 (active) or a state VMX_MISC bits 8:6 allow, is 1",
			 "HLT not supported");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_guest_ovmf_valid),
		cmocka_unit_test(test_guest_mutations),
		cmocka_unit_test(test_guest_real_mode),
		cmocka_unit_test(test_guest_v86),
		cmocka_unit_test(test_guest_la57),
		cmocka_unit_test(test_guest_unloaded_msrs),
		cmocka_unit_test(test_guest_activity_hlt),
	};
	return cmocka_run_group_tests_name("vmxcheck", tests, NULL, NULL) ? 1 : 0;
}
