/* SPDX-License-Identifier: MIT */
/*
 * The IOMMU units' registers, as Raum programs them (drivers/vtd.c,
 * drivers/amdvi.c; the policy is drivers/iommu.c). Every wait on the
 * hardware is bounded (IOMMU_SPIN_MAX reads): a unit that does not answer
 * refuses the launch, never hangs it.
 *
 * Intel VT-d 4.1 chapter 11 (register descriptions); AMD IOMMU
 * specification 48882 rev 3.08 chapter 3 (MMIO registers) and 2.4
 * (commands), 2.5 (event log).
 */
#ifndef RAUM_IOMMU_HW_H
#define RAUM_IOMMU_HW_H

#include <raum/types.h>

#define IOMMU_SPIN_MAX 10000000u

/* ---- VT-d registers (VT-d 4.1, 11.4) ---- */
#define VTD_REG_VER 0x00
#define VTD_REG_CAP 0x08
#define VTD_REG_ECAP 0x10
#define VTD_REG_GCMD 0x18
#define VTD_REG_GSTS 0x1c
#define VTD_REG_RTADDR 0x20
#define VTD_REG_CCMD 0x28
#define VTD_REG_FSTS 0x34
#define VTD_REG_FECTL 0x38

#define VTD_GCMD_TE BIT(31)
#define VTD_GCMD_SRTP BIT(30)
#define VTD_GCMD_WBF BIT(27)
#define VTD_GCMD_QIE BIT(26)
#define VTD_GCMD_IRE BIT(25)
/* GSTS has the same bit for each status (TES, RTPS, WBFS, QIES, IRES). */

#define VTD_CAP_ND(c) ((c) & 7)
#define VTD_CAP_RWBF BIT(4)
#define VTD_CAP_CM BIT(7)
#define VTD_CAP_SAGAW(c) (((c) >> 8) & 0x1f)   /* bit 1: 39-bit 3-level, bit 2: 48-bit 4-level */
#define VTD_CAP_MGAW(c) ((unsigned)(((c) >> 16) & 0x3f) + 1)
#define VTD_CAP_FRO(c) ((unsigned)(((c) >> 24) & 0x3ff) * 16) /* fault recording registers' offset */
#define VTD_CAP_SLLPS_2M BIT(34)
#define VTD_CAP_SLLPS_1G BIT(35)
#define VTD_CAP_NFR(c) ((unsigned)(((c) >> 40) & 0xff) + 1)   /* number of fault recording registers */

#define VTD_ECAP_C BIT(0)                            /* page walks snoop the CPU caches */
#define VTD_ECAP_IRO(e) ((unsigned)(((e) >> 8) & 0x3ff) * 16)  /* IVA; the IOTLB register is at IRO + 8 */

#define VTD_CCMD_ICC BIT(63)
#define VTD_CCMD_GLOBAL (1ULL << 61)               /* CIRG = 01: global invalidation */
#define VTD_IOTLB_IVT BIT(63)
#define VTD_IOTLB_GLOBAL (1ULL << 60)              /* IIRG = 01 */
#define VTD_IOTLB_DOMAIN (2ULL << 60)              /* IIRG = 10: domain-selective */
#define VTD_IOTLB_DID(d) ((u64)(u16)(d) << 32)     /* bits 47:32 */
#define VTD_IOTLB_DR BIT(49)
#define VTD_IOTLB_DW BIT(48)

#define VTD_FSTS_PFO BIT(0)
#define VTD_FSTS_PPF BIT(1)
#define VTD_FSTS_FRI(s) (((s) >> 8) & 0xff)
#define VTD_FECTL_IM BIT(31)

/* A fault recording register, as two quadwords (VT-d 4.1, 11.4.14). */
#define VTD_FRCD_F BIT(63)         /* in the high quadword: a fault is recorded here; write 1 to clear */
#define VTD_FRCD_T1_READ BIT(62)   /* high: 1 a read, 0 a write */
#define VTD_FRCD_FR(hi) (((hi) >> 32) & 0xff)
#define VTD_FRCD_SID(hi) ((hi) & 0xffff)

/* ---- AMD-Vi registers (48882, 3.4) ---- */
#define AMDVI_REG_DEVTAB 0x0000
#define AMDVI_REG_CMDBUF 0x0008
#define AMDVI_REG_EVTLOG 0x0010
#define AMDVI_REG_CONTROL 0x0018
#define AMDVI_REG_EFR 0x0030
#define AMDVI_REG_CMD_HEAD 0x2000
#define AMDVI_REG_CMD_TAIL 0x2008
#define AMDVI_REG_EVT_HEAD 0x2010
#define AMDVI_REG_EVT_TAIL 0x2018
#define AMDVI_REG_STATUS 0x2020

#define AMDVI_CTL_IOMMU_EN BIT(0)
#define AMDVI_CTL_EVTLOG_EN BIT(2)
#define AMDVI_CTL_EVTINT_EN BIT(3)
#define AMDVI_CTL_COMWAITINT_EN BIT(4)
#define AMDVI_CTL_CMDBUF_EN BIT(12)

#define AMDVI_STATUS_EVT_OVERFLOW BIT(0)
#define AMDVI_STATUS_EVTLOG_RUN BIT(3)
#define AMDVI_STATUS_CMDBUF_RUN BIT(4)

#define AMDVI_EFR_IA BIT(6) /* INVALIDATE_IOMMU_ALL supported */

#define AMDVI_RING_ENTRIES 256 /* command buffer and event log: 256 x 16 bytes = one page each */
#define AMDVI_RING_LEN_CODE 8ULL /* 2^8 entries, in bits 59:56 of the base registers */

#define AMDVI_CMD_COMPLETION_WAIT 0x1
#define AMDVI_CMD_INVAL_DEVTAB_ENTRY 0x2
#define AMDVI_CMD_INVAL_IOMMU_PAGES 0x3
#define AMDVI_CMD_INVAL_IOMMU_ALL 0x8

#define AMDVI_EVT_CODE(w1) (((w1) >> 28) & 0xf) /* in the second dword of an event */
#define AMDVI_EVT_IO_PAGE_FAULT 0x2
#define AMDVI_EVT_DEV_TAB_HW_ERROR 0x3
#define AMDVI_EVT_PAGE_TAB_HW_ERROR 0x4
#define AMDVI_EVT_ILLEGAL_DEV_TAB_ENTRY 0x1

#endif
