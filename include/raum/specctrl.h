/* SPDX-License-Identifier: MIT */
/*
 * IA32_SPEC_CTRL (MSR 0x48) for Raum and the root (docs/security.md,
 * "Speculation controls").
 *
 * The root reaches SPEC_CTRL without an exit (the MSR policy passes it: Linux
 * writes it on context switches), so after an exit the register holds
 * whatever the root last wrote: IBRS / STIBP / SSBD off if it turned them
 * off. Raum switches it as KVM does (arch/x86/kvm/{svm,vmx}/vmenter.S):
 *
 *   exit:  root = RDMSR(SPEC_CTRL); if root != raum: WRMSR(raum); LFENCE
 *   entry: if root != raum: WRMSR(root)
 *
 * in the run loops (svm/vmrun.S, vmx/vmrun.S), before the first RET after
 * the exit, so no return in Raum is predicted with the root's settings.
 * Both writes are skipped when the values agree: a root that leaves the
 * register as Raum wants it costs one RDMSR per exit. KVM also skips the
 * RDMSR until the guest first writes the MSR (it intercepts it until then);
 * Raum does not, since a Linux root writes SPEC_CTRL during boot anyway and
 * that would need a per-VP MSR bitmap.
 *
 * AMD's V_SPEC_CTRL (CPUID 8000_000A EDX[20]) keeps a guest copy in the
 * VMCB (offset 0x6e0) that VMRUN / #VMEXIT switch in hardware, the guest
 * running with the OR of both; Raum then only sets the root's initial value
 * there and switches nothing.
 *
 * Raum's own value: the firmware's value at the launch, plus IBRS where the
 * CPU has enhanced IBRS (IA32_ARCH_CAPABILITIES[1], SDM vol. 4 / Intel's
 * "Indirect Branch Restricted Speculation" guidance: set once, it keeps
 * predictions trained at a lower privilege or in VMX non-root operation
 * from steering Raum's indirect branches). AMD's equivalent, automatic IBRS,
 * is an EFER bit (AIBRSE, CPUID 8000_0021 EAX[8]) which VMRUN switches with
 * the rest of EFER: Raum sets it in its own host EFER (svm/svm.c).
 */
#ifndef RAUM_SPECCTRL_H
#define RAUM_SPECCTRL_H

#include <raum/x86-regs.h> /* MSR_IA32_SPEC_CTRL, MSR_IA32_ARCH_CAPABILITIES */

#ifndef __ASSEMBLER__
#include <raum/types.h>

#define SPEC_CTRL_IBRS BIT(0)
#define SPEC_CTRL_STIBP BIT(1)
#define SPEC_CTRL_SSBD BIT(2)
#define ARCH_CAP_IBRS_ALL BIT(1) /* enhanced IBRS */

/* CPUID bits that say SPEC_CTRL exists (Linux's X86_FEATURE_MSR_SPEC_CTRL) */
#define CPUID_7_EDX_IBRS_IBPB BIT(26)
#define CPUID_7_EDX_STIBP BIT(27)
#define CPUID_7_EDX_ARCH_CAP BIT(29)
#define CPUID_7_EDX_SSBD BIT(31)
#define CPUID_E8_EBX_IBRS BIT(14)
#define CPUID_E8_EBX_STIBP BIT(15)
#define CPUID_E8_EBX_SSBD BIT(24)
#define CPUID_EA_EDX_V_SPEC_CTRL BIT(20)

/* What the decision reads from this CPU (kernel/speccpu.c fills it). */
struct spec_ctrl_cpu {
	bool amd;
	u32 l7_edx;       /* CPUID 7.0 EDX (0 if leaf 7 is absent) */
	u32 e8_ebx;       /* CPUID 8000_0008 EBX */
	u32 ea_edx;       /* CPUID 8000_000A EDX (AMD: the SVM features) */
	u64 arch_cap;     /* IA32_ARCH_CAPABILITIES, 0 when absent */
	bool fw_readable; /* RDMSR(SPEC_CTRL) succeeded at the launch */
	u64 fw;           /* its value then */
};

