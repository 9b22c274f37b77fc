/* SPDX-License-Identifier: MIT */
/*
 * The code blob of tests/efi/taskswitch.c: copied as a whole (ts_blob ..
 * ts_blob_end) into pages below 4 GiB that the firmware identity-maps, and
 * run there; everything in it is addressed relative to the copy (RIP in
 * 64-bit code, EBP = the copy's base in 32-bit code). taskswitch.c fills
 * in the GDT, IDT, TSSs and far pointers before calling ts_enter.
 *
 * ts_enter (64-bit, interrupts off): saves the firmware's state, loads the
 * test GDT, far-returns to a 32-bit code segment (compatibility mode),
 * clears CR0.PG (leaves IA-32e mode, EFER.LMA = 0) and EFER.LME: 32-bit
 * protected mode without paging (Intel SDM vol. 3A 10.8.5 "Initializing
 * IA-32e Mode" / "leaving"; AMD APM vol. 2 14.7). Then LTR TSS1 and the
 * task switches of SDM vol. 3A 8.3 (CALL, IRET through NT, JMP, JMP, a task
 * gate with INT n and IRET), each observed into the result slots. Back:
 * CR4, CR3, EFER.LME, CR0.PG (compatibility mode), a far jump to the 64-bit
 * code segment, the firmware's GDT, IDT, segments, FS/GS bases and TR.
 * An exception in 32-bit mode lands in a stub that records it and takes
 * the way back too.
 */
#include <raum/x86-regs.h>

#include "taskswitch.h"


#define OFF(sym) ((sym) - ts_blob)
#define RES(i) (OFF(ts_res) + 4 * (i))(%ebp)
#define TSS2_FIELD(o) (OFF(ts_tss2) + (o))(%ebp)
#define TSS1_FIELD(o) (OFF(ts_tss1) + (o))(%ebp)
#define GDT_AR(sel) (OFF(ts_gdt) + (sel) + 5)(%ebp)

/* records TR and the access bytes of both TSS descriptors into three slots */
.macro tr_state tr, ar1, ar2
	str %ax
	movzwl %ax, %eax
	movl %eax, RES(\tr)
	movzbl GDT_AR(TS_SEL_TSS1), %eax
	movl %eax, RES(\ar1)
	movzbl GDT_AR(TS_SEL_TSS2), %eax
	movl %eax, RES(\ar2)
.endm

.macro eflags_to slot
	pushfl
	popl %eax
	movl %eax, RES(\slot)
.endm

.macro stage n
	movl $\n, RES(R_STAGE)
.endm

	.text
	.balign 4096
	.globl ts_blob, ts_blob_end, ts_enter, ts_gdt, ts_gdtr, ts_idt, ts_idtr, ts_tss1, ts_tss2
	.globl ts_res, ts_fp_tss1, ts_fp_tss2, ts_fp64, ts_long64, ts_exc_stubs, ts_stack0_top
	.globl ts_stack1_top, ts_stack2_top, ts_task2_call, ts_task2_jmp, ts_task2_gate, ts_t1_after_jmp, ts_task2_np
	.hidden ts_blob, ts_blob_end, ts_enter, ts_gdt, ts_gdtr, ts_idt, ts_idtr, ts_tss1, ts_tss2
	.hidden ts_res, ts_fp_tss1, ts_fp_tss2, ts_fp64, ts_long64, ts_exc_stubs, ts_stack0_top
	.hidden ts_stack1_top, ts_stack2_top, ts_task2_call, ts_task2_jmp, ts_task2_gate, ts_t1_after_jmp, ts_task2_np
ts_blob:

/* ---- 64-bit: void ts_enter(void), SysV ABI, called with interrupts off ---- */
	.code64
ts_enter:
	push %rbx
	push %rbp
	push %r12
	push %r13
	push %r14
	push %r15
	pushfq
	cli
	mov %rsp, sv_rsp(%rip)
	mov %cr0, %rax
	mov %rax, sv_cr0(%rip)
	mov %cr3, %rax
	mov %rax, sv_cr3(%rip)
	mov %cr4, %rax
	mov %rax, sv_cr4(%rip)
	mov $MSR_EFER, %ecx
	rdmsr
	mov %eax, sv_efer(%rip)
	mov %edx, sv_efer+4(%rip)
	mov $MSR_FS_BASE, %ecx
	rdmsr
	mov %eax, sv_fsbase(%rip)
	mov %edx, sv_fsbase+4(%rip)
	mov $MSR_GS_BASE, %ecx
	rdmsr
	mov %eax, sv_gsbase(%rip)
	mov %edx, sv_gsbase+4(%rip)
	sgdt sv_gdtr(%rip)
	sidt sv_idtr(%rip)
	movw %cs, sv_cs(%rip)
	movw %ds, sv_ds(%rip)
	movw %es, sv_es(%rip)
	movw %ss, sv_ss(%rip)
	movw %fs, sv_fs(%rip)
	movw %gs, sv_gs(%rip)
	str sv_tr(%rip)
	lgdt ts_gdtr(%rip)
	lea ts_blob(%rip), %rbp /* below 4 GiB: EBP is the copy's base in 32-bit code */
	lea pm32(%rip), %rax
	pushq $TS_SEL_CODE32
	pushq %rax
	lretq

