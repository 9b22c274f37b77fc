/* SPDX-License-Identifier: MIT */
/*
 * The VMX run loop (Intel SDM vol. 3C 26, 28). A VM exit restores only
 * host RSP and RIP among the GPRs (from the VMCS host-state area), so all
 * fifteen guest GPRs are loaded before VMLAUNCH / VMRESUME and stored
 * after the exit; guest RSP and RIP live in the VMCS. HOST_RSP points at
 * the slot holding the VP pointer. A VMLAUNCH / VMRESUME that fails falls
 * through (VMfailValid / VMfailInvalid) to vmx_entry_failed. SPEC_CTRL is
 * switched here (include/raum/specctrl.h): Raum's value right after the
 * exit, before any RET, the root's right before the entry.
 */
#include "asm-offsets.h"
#include <raum/specctrl.h>

#define GPR(n) (VXP_GPR + 8 * (n))

.text
.globl vmx_run
vmx_run:
	pushq %rdi                      /* [rsp] = struct vmx_vp *; 16-byte aligned */
	movq $VMCS_HOST_RSP, %rax
	vmwrite %rsp, %rax
	/*
	 * From 1: to the VM entry instruction, an NMI that hits Raum's IDT
	 * restarts at 1: (nmi_restart_table below, kernel/trap.c), so the
	 * check of this CPU's nmi_pending is always the last thing before the
	 * entry: no NMI waits there for a later exit (vmx_late_nmis in vmx.c).
	 */
1:	movq (%rsp), %rdi
	movq VXP_HOST_NMI(%rdi), %rax
	cmpl $0, (%rax)
	jne 4f                          /* NMIs reached Raum since the exit: hand them on */
	SPEC_CTRL_TO_ROOT %rdi, VXP_SC  /* include/raum/specctrl.h; done again after a restart */
	cmpb $0, VXP_LAUNCHED(%rdi)     /* ZF survives the movs below */
	movq GPR(0)(%rdi), %rax
	movq GPR(1)(%rdi), %rcx
	movq GPR(2)(%rdi), %rdx
	movq GPR(3)(%rdi), %rbx
	movq GPR(5)(%rdi), %rbp
	movq GPR(6)(%rdi), %rsi
	movq GPR(8)(%rdi), %r8
	movq GPR(9)(%rdi), %r9
	movq GPR(10)(%rdi), %r10
	movq GPR(11)(%rdi), %r11
	movq GPR(12)(%rdi), %r12
	movq GPR(13)(%rdi), %r13
	movq GPR(14)(%rdi), %r14
	movq GPR(15)(%rdi), %r15
	movq GPR(7)(%rdi), %rdi
	jne 2f
	vmlaunch
	jmp 3f
2:	vmresume
3:	/* only reached when the entry failed: RFLAGS says how */
	pushfq
	popq %rsi
	movq (%rsp), %rdi
	call vmx_entry_failed           /* noreturn */
	ud2
4:	SPEC_CTRL_BACK %rdi, VXP_SC     /* a restart may follow the root's WRMSR above */
	call vmx_late_nmis              /* rdi = the VP; the stack is as vmx_handle_exit has it */
	jmp 1b

.section .rodata
.balign 8
.globl nmi_restart_table, nmi_restart_table_end
nmi_restart_table:                      /* (start, end): an NMI at start <= RIP < end resumes at start */
	.quad 1b, 3b
nmi_restart_table_end:
.text

.globl vmx_exit_entry
vmx_exit_entry:
	pushq %rdi
	movq 8(%rsp), %rdi
	movq %rax, GPR(0)(%rdi)
	movq %rcx, GPR(1)(%rdi)
	movq %rdx, GPR(2)(%rdi)
	movq %rbx, GPR(3)(%rdi)
	movq %rbp, GPR(5)(%rdi)
	movq %rsi, GPR(6)(%rdi)
	popq GPR(7)(%rdi)
	movq %r8, GPR(8)(%rdi)
	movq %r9, GPR(9)(%rdi)
	movq %r10, GPR(10)(%rdi)
	movq %r11, GPR(11)(%rdi)
	movq %r12, GPR(12)(%rdi)
	movq %r13, GPR(13)(%rdi)
	movq %r14, GPR(14)(%rdi)
	movq %r15, GPR(15)(%rdi)
	movb $1, VXP_LAUNCHED(%rdi)
	SPEC_CTRL_TO_RAUM %rdi, VXP_SC  /* before the first RET after the exit (KVM's vmenter.S rule) */
	call vmx_handle_exit
	jmp 1b
