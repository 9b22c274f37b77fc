// SPDX-License-Identifier: MIT
/*
 * kernel/shootdown.c: the TLB shootdown protocol (include/raum/shootdown.h)
 * with threads playing the CPUs. Each "CPU" enters its VP (vp_entry_begin:
 * its TLB now holds the generation it read), stays "in the guest" until it
 * is kicked or a few loops pass, and exits (vp_entry_end). The sender bumps
 * the generation again and again; after every slat_shootdown that returns
 * 0, no CPU may be in the guest with a TLB older than that generation.
 */
#include "unit.h"

#include <pthread.h>
#include <sched.h>
#include <raum/shootdown.h>

#define NCPU 3

static struct partition part;
static struct vp vps[NCPU];
static volatile u32 kicked[NCPU];
static volatile u64 tlb[NCPU];   /* the generation the CPU's "TLB" holds */
static volatile u32 guest[NCPU]; /* really in the guest: between the flush and the exit */
static volatile int stop;
static volatile int deaf = -1;   /* a CPU that ignores kicks and never exits */
static u64 kicks;

static void kick(u32 cpu)
{
	__atomic_add_fetch(&kicks, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&kicked[cpu], 1, __ATOMIC_RELEASE);
}

static void *cpu_thread(void *arg)
{
	u32 i = (u32)(uintptr_t)arg;
	struct vp *vp = &vps[i];
	u64 seed = 0x5eed + i;

	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		u64 g = vp_entry_begin(vp);
		tlb[i] = g; /* the flush before the entry */
		__atomic_store_n(&guest[i], 1, __ATOMIC_RELEASE);
		u64 n = unit_rand(&seed) % 64;
		/* the CI machine has 2 cores for 4 spinning threads: the "guest" yields while it runs */
		while ((deaf == (int)i || (!__atomic_exchange_n(&kicked[i], 0, __ATOMIC_ACQ_REL) && n--)) &&
		       !__atomic_load_n(&stop, __ATOMIC_ACQUIRE))
			sched_yield();
		__atomic_store_n(&guest[i], 0, __ATOMIC_RELEASE);
		vp_entry_end(vp);
		if (unit_rand(&seed) & 1) /* handling the exit, outside the guest */
			sched_yield();
	}
	return NULL;
}

/* Waits (yielding: the host may have fewer cores than threads) until some CPU is in the guest. */
static void wait_some_guest(void)
{
	for (;;) {
		for (u32 i = 0; i < NCPU; i++)
			if (__atomic_load_n(&guest[i], __ATOMIC_ACQUIRE))
				return;
		sched_yield();
	}
}

static void setup(void)
{
	memset(&part, 0, sizeof(part));
	part.slat_generation = 1;
	for (u32 i = 0; i < NCPU; i++) {
		vps[i] = (struct vp){ .part = &part, .index = i, .life = { .state = VP_STATE_RUNNING, .cpu = i } };
		part.vps[i] = &vps[i];
		kicked[i] = guest[i] = 0;
		tlb[i] = 0;
	}
	part.nr_vps = NCPU;
	stop = 0;
	deaf = -1;
	kicks = 0;
}

static pthread_t threads[NCPU];

static void start_cpus(void)
{
	setup();
	for (u32 i = 0; i < NCPU; i++)
		assert_int_equal(pthread_create(&threads[i], NULL, cpu_thread, (void *)(uintptr_t)i), 0);
}

static void stop_cpus(void)
{
	stop = 1;
	for (u32 i = 0; i < NCPU; i++)
		pthread_join(threads[i], NULL);
}

/* CPUs in the guest with a TLB older than gen. */
static u64 stale_cpus(u64 gen)
{
	u64 n = 0;

	for (u32 i = 0; i < NCPU; i++)
		if (__atomic_load_n(&guest[i], __ATOMIC_ACQUIRE) && tlb[i] < gen)
			n++;
	return n;
}

/* After each shootdown, no CPU is in the guest with an older TLB: 5000 rounds against racing CPUs. */
static void test_no_stale_translation_after_return(void **state)
{
	(void)state;
	u64 stale = 0;

	start_cpus();
	for (int round = 0; round < 5000; round++) {
		if (round % 2)
			wait_some_guest(); /* every other round with a CPU surely in the guest: a kick to wait for */
		assert_rc(slat_shootdown(&part, NULL, kick, 1ULL << 40), 0);
		stale += stale_cpus(__atomic_load_n(&part.slat_generation, __ATOMIC_SEQ_CST));
	}
	stop_cpus();
	assert_int_equal(stale, 0);
	assert_true(kicks > 0); /* CPUs were caught in the guest and kicked out */
	assert_int_equal(part.slat_generation, 5001);
}

/* Without the protocol's wait the same check finds stale CPUs: the test can fail. */
static void test_check_detects_a_sender_that_does_not_wait(void **state)
{
	(void)state;
	u64 stale = 0;

	start_cpus();
	for (int round = 0; round < 20000 && !stale; round++) {
		wait_some_guest();
		stale = stale_cpus(__atomic_add_fetch(&part.slat_generation, 1, __ATOMIC_SEQ_CST)); /* bump only */
	}
	stop_cpus();
	assert_true(stale > 0);
}

/* A CPU that never leaves the guest: the sender gives up with -RAUM_EBUSY; its own VP is never waited for. */
static void test_stuck_cpu_and_self(void **state)
{
	(void)state;

	setup();
	/* VP 1 "in the guest" with an old TLB and nobody to answer the kick */
	vps[1].in_guest = 1;
	vps[1].slat_generation = 1;
	assert_rc(slat_shootdown(&part, NULL, kick, 1000), -RAUM_EBUSY);
	assert_int_equal(kicked[1], 1);
	assert_int_equal(kicked[0] + kicked[2], 0); /* out of the guest: not kicked */
	/* the same VP as the caller's own: not waited for, not kicked */
	kicked[1] = 0;
	assert_rc(slat_shootdown(&part, &vps[1], kick, 1000), 0);
	assert_int_equal(kicked[1], 0);
	/* it flushed for the new generation: nothing to wait for */
	vps[1].slat_generation = part.slat_generation + 1;
	assert_rc(slat_shootdown(&part, NULL, kick, 1000), 0);
	assert_int_equal(kicked[1], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_stale_translation_after_return),
		cmocka_unit_test(test_check_detects_a_sender_that_does_not_wait),
		cmocka_unit_test(test_stuck_cpu_and_self),
	};
	return cmocka_run_group_tests_name("shootdown", tests, NULL, NULL) ? 1 : 0;
}
