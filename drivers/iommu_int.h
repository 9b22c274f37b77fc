/* SPDX-License-Identifier: MIT */
/*
 * Inside the IOMMU driver: one unit as drivers/iommu.c keeps it, and the
 * vendor halves (drivers/vtd.c, drivers/amdvi.c) it calls.
 */
#ifndef RAUM_IOMMU_INT_H
#define RAUM_IOMMU_INT_H

#include <raum/types.h>

struct iommu_unit {
	unsigned index;
	u64 reg_base, reg_size;  /* the register window, as the ACPI table gives it */
	volatile u8 *regs;       /* reg_base through the physmap */
	u64 cap, ecap;           /* VT-d CAP / ECAP; AMD-Vi: EFR in cap */
	unsigned max_addr_bits;  /* the widest DMA address its tables can translate */
	u16 bdf, segment;        /* AMD-Vi: the IOMMU's own PCI function */
	/* AMD-Vi rings: one page each, in Raum's pool */
	u64 cmdbuf, evtlog, wait_phys;
	u32 cmd_tail;
	u64 wait_seq;
	bool enabled;
};

/* A blocked DMA as a unit recorded it. */
struct iommu_fault {
	unsigned unit;
	u16 requester;  /* bus << 8 | device << 3 | function */
	u64 addr;       /* the DMA address (page) */
	bool write;
	u8 reason;      /* VT-d fault reason; AMD-Vi event code */
	u16 flags;      /* AMD-Vi: the event's flags */
	bool overflow;  /* the unit lost records: only unit is meaningful */
};

int vtd_probe(struct iommu_unit *u, int *levels, bool *l2m, bool *l1g, char *err, size_t errlen);
int vtd_enable(struct iommu_unit *u, u64 root_table, char *err, size_t errlen);
void vtd_disable(struct iommu_unit *u);
/* Drops every cached translation of domain did (IOTLB domain-selective; VT-d 4.1 6.5.1.2). False: timeout. */
bool vtd_flush_domain(struct iommu_unit *u, u16 did);
unsigned vtd_poll_faults(struct iommu_unit *u, void (*rec)(const struct iommu_fault *f));

int amdvi_probe(struct iommu_unit *u, int *levels, bool *l2m, bool *l1g, char *err, size_t errlen);
int amdvi_enable(struct iommu_unit *u, u64 devtab, u16 domain, char *err, size_t errlen);
void amdvi_disable(struct iommu_unit *u);
/* INVALIDATE_IOMMU_PAGES for all of domain, then COMPLETION_WAIT (48882, 2.4.3, 2.4.1). False: timeout. */
bool amdvi_flush_domain(struct iommu_unit *u, u16 domain);
unsigned amdvi_poll_faults(struct iommu_unit *u, void (*rec)(const struct iommu_fault *f));

#endif
