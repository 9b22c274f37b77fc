/* SPDX-License-Identifier: MIT */
/*
 * The VMCB (AMD APM vol. 2, appendix B): a 4 KiB page, control area at
 * 0x000, state-save area at 0x400. Every field the code uses is checked
 * against the manual's offset below; reserved ranges are named by offset.
 */
#ifndef RAUM_SVM_VMCB_H
#define RAUM_SVM_VMCB_H

#include <raum/types.h>

/* intercept_misc1 (offset 0x00c), APM table B-1 */
#define SVM_INTERCEPT_INTR BIT(0)
#define SVM_INTERCEPT_NMI BIT(1)
#define SVM_INTERCEPT_INIT BIT(3)
#define SVM_INTERCEPT_CPUID BIT(18)
#define SVM_INTERCEPT_IRET BIT(20)
#define SVM_INTERCEPT_INVD BIT(22)
#define SVM_INTERCEPT_HLT BIT(24)
#define SVM_INTERCEPT_INVLPGA BIT(26)
#define SVM_INTERCEPT_IOIO_PROT BIT(27)
#define SVM_INTERCEPT_MSR_PROT BIT(28)
#define SVM_INTERCEPT_SHUTDOWN BIT(31)
/* intercept_misc2 (offset 0x010) */
#define SVM_INTERCEPT_VMRUN BIT(0)
#define SVM_INTERCEPT_VMMCALL BIT(1)
#define SVM_INTERCEPT_VMLOAD BIT(2)
#define SVM_INTERCEPT_VMSAVE BIT(3)
#define SVM_INTERCEPT_STGI BIT(4)
#define SVM_INTERCEPT_CLGI BIT(5)
#define SVM_INTERCEPT_SKINIT BIT(6)
#define SVM_INTERCEPT_WBINVD BIT(9)
#define SVM_INTERCEPT_XSETBV BIT(13)

/* LBR_VIRTUALIZATION_ENABLE (offset 0x0b8), APM table B-1 */
#define SVM_LBR_VIRT_ENABLE BIT(0)
/* CPUID 8000_000A EDX: LBR virtualization (APM vol. 3, CPUID) */
#define CPUID_8000000A_EDX_LBRV BIT(1)

/* Exit codes (APM table C-1). */
#define SVM_EXIT_EXCP_BASE 0x040
#define SVM_EXIT_INTR 0x060
/* VINTR bit 24, V_INTR_MASKING: the host's RFLAGS.IF masks physical interrupts, not the guest's (APM 15.21.1) */
#define SVM_VINTR_MASKING BIT(24)
#define SVM_EXIT_NMI 0x061
#define SVM_EXIT_INIT 0x063
#define SVM_EXIT_CPUID 0x072
#define SVM_EXIT_IRET 0x074
#define SVM_EXIT_INVD 0x076
#define SVM_EXIT_HLT 0x078
#define SVM_EXIT_INVLPGA 0x07a
#define SVM_EXIT_IOIO 0x07b
#define SVM_EXIT_MSR 0x07c
#define SVM_EXIT_SHUTDOWN 0x07f
#define SVM_EXIT_VMRUN 0x080
#define SVM_EXIT_VMMCALL 0x081
#define SVM_EXIT_VMLOAD 0x082
#define SVM_EXIT_VMSAVE 0x083
#define SVM_EXIT_STGI 0x084
#define SVM_EXIT_CLGI 0x085
#define SVM_EXIT_SKINIT 0x086
#define SVM_EXIT_WBINVD 0x089
#define SVM_EXIT_XSETBV 0x08d
#define SVM_EXIT_NPF 0x400
#define SVM_EXIT_INVALID 0xffffffffU /* compare as 32 bits: TCG stores 0x00000000ffffffff */

/* TLB_CONTROL (offset 0x05c) */
#define SVM_TLB_DO_NOTHING 0
#define SVM_TLB_FLUSH_ALL 1
#define SVM_TLB_FLUSH_ASID 3
#define SVM_TLB_FLUSH_ASID_NONGLOBAL 7

