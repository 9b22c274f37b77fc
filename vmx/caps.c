// SPDX-License-Identifier: MIT
/*
 * vmx/caps.c: VT-x capability decisions, pure functions of the capability
 * MSRs (SDM vol. 3D appendix A) so that host unit tests can feed them values
 * recorded on Bochs CPU models (tests/unit/test_vmxcaps.c).
 *
 * Section numbers follow the SDM editions whose vol. 3C has the VMCS in
 * chapter 25, VM entries in chapter 27 and the VMX instruction reference
 * in chapter 31 (older editions number them one lower).
 */
#include <raum/types.h>
#include <raum/bootinfo.h>
#include <raum/cpuid.h>
#include <raum/errno.h>
#include <raum/fmt.h>
#include <raum/x86-regs.h>
#include "caps.h"

/*
 * Control capability MSRs (SDM vol. 3D A.3-A.5):
 *
 *   63                  32 31                   0
 *  +----------------------+----------------------+
 *  | allowed 1-settings   | allowed 0-settings   |
 *  | 0: control must be 0 | 1: control must be 1 |
 *  +----------------------+----------------------+
 *
 * With IA32_VMX_BASIC bit 55 the caller passes the TRUE_* MSRs, whose
 * allowed 0-settings also free the "default1" controls (A.2), e.g. CR3
 * load / store exiting. PROCBASED_CTLS2 has no TRUE twin; its bits 31:0
 * are 0 on every CPU so far but are honoured all the same.
 */
static inline u32 ctl_must1(u64 msr)
{
	return (u32)msr;
}

static inline u32 ctl_may1(u64 msr)
{
	return (u32)(msr >> 32);
}

static inline bool ctl_allowed(u64 msr, u32 bits)
{
	return (ctl_may1(msr) & bits) == bits;
}

static inline u32 ctl_adjust(u64 msr, u32 want)
{
	return (want | ctl_must1(msr)) & ctl_may1(msr);
}

/* IA32_VMX_EPT_VPID_CAP (SDM vol. 3D A.10). */
#define EPTCAP_WALK4 BIT(6)
#define EPTCAP_WB BIT(14)
#define EPTCAP_2M BIT(16)
#define EPTCAP_1G BIT(17)
#define EPTCAP_INVEPT BIT(20)
#define EPTCAP_AD BIT(21)
#define EPTCAP_INVEPT_SINGLE BIT(25)
#define EPTCAP_INVEPT_ALL BIT(26)
#define VPIDCAP_INVVPID BIT(32)
#define VPIDCAP_INVVPID_ADDR BIT(40)
#define VPIDCAP_INVVPID_SINGLE BIT(41)
#define VPIDCAP_INVVPID_ALL BIT(42)
#define VPIDCAP_INVVPID_SINGLE_GLOBALS BIT(43)

/* INVEPT / INVVPID types (SDM vol. 3C 31.3, "INVEPT", "INVVPID"). */
#define INVEPT_SINGLE 1
#define INVEPT_ALL 2
#define INVVPID_SINGLE 1
#define INVVPID_ALL 2

/* Controls Raum wants; see the contract in caps.h. */
#define WANT_PIN (PIN_NMI_EXIT | PIN_VIRTUAL_NMIS)
#define WANT_PROC (PROC_USE_MSR_BITMAPS | PROC_SECONDARY)
#define WANT_EXIT (EXIT_HOST_64 | EXIT_SAVE_EFER | EXIT_LOAD_EFER | EXIT_SAVE_PAT | EXIT_LOAD_PAT | \
		   EXIT_SAVE_DEBUG)
#define WANT_ENTRY (ENTRY_LOAD_EFER | ENTRY_LOAD_PAT | ENTRY_LOAD_DEBUG)

/* A fix that fits every refusal: the Bochs models with all of it (PLATFORM.md). */
#define FIX_CPU "use a CPU from Westmere on, or Bochs 'cpu: model=corei7_skylake_x' (or tigerlake)"

