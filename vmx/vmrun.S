/* SPDX-License-Identifier: MIT */
/*
 * One entry into a VMX guest (Intel SDM vol. 3C 26, 28): vmx_enter(x)
 * runs the guest until the next VM exit and returns to C, as KVM's
 * __vmx_vcpu_run does. A VM exit restores only host RSP and RIP among the
 * GPRs (from the VMCS host-state area), so all fifteen guest GPRs are
 * loaded before VMLAUNCH / VMRESUME and stored after the exit; guest RSP
 * and RIP live in the VMCS. Raum's own registers are not saved here: the
 * one caller, vmx_enter_call (vmx/exit.c), is an inline asm statement that
 * tells the compiler every GPR but RSP is clobbered (RBP, the frame
 * pointer, it pushes itself), so the run loop saves its callee-saved
 * registers once, not on every exit.
 * HOST_RSP points at the slot holding the VP pointer; it is written only
 * when this stack slot moved since the last entry (x->host_rsp). A
 * VMLAUNCH / VMRESUME that fails falls through (VMfailValid /
 * VMfailInvalid) and returns VMX_ENTER_FAILED with RFLAGS in
 * x->fail_rflags. SPEC_CTRL is switched here (include/raum/specctrl.h):
 * Raum's value right after the exit, before any RET, the guest's right
 * before the entry.
 */
#include "asm-offsets.h"
#include <raum/specctrl.h>

#define GPR(n) (VXP_GPR + 8 * (n))

.text
.globl vmx_enter
vmx_enter:
	pushq %rdi                      /* [rsp] = struct vmx_vp *; HOST_RSP points here */
	cmpq %rsp, VXP_HOST_RSP(%rdi)
	je .Lnmi_window
	movq %rsp, VXP_HOST_RSP(%rdi)
	movq $VMCS_HOST_RSP, %rax
	vmwrite %rsp, %rax
	/*
	 * From here to the VM entry instruction, an NMI that hits Raum's IDT
	 * restarts here (nmi_restart_table below, kernel/trap.c), so the check
	 * of this CPU's nmi_pending is always the last thing before the entry:
	 * no NMI waits there for a later exit (VMX_ENTER_NMI: run_once in vmx/exit.c delivers them, then enters again).
	 */
.Lnmi_window:
	movq (%rsp), %rdi
	movq VXP_HOST_NMI(%rdi), %rax
	cmpl $0, (%rax)
	jne .Lnmi_pending               /* NMIs reached Raum since the exit: hand them on first */
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
	jmp .Lentry_failed
2:	vmresume
.Lentry_failed:
	/* only reached when the entry failed: RFLAGS says how (nothing above changed it) */
	movq (%rsp), %rdi
	pushfq
	popq VXP_FAIL_RFLAGS(%rdi)
	SPEC_CTRL_TO_RAUM %rdi, VXP_SC
	movl $2, %eax                   /* VMX_ENTER_FAILED */
	jmp .Lout
.Lnmi_pending:
	SPEC_CTRL_BACK %rdi, VXP_SC     /* a restart may follow the guest's WRMSR above */
	movl $1, %eax                   /* VMX_ENTER_NMI */
	jmp .Lout

.section .rodata
.balign 8
.globl nmi_restart_table, nmi_restart_table_end
nmi_restart_table:                      /* (start, end): an NMI at start <= RIP < end resumes at start */
	.quad .Lnmi_window, .Lentry_failed
nmi_restart_table_end:
.text

.globl vmx_exit_entry
vmx_exit_entry:                         /* HOST_RIP: RSP is HOST_RSP, [rsp] the VP */
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
	xorl %eax, %eax                 /* VMX_ENTER_EXITED */
.Lout:
	addq $8, %rsp
	ret
