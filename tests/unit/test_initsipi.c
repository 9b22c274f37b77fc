// SPDX-License-Identifier: MIT
/*
 * kernel/initsipi.c: the INIT / SIPI state machine and the state after
 * INIT and SIPI. Every event in every state, for an AP and for the BSP,
 * against a table; posting and taking (INIT supersedes a pending SIPI, the
 * first of two SIPIs decides, INIT and SIPI taken together start the VP);
 * a seeded random sequence of posts and takes over several VPs against a
 * model that applies each event at once (RAUM_TEST_SEED changes the seed):
 * the same states and vectors, and no VP ever runs again after an INIT
 * without a SIPI sent after that INIT; the registers after INIT and after
 * SIPI, field by field, against SDM vol. 3A table 9-1.
 */
#include "unit.h"

#include <raum/initsipi.h>
#include <raum/vp.h>
#include <raum/x86-regs.h>

#define RUN INITSIPI_RUNNING
#define WAIT INITSIPI_WAIT_FOR_SIPI

struct row {
	u8 state;
	bool bsp;
	enum initsipi_event ev;
	u8 action, next;
};

/* The rules of include/raum/initsipi.h, one row per (state, BSP, event) */
static const struct row rows[] = {
	{ RUN, false, INITSIPI_EV_INIT, INITSIPI_PARK, WAIT },
	{ RUN, false, INITSIPI_EV_SIPI, INITSIPI_NONE, RUN },          /* a second SIPI: dropped */
	{ RUN, false, INITSIPI_EV_INIT_DEASSERT, INITSIPI_NONE, RUN },
	{ WAIT, false, INITSIPI_EV_INIT, INITSIPI_NONE, WAIT },
	{ WAIT, false, INITSIPI_EV_SIPI, INITSIPI_START, RUN },
	{ WAIT, false, INITSIPI_EV_INIT_DEASSERT, INITSIPI_NONE, WAIT },
	{ RUN, true, INITSIPI_EV_INIT, INITSIPI_BSP_INIT, RUN },       /* the caller's policy */
	{ RUN, true, INITSIPI_EV_SIPI, INITSIPI_NONE, RUN },
	{ RUN, true, INITSIPI_EV_INIT_DEASSERT, INITSIPI_NONE, RUN },
	{ WAIT, true, INITSIPI_EV_INIT, INITSIPI_NONE, WAIT },
	{ WAIT, true, INITSIPI_EV_SIPI, INITSIPI_START, RUN },
	{ WAIT, true, INITSIPI_EV_INIT_DEASSERT, INITSIPI_NONE, WAIT },
};

static void test_step_table(void **state)
{
	(void)state;
	assert_int_equal(ARRAY_SIZE(rows), INITSIPI_STATES * 2 * INITSIPI_EVENTS);
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		struct initsipi s;
		initsipi_init(&s, rows[i].bsp);
		assert_int_equal(s.state, RUN);
		s.state = rows[i].state;
		s.vector = 0x11;
		assert_int_equal(initsipi_step(&s, rows[i].ev, 0x9a), rows[i].action);
		assert_int_equal(s.state, rows[i].next);
		assert_int_equal(s.vector, rows[i].action == INITSIPI_START ? 0x9a : 0x11);
		assert_int_equal(s.pending, 0);
	}
	/* an event out of range does nothing */
	struct initsipi s;
	initsipi_init(&s, false);
	s.state = WAIT;
	assert_int_equal(initsipi_step(&s, INITSIPI_EVENTS, 1), INITSIPI_NONE);
	assert_int_equal(s.state, WAIT);
	assert_string_equal(initsipi_state_name(RUN), "running");
	assert_string_equal(initsipi_state_name(WAIT), "wait-for-SIPI");
	assert_string_equal(initsipi_state_name(9), "?");
}

