// SPDX-License-Identifier: MIT
/*
 * The root partition: the firmware, then the OS it boots, late-launched on
 * every CPU. Its SLAT identity-maps the physical address space except
 * Raum's own memory (DESIGN.md decision 1), with the largest pages that fit.
 */
#include <raum/cpu.h>
#include <raum/errno.h>
#include <raum/log.h>
#include <raum/slat.h>
#include <raum/vendor.h>
#include <raum/vm.h>
#include <raum/vp.h>

struct partition root_partition;
struct vp *root_vps[RAUM_MAX_CPUS];

int root_partition_create(const struct raum_mem_range *map, size_t n, u64 hv_base, u64 hv_size,
			  bool slat_1g, unsigned phys_bits)
{
	struct partition *p = &root_partition;
	struct slat_range r[2];
	u64 limit;
	int rc, k;

	k = slat_root_ranges(map, n, hv_base, hv_size, phys_bits, slat_1g, r, &limit);
	if (k < 0)
		return k;
	p->phys_bits = phys_bits; /* the MTRR masks' width too (vmx read_mtrrs) */
	rc = vendor_current()->slat_build_root(p, r, k, slat_1g);
	if (rc) {
		pr_err("root SLAT: cannot build the identity map (error %d)", rc);
		return rc;
	}
	p->id = 0;
	p->is_root = true;
	p->gpa_limit = limit;
	p->hv_base = hv_base;
	p->hv_size = hv_size;
	pr_info("root partition: SLAT identity map of %llu GiB, Raum's %llu MiB at %#llx left out",
		(unsigned long long)(limit >> 30), (unsigned long long)(hv_size >> 20),
		(unsigned long long)hv_base);
	return 0;
}
