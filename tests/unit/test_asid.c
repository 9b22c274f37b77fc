// SPDX-License-Identifier: MIT
/*
 * svm/asid.c: ASID assignment and the TLB_CONTROL decision before VMRUN.
 * Under TCG every VMRUN flushes whatever we ask, so a missing flush shows
 * up only here: the model check at the end replays thousands of random
 * VMRUNs against a model of each CPU's TLB.
 */
#include "unit.h"

#include "../../svm/asid.h"
#include "../../svm/vmcb.h"

#define NOTHING SVM_TLB_DO_NOTHING
#define ALL SVM_TLB_FLUSH_ALL
#define BY_ASID SVM_TLB_FLUSH_ASID

static void test_tlb_control_values(void **state)
{
	(void)state;
	/* APM vol. 2 15.16: the VMCB encodings the decisions must produce */
	assert_int_equal(SVM_TLB_DO_NOTHING, 0);
	assert_int_equal(SVM_TLB_FLUSH_ALL, 1);
	assert_int_equal(SVM_TLB_FLUSH_ASID, 3);
}

static void test_first_vmrun_flushes_all(void **state)
{
	(void)state;
	struct asid_cpu c;
	struct asid_vp v = { 0 };

	asid_cpu_init(&c, 0, 16, true);
	assert_int_equal(asid_prepare(&c, &v, 1), ALL);
	assert_int_equal(v.asid, 1);
	assert_int_equal(v.cpu, 0);

	/* the same on every CPU, whatever its number, and on a CPU without flush-by-ASID */
	for (u32 cpu = 1; cpu < 5; cpu++) {
		struct asid_cpu d;
		struct asid_vp w = { 0 };
		asid_cpu_init(&d, cpu * 7, 64, cpu & 1);
		assert_int_equal(asid_prepare(&d, &w, 0), ALL);
		assert_int_equal(w.asid, 1);
		assert_int_equal(w.cpu, cpu * 7);
	}
}

static void test_keeps_asid(void **state)
{
	(void)state;
	struct asid_cpu c;
	struct asid_vp v = { 0 };

	asid_cpu_init(&c, 2, 16, true);
	assert_int_equal(asid_prepare(&c, &v, 4), ALL);
	u32 asid = v.asid;
	for (int i = 0; i < 100; i++) {
		assert_int_equal(asid_prepare(&c, &v, 4), NOTHING);
		assert_int_equal(v.asid, asid);
		assert_int_equal(v.cpu, 2);
	}
}

static void test_second_vp(void **state)
{
	(void)state;
	struct asid_cpu c;
	struct asid_vp a = { 0 }, b = { 0 };

	asid_cpu_init(&c, 0, 16, true);
	assert_int_equal(asid_prepare(&c, &a, 0), ALL);
	/* a fresh ASID in the current generation has no entries: no flush needed */
	assert_int_equal(asid_prepare(&c, &b, 0), NOTHING);
	assert_int_not_equal(a.asid, b.asid);
	assert_true(b.asid >= 1 && b.asid < 16);
	/* alternating keeps both */
	for (int i = 0; i < 10; i++) {
		u32 x = a.asid, y = b.asid;
		assert_int_equal(asid_prepare(&c, &a, 0), NOTHING);
		assert_int_equal(asid_prepare(&c, &b, 0), NOTHING);
		assert_int_equal(a.asid, x);
		assert_int_equal(b.asid, y);
	}
}