/* Linux's sequence on an AP: INIT assert, INIT de-assert, SIPI, SIPI, each taken at once */
static void test_linux_sequence(void **state)
{
	(void)state;
	struct initsipi s;
	u8 v = 0;
	initsipi_init(&s, false);
	for (int round = 0; round < 3; round++) { /* online, offline, online again: the same each time */
		assert_true(initsipi_post(&s, INITSIPI_EV_INIT, 0));
		assert_int_equal(initsipi_accept(&s, &v), INITSIPI_PARK);
		assert_false(initsipi_post(&s, INITSIPI_EV_INIT_DEASSERT, 0));
		assert_int_equal(initsipi_accept(&s, &v), INITSIPI_NONE);
		assert_int_equal(s.state, WAIT);
		assert_int_equal(initsipi_accept(&s, &v), INITSIPI_NONE); /* nothing posted: still waiting */
		assert_true(initsipi_post(&s, INITSIPI_EV_SIPI, (u8)(0x9a + round)));
		assert_int_equal(initsipi_accept(&s, &v), INITSIPI_START);
		assert_int_equal(v, 0x9a + round);
		assert_true(initsipi_post(&s, INITSIPI_EV_SIPI, 0x55));
		assert_int_equal(initsipi_accept(&s, &v), INITSIPI_NONE);
		assert_int_equal(s.state, RUN);
		assert_int_equal(v, 0x9a + round); /* the second SIPI did not move it */
	}
}

/* All four posted before the AP's CPU looks: it starts once, at the first SIPI's vector */
static void test_posted_together(void **state)
{
	(void)state;
	struct initsipi s;
	u8 v = 0;
	initsipi_init(&s, false);
	assert_true(initsipi_post(&s, INITSIPI_EV_INIT, 0));
	assert_false(initsipi_post(&s, INITSIPI_EV_INIT_DEASSERT, 0));
	assert_true(initsipi_post(&s, INITSIPI_EV_SIPI, 0x9a));
	assert_false(initsipi_post(&s, INITSIPI_EV_SIPI, 0x9b));
	assert_int_equal(s.pending, INITSIPI_PEND_INIT | INITSIPI_PEND_SIPI | 0x9a);
	assert_int_equal(initsipi_accept(&s, &v), INITSIPI_START);
	assert_int_equal(v, 0x9a);
	assert_int_equal(s.state, RUN);
	assert_int_equal(s.pending, 0);

	/* a SIPI before the INIT (to a running VP) is dropped by the INIT: it waits */
	assert_true(initsipi_post(&s, INITSIPI_EV_SIPI, 0x10));
	assert_true(initsipi_post(&s, INITSIPI_EV_INIT, 0));
	assert_int_equal(s.pending, INITSIPI_PEND_INIT);
	assert_int_equal(initsipi_accept(&s, &v), INITSIPI_PARK);
	assert_int_equal(s.state, WAIT);

	/* SIPI, INIT, SIPI to a waiting VP: started, reset, started again at the second vector */
	assert_true(initsipi_post(&s, INITSIPI_EV_SIPI, 0x20));
	assert_true(initsipi_post(&s, INITSIPI_EV_INIT, 0));
	assert_true(initsipi_post(&s, INITSIPI_EV_SIPI, 0x30));
	assert_int_equal(initsipi_accept(&s, &v), INITSIPI_START);
	assert_int_equal(v, 0x30);

	/* a stale SIPI to a running VP, taken: nothing */
	assert_true(initsipi_post(&s, INITSIPI_EV_SIPI, 0x40));
	assert_int_equal(initsipi_accept(&s, &v), INITSIPI_NONE);
	assert_int_equal(v, 0x30);
	assert_int_equal(s.state, RUN);

	/* vector 0 is a vector like any other */
	assert_true(initsipi_post(&s, INITSIPI_EV_INIT, 0));
	assert_true(initsipi_post(&s, INITSIPI_EV_SIPI, 0));
	assert_int_equal(initsipi_accept(&s, &v), INITSIPI_START);
	assert_int_equal(v, 0);

	/* the BSP: INIT is the caller's, a SIPI after it finds it running */
	struct initsipi b;
	initsipi_init(&b, true);
	assert_true(initsipi_post(&b, INITSIPI_EV_INIT, 0));
	assert_true(initsipi_post(&b, INITSIPI_EV_SIPI, 0x9a));
	assert_int_equal(initsipi_accept(&b, &v), INITSIPI_BSP_INIT);
	assert_int_equal(b.state, RUN);
}

/* The model: each event applied the moment it is sent. */
struct model {
	u8 state, vector;
	bool bsp;
	bool sipi_since_init; /* a SIPI was sent after the last INIT that parked it */
	bool owed;            /* the model started the VP since the last take, and no INIT cut that run short */
};

