/* SPDX-License-Identifier: MIT */
/*
 * The test guests' entry (Multiboot v1, 32-bit protected mode, paging off,
 * interrupts off: EAX the boot loader's magic, EBX the info structure):
 * a stack, then guest_main(magic, info); its return value leaves through
 * the exit port.
 */
	.section .multiboot, "a"
	.align 4
	.long 0x1badb002
	.long 0x00000003            /* page-aligned modules, memory information */
	.long -(0x1badb002 + 0x00000003)

	.text
	.globl _start
_start:
	movl $stack_top, %esp
	pushl %ebx
	pushl %eax
	call guest_main
	movw $0xf4, %dx
	outl %eax, %dx
1:	cli
	hlt
	jmp 1b

	.section .note.GNU-stack, "", @progbits