static void test_range_and_rollover(void **state)
{
	(void)state;
	struct asid_cpu c;
	struct asid_vp v[10] = { 0 };

	/* max_asid 4: ASIDs 1, 2, 3 */
	asid_cpu_init(&c, 1, 4, true);
	assert_int_equal(asid_prepare(&c, &v[0], 0), ALL);
	assert_int_equal(asid_prepare(&c, &v[1], 0), NOTHING);
	assert_int_equal(asid_prepare(&c, &v[2], 0), NOTHING);
	assert_int_equal(v[0].asid, 1);
	assert_int_equal(v[1].asid, 2);
	assert_int_equal(v[2].asid, 3);
	/* out of ASIDs: the next generation, with a full flush, from 1 again */
	assert_int_equal(asid_prepare(&c, &v[3], 0), ALL);
	assert_int_equal(v[3].asid, 1);
	/* v[0] still says ASID 1, but from the old generation: it gets a fresh one */
	assert_int_equal(asid_prepare(&c, &v[0], 0), NOTHING);
	assert_int_equal(v[0].asid, 2);
	assert_int_equal(asid_prepare(&c, &v[1], 0), NOTHING);
	assert_int_equal(v[1].asid, 3);
	/* and v[3] keeps its ASID in the new generation */
	assert_int_equal(asid_prepare(&c, &v[3], 0), NOTHING);
	assert_int_equal(v[3].asid, 1);
	/* v[2] (old generation) exhausts it again */
	assert_int_equal(asid_prepare(&c, &v[2], 0), ALL);
	assert_int_equal(v[2].asid, 1);
	/* now v[3], which held ASID 1 a generation ago, may not keep it */
	assert_int_equal(asid_prepare(&c, &v[3], 0), NOTHING);
	assert_int_equal(v[3].asid, 2);

	/* a larger space: never 0, never max_asid, each ASID once per generation */
	struct asid_cpu d;
	struct asid_vp w[300] = { 0 };
	asid_cpu_init(&d, 0, 64, false);
	int flushes = 0;
	bool seen[64] = { 0 };
	for (int i = 0; i < 300; i++) {
		u8 t = asid_prepare(&d, &w[i], 0);
		assert_true(t == NOTHING || t == ALL);
		if (t == ALL) {
			flushes++;
			memset(seen, 0, sizeof(seen));
		}
		assert_true(w[i].asid >= 1 && w[i].asid < 64);
		assert_false(seen[w[i].asid]);
		seen[w[i].asid] = true;
	}
	/* 63 ASIDs a generation: 300 VPs need 5 generations, the first included */
	assert_int_equal(flushes, 5);
}

static void test_migration(void **state)
{
	(void)state;
	struct asid_cpu a, b;
	struct asid_vp v = { 0 }, w = { 0 };

	asid_cpu_init(&a, 0, 16, true);
	asid_cpu_init(&b, 1, 16, true);
	assert_int_equal(asid_prepare(&a, &v, 0), ALL);
	assert_int_equal(asid_prepare(&a, &v, 0), NOTHING);
	assert_int_equal(v.asid, 1);
	/* to CPU 1: its first use flushes everything; v gets CPU 1's ASID */
	assert_int_equal(asid_prepare(&b, &v, 0), ALL);
	assert_int_equal(v.cpu, 1);
	assert_int_equal(v.asid, 1);
	assert_int_equal(asid_prepare(&b, &v, 0), NOTHING);
	/* back to CPU 0: a fresh ASID there (ASID 1 on CPU 0 holds v's older entries) */
	assert_int_equal(asid_prepare(&a, &v, 0), NOTHING);
	assert_int_equal(v.cpu, 0);
	assert_int_equal(v.asid, 2);

	/* w on CPU 1, then v moves in: it may not share w's ASID */
	assert_int_equal(asid_prepare(&b, &w, 0), NOTHING);
	assert_int_equal(w.asid, 2);
	assert_int_equal(asid_prepare(&b, &v, 0), NOTHING);
	assert_int_equal(v.cpu, 1);
	assert_int_not_equal(v.asid, w.asid);
	assert_int_equal(v.asid, 3);

	/* same generation numbers on both CPUs must not make a migrant keep its ASID */
	struct asid_cpu x, y;
	struct asid_vp u = { 0 };
	asid_cpu_init(&x, 4, 8, true);
	asid_cpu_init(&y, 5, 8, true);
	assert_int_equal(asid_prepare(&x, &u, 0), ALL);
	assert_int_equal(asid_prepare(&y, &(struct asid_vp){ 0 }, 0), ALL); /* y: same generation as x */
	assert_int_equal(x.generation, y.generation);
	assert_int_equal(asid_prepare(&y, &u, 0), NOTHING);
	assert_int_equal(u.cpu, 5);
	assert_int_equal(u.asid, 2);
}

