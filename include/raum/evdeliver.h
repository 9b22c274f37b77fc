/* SPDX-License-Identifier: MIT */
/*
 * Faults during event delivery: what the root gets when delivering an
 * exception or interrupt to it touched memory its SLAT does not back (an
 * IDT gate, a descriptor or a stack in Raum's memory or beyond what the
 * machine decodes: an NPF with EXITINTINFO valid, APM vol. 2 15.7.2, or an
 * EPT violation with IDT-vectoring information valid, SDM vol. 3C 28.2.4).
 *
 * The access belongs to the delivery, not to the instruction at RIP, so
 * that instruction is never decoded, emulated or skipped. The delivery
 * itself faults instead, as on hardware where a gate or descriptor it
 * cannot use raises #GP (SDM vol. 3A 6.12.1, 6.14.1; APM vol. 2 8.4):
 *
 *   gate  the event's IDT gate lies on unbacked memory: #GP with the IDT
 *         error code, vector * 8 + 2 (IDT bit) + EXT (SDM 6.13);
 *   other a descriptor, the TSS or the stack the delivery reads or pushes,
 *         or a guest page-table walk on the way: #GP(EXT).
 *
 * That #GP meets the event being delivered as SDM vol. 3A 6.15 table 6-5
 * says (interrupt 8): after a contributory exception (#DE, #TS, #NP, #SS,
 * #GP) or a #PF it becomes #DF(0); after #DF the CPU shuts down (a triple
 * fault); after anything else (benign exceptions, NMIs, external and
 * software interrupts) the #GP is delivered alone. Pure: unit-tested in
 * tests/unit/test_evdeliver.c.
 */
#ifndef RAUM_EVDELIVER_H
#define RAUM_EVDELIVER_H

#include <raum/types.h>

/* The event whose delivery faulted, vendor-neutral. */
enum ev_type {
	EV_EXTINT,      /* external interrupt (and reserved encodings) */
	EV_NMI,
	EV_HW_EXC,      /* hardware exception */
	EV_SW_INT,      /* INT n */
	EV_PRIV_SW_EXC, /* INT1 (ICEBP) */
	EV_SW_EXC,      /* INT3, INTO */
};

/* Which access of the delivery the SLAT refused. */
enum ev_access {
	EV_ACCESS_GATE,  /* the event's IDT gate */
	EV_ACCESS_OTHER, /* anything else: descriptors, TSS, stack, page tables */
};

/* SDM vol. 3A table 6-4 / 6-5 classes. */
enum ev_class { EV_BENIGN, EV_CONTRIBUTORY, EV_PAGE_FAULT, EV_DOUBLE_FAULT };

struct ev_outcome {
	bool shutdown; /* a triple fault: the CPU shuts down */
	u8 vector;     /* otherwise: the exception to deliver, with an error code */
	u32 error;
};

/* The class of the event for table 6-5: only hardware exceptions are ever contributory, #PF or #DF. */
enum ev_class ev_class_of(enum ev_type type, u8 vector);
/* The EXT bit of an error code raised during this event's delivery (SDM 6.13): clear for INT n, INT3, INTO. */
bool ev_external(enum ev_type type);
/* The fault the delivery of (type, vector) raises when the SLAT refused 'access'. */
struct ev_outcome ev_delivery_fault(enum ev_type type, u8 vector, enum ev_access access);
/* The event type from an SVM EXITINTINFO TYPE field (APM 15.20: INT3 / INTO are exceptions 3 / 4 there). */
enum ev_type ev_type_svm(u32 type, u8 vector);
/* The event type from a VT-x IDT-vectoring information type field (SDM 25.9.3). */
enum ev_type ev_type_vmx(u32 type);

#endif
