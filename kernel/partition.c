// SPDX-License-Identifier: MIT
/*
 * The root partition: the firmware, then the OS it boots, late-launched on
 * every CPU. Its SLAT identity-maps the physical address space except
 * Raum's own memory (DESIGN.md decision 1), with the largest pages that fit.
 * Raum itself touches only the RAM in it (include/raum/ramrange.h).
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

static u64 ram_bytes(const struct ram_range *r, size_t n)
{
	u64 b = 0;

	for (size_t i = 0; i < n; i++)
		b += r[i].end - r[i].base;
	return b;
}

int root_partition_create(const struct raum_mem_range *map, size_t n, u64 hv_base, u64 hv_size,
			  bool slat_1g, unsigned phys_bits)
{
	struct partition *p = &root_partition;
	struct slat_range r[2];
	struct ram_range *ram;
	u64 limit, ram_phys;
	int rc, k;

	k = slat_root_ranges(map, n, hv_base, hv_size, phys_bits, slat_1g, r, &limit);
	if (k < 0)
		return k;
	p->phys_bits = phys_bits; /* the MTRR masks' width too (EPT types, shadow MTRRs) */
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

	/* n + 1 entries at most (include/raum/ramrange.h) */
	rc = page_alloc_zeroed(ALIGN_UP((n + 1) * sizeof(*ram), PAGE_SIZE) >> PAGE_SHIFT, &ram_phys);
	if (rc) {
		pr_err("root partition: no pages for its RAM ranges (error %d)", rc);
		return rc;
	}
	ram = phys_to_virt(ram_phys);
	k = ram_ranges_build(map, n, limit, hv_base, hv_size, ram, n + 1);
	if (k < 0) {
		pr_err("root partition: cannot list its RAM (error %d)", k);
		return k;
	}
	p->ram = ram;
	p->nr_ram = (size_t)k;
	pr_info_addr("root partition: SLAT identity map of %llu GiB, Raum's %llu MiB at %#llx left out",
		(unsigned long long)(limit >> 30), (unsigned long long)(hv_size >> 20),
		(unsigned long long)hv_base);
	pr_info("root partition: %llu MiB of RAM in %zu ranges for hypercall blocks and page walks",
		(unsigned long long)(ram_bytes(ram, p->nr_ram) >> 20), p->nr_ram);
	return 0;
}
