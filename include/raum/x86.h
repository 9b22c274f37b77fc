/* SPDX-License-Identifier: MIT */
/* x86-64 instruction wrappers and architectural constants (host side). */
#ifndef RAUM_X86_H
#define RAUM_X86_H

#include <raum/types.h>
#include <raum/x86-regs.h> /* CR0_*, CR4_*, EFER_*, MSR_* */

/* DR6 (SDM vol. 3B 17.2.3): B0-B3, BS; the bits that read as 1 when no event set them (RTM, BLD included) */
#define DR6_TRAP_BITS 0xfULL
#define DR6_BS BIT(14)
#define DR6_BD BIT(13)
#define DR7_GD BIT(13)
#define RFLAGS_RF BIT(16)
/* The exceptions that push an error code (SDM vol. 3A 6.15, APM vol. 2 8.2: #DF #TS #NP #SS #GP #PF #AC #CP #VC #SX). */
#define EXC_ERROR_CODE (BIT(8) | BIT(10) | BIT(11) | BIT(12) | BIT(13) | BIT(14) | BIT(17) | BIT(21) | BIT(29) | BIT(30))
#define DR6_ACTIVE_LOW 0xffff0ff0ULL

struct cpuid_regs {
	u32 eax, ebx, ecx, edx;
};

static inline struct cpuid_regs cpuid(u32 leaf, u32 sub)
{
	struct cpuid_regs r;
	__asm__ volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx) : "a"(leaf), "c"(sub));
	return r;
}

static inline u64 rdmsr(u32 msr)
{
	u32 lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((u64)hi << 32) | lo;
}

static inline void wrmsr(u32 msr, u64 v)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
}

#define DEFINE_CR(n)                                                          \
	static inline u64 read_cr##n(void)                                    \
	{                                                                     \
		u64 v;                                                        \
		__asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));             \
		return v;                                                     \
	}                                                                     \
	static inline void write_cr##n(u64 v)                                 \
	{                                                                     \
		__asm__ volatile("mov %0, %%cr" #n ::"r"(v) : "memory");      \
	}
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)
#undef DEFINE_CR

static inline u64 read_rflags(void)
{
	u64 v;
	__asm__ volatile("pushfq; popq %0" : "=r"(v));
	return v;
}

/* RDMSR / WRMSR / XSETBV that return -1 instead of faulting with #GP (kernel/msr.S). */
int msr_read_safe(u32 msr, u64 *value);
int msr_write_safe(u32 msr, u64 value);
int xsetbv_safe(u32 index, u64 value);

static inline void outb(u16 port, u8 v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline u8 inb(u16 port)
{
	u8 v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline void outw(u16 port, u16 v) { __asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outl(u16 port, u32 v) { __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port)); }
static inline u16 inw(u16 port)
{
	u16 v;
	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline u32 inl(u16 port)
{
	u32 v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline void cpu_relax(void) { __asm__ volatile("pause"); }
static inline void cli(void) { __asm__ volatile("cli" ::: "memory"); }
static inline __noreturn void halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

struct __packed desc_ptr {
	u16 limit;
	u64 base;
};
_Static_assert(sizeof(struct desc_ptr) == 10, "descriptor-table register image");

/*
 * This CPU's local APIC ID as the firmware's MP services report it: CPUID
 * 0Bh EDX (the x2APIC ID) where the leaf exists, else CPUID 1 EBX[31:24].
 */
static inline u32 cpu_apic_id(void)
{
	if (cpuid(0, 0).eax >= 0xb && cpuid(0xb, 0).ebx != 0)
		return cpuid(0xb, 0).edx;
	return cpuid(1, 0).ebx >> 24;
}

/* The time-stamp counter (SDM vol. 3B 18.17): for durations Raum logs, in TSC ticks. */
static inline u64 rdtsc(void)
{
	u32 lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}

/*
 * An IRET to the next instruction, on the same stack: ends the NMI blocking
 * an NMI-caused VM exit leaves in VMX root operation (SDM vol. 3A 6.7.1:
 * "the processor ... blocks NMIs until the next IRET").
 */
static inline void nmi_unblock_iret(void)
{
	__asm__ volatile("mov %%ss, %%eax\n\t"
			 "pushq %%rax\n\t"
			 "pushq %%rsp\n\t"
			 "addq $8, (%%rsp)\n\t"
			 "pushfq\n\t"
			 "mov %%cs, %%eax\n\t"
			 "pushq %%rax\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "iretq\n"
			 "1:"
			 ::: "rax", "memory", "cc");
}

#endif
