/* SPDX-License-Identifier: MIT */
/*
 * The RAM of a guest-physical space: the only memory Raum reads or writes
 * on a partition's behalf (hypercall blocks, the guest's page tables and
 * instruction bytes). A compact, sorted array of disjoint ranges built once
 * from the firmware's memory map; the question "is [gpa, gpa + len) wholly
 * RAM" is a binary search. Pure code: used by the hypervisor and the host
 * unit tests (tests/unit/test_ramrange.c).
 *
 * RAM here means DRAM without side effects (memmap_type_is_dram): usable
 * (conventional, loader, boot-services code and data), EFI runtime code and
 * data, ACPI reclaim and ACPI NVS. Reserved ranges, MMIO (the APIC page,
 * PCI BARs), holes no range covers (the legacy VGA window), unusable and
 * persistent memory, and Raum's own region are not: touching them could have
 * device side effects or raise a machine check inside Raum.
 */
#ifndef RAUM_RAMRANGE_H
#define RAUM_RAMRANGE_H

#include <raum/bootinfo.h>

struct ram_range {
	u64 base, end; /* [base, end), end > base */
};

/*
 * Fills out[] with the RAM of a sorted, non-overlapping memory map
 * (memmap_normalize) below 'limit', leaving [hv_base, hv_base + hv_size)
 * out whatever type the map gives it. Touching ranges are merged, so out[]
 * is sorted and no two entries touch: a block wholly in RAM lies in one
 * entry. A map of n ranges needs at most n + 1 entries. Returns the count,
 * -RAUM_EINVAL for an unsorted or overlapping map, -RAUM_ENOMEM when more
 * than 'cap' entries would be needed.
 */
int ram_ranges_build(const struct raum_mem_range *map, size_t n, u64 limit, u64 hv_base, u64 hv_size,
		     struct ram_range *out, size_t cap);

/*
 * True when [gpa, gpa + len) lies wholly inside one of the n ranges of r
 * (as built above). An empty block (len 0) and one that wraps at 2^64 are
 * never RAM.
 */
bool ram_ranges_contain(const struct ram_range *r, size_t n, u64 gpa, u64 len);

/*
 * The k largest of the n ranges, largest first, into out (empty ranges
 * [0, 0) where n < k): every one of them is one of the ranges, so a lookup
 * may try them before ram_ranges_contain and give the same answer sooner.
 */
void ram_ranges_largest(const struct ram_range *r, size_t n, struct ram_range *out, size_t k);

#endif
