/* SPDX-License-Identifier: MIT */
/*
 * Physical memory map handling: translation of the firmware's memory types,
 * sorting and merging, carving the hypervisor's own region out, and the
 * questions later code asks (highest address, bytes of RAM).
 * Pure code: used by the loader, the hypervisor and the host unit tests.
 */
#ifndef RAUM_MEMMAP_H
#define RAUM_MEMMAP_H

#include <raum/bootinfo.h>

/* EFI_MEMORY_TYPE values (UEFI 2.10, section 7.2.1). */
enum efi_memory_type {
	EFI_RESERVED = 0,
	EFI_LOADER_CODE = 1,
	EFI_LOADER_DATA = 2,
	EFI_BS_CODE = 3,
	EFI_BS_DATA = 4,
	EFI_RT_CODE = 5,
	EFI_RT_DATA = 6,
	EFI_CONVENTIONAL = 7,
	EFI_UNUSABLE = 8,
	EFI_ACPI_RECLAIM = 9,
	EFI_ACPI_NVS = 10,
	EFI_MMIO = 11,
	EFI_MMIO_PORT = 12,
	EFI_PAL_CODE = 13,
	EFI_PERSISTENT = 14,
	EFI_UNACCEPTED = 15,
};

/* The Raum type for a firmware memory type (unknown types: reserved). */
u32 memmap_type_from_efi(u32 efi_type);
const char *memmap_type_name(u32 type);

/* True for types that are RAM the root partition may use or reclaim. */
bool memmap_type_is_ram(u32 type);

/*
 * True for types that are plain DRAM, which Raum may read and write for the
 * root (hypercall blocks, the root's page tables; see include/raum/ramrange.h):
 * usable (conventional, loader and boot-services code and data), EFI runtime
 * code and data, ACPI reclaim and ACPI NVS. Not reserved, MMIO, unusable,
 * persistent (media errors there raise machine checks Raum cannot recover
 * from) or Raum's own memory.
 */
bool memmap_type_is_dram(u32 type);

/*
 * Sorts by base and merges neighbours of the same type and attributes that
 * touch. Returns the new count, or -RAUM_EINVAL if two ranges overlap (the
 * map is then sorted but left unmerged). Zero-page ranges are dropped.
 */
int memmap_normalize(struct raum_mem_range *r, size_t n);

/*
 * Gives [base, base + size) the type 'type' in a sorted, non-overlapping
 * map, splitting ranges at its edges (attributes kept). Parts of the region
 * that no range covers stay uncovered. Returns the new count, or
 * -RAUM_ENOMEM when more than 'cap' entries would be needed.
 */
int memmap_carve(struct raum_mem_range *r, size_t n, size_t cap, u64 base, u64 size, u32 type);

/* End (exclusive) of the highest range; 0 for an empty map. */
u64 memmap_end(const struct raum_mem_range *r, size_t n);

/* Bytes held by ranges of the given type. */
u64 memmap_bytes(const struct raum_mem_range *r, size_t n, u32 type);

/* Index of the range holding addr, or -1. */
int memmap_find(const struct raum_mem_range *r, size_t n, u64 addr);

#endif
