// SPDX-License-Identifier: MIT
/*
 * The one exit dispatcher (include/raum/vp.h). The vendor's run op enters
 * the guest once and fills a vendor-neutral exit record; here every exit
 * is counted once, under the reason the record names, handled through one
 * bounds-checked table, completed through the vendor's complete_insn op,
 * and, when a handler says the VP cannot go on, judged by one failure
 * policy: only the root may halt a CPU or reset the machine; any other
 * partition's VP stops alone and its run loop returns.
 */
#include <raum/dispatch.h>
#include <raum/fmt.h>
#include <raum/health.h>
#include <raum/pciio.h>
#include <raum/log.h>
#include <raum/vendor.h>
#include <raum/x86.h>

static enum exit_action h_cpuid(struct vp *vp, struct vp_exit *e __unused) { return exit_cpuid(vp); }
static enum exit_action h_msr_read(struct vp *vp, struct vp_exit *e __unused) { return exit_msr(vp, false); }
static enum exit_action h_msr_write(struct vp *vp, struct vp_exit *e __unused) { return exit_msr(vp, true); }

static enum exit_action h_hypercall(struct vp *vp, struct vp_exit *e)
{
	return exit_hypercall(vp, e->flags & VPX_F_ALLOWED);
}

static enum exit_action h_slat(struct vp *vp, struct vp_exit *e)
{
	return exit_slat_violation(vp, e->gpa, e->flags & VPX_F_WRITE, e->flags & VPX_F_FETCH, e->flags & VPX_F_WALK);
}

static enum exit_action h_delivery_fault(struct vp *vp, struct vp_exit *e)
{
	return exit_delivery_fault(vp, (enum ev_type)e->ev_type, e->ev_vector, e->gpa, e->flags & VPX_F_WALK,
				   e->idt_base);
}

/*
 * INVD would drop dirty lines of Raum's memory too (it does not write
 * back: SDM vol. 2A INVD, APM vol. 3 INVD with HWCR.INVD_WBINVD clear):
 * done as WBINVD, as WBINVD itself is. CPL was checked before the exit.
 */
static enum exit_action h_invd(struct vp *vp __unused, struct vp_exit *e)
{
	if (e->flags & VPX_F_INVD)
		health_add(&health.invd, 1);
	__asm__ volatile("wbinvd" ::: "memory");
	return EXIT_ADVANCE;
}

static enum exit_action h_xsetbv(struct vp *vp, struct vp_exit *e __unused) { return exit_xsetbv(vp); }
static enum exit_action h_undefined(struct vp *vp, struct vp_exit *e __unused) { return exit_undefined(vp); }
static enum exit_action h_shutdown(struct vp *vp __unused, struct vp_exit *e __unused) { return EXIT_SHUTDOWN; }
static enum exit_action h_init(struct vp *vp __unused, struct vp_exit *e __unused) { return EXIT_INIT; }

static enum exit_action h_vendor(struct vp *vp, struct vp_exit *e)
{
	return vendor_current()->vendor_exit(vp, e);
}

static enum exit_action h_failed(struct vp *vp, struct vp_exit *e)
{
	vp->stop_reason = e->why[0] ? e->why : "an exit Raum cannot handle";
	return EXIT_FATAL;
}

static enum exit_action h_io(struct vp *vp, struct vp_exit *e)
{
	return exit_pci_io(vp, e->port, e->io_size, !(e->flags & VPX_F_WRITE), e->flags & VPX_F_STRING);
}

const exit_handler vp_exit_handlers[VPX_KINDS] = {
	[VPX_CPUID] = h_cpuid,
	[VPX_MSR_READ] = h_msr_read,
	[VPX_MSR_WRITE] = h_msr_write,
	[VPX_HYPERCALL] = h_hypercall,
	[VPX_SLAT] = h_slat,
	[VPX_DELIVERY_FAULT] = h_delivery_fault,
	[VPX_INVD] = h_invd,
	[VPX_XSETBV] = h_xsetbv,
	[VPX_UNDEFINED] = h_undefined,
	[VPX_SHUTDOWN] = h_shutdown,
	[VPX_INIT] = h_init,
	[VPX_IO] = h_io,
	[VPX_VENDOR] = h_vendor,
	[VPX_FAILED] = h_failed,
};

bool vp_dispatch_table_complete(void)
{
	for (unsigned i = 0; i < VPX_KINDS; i++)
		if (!vp_exit_handlers[i])
			return false;
	return true;
}

enum vp_fail_action vp_fail_decide(bool root, enum exit_action a)
{
	if (!root)
		return VP_FAIL_STOP_VP; /* a child's failure is its own: the root is told, the machine goes on */
	/*
	 * The root's triple fault and INIT reset the machine, as they would on
	 * hardware (Raum cannot hand the firmware a reset CPU: SDM vol. 3A 9.1,
	 * APM vol. 2 15.19); anything else Raum cannot go on with halts the CPU
	 * with the root's state on serial (docs/debugging.md).
	 */
	return (a == EXIT_SHUTDOWN || a == EXIT_INIT) ? VP_FAIL_RESET_MACHINE : VP_FAIL_HALT_CPU;
}

void vp_fail(struct vp *vp, struct vp_exit *e, enum exit_action a)
{
	const char *why = a == EXIT_SHUTDOWN ? "shutdown (triple fault)"
			  : a == EXIT_INIT   ? "INIT"
			  : vp->stop_reason  ? vp->stop_reason
			  : e->why[0]        ? e->why
					     : "a handler could not go on";

	switch (vp_fail_decide(vp->part->id == 0, a)) {
	case VP_FAIL_RESET_MACHINE: {
		char msg[96];
		raum_snprintf(msg, sizeof(msg), "%s: resetting the machine", why);
		vp_reset_machine(vp, msg);
	}
	case VP_FAIL_HALT_CPU:
		vp_halt_cpu(vp, why);
	case VP_FAIL_STOP_VP:
		/* the VP outlives the record (and its run loop's frame): the reason is copied */
		raum_snprintf(vp->stop_why, sizeof(vp->stop_why), "%s", why);
		vp->stop_reason = vp->stop_why;
		vp_dump(vp, vp->stop_why);
		return;
	}
}

bool vp_dispatch(struct vp *vp, struct vp_exit *e)
{
	return vp_dispatch_inline(vp, e, vendor_current()->complete_insn);
}

void vp_run_loop(struct vp *vp)
{
	if (vp_life_step(&vp->life, VP_OP_RUN, cpu_id(), true)) {
		pr_err("vp%u: run refused in state %s", vp->index, vp_state_name(vp->life.state));
		return;
	}
	vendor_current()->run_loop(vp); /* vp_run and vp_dispatch_inline until the policy stops the VP */
	vp_life_step(&vp->life, VP_OP_RUN_DONE, cpu_id(), true);
}
