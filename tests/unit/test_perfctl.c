// SPDX-License-Identifier: MIT
/*
 * svm/perfctl.c: which AMD MSRs are PerfEvtSel registers, and the value the
 * hardware gets for the root's write (GuestOnly, never HostOnly: APM vol. 2
 * 13.2.1). Neither emulator models the PMU, so this is the test of the
 * transformation.
 */
#include "unit.h"

#include "../../svm/perfctl.h"

static void test_index(void **state)
{
	(void)state;
	for (u32 i = 0; i < 4; i++) {
		assert_int_equal(perf_ctl_index(0xc0010000 + i), (int)i); /* legacy PerfEvtSel0-3 */
		assert_int_equal(perf_ctl_index(0xc0010004 + i), -1);     /* legacy PerfCtr0-3 */
	}
	for (u32 i = 0; i < 6; i++) {
		assert_int_equal(perf_ctl_index(0xc0010200 + 2 * i), (int)i); /* PerfEvtSel0-5 */
		assert_int_equal(perf_ctl_index(0xc0010201 + 2 * i), -1);     /* PerfCtr0-5 */
	}
	static const u32 other[] = { 0xc000ffff, 0xc0010008, 0xc00101ff, 0xc001020c, 0xc001020d,
				     0xc0010230, 0x186, 0x0 };
	for (size_t i = 0; i < ARRAY_SIZE(other); i++)
		assert_int_equal(perf_ctl_index(other[i]), -1);
}

static void test_guest_only(void **state)
{
	(void)state;
	assert_int_equal(PERF_CTL_GUESTONLY, 1ULL << 40);
	assert_int_equal(PERF_CTL_HOSTONLY, 1ULL << 41);
	/* Linux: cycles (0x76) enabled, OS + USR, INT */
	const u64 ev = 0x0000000000530076ULL;
	assert_int_equal(perf_ctl_for_root(ev), ev | (1ULL << 40));
	/* HostOnly (a Linux event with exclude_guest) would count only Raum: becomes GuestOnly */
	assert_int_equal(perf_ctl_for_root(ev | (1ULL << 41)), ev | (1ULL << 40));
	/* both bits (count everything) and GuestOnly alone: GuestOnly */
	assert_int_equal(perf_ctl_for_root(ev | (3ULL << 40)), ev | (1ULL << 40));
	assert_int_equal(perf_ctl_for_root(ev | (1ULL << 40)), ev | (1ULL << 40));
	/* other bits (event select 11:8 at 35:32, reserved ones for the CPU to refuse) pass unchanged */
	const u64 high = 0xfffffcff00000000ULL | 0xffffffffULL;
	assert_int_equal(perf_ctl_for_root(high), high | (1ULL << 40));
	assert_int_equal(perf_ctl_for_root(0), 1ULL << 40); /* a disabled counter too: harmless */
	/* idempotent: Linux reads PerfEvtSel back and writes it with EN cleared */
	assert_int_equal(perf_ctl_for_root(perf_ctl_for_root(ev | (1ULL << 41))), ev | (1ULL << 40));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_index),
		cmocka_unit_test(test_guest_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
