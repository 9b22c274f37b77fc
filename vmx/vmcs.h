/* SPDX-License-Identifier: MIT */
/*
 * VMCS field encodings (Intel SDM vol. 3D appendix B) and accessors that
 * check a field's width at compile time (as KVM's vmx_ops.h): the width is
 * bits 14:13 of the encoding (0 16-bit, 1 64-bit, 2 32-bit, 3 natural).
 */
#ifndef RAUM_VMX_VMCS_H
#define RAUM_VMX_VMCS_H

#include <raum/types.h>

/* 16-bit */
#define VMCS_VPID 0x0000
#define VMCS_GUEST_ES_SEL 0x0800
#define VMCS_GUEST_CS_SEL 0x0802
#define VMCS_GUEST_SS_SEL 0x0804
#define VMCS_GUEST_DS_SEL 0x0806
#define VMCS_GUEST_FS_SEL 0x0808
#define VMCS_GUEST_GS_SEL 0x080a
#define VMCS_GUEST_LDTR_SEL 0x080c
#define VMCS_GUEST_TR_SEL 0x080e
#define VMCS_HOST_ES_SEL 0x0c00
#define VMCS_HOST_CS_SEL 0x0c02
#define VMCS_HOST_SS_SEL 0x0c04
#define VMCS_HOST_DS_SEL 0x0c06
#define VMCS_HOST_FS_SEL 0x0c08
#define VMCS_HOST_GS_SEL 0x0c0a
#define VMCS_HOST_TR_SEL 0x0c0c
/* 64-bit */
#define VMCS_IO_BITMAP_A 0x2000 /* ports 0x0000-0x7fff (SDM 25.6.4) */
#define VMCS_IO_BITMAP_B 0x2002 /* ports 0x8000-0xffff */
#define VMCS_MSR_BITMAP 0x2004
#define VMCS_EPT_POINTER 0x201a
#define VMCS_TSC_OFFSET 0x2010 /* 64-bit control field (SDM 25.6.5) */
#define VMCS_GUEST_PHYS_ADDR 0x2400
#define VMCS_LINK_POINTER 0x2800
#define VMCS_GUEST_DEBUGCTL 0x2802
#define VMCS_GUEST_PAT 0x2804
#define VMCS_GUEST_EFER 0x2806
#define VMCS_HOST_PAT 0x2c00
#define VMCS_HOST_EFER 0x2c02
/* 32-bit */
#define VMCS_PIN_CTLS 0x4000
#define VMCS_PROC_CTLS 0x4002
#define VMCS_EXCEPTION_BITMAP 0x4004
#define VMCS_PF_ERROR_MASK 0x4006
#define VMCS_PF_ERROR_MATCH 0x4008
#define VMCS_CR3_TARGET_COUNT 0x400a
#define VMCS_EXIT_CTLS 0x400c
#define VMCS_EXIT_MSR_STORE_COUNT 0x400e
#define VMCS_EXIT_MSR_LOAD_COUNT 0x4010
#define VMCS_ENTRY_CTLS 0x4012
#define VMCS_ENTRY_MSR_LOAD_COUNT 0x4014
#define VMCS_ENTRY_INTR_INFO 0x4016
#define VMCS_ENTRY_EXC_ERROR 0x4018
#define VMCS_ENTRY_INSN_LEN 0x401a
#define VMCS_PROC_CTLS2 0x401e
#define VMCS_INSN_ERROR 0x4400
#define VMCS_EXIT_REASON 0x4402
#define VMCS_EXIT_INTR_INFO 0x4404
#define VMCS_EXIT_INTR_ERROR 0x4406
#define VMCS_IDT_VECTORING_INFO 0x4408
#define VMCS_IDT_VECTORING_ERROR 0x440a
#define VMCS_EXIT_INSN_LEN 0x440c
#define VMCS_EXIT_INSN_INFO 0x440e
#define VMCS_GUEST_ES_LIMIT 0x4800 /* + 2 * segment index, ES CS SS DS FS GS LDTR TR */
#define VMCS_GUEST_GDTR_LIMIT 0x4810
#define VMCS_GUEST_IDTR_LIMIT 0x4812
#define VMCS_GUEST_ES_AR 0x4814    /* + 2 * segment index */
#define VMCS_GUEST_INTERRUPTIBILITY 0x4824
#define VMCS_PREEMPT_TIMER 0x482e  /* VMX-preemption timer value (SDM 25.4.2) */
#define VMCS_GUEST_ACTIVITY 0x4826
#define VMCS_GUEST_SYSENTER_CS 0x482a
#define VMCS_HOST_SYSENTER_CS 0x4c00
/* natural width */
#define VMCS_CR0_MASK 0x6000
#define VMCS_CR4_MASK 0x6002
#define VMCS_CR0_SHADOW 0x6004
#define VMCS_CR4_SHADOW 0x6006
#define VMCS_EXIT_QUALIFICATION 0x6400
#define VMCS_GUEST_LINEAR_ADDR 0x640a
#define VMCS_GUEST_CR0 0x6800
#define VMCS_GUEST_CR3 0x6802
#define VMCS_GUEST_CR4 0x6804
#define VMCS_GUEST_ES_BASE 0x6806 /* + 2 * segment index */
#define VMCS_GUEST_GDTR_BASE 0x6816
#define VMCS_GUEST_IDTR_BASE 0x6818
#define VMCS_GUEST_DR7 0x681a
#define VMCS_GUEST_RSP 0x681c
#define VMCS_GUEST_RIP 0x681e
#define VMCS_GUEST_RFLAGS 0x6820
#define VMCS_GUEST_PENDING_DBG 0x6822
#define VMCS_GUEST_SYSENTER_ESP 0x6824
#define VMCS_GUEST_SYSENTER_EIP 0x6826
#define VMCS_HOST_CR0 0x6c00
#define VMCS_HOST_CR3 0x6c02
#define VMCS_HOST_CR4 0x6c04
#define VMCS_HOST_FS_BASE 0x6c06
#define VMCS_HOST_GS_BASE 0x6c08
#define VMCS_HOST_TR_BASE 0x6c0a
#define VMCS_HOST_GDTR_BASE 0x6c0c
#define VMCS_HOST_IDTR_BASE 0x6c0e
#define VMCS_HOST_SYSENTER_ESP 0x6c10
#define VMCS_HOST_SYSENTER_EIP 0x6c12
#define VMCS_HOST_RSP 0x6c14
#define VMCS_HOST_RIP 0x6c16

