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

struct hvcall_desc {
	u16 code;
	u16 in_size;   /* bytes of the input block (memory calls); 0: none */
	u16 out_size;  /* bytes of the output block; 0: none */
	bool fast;     /* register-based (fast) call: RDX / R8 carry the inputs */
	const char *name;
};

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
};

/*
 * Checks a call against its descriptor (d == NULL: unknown code). Returns
 * HV_STATUS_SUCCESS or the TLFS status for the first problem found, in
 * this order:
 *   1. unknown code (INVALID_HYPERCALL_CODE);
 *   2. reserved bits, a variable header or a rep count / start for a
 *      simple call, or the fast flag not matching the call
 *      (INVALID_HYPERCALL_INPUT); a fast call ends here;
 *   3. per block, input first: a GPA not 8-byte aligned, a block crossing
 *      a page, a block at or beyond the GPA space's limit;
 *   4. input and output overlapping (3 and 4: INVALID_ALIGNMENT, as the
 *      TLFS groups them; it lists "not within the bounds of the GPA space"
 *      there);
 *   5. a block inside the space but not wholly RAM: MMIO, a hole of the
 *      map, beyond the physmap, Raum's memory (ACCESS_DENIED).
 * *not_ram is set on every return to how many of the call's blocks are not
 * wholly RAM (beyond the limit included), 0 when validation stopped before
 * the blocks; non-zero means the call is refused. The caller counts them
 * (health.buffers_refused).
 */
u16 hvcall_validate(const struct hvcall_desc *d, u64 control, u64 in_gpa, u64 out_gpa,
		    const struct gpa_space *s, unsigned *not_ram);

#endif