static void test_slat_change(void **state)
{
	(void)state;
	for (int by_asid = 0; by_asid < 2; by_asid++) {
		struct asid_cpu c;
		struct asid_vp v = { 0 }, w = { 0 };
		u8 want = by_asid ? BY_ASID : ALL;

		asid_cpu_init(&c, 0, 16, by_asid);
		assert_int_equal(asid_prepare(&c, &v, 10), ALL);
		assert_int_equal(asid_prepare(&c, &w, 10), NOTHING);
		u32 asid = v.asid;
		/* the partition's SLAT lost mappings */
		assert_int_equal(asid_prepare(&c, &v, 11), want);
		assert_int_equal(v.asid, asid); /* flushed, not renumbered */
		/* only once */
		assert_int_equal(asid_prepare(&c, &v, 11), NOTHING);
		assert_int_equal(asid_prepare(&c, &v, 11), NOTHING);
		/* w shares the SLAT: it needs its own flush */
		assert_int_equal(asid_prepare(&c, &w, 11), want);
		assert_int_equal(asid_prepare(&c, &w, 11), NOTHING);
		/* several changes between runs: one flush */
		assert_int_equal(asid_prepare(&c, &v, 15), want);
		assert_int_equal(asid_prepare(&c, &v, 15), NOTHING);
		/* a generation that wraps to an unequal value still counts as a change */
		assert_int_equal(asid_prepare(&c, &v, 0), want);
		assert_int_equal(asid_prepare(&c, &v, 0), NOTHING);
	}

	/* a SLAT change together with a fresh ASID: no stale entries, nothing owed later */
	struct asid_cpu a, b;
	struct asid_vp v = { 0 };
	asid_cpu_init(&a, 0, 16, true);
	asid_cpu_init(&b, 1, 16, true);
	assert_int_equal(asid_prepare(&a, &v, 1), ALL);
	assert_int_equal(asid_prepare(&b, &v, 2), ALL); /* moved and changed */
	assert_int_equal(asid_prepare(&b, &v, 2), NOTHING);
	assert_int_equal(asid_prepare(&a, &v, 3), NOTHING); /* back: fresh ASID 2 on CPU 0 */
	assert_int_equal(v.asid, 2);
	assert_int_equal(asid_prepare(&a, &v, 3), NOTHING);
}

static void test_tiny_max_asid(void **state)
{
	(void)state;
	for (u32 max = 0; max <= 2; max++) {
		struct asid_cpu c;
		struct asid_vp a = { 0 }, b = { 0 };

		/* CPUID reporting 0 or 1 ASIDs: still ASID 1 for the guest, never the host's 0 */
		asid_cpu_init(&c, 0, max, true);
		assert_int_equal(asid_prepare(&c, &a, 0), ALL);
		assert_int_equal(a.asid, 1);
		/* and the CPU's bound (ASIDs are 1 .. max_asid - 1) admits it */
		assert_true(a.asid < c.max_asid);
		assert_int_equal(asid_prepare(&c, &a, 0), NOTHING);
		assert_int_equal(a.asid, 1);
		/* one ASID, two VPs: every switch is a new generation */
		for (int i = 0; i < 5; i++) {
			assert_int_equal(asid_prepare(&c, &b, 0), ALL);
			assert_int_equal(b.asid, 1);
			assert_int_equal(asid_prepare(&c, &a, 0), ALL);
			assert_int_equal(a.asid, 1);
		}
		assert_int_equal(asid_prepare(&c, &a, 0), NOTHING);
		assert_int_equal(asid_prepare(&c, &a, 1), BY_ASID);
	}
}

/*
 * The model check. Per CPU, a model of its TLB: for each ASID, whether it
 * may hold entries and for which VP under which SLAT generation. VMRUN of v
 * on c with ASID a is safe only when a holds nothing, or only v's entries
 * from the current SLAT generation. Separately, holder[] records which VP
 * used each ASID since the last FLUSH_ALL: two VPs never share one.
 */
#define M_CPUS 3
#define M_VPS 8
#define M_PARTS 2
#define M_MAX_ASID 4

struct tlb_slot {
	bool valid;
	int vp;
	u64 slat;
};

struct model_stats {
	unsigned nothing, all, by_asid, slat_changes, migrations;
};