static void model_event(struct model *m, enum initsipi_event ev, u8 vec)
{
	if (ev == INITSIPI_EV_INIT && !m->bsp) {
		m->state = WAIT;
		m->sipi_since_init = false;
		m->owed = false;
	} else if (ev == INITSIPI_EV_SIPI) {
		if (m->state == WAIT) {
			m->state = RUN;
			m->vector = vec;
			m->owed = true;
		}
		m->sipi_since_init = true;
	}
}

static void test_random_sequence(void **state)
{
	(void)state;
	enum { NVP = 5, STEPS = 200000 };
	const char *env = getenv("RAUM_TEST_SEED");
	u64 seed = env ? strtoull(env, NULL, 0) | 1 : 0x1e17c0ffeeULL;
	struct initsipi s[NVP];
	struct model m[NVP];
	u8 seen[NVP]; /* the vector the VP's CPU last started it at */
	unsigned starts = 0, parks = 0;

	for (int i = 0; i < NVP; i++) {
		initsipi_init(&s[i], i == 0);
		m[i] = (struct model){ .state = RUN, .bsp = i == 0 };
		seen[i] = 0;
	}
	for (int n = 0; n < STEPS; n++) {
		u64 r = unit_rand(&seed);
		int i = (int)(r % NVP);
		r >>= 8;
		if (r % 3 == 0) {
			/* the VP's CPU takes what is pending */
			u8 before = s[i].state, v = 0xee;
			enum initsipi_action a = initsipi_accept(&s[i], &v);
			assert_int_equal(s[i].state, m[i].state);
			/* the VP's CPU starts the VP exactly when the model started it since the last take */
			assert_int_equal(a == INITSIPI_START, m[i].owed);
			m[i].owed = false;
			if (a == INITSIPI_START) {
				starts++;
				assert_int_equal(v, m[i].vector);
				seen[i] = v;
			}
			if (a == INITSIPI_PARK)
				parks++;
			/* running again after a wait needs a SIPI sent since the INIT */
			if (before == WAIT && s[i].state == RUN) {
				assert_int_equal(a, INITSIPI_START);
				assert_true(m[i].sipi_since_init);
			}
			if (a != INITSIPI_START && s[i].state == RUN && before == RUN && m[i].state == RUN)
				assert_int_equal(seen[i], s[i].vector);
			assert_int_equal(s[i].pending, 0);
			continue;
		}
		r >>= 2;
		enum initsipi_event ev = (enum initsipi_event)(r % INITSIPI_EVENTS);
		u8 vec = (u8)(r >> 4);
		initsipi_post(&s[i], ev, vec);
		model_event(&m[i], ev, vec);
		/* between takes the VP never runs on its own: a waiting VP stays waiting */
		assert_true(s[i].state == RUN || s[i].state == WAIT);
	}
	assert_int_equal(s[0].state, RUN); /* the BSP never waits */
	assert_true(starts > 1000 && parks > 1000);
}

/* Fills every byte, so that a field the reset forgets shows */
static void garbage(struct vp_regs *r, u8 byte)
{
	memset(r, byte, sizeof(*r));
}

