/* SPDX-License-Identifier: MIT */
/*
 * PCI configuration space the root may not touch (issue 11, docs/iommu.md):
 * the IOMMU's own PCI function (AMD-Vi) is hidden, and the host bridge's
 * registers that move address decoding (00:00.0 at offset 0x40 and above:
 * PCIEXBAR, PAM, SMRAM, TOLUD, TOUUD on Intel; the SMN index / data pair and
 * the decoding registers on AMD) take no writes from the root. Both ways in
 * are checked: the legacy ports 0xCF8 / 0xCFC (kernel/pciio.c) and the ECAM
 * window (its pages in the root's SLAT). Pure code (kernel/pciguard.c),
 * unit-tested (tests/unit/test_pciguard.c).
 *
 * The 0xCF8 address (PCI Local Bus 3.0, 3.2.2.3.2): bit 31 enable, bits
 * 23:16 bus, 15:11 device, 10:8 function, 7:2 the dword; AMD adds bits 27:24
 * as offset bits 11:8 (extended configuration space, when enabled).
 */
#ifndef RAUM_PCIGUARD_H
#define RAUM_PCIGUARD_H

#include <raum/types.h>

#define PCIGUARD_MAX_HIDDEN 8
#define PCI_BDF(b, d, f) ((u16)((b) << 8 | (d) << 3 | (f)))
#define PCIGUARD_HOST_BRIDGE PCI_BDF(0, 0, 0)
#define PCIGUARD_HOST_FIRST_LOCKED 0x40 /* host bridge offsets below stay writable (command, BARs, ...) */

struct pciguard {
	unsigned nr_hidden;
	u16 hidden[PCIGUARD_MAX_HIDDEN]; /* segment 0 functions that read as absent */
	bool lock_host_bridge;           /* writes to 00:00.0 at PCIGUARD_HOST_FIRST_LOCKED and above dropped */
};

enum pciguard_action {
	PCIGUARD_PASS,      /* done on the hardware as the root asked */
	PCIGUARD_ABSENT,    /* a read returns all-ones, a write is dropped: no function there */
	PCIGUARD_DROP,      /* a write dropped (a read passes) */
};

/* Adds a function to hide; -RAUM_ENOSPC-like -RAUM_ERANGE when full, 0 otherwise (a repeat is fine). */
int pciguard_hide(struct pciguard *g, u16 bdf);

/*
 * The decision for an access of size bytes (1, 2 or 4) at byte offset off
 * (0-4095) of function bdf on segment 0.
 */
enum pciguard_action pciguard_check(const struct pciguard *g, u16 bdf, u32 off, unsigned size, bool write);

/*
 * The same for an access through the data ports: cf8 is the address the
 * root last wrote to 0xCF8, port one of 0xCFC-0xCFF. With the enable bit
 * clear nothing is decoded: PASS (the hardware answers as it does).
 */
enum pciguard_action pciguard_check_cf8(const struct pciguard *g, u32 cf8, u16 port, unsigned size, bool write);

#endif