static int refuse(char *why, size_t why_len, const char *what)
{
	if (why && why_len)
		raum_snprintf(why, why_len, "VT-x lacks %s, which Raum requires; %s.", what, FIX_CPU);
	return -RAUM_ENODEV;
}

/* A capability MSR that demands a control it does not allow is unusable. */
static bool ctl_consistent(u64 msr)
{
	return (ctl_must1(msr) & ~ctl_may1(msr)) == 0;
}

/* The secondary control behind each control of the CPUID table (include/raum/cpuid.h). */
static const u32 proc2_for_cpuid_ctl[CPUID_CTLS] = {
	[CPUID_CTL_RDTSCP] = PROC2_RDTSCP,   /* RDTSCP and RDPID */
	[CPUID_CTL_INVPCID] = PROC2_INVPCID,
	[CPUID_CTL_XSAVES] = PROC2_XSAVES,
	[CPUID_CTL_USER_WAIT] = PROC2_USER_WAIT,
};

int vmx_compute_controls(const struct vmx_caps_msrs *m, struct vmx_controls *out, char *why, size_t why_len)
{
	u64 cap = m->ept_vpid_cap;
	u32 want2;

	*out = (struct vmx_controls){ 0 };
	if (why && why_len)
		why[0] = '\0';

	if (!ctl_consistent(m->pinbased) || !ctl_consistent(m->procbased) || !ctl_consistent(m->procbased2) ||
	    !ctl_consistent(m->exit) || !ctl_consistent(m->entry))
		return refuse(why, why_len, "consistent control capability MSRs (a control is both "
					    "required and forbidden; a broken emulator?)");

	/*
	 * Virtual NMIs need NMI exiting (SDM 27.2.1.1); Raum re-injects the
	 * root's NMIs and must track their blocking itself.
	 */
	if (!ctl_allowed(m->pinbased, PIN_NMI_EXIT | PIN_VIRTUAL_NMIS))
		return refuse(why, why_len, "NMI exiting with virtual NMIs (PINBASED_CTLS bits 3 and 5)");
	if (!ctl_allowed(m->procbased, PROC_USE_MSR_BITMAPS))
		return refuse(why, why_len, "MSR bitmaps (PROCBASED_CTLS bit 28)");
	if (!ctl_allowed(m->procbased, PROC_SECONDARY))
		return refuse(why, why_len, "the secondary processor-based controls (PROCBASED_CTLS bit 31)");
	if (!ctl_allowed(m->procbased2, PROC2_EPT))
		return refuse(why, why_len, "EPT (PROCBASED_CTLS2 bit 1)");
	/* The root runs in real mode before and during its mode switches. */
	if (!ctl_allowed(m->procbased2, PROC2_UNRESTRICTED))
		return refuse(why, why_len, "unrestricted guest (PROCBASED_CTLS2 bit 7)");
	if (!(cap & EPTCAP_WALK4))
		return refuse(why, why_len, "EPT page walks of length 4 (EPT_VPID_CAP bit 6)");
	if (!(cap & EPTCAP_WB))
		return refuse(why, why_len, "write-back EPT paging structures (EPT_VPID_CAP bit 14)");
	/* Raum flushes EPT-derived translations after every EPT change. */
	if (!(cap & EPTCAP_INVEPT) || !(cap & (EPTCAP_INVEPT_SINGLE | EPTCAP_INVEPT_ALL)))
		return refuse(why, why_len, "INVEPT with a single-context or all-context type "
					    "(EPT_VPID_CAP bits 20, 25, 26)");
	if (!ctl_allowed(m->exit, EXIT_HOST_64))
		return refuse(why, why_len, "the host address-space size exit control (EXIT_CTLS bit 9)");
	if (!ctl_allowed(m->exit, EXIT_SAVE_EFER | EXIT_LOAD_EFER))
		return refuse(why, why_len, "saving and loading IA32_EFER on VM exit (EXIT_CTLS bits 20 and 21)");
	if (!ctl_allowed(m->entry, ENTRY_LOAD_EFER))
		return refuse(why, why_len, "loading IA32_EFER on VM entry (ENTRY_CTLS bit 15)");

	/* INVEPT: prefer single-context (flushes only this EPTP's mappings). */
	out->invept_type = (cap & EPTCAP_INVEPT_SINGLE) ? INVEPT_SINGLE : INVEPT_ALL;

	/*
	 * VPID is worth it only when Raum can flush a VPID's translations:
	 * INVVPID (cap bit 32) with type 1 or 2 (bits 41, 42). Types 0 and 3
	 * alone do not serve Raum's flushes (SDM 31.3 "INVVPID").
	 */
	if (ctl_allowed(m->procbased2, PROC2_VPID) && (cap & VPIDCAP_INVVPID)) {
		if (cap & VPIDCAP_INVVPID_SINGLE)
			out->invvpid_type = INVVPID_SINGLE;
		else if (cap & VPIDCAP_INVVPID_ALL)
			out->invvpid_type = INVVPID_ALL;
	}

	/*
	 * The instructions CPUID may show need their enable controls (SDM 26.3):
	 * the table in kernel/cpuid.c names them; each is enabled where the CPU
	 * allows it, and what was granted goes back to the CPUID policy.
	 */
	u32 want_cpuid = cpuid_wanted_ctls(RAUM_VENDOR_INTEL);
	want2 = PROC2_EPT | PROC2_UNRESTRICTED;
	for (unsigned i = 0; i < ARRAY_SIZE(proc2_for_cpuid_ctl); i++)
		if (want_cpuid & CPUID_CTL_BIT(i))
			want2 |= proc2_for_cpuid_ctl[i];
	if (out->invvpid_type)
		want2 |= PROC2_VPID;

	out->pin = ctl_adjust(m->pinbased, WANT_PIN);
	out->proc = ctl_adjust(m->procbased, WANT_PROC);
	out->proc2 = ctl_adjust(m->procbased2, want2);
	out->exit = ctl_adjust(m->exit, WANT_EXIT);
	/* IA-32e mode guest is the caller's per-guest choice, not set here. */
	out->entry = ctl_adjust(m->entry, WANT_ENTRY);

	out->ept_2m = cap & EPTCAP_2M;
	out->ept_1g = cap & EPTCAP_1G;
	out->ept_ad = cap & EPTCAP_AD;
	for (unsigned i = 0; i < ARRAY_SIZE(proc2_for_cpuid_ctl); i++)
		if (proc2_for_cpuid_ctl[i] && (out->proc2 & proc2_for_cpuid_ctl[i]))
			out->cpuid_ctls |= CPUID_CTL_BIT(i);
	out->ug = out->proc2 & PROC2_UNRESTRICTED;
	out->vpid = out->proc2 & PROC2_VPID;
	if (!out->vpid)
		out->invvpid_type = 0;
	return 0;
}

