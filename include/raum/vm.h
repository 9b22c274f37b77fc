/* SPDX-License-Identifier: MIT */
/*
 * Raum's own address space (mm/vm.c):
 *
 *   0x0000_0000_0000_0000  unmapped (the lower half is never Raum's)
 *   0xffff_8000_0000_0000  PHYSMAP_BASE: all physical memory the map names
 *                          (and everything below 4 GiB), RW, NX
 *   0xffff_ffff_8000_0000  the image: text RX, rodata R, data and bss RW NX
 *   0xffff_ffff_c000_0000  PERCPU_BASE: per-CPU areas, guard pages unmapped
 */
#ifndef RAUM_VM_H
#define RAUM_VM_H

#include <raum/bootinfo.h>
#include <raum/palloc.h>
#include <raum/pt.h>

#define PHYSMAP_BASE 0xffff800000000000ULL
#define IMAGE_BASE 0xffffffff80000000ULL

/* Pointer to physical memory: through the physmap once vm_init is done, else identity. */
void *phys_to_virt(u64 phys);

/* The hypervisor's page pool. */
extern struct palloc hv_pool;
/* Allocates n zeroed pages; returns 0 and the physical address, or a negative error. */
int page_alloc_zeroed(u64 n, u64 *phys);

/*
 * Builds Raum's page tables from the memory map and switches to them.
 * image_phys is where the image lies. Returns 0 or a negative error, in
 * which case the boot tables are still in use.
 */
int vm_init(const struct raum_mem_range *map, size_t n, u64 image_phys, bool page1g);

/*
 * On a CPU launched after vm_init (RAUM_PHASE_LAUNCH): the same EFER.NXE
 * and CR0.WP, and Raum's tables in CR3. The caller runs on the boot tables,
 * which map the image at its link address as Raum's do.
 */
void vm_enter_cpu(void);

/* Maps a per-CPU area (whole pages, guards left out) for cpu 'id'; returns its address. */
int vm_map_percpu(u32 id, u64 phys, void **va);

/* Sets up pt with a fresh zeroed root table from the pool; 0 or a negative error. */
int vm_pt_init(struct pt_ctx *pt, bool page1g);

#endif
