/* SPDX-License-Identifier: MIT */
/*
 * Which guest-physical ranges the root partition's SLAT identity-maps
 * (DESIGN.md decision 1): the whole physical address space the machine
 * decodes, less Raum's own memory. Pure code (mm/slat.c), unit-tested.
 */
#ifndef RAUM_SLAT_H
#define RAUM_SLAT_H

#include <raum/bootinfo.h>

struct slat_range {
	u64 base, size;
};

/*
 * Computes the limit of the root's address space and fills out[] with the
 * ranges to map, in order, with [hv_base, hv_base + hv_size) left out.
 * phys_bits is the effective width from memcrypt_check (CPUID's, less the
 * SME C-bit / TME-MK KeyID bits: no alias of Raum's memory below it).
 * The limit is the physical-address width (2^phys_bits) when 1 GiB pages
 * make that cheap; otherwise the end of the memory map or 4 GiB, whichever
 * is higher, plus 64 GiB for PCI apertures the map does not name; rounded
 * up to 1 GiB either way. Returns the number of ranges (at most 2) and
 * stores the limit, or -RAUM_EINVAL when the hypervisor region is not page
 * aligned or lies beyond the limit.
 */
int slat_root_ranges(const struct raum_mem_range *map, size_t n, u64 hv_base, u64 hv_size,
		     unsigned phys_bits, bool page1g, struct slat_range out[2], u64 *limit);

struct pt_ctx;
struct mtrr_seg;

/*
 * Maps the ranges r[0..k) identity into an EPT (pt->ept) with read, write
 * and execute, each piece with the memory type of the MTRR segment it lies
 * in, so that no leaf (large pages included) straddles two types. seg is
 * mtrr_segments()' output and must cover every range. Returns 0 or
 * pt_map's error.
 */
int slat_map_typed(struct pt_ctx *pt, const struct slat_range *r, int k, const struct mtrr_seg *seg,
		   size_t n);

#endif
