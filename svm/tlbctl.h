/* SPDX-License-Identifier: MIT */
/*
 * The common ASID decision (include/raum/asid.h) as the VMCB's TLB_CONTROL
 * (AMD APM vol. 2 15.16.2, 15.16.3; appendix B offset 0x05c). A fresh ASID
 * needs nothing more on AMD: nested translations are tagged by ASID too.
 */
#ifndef RAUM_SVM_TLBCTL_H
#define RAUM_SVM_TLBCTL_H

#include <raum/asid.h>

#include "vmcb.h"

static inline u8 svm_tlb_control(enum asid_flush f)
{
	switch (f) {
	case ASID_FLUSH_NONE:
		return SVM_TLB_DO_NOTHING;
	case ASID_FLUSH_TAG:
		return SVM_TLB_FLUSH_ASID;
	default:
		return SVM_TLB_FLUSH_ALL; /* also whatever the decision should never be */
	}
}

#endif
