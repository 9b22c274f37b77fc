/* SPDX-License-Identifier: MIT */
/* Exceptions taken inside the hypervisor, and the panic path. */
#ifndef RAUM_TRAP_H
#define RAUM_TRAP_H

#include <raum/types.h>

/* Register frame built by kernel/traps.S; the offsets are checked in asm-offsets.c. */
struct trap_frame {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vector, error;
	/* pushed by the CPU (SDM vol. 3A 6.14.2) */
	u64 rip, cs, rflags, rsp, ss;
};
_Static_assert(offsetof(struct trap_frame, vector) == 15 * 8, "trap frame layout");
_Static_assert(sizeof(struct trap_frame) == 22 * 8, "trap frame size");

/* Called from traps.S for every exception; returns only for a handled NMI. */
void trap_dispatch(struct trap_frame *f);

/* Prints the message, the registers and a backtrace to serial, then halts this CPU. */
__noreturn void panic(const char *fmt, ...) __printf(1, 2);
__noreturn void panic_frame(struct trap_frame *f, const char *what);

/* Symbol lookup over the table embedded in the image (kernel/ksyms.c). */
const char *ksym_lookup(u64 addr, u64 *offset);

/* Deliberately faults, as raum.cfg's debug_fault asks (enum raum_debug_fault). */
void debug_fault(int kind);
/* debug_fault=entry: the vendor code breaks the guest state before the first entry. */
bool debug_bad_entry(void);

#endif
