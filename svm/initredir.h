/* SPDX-License-Identifier: MIT */
/*
 * INIT and SVM (AMD APM vol. 2 15.29, "INIT Support"; VM_CR in 15.30.1).
 *
 * In guest mode the INIT intercept (VMCB 0x00c bit 3) turns an INIT into
 * #VMEXIT(INIT, 0x63). Outside guest mode (Raum's host code runs with
 * GIF = 1) an INIT would reset the CPU out from under Raum, silently,
 * unless VM_CR.R_INIT (MSR 0xc0010114 bit 1) is set: the CPU then turns a
 * non-intercepted INIT into a #SX exception (vector 30, error code 1) and
 * Raum's trap handler reports it. Pure decision code, unit-tested
 * (tests/unit/test_initredir.c) from recorded VM_CR values, since QEMU 7.2
 * does not model R_INIT.
 */
#ifndef RAUM_SVM_INITREDIR_H
#define RAUM_SVM_INITREDIR_H

#include <raum/types.h>

#define VM_CR_DPD BIT(0)
#define VM_CR_R_INIT BIT(1)
#define VM_CR_DIS_A20M BIT(2)

enum r_init_plan {
	R_INIT_ALREADY, /* R_INIT is set already: nothing to write */
	R_INIT_WRITE,   /* write *value: what was read, plus R_INIT */
	R_INIT_NO_MSR,  /* VM_CR did not read: nothing to write, INIT stays unredirected */
};

/*
 * What to do with VM_CR, given how reading it went (read_rc: 0 or the fault
 * of a safe read) and what it held. Every other bit is written back as read:
 * LOCK and SVMDIS ignore writes once LOCK is set (APM 15.30.1), and a bit
 * Raum does not know keeps its firmware value.
 */
enum r_init_plan svm_r_init_plan(int read_rc, u64 vm_cr, u64 *value);

/* Whether R_INIT is on after the write, from a read-back (read_rc as above). */
bool svm_r_init_took(int read_rc, u64 vm_cr_after);

#endif
