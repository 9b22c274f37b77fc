// SPDX-License-Identifier: MIT
/*
 * kernel/icr.c: the Local APIC ICR decoder and router. Every delivery mode
 * x every shorthand x physical / logical x trigger / level, in the xAPIC
 * form (ICR low + ICR high) and the x2APIC form (one 64-bit WRMSR), is
 * decoded and checked field by field against the bit layout spelled out
 * here; every x2APIC reserved bit alone is refused (#GP), bit 12 on AMD
 * only; the values Linux 6.1 and OVMF write are decoded; the action of
 * every combination is checked against SDM vol. 3A table 11-3 written out
 * below; the target set over a VP table: physical, broadcast, flat and
 * cluster logical, x2APIC clusters, the shorthands with and without the
 * sender, absent VPs and APIC IDs no VP has.
 */
#include "unit.h"

#include <raum/icr.h>

/* The ICR low bits, spelled out (SDM vol. 3A 11.6.1) */
static u32 lo_of(u8 vector, u32 dm, bool logical, bool level, bool trig, u32 sh)
{
	return vector | (dm << 8) | ((u32)logical << 11) | ((u32)level << 14) | ((u32)trig << 15) | (sh << 18);
}

static u8 expect_mode(u32 dm, bool level, bool trig)
{
	return (dm == 5 && trig && !level) ? ICR_INIT_DEASSERT : (u8)dm;
}

static void check_fields(const struct icr *c, u8 vector, u32 dm, bool logical, bool level, bool trig, u32 sh,
			 u32 dest, bool x2apic)
{
	assert_int_equal(c->vector, vector);
	assert_int_equal(c->mode, expect_mode(dm, level, trig));
	assert_int_equal(c->logical, logical);
	assert_int_equal(c->level, level);
	assert_int_equal(c->trigger_level, trig);
	assert_int_equal(c->shorthand, sh);
	assert_int_equal(c->dest, dest);
	assert_int_equal(c->x2apic, x2apic);
}

static const u8 vectors[] = { 0x00, 0x01, 0x0f, 0x10, 0x20, 0x9f, 0xa0, 0xef, 0xff };

static void test_decode_xapic_matrix(void **state)
{
	(void)state;
	for (u32 dm = 0; dm < 8; dm++)
		for (u32 sh = 0; sh < 4; sh++)
			for (int lg = 0; lg < 2; lg++)
				for (int lv = 0; lv < 2; lv++)
					for (int tr = 0; tr < 2; tr++)
						for (size_t v = 0; v < ARRAY_SIZE(vectors); v++) {
							u32 lo = lo_of(vectors[v], dm, lg, lv, tr, sh);
							u32 dest = (u32)(v * 29 + dm) & 0xff;
							u32 hi = (dest << 24) | 0x00abcdef; /* reserved bits of ICR high: ignored */
							struct icr c;
							icr_decode_xapic(lo, hi, &c);
							check_fields(&c, vectors[v], dm, lg, lv, tr, sh, dest, false);
							assert_int_equal(c.raw, ((u64)hi << 32) | lo);
						}
}

static void test_decode_xapic_ignores_reserved(void **state)
{
	(void)state;
	struct icr a, b;
	/* delivery status (12, read-only), 13, 17:16, 31:20: the xAPIC ignores them; an MMIO write cannot fault */
	icr_decode_xapic(0x000c4500, 0x05000000, &a);
	icr_decode_xapic(0x000c4500 | 0xfff00000 | 0x30000 | 0x3000, 0x05000000, &b);
	assert_int_equal(a.mode, b.mode);
	assert_int_equal(a.shorthand, b.shorthand);
	assert_int_equal(a.dest, b.dest);
	assert_int_equal(a.vector, b.vector);
	assert_int_equal(b.mode, ICR_INIT);
	assert_int_equal(b.shorthand, ICR_SH_OTHERS);
}

static void test_decode_x2apic_matrix(void **state)
{
	(void)state;
	const u32 dests[] = { 0, 1, 0xfe, 0xff, 0x100, 0x12345, 0x0003000c, 0xfffffffe, 0xffffffff };
	for (u32 dm = 0; dm < 8; dm++)
		for (u32 sh = 0; sh < 4; sh++)
			for (int lg = 0; lg < 2; lg++)
				for (int lv = 0; lv < 2; lv++)
					for (int tr = 0; tr < 2; tr++)
						for (size_t v = 0; v < ARRAY_SIZE(vectors); v++)
							for (size_t d = 0; d < ARRAY_SIZE(dests); d++)
								for (int amd = 0; amd < 2; amd++) {
									u64 val = lo_of(vectors[v], dm, lg, lv, tr, sh) |
										  ((u64)dests[d] << 32);
									struct icr c;
									assert_rc(icr_decode_x2apic(val, amd, &c), 0);
									check_fields(&c, vectors[v], dm, lg, lv, tr, sh,
										     dests[d], true);
									assert_int_equal(c.raw, val);
								}
}

