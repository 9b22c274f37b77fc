/* SPDX-License-Identifier: MIT */
/*
 * Raum and the machine's IOMMUs (issue 11, docs/iommu.md): found from ACPI
 * (DMAR for Intel VT-d, IVRS for AMD-Vi, parsed by drivers/acpi.c), taken
 * over at launch so that every device sees an identity map of the machine
 * less Raum's region, their registers taken out of the root's SLAT, their
 * table hidden from the root, and their fault logs polled. raum.cfg's
 * iommu = auto | required | off says what happens where there is none.
 */
#ifndef RAUM_IOMMU_H
#define RAUM_IOMMU_H

#include <raum/bootinfo.h>

struct partition;

/*
 * RAUM_PHASE_INIT, boot CPU, before the root partition exists: finds the
 * IOMMUs the ACPI tables under rsdp_phys name (reading only the ranges of
 * map that hold RAM or firmware-reserved memory), applies mode (enum
 * raum_iommu_mode), probes the units and builds the DMA map and the tables
 * pointing every requester ID at it (nothing is written to a unit yet).
 * Returns 0 to go on with the launch (with or without an IOMMU to program),
 * or -RAUM_ENOIOMMU with one sentence logged when mode is REQUIRED and
 * device DMA cannot be confined.
 */
int iommu_init(const struct raum_mem_range *map, size_t n, u64 rsdp_phys, u32 mode, u64 hv_base, u64 hv_size,
	       unsigned phys_bits);

/* After the root's SLAT is built: takes the units' register windows out of it. 0 or a negative error. */
int iommu_protect(struct partition *root);

/*
 * At the end of RAUM_PHASE_INIT, before any CPU launches: programs every
 * unit and turns translation on, then hides DMAR / IVRS from the root. A
 * unit that fails turns every unit off again and the error is returned
 * (the launch is refused). 0 when there is nothing to program.
 */
int iommu_enable(void);

/* Turns translation off in every unit Raum turned it on in (a launch that failed after iommu_enable). */
void iommu_disable(void);

/*
 * The root's DMA map, page by page (deposits, issue 12): iommu_dma_unmap
 * takes a page out (0 also when it was never in: beyond the units' reach,
 * the MSI range, no IOMMU), iommu_dma_map puts it back. Neither flushes:
 * iommu_dma_flush invalidates the root's domain in every unit and returns
 * once they completed (0), or -RAUM_EIO when a unit did not (the pages
 * unmapped since must then not be reused). Any CPU; serialized inside.
 */
int iommu_dma_unmap(u64 page);
int iommu_dma_map(u64 page);
int iommu_dma_flush(void);

#define RAUM_IOMMU_KIND_VTD 1
#define RAUM_IOMMU_KIND_AMDVI 2

struct iommu_status {
	u32 kind;    /* 0: no remapping active; RAUM_IOMMU_KIND_* */
	u32 units;
	u64 faults;  /* blocked DMAs recorded since launch */
	u64 lost;    /* times a unit's fault log overflowed */
};

/*
 * Reads every unit's fault log (bounded: one pass, at most a ring's worth
 * per unit), logging (rate-limited) and counting each blocked DMA; then
 * fills *st when st is not NULL. Any CPU, any time after iommu_enable; one
 * CPU polls at a time, the others only read the counters.
 */
void iommu_poll(struct iommu_status *st);

#endif
