/* SPDX-License-Identifier: MIT */
/*
 * Hypercall argument validation (TLFS "Hypercall Interface"): pure code,
 * so every rule is unit-tested (tests/unit/test_hvcall.c). The dispatcher
 * (kernel/hypercall.c) validates everything first, then commits.
 */
#ifndef RAUM_HVCALL_H
#define RAUM_HVCALL_H

#include <hv/abi/hvcall.h>
#include <raum/types.h>

struct hvcall_desc {
	u16 code;
	u16 in_size;   /* bytes of the input block (memory calls); 0: none */
	u16 out_size;  /* bytes of the output block; 0: none */
	bool fast;     /* register-based (fast) call: RDX / R8 carry the inputs */
	const char *name;
};

/* The guest-physical space a caller owns. */
struct gpa_space {
	u64 limit;            /* addresses at or above are outside the GPA space */
	u64 hole_base, hole_size; /* Raum's memory inside it, never accessible */
};

/*
 * Checks a call against its descriptor (d == NULL: unknown code). Returns
 * HV_STATUS_SUCCESS or the TLFS status for the first problem found, in
 * this order: unknown code; reserved bits, a variable header or a rep
 * count / start for a simple call, or the fast flag not matching the
 * call; a GPA not 8-byte aligned, a block crossing a page, a block beyond
 * the GPA space, or input and output overlapping (INVALID_ALIGNMENT, as
 * the TLFS groups them); a block in Raum's memory (ACCESS_DENIED).
 */
u16 hvcall_validate(const struct hvcall_desc *d, u64 control, u64 in_gpa, u64 out_gpa,
		    const struct gpa_space *s);

#endif
