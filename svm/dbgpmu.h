/* SPDX-License-Identifier: MIT */
/*
 * DEBUGCTL and the performance counters on AMD-V (docs/security.md,
 * "DEBUGCTL, LBR and the PMU on SVM"). VMRUN / #VMEXIT switch neither unless
 * LBR virtualization is on, so a root that sets DEBUGCTL.LBR or BTF would
 * otherwise have Raum's branches recorded (or, with TF, single-stepped on
 * branches), and its counters would count Raum's instructions.
 */
#ifndef RAUM_SVM_DBGPMU_H
#define RAUM_SVM_DBGPMU_H

#include <raum/x86-regs.h> /* MSR_DEBUGCTL */

#include "svm.h"


/* At the launch: the root's DEBUGCTL and PerfEvtSel from the firmware's; Raum's DEBUGCTL 0. */
void svm_dbgpmu_launch(struct svm_vp *s);
/* True for the MSRs svm_dbgpmu_msr emulates (MSR_VENDOR in the policy). */
bool svm_dbgpmu_owns(u32 msr);
/* An intercepted RDMSR / WRMSR of DEBUGCTL or a PerfEvtSel; val is EDX:EAX. */
enum exit_action svm_dbgpmu_msr(struct svm_vp *s, u32 msr, bool write, u64 val);

#endif
