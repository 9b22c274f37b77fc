/* SPDX-License-Identifier: MIT */
/*
 * A child partition's states and which calls each allows (issue 12,
 * docs/partitions.md). Pure code (kernel/partstate.c), unit-tested with
 * every call in every state (tests/unit/test_partstate.c).
 *
 *   CreatePartition ──> CREATED ──Initialize──> ACTIVE ──Finalize──> FINALIZED
 *                          │                                             │
 *                          └───────────── Delete (pool empty) ───────────┘
 *
 * TLFS 2.0 names: the partition is "created", then "active" after
 * HvInitializePartition, "finalizing / finalized" after
 * HvFinalizePartition; HvDeletePartition removes it. A call in a state
 * that does not allow it: HV_STATUS_INVALID_PARTITION_STATE.
 */
#ifndef RAUM_PARTSTATE_H
#define RAUM_PARTSTATE_H

#include <raum/types.h>

enum part_state {
	PART_CREATED = 1,
	PART_ACTIVE,
	PART_FINALIZED,
};

enum part_op {
	POP_INITIALIZE,
	POP_FINALIZE,
	POP_DELETE,
	POP_DEPOSIT,       /* DepositMemory */
	POP_WITHDRAW,      /* WithdrawMemory, GetMemoryBalance */
	POP_RUN,           /* what needs the partition live: VPs, GPA mappings (later calls) */
	POP_COUNT
};

/*
 * Whether op is allowed in state s: HV_STATUS_SUCCESS, with *next the state
 * after it (s when it does not change), or HV_STATUS_INVALID_PARTITION_STATE
 * (also for a state or op out of range).
 */
u16 partstate_check(enum part_state s, enum part_op op, enum part_state *next);

#endif
