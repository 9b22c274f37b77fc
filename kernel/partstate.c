// SPDX-License-Identifier: MIT
/* A child partition's states: see include/raum/partstate.h. */
#include <hv/abi/hvcall.h>
#include <raum/partstate.h>

/* allowed[state - 1][op]: 0 refused, else the next state (the same one when nothing changes) */
static const u8 allowed[3][POP_COUNT] = {
	[PART_CREATED - 1] = { [POP_INITIALIZE] = PART_ACTIVE, [POP_DELETE] = PART_CREATED,
			       [POP_DEPOSIT] = PART_CREATED, [POP_WITHDRAW] = PART_CREATED },
	[PART_ACTIVE - 1] = { [POP_FINALIZE] = PART_FINALIZED, [POP_DEPOSIT] = PART_ACTIVE,
			      [POP_WITHDRAW] = PART_ACTIVE, [POP_RUN] = PART_ACTIVE },
	/* finalized: only what takes it apart; a deposit now would only be stranded */
	[PART_FINALIZED - 1] = { [POP_DELETE] = PART_FINALIZED, [POP_WITHDRAW] = PART_FINALIZED },
};

u16 partstate_check(enum part_state s, enum part_op op, enum part_state *next)
{
	if (s < PART_CREATED || s > PART_FINALIZED || (unsigned)op >= POP_COUNT || !allowed[s - 1][op])
		return HV_STATUS_INVALID_PARTITION_STATE;
	*next = (enum part_state)allowed[s - 1][op];
	return HV_STATUS_SUCCESS;
}