/* EVENTINJ / EXITINTINFO (APM 15.20) */
#define SVM_EVT_VECTOR_MASK 0xffULL
#define SVM_EVT_TYPE_SHIFT 8
#define SVM_EVT_TYPE_INTR 0
#define SVM_EVT_TYPE_NMI 2
#define SVM_EVT_TYPE_EXCEPTION 3
#define SVM_EVT_TYPE_SOFT 4
#define SVM_EVT_ERROR_VALID BIT(11)
#define SVM_EVT_VALID BIT(31)

/* NPF EXITINFO1 error code bits (APM 15.25.6) */
#define SVM_NPF_PRESENT BIT(0)
#define SVM_NPF_WRITE BIT(1)
#define SVM_NPF_USER BIT(2)
#define SVM_NPF_RSVD BIT(3)
#define SVM_NPF_FETCH BIT(4)
#define SVM_NPF_FINAL BIT(32)  /* fault on the final guest-physical address */
#define SVM_NPF_WALK BIT(33)   /* fault during the guest's page-table walk */

struct __packed vmcb_seg {
	u16 selector;
	u16 attrib; /* descriptor bits 47:40 in 7:0, bits 55:52 in 11:8 */
	u32 limit;
	u64 base;
};
_Static_assert(sizeof(struct vmcb_seg) == 16, "vmcb_seg");

struct __packed vmcb_control {
	u16 intercept_cr_read;  /* 0x000 */
	u16 intercept_cr_write; /* 0x002 */
	u16 intercept_dr_read;  /* 0x004 */
	u16 intercept_dr_write; /* 0x006 */
	u32 intercept_exceptions; /* 0x008 */
	u32 intercept_misc1;    /* 0x00c */
	u32 intercept_misc2;    /* 0x010 */
	u32 intercept_misc3;    /* 0x014 */
	u8 reserved_018[0x03c - 0x018];
	u16 pause_filter_threshold; /* 0x03c */
	u16 pause_filter_count; /* 0x03e */
	u64 iopm_base_pa;       /* 0x040 */
	u64 msrpm_base_pa;      /* 0x048 */
	u64 tsc_offset;         /* 0x050 */
	u32 guest_asid;         /* 0x058 */
	u8 tlb_control;         /* 0x05c */
	u8 reserved_05d[3];
	u64 vintr;              /* 0x060 */
	u64 interrupt_shadow;   /* 0x068 */
	u64 exitcode;           /* 0x070 */
	u64 exitinfo1;          /* 0x078 */
	u64 exitinfo2;          /* 0x080 */
	u64 exitintinfo;        /* 0x088 */
	u64 np_enable;          /* 0x090 */
	u64 avic_apic_bar;      /* 0x098 */
	u64 ghcb_pa;            /* 0x0a0 */
	u64 eventinj;           /* 0x0a8 */
	u64 n_cr3;              /* 0x0b0 */
	u64 lbr_virt_enable;    /* 0x0b8 */
	u32 vmcb_clean;         /* 0x0c0 */
	u32 reserved_0c4;
	u64 nrip;               /* 0x0c8 */
	u8 insn_len;            /* 0x0d0 */
	u8 insn_bytes[15];      /* 0x0d1 */
	u8 reserved_0e0[0x400 - 0x0e0];
};

