/* SPDX-License-Identifier: MIT */
/* Entry of the 64-bit flat test guests: raumctl run --flat --mode 64 starts here in long mode, paging on. */
	.text
	.globl _start
_start:
	andq $~15, %rsp
	call guest_main64
1:	cli
	hlt
	jmp 1b

	.section .note.GNU-stack, "", @progbits
