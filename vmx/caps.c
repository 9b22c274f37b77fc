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
#include "insn.h"
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

/* Controls Raum wants; see the contract in caps.h. */
#define WANT_PIN (PIN_NMI_EXIT | PIN_VIRTUAL_NMIS)
#define WANT_PROC (PROC_USE_MSR_BITMAPS | PROC_USE_IO_BITMAPS | PROC_SECONDARY) /* I/O: include/raum/pciio.h */
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
