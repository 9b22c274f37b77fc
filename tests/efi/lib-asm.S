/* SPDX-License-Identifier: MIT */
/*
 * Exception recovery for the guest-side suites (tests/efi/lib.h). SysV
 * calling convention (the apps' own functions; only firmware calls use the
 * MS ABI).
 *
 * trap_try(fn, arg): calls fn(arg) with the callee-saved registers and the
 * stack pointer remembered; an exception taken through trap_stub6/13/14
 * records vector, error code, RIP, CS and CR2 and resumes at the recovery
 * point with that stack. Returns -1 when fn returned, else the vector.
 * ring3_roundtrip (intercepts-asm.S) recovers through the same
 * trap_saved_rsp / trap_recover_rip.
 */
	.text

	.hidden trap_try, trap_stub6, trap_stub13, trap_stub14
	.hidden trap_saved_rsp, trap_recover_rip, trap_vector, trap_error, trap_rip, trap_cs, trap_cr2
	.hidden trap_rax, trap_count
	.hidden trap_stub1, trap_stub8

	.globl trap_try
trap_try:
	push %rbx
	push %rbp
	push %r12
	push %r13
	push %r14
	push %r15
	sub $8, %rsp			/* align the stack for the call */
	mov %rsp, trap_saved_rsp(%rip)
	lea trap_try_recover(%rip), %rax
	mov %rax, trap_recover_rip(%rip)
	mov %rdi, %rax
	mov %rsi, %rdi
	call *%rax
	mov $-1, %rax
	jmp 1f
trap_try_recover:
	mov trap_vector(%rip), %rax
1:	add $8, %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	ret

	.globl trap_stub6, trap_stub13, trap_stub14
trap_stub6:
	pushq $0			/* #UD has no error code */
	pushq $6
	jmp trap_common
trap_stub13:
	pushq $13
	jmp trap_common
trap_stub14:
	pushq $14
	jmp trap_common

	.globl trap_stub1, trap_stub8
trap_stub1:
	pushq $0			/* #DB has no error code */
	pushq $1
	jmp trap_common
trap_stub8:
	pushq $8			/* #DF pushes an error code of 0 */
	jmp trap_common

trap_common:
	/* stack: vector, error, rip, cs, rflags, rsp, ss */
	mov %rax, trap_rax(%rip)
	mov 0(%rsp), %rax
	mov %rax, trap_vector(%rip)
	mov 8(%rsp), %rax
	mov %rax, trap_error(%rip)
	mov 16(%rsp), %rax
	mov %rax, trap_rip(%rip)
	mov 24(%rsp), %rax
	mov %rax, trap_cs(%rip)
	mov %cr2, %rax
	mov %rax, trap_cr2(%rip)
	incq trap_count(%rip)
	mov trap_saved_rsp(%rip), %rsp
	jmp *trap_recover_rip(%rip)

	.data
	.balign 8
	.globl trap_saved_rsp, trap_recover_rip, trap_vector, trap_error, trap_rip, trap_cs, trap_cr2
	.globl trap_rax, trap_count
trap_saved_rsp:	.quad 0
trap_recover_rip: .quad 0
trap_vector:	.quad 0
trap_error:	.quad 0
trap_rip:	.quad 0
trap_cs:	.quad 0
trap_cr2:	.quad 0
trap_rax:	.quad 0
trap_count:	.quad 0

	.section .note.GNU-stack,"",@progbits
