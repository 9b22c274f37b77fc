/* SPDX-License-Identifier: MIT */
/*
 * The architectural rules for writes to CR0, CR4 and EFER that Raum checks
 * when it performs such a write for the root instead of the CPU: a value the
 * CPU would refuse with #GP(0) is refused with #GP(0), never handed to the
 * VMCS / VMCB, where VM entry (VT-x, SDM vol. 3C 27.3.1) or VMRUN (AMD-V,
 * APM vol. 2 15.5.1) would refuse it and stop the CPU. Pure code
 * (kernel/crrules.c), unit-tested (tests/unit/test_crrules.c); the CPUID
 * words the rules depend on are read once at boot (cr_cpuid_read).
 *
 * Which writes reach these rules (docs/security.md, "Architectural rules"):
 *   AMD-V  every WRMSR to EFER (intercepted to hide SVME); CR0 / CR4 writes
 *          are not intercepted: the CPU checks them itself.
 *   VT-x   MOV to CR0 / CR4 that changes a bit of the guest-host mask
 *          (NE, VMXE, the bits FIXED1 forbids); EFER is not intercepted.
 *
 *   EFER   63 ....... 22  21    20   19  18    17     16  15  14    13    12   11  10  9  8   7..1  0
 *         +-------------+-----+----+---+-----+------+---+---+-----+-----+----+---+---+--+---+----+---+
 *         |  reserved   |AIBRS|UAIE|   |INTWB|MCOMMIT|  |TCE|FFXSR|LMSLE|SVME|NXE|LMA|  |LME|    |SCE|
 *         +-------------+-----+----+---+-----+------+---+---+-----+-----+----+---+---+--+---+----+---+
 *   (APM vol. 2 3.1.7; Intel has only SCE, LME, LMA, NXE: SDM vol. 3A 2.2.1)
 */
#ifndef RAUM_CRRULES_H
#define RAUM_CRRULES_H

#include <raum/types.h>
#include <raum/x86-regs.h> /* CR0_*, CR4_*, EFER_* */

/* The CPUID words the rules read; a leaf above the CPU's maximum reads as zeros. */
struct cr_cpuid {
	bool amd;		/* "AuthenticAMD" (or "HygonGenuine"): the AMD-only EFER bits exist */
	u32 l1_ecx, l1_edx;	/* CPUID.1 */
	u32 l7_ebx, l7_ecx, l7_edx; /* CPUID.(EAX=7,ECX=0) */
	u32 l7s1_eax;		/* CPUID.(EAX=7,ECX=1) */
	u32 e1_ecx, e1_edx;	/* CPUID 8000_0001 */
	u32 e8_ebx;		/* CPUID 8000_0008 */
	u32 e21_eax;		/* CPUID 8000_0021 */
};

/* The guest's architectural state the rules look at (the guest's view: read shadows applied). */
struct cr_state {
	u64 cr0, cr3, cr4, efer;
	bool cs_l; /* CS.L: with EFER.LMA, the guest runs 64-bit code */
};

/* The rule a write breaks; CR_OK when the write is allowed. Every other value means #GP(0). */
enum cr_fault {
	CR_OK = 0,
	CR0_HIGH_BITS,		/* bits 63:32 set */
	CR0_NW_WITHOUT_CD,	/* NW = 1 with CD = 0 */
	CR0_PG_WITHOUT_PE,	/* PG = 1 with PE = 0 */
	CR0_LONG_WITHOUT_PAE,	/* PG 0 -> 1 with EFER.LME = 1 and CR4.PAE = 0 */
	CR0_LONG_FROM_CS_L,	/* PG 0 -> 1 with EFER.LME = 1 while CS.L = 1 */
	CR0_PG_OFF_IN_64BIT,	/* PG 1 -> 0 in 64-bit code (EFER.LMA and CS.L) */
	CR0_PG_OFF_WITH_PCIDE,	/* PG 1 -> 0 while CR4.PCIDE = 1 */
	CR0_WP_OFF_WITH_CET,	/* WP = 0 while CR4.CET = 1 */
	CR4_RESERVED_BIT,	/* a bit this CPU does not have (or Raum hides: VMXE) */
	CR4_PAE_OFF_IN_LONG,	/* PAE = 0 while EFER.LMA = 1 */
	CR4_LA57_CHANGE_IN_LONG, /* LA57 changed while EFER.LMA = 1 */
	CR4_PCIDE_OUTSIDE_LONG, /* PCIDE 0 -> 1 while EFER.LMA = 0 */
	CR4_PCIDE_CR3_LOW,	/* PCIDE 0 -> 1 while CR3[11:0] != 0 */
	CR4_CET_WITHOUT_WP,	/* CET = 1 while CR0.WP = 0 */
	EFER_RESERVED_BIT,	/* a bit this CPU does not have (or Raum hides: SVME) */
	EFER_LME_CHANGE_PAGING, /* LME changed while CR0.PG = 1 */
	CR_FAULT_COUNT
};

/* A short sentence naming the rule ("CR0.PG cleared in 64-bit code"), for the log. */
const char *cr_fault_name(enum cr_fault f);

/*
 * The EFER bits WRMSR may set on this CPU, LMA included (a written LMA is
 * ignored, the CPU keeps its own). SVME never: SVM is hidden from the root.
 *   SCE always; LME/LMA with LM (8000_0001 EDX[29]); NXE with NX (EDX[20]).
 *   AMD only: LMSLE unless EferLmsleUnsupported (8000_0008 EBX[20], Zen 3 on);
 *   FFXSR with FFXSR (8000_0001 EDX[25]); TCE with TCE (8000_0001 ECX[17]);
 *   MCOMMIT with MCOMMIT (8000_0008 EBX[8]); INTWB with INT_WBINVD (EBX[13]);
 *   UAIE with UpperAddressIgnore (8000_0021 EAX[7]); AIBRSE with
 *   AutomaticIBRS (8000_0021 EAX[8]).
 */
u64 efer_writable(const struct cr_cpuid *c);

/*
 * The CR4 bits that are reserved on this CPU (MOV to CR4 with one set: #GP),
 * as KVM's __cr4_reserved_bits derives them: every architectural bit whose
 * feature CPUID does not report, every bit the SDM reserves, and VMXE / SMXE
 * as CPUID shows them (Raum hides VMX, so VMXE is always reserved here).
 */
u64 cr4_reserved(const struct cr_cpuid *c);

/*
 * The value MOV to CR0 leaves for val: bits 31:0 the architecture reserves
 * are ignored (written as 0) and ET reads as 1 (SDM vol. 3A 2.5: ET is
 * hardwired on every CPU with an integrated FPU; APM vol. 2 3.1.1).
 */
u64 cr0_effective(u64 val);
/* MOV to CR0 with val, from state s (SDM vol. 3A 2.5, vol. 2B MOV CR; APM vol. 2 3.1.1, 14.6). */
enum cr_fault cr0_check(const struct cr_state *s, u64 val);
/* MOV to CR4 with val, from state s; reserved from cr4_reserved (plus what the vendor forbids). */
enum cr_fault cr4_check(const struct cr_state *s, u64 val, u64 reserved);
/* WRMSR to EFER with val, from state s; writable from efer_writable (APM vol. 2 3.1.7, 14.6.1). */
enum cr_fault efer_check(const struct cr_state *s, u64 val, u64 writable);

/* Reads the CPUID words the rules need from this CPU (not pure: kernel/crcpuid.c). */
void cr_cpuid_read(struct cr_cpuid *c);

#endif
