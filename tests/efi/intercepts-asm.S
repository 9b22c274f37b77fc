/* SPDX-License-Identifier: MIT */
/*
 * Exception recovery and the ring-3 round trip for tests/efi/intercepts.c.
 * SysV calling convention (the app's own functions; only firmware calls
 * use the MS ABI).
 *
 * trap_try(fn, arg): calls fn(arg) with the callee-saved registers and the
 * stack pointer remembered; an exception taken through trap_stub6/13/14
 * records vector, error code, RIP, CS and CR2 and resumes at the recovery
 * point with that stack. Returns -1 when fn returned, else the vector.
 *
 * ring3_roundtrip(ctx): loads the test GDT, IDT, page tables and TSS from
 * ctx, irets to ctx->user_rip (ring3_vmmcall_code on AMD, ring3_vmcall_code
 * on Intel) at CPL 3 and, after its exception, restores the
 * firmware's GDT, CR3, segment registers and IDT (TR stays on the test TSS).
 * Returns the vector. Interrupts must be disabled by the caller.
 */
	.text

	.hidden trap_try, trap_stub6, trap_stub13, trap_stub14, ring3_roundtrip
	.hidden ring3_vmmcall_code, ring3_vmmcall, ring3_vmcall_code, ring3_vmcall
	.hidden trap_saved_rsp, trap_recover_rip, trap_vector, trap_error, trap_rip, trap_cs, trap_cr2
	.hidden trap_rax, trap_count, ring3_rax

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

/* struct r3ctx offsets: kept in step with intercepts.c by _Static_assert there */
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
	.globl trap_saved_rsp, trap_recover_rip, trap_vector, trap_error, trap_rip, trap_cs, trap_cr2
	.globl trap_rax, trap_count, ring3_rax
trap_saved_rsp:	.quad 0
trap_recover_rip: .quad 0
trap_vector:	.quad 0
trap_error:	.quad 0
trap_rip:	.quad 0
trap_cs:	.quad 0
trap_cr2:	.quad 0
trap_rax:	.quad 0
trap_count:	.quad 0
ring3_rax:	.quad 0

	.section .note.GNU-stack,"",@progbits