/* ---- 32-bit: compatibility mode, then protected mode without paging ---- */
	.code32
pm32:
	mov $TS_SEL_DATA32, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	mov %eax, %fs
	mov %eax, %gs
	lea OFF(ts_stack1_top)(%ebp), %esp
	mov %cr0, %eax
	and $0x7fffffff, %eax
	mov %eax, %cr0 /* IA-32e mode off: EFER.LMA = 0 (SDM vol. 3A 10.8.5.4) */
	jmp 1f
1:	mov $MSR_EFER, %ecx
	rdmsr
	and $~EFER_LME, %eax
	wrmsr
	lidt OFF(ts_idtr)(%ebp)
	stage 1
	mov $TS_SEL_TSS1, %ax
	ltr %ax
	mov $TS_T1_ESI, %esi
	mov $TS_T1_EDI, %edi

	/* 1. far CALL to TSS2: a nested task */
	lcall *OFF(ts_fp_tss2)(%ebp)
	/* back in task 1 through task 2's IRET */
	stage 3
	mov %esi, RES(R_1C_ESI)
	mov %edi, RES(R_1C_EDI)
	eflags_to R_1C_EFLAGS
	tr_state R_1C_TR, R_1C_TSS1_AR, R_1C_TSS2_AR
	mov TSS2_FIELD(0x20), %eax
	mov %eax, RES(R_1C_T2EIP)
	mov TSS2_FIELD(0x28), %eax
	mov %eax, RES(R_1C_T2EAX)
	mov TSS2_FIELD(0x24), %eax
	mov %eax, RES(R_1C_T2EFLAGS)

	/* 2. far JMP to TSS2: no back link (cleared first; a JMP must not write it), no NT */
	movw $0, TSS2_FIELD(0)
	ljmp *OFF(ts_fp_tss2)(%ebp)
ts_t1_after_jmp:
	stage 5
	mov %esi, RES(R_1J_ESI)
	tr_state R_1J_TR, R_1J_TSS1_AR, R_1J_TSS2_AR
	mov TSS1_FIELD(0x20), %eax
	mov %eax, RES(R_1J_T1EIP)
	mov TSS2_FIELD(0x20), %eax
	mov %eax, RES(R_1J_T2EIP)

	/* 3. INT n through a task gate in the IDT: nested again */
	int $TS_GATE_VEC
	stage 7
	mov %esi, RES(R_1G_ESI)
	eflags_to R_1G_EFLAGS
	tr_state R_1G_TR, R_1G_TSS1_AR, R_1G_TSS2_AR

	/*
	 * 4. an exception with an error code through a task gate (#NP): its
	 * error code goes onto the new task's stack (SDM vol. 3A 6.13); task 2
	 * sets the segment present and IRETs to the faulting MOV, which is retried
	 */
	lea OFF(ts_task2_np)(%ebp), %eax
	mov %eax, TSS2_FIELD(0x20)
	lea OFF(ts_stack2_top)(%ebp), %eax
	mov %eax, TSS2_FIELD(0x38)
	movw $0, TSS2_FIELD(0)
	mov $TS_SEL_NP, %eax
	mov %eax, %ds /* #NP(TS_SEL_NP) the first time */
	stage 9
	movw %ds, %ax
	movzwl %ax, %eax
	mov %eax, RES(R_1N_DS)
	mov $TS_SEL_DATA32, %eax
	mov %eax, %ds
	mov %esi, RES(R_1N_ESI)
	tr_state R_1N_TR, R_1N_TSS1_AR, R_1N_TSS2_AR
	jmp back32

/* ---- task 2: EBP = the copy's base from TSS2 ---- */
ts_task2_call:
	mov %eax, RES(R_C_EAX)
	mov %esi, RES(R_C_ESI)
	stage 2
	eflags_to R_C_EFLAGS
	movzwl TSS2_FIELD(0), %eax
	mov %eax, RES(R_C_LINK)
	tr_state R_C_TR, R_C_TSS1_AR, R_C_TSS2_AR
	movw %cs, %ax
	movzwl %ax, %eax
	mov %eax, RES(R_C_CS)
	movw %ss, %ax
	movzwl %ax, %eax
	mov %eax, RES(R_C_SS)
	mov %cr0, %eax
	mov %eax, RES(R_C_CR0)
	clts
	mov $TS_T2_EAX_NEW, %eax
	mov $0x2222cccc, %ecx
	mov $0x2222eeee, %esi
	iret /* NT: back to task 1 through the back link */
ts_task2_jmp:
	mov %eax, RES(R_J_EAX)
	stage 4
	eflags_to R_J_EFLAGS
	movzwl TSS2_FIELD(0), %eax
	mov %eax, RES(R_J_LINK)
	tr_state R_J_TR, R_J_TSS1_AR, R_J_TSS2_AR
	ljmp *OFF(ts_fp_tss1)(%ebp)
