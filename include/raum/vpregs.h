/* SPDX-License-Identifier: MIT */
/*
 * A child VP's registers by TLFS name (Get/SetVpRegisters, include/hv/abi/hvcall.h):
 * the mapping between HV_X64_REGISTER_* and struct vp_regs, and the checks a
 * value must pass on its own. Pure code (kernel/vpregs.c, tests/unit/test_vpregs.c).
 *
 * A set checks what the register alone must satisfy, as the instruction that
 * loads it would (MOV CR, WRMSR, the VMRUN / VM-entry rules on one field):
 * reserved bits, PAT memory types, canonical addresses. What ties registers
 * together (paging needs PE, long mode PAE, CS.L with CS.D) is left to the
 * vendor's consistency check before each entry (svm/check.c, vmx/check.c),
 * so the order in which the root sets registers never matters.
 */
#ifndef RAUM_VPREGS_H
#define RAUM_VPREGS_H

#include <hv/abi/hvcall.h>
#include <raum/vp.h>

/* What this CPU allows (kernel/childvp.c reads it once). */
struct vpreg_limits {
	u64 cr4_reserved;   /* crrules' cr4_reserved */
	u64 efer_writable;  /* crrules' efer_writable, LMA added (a saved state holds it) */
};

/*
 * Reads register 'name' of r into *v (zeroed first). 0, or -RAUM_EINVAL
 * for a name Raum does not know.
 */
int vpreg_get(const struct vp_regs *r, u32 name, struct hv_register_value *v);
/*
 * Sets register 'name' of r from *v when the value passes its own checks.
 * 0, or -RAUM_EINVAL (unknown name, or a value no CPU takes) with r unchanged.
 */
int vpreg_set(struct vp_regs *r, u32 name, const struct hv_register_value *v, const struct vpreg_limits *lim);
/* Bits 63:47 all equal: canonical with 4-level paging (the stricter of 4 and 5 levels). */
bool vpreg_canonical(u64 a);
/* Each byte of a PAT value a memory type (0 UC, 1 WC, 4 WT, 5 WP, 6 WB, 7 UC-). */
bool vpreg_pat_valid(u64 pat);
/* Whether a child's WRMSR of val to msr (addr: the MSR holds an address) is one the CPU takes without #GP. */
bool vpreg_msr_value_ok(u32 msr, u64 val, bool addr);

/* An event of HV_X64_REGISTER_PENDING_INTERRUPTION (include/hv/abi/hvcall.h), decoded. */
struct vp_event {
	bool pending;
	u8 type;        /* HV_X64_PENDING_INTERRUPT, _NMI, _EXCEPTION */
	u8 vector;
	bool has_error;
	u32 error;
};
/*
 * Decodes and checks a value the root writes: 0 with *e, or -RAUM_EINVAL
 * for an event no CPU delivers (an external interrupt below vector 32, an
 * NMI not on vector 2, an exception above 31 or with an error code exactly
 * where the CPU pushes none, reserved bits, another type). 0 withdraws.
 */
int vpreg_event_decode(u64 v, struct vp_event *e);
u64 vpreg_event_encode(const struct vp_event *e);

/* The x86 reset state (SDM vol. 3A 9.1.1, table 9-1; APM vol. 2 14.1.3): a new VP's. */
void vpreg_reset(struct vp_regs *r);

#endif