static void model_run(u64 seed, int steps, const bool by_asid[M_CPUS], struct model_stats *st)
{
	struct asid_cpu cpu[M_CPUS];
	struct asid_vp vp[M_VPS];
	struct tlb_slot tlb[M_CPUS][M_MAX_ASID];
	int holder[M_CPUS][M_MAX_ASID];
	int last_cpu[M_VPS];
	u64 slat[M_PARTS] = { 1, 1 };
	u64 r = seed;

	memset(vp, 0, sizeof(vp));
	memset(tlb, 0, sizeof(tlb));
	for (int c = 0; c < M_CPUS; c++) {
		asid_cpu_init(&cpu[c], c, M_MAX_ASID, by_asid[c]);
		for (int a = 0; a < M_MAX_ASID; a++)
			holder[c][a] = -1;
		/* what earlier software left: entries of unknown owners under every ASID */
		for (int a = 0; a < M_MAX_ASID; a++)
			tlb[c][a] = (struct tlb_slot){ true, -2, 0 };
	}
	for (int i = 0; i < M_VPS; i++)
		last_cpu[i] = -1;

	for (int step = 0; step < steps; step++) {
		/* some SLAT loses mappings */
		if (unit_rand(&r) % 16 == 0) {
			slat[unit_rand(&r) % M_PARTS]++;
			st->slat_changes++;
		}
		int i = unit_rand(&r) % M_VPS;
		int c = last_cpu[i] >= 0 && unit_rand(&r) % 4 ? last_cpu[i] : (int)(unit_rand(&r) % M_CPUS);
		if (last_cpu[i] >= 0 && c != last_cpu[i])
			st->migrations++;
		u64 sg = slat[i % M_PARTS];
		u32 old_asid = vp[i].asid;
		bool stays = last_cpu[i] == c;

		u8 t = asid_prepare(&cpu[c], &vp[i], sg);
		u32 a = vp[i].asid;

		if (a < 1 || a >= M_MAX_ASID || vp[i].cpu != (u32)c) {
			print_error("seed %llu step %d: VP %d on CPU %d got ASID %u (cpu field %u)\n",
				    (unsigned long long)seed, step, i, c, a, vp[i].cpu);
			fail();
		}
		switch (t) {
		case NOTHING:
			st->nothing++;
			break;
		case ALL:
			st->all++;
			memset(tlb[c], 0, sizeof(tlb[c]));
			for (int k = 0; k < M_MAX_ASID; k++)
				holder[c][k] = -1;
			break;
		case BY_ASID:
			st->by_asid++;
			/* only where the CPU can, and only for the VP's own (kept) ASID */
			if (!by_asid[c] || !stays || a != old_asid) {
				print_error("seed %llu step %d: FLUSH_ASID on CPU %d (by_asid %d), VP %d ASID %u -> %u\n",
					    (unsigned long long)seed, step, c, by_asid[c], i, old_asid, a);
				fail();
			}
			tlb[c][a] = (struct tlb_slot){ 0 };
			break;
		default:
			print_error("seed %llu step %d: TLB_CONTROL %u\n", (unsigned long long)seed, step, t);
			fail();
		}

		if (holder[c][a] >= 0 && holder[c][a] != i) {
			print_error("seed %llu step %d: VP %d and VP %d share ASID %u on CPU %d without FLUSH_ALL\n",
				    (unsigned long long)seed, step, holder[c][a], i, a, c);
			fail();
		}
		struct tlb_slot *s = &tlb[c][a];
		if (s->valid && (s->vp != i || s->slat != sg)) {
			print_error("seed %llu step %d: VP %d runs on CPU %d ASID %u over entries of VP %d, "
				    "SLAT generation %llu (now %llu)\n",
				    (unsigned long long)seed, step, i, c, a, s->vp, (unsigned long long)s->slat,
				    (unsigned long long)sg);
			fail();
		}
		holder[c][a] = i;
		*s = (struct tlb_slot){ true, i, sg };
		last_cpu[i] = c;
	}
}

static void test_model(void **state)
{
	(void)state;
	static const bool modes[][M_CPUS] = {
		{ true, true, true }, { false, false, false }, { true, false, true },
	};
	struct model_stats st = { 0 };

	for (unsigned m = 0; m < ARRAY_SIZE(modes); m++)
		for (u64 seed = 1; seed <= 20; seed++)
			model_run(seed * 0x9e3779b97f4a7c15ULL + m, 5000, modes[m], &st);
	/* the walk reached every decision often, so the checks above meant something */
	assert_true(st.nothing > 10000);
	assert_true(st.all > 10000);
	assert_true(st.by_asid > 1000);
	assert_true(st.slat_changes > 10000);
	assert_true(st.migrations > 10000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tlb_control_values),
		cmocka_unit_test(test_first_vmrun_flushes_all),
		cmocka_unit_test(test_keeps_asid),
		cmocka_unit_test(test_second_vp),
		cmocka_unit_test(test_range_and_rollover),
		cmocka_unit_test(test_migration),
		cmocka_unit_test(test_slat_change),
		cmocka_unit_test(test_tiny_max_asid),
		cmocka_unit_test(test_model),
	};
	return cmocka_run_group_tests_name("asid", tests, NULL, NULL) ? 1 : 0;
}
