// SPDX-License-Identifier: MIT
/*
 * The intercept suite: single-stepping over instructions Raum completes
 * for the root. With RFLAGS.TF set, hardware raises #DB after each
 * instruction with DR6.BS set and RIP past it (SDM vol. 3B 17.3.1.4); an
 * intercepted instruction (CPUID; RDMSR of MTRR_DEF_TYPE, which Raum
 * shadows on both vendors) must look the same. POPF sets TF, so the first
 * instruction traced is the one after it; the suite's #DB stub recovers at
 * the first #DB. Before the fix, Raum skipped the instruction without the
 * trap and the #DB came one instruction later (after the NOP).
 */
#include "intercepts.h"

#define DR6_BS (1ULL << 14)

extern char ss_cpuid[] HIDDEN, ss_cpuid_next[] HIDDEN, ss_rdmsr[] HIDDEN, ss_rdmsr_next[] HIDDEN,
	ss_db_stub[] HIDDEN;
extern volatile UINT64 ss_db_count HIDDEN, ss_db_rip HIDDEN, ss_db_dr6 HIDDEN;

__asm__(".data\n"
	".balign 8\n"
	".globl ss_db_count, ss_db_rip, ss_db_dr6\n"
	".hidden ss_db_count, ss_db_rip, ss_db_dr6\n"
	"ss_db_count: .quad 0\n"
	"ss_db_rip: .quad 0\n"
	"ss_db_dr6: .quad 0\n"
	".text\n"
	".globl ss_cpuid, ss_cpuid_next, ss_rdmsr, ss_rdmsr_next, ss_db_stub\n"
	".hidden ss_cpuid, ss_cpuid_next, ss_rdmsr, ss_rdmsr_next, ss_db_stub\n"
	/* #DB: count; RIP and DR6 of the first; return with TF clear (frame: rax, rip, cs, rflags) */
	"ss_db_stub:\n"
	"	push %rax\n"
	"	incq ss_db_count(%rip)\n"
	"	cmpq $1, ss_db_count(%rip)\n"
	"	jne 1f\n"
	"	mov 8(%rsp), %rax\n"
	"	mov %rax, ss_db_rip(%rip)\n"
	"	mov %dr6, %rax\n"
	"	mov %rax, ss_db_dr6(%rip)\n"
	"1:	andq $~0x100, 24(%rsp)\n"
	"	pop %rax\n"
	"	iretq\n"
	/* ss_cpuid(arg): CPUID leaf 0 traced; trap_try restores RBX on recovery */
	"ss_cpuid:\n"
	"	push %rbx\n"
	"	xor %eax, %eax\n"
	"	xor %ecx, %ecx\n"
	"	pushfq\n"
	"	orq $0x100, (%rsp)\n"
	"	popfq\n"
	"	cpuid\n"
	"ss_cpuid_next:\n"
	"	nop\n"
	"	pushfq\n"
	"	andq $~0x100, (%rsp)\n"
	"	popfq\n"
	"	pop %rbx\n"
	"	ret\n"
	/* ss_rdmsr(arg): RDMSR 0x2ff traced */
	"ss_rdmsr:\n"
	"	mov $0x2ff, %ecx\n"
	"	pushfq\n"
	"	orq $0x100, (%rsp)\n"
	"	popfq\n"
	"	rdmsr\n"
	"ss_rdmsr_next:\n"
	"	nop\n"
	"	pushfq\n"
	"	andq $~0x100, (%rsp)\n"
	"	popfq\n"
	"	ret\n");

static inline void write_dr6(UINT64 v) { __asm__ volatile("mov %0, %%dr6" ::"r"(v)); }

static UINT8 *suite_idt;

static void get_idt(void *a)
{
	struct dtr d;

	(void)a;
	__asm__ volatile("sidt %0" : "=m"(d));
	suite_idt = (UINT8 *)d.base;
}

static void one(const char *name, void (*fn)(void *), const char *next)
{
	ss_db_count = ss_db_rip = ss_db_dr6 = 0;
	write_dr6(0xffff0ff0ULL); /* BS clear */
	set_gate(suite_idt, 1, ss_db_stub, read_cs());
	long v = guarded(fn, NULL);
	set_gate(suite_idt, 1, trap_stub1, read_cs());
	write_dr6(0xffff0ff0ULL);
	if (v == NO_TRAP && ss_db_count == 1 && ss_db_rip == (UINT64)next && (ss_db_dr6 & DR6_BS))
		pass(name);
	else
		fail(name, L"%a, %ld #DB, the first at rip %lx (want one at %lx, after the instruction), DR6 %lx",
		     vec_name(v), ss_db_count, ss_db_rip, (UINT64)next, ss_db_dr6);
}

void check_single_step(void)
{
	guarded(get_idt, NULL);
	one("singlestep.cpuid", (void (*)(void *))ss_cpuid, ss_cpuid_next);
	one("singlestep.rdmsr", (void (*)(void *))ss_rdmsr, ss_rdmsr_next);
}