static void test_decode_x2apic_reserved(void **state)
{
	(void)state;
	const u64 good = 0x000000050000c500ULL;
	for (int b = 0; b < 32; b++) {
		bool reserved = b == 13 || b == 16 || b == 17 || b >= 20;
		struct icr c = { .vector = 0x5a };
		int rc = icr_decode_x2apic(good | BIT(b), false, &c);
		if (reserved) {
			assert_rc(rc, -RAUM_EINVAL);
			assert_int_equal(c.vector, 0x5a); /* refused: nothing written */
			assert_rc(icr_decode_x2apic(good | BIT(b), true, &c), -RAUM_EINVAL);
		} else {
			assert_rc(rc, 0);
		}
	}
	/* bit 12 (delivery status in xAPIC): #GP on AMD, ignored (and not written on) by Intel */
	struct icr c;
	assert_rc(icr_decode_x2apic(good | BIT(12), true, &c), -RAUM_EINVAL);
	assert_rc(icr_decode_x2apic(good | BIT(12), false, &c), 0);
	assert_int_equal(c.raw, good);
	assert_int_equal(c.mode, ICR_INIT);
	/* the destination half has no reserved bits */
	assert_rc(icr_decode_x2apic(0xffffffff00000000ULL, true, &c), 0);
	assert_int_equal(c.dest, 0xffffffffU);
}

/* What Linux 6.1 and OVMF 2022.11 write (docs/design/smp-research.md 3.3) */
static void test_decode_real_values(void **state)
{
	(void)state;
	struct icr c;
	icr_decode_xapic(0x0000c500, 3U << 24, &c); /* Linux INIT assert */
	assert_int_equal(c.mode, ICR_INIT);
	assert_int_equal(c.dest, 3);
	assert_true(c.level && c.trigger_level && !c.logical);
	icr_decode_xapic(0x00008500, 3U << 24, &c); /* Linux INIT de-assert */
	assert_int_equal(c.mode, ICR_INIT_DEASSERT);
	icr_decode_xapic(0x0000069a, 3U << 24, &c); /* Linux SIPI, trampoline at 0x9a000 */
	assert_int_equal(c.mode, ICR_STARTUP);
	assert_int_equal(c.vector, 0x9a);
	assert_false(c.level || c.trigger_level);
	icr_decode_xapic(0x00004500, 1U << 24, &c); /* OVMF targeted INIT */
	assert_int_equal(c.mode, ICR_INIT);
	assert_int_equal(c.shorthand, ICR_SH_NONE);
	icr_decode_xapic(0x000c4500, 0, &c); /* OVMF broadcast INIT */
	assert_int_equal(c.mode, ICR_INIT);
	assert_int_equal(c.shorthand, ICR_SH_OTHERS);
	icr_decode_xapic(0x000c469f, 0, &c); /* OVMF broadcast SIPI */
	assert_int_equal(c.mode, ICR_STARTUP);
	assert_int_equal(c.vector, 0x9f);
	assert_int_equal(c.shorthand, ICR_SH_OTHERS);
	assert_rc(icr_decode_x2apic(0x000000070000c500ULL, false, &c), 0); /* Linux INIT under x2APIC */
	assert_int_equal(c.mode, ICR_INIT);
	assert_int_equal(c.dest, 7);
	assert_rc(icr_decode_x2apic(0x0000000700000400ULL | 0x02, true, &c), 0); /* an NMI IPI */
	assert_int_equal(c.mode, ICR_NMI);
	assert_string_equal(icr_mode_name(ICR_INIT_DEASSERT), "INIT level de-assert");
	assert_string_equal(icr_mode_name(ICR_STARTUP), "start-up");
	assert_string_equal(icr_mode_name(200), "?");
}

/*
 * The action table, from SDM vol. 3A table 11-3 and the rules of
 * include/raum/icr.h: modes 3 and 7 reserved -> invalid; fixed, lowest
 * priority, SMI, NMI -> the hardware's, whatever the shorthand; INIT and
 * start-up: self / all-including-self invalid, level-triggered with level
 * 0 ignored (the INIT one is the de-assert), otherwise emulated.
 */
