// SPDX-License-Identifier: MIT
/*
 * kernel/vpstate.c: the VP lifecycle state machine. Every operation is
 * tried in every state, on the VP's own CPU and on another, with the CPU
 * free and taken, against a table written from the rules in
 * include/raum/vp.h; then a randomized model drives several VPs over
 * several CPUs and checks the invariants (a VP loaded on one CPU at most, a
 * CPU holding one VP at most, refused steps change nothing).
 */
#include "unit.h"

#include <raum/vp.h>

#define C VP_STATE_CREATED
#define L VP_STATE_LOADED
#define R VP_STATE_RUNNING
#define D VP_STATE_DESTROYED

/* The expected outcome of op in state s, on the VP's CPU ('here') or not, the CPU taken ('busy') or not. */
static int expect(int s, enum vp_op op, bool here, bool busy, int *next)
{
	*next = s;
	if (s == D)
		return -RAUM_EINVAL;
	switch (op) {
	case VP_OP_LOAD:
		if (s != C || busy)
			return -RAUM_EBUSY;
		*next = L;
		return 0;
	case VP_OP_PUT:
		if (s == C)
			return -RAUM_EINVAL;
		if (s != L || !here)
			return -RAUM_EBUSY;
		*next = C;
		return 0;
	case VP_OP_RUN:
		if (s == C)
			return -RAUM_EINVAL;
		if (s != L || !here)
			return -RAUM_EBUSY;
		*next = R;
		return 0;
	case VP_OP_RUN_DONE:
		if (s != R || !here)
			return -RAUM_EINVAL;
		*next = L;
		return 0;
	case VP_OP_REGS:
		if (s == C)
			return -RAUM_EINVAL;
		if (s != L || !here)
			return -RAUM_EBUSY;
		return 0;
	case VP_OP_DESTROY:
		if (s != C)
			return -RAUM_EBUSY;
		*next = D;
		return 0;
	default:
		return -RAUM_EINVAL;
	}
}

static void test_every_op_in_every_state(void **state)
{
	(void)state;
	int checked = 0;

	for (int s = C; s <= D; s++)
		for (int op = 0; op < VP_OPS; op++)
			for (int here = 0; here < 2; here++)
				for (int busy = 0; busy < 2; busy++) {
					struct vp_life l = { .state = (u8)s, .cpu = 3 };
					int next;
					int want = expect(s, (enum vp_op)op, here, busy, &next);
					int got = vp_life_step(&l, (enum vp_op)op, here ? 3 : 5, busy);
					if (got != want || l.state != next)
						fail_msg("state %s op %d here %d busy %d: got %d -> %s, want %d -> %s",
							 vp_state_name((u8)s), op, here, busy, got,
							 vp_state_name(l.state), want, vp_state_name((u8)next));
					if (got == 0 && op == VP_OP_LOAD)
						assert_int_equal(l.cpu, here ? 3 : 5);
					if (got != 0)
						assert_int_equal(l.cpu, 3); /* refused: unchanged */
					checked++;
				}
	assert_int_equal(checked, 4 * VP_OPS * 4);
	/* an operation outside the enum is refused in every state */
	struct vp_life l = { .state = C };
	assert_rc(vp_life_step(&l, VP_OPS, 0, false), -RAUM_EINVAL);
	assert_rc(vp_life_step(&l, (enum vp_op)-1, 0, false), -RAUM_EINVAL);
	assert_int_equal(l.state, C);
}

static void test_the_launch_order(void **state)
{
	(void)state;
	struct vp_life l = { .state = C };

	/* create, load, set registers, run, (exit) run_done, put, destroy */
	assert_rc(vp_life_step(&l, VP_OP_REGS, 0, false), -RAUM_EINVAL); /* registers only while loaded */
	assert_rc(vp_life_step(&l, VP_OP_RUN, 0, false), -RAUM_EINVAL);
	assert_rc(vp_life_step(&l, VP_OP_LOAD, 2, false), 0);
	assert_rc(vp_life_step(&l, VP_OP_LOAD, 2, true), -RAUM_EBUSY); /* twice */
	assert_rc(vp_life_step(&l, VP_OP_REGS, 2, true), 0);
	assert_rc(vp_life_step(&l, VP_OP_REGS, 1, true), -RAUM_EBUSY); /* from another CPU */
	assert_rc(vp_life_step(&l, VP_OP_DESTROY, 2, true), -RAUM_EBUSY); /* destroy while loaded */
	assert_rc(vp_life_step(&l, VP_OP_RUN, 1, false), -RAUM_EBUSY); /* run where it is not loaded */
	assert_rc(vp_life_step(&l, VP_OP_RUN, 2, true), 0);
	assert_rc(vp_life_step(&l, VP_OP_RUN, 2, true), -RAUM_EBUSY); /* run inside run */
	assert_rc(vp_life_step(&l, VP_OP_PUT, 2, true), -RAUM_EBUSY); /* put while running */
	assert_rc(vp_life_step(&l, VP_OP_REGS, 2, true), -RAUM_EBUSY);
	assert_rc(vp_life_step(&l, VP_OP_RUN_DONE, 2, true), 0);
	assert_rc(vp_life_step(&l, VP_OP_RUN_DONE, 2, true), -RAUM_EINVAL);
	assert_rc(vp_life_step(&l, VP_OP_PUT, 1, true), -RAUM_EBUSY); /* put from another CPU */
	assert_rc(vp_life_step(&l, VP_OP_PUT, 2, true), 0);
	assert_rc(vp_life_step(&l, VP_OP_PUT, 2, false), -RAUM_EINVAL);
	/* loaded again elsewhere: migration between dispatches */
	assert_rc(vp_life_step(&l, VP_OP_LOAD, 7, false), 0);
	assert_int_equal(l.cpu, 7);
	assert_rc(vp_life_step(&l, VP_OP_PUT, 7, true), 0);
	assert_rc(vp_life_step(&l, VP_OP_DESTROY, 7, false), 0);
	for (int op = 0; op < VP_OPS; op++)
		assert_rc(vp_life_step(&l, (enum vp_op)op, 7, false), -RAUM_EINVAL); /* nothing after destroy */
}

