/* SPDX-License-Identifier: MIT */
/*
 * VT-x capability decisions from the capability MSRs (Intel SDM vol. 3D
 * appendix A), pure so they are unit-tested with values recorded on real
 * and emulated CPUs (tests/unit/test_vmxcaps.c): VM-execution, exit and
 * entry controls; the INVEPT / INVVPID flavours to use; the names of
 * VM-instruction errors and exit reasons. The software check of the guest
 * state is in vmx/check.h.
 */
#ifndef RAUM_VMX_CAPS_H
#define RAUM_VMX_CAPS_H

#include <raum/types.h>

/* Raw capability MSR values (0x480 .. 0x491). */
struct vmx_caps_msrs {
	u64 basic;            /* IA32_VMX_BASIC */
	u64 pinbased;         /* TRUE_PINBASED_CTLS when basic bit 55, else PINBASED_CTLS */
	u64 procbased;        /* TRUE_PROCBASED_CTLS / PROCBASED_CTLS */
	u64 procbased2;       /* PROCBASED_CTLS2, 0 when primary bit 31 cannot be 1 */
	u64 exit;             /* TRUE_EXIT_CTLS / EXIT_CTLS */
	u64 entry;            /* TRUE_ENTRY_CTLS / ENTRY_CTLS */
	u64 misc;             /* IA32_VMX_MISC */
	u64 cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	u64 ept_vpid_cap;     /* IA32_VMX_EPT_VPID_CAP, 0 when neither EPT nor VPID */
};

/* Control values Raum programs, each already inside what the CPU allows. */
struct vmx_controls {
	u32 pin, proc, proc2, exit, entry;
	bool ept_1g, ept_2m, ept_ad, vpid, ug;
	u8 invept_type;   /* 1 single-context, 2 all-context; 0 when INVEPT is absent */
	/*
	 * INVVPID types (SDM vol. 3C 31.3): 0 individual address, 1 single-context,
	 * 2 all-context, 3 single-context retaining globals. Raum uses 1, else 2;
	 * 0 when VPID is off (no INVVPID, or neither type 1 nor 2).
	 */
	u8 invvpid_type;
	/*
	 * The controls of kernel/cpuid.c's table this CPU lets Raum enable
	 * (CPUID_CTL_BIT set): what the root's CPUID may show.
	 */
	u32 cpuid_ctls;
};

/* Control bits (SDM vol. 3C 25.6, 25.7, 25.8). */
#define PIN_EXT_INTR_EXIT BIT(0)
#define PIN_NMI_EXIT BIT(3)
#define PIN_VIRTUAL_NMIS BIT(5)
#define PIN_PREEMPT_TIMER BIT(6) /* activate the VMX-preemption timer (SDM 26.5.1) */
#define PROC_INTR_WINDOW BIT(2)
#define PROC_TSC_OFFSET BIT(3)  /* use TSC offsetting (SDM 26.6.5) */
#define PROC_HLT_EXIT BIT(7)
#define PROC_CR3_LOAD_EXIT BIT(15)
#define PROC_CR3_STORE_EXIT BIT(16)
#define PROC_CR8_LOAD_EXIT BIT(19)
#define PROC_CR8_STORE_EXIT BIT(20)
#define PROC_NMI_WINDOW BIT(22)
#define PROC_UNCOND_IO_EXIT BIT(24)
#define PROC_USE_IO_BITMAPS BIT(25)
#define PROC_USE_MSR_BITMAPS BIT(28)
#define PROC_SECONDARY BIT(31)
#define PROC2_EPT BIT(1)
#define PROC2_RDTSCP BIT(3)
#define PROC2_VPID BIT(5)
#define PROC2_UNRESTRICTED BIT(7)
#define PROC2_INVPCID BIT(12)
#define PROC2_XSAVES BIT(20)
#define PROC2_USER_WAIT BIT(26)
#define PROC2_PCONFIG BIT(27)
#define EXIT_SAVE_DEBUG BIT(2)
#define EXIT_HOST_64 BIT(9)
#define EXIT_SAVE_PAT BIT(18)
#define EXIT_LOAD_PAT BIT(19)
#define EXIT_SAVE_EFER BIT(20)
#define EXIT_LOAD_EFER BIT(21)
#define ENTRY_LOAD_DEBUG BIT(2)
#define ENTRY_IA32E BIT(9)
#define ENTRY_LOAD_PAT BIT(14)
#define ENTRY_LOAD_EFER BIT(15)

/*
 * Computes the controls for the root partition's late launch:
 *   pin:   NMI exiting + virtual NMIs (NMIs for the root are re-injected);
 *          no external-interrupt exiting (interrupts pass through);
 *   proc:  MSR bitmaps, secondary controls; no HLT / CR3 / I/O exiting
 *          where the TRUE MSRs let them be 0;
 *   proc2: EPT, VPID (when present), unrestricted guest, and the enable
 *          controls kernel/cpuid.c's table wants (RDTSCP, INVPCID, XSAVES,
 *          user wait and pause), each when allowed; out->cpuid_ctls says
 *          which were granted, and the root's CPUID hides the rest;
 *   exit:  64-bit host, save/load EFER and PAT, save debug controls;
 *   entry: load EFER and PAT, load debug controls (IA-32e set per guest).
 * Every value is (wanted | must-be-1) & may-be-1. Returns 0, or fills
 * 'why' (one sentence naming the missing feature and the fix) and returns
 * -RAUM_ENODEV when a feature Raum requires is absent: secondary controls,
 * EPT with write-back and 4-level walks, unrestricted guest, MSR bitmaps,
 * NMI exiting with virtual NMIs, 64-bit host, load/save EFER, INVEPT.
 */
int vmx_compute_controls(const struct vmx_caps_msrs *m, struct vmx_controls *out, char *why, size_t why_len);

/* Name of a VM-instruction error number (SDM vol. 3C 31.4), or "unknown VM-instruction error". */
const char *vmx_instruction_error_name(u32 err);

/* Name of a basic exit reason (SDM vol. 3D appendix C), or "unknown exit reason". */
const char *vmx_exit_reason_name(u32 reason);

#endif
