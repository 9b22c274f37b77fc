/* SPDX-License-Identifier: MIT */
/* The intercept suite's own declarations: one file per concern, efi_main and the order in intercepts.c. */
#ifndef TESTS_EFI_INTERCEPTS_H
#define TESTS_EFI_INTERCEPTS_H

#include "lib.h"

/* intercepts-asm.S */
extern char ring3_vmmcall_code[] HIDDEN, ring3_vmmcall[] HIDDEN, ring3_vmcall_code[] HIDDEN, ring3_vmcall[] HIDDEN;
extern volatile UINT64 ring3_rax HIDDEN;

struct r3ctx {
	UINT64 my_cr3, fw_cr3, user_rsp, user_rip;
	UINT16 fw_cs, fw_ss, fw_ds, fw_es, fw_fs, fw_gs;
	UINT8 pad0[4];
	struct dtr my_gdtr;
	UINT8 pad1[6];
	struct dtr fw_gdtr;
	UINT8 pad2[6];
	struct dtr my_idtr;
	UINT8 pad3[6];
	struct dtr fw_idtr;
	UINT8 pad4[6];
};
extern long ring3_roundtrip(struct r3ctx *ctx) HIDDEN;

_Static_assert(__builtin_offsetof(struct r3ctx, user_rip) == 24, "R3_USER_RIP");
_Static_assert(__builtin_offsetof(struct r3ctx, fw_cs) == 32, "R3_FW_CS");
_Static_assert(__builtin_offsetof(struct r3ctx, fw_gs) == 42, "R3_FW_GS");
_Static_assert(__builtin_offsetof(struct r3ctx, my_gdtr) == 48, "R3_MY_GDTR");
_Static_assert(__builtin_offsetof(struct r3ctx, fw_gdtr) == 64, "R3_FW_GDTR");
_Static_assert(__builtin_offsetof(struct r3ctx, my_idtr) == 80, "R3_MY_IDTR");
_Static_assert(__builtin_offsetof(struct r3ctx, fw_idtr) == 96, "R3_FW_IDTR");

/* intercepts-cpuid.c */
void check_cpuid(void);
/* intercepts-prefix.c */
void check_prefixed_insns(void);
/* intercepts-singlestep.c: TF over CPUID / RDMSR that Raum completes: #DB after them */
void check_single_step(void);
/* intercepts-msr.c */
void check_msrs(void);
/* intercepts-svm.c (AMD) */
void check_svm_insns(void);
/* intercepts-vmx.c (Intel) */
void check_cr4_vmxe(void);
void check_vmx_insns(void);
void check_xsetbv(void);
extern BOOLEAN xsetbv_checked; /* FALSE: no XSAVE, no XSETBV made */
/* intercepts-memory.c */
extern UINT64 hv_base, hv_len; /* Raum's memory */
void find_hv_region(void);
void check_hv_memory(void);
/* intercepts-hypercall.c */
void check_hypercalls(void);
void check_vendor_counters(void);
void check_cpl3(void);

#endif
