/* SPDX-License-Identifier: MIT */
/*
 * The per-VP INIT / SIPI state machine (issue 10), after KVM's mp_state
 * (arch/x86/kvm/lapic.c kvm_apic_accept_events): a VP runs, or waits for a
 * start-up IPI after an INIT (halted, not spinning: the vendor parks it).
 * Pure code (kernel/initsipi.c, tests/unit/test_initsipi.c), fed by the
 * ICR routing (include/raum/icr.h) and by the VMX / SVM INIT exits.
 *
 *             INIT (not the BSP)
 *   RUNNING ---------------------> WAIT_FOR_SIPI --+ INIT, INIT de-assert,
 *     ^  |                               |   ^-----+ (nothing changes)
 *     |  | SIPI, INIT de-assert: ignored | SIPI(v): starts at v << 12
 *     |  +--+ INIT to the BSP: the       |
 *     |     | caller's policy            |
 *     +----------------------------------+
 *
 * A SIPI does something only in WAIT_FOR_SIPI: a second SIPI reaches a
 * running VP and is dropped (SDM vol. 3A 9.4.4 / 8.4.4.1, "MP
 * Initialization Protocol Algorithm"; VT-x: "If a logical processor is not
 * in the wait-for-SIPI activity state when a SIPI arrives, no VM exit
 * occurs and the SIPI is discarded", vol. 3C "Other Causes of VM Exits").
 * INIT to the BSP is not decided here: today the root's INIT resets the
 * machine (kernel/dispatch.c, vp_fail_decide); architecturally the BSP
 * would restart at F000:FFF0 (initsipi_init_regs) without waiting.
 *
 * Senders on other CPUs post events (initsipi_post); the VP's own CPU takes
 * them (initsipi_accept) before it enters the VP. Posting an INIT drops a
 * SIPI still pending, and a SIPI posted while another is pending is
 * dropped, so the outcome is the one the events would have had if each
 * had been taken at once: the first SIPI after an INIT starts the VP,
 * even when the VP takes both in one go (Linux sends INIT, de-assert,
 * SIPI, SIPI 10-20 us apart; OVMF sends one SIPI).
 */
#ifndef RAUM_INITSIPI_H
#define RAUM_INITSIPI_H

#include <raum/types.h>

enum initsipi_state { INITSIPI_RUNNING, INITSIPI_WAIT_FOR_SIPI, INITSIPI_STATES };
enum initsipi_event { INITSIPI_EV_INIT, INITSIPI_EV_SIPI, INITSIPI_EV_INIT_DEASSERT, INITSIPI_EVENTS };

/* What the VP's CPU must do after a step. */
enum initsipi_action {
	INITSIPI_NONE,     /* nothing: the VP goes on running, or goes on waiting */
	INITSIPI_PARK,     /* INIT: drop any event in flight and park the VP until a SIPI (halted, not spinning) */
	INITSIPI_START,    /* SIPI: vp_set_regs(initsipi_reset_regs(vector)) and run it */
	INITSIPI_BSP_INIT, /* INIT reached the BSP: the caller's policy (today the machine resets); state unchanged */
};

/* Posted, not yet taken: bits 7:0 the SIPI vector (with INITSIPI_PEND_SIPI) */
#define INITSIPI_PEND_VECTOR 0xffU
#define INITSIPI_PEND_INIT BIT(8)
#define INITSIPI_PEND_SIPI BIT(9)

struct initsipi {
	u8 state;      /* enum initsipi_state: the VP's own CPU writes it */
	bool bsp;      /* the bootstrap processor (root VP 0): INIT does not park it */
	u8 vector;     /* the last SIPI vector that started the VP */
	u32 pending;   /* INITSIPI_PEND_*: senders set it atomically (initsipi_post) */
};

/* A VP that runs (every VP at launch: the firmware parked the APs in its own HLT loop). */
static inline void initsipi_init(struct initsipi *s, bool bsp)
{
	*s = (struct initsipi){ .state = INITSIPI_RUNNING, .bsp = bsp };
}

/* One event applied at once (vector: INITSIPI_EV_SIPI's); the action for the VP's CPU. */
enum initsipi_action initsipi_step(struct initsipi *s, enum initsipi_event ev, u8 vector);

/*
 * Posts an event to the VP from any CPU: true when something new is
 * pending and the VP's CPU must be woken to take it (false: an INIT
 * de-assert, or a SIPI behind a pending one).
 */
bool initsipi_post(struct initsipi *s, enum initsipi_event ev, u8 vector);

/*
 * On the VP's own CPU, before it enters the VP: takes what was posted,
 * INIT first, then SIPI, and returns the one action that sums them up
 * (INIT then SIPI: INITSIPI_START). *vector: the start vector for START.
 */
enum initsipi_action initsipi_accept(struct initsipi *s, u8 *vector);

struct vp_regs;
/*
 * The architectural state after INIT (SDM vol. 3A 9.1.1 table 9-1, "IA-32
 * and Intel 64 Processor States Following Power-up, Reset, or INIT"; AMD
 * APM vol. 2 14.1.3 table 14-1), written over *r, which holds the VP's
 * state at the INIT (vp_get_regs): CR0.CD / NW and the MSRs (PAT,
 * SYSENTER, STAR, LSTAR, CSTAR, SFMASK, KERNEL_GS_BASE) are kept, as INIT
 * leaves them ("the internal caches, MSRs, MTRRs, and x87 FPU state are
 * left unchanged", SDM 9.1); EDX = cpuid1_eax, the signature.
 * initsipi_init_regs: CS F000 / FFFF0000, RIP FFF0 (the BSP's restart).
 * initsipi_reset_regs: after a SIPI: CS vector << 8 / vector << 12, RIP 0.
 * The vendor adds only what its hardware needs beyond the architecture
 * (SVM: EFER.SVME; VT-x: the CR0 / CR4 fixed bits under their shadows).
 */
void initsipi_init_regs(struct vp_regs *r, u32 cpuid1_eax);
void initsipi_reset_regs(struct vp_regs *r, u8 vector, u32 cpuid1_eax);

const char *initsipi_state_name(u8 state);

#endif
