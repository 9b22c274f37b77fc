/* SPDX-License-Identifier: MIT */
/*
 * The vendor backend: one ops table, filled by svm/ or vmx/, chosen once at
 * boot (as Xen's hvm_funcs and KVM's kvm_x86_ops). Common code calls the
 * inline wrappers below, never the table directly. Vendor code decodes,
 * common code (kernel/) handles.
 *
 * Each op lands together with its implementation; vendor_select refuses a
 * table with a hole.
 */
#ifndef RAUM_VENDOR_H
#define RAUM_VENDOR_H

#include <raum/bootinfo.h>
#include <raum/cpu.h>
#include <raum/fwctx.h>
#include <raum/slat.h>
#include <raum/vp.h>

struct vendor_ops {
	const char *name; /* "svm" or "vmx" */
	u32 vendor;       /* enum raum_vendor it serves */
	/* Turns the virtualization extension on for this CPU (EFER.SVME / VMXON). */
	int (*cpu_enable)(struct cpu *c);
	/* Turns it off again and releases what cpu_enable took. */
	void (*cpu_disable)(struct cpu *c);
	/*
	 * Decides whether this CPU can run the root (VT-x: the controls from the
	 * capability MSRs) and whether the SLAT may use 1 GiB leaves. Returns 0
	 * or -RAUM_ENODEV, having logged the reason.
	 */
	int (*prepare)(bool *slat_1g);
	/*
	 * Builds p->slat as an identity map of the k ranges (read, write,
	 * execute), in the vendor's format: NPT, or EPT with memory types from
	 * the MTRRs. page1g: the host's 1 GiB page support (NPT's rule).
	 */
	int (*slat_build_root)(struct partition *p, const struct slat_range *r, int k, bool slat_1g);
	/*
	 * Late launch: resumes the firmware state 'fw' as VP 0 of the root
	 * partition on this CPU, returning 'rax' to the loader's call. Returns
	 * only on failure (a negative error, the CPU still in host mode).
	 */
	int (*launch_root)(struct cpu *c, struct partition *root, const struct fw_ctx *fw, u64 rax);
	/* Guest control state for the common handlers. */
	void (*get_ctrl)(struct vp *vp, struct vp_ctrl *out);
	/* Queues an exception for the next entry (SDM 6.15 / APM 8.2 vectors). */
	void (*inject_exception)(struct vp *vp, u8 vector, bool has_error, u32 error);
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
static inline void vp_get_ctrl(struct vp *vp, struct vp_ctrl *c) { vendor_current()->get_ctrl(vp, c); }
static inline void vp_inject_exception(struct vp *vp, u8 vector, bool has_error, u32 error)
{
	vendor_current()->inject_exception(vp, vector, has_error, error);
}

#endif
