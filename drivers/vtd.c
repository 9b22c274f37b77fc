// SPDX-License-Identifier: MIT
/*
 * Intel VT-d DMA remapping, register-based (no queued invalidation, no
 * interrupt remapping): see drivers/iommu.c for the policy and
 * include/raum/iommu_hw.h for the registers. Intel VT-d 4.1 chapters 6
 * (caching and invalidation), 10.4 (GCMD: "software must write the other
 * persistent bits as they are"), 11.4.
 */
#include <raum/errno.h>
#include <raum/fmt.h>
#include <raum/iommu.h>
#include <raum/iommu_hw.h>
#include <raum/log.h>
#include <raum/vm.h>

#include "iommu_int.h"

static u32 rd32(const struct iommu_unit *u, u32 off) { return *(volatile u32 *)(u->regs + off); }
static u64 rd64(const struct iommu_unit *u, u32 off) { return *(volatile u64 *)(u->regs + off); }
static void wr32(const struct iommu_unit *u, u32 off, u32 v) { *(volatile u32 *)(u->regs + off) = v; }
static void wr64(const struct iommu_unit *u, u32 off, u64 v) { *(volatile u64 *)(u->regs + off) = v; }

/* Waits until (GSTS & bit) == want; false after IOMMU_SPIN_MAX reads. */
static bool wait_gsts(const struct iommu_unit *u, u32 bit, bool want)
{
	for (u32 i = 0; i < IOMMU_SPIN_MAX; i++) {
		if (!!(rd32(u, VTD_REG_GSTS) & bit) == want)
			return true;
		__builtin_ia32_pause();
	}
	return false;
}

static bool wait_clear64(const struct iommu_unit *u, u32 off, u64 bit)
{
	for (u32 i = 0; i < IOMMU_SPIN_MAX; i++) {
		if (!(rd64(u, off) & bit))
			return true;
		__builtin_ia32_pause();
	}
	return false;
}

/*
 * A one-shot or persistent command: GCMD takes the persistent enables
 * (TE, QIE, IRE, ...) as GSTS shows them, with cmd added (or TE removed
 * when off is set). SDM-like rule of VT-d 4.1 11.4.4.
 */
static bool gcmd(struct iommu_unit *u, u32 cmd, bool on)
{
	u32 persistent = rd32(u, VTD_REG_GSTS) & 0x96ffffffu; /* less the one-shot bits SRTP, SFL, WBF, SIRTP */

	wr32(u, VTD_REG_GCMD, on ? persistent | cmd : persistent & ~cmd);
	return wait_gsts(u, cmd, on);
}

int vtd_probe(struct iommu_unit *u, int *levels, bool *l2m, bool *l1g, char *err, size_t errlen)
{
	u->cap = rd64(u, VTD_REG_CAP);
	u->ecap = rd64(u, VTD_REG_ECAP);
	u32 ver = rd32(u, VTD_REG_VER), gsts = rd32(u, VTD_REG_GSTS);
	unsigned sagaw = VTD_CAP_SAGAW(u->cap);

	if (u->cap == ~0ULL || (!u->cap && !u->ecap)) {
		raum_snprintf(err, errlen, "VT-d unit at %#llx does not answer (CAP %#llx)",
			      (unsigned long long)u->reg_base, (unsigned long long)u->cap);
		return -RAUM_EIO;
	}
	/* 4 levels (48 bits) where the unit walks them, else 3 (39 bits): all Raum's map needs. */
	int lv = sagaw & BIT(2) ? 4 : sagaw & BIT(1) ? 3 : 0;
	if (!lv) {
		raum_snprintf(err, errlen, "VT-d unit at %#llx walks neither 3- nor 4-level tables (SAGAW %#x)",
			      (unsigned long long)u->reg_base, sagaw);
		return -RAUM_ENOTSUP;
	}
	if (gsts & (VTD_GCMD_QIE | VTD_GCMD_IRE)) {
		raum_snprintf(err, errlen, "VT-d unit at %#llx has queued invalidation or interrupt remapping "
			      "on already (GSTS %#x): the firmware is using it", (unsigned long long)u->reg_base, gsts);
		return -RAUM_EBUSY;
	}
	if (*levels == 0 || lv < *levels)
		*levels = lv;
	*l2m = *l2m && (u->cap & VTD_CAP_SLLPS_2M);
	*l1g = *l1g && (u->cap & VTD_CAP_SLLPS_1G);
	u->max_addr_bits = MIN(VTD_CAP_MGAW(u->cap), 12u + 9u * (unsigned)lv);
	pr_info("iommu: VT-d unit %u: version %u.%u, CAP %#llx, ECAP %#llx, %u fault records, %s", u->index,
		(ver >> 4) & 0xf, ver & 0xf, (unsigned long long)u->cap, (unsigned long long)u->ecap,
		VTD_CAP_NFR(u->cap), gsts & VTD_GCMD_TE ? "translation on (the firmware's)" : "translation off");
	return 0;
}

