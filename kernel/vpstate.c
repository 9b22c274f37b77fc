// SPDX-License-Identifier: MIT
/*
 * The VP lifecycle as a state machine (include/raum/vp.h): pure code, so
 * the unit tests drive every operation in every state
 * (tests/unit/test_vpstate.c). kernel/vp.c asks it before each vendor op.
 *
 *   CREATED --load--> LOADED --run--> RUNNING
 *      ^                |  ^-run_done----'
 *      '------put-------'
 *   CREATED --destroy--> DESTROYED
 *
 * A VP is loaded on at most one CPU and a CPU holds at most one loaded VP
 * (VT-x: one current VMCS per logical processor, SDM vol. 3C 25.11.3; a
 * VMCS active on two CPUs at once is undefined). Registers are read and
 * set only where the VP is loaded, since on VT-x they live in the VMCS.
 */
#include <raum/errno.h>
#include <raum/vp.h>

int vp_life_step(struct vp_life *l, enum vp_op op, u32 cpu, bool busy)
{
	bool here = l->cpu == cpu;

	if (l->state == VP_STATE_DESTROYED)
		return -RAUM_EINVAL;
	switch (op) {
	case VP_OP_LOAD:
		if (l->state != VP_STATE_CREATED)
			return -RAUM_EBUSY; /* loaded (here or elsewhere) or running: put it first */
		if (busy)
			return -RAUM_EBUSY; /* this CPU holds another VP */
		l->state = VP_STATE_LOADED;
		l->cpu = cpu;
		return 0;
	case VP_OP_PUT:
		if (l->state == VP_STATE_CREATED)
			return -RAUM_EINVAL;
		if (l->state != VP_STATE_LOADED || !here)
			return -RAUM_EBUSY;
		l->state = VP_STATE_CREATED;
		return 0;
	case VP_OP_RUN:
		if (l->state == VP_STATE_CREATED)
			return -RAUM_EINVAL;
		if (l->state != VP_STATE_LOADED || !here)
			return -RAUM_EBUSY;
		l->state = VP_STATE_RUNNING;
		return 0;
	case VP_OP_RUN_DONE:
		if (l->state != VP_STATE_RUNNING || !here)
			return -RAUM_EINVAL;
		l->state = VP_STATE_LOADED;
		return 0;
	case VP_OP_REGS:
		if (l->state == VP_STATE_CREATED)
			return -RAUM_EINVAL;
		if (l->state != VP_STATE_LOADED || !here)
			return -RAUM_EBUSY;
		return 0;
	case VP_OP_DESTROY:
		if (l->state != VP_STATE_CREATED)
			return -RAUM_EBUSY;
		l->state = VP_STATE_DESTROYED;
		return 0;
	default:
		return -RAUM_EINVAL;
	}
}

const char *vp_state_name(u8 state)
{
	static const char *const names[] = { "created", "loaded", "running", "destroyed" };

	return state < ARRAY_SIZE(names) ? names[state] : "?";
}