static u8 expect_action(u32 dm, bool level, bool trig, u32 sh)
{
	switch (dm) {
	case 0: case 1: case 2: case 4:
		return ICR_PASS;
	case 3: case 7:
		return ICR_INVALID;
	case 5:
		if (trig && !level)
			return ICR_IGNORE;
		/* fallthrough */
	default:
		if (sh == 1 || sh == 2)
			return ICR_INVALID;
		if (trig && !level)
			return ICR_IGNORE;
		return ICR_EMULATE;
	}
}

static const struct icr_vp four[] = {
	{ .present = true, .apic_id = 0, .ldr = 0x01000000, .dfr = 0xffffffff },
	{ .present = true, .apic_id = 1, .ldr = 0x02000000, .dfr = 0xffffffff },
	{ .present = true, .apic_id = 2, .ldr = 0x04000000, .dfr = 0xffffffff },
	{ .present = true, .apic_id = 3, .ldr = 0x08000000, .dfr = 0xffffffff },
};

static void test_route_actions(void **state)
{
	(void)state;
	for (int x2 = 0; x2 < 2; x2++)
		for (u32 dm = 0; dm < 8; dm++)
			for (u32 sh = 0; sh < 4; sh++)
				for (int lg = 0; lg < 2; lg++)
					for (int lv = 0; lv < 2; lv++)
						for (int tr = 0; tr < 2; tr++) {
							u32 lo = lo_of(0x9a, dm, lg, lv, tr, sh);
							struct icr c;
							struct icr_route r;
							if (x2)
								assert_rc(icr_decode_x2apic(lo | (2ULL << 32), false, &c), 0);
							else
								icr_decode_xapic(lo, 2U << 24, &c);
							icr_route(&c, 1, four, 4, &r);
							u8 want = expect_action(dm, lv, tr, sh);
							assert_int_equal(r.action, want);
							if (want == ICR_IGNORE || want == ICR_INVALID) {
								assert_int_equal(r.targets, 0);
								assert_non_null(r.why);
								continue;
							}
							/* the addressed VPs: physical 2 is VP 2; logical 2 is the flat bit of VP 1 */
							u64 t = sh == 1 ? BIT(1) : sh == 2 ? 0xf : sh == 3 ? 0xd
								: !lg ? BIT(2) : BIT(1);
							assert_int_equal(r.targets, t);
						}
}

static u64 route(const struct icr *c, u32 sender, const struct icr_vp *v, u32 n)
{
	struct icr_route r;
	icr_route(c, sender, v, n, &r);
	return r.targets;
}

static u64 x(u32 lo, u32 dest, u32 sender, const struct icr_vp *v, u32 n)
{
	struct icr c;
	icr_decode_xapic(lo, dest << 24, &c);
	return route(&c, sender, v, n);
}

static u64 x2(u32 lo, u32 dest, u32 sender, const struct icr_vp *v, u32 n)
{
	struct icr c;
	assert_rc(icr_decode_x2apic(lo | ((u64)dest << 32), false, &c), 0);
	return route(&c, sender, v, n);
}

#define FIXED_PHYS 0x000000f0U
#define FIXED_LOG 0x000008f0U
#define INIT_PHYS 0x00004500U
#define INIT_LOG 0x00004d00U
#define SIPI_PHYS 0x0000069aU
#define INIT_OTHERS 0x000c4500U