enum spec_ctrl_mode {
	SPEC_CTRL_ABSENT, /* no SPEC_CTRL on this CPU (or it faults): nothing to switch */
	SPEC_CTRL_SWITCH, /* the run loop switches it (the sequence above) */
	SPEC_CTRL_VMCB,   /* AMD V_SPEC_CTRL: the VMCB's copy, switched by VMRUN / #VMEXIT */
};

struct spec_ctrl_plan {
	enum spec_ctrl_mode mode;
	u64 raum; /* Raum's value while it runs */
	u64 root; /* the root's value at the launch (the firmware's) */
};

/* Whether SPEC_CTRL exists, how to switch it and the two starting values (pure: kernel/specctrl.c). */
void spec_ctrl_decide(const struct spec_ctrl_cpu *c, struct spec_ctrl_plan *p);

/* A VP's switching state, read by the run loops (offsets from asm-offsets). */
struct vp_spec_ctrl {
	u64 root; /* the root's value: read after each exit, written before entry when it differs */
	u64 raum; /* Raum's value */
	u8 on;    /* SPEC_CTRL_SWITCH: the run loop switches */
	u8 mode;  /* enum spec_ctrl_mode */
};

/* kernel/speccpu.c: reads this CPU, decides, and puts Raum's value into the MSR now. */
void spec_ctrl_cpu_read(struct spec_ctrl_cpu *c);
void vp_spec_ctrl_init(struct vp_spec_ctrl *s);

#else /* __ASSEMBLER__: the switching sequences; \vp holds the VP, \sc the offset of its vp_spec_ctrl */

/* WRMSR of RAX to the MSR in ECX (EDX:EAX from RAX). */
.macro WRMSR_RAX
	movq %rax, %rdx
	shrq $32, %rdx
	wrmsr
.endm

/* After an exit: clobbers RAX, RCX, RDX and flags. */
.macro SPEC_CTRL_TO_RAUM vp, sc
	cmpb $0, \sc + SC_ON(\vp)
	je .Lsc_raum_none\@            /* no SPEC_CTRL: nothing to fence either */
	movl $MSR_IA32_SPEC_CTRL, %ecx
	rdmsr
	shlq $32, %rdx
	orq %rdx, %rax
	movq %rax, \sc + SC_ROOT(\vp)
	cmpq \sc + SC_RAUM(\vp), %rax
	je .Lsc_raum_done\@
	movq \sc + SC_RAUM(\vp), %rax
	WRMSR_RAX
.Lsc_raum_done\@:
	lfence /* no later instruction runs ahead of the decision (the branch over WRMSR) */
.Lsc_raum_none\@:
.endm

/* Before entry: clobbers RAX, RCX, RDX and flags (VM entry serializes: no LFENCE needed). */
.macro SPEC_CTRL_TO_ROOT vp, sc
	cmpb $0, \sc + SC_ON(\vp)
	je .Lsc_root_done\@
	movq \sc + SC_ROOT(\vp), %rax
	cmpq \sc + SC_RAUM(\vp), %rax
	je .Lsc_root_done\@
	movl $MSR_IA32_SPEC_CTRL, %ecx
	WRMSR_RAX
.Lsc_root_done\@:
.endm

/* Back to Raum's value without reading (the root's is known): VT-x's late-NMI path. */
.macro SPEC_CTRL_BACK vp, sc
	cmpb $0, \sc + SC_ON(\vp)
	je .Lsc_back_none\@
	movq \sc + SC_RAUM(\vp), %rax
	cmpq \sc + SC_ROOT(\vp), %rax
	je .Lsc_back_done\@
	movl $MSR_IA32_SPEC_CTRL, %ecx
	WRMSR_RAX
.Lsc_back_done\@:
	lfence
.Lsc_back_none\@:
.endm
#endif
#endif
