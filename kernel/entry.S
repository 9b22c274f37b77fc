/* SPDX-License-Identifier: MIT */
/*
 * Image header and entry stub. The loader copies raum.bin to a physical
 * address of its choice (EfiReservedMemoryType, zero-filled past the file)
 * and calls offset 0 with the System V ABI: rdi = boot-information block
 * (physical). We run at that physical address on the firmware's identity
 * mapping, so until the jump below everything is RIP-relative.
 *
 * The stub saves the firmware's state (struct fw_ctx), builds boot page
 * tables (the firmware's lower half copied, plus the image at its link
 * address), jumps to the link address and calls hv_main(bootinfo, phys).
 * On return it restores the firmware's state and returns hv_main's value.
 */
#include "asm-offsets.h"
#include <raum/x86-regs.h>


.section .head.text, "ax"
.code64
.globl _start
_start:
	jmp raum_entry
	.balign 8
	.quad IMAGE_MAGIC
	.quad __image_start     /* link_base */
	.quad __file_size
	.quad __mem_size
	.quad raum_entry - _start

raum_entry:
	cld
	/* 1. save the firmware's state */
	leaq fw_ctx(%rip), %rax
	movq %rbx, FW_RBX(%rax)
	movq %rbp, FW_RBP(%rax)
	movq %r12, FW_R12(%rax)
	movq %r13, FW_R13(%rax)
	movq %r14, FW_R14(%rax)
	movq %r15, FW_R15(%rax)
	movq %rsp, FW_RSP(%rax)
	pushfq
	popq FW_RFLAGS(%rax)
	cli
	movq %cr0, %rcx
	movq %rcx, FW_CR0(%rax)
	movq %cr3, %rcx
	movq %rcx, FW_CR3(%rax)
	movq %cr4, %rcx
	movq %rcx, FW_CR4(%rax)
	movq %rax, %r8
	movl $MSR_EFER, %ecx
	rdmsr
	movl %eax, FW_EFER(%r8)
	movl %edx, FW_EFER+4(%r8)
	movq %r8, %rax
	movw %cs, FW_CS(%rax)
	movw %ds, FW_DS(%rax)
	movw %es, FW_ES(%rax)
	movw %ss, FW_SS(%rax)
	movw %fs, FW_FS(%rax)
	movw %gs, FW_GS(%rax)
	str FW_TR(%rax)
	sldt FW_LDTR(%rax)
	sgdt FW_GDTR(%rax)
	sidt FW_IDTR(%rax)

	leaq _start(%rip), %r12     /* r12 = physical base of the image */
	movq %rdi, %r13             /* r13 = boot information */

	/* 2. boot page tables: firmware's PML4 entries 0..255, nothing else low */
	movq FW_CR3(%rax), %rsi
	movabsq $0x000ffffffffff000, %rcx
	andq %rcx, %rsi
	leaq boot_pml4(%rip), %rdi
	movl $256, %ecx
	rep movsq
	/* PML4[511] -> boot_pdpt; PDPT[510] -> boot_pd; PD[0] -> boot_pt (link base 0xffffffff80000000) */
	leaq boot_pml4(%rip), %rdi
	leaq boot_pdpt(%rip), %rax
	orq $3, %rax
	movq %rax, 511*8(%rdi)
	leaq boot_pdpt(%rip), %rdi
	leaq boot_pd(%rip), %rax
	orq $3, %rax
	movq %rax, 510*8(%rdi)
	leaq boot_pd(%rip), %rdi
	leaq boot_pt(%rip), %rax
	orq $3, %rax
	movq %rax, (%rdi)
	/* PT[i] = phys + i * 4 KiB, present + writable, for every page of the image */
	leaq boot_pt(%rip), %rdi
	movq %r12, %rax
	orq $3, %rax
	movl $__mem_pages, %ecx
1:	movq %rax, (%rdi)
	addq $8, %rdi
	addq $4096, %rax
	decl %ecx
	jnz 1b

	leaq boot_pml4(%rip), %rax
	movq %rax, %cr3
	movabsq $2f, %rax
	jmp *%rax
2:
	/* 3. at the link address: boot stack, then C */
	leaq boot_stack_top(%rip), %rsp
	movq %r13, %rdi
	movq %r12, %rsi
	call hv_main
	movq %rax, %r13             /* r13 = result */

	/* 4. back to the boot tables and to the physical alias of this code */
	leaq _start(%rip), %rdx
	leaq boot_pml4(%rip), %rax
	subq %rdx, %rax
	addq %r12, %rax
	movq %rax, %cr3
	leaq 3f(%rip), %rax
	subq %rdx, %rax
	addq %r12, %rax
	jmp *%rax
3:
	/* 5. restore the firmware's state (fw_ctx is now reached at its physical address) */
	leaq fw_ctx(%rip), %rsi
	movq FW_RSP(%rsi), %rsp     /* the firmware's stack: the boot stack is not mapped below */
	movq FW_CR3(%rsi), %rax
	movq %rax, %cr3
	movq FW_CR4(%rsi), %rax
	movq %rax, %cr4
	movq FW_CR0(%rsi), %rax
	movq %rax, %cr0
	movl $MSR_EFER, %ecx
	movl FW_EFER(%rsi), %eax
	movl FW_EFER+4(%rsi), %edx
	wrmsr
	lgdt FW_GDTR(%rsi)
	lidt FW_IDTR(%rsi)
	movw FW_SS(%rsi), %ax
	movw %ax, %ss
	movw FW_DS(%rsi), %ax
	movw %ax, %ds
	movw FW_ES(%rsi), %ax
	movw %ax, %es
	/* FS and GS were never reloaded: their hidden bases stay the firmware's */
	movzwq FW_CS(%rsi), %rax
	pushq %rax
	leaq 4f(%rip), %rax
	pushq %rax
	lretq
4:
	movq %r13, %rax
	movq FW_RBX(%rsi), %rbx
	movq FW_RBP(%rsi), %rbp
	movq FW_R12(%rsi), %r12
	movq FW_R13(%rsi), %r13
	movq FW_R14(%rsi), %r14
	movq FW_R15(%rsi), %r15
	pushq FW_RFLAGS(%rsi)
	popfq
	ret

/* s64 call_on_stack(s64 (*fn)(u64), u64 arg, void *top): runs fn(arg) on another stack. */
.text
.globl call_on_stack
call_on_stack:
	pushq %rbp
	movq %rsp, %rbp
	movq %rdx, %rsp
	movq %rdi, %rax
	movq %rsi, %rdi
	call *%rax
	movq %rbp, %rsp
	popq %rbp
	ret

/*
 * void hlt_until(const u32 *word): halts until *word is not 0 or an NMI
 * wakes the CPU (include/raum/smp.h). An NMI that arrives at or after the
 * check but before the HLT completes resumes at the check (kernel/trap.c),
 * so a word set by the NMI's sender is never slept past. After an NMI that
 * woke the HLT, RIP is hlt_until_end: it returns, and the caller looks.
 */
.globl hlt_until, hlt_until_check, hlt_until_end
hlt_until:
hlt_until_check:
	movl (%rdi), %eax
	testl %eax, %eax
	jnz 1f
	hlt
hlt_until_end:
1:	ret

.bss
.balign 4096
.globl fw_ctx
fw_ctx:	.skip FW_CTX_SIZE
.balign 4096
boot_pml4: .skip 4096
boot_pdpt: .skip 4096
boot_pd:   .skip 4096
boot_pt:   .skip 4096
boot_stack_guard: .skip 4096  /* never written: overflow corrupts nothing else */
boot_stack: .skip 16384
boot_stack_top:
