/* SPDX-License-Identifier: MIT */
/*
 * The VMRUN consistency checks (AMD APM vol. 2 15.5.1), in software: when
 * VMRUN refuses a VMCB (VMEXIT_INVALID) the CPU does not say why, so Raum
 * names the first rule broken. Pure code (tests/unit/test_svmcheck.c).
 */
#ifndef RAUM_SVM_CHECK_H
#define RAUM_SVM_CHECK_H

#include "vmcb.h"

/* NULL when every rule Raum checks holds, else a sentence naming the first broken one. */
const char *svm_check_vmcb(const struct vmcb *v);

#endif