#define VMCS_WIDTH(f) (((f) >> 13) & 3)
#define VMCS_W16 0
#define VMCS_W64 1
#define VMCS_W32 2
#define VMCS_WNAT 3

/* Exit-interruption / IDT-vectoring / entry-interruption information (SDM 25.8.3, 25.9.2). */
#define INTR_INFO_VECTOR_MASK 0xffU
#define INTR_INFO_TYPE_SHIFT 8
#define INTR_TYPE_EXT 0
#define INTR_TYPE_NMI 2
#define INTR_TYPE_HW_EXC 3
#define INTR_TYPE_SW_INT 4
#define INTR_TYPE_PRIV_SW_EXC 5
#define INTR_TYPE_SW_EXC 6
#define INTR_INFO_ERROR_VALID BIT(11)
#define INTR_INFO_NMI_UNBLOCK BIT(12)
#define INTR_INFO_VALID BIT(31)

/* Raw instructions. VMX failure is reported in RFLAGS (SDM 31.2): CF VMfailInvalid, ZF VMfailValid. */
static inline u64 __vmread(u64 field)
{
	u64 v;
	__asm__ volatile("vmread %1, %0" : "=rm"(v) : "r"(field) : "cc");
	return v;
}

static inline bool __vmwrite(u64 field, u64 v)
{
	bool fail;
	__asm__ volatile("vmwrite %2, %1; setna %0" : "=q"(fail) : "r"(field), "rm"(v) : "cc");
	return !fail;
}

/* Width-checked accessors: using one on a field of another width does not compile. */
#define VMCS_CHECK(f, w) _Static_assert(VMCS_WIDTH(f) == (w), "VMCS field " #f " has another width")
#define vmcs_read16(f) ({ VMCS_CHECK(f, VMCS_W16); (u16)__vmread(f); })
#define vmcs_read32(f) ({ VMCS_CHECK(f, VMCS_W32); (u32)__vmread(f); })
#define vmcs_read64(f) ({ VMCS_CHECK(f, VMCS_W64); __vmread(f); })
#define vmcs_readl(f) ({ VMCS_CHECK(f, VMCS_WNAT); __vmread(f); })
#define vmcs_write16(f, v) ({ VMCS_CHECK(f, VMCS_W16); __vmwrite(f, (u16)(v)); })
#define vmcs_write32(f, v) ({ VMCS_CHECK(f, VMCS_W32); __vmwrite(f, (u32)(v)); })
#define vmcs_write64(f, v) ({ VMCS_CHECK(f, VMCS_W64); __vmwrite(f, (u64)(v)); })
#define vmcs_writel(f, v) ({ VMCS_CHECK(f, VMCS_WNAT); __vmwrite(f, (u64)(v)); })

#endif
