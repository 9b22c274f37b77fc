/* SPDX-License-Identifier: MIT */
/*
 * The firmware's CPU state as kernel/entry.S saved it on entry. Returning to
 * the loader restores it; the late launch (AMD-V / VT-x work) will use it as
 * the root partition's initial VP state instead.
 */
#ifndef RAUM_FWCTX_H
#define RAUM_FWCTX_H

#include <raum/types.h>

struct fw_ctx {
	u64 rbx, rbp, r12, r13, r14, r15, rsp, rflags;
	u64 cr0, cr3, cr4, efer;
	u16 cs, ds, es, ss, fs, gs, tr, ldtr;
	u8 gdtr[10];
	u8 idtr[10];
};
_Static_assert(offsetof(struct fw_ctx, gdtr) == 12 * 8 + 8 * 2, "fw_ctx layout");

extern struct fw_ctx fw_ctx;

#endif
