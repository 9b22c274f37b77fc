/* SPDX-License-Identifier: MIT */
/*
 * Architectural register constants, each defined once: the bits of CR0, CR4
 * and EFER, and the MSR numbers Raum and its tests name (with the bits of
 * the few MSRs whose fields several files use). Constants only: no types,
 * no code, no includes, so the hypervisor, the loader (boot/), the host unit
 * tests, the GNU-EFI test applications (tests/efi/) and assembly files can
 * all include it. Domain fields stay beside the code that owns them
 * (MTRR fields in mtrr.h, SPEC_CTRL bits in specctrl.h, ...); MSRs private
 * to one vendor file may stay there (svm/perfctl.h).
 *
 * Sources: CR0 / CR4 SDM vol. 3A 2.5, APM vol. 2 3.1.1 and 3.1.3; EFER APM
 * vol. 2 3.1.7, SDM vol. 3A 2.2.1; MSR numbers SDM vol. 4 table 2-2 and APM
 * vol. 2 appendix A.
 */
#ifndef RAUM_X86_REGS_H
#define RAUM_X86_REGS_H

#ifdef __ASSEMBLER__
#define X86_BIT(n) (1 << (n))
#else
#define X86_BIT(n) (1ULL << (n))
#endif

/* ---- RFLAGS (SDM vol. 1 3.4.3) ---- */
#define RFLAGS_FIXED1 X86_BIT(1) /* reads as 1 */
#define RFLAGS_TF X86_BIT(8)
#define RFLAGS_IF X86_BIT(9)
#define RFLAGS_NT X86_BIT(14)
#define RFLAGS_VM X86_BIT(17)

/* ---- CR0 ---- */
#define CR0_PE X86_BIT(0)
#define CR0_MP X86_BIT(1)
#define CR0_EM X86_BIT(2)
#define CR0_TS X86_BIT(3)
#define CR0_ET X86_BIT(4)
#define CR0_NE X86_BIT(5)
#define CR0_WP X86_BIT(16)
#define CR0_AM X86_BIT(18)
#define CR0_NW X86_BIT(29)
#define CR0_CD X86_BIT(30)
#define CR0_PG X86_BIT(31)

/* ---- CR4 ---- */
#define CR4_VME X86_BIT(0)
#define CR4_PVI X86_BIT(1)
#define CR4_TSD X86_BIT(2)
#define CR4_DE X86_BIT(3)
#define CR4_PSE X86_BIT(4)
#define CR4_PAE X86_BIT(5)
#define CR4_MCE X86_BIT(6)
#define CR4_PGE X86_BIT(7)
#define CR4_PCE X86_BIT(8)
#define CR4_OSFXSR X86_BIT(9)
#define CR4_OSXMMEXCPT X86_BIT(10)
#define CR4_UMIP X86_BIT(11)
#define CR4_LA57 X86_BIT(12)
#define CR4_VMXE X86_BIT(13)
#define CR4_SMXE X86_BIT(14)
#define CR4_FSGSBASE X86_BIT(16)
#define CR4_PCIDE X86_BIT(17)
#define CR4_OSXSAVE X86_BIT(18)
#define CR4_KL X86_BIT(19)
#define CR4_SMEP X86_BIT(20)
#define CR4_SMAP X86_BIT(21)
#define CR4_PKE X86_BIT(22)
#define CR4_CET X86_BIT(23)
#define CR4_PKS X86_BIT(24)
#define CR4_UINTR X86_BIT(25)
#define CR4_LAM_SUP X86_BIT(28)
#define CR4_FRED X86_BIT(32)

/* ---- EFER (MSR 0xc0000080); Intel has only SCE, LME, LMA, NXE ---- */
#define EFER_SCE X86_BIT(0)
#define EFER_LME X86_BIT(8)
#define EFER_LMA X86_BIT(10)
#define EFER_NXE X86_BIT(11)
#define EFER_SVME X86_BIT(12)
#define EFER_LMSLE X86_BIT(13)
#define EFER_FFXSR X86_BIT(14)
#define EFER_TCE X86_BIT(15)
#define EFER_MCOMMIT X86_BIT(17)
#define EFER_INTWB X86_BIT(18)
#define EFER_UAIE X86_BIT(20)
#define EFER_AIBRSE X86_BIT(21)

