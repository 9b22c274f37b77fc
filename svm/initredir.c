// SPDX-License-Identifier: MIT
/*
 * The VM_CR.R_INIT decision (svm/initredir.h): INIT redirection, so an INIT
 * that arrives while Raum's own code runs cannot reset the CPU silently.
 */
#include "initredir.h"

enum r_init_plan svm_r_init_plan(int read_rc, u64 vm_cr, u64 *value)
{
	*value = vm_cr;
	if (read_rc)
		return R_INIT_NO_MSR;
	if (vm_cr & VM_CR_R_INIT)
		return R_INIT_ALREADY;
	*value = vm_cr | VM_CR_R_INIT;
	return R_INIT_WRITE;
}

bool svm_r_init_took(int read_rc, u64 vm_cr_after) { return read_rc == 0 && (vm_cr_after & VM_CR_R_INIT); }
