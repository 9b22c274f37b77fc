/* SPDX-License-Identifier: MIT */
/*
 * Every CPU under Raum (issue 10; docs/smp.md): the root's start-up IPIs
 * emulated, and the one cross-CPU signal Raum has, the kick.
 *
 * INIT and SIPI are never sent to the hardware: Raum catches them where
 * the root sends them, in the local APIC's ICR. The xAPIC page is mapped
 * read-only in the root's SLAT (smp_init), so every write to it exits and
 * is done by Raum (apic_page_write): ICR low is decoded and routed
 * (include/raum/icr.h), INIT and SIPI go to the target VPs' state
 * machines (include/raum/initsipi.h), everything else is written to the
 * hardware as the root wrote it. In x2APIC mode WRMSR 0x830 is caught by
 * the MSR policy instead (apic_x2icr_write). The same on both vendors:
 * SVM has no SIPI exit, and Bochs 2.7's VMX INIT exit never clears.
 *
 * The kick: Raum owns no interrupt vector, so it signals another CPU with
 * an NMI, which exits the VP there (NMI exiting / the NMI intercept) or
 * wakes the CPU from its wait (smp_host_wait). Each CPU has one
 * kick_inflight flag: a sender sets it before it sends an NMI and sends
 * none while it is set; the target clears it when it takes an NMI, and an
 * NMI that finds it clear is the root's (re-injected). Two NMIs that
 * coincide may merge into one (hardware latches one): a root NMI can then
 * be lost, or a late kick taken for the root's; docs/smp.md says more.
 */
#ifndef RAUM_SMP_H
#define RAUM_SMP_H

#include <raum/decode.h>
#include <raum/initsipi.h>
#include <raum/types.h>

struct partition;
struct vp;
struct cpu;
enum exit_action;

/* IA32_APIC_BASE bits 51:12: the xAPIC page (SDM vol. 3A 11.4.4) */
#define APIC_BASE_ADDR_MASK 0x000ffffffffff000ULL

/*
 * At boot, before any VP runs: records the APIC IDs of the CPUs and the
 * xAPIC base (every CPU's is the firmware's 0xfee00000 or the same
 * relocated page), and maps that page read-only in the root's SLAT when
 * there is more than one CPU.
 */
int smp_init(struct partition *root, const u32 *apic_ids, u32 nr_cpus);

/* Makes CPU 'cpu' take notice (an NMI), unless it is this CPU or a kick is already on its way. */
void smp_kick(u32 cpu);

/* On an NMI this CPU took: true when it was a kick (it is then consumed), false when it was the root's. */
static inline bool smp_nmi_is_kick(u32 *kick_inflight)
{
	return __atomic_exchange_n(kick_inflight, 0, __ATOMIC_ACQ_REL) != 0;
}

/*
 * A write the SLAT refused in the xAPIC page at gpa, by the decoded
 * instruction 'in' (a store): done on the hardware, or emulated for ICR
 * low (INIT, SIPI), LDR and DFR (kept for logical destinations). Anything
 * but a 32-bit store to a register's first four bytes is dropped, as the
 * APIC drops it. RIP is moved past the instruction (EXIT_SKIPPED).
 */
enum exit_action apic_page_write(struct vp *vp, u64 gpa, const struct x86_insn *in, u64 value);

/* True when gpa is in the page smp_init made read-only (the xAPIC registers). */
bool apic_page_has(const struct partition *p, u64 gpa);

/* WRMSR 0x830, the x2APIC ICR (EDX:EAX in the VP's registers): decoded, routed, done. */
enum exit_action apic_x2icr_write(struct vp *vp, u64 value);

/*
 * Before a VP's next entry, when initsipi.pending is set: takes the INIT
 * and SIPI other CPUs posted. INIT parks the VP: its CPU halts in
 * smp_host_wait until a SIPI is posted, then the VP starts in real mode at
 * the vector's page. Returns with the VP running (an INIT to the boot
 * CPU's VP 0 resets the machine, the root's INIT policy).
 */
void vp_take_events(struct vp *vp);

/* Whether the dispatcher must call vp_take_events before the next entry: one load on the hot path. */
static inline bool vp_events_pending(const u32 *pending)
{
	return __atomic_load_n(pending, __ATOMIC_RELAXED) != 0;
}

/*
 * Halts this CPU (host mode, interrupts off) until *word is not 0 or an
 * NMI arrives; returns at once when *word is already set. An NMI between
 * the check and the HLT restarts the check (kernel/trap.c), so no wake-up
 * is lost. kernel/entry.S; the vendor opens NMIs around it (SVM: STGI).
 */
void hlt_until(const u32 *word);

#endif