#define NVP 6
#define NCPU 3

/* Many VPs, few CPUs, random operations: the invariants of kernel/vp.c's use of the machine hold. */
static void test_random_model(void **state)
{
	(void)state;
	struct vp_life vp[NVP];
	int on_cpu[NCPU]; /* the VP loaded there, or -1: what struct cpu's loaded_vp is to kernel/vp.c */
	u64 seed = 0x9e3779b97f4a7c15ULL;
	int done[VP_OPS] = { 0 };

	for (int i = 0; i < NVP; i++)
		vp[i] = (struct vp_life){ .state = C };
	for (int c = 0; c < NCPU; c++)
		on_cpu[c] = -1;
	for (int step = 0; step < 200000; step++) {
		int i = (int)(unit_rand(&seed) % NVP);
		int c = (int)(unit_rand(&seed) % NCPU);
		enum vp_op op = (enum vp_op)(unit_rand(&seed) % VP_OPS);
		if (op == VP_OP_DESTROY && unit_rand(&seed) % 8)
			continue; /* rarer, or the VPs are gone at once */
		struct vp_life before = vp[i];
		int rc = vp_life_step(&vp[i], op, (u32)c, on_cpu[c] >= 0);
		if (rc) {
			assert_memory_equal(&before, &vp[i], sizeof(before));
			continue;
		}
		done[op]++;
		if (op == VP_OP_LOAD) {
			assert_int_equal(on_cpu[c], -1);
			on_cpu[c] = i;
		} else if (op == VP_OP_PUT) {
			assert_int_equal(on_cpu[c], i);
			on_cpu[c] = -1;
		}
		/* invariants */
		for (int k = 0; k < NVP; k++) {
			bool loaded = vp[k].state == L || vp[k].state == R;
			int holders = 0;
			for (int d = 0; d < NCPU; d++)
				holders += on_cpu[d] == k;
			assert_int_equal(holders, loaded ? 1 : 0);
			if (loaded)
				assert_int_equal(on_cpu[vp[k].cpu], k);
		}
	}
	for (int op = 0; op < VP_OPS; op++)
		assert_true(done[op] > 0); /* every operation happened */
}

/* vp_regs_diff names the first field that differs, whichever it is; equal states give NULL. */
static void test_regs_diff(void **state)
{
	(void)state;
	struct vp_regs a, b;
	u8 *pa = (u8 *)&a;
	u64 seed = 3;

	for (size_t i = 0; i < sizeof(a); i++)
		pa[i] = (u8)unit_rand(&seed);
	/* padding is not a field: compare through a copy made field by field (struct assignment) */
	b = a;
	assert_null(vp_regs_diff(&a, &b));
	b.gpr[GPR_R13] ^= 1;
	assert_string_equal(vp_regs_diff(&a, &b), "r13");
	b = a;
	b.seg[VP_TR].attr ^= 0x2; /* busy / available TSS */
	assert_string_equal(vp_regs_diff(&a, &b), "tr");
	b = a;
	b.seg[VP_CS].base++;
	assert_string_equal(vp_regs_diff(&a, &b), "cs");
	b = a;
	b.cr0 ^= 1ULL << 5;
	assert_string_equal(vp_regs_diff(&a, &b), "cr0");
	b = a;
	b.efer ^= 1ULL << 12; /* SVME leaking into the guest's view */
	assert_string_equal(vp_regs_diff(&a, &b), "efer");
	b = a;
	b.kernel_gs_base++;
	assert_string_equal(vp_regs_diff(&a, &b), "kernel_gs_base");
	b = a;
	b.idtr_limit ^= 0x100;
	assert_string_equal(vp_regs_diff(&a, &b), "idtr_limit");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_op_in_every_state),
		cmocka_unit_test(test_the_launch_order),
		cmocka_unit_test(test_random_model),
		cmocka_unit_test(test_regs_diff),
	};
	return cmocka_run_group_tests_name("vpstate", tests, NULL, NULL) ? 1 : 0;
}
