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

const char *vp_regs_diff(const struct vp_regs *a, const struct vp_regs *b)
{
	static const char *const gpr[GPR_COUNT] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
						   "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15" };
	static const char *const seg[VP_NSEG] = { "es", "cs", "ss", "ds", "fs", "gs", "ldtr", "tr" };

	for (int i = 0; i < GPR_COUNT; i++)
		if (a->gpr[i] != b->gpr[i])
			return gpr[i];
	for (int i = 0; i < VP_NSEG; i++)
		if (a->seg[i].sel != b->seg[i].sel || a->seg[i].attr != b->seg[i].attr ||
		    a->seg[i].limit != b->seg[i].limit || a->seg[i].base != b->seg[i].base)
			return seg[i];
#define DIFF(f)                  \
	if (a->f != b->f)        \
		return #f;
	DIFF(rip) DIFF(rflags) DIFF(gdtr_base) DIFF(gdtr_limit) DIFF(idtr_base) DIFF(idtr_limit)
	DIFF(cr0) DIFF(cr2) DIFF(cr3) DIFF(cr4) DIFF(efer) DIFF(dr6) DIFF(dr7) DIFF(pat)
	DIFF(sysenter_cs) DIFF(sysenter_esp) DIFF(sysenter_eip)
	DIFF(star) DIFF(lstar) DIFF(cstar) DIFF(sfmask) DIFF(kernel_gs_base)
#undef DIFF
	return NULL;
}
