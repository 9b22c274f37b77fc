// SPDX-License-Identifier: MIT
/* Vendor backend selection: see include/raum/vendor.h. */
#include <raum/errno.h>
#include <raum/vendor.h>

const struct vendor_ops *vendor_ops_current;

int vendor_select(u32 vendor)
{
	const struct vendor_ops *const all[] = { &svm_ops, &vmx_ops };

	for (unsigned i = 0; i < ARRAY_SIZE(all); i++) {
		const struct vendor_ops *o = all[i];
		if (o->vendor != vendor)
			continue;
		/* every op is required: a missing one is a build mistake, refused here */
		if (!o->name || !o->cpu_enable || !o->cpu_disable || !o->get_ctrl || !o->inject_exception ||
		    !o->slat_build_root || !o->prepare || !o->partition_alloc || !o->partition_finalize ||
		    !o->vp_create || !o->vp_destroy || !o->vp_load || !o->vp_put || !o->vp_set_regs ||
		    !o->vp_get_regs || !o->vp_run || !o->run_loop || !o->complete_insn || !o->vendor_exit || !o->msr_vendor ||
		    !o->reset_events || !o->host_wait)
			return -RAUM_EINVAL;
		vendor_ops_current = o;
		return 0;
	}
	return -RAUM_ENODEV;
}