struct __packed vmcb_save {
	struct vmcb_seg es, cs, ss, ds, fs, gs; /* 0x400 .. 0x45f */
	struct vmcb_seg gdtr, ldtr, idtr, tr;   /* 0x460 .. 0x49f */
	u8 reserved_4a0[0x4cb - 0x4a0];
	u8 cpl;                                 /* 0x4cb */
	u32 reserved_4cc;
	u64 efer;                               /* 0x4d0 */
	u8 reserved_4d8[0x548 - 0x4d8];
	u64 cr4;                                /* 0x548 */
	u64 cr3;                                /* 0x550 */
	u64 cr0;                                /* 0x558 */
	u64 dr7;                                /* 0x560 */
	u64 dr6;                                /* 0x568 */
	u64 rflags;                             /* 0x570 */
	u64 rip;                                /* 0x578 */
	u8 reserved_580[0x5d8 - 0x580];
	u64 rsp;                                /* 0x5d8 */
	u64 s_cet, ssp, isst_addr;              /* 0x5e0 .. 0x5f7 */
	u64 rax;                                /* 0x5f8 */
	u64 star, lstar, cstar, sfmask;         /* 0x600 .. 0x61f */
	u64 kernel_gs_base;                     /* 0x620 */
	u64 sysenter_cs, sysenter_esp, sysenter_eip; /* 0x628 .. 0x63f */
	u64 cr2;                                /* 0x640 */
	u8 reserved_648[0x668 - 0x648];
	u64 g_pat;                              /* 0x668 */
	u64 dbgctl;                             /* 0x670: with LBR virtualization (APM 15.23) */
	u64 br_from, br_to;                     /* 0x678, 0x680 */
	u64 last_excp_from, last_excp_to;       /* 0x688, 0x690 */
	u8 reserved_698[0x6e0 - 0x698];
	u64 spec_ctrl;                          /* 0x6e0: the guest's SPEC_CTRL with V_SPEC_CTRL */
	u8 reserved_6e8[0x1000 - 0x6e8];
};

struct vmcb {
	struct vmcb_control control;
	struct vmcb_save save;
} __aligned(4096);

#define VMCB_CHECK(f, off) _Static_assert(offsetof(struct vmcb, f) == (off), "VMCB " #f)
VMCB_CHECK(control.intercept_exceptions, 0x008);
VMCB_CHECK(control.intercept_misc1, 0x00c);
VMCB_CHECK(control.intercept_misc2, 0x010);
VMCB_CHECK(control.iopm_base_pa, 0x040);
VMCB_CHECK(control.msrpm_base_pa, 0x048);
VMCB_CHECK(control.guest_asid, 0x058);
VMCB_CHECK(control.tlb_control, 0x05c);
VMCB_CHECK(control.vintr, 0x060);
VMCB_CHECK(control.exitcode, 0x070);
VMCB_CHECK(control.exitinfo1, 0x078);
VMCB_CHECK(control.exitinfo2, 0x080);
VMCB_CHECK(control.exitintinfo, 0x088);
VMCB_CHECK(control.np_enable, 0x090);
VMCB_CHECK(control.eventinj, 0x0a8);
VMCB_CHECK(control.n_cr3, 0x0b0);
VMCB_CHECK(control.vmcb_clean, 0x0c0);
VMCB_CHECK(control.nrip, 0x0c8);
VMCB_CHECK(control.insn_len, 0x0d0);
VMCB_CHECK(save.es, 0x400);
VMCB_CHECK(save.cs, 0x410);
VMCB_CHECK(save.gdtr, 0x460);
VMCB_CHECK(save.idtr, 0x480);
VMCB_CHECK(save.tr, 0x490);
VMCB_CHECK(save.cpl, 0x4cb);
VMCB_CHECK(save.efer, 0x4d0);
VMCB_CHECK(save.cr4, 0x548);
VMCB_CHECK(save.cr3, 0x550);
VMCB_CHECK(save.cr0, 0x558);
VMCB_CHECK(save.dr7, 0x560);
VMCB_CHECK(save.rflags, 0x570);
VMCB_CHECK(save.rip, 0x578);
VMCB_CHECK(save.rsp, 0x5d8);
VMCB_CHECK(save.rax, 0x5f8);
VMCB_CHECK(save.star, 0x600);
VMCB_CHECK(save.kernel_gs_base, 0x620);
VMCB_CHECK(save.sysenter_cs, 0x628);
VMCB_CHECK(save.cr2, 0x640);
VMCB_CHECK(save.g_pat, 0x668);
VMCB_CHECK(save.dbgctl, 0x670);
VMCB_CHECK(save.br_from, 0x678);
VMCB_CHECK(save.last_excp_to, 0x690);
VMCB_CHECK(save.spec_ctrl, 0x6e0);
VMCB_CHECK(control.lbr_virt_enable, 0x0b8);
_Static_assert(sizeof(struct vmcb) == 4096, "VMCB size");

/* MSR permission map (APM 15.11): 2 bits per MSR, read then write. */
#define SVM_MSRPM_SIZE (2 * 4096)
#define SVM_IOPM_SIZE (3 * 4096)

#endif