static void check_common(const struct vp_regs *r, u32 sig, u64 cr0_before, u8 byte)
{
	u64 kept;
	memset(&kept, byte, sizeof(kept));
	for (int g = 0; g < GPR_COUNT; g++)
		assert_int_equal(r->gpr[g], g == GPR_RDX ? sig : 0); /* EAX 0: BIST passed / not run */
	assert_int_equal(r->rflags, 0x2);
	const int data[] = { VP_ES, VP_SS, VP_DS, VP_FS, VP_GS };
	for (size_t i = 0; i < ARRAY_SIZE(data); i++) {
		const struct vp_seg *sg = &r->seg[data[i]];
		assert_int_equal(sg->sel, 0);
		assert_int_equal(sg->base, 0);
		assert_int_equal(sg->limit, 0xffff);
		assert_int_equal(sg->attr, 0x93); /* present, R/W, accessed, DPL 0, byte-granular, 16-bit */
	}
	assert_int_equal(r->seg[VP_CS].limit, 0xffff);
	assert_int_equal(r->seg[VP_CS].attr, 0x9b);
	assert_int_equal(r->seg[VP_LDTR].sel, 0);
	assert_int_equal(r->seg[VP_LDTR].base, 0);
	assert_int_equal(r->seg[VP_LDTR].limit, 0xffff);
	assert_int_equal(r->seg[VP_LDTR].attr, 0x82);
	assert_int_equal(r->seg[VP_TR].sel, 0);
	assert_int_equal(r->seg[VP_TR].base, 0);
	assert_int_equal(r->seg[VP_TR].limit, 0xffff);
	assert_int_equal(r->seg[VP_TR].attr, 0x8b);
	for (int i = 0; i < VP_NSEG; i++)
		assert_true(r->seg[i].attr & VP_SEG_ATTR_P);
	assert_int_equal(r->gdtr_base, 0);
	assert_int_equal(r->gdtr_limit, 0xffff);
	assert_int_equal(r->idtr_base, 0);
	assert_int_equal(r->idtr_limit, 0xffff);
	/* CR0: 60000010H at power-up, CD and NW as they were on INIT */
	assert_int_equal(r->cr0, 0x10 | (cr0_before & 0x60000000));
	assert_int_equal(r->cr2, 0);
	assert_int_equal(r->cr3, 0);
	assert_int_equal(r->cr4, 0);
	assert_int_equal(r->efer, 0);
	assert_int_equal(r->dr6, 0xffff0ff0);
	assert_int_equal(r->dr7, 0x400);
	/* the MSRs INIT does not touch */
	assert_int_equal(r->pat, kept);
	assert_int_equal(r->sysenter_cs, kept);
	assert_int_equal(r->sysenter_esp, kept);
	assert_int_equal(r->sysenter_eip, kept);
	assert_int_equal(r->star, kept);
	assert_int_equal(r->lstar, kept);
	assert_int_equal(r->cstar, kept);
	assert_int_equal(r->sfmask, kept);
	assert_int_equal(r->kernel_gs_base, kept);
}

static const u64 cr0s[] = { 0, 0x80050033, 0x60000010, 0x40000011, 0x20000031, 0xe0000011 };

static void test_reset_regs_table_9_1(void **state)
{
	(void)state;
	for (unsigned vec = 0; vec < 256; vec++)
		for (size_t c = 0; c < ARRAY_SIZE(cr0s); c++) {
			struct vp_regs r;
			u8 byte = (u8)(0xa5 ^ vec);
			u32 sig = 0x000806f8 + vec; /* CPUID.1:EAX: family / model / stepping */
			garbage(&r, byte);
			r.cr0 = cr0s[c];
			initsipi_reset_regs(&r, (u8)vec, sig);
			check_common(&r, sig, cr0s[c], byte);
			assert_int_equal(r.seg[VP_CS].sel, vec * 256);   /* vector << 8 */
			assert_int_equal(r.seg[VP_CS].base, vec * 4096); /* vector << 12: 000VV000H */
			assert_int_equal(r.rip, 0);
		}
}

static void test_init_regs_table_9_1(void **state)
{
	(void)state;
	for (size_t c = 0; c < ARRAY_SIZE(cr0s); c++) {
		struct vp_regs r;
		garbage(&r, 0x3c);
		r.cr0 = cr0s[c];
		initsipi_init_regs(&r, 0x00a00f11);
		check_common(&r, 0x00a00f11, cr0s[c], 0x3c);
		assert_int_equal(r.seg[VP_CS].sel, 0xf000);
		assert_int_equal(r.seg[VP_CS].base, 0xffff0000);
		assert_int_equal(r.rip, 0xfff0); /* the first instruction at FFFFFFF0H */
	}
	/* a VP never run (all zero) gets the power-up CR0 only if the caller asks for caches off */
	struct vp_regs z = { 0 };
	initsipi_reset_regs(&z, 0x9a, 0);
	assert_int_equal(z.cr0, 0x10);
	z.cr0 = CR0_CD | CR0_NW | CR0_PG | CR0_PE;
	initsipi_reset_regs(&z, 0x9a, 0);
	assert_int_equal(z.cr0, 0x60000010);
	assert_int_equal(z.seg[VP_CS].base, 0x9a000);
	assert_int_equal(z.seg[VP_CS].sel, 0x9a00);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_step_table),
		cmocka_unit_test(test_linux_sequence),
		cmocka_unit_test(test_posted_together),
		cmocka_unit_test(test_random_sequence),
		cmocka_unit_test(test_reset_regs_table_9_1),
		cmocka_unit_test(test_init_regs_table_9_1),
	};
	return cmocka_run_group_tests_name("initsipi", tests, NULL, NULL) ? 1 : 0;
}