/* ---- MSRs, architectural and Intel (SDM vol. 4 table 2-2) ---- */
#define MSR_IA32_APIC_BASE 0x1b
#define MSR_IA32_FEATURE_CONTROL 0x3a
#define FEATCTL_LOCK X86_BIT(0)
#define FEATCTL_VMX_IN_SMX X86_BIT(1)
#define FEATCTL_VMX_OUTSIDE_SMX X86_BIT(2)
#define MSR_IA32_SPEC_CTRL 0x48
#define MSR_IA32_UCODE_REV 0x8b
#define MSR_IA32_MTRRCAP 0x0fe
#define MSR_IA32_ARCH_CAPABILITIES 0x10a
#define MSR_SYSENTER_CS 0x174
#define MSR_SYSENTER_ESP 0x175
#define MSR_SYSENTER_EIP 0x176
#define MSR_IA32_MISC_ENABLE 0x1a0
#define MISC_ENABLE_XD_DISABLE X86_BIT(34)
#define MSR_DEBUGCTL 0x1d9
#define MSR_IA32_MTRR_PHYSBASE(n) (0x200 + 2 * (n))
#define MSR_IA32_MTRR_PHYSMASK(n) (0x201 + 2 * (n))
#define MSR_IA32_MTRR_FIX64K_00000 0x250
#define MSR_IA32_MTRR_FIX16K_80000 0x258
#define MSR_IA32_MTRR_FIX16K_A0000 0x259
#define MSR_IA32_MTRR_FIX4K_C0000 0x268 /* .. 0x26f = FIX4K_F8000 */
#define MSR_PAT 0x277
#define MSR_IA32_MTRR_DEF_TYPE 0x2ff
#define MSR_IA32_TME_ACTIVATE 0x982

/* VMX capability MSRs (SDM vol. 3D appendix A) */
#define MSR_IA32_VMX_BASIC 0x480
#define MSR_IA32_VMX_PINBASED_CTLS 0x481
#define MSR_IA32_VMX_PROCBASED_CTLS 0x482
#define MSR_IA32_VMX_EXIT_CTLS 0x483
#define MSR_IA32_VMX_ENTRY_CTLS 0x484
#define MSR_IA32_VMX_MISC 0x485
#define MSR_IA32_VMX_CR0_FIXED0 0x486
#define MSR_IA32_VMX_CR0_FIXED1 0x487
#define MSR_IA32_VMX_CR4_FIXED0 0x488
#define MSR_IA32_VMX_CR4_FIXED1 0x489
#define MSR_IA32_VMX_PROCBASED_CTLS2 0x48b
#define MSR_IA32_VMX_EPT_VPID_CAP 0x48c
#define MSR_IA32_VMX_TRUE_PINBASED_CTLS 0x48d
#define MSR_IA32_VMX_TRUE_PROCBASED_CTLS 0x48e
#define MSR_IA32_VMX_TRUE_EXIT_CTLS 0x48f
#define MSR_IA32_VMX_TRUE_ENTRY_CTLS 0x490

/* ---- MSRs of long mode (AMD64; Intel has them too, CSTAR aside) ---- */
#define MSR_EFER 0xc0000080
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SFMASK 0xc0000084
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102

/* ---- AMD MSRs (APM vol. 2 appendix A, 15.30) ---- */
#define MSR_AMD64_SYSCFG 0xc0010010
#define MSR_AMD_NB_CFG 0xc001001f
#define MSR_VM_CR 0xc0010114
#define VM_CR_LOCK X86_BIT(3)
#define VM_CR_SVMDIS X86_BIT(4)
#define MSR_VM_HSAVE_PA 0xc0010117

#endif
