// SPDX-License-Identifier: MIT
/* The root partition's SLAT ranges: see include/raum/slat.h. */
#include <raum/errno.h>
#include <raum/memmap.h>
#include <raum/mtrr.h>
#include <raum/pt.h>
#include <raum/slat.h>

#define PCI_SLACK (64ULL << 30)

int slat_root_ranges(const struct raum_mem_range *map, size_t n, u64 hv_base, u64 hv_size,
		     unsigned phys_bits, bool page1g, struct slat_range out[2], u64 *limit)
{
	u64 lim;

	if (phys_bits < 32 || phys_bits > 52)
		phys_bits = 36; /* CPUID 0x80000008 absent or absurd: the architectural minimum */
	if (page1g)
		lim = 1ULL << phys_bits;
	else
		lim = MAX(memmap_end(map, n), 4ULL << 30) + PCI_SLACK;
	lim = MIN(ALIGN_UP(lim, HUGE_PAGE_SIZE), 1ULL << phys_bits);
	if (!IS_ALIGNED(hv_base | hv_size, PAGE_SIZE) || hv_size == 0 || hv_base + hv_size > lim ||
	    hv_base + hv_size < hv_base)
		return -RAUM_EINVAL;

	int k = 0;
	if (hv_base > 0)
		out[k++] = (struct slat_range){ 0, hv_base };
	if (hv_base + hv_size < lim)
		out[k++] = (struct slat_range){ hv_base + hv_size, lim - (hv_base + hv_size) };
	*limit = lim;
	return k;
}

int slat_map_typed(struct pt_ctx *pt, const struct slat_range *r, int k, const struct mtrr_seg *seg,
		   size_t n)
{
	for (int i = 0; i < k; i++) {
		for (size_t j = 0; j < n; j++) {
			u64 b = MAX(r[i].base, seg[j].base);
			u64 e = MIN(r[i].base + r[i].size, seg[j].base + seg[j].size);
			if (b >= e)
				continue;
			int rc = pt_map(pt, b, b, e - b, EPT_RWX | EPT_MT(seg[j].type));
			if (rc)
				return rc;
		}
	}
	return 0;
}
