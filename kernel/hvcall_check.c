// SPDX-License-Identifier: MIT
/* Hypercall argument validation: see include/raum/hvcall.h. */
#include <raum/hvcall.h>

/* The block [gpa, gpa + size): aligned, in one page, inside the space. */
static u16 check_block(u64 gpa, u64 size, const struct gpa_space *s)
{
	if (gpa & 7)
		return HV_STATUS_INVALID_ALIGNMENT;
	if ((gpa & PAGE_MASK) != ((gpa + size - 1) & PAGE_MASK))
		return HV_STATUS_INVALID_ALIGNMENT; /* crosses a page (or wraps) */
	if (gpa >= s->limit || size > s->limit - gpa)
		return HV_STATUS_INVALID_ALIGNMENT; /* TLFS: "not within the bounds of the GPA space" */
	return HV_STATUS_SUCCESS;
}

/*
 * Whether the block is wholly RAM: inside the space, never touching Raum's
 * memory (even were ram[] to claim it), and in one RAM range.
 */
static bool is_ram(u64 gpa, u64 size, const struct gpa_space *s)
{
	if (gpa >= s->limit || size > s->limit - gpa)
		return false;
	if (gpa < s->hole_base + s->hole_size && gpa + size > s->hole_base)
		return false;
	if (!ram_ranges_contain(s->ram, s->nr_ram, gpa, size))
		return false;
	return !(s->taken && s->taken(s->taken_ctx, gpa, size));
}

u16 hvcall_validate(const struct hvcall_desc *d, u64 control, u64 in_gpa, u64 out_gpa,
		    const struct gpa_space *s, unsigned *not_ram)
{
	u16 st;

	*not_ram = 0;
	if (!d)
		return HV_STATUS_INVALID_HYPERCALL_CODE;
	if (d->priv == HVCALL_ROOT_ONLY && !s->root)
		return HV_STATUS_ACCESS_DENIED;
	if (control & (HV_HYPERCALL_RSVD_MASK | HV_HYPERCALL_VARHEAD_MASK))
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	if (!d->rep && (control & (HV_HYPERCALL_REP_COUNT_MASK | HV_HYPERCALL_REP_START_MASK)))
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	if (d->rep && (hvcall_rep_count(control) == 0 || hvcall_rep_start(control) >= hvcall_rep_count(control)))
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	if (!!(control & HV_HYPERCALL_FAST_BIT) != d->fast)
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	if (d->fast)
		return HV_STATUS_SUCCESS; /* no memory blocks */
	u64 in_size = hvcall_in_bytes(d, control), out_size = hvcall_out_bytes(d, control);
	/* where the blocks lie is counted whatever else is wrong with them */
	*not_ram = (in_size && !is_ram(in_gpa, in_size, s)) + (out_size && !is_ram(out_gpa, out_size, s));
	/* every INVALID_ALIGNMENT problem of both blocks first, then RAM (the header's order) */
	if (in_size && (st = check_block(in_gpa, in_size, s)) != HV_STATUS_SUCCESS)
		return st;
	if (out_size && (st = check_block(out_gpa, out_size, s)) != HV_STATUS_SUCCESS)
		return st;
	if (in_size && out_size && in_gpa < out_gpa + out_size && out_gpa < in_gpa + in_size)
		return HV_STATUS_INVALID_ALIGNMENT; /* the TLFS forbids overlapping lists */
	if (*not_ram)
		return HV_STATUS_ACCESS_DENIED;
	return HV_STATUS_SUCCESS;
}
