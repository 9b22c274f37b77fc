/* SPDX-License-Identifier: MIT */
/*
 * RDMSR / WRMSR / XSETBV that survive a #GP: the exception handler
 * (kernel/trap.c) finds the faulting instruction in the fixup table below
 * and resumes at its fixup, which reports the failure. Used to forward a
 * guest's access to an MSR Raum does not emulate, or its XSETBV: the guest
 * then gets exactly what the hardware said, a value or a #GP.
 */
.text
/* int msr_read_safe(u32 msr, u64 *value): 0, or -1 when RDMSR raised #GP */
.globl msr_read_safe
msr_read_safe:
	movl %edi, %ecx
1:	rdmsr
	shlq $32, %rdx
	orq %rdx, %rax
	movq %rax, (%rsi)
	xorl %eax, %eax
	ret
2:	movl $-1, %eax
	ret

/* int msr_write_safe(u32 msr, u64 value): 0, or -1 when WRMSR raised #GP */
.globl msr_write_safe
msr_write_safe:
	movl %edi, %ecx
	movl %esi, %eax
	movq %rsi, %rdx
	shrq $32, %rdx
3:	wrmsr
	xorl %eax, %eax
	ret
4:	movl $-1, %eax
	ret

/* int xsetbv_safe(u32 index, u64 value): 0, or -1 when XSETBV raised #GP */
.globl xsetbv_safe
xsetbv_safe:
	movl %edi, %ecx
	movl %esi, %eax
	movq %rsi, %rdx
	shrq $32, %rdx
5:	xsetbv
	xorl %eax, %eax
	ret
6:	movl $-1, %eax
	ret

.section .rodata
.balign 8
.globl fixup_table, fixup_table_end
fixup_table:
	.quad 1b, 2b
	.quad 3b, 4b
	.quad 5b, 6b
fixup_table_end:
