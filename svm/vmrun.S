/* SPDX-License-Identifier: MIT */
/*
 * One entry into an SVM guest (AMD APM vol. 2 15.5, 15.6): svm_enter(s)
 * runs the guest until the next #VMEXIT and returns to C, as KVM's
 * __svm_vcpu_run does. VMRUN saves and restores only part of the host
 * (RAX, RSP, RIP, RFLAGS, CR*, EFER, GDTR, IDTR, the segment registers ES
 * CS SS DS): the other GPRs are the guest's on both sides, so the guest's
 * are loaded before VMRUN and stored after. Raum's own are not saved here:
 * the one caller, svm_enter_call (svm/exit.c), is an inline asm statement
 * that tells the compiler every GPR but RSP is clobbered (it pushes RBP,
 * the frame pointer, itself), so the run loop saves its callee-saved
 * registers once, not on every exit; FS, GS, TR, LDTR and the syscall MSRs move with VMLOAD /
 * VMSAVE (the guest's VMCB before and after VMRUN, the loading CPU's host
 * area after the exit: Raum's IST stacks need its TR). The VP pointer
 * rides on the stack.
 * SPEC_CTRL (include/raum/specctrl.h) and, without LBR virtualization,
 * DEBUGCTL (svm/dbgpmu.c) are switched here: Raum's values right after the
 * exit, before any RET, the guest's right before VMRUN.
 */
#include "asm-offsets.h"
#include <raum/specctrl.h>

#include <raum/x86-regs.h>

#define GPR(n) (SVP_GPR + 8 * (n))

.text
.globl svm_enter
svm_enter:
	pushq %rdi                      /* [rsp] = struct svm_vp * */
	SPEC_CTRL_TO_ROOT %rdi, SVP_SC  /* include/raum/specctrl.h */
	movq SVP_DBGCTL(%rdi), %rax     /* the guest's DEBUGCTL, when it is not 0 (svm/dbgpmu.c) */
	testq %rax, %rax
	jz 2f
	movl $MSR_DEBUGCTL, %ecx
	movq %rax, %rdx
	shrq $32, %rdx
	wrmsr
2:	movq (%rsp), %rax
	movq GPR(1)(%rax), %rcx
	movq GPR(2)(%rax), %rdx
	movq GPR(3)(%rax), %rbx
	movq GPR(5)(%rax), %rbp
	movq GPR(6)(%rax), %rsi
	movq GPR(7)(%rax), %rdi
	movq GPR(8)(%rax), %r8
	movq GPR(9)(%rax), %r9
	movq GPR(10)(%rax), %r10
	movq GPR(11)(%rax), %r11
	movq GPR(12)(%rax), %r12
	movq GPR(13)(%rax), %r13
	movq GPR(14)(%rax), %r14
	movq GPR(15)(%rax), %r15
	movq SVP_VMCB_PA(%rax), %rax
	vmload %rax
	vmrun %rax
	vmsave %rax
	/* guest GPRs are live; RAX and RSP are the host's again */
	pushq %rdi
	movq 8(%rsp), %rdi
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
	movq SVP_HOST_VMCB_PA(%rdi), %rax
	vmload %rax
	/* Raum's SPEC_CTRL and DEBUGCTL before the first RET (GIF = 0: no NMI in between) */
	SPEC_CTRL_TO_RAUM %rdi, SVP_SC
	cmpq $0, SVP_DBGCTL(%rdi)
	je 3f
	movl $MSR_DEBUGCTL, %ecx
	xorl %eax, %eax
	xorl %edx, %edx
	wrmsr
3:	addq $8, %rsp
	ret