int vtd_enable(struct iommu_unit *u, u64 root_table, char *err, size_t errlen)
{
	const char *what;

	/* Page walks that do not snoop (ECAP.C = 0) read memory: the tables leave this CPU's caches first. */
	if (!(u->ecap & VTD_ECAP_C))
		__asm__ volatile("wbinvd" ::: "memory");
	wr32(u, VTD_REG_FECTL, VTD_FECTL_IM); /* no fault interrupts: Raum owns no vector, it polls */
	wr64(u, VTD_REG_RTADDR, root_table);  /* TTM 00: legacy root and context tables */
	what = "set the root table pointer";
	if (!gcmd(u, VTD_GCMD_SRTP, true))
		goto timeout;
	if (u->cap & VTD_CAP_RWBF) {
		what = "flush its write buffer";
		wr32(u, VTD_REG_GCMD, (rd32(u, VTD_REG_GSTS) & 0x96ffffffu) | VTD_GCMD_WBF);
		if (!wait_gsts(u, VTD_GCMD_WBF, false)) /* WBFS is set while the flush is pending */
			goto timeout;
	}
	what = "invalidate its context cache";
	wr64(u, VTD_REG_CCMD, VTD_CCMD_ICC | VTD_CCMD_GLOBAL);
	if (!wait_clear64(u, VTD_REG_CCMD, VTD_CCMD_ICC))
		goto timeout;
	what = "invalidate its IOTLB";
	u32 iotlb = VTD_ECAP_IRO(u->ecap) + 8;
	wr64(u, iotlb, VTD_IOTLB_IVT | VTD_IOTLB_GLOBAL | VTD_IOTLB_DR | VTD_IOTLB_DW);
	if (!wait_clear64(u, iotlb, VTD_IOTLB_IVT))
		goto timeout;
	what = "turn translation on";
	if (!gcmd(u, VTD_GCMD_TE, true))
		goto timeout;
	return 0;
timeout:
	raum_snprintf(err, errlen, "VT-d unit at %#llx did not %s (GSTS %#x)", (unsigned long long)u->reg_base, what,
		      rd32(u, VTD_REG_GSTS));
	return -RAUM_EIO;
}

bool vtd_flush_domain(struct iommu_unit *u, u16 did)
{
	/* tables written by the CPU reach a unit that does not snoop only through memory */
	if (!(u->ecap & VTD_ECAP_C))
		__asm__ volatile("wbinvd" ::: "memory");
	if (u->cap & VTD_CAP_RWBF) {
		wr32(u, VTD_REG_GCMD, (rd32(u, VTD_REG_GSTS) & 0x96ffffffu) | VTD_GCMD_WBF);
		if (!wait_gsts(u, VTD_GCMD_WBF, false))
			return false;
	}
	u32 iotlb = VTD_ECAP_IRO(u->ecap) + 8;
	wr64(u, iotlb, VTD_IOTLB_IVT | VTD_IOTLB_DOMAIN | VTD_IOTLB_DID(did) | VTD_IOTLB_DR | VTD_IOTLB_DW);
	return wait_clear64(u, iotlb, VTD_IOTLB_IVT);
}

void vtd_disable(struct iommu_unit *u)
{
	if (!gcmd(u, VTD_GCMD_TE, false))
		pr_err("iommu: VT-d unit %u did not turn translation off (GSTS %#x)", u->index,
		       rd32(u, VTD_REG_GSTS));
}

/*
 * Reads and clears up to NFR recorded faults (VT-d 4.1, 7.2.1: primary fault
 * logging). Each is reported through rec(); the overflow bit is cleared and
 * counted as one lost record. Bounded: one pass over the registers.
 */
unsigned vtd_poll_faults(struct iommu_unit *u, void (*rec)(const struct iommu_fault *f))
{
	u32 fsts = rd32(u, VTD_REG_FSTS);
	unsigned n = 0, nfr = VTD_CAP_NFR(u->cap), fro = VTD_CAP_FRO(u->cap);

	if (!(fsts & (VTD_FSTS_PPF | VTD_FSTS_PFO)))
		return 0;
	for (unsigned i = 0, k = VTD_FSTS_FRI(fsts) % nfr; i < nfr; i++, k = (k + 1) % nfr) {
		u64 hi = rd64(u, fro + 16 * k + 8);
		if (!(hi & VTD_FRCD_F))
			continue;
		u64 lo = rd64(u, fro + 16 * k);
		struct iommu_fault f = { .unit = u->index, .requester = (u16)VTD_FRCD_SID(hi), .addr = lo & ~0xfffULL,
					 .write = !(hi & VTD_FRCD_T1_READ), .reason = (u8)VTD_FRCD_FR(hi) };
		wr32(u, fro + 16 * k + 12, (u32)(VTD_FRCD_F >> 32)); /* F is write-1-to-clear */
		rec(&f);
		n++;
	}
	if (fsts & VTD_FSTS_PFO) {
		wr32(u, VTD_REG_FSTS, VTD_FSTS_PFO);
		struct iommu_fault f = { .unit = u->index, .overflow = true };
		rec(&f);
	}
	return n;
}
