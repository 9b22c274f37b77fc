/* SPDX-License-Identifier: MIT */
/*
 * The root's PCI configuration accesses through Raum (issue 11): the ports
 * 0xCF8-0xCFF are intercepted for the root on both vendors, and the ECAM
 * pages of guarded functions are unmapped (hidden functions) or read-only
 * (the host bridge) in its SLAT. Policy: include/raum/pciguard.h.
 *
 * 0xCF8 as a dword is the address register, one for the whole machine: the
 * root's value lives in a shadow, and each data-port access writes it to
 * the hardware and does the access under one lock, so that no CPU can
 * change the address between Raum's check and the access (a root that
 * raced two CPUs on 0xCF8 would otherwise slip a guarded address past the
 * check). Other sizes at 0xCF8-0xCFB (0xCF9 is the reset control register)
 * and string I/O are done / refused as kernel/pciio.c says.
 */
#ifndef RAUM_PCIIO_H
#define RAUM_PCIIO_H

#include <raum/pciguard.h>
#include <raum/types.h>

struct vp;
struct partition;
struct x86_insn;
enum exit_action;

#define PCIIO_PORT_FIRST 0xcf8
#define PCIIO_PORT_LAST 0xcff

/* The guard every access is checked against; filled before the root runs (drivers/iommu.c). */
extern struct pciguard pci_guard;

/*
 * A trapped port access of the root: port, size (1, 2 or 4), in or out,
 * string / REP forms refused with #GP(0) (no OS does string I/O to these
 * ports; Raum would have to emulate the memory side).
 */
enum exit_action exit_pci_io(struct vp *vp, u16 port, unsigned size, bool in, bool string);

/*
 * ECAM windows (from MCFG) for the guard's SLAT side: pciio_protect_ecam()
 * unmaps hidden functions' pages and makes the host bridge's page
 * read-only in the root's SLAT; ecam_page_write() then does a root write
 * that hit the host bridge's page, as the guard decides.
 */
struct mcfg_seg;
int pciio_protect_ecam(struct partition *root, const struct mcfg_seg *segs, int n);
bool ecam_page_has(const struct partition *p, u64 gpa);
enum exit_action ecam_page_write(struct vp *vp, u64 gpa, const struct x86_insn *in, u64 value);

#endif
