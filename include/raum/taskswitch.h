/* SPDX-License-Identifier: MIT */
/*
 * Hardware task switches, emulated (Intel SDM vol. 3A 8.3, "Task
 * Switching"; AMD APM vol. 2 12.3). VT-x exits on every task switch (exit
 * reason 9, SDM vol. 3C 26.1.2) and leaves the work to the VMM; SVM runs them
 * natively in guest mode. Vendor-neutral: the backend decodes its exit into
 * a ts_reason and a new TSS selector, hands over the guest state in
 * struct ts_state and memory access through struct ts_ops, and writes the
 * state back afterwards. Only 32-bit TSSs (types 9 / 11) in protected mode;
 * a 16-bit TSS or a switch into virtual-8086 mode returns -RAUM_ENOTSUP.
 */
#ifndef RAUM_TASKSWITCH_H
#define RAUM_TASKSWITCH_H

#include <raum/types.h>

enum ts_reason { TS_CALL, TS_IRET, TS_JMP, TS_GATE };

/* Segment registers in VMCS order; attributes in the VMX access-rights layout (SDM 25.4.1 table 25-2). */
enum { TS_ES, TS_CS, TS_SS, TS_DS, TS_FS, TS_GS, TS_LDTR, TS_TR, TS_NSEG };
#define TS_AR_UNUSABLE BIT(16)

struct ts_seg {
	u16 sel;
	u32 base, limit, ar;
};

struct ts_state {
	u32 gpr[8]; /* EAX ECX EDX EBX ESP EBP ESI EDI */
	u32 eip, eflags;
	u64 cr0, cr3;
	u64 gdt_base;
	u32 gdt_limit;
	struct ts_seg seg[TS_NSEG];
	bool cr3_changed;
};

/* Linear-address access to guest memory; 0 or a negative error (refused, not RAM, not mapped). */
struct ts_ops {
	int (*read)(void *ctx, u64 lin, void *buf, size_t n);
	int (*write)(void *ctx, u64 lin, const void *buf, size_t n);
};

/* A fault the switch raises, to be injected by the caller. */
struct ts_fault {
	u8 vector;
	u32 error;
};

/*
 * Switches from the task in s to the TSS sel for reason. s->eip is the EIP
 * saved in the old TSS (the backend points it past CALL / JMP / IRET / INT n,
 * at the faulting instruction for an exception). Returns 0 (s holds the new
 * task), 1 (*f holds the fault to inject; s holds the state it is raised
 * in: the old task before the commit point, the new one after, SDM 8.3
 * table 8-1), or -RAUM_ENOTSUP.
 */
int task_switch(struct ts_state *s, const struct ts_ops *ops, void *ctx, u16 sel, enum ts_reason reason,
		struct ts_fault *f);

#endif
