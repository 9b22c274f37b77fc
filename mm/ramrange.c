// SPDX-License-Identifier: MIT
/* The RAM ranges of a guest-physical space: see include/raum/ramrange.h. */
#include <raum/errno.h>
#include <raum/memmap.h>
#include <raum/ramrange.h>

/* Appends [base, end), merging it into the last entry when they touch. */
static int append(struct ram_range *out, size_t *k, size_t cap, u64 base, u64 end)
{
	if (base >= end)
		return 0;
	if (*k && out[*k - 1].end == base) {
		out[*k - 1].end = end;
		return 0;
	}
	if (*k >= cap)
		return -RAUM_ENOMEM;
	out[(*k)++] = (struct ram_range){ base, end };
	return 0;
}

int ram_ranges_build(const struct raum_mem_range *map, size_t n, u64 limit, u64 hv_base, u64 hv_size,
		     struct ram_range *out, size_t cap)
{
	/* Raum's region, its end saturated at 2^64 - 1 */
	u64 hv_end = hv_size > ~0ULL - hv_base ? ~0ULL : hv_base + hv_size;
	u64 prev_end = 0;
	size_t k = 0;
	int rc;

	for (size_t i = 0; i < n; i++) {
		u64 base = map[i].base;
		u64 end = map[i].pages > (~0ULL - base) >> PAGE_SHIFT ? ~0ULL : base + (map[i].pages << PAGE_SHIFT);
		if (i && base < prev_end)
			return -RAUM_EINVAL;
		prev_end = end;
		if (!memmap_type_is_dram(map[i].type))
			continue;
		end = MIN(end, limit);
		if (hv_size && base < hv_end && end > hv_base) {
			/* the parts before and after Raum's region */
			rc = append(out, &k, cap, base, MIN(end, hv_base));
			if (rc == 0)
				rc = append(out, &k, cap, MAX(base, hv_end), end);
		} else {
			rc = append(out, &k, cap, base, end);
		}
		if (rc)
			return rc;
	}
	return (int)k;
}

bool ram_ranges_contain(const struct ram_range *r, size_t n, u64 gpa, u64 len)
{
	size_t lo = 0, hi = n;

	if (len == 0)
		return false;
	/* the first range starting above gpa: its predecessor is the only candidate */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (r[mid].base <= gpa)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return false;
	r += lo - 1;
	/* no gpa + len: it could wrap */
	return gpa < r->end && len <= r->end - gpa;
}

void ram_ranges_largest(const struct ram_range *r, size_t n, struct ram_range *out, size_t k)
{
	for (size_t b = 0; b < k; b++)
		out[b] = (struct ram_range){ 0, 0 };
	/* insertion into a short array sorted by size, largest first */
	for (size_t i = 0; i < n; i++) {
		struct ram_range cand = r[i];
		for (size_t b = 0; b < k; b++) {
			if (cand.end - cand.base > out[b].end - out[b].base) {
				struct ram_range t = out[b];
				out[b] = cand;
				cand = t;
			}
		}
	}
}