ts_task2_gate:
	stage 6
	eflags_to R_G_EFLAGS
	movzwl TSS2_FIELD(0), %eax
	mov %eax, RES(R_G_LINK)
	tr_state R_G_TR, R_G_TSS1_AR, R_G_TSS2_AR
	iret
	ud2 /* task 2 resumes here never: task 1 points it at ts_task2_np first */
ts_task2_np:
	mov %esp, RES(R_N_ESP)
	stage 8
	pop %eax
	mov %eax, RES(R_N_ERR)
	eflags_to R_N_EFLAGS
	movzwl TSS2_FIELD(0), %eax
	mov %eax, RES(R_N_LINK)
	str %ax
	movzwl %ax, %eax
	mov %eax, RES(R_N_TR)
	orb $0x80, GDT_AR(TS_SEL_NP)
	iret
	ud2

/* ---- exceptions in 32-bit mode: record, then the way back ---- */
	.balign 16
ts_exc_stubs:
	.set vec, 0
	.rept 32
	pushl $vec
	jmp exc_common
	.balign 16
	.set vec, vec + 1
	.endr
exc_common:
	call 1f
1:	pop %ebp
	sub $OFF(1b), %ebp
	mov 0(%esp), %eax
	mov %eax, RES(R_EXC_VEC)
	mov 4(%esp), %eax
	mov %eax, RES(R_EXC_W1)
	mov 8(%esp), %eax
	mov %eax, RES(R_EXC_W2)
	mov 12(%esp), %eax
	mov %eax, RES(R_EXC_W3)
	lea OFF(ts_stack1_top)(%ebp), %esp

/* ---- back to IA-32e mode (SDM vol. 3A 10.8.5) ---- */
back32:
	mov OFF(sv_cr4)(%ebp), %eax
	mov %eax, %cr4 /* PAE */
	mov OFF(sv_cr3)(%ebp), %eax
	mov %eax, %cr3
	mov $MSR_EFER, %ecx
	mov OFF(sv_efer)(%ebp), %eax
	mov OFF(sv_efer)+4(%ebp), %edx
	and $~EFER_LMA, %eax /* read-only */
	wrmsr
	mov OFF(sv_cr0)(%ebp), %eax
	mov %eax, %cr0 /* paging with LME: IA-32e mode, compatibility mode */
	ljmp *OFF(ts_fp64)(%ebp)

	.code64
ts_long64:
	lgdt sv_gdtr(%rip)
	lidt sv_idtr(%rip)
	/* TR: the firmware's, its descriptor's busy bit cleared first, when it had one */
	movzwl sv_tr(%rip), %eax
	and $~7, %eax
	jz 2f
	mov sv_gdtr+2(%rip), %rdx
	andb $~2, 5(%rdx,%rax)
	ltr sv_tr(%rip)
2:	movw sv_ss(%rip), %ss
	movw sv_ds(%rip), %ds
	movw sv_es(%rip), %es
	movw sv_fs(%rip), %fs
	movw sv_gs(%rip), %gs
	mov $MSR_FS_BASE, %ecx
	mov sv_fsbase(%rip), %eax
	mov sv_fsbase+4(%rip), %edx
	wrmsr
	mov $MSR_GS_BASE, %ecx
	mov sv_gsbase(%rip), %eax
	mov sv_gsbase+4(%rip), %edx
	wrmsr
	mov sv_rsp(%rip), %rsp
	movzwl sv_cs(%rip), %eax
	push %rax
	lea 3f(%rip), %rax
	push %rax
	lretq
3:	popfq
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	ret

/* ---- data (filled by taskswitch.c, except the saved state) ---- */
	.balign 8
sv_rsp: .quad 0
sv_cr0: .quad 0
sv_cr3: .quad 0
sv_cr4: .quad 0
sv_efer: .quad 0
sv_fsbase: .quad 0
sv_gsbase: .quad 0
	.balign 8
	.skip 6
sv_gdtr: .skip 10
	.balign 8
	.skip 6
sv_idtr: .skip 10
sv_cs: .word 0
sv_ds: .word 0
sv_es: .word 0
sv_ss: .word 0
sv_fs: .word 0
sv_gs: .word 0
sv_tr: .word 0
	.balign 8
	.skip 6
ts_gdtr: .skip 10 /* limit, base (8 bytes: lgdt in 64-bit mode reads them all) */
	.balign 8
	.skip 6
ts_idtr: .skip 10
	.balign 8
ts_fp_tss1: .skip 8 /* m16:32 far pointers: offset, selector */
ts_fp_tss2: .skip 8
ts_fp64: .skip 8
	.balign 16
ts_gdt: .skip TS_GDT_LIMIT + 1
	.balign 16
ts_idt: .skip 8 * TS_IDT_ENTRIES
	.balign 128
ts_tss1: .skip 128
ts_tss2: .skip 128
ts_res: .skip 4 * R_NSLOTS
	.balign 16
	.skip 512
ts_stack0_top:
	.skip 1024
ts_stack1_top:
	.skip 1024
ts_stack2_top:
ts_blob_end:

	.section .note.GNU-stack,"",@progbits
