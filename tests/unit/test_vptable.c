// SPDX-License-Identifier: MIT
/*
 * kernel/vp.c's partition VP table under its lock: threads create and
 * destroy VPs at random indexes of one partition (a seeded PRNG per
 * thread; RAUM_TEST_SEED changes it). A slot is created by at most one
 * thread at a time (the others get -RAUM_EBUSY and their VP is freed),
 * nr_vps always matches the slots in use, and every VP allocated is freed
 * exactly once. The vendor ops are stubs that count.
 */
#include "unit.h"

#include <pthread.h>

#include <raum/vendor.h>

const struct vendor_ops *vendor_ops_current;
void *phys_to_virt(u64 phys) { return (void *)(uintptr_t)phys; } /* vp_regs_from_fw, not called here */

static int live_objects; /* VPs the stub vendor allocated and has not freed */
static pthread_mutex_t stub_mutex = PTHREAD_MUTEX_INITIALIZER;

static int stub_create(struct partition *p, u32 index, struct vp **out)
{
	(void)p; (void)index;
	struct vp *vp = calloc(1, sizeof(*vp));
	if (!vp)
		return -RAUM_ENOMEM;
	pthread_mutex_lock(&stub_mutex);
	live_objects++;
	pthread_mutex_unlock(&stub_mutex);
	sched_yield(); /* widen the window between the early check and the locked one */
	*out = vp;
	return 0;
}

static void stub_destroy(struct vp *vp)
{
	pthread_mutex_lock(&stub_mutex);
	live_objects--;
	pthread_mutex_unlock(&stub_mutex);
	free(vp);
}

static const struct vendor_ops stub_ops = { .name = "stub", .vp_create = stub_create, .vp_destroy = stub_destroy };

#define THREADS 4
#define SLOTS 8
#define STEPS 20000

static struct partition part;
static struct vp *mine[THREADS][SLOTS]; /* what each thread created and owns */
static int created[SLOTS], destroyed[SLOTS];

struct worker { int id; u64 seed; };

/* cmocka's asserts are not for other threads: the workers count what went wrong, the test thread checks */
static int failures;
#define CHECK(c)                                                              \
	do {                                                                  \
		if (!(c)) {                                                   \
			__atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);    \
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c); \
		}                                                             \
	} while (0)

static void *work(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < STEPS; i++) {
		u32 slot = (u32)(unit_rand(&w->seed) % SLOTS);
		if (mine[w->id][slot]) {
			/* only the creator destroys: a VP is never destroyed twice */
			CHECK(vp_destroy(mine[w->id][slot]) == 0);
			mine[w->id][slot] = NULL;
			__atomic_add_fetch(&destroyed[slot], 1, __ATOMIC_RELAXED);
			continue;
		}
		struct vp *vp = NULL;
		int rc = vp_create(&part, slot, &vp);
		if (rc == 0) {
			CHECK(part.vps[slot] == vp);
			CHECK(vp->index == slot);
			CHECK(vp->life.state == VP_STATE_CREATED);
			mine[w->id][slot] = vp;
			__atomic_add_fetch(&created[slot], 1, __ATOMIC_RELAXED);
		} else {
			CHECK(rc == -RAUM_EBUSY);
		}
	}
	return NULL;
}

static void test_concurrent_create_destroy(void **state)
{
	(void)state;
	pthread_t t[THREADS];
	struct worker w[THREADS];
	const char *env = getenv("RAUM_TEST_SEED");
	u64 seed = env ? strtoull(env, NULL, 0) : 0x5eed;

	vendor_ops_current = &stub_ops;
	spin_init(&part.lock);
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ i, seed * 31 + (u64)i + 1 };
		assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(failures, 0);

	/* at most one owner per slot, and the table agrees with the owners */
	u32 in_use = 0;
	for (int s = 0; s < SLOTS; s++) {
		int owners = 0;
		for (int i = 0; i < THREADS; i++)
			owners += mine[i][s] != NULL;
		assert_true(owners <= 1);
		assert_int_equal(owners, part.vps[s] != NULL);
		assert_int_equal(created[s] - destroyed[s], owners);
		in_use += owners;
		assert_true(created[s] > 0);
	}
	assert_int_equal(part.nr_vps, in_use);
	assert_int_equal(live_objects, (int)in_use); /* every losing VP was freed */
	assert_false(spin_is_locked(&part.lock));
	/* and a loaded VP cannot be destroyed: the lifecycle refuses */
	for (int s = 0; s < SLOTS; s++)
		if (part.vps[s]) {
			part.vps[s]->life.state = VP_STATE_LOADED;
			assert_rc(vp_destroy(part.vps[s]), -RAUM_EBUSY);
			assert_non_null(part.vps[s]);
			part.vps[s]->life.state = VP_STATE_CREATED;
			assert_rc(vp_destroy(part.vps[s]), 0);
		}
	assert_int_equal(part.nr_vps, 0);
	assert_int_equal(live_objects, 0);
	assert_rc(vp_create(&part, SLOTS + PARTITION_MAX_VPS, &(struct vp *){ NULL }), -RAUM_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_concurrent_create_destroy),
	};
	return cmocka_run_group_tests_name("vptable", tests, NULL, NULL) ? 1 : 0;
}