static void test_targets_physical(void **state)
{
	(void)state;
	/* VP 3 absent (its ID 3 addresses nobody), IDs not equal to the VP index */
	const struct icr_vp v[] = {
		{ .present = true, .apic_id = 0 },
		{ .present = true, .apic_id = 2 },
		{ .present = true, .apic_id = 6 },
		{ .present = false, .apic_id = 3 },
		{ .present = true, .apic_id = 0xfe },
		{ .present = true, .apic_id = 0x100 }, /* reachable through x2APIC only */
	};
	assert_int_equal(x(INIT_PHYS, 6, 0, v, 6), BIT(2));
	assert_int_equal(x(SIPI_PHYS, 2, 0, v, 6), BIT(1));
	assert_int_equal(x(INIT_PHYS, 0, 0, v, 6), BIT(0)); /* to itself by ID: valid (no shorthand) */
	assert_int_equal(x(INIT_PHYS, 3, 0, v, 6), 0);      /* absent */
	assert_int_equal(x(INIT_PHYS, 7, 0, v, 6), 0);      /* no VP has it */
	assert_int_equal(x(INIT_PHYS, 0xfe, 0, v, 6), BIT(4));
	/* 0xff broadcasts to every VP, the sender included */
	assert_int_equal(x(INIT_PHYS, 0xff, 2, v, 6), BIT(0) | BIT(1) | BIT(2) | BIT(4) | BIT(5));
	assert_int_equal(x(FIXED_PHYS, 0xff, 2, v, 6), BIT(0) | BIT(1) | BIT(2) | BIT(4) | BIT(5));
	/* x2APIC: 32-bit IDs, 0xff is an ID, 0xffffffff the broadcast */
	assert_int_equal(x2(INIT_PHYS, 0x100, 0, v, 6), BIT(5));
	assert_int_equal(x2(INIT_PHYS, 0xff, 0, v, 6), 0);
	assert_int_equal(x2(INIT_PHYS, 0xffffffff, 0, v, 6), BIT(0) | BIT(1) | BIT(2) | BIT(4) | BIT(5));
	assert_int_equal(x2(INIT_PHYS, 0x1000000, 0, v, 6), 0);
	/* shorthands ignore the destination; "all but self" leaves out the sender only */
	assert_int_equal(x(INIT_OTHERS, 6, 2, v, 6), BIT(0) | BIT(2) | BIT(4) | BIT(5));
	assert_int_equal(x(INIT_OTHERS, 0, 0xfe, v, 6), BIT(0) | BIT(1) | BIT(2) | BIT(5));
	assert_int_equal(x(INIT_OTHERS, 0, 0x77, v, 6), BIT(0) | BIT(1) | BIT(2) | BIT(4) | BIT(5)); /* unknown sender */
	assert_int_equal(x(FIXED_PHYS | (1U << 18), 6, 2, v, 6), BIT(1)); /* self */
	assert_int_equal(x(FIXED_PHYS | (2U << 18), 6, 2, v, 6), BIT(0) | BIT(1) | BIT(2) | BIT(4) | BIT(5));
	assert_int_equal(x2(FIXED_PHYS | (3U << 18), 6, 0x100, v, 6), BIT(0) | BIT(1) | BIT(2) | BIT(4));
	/* an empty or short table */
	assert_int_equal(x(INIT_OTHERS, 0, 0, v, 0), 0);
	assert_int_equal(x(INIT_PHYS, 6, 0, v, 2), 0);
}

static void test_targets_logical_flat(void **state)
{
	(void)state;
	struct icr_vp v[8];
	for (u32 i = 0; i < 8; i++)
		v[i] = (struct icr_vp){ .present = true, .apic_id = i, .ldr = (1U << i) << 24, .dfr = 0xffffffff };
	assert_int_equal(x(INIT_LOG, 0x05, 0, v, 8), BIT(0) | BIT(2));
	assert_int_equal(x(FIXED_LOG, 0x80, 0, v, 8), BIT(7));
	assert_int_equal(x(INIT_LOG, 0x00, 0, v, 8), 0);
	assert_int_equal(x(INIT_LOG, 0xff, 0, v, 8), 0xff);
	/* an LDR never written (0) is in no flat set, but the all-ones broadcast reaches it */
	v[3].ldr = 0;
	assert_int_equal(x(INIT_LOG, 0x7f, 0, v, 8), 0x77);
	assert_int_equal(x(INIT_LOG, 0xff, 0, v, 8), 0xff);
	/* two VPs with the same logical bit: both */
	v[5].ldr = 1U << 24;
	assert_int_equal(x(INIT_LOG, 0x01, 0, v, 8), BIT(0) | BIT(5));
	/* only bits 31:24 of the LDR count */
	v[6].ldr = 0x00ffffff;
	assert_int_equal(x(INIT_LOG, 0x7f, 0, v, 8) & BIT(6), 0);
	/* a DFR model neither flat nor cluster matches nothing */
	v[0].dfr = 0x5fffffff;
	assert_int_equal(x(INIT_LOG, 0x01, 0, v, 8), BIT(5));
}

