/* SPDX-License-Identifier: MIT */
/*
 * The ring-3 round trip for tests/efi/intercepts-hypercall.c. SysV calling
 * convention. Exceptions are caught by the trap stubs of lib-asm.S.
 *
 * ring3_roundtrip(ctx): loads the test GDT, IDT, page tables and TSS from
 * ctx, irets to ctx->user_rip (ring3_vmmcall_code on AMD, ring3_vmcall_code
 * on Intel) at CPL 3 and, after its exception, restores the
 * firmware's GDT, CR3, segment registers and IDT (TR stays on the test TSS).
 * Returns the vector. Interrupts must be disabled by the caller.
 */
	.text

	.hidden ring3_roundtrip
	.hidden ring3_vmmcall_code, ring3_vmmcall, ring3_vmcall_code, ring3_vmcall
	.hidden trap_saved_rsp, trap_recover_rip, trap_vector, ring3_rax

/* struct r3ctx offsets: kept in step with intercepts.h by _Static_assert there */
#define R3_MY_CR3 0
#define R3_FW_CR3 8
#define R3_USER_RSP 16
#define R3_USER_RIP 24
#define R3_FW_CS 32
#define R3_FW_SS 34
#define R3_FW_DS 36
#define R3_FW_ES 38
#define R3_FW_FS 40
#define R3_FW_GS 42
#define R3_MY_GDTR 48
#define R3_FW_GDTR 64
#define R3_MY_IDTR 80
#define R3_FW_IDTR 96

#define KCODE 0x08
#define KDATA 0x10
#define UDATA 0x1b
#define UCODE 0x23
#define TSSSEL 0x28

	.globl ring3_roundtrip
ring3_roundtrip:
	push %rbx
	push %rbp
	push %r12
	push %r13
	push %r14
	push %r15
	sub $8, %rsp
	mov %rdi, %rbx			/* ctx, callee-saved: survives the trip */
	mov %rsp, trap_saved_rsp(%rip)
	lea ring3_recover(%rip), %rax
	mov %rax, trap_recover_rip(%rip)

	mov R3_MY_CR3(%rbx), %rax
	mov %rax, %cr3
	lgdt R3_MY_GDTR(%rbx)
	lidt R3_MY_IDTR(%rbx)
	pushq $KCODE
	lea 2f(%rip), %rax
	push %rax
	lretq
2:	mov $KDATA, %ax
	mov %ax, %ss
	mov %ax, %ds
	mov %ax, %es
	mov $TSSSEL, %ax
	ltr %ax

	pushq $UDATA			/* ss */
	pushq R3_USER_RSP(%rbx)		/* rsp */
	pushq $0x2			/* rflags: IF = 0, IOPL = 0 */
	pushq $UCODE			/* cs */
	pushq R3_USER_RIP(%rbx)		/* rip */
	iretq

ring3_recover:
	/* CPL 0, CS = KCODE, SS = null; rsp = trap_saved_rsp; rbx = ctx */
	mov R3_FW_CR3(%rbx), %rax
	mov %rax, %cr3
	lgdt R3_FW_GDTR(%rbx)
	movzwq R3_FW_CS(%rbx), %rax
	push %rax
	lea 3f(%rip), %rax
	push %rax
	lretq
3:	mov R3_FW_SS(%rbx), %ax
	mov %ax, %ss
	mov R3_FW_DS(%rbx), %ax
	mov %ax, %ds
	mov R3_FW_ES(%rbx), %ax
	mov %ax, %es
	mov R3_FW_FS(%rbx), %ax
	mov %ax, %fs
	mov R3_FW_GS(%rbx), %ax
	mov %ax, %gs
	lidt R3_FW_IDTR(%rbx)
	mov trap_vector(%rip), %rax
	add $8, %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	ret

/* Run at CPL 3: a hypercall (must raise #UD); if it does not, HLT raises #GP. */
	.globl ring3_vmmcall_code, ring3_vmmcall, ring3_vmcall_code, ring3_vmcall
ring3_vmmcall_code:			/* AMD */
	mov $0x4001, %ecx		/* RAUM_CALL_GET_VERSION */
	xor %edx, %edx
	movabs $0x10000000000000, %r8	/* output GPA 1 << 52: should the call run, it writes nothing */
	mov $0x5a5a, %eax
ring3_vmmcall:
	vmmcall
	mov %rax, ring3_rax(%rip)
	hlt
	jmp .

ring3_vmcall_code:			/* Intel */
	mov $0x4001, %ecx
	xor %edx, %edx
	movabs $0x10000000000000, %r8
	mov $0x5a5a, %eax
ring3_vmcall:
	vmcall
	mov %rax, ring3_rax(%rip)
	hlt
	jmp .

	.data
	.balign 8
	.globl ring3_rax
ring3_rax:	.quad 0

	.section .note.GNU-stack,"",@progbits
