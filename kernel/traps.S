/* SPDX-License-Identifier: MIT */
/*
 * Exception entry stubs. Each stub makes the stack look the same (an error
 * code, real or zero, then the vector), the common path saves the general
 * registers in struct trap_frame order and calls trap_dispatch(frame).
 * If it returns (a handled NMI) the registers are restored and iretq resumes.
 */
#include "asm-offsets.h"

.macro STUB vec, has_error
	.balign 16
trap_stub_\vec:
	.if \has_error == 0
	pushq $0
	.endif
	pushq $\vec
	jmp trap_common
.endm

.text
/* Vectors that push an error code: 8, 10-14, 17, 21, 29, 30 (SDM vol. 3A table 6-1). */
STUB 0,0;  STUB 1,0;  STUB 2,0;  STUB 3,0;  STUB 4,0;  STUB 5,0;  STUB 6,0;  STUB 7,0
STUB 8,1;  STUB 9,0;  STUB 10,1; STUB 11,1; STUB 12,1; STUB 13,1; STUB 14,1; STUB 15,0
STUB 16,0; STUB 17,1; STUB 18,0; STUB 19,0; STUB 20,0; STUB 21,1; STUB 22,0; STUB 23,0
STUB 24,0; STUB 25,0; STUB 26,0; STUB 27,0; STUB 28,0; STUB 29,1; STUB 30,1; STUB 31,0

trap_common:
	cld
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, %rdi
	/* keep the C call's stack 16-byte aligned whatever the CPU pushed */
	movq %rsp, %rbx
	andq $-16, %rsp
	call trap_dispatch
	movq %rbx, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	addq $(TF_RIP - TF_VECTOR), %rsp /* drop vector and error code */
	iretq

/* The stub addresses, for the IDT builder in trap.c. */
.section .rodata
.balign 8
.globl trap_stubs
trap_stubs:
.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad trap_stub_\n
.endr