/* SDM vol. 3C 31.4, table "VM-Instruction Error Numbers"; 14, 21, 27 are not assigned. */
static const char *const vm_insn_errors[] = {
	[1] = "VMCALL executed in VMX root operation",
	[2] = "VMCLEAR with invalid physical address",
	[3] = "VMCLEAR with VMXON pointer",
	[4] = "VMLAUNCH with non-clear VMCS",
	[5] = "VMRESUME with non-launched VMCS",
	[6] = "VMRESUME after VMXOFF (VMXOFF and VMXON between VMLAUNCH and VMRESUME)",
	[7] = "VM entry with invalid control field(s)",
	[8] = "VM entry with invalid host-state field(s)",
	[9] = "VMPTRLD with invalid physical address",
	[10] = "VMPTRLD with VMXON pointer",
	[11] = "VMPTRLD with incorrect VMCS revision identifier",
	[12] = "VMREAD/VMWRITE from/to unsupported VMCS component",
	[13] = "VMWRITE to read-only VMCS component",
	[15] = "VMXON executed in VMX root operation",
	[16] = "VM entry with invalid executive-VMCS pointer",
	[17] = "VM entry with non-launched executive VMCS",
	[18] = "VM entry with executive-VMCS pointer not VMXON pointer",
	[19] = "VMCALL with non-clear VMCS",
	[20] = "VMCALL with invalid VM-exit control fields",
	[22] = "VMCALL with incorrect MSEG revision identifier",
	[23] = "VMXOFF under dual-monitor treatment of SMIs and SMM",
	[24] = "VMCALL with invalid SMM-monitor features",
	[25] = "VM entry with invalid VM-execution control fields in executive VMCS",
	[26] = "VM entry with events blocked by MOV SS",
	[28] = "invalid operand to INVEPT/INVVPID",
};