static void test_targets_logical_cluster(void **state)
{
	(void)state;
	const struct icr_vp v[] = {
		{ .present = true, .apic_id = 0, .ldr = 0x11000000, .dfr = 0x0fffffff },
		{ .present = true, .apic_id = 1, .ldr = 0x12000000, .dfr = 0x0fffffff },
		{ .present = true, .apic_id = 2, .ldr = 0x21000000, .dfr = 0x0fffffff },
		{ .present = true, .apic_id = 3, .ldr = 0x28000000, .dfr = 0x0fffffff },
		{ .present = false, .apic_id = 4, .ldr = 0x14000000, .dfr = 0x0fffffff },
		/* a flat-model VP beside them reads the MDA as a flat bitmap: 0x13 has its bit 0 */
		{ .present = true, .apic_id = 5, .ldr = 0x01000000, .dfr = 0xffffffff },
	};
	assert_int_equal(x(INIT_LOG, 0x13, 0, v, 6), BIT(0) | BIT(1) | BIT(5));
	assert_int_equal(x(INIT_LOG, 0x1c, 0, v, 6), 0); /* VP 4 absent, VP 5 flat: bits 2, 3 and 4 nobody's */
	assert_int_equal(x(INIT_LOG, 0x29, 0, v, 6), BIT(2) | BIT(3) | BIT(5));
	assert_int_equal(x(INIT_LOG, 0x22, 0, v, 6), 0); /* cluster 2 has no member 1 */
	assert_int_equal(x(INIT_LOG, 0x31, 0, v, 6), BIT(5)); /* no cluster 3 */
	assert_int_equal(x(INIT_LOG, 0xff, 0, v, 6), BIT(0) | BIT(1) | BIT(2) | BIT(3) | BIT(5));
}

static void test_targets_x2apic_logical(void **state)
{
	(void)state;
	const struct icr_vp v[] = {
		{ .present = true, .apic_id = 0, .ldr = 0xdeadbeef }, /* the table's LDR is ignored in x2APIC mode */
		{ .present = true, .apic_id = 1 },
		{ .present = true, .apic_id = 16 },
		{ .present = true, .apic_id = 17 },
		{ .present = true, .apic_id = 0x12345 },
	};
	assert_int_equal(icr_x2apic_ldr(0), 0x00000001);
	assert_int_equal(icr_x2apic_ldr(17), 0x00010002);
	assert_int_equal(icr_x2apic_ldr(0x12345), 0x12340020);
	assert_int_equal(x2(INIT_LOG, 0x00000003, 0, v, 5), BIT(0) | BIT(1));
	assert_int_equal(x2(INIT_LOG, 0x00010003, 0, v, 5), BIT(2) | BIT(3));
	assert_int_equal(x2(INIT_LOG, 0x00010002, 0, v, 5), BIT(3));
	assert_int_equal(x2(INIT_LOG, 0x12340020, 0, v, 5), BIT(4));
	assert_int_equal(x2(INIT_LOG, 0x12350020, 0, v, 5), 0);
	assert_int_equal(x2(INIT_LOG, 0x0000fffc, 0, v, 5), 0);
	assert_int_equal(x2(INIT_LOG, 0xffffffff, 0, v, 5), 0x1f);
	assert_int_equal(x2(INIT_LOG, 0xde000000, 0, v, 5), 0);
}

static void test_targets_bounded(void **state)
{
	(void)state;
	struct icr_vp v[ICR_MAX_VPS + 8];
	for (u32 i = 0; i < ARRAY_SIZE(v); i++)
		v[i] = (struct icr_vp){ .present = true, .apic_id = i };
	assert_int_equal(x2(INIT_OTHERS, 0, 0, v, ARRAY_SIZE(v)), ~1ULL);
	assert_int_equal(x2(INIT_PHYS, ICR_MAX_VPS - 1, 0, v, ARRAY_SIZE(v)), BIT(ICR_MAX_VPS - 1));
	assert_int_equal(x2(INIT_PHYS, ICR_MAX_VPS, 0, v, ARRAY_SIZE(v)), 0); /* beyond the bitmap: not looked at */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_xapic_matrix),
		cmocka_unit_test(test_decode_xapic_ignores_reserved),
		cmocka_unit_test(test_decode_x2apic_matrix),
		cmocka_unit_test(test_decode_x2apic_reserved),
		cmocka_unit_test(test_decode_real_values),
		cmocka_unit_test(test_route_actions),
		cmocka_unit_test(test_targets_physical),
		cmocka_unit_test(test_targets_logical_flat),
		cmocka_unit_test(test_targets_logical_cluster),
		cmocka_unit_test(test_targets_x2apic_logical),
		cmocka_unit_test(test_targets_bounded),
	};
	return cmocka_run_group_tests_name("icr", tests, NULL, NULL) ? 1 : 0;
}
