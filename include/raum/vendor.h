/* SPDX-License-Identifier: MIT */
/*
 * The vendor backend: one ops table, filled by svm/ or vmx/, chosen once at
 * boot (as Xen's hvm_funcs and KVM's kvm_x86_ops). Common code calls the
 * inline wrappers below, never the table directly. Vendor code decodes,
 * common code (kernel/) handles.
 *
 * Issue 2 (foundation) uses cpu_enable / cpu_disable; the late-launch ops
 * (vp_launch, exit handling, SLAT) join the table with the AMD-V and VT-x
 * work, so each op lands together with its implementation.
 */
#ifndef RAUM_VENDOR_H
#define RAUM_VENDOR_H

#include <raum/bootinfo.h>
#include <raum/cpu.h>

struct vendor_ops {
	const char *name; /* "svm" or "vmx" */
	u32 vendor;       /* enum raum_vendor it serves */
	/* Turns the virtualization extension on for this CPU (EFER.SVME / VMXON). */
	int (*cpu_enable)(struct cpu *c);
	/* Turns it off again and releases what cpu_enable took. */
	void (*cpu_disable)(struct cpu *c);
};

extern const struct vendor_ops svm_ops;
extern const struct vendor_ops vmx_ops;

/*
 * Chooses the backend for the CPU vendor and checks that every op is set.
 * Returns 0, or -RAUM_ENODEV for a vendor without a backend.
 */
int vendor_select(u32 vendor);
const struct vendor_ops *vendor_current(void);

static inline int vendor_cpu_enable(struct cpu *c) { return vendor_current()->cpu_enable(c); }
static inline void vendor_cpu_disable(struct cpu *c) { vendor_current()->cpu_disable(c); }
static inline const char *vendor_name(void) { return vendor_current()->name; }

#endif