const char *vmx_instruction_error_name(u32 err)
{
	if (err < ARRAY_SIZE(vm_insn_errors) && vm_insn_errors[err])
		return vm_insn_errors[err];
	return "unknown VM-instruction error";
}

/* SDM vol. 3D appendix C, table "Basic Exit Reasons"; 35, 38, 42 and 71 are not assigned. */
static const char *const exit_reasons[] = {
	[0] = "exception or non-maskable interrupt (NMI)",
	[1] = "external interrupt",
	[2] = "triple fault",
	[3] = "INIT signal",
	[4] = "start-up IPI (SIPI)",
	[5] = "I/O system-management interrupt (SMI)",
	[6] = "other SMI",
	[7] = "interrupt window",
	[8] = "NMI window",
	[9] = "task switch",
	[10] = "CPUID",
	[11] = "GETSEC",
	[12] = "HLT",
	[13] = "INVD",
	[14] = "INVLPG",
	[15] = "RDPMC",
	[16] = "RDTSC",
	[17] = "RSM",
	[18] = "VMCALL",
	[19] = "VMCLEAR",
	[20] = "VMLAUNCH",
	[21] = "VMPTRLD",
	[22] = "VMPTRST",
	[23] = "VMREAD",
	[24] = "VMRESUME",
	[25] = "VMWRITE",
	[26] = "VMXOFF",
	[27] = "VMXON",
	[28] = "control-register accesses",
	[29] = "MOV DR",
	[30] = "I/O instruction",
	[31] = "RDMSR",
	[32] = "WRMSR",
	[33] = "VM-entry failure due to invalid guest state",
	[34] = "VM-entry failure due to MSR loading",
	[36] = "MWAIT",
	[37] = "monitor trap flag",
	[39] = "MONITOR",
	[40] = "PAUSE",
	[41] = "VM-entry failure due to machine-check event",
	[43] = "TPR below threshold",
	[44] = "APIC access",
	[45] = "virtualized EOI",
	[46] = "access to GDTR or IDTR",
	[47] = "access to LDTR or TR",
	[48] = "EPT violation",
	[49] = "EPT misconfiguration",
	[50] = "INVEPT",
	[51] = "RDTSCP",
	[52] = "VMX-preemption timer expired",
	[53] = "INVVPID",
	[54] = "WBINVD or WBNOINVD",
	[55] = "XSETBV",
	[56] = "APIC write",
	[57] = "RDRAND",
	[58] = "INVPCID",
	[59] = "VMFUNC",
	[60] = "ENCLS",
	[61] = "RDSEED",
	[62] = "page-modification log full",
	[63] = "XSAVES",
	[64] = "XRSTORS",
	[65] = "PCONFIG",
	[66] = "SPP-related event",
	[67] = "UMWAIT",
	[68] = "TPAUSE",
	[69] = "LOADIWKEY",
	[70] = "ENCLV",
	[72] = "ENQCMD PASID translation failure",
	[73] = "ENQCMDS PASID translation failure",
	[74] = "bus lock",
	[75] = "instruction timeout",
	[76] = "SEAMCALL",
	[77] = "TDCALL",
	[78] = "RDMSRLIST",
	[79] = "WRMSRLIST",
};

const char *vmx_exit_reason_name(u32 reason)
{
	if (reason < ARRAY_SIZE(exit_reasons) && exit_reasons[reason])
		return exit_reasons[reason];
	return "unknown exit reason";
}

/* ---- Guest-state checks (SDM vol. 3C 27.3.1) ---- */

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
