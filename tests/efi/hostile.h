/* SPDX-License-Identifier: MIT */
/* The hostile-root suite's own declarations: one file per concern, efi_main and the order in hostile.c. */
#ifndef TESTS_EFI_HOSTILE_H
#define TESTS_EFI_HOSTILE_H

#include "lib.h"

/* Raum's health at one moment: the GetHealth block, whether the call worked, its RAX. */
struct snap {
	struct raum_health h;
	BOOLEAN ok;
	UINT64 rax;
};

void snap(struct snap *s);
/*
 * Reports one attack: it passes when ok holds, GetHealth worked after the
 * attack and Raum's canary was intact (canary_ok == 1); the details (fmt)
 * are printed on failure.
 */
void judge(const char *name, BOOLEAN ok, const struct snap *after, const CHAR16 *fmt, ...);

extern UINT64 canary_phys; /* from the first GetHealth: a page of Raum's memory */
extern UINT32 phys_bits;   /* CPUID 0x80000008 EAX[7:0] */

/* hostile-msr.c */
void hostile_msr(void);
/* hostile-invd.c */
void hostile_invd(void);
/* hostile-xsetbv.c */
void hostile_xsetbv(void);
/* hostile-cpustate.c: CR0 / CR4 / EFER writes the CPU refuses get #GP, not a stopped CPU */
void hostile_cpustate(void);
/* hostile-buffers.c: blocks below 4 GiB, then (last: they crash an unhardened Raum) the far ones */
void hostile_buffers(void);
void hostile_buffers_far(void);
/* hostile-evdeliver.c: an IDT gate on Raum's memory: the delivery faults (#GP, #DF), Raum alive */
void hostile_evdeliver(void);
/* hostile-dbgpmu.c: DEBUGCTL kept for the root across exits; AMD PerfEvtSel read back as written */
void hostile_dbgpmu(void);
/* hostile-apic.c: the read-only xAPIC page: odd writes dropped, RMW #GP, ICR to nobody, APIC_BASE pinned */
void hostile_apic(void);
/* hostile-pci.c: 0xCF8 a shadow, host-bridge decoding registers locked (ports and ECAM), #GP for odd I/O */
void hostile_pci(void);
/* hostile-deposit.c: DepositMemory / WithdrawMemory / GetMemoryBalance: pages Raum's at once, refusals, reps */
void hostile_deposit(void);
/* hostile-deposit.c: child partitions' lifecycle: states, pools, IDs, the table's limit; every page returned */
void hostile_partitions(void);
/* hostile.c: Raum's log holds no fault, panic or exception line */
void hostile_log(void);

#endif
