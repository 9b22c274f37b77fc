/* SPDX-License-Identifier: MIT */
/*
 * Hypercall argument validation (TLFS "Hypercall Interface"): pure code,
 * so every rule is unit-tested (tests/unit/test_hvcall.c). The dispatcher
 * (kernel/hypercall.c) validates everything first, then commits.
 */
#ifndef RAUM_HVCALL_H
#define RAUM_HVCALL_H

#include <hv/abi/hvcall.h>
#include <raum/ramrange.h>
#include <raum/types.h>

/* Who may make a call (TLFS: each call lists the privilege it needs). */
enum hvcall_priv {
	HVCALL_ANY = 0,    /* any partition */
	HVCALL_ROOT_ONLY,  /* the root partition: every partition-management call */
};

/*
 * A call's shape. For a rep call (TLFS "Hypercall Interface", rep
 * hypercalls) in_size is the fixed header and the input block is
 * in_size + rep count * in_elem bytes; the output block is rep count *
 * out_elem (+ out_size, 0 for every TLFS rep call). Fields after name are
 * zero for simple calls that any partition may make (positional
 * initializers stay valid).
 */
struct hvcall_desc {
	u16 code;
	u16 in_size;   /* bytes of the input block (memory calls), or a rep call's header; 0: none */
	u16 out_size;  /* bytes of the output block; 0: none */
	bool fast;     /* register-based (fast) call: RDX / R8 carry the inputs */
	const char *name;
	bool rep;      /* a rep call: rep count >= 1 and rep start < rep count required */
	u16 in_elem, out_elem; /* bytes per rep element of input and output */
	enum hvcall_priv priv;
};

/* The rep count and rep start index of a hypercall input value. */
static inline u32 hvcall_rep_count(u64 control)
{
	return (u32)((control & HV_HYPERCALL_REP_COUNT_MASK) >> HV_HYPERCALL_REP_COUNT_SHIFT);
}
static inline u32 hvcall_rep_start(u64 control)
{
	return (u32)((control & HV_HYPERCALL_REP_START_MASK) >> HV_HYPERCALL_REP_START_SHIFT);
}

/* The bytes of the input and output blocks of a call with this input value (rep lists included). */
static inline u64 hvcall_in_bytes(const struct hvcall_desc *d, u64 control)
{
	return d->in_size + (d->rep ? (u64)hvcall_rep_count(control) * d->in_elem : 0);
}
static inline u64 hvcall_out_bytes(const struct hvcall_desc *d, u64 control)
{
	return d->out_size + (d->rep ? (u64)hvcall_rep_count(control) * d->out_elem : 0);
}

/*
 * The guest-physical space a caller owns, and the RAM in it: the only
 * memory a hypercall block may be in (include/raum/ramrange.h says which
 * memory types count as RAM and why).
 */
struct gpa_space {
	u64 limit;            /* addresses at or above are outside the GPA space */
	u64 hole_base, hole_size; /* Raum's memory inside it, never accessible */
	const struct ram_range *ram; /* sorted, disjoint, not touching (ram_ranges_build) */
	size_t nr_ram;
	/*
	 * Pages of that RAM Raum has taken since (deposited: mm/owner.c): a
	 * block touching one is not the caller's RAM. NULL: none taken.
	 */
	bool (*taken)(const void *ctx, u64 gpa, u64 size);
	const void *taken_ctx;
	bool root;            /* the caller is the root partition (privileges) */
};

/*
 * Checks a call against its descriptor (d == NULL: unknown code). Returns
 * HV_STATUS_SUCCESS or the TLFS status for the first problem found, in
 * this order:
 *   1. unknown code (INVALID_HYPERCALL_CODE);
 *   2. a root-only call from another partition (ACCESS_DENIED; nothing of
 *      its blocks is looked at);
 *   3. reserved bits, a variable header, a rep count / start for a simple
 *      call, a rep count of 0 or a rep start at or past the rep count for
 *      a rep call, or the fast flag not matching the call
 *      (INVALID_HYPERCALL_INPUT); a fast call ends here;
 *   4. per block (a rep call's with its whole list), input first: a GPA
 *      not 8-byte aligned, a block crossing a page, a block at or beyond
 *      the GPA space's limit;
 *   5. input and output overlapping (4 and 5: INVALID_ALIGNMENT, as the
 *      TLFS groups them; it lists "not within the bounds of the GPA space"
 *      there);
 *   6. a block inside the space but not wholly RAM: MMIO, a hole of the
 *      map, beyond the physmap, Raum's memory, a page Raum has taken
 *      (ACCESS_DENIED).
 * *not_ram is set on every return to how many of the call's blocks are not
 * wholly RAM (beyond the limit included), 0 when validation stopped before
 * the blocks; non-zero means the call is refused. The caller counts them
 * (health.buffers_refused).
 */
u16 hvcall_validate(const struct hvcall_desc *d, u64 control, u64 in_gpa, u64 out_gpa,
		    const struct gpa_space *s, unsigned *not_ram);

#endif
