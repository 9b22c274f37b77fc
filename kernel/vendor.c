// SPDX-License-Identifier: MIT
/* Vendor backend selection: see include/raum/vendor.h. */
#include <raum/errno.h>
#include <raum/vendor.h>

static const struct vendor_ops *ops;

int vendor_select(u32 vendor)
{
	const struct vendor_ops *const all[] = { &svm_ops, &vmx_ops };

	for (unsigned i = 0; i < ARRAY_SIZE(all); i++) {
		const struct vendor_ops *o = all[i];
		if (o->vendor != vendor)
			continue;
		/* every op is required: a missing one is a build mistake, refused here */
		if (!o->name || !o->cpu_enable || !o->cpu_disable || !o->launch_root ||
		    !o->get_ctrl || !o->inject_exception || !o->slat_build_root || !o->prepare)
			return -RAUM_EINVAL;
		ops = o;
		return 0;
	}
	return -RAUM_ENODEV;
}

const struct vendor_ops *vendor_current(void) { return ops; }
