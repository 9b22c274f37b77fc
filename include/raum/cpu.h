/* SPDX-License-Identifier: MIT */
/*
 * Per-CPU state of the hypervisor. Each CPU's area holds its stacks, with an
 * unmapped guard page below each, and its GDT, TSS and vendor state. The
 * areas sit side by side at PERCPU_BASE in Raum's address space, so the CPU
 * number follows from the stack pointer with no register or MSR to keep
 * (the guest owns GS base).
 */
#ifndef RAUM_CPU_H
#define RAUM_CPU_H

#include <raum/types.h>

struct vp;

#define RAUM_MAX_CPUS 64
#define STACK_SIZE (16 * 1024)
#define IST_STACK_SIZE (8 * 1024)

/* Selectors of Raum's GDT. */
#define SEL_CODE 0x08
#define SEL_DATA 0x10
#define SEL_TSS 0x18
#define GDT_ENTRIES 5 /* null, code, data, TSS (two slots) */

/* Interrupt-stack-table slots (SDM vol. 3A 6.14.5). */
#define IST_DF 1
#define IST_NMI 2
#define IST_MC 3

/* 64-bit TSS (SDM vol. 3A 8.7, figure 8-11). */
struct __packed tss64 {
	u32 reserved0;
	u64 rsp[3];
	u64 reserved1;
	u64 ist[7];
	u64 reserved2;
	u16 reserved3;
	u16 iomap_base;
};
_Static_assert(sizeof(struct tss64) == 104, "TSS size");
_Static_assert(offsetof(struct tss64, rsp) == 4, "TSS rsp0 offset");
_Static_assert(offsetof(struct tss64, ist) == 36, "TSS ist1 offset");
_Static_assert(offsetof(struct tss64, iomap_base) == 102, "TSS iomap offset");

struct cpu {
	/* Stacks, each above an unmapped guard page. */
	u8 stack_guard[PAGE_SIZE];
	u8 stack[STACK_SIZE];
	u8 df_guard[PAGE_SIZE];
	u8 df_stack[IST_STACK_SIZE];
	u8 nmi_guard[PAGE_SIZE];
	u8 nmi_stack[IST_STACK_SIZE];
	u8 mc_guard[PAGE_SIZE];
	u8 mc_stack[IST_STACK_SIZE];
	/* Hypercall bounce buffers: input copied in before it is checked further. */
	u8 hc_in[PAGE_SIZE] __aligned(PAGE_SIZE);
	u8 hc_out[PAGE_SIZE];
	/* Data: one page. */
	u64 gdt[GDT_ENTRIES] __aligned(16);
	struct tss64 tss __aligned(16);
	u32 id;
	u32 apic_id;
	u32 nmi_pending; /* the root's NMIs Raum took, at most 2: the exit path passes them to the root */
	u32 kick_inflight; /* a kick NMI is on its way here (include/raum/smp.h): the next NMI is Raum's */
	u32 kicks;       /* kicks taken here */
	u64 area_phys; /* physical address of this area */
	void *vendor;  /* the vendor backend's per-CPU state */
	struct vp *loaded_vp; /* the VP loaded on this CPU (kernel/vp.c), or NULL */
} __aligned(PAGE_SIZE);
_Static_assert(sizeof(struct cpu) % PAGE_SIZE == 0, "per-CPU area must be whole pages");

/* Where the per-CPU areas are mapped (see mm/vm.c). */
#define PERCPU_BASE 0xffffffffc0000000ULL

/* This CPU's number: 0 until the per-CPU areas are mapped. */
static inline u32 cpu_id(void)
{
	u64 rsp;
	__asm__ volatile("mov %%rsp, %0" : "=r"(rsp));
	if (rsp < PERCPU_BASE || rsp >= PERCPU_BASE + RAUM_MAX_CPUS * sizeof(struct cpu))
		return 0;
	return (u32)((rsp - PERCPU_BASE) / sizeof(struct cpu));
}

/* CPU n's area (mapped by vm_map_percpu). */
static inline struct cpu *cpu_area(u32 n) { return (struct cpu *)(PERCPU_BASE + (u64)n * sizeof(struct cpu)); }

static inline struct cpu *this_cpu(void)
{
	return (struct cpu *)(PERCPU_BASE + (u64)cpu_id() * sizeof(struct cpu));
}

/* Loads this CPU's GDT, TSS and the shared IDT (kernel/cpu.c). */
void cpu_load_tables(struct cpu *c);
/* The same without TR, for a call that returns to the firmware (RAUM_PHASE_INIT). */
void cpu_load_tables_no_tr(struct cpu *c);
/* Installs the exception handlers in the shared IDT (kernel/trap.c). */
void trap_init(void);

/* Runs fn(arg) on the stack whose top is 'top', then comes back (kernel/entry.S). */
s64 call_on_stack(s64 (*fn)(u64), u64 arg, void *top);

#endif
