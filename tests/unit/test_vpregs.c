// SPDX-License-Identifier: MIT
/*
 * kernel/vpregs.c: every register name the ABI lists round-trips; hostile
 * values (reserved bits, non-canonical addresses, bad PAT types, unknown
 * names) are refused and leave the registers as they were.
 */
#include "unit.h"

#include <string.h>

#include <raum/errno.h>
#include <raum/vpregs.h>

static const struct vpreg_limits lim = { .cr4_reserved = ~0x3fffffULL, .efer_writable = 0xd01 | 0x400 };

static void test_roundtrip(void **state)
{
	(void)state;
	static const u32 names[] = { HV_X64_REGISTER_RAX, HV_X64_REGISTER_R15, HV_X64_REGISTER_RIP, HV_X64_REGISTER_CR2,
				     HV_X64_REGISTER_CR3, HV_X64_REGISTER_KERNEL_GS_BASE, HV_X64_REGISTER_LSTAR,
				     HV_X64_REGISTER_STAR, HV_X64_REGISTER_SYSENTER_EIP, HV_X64_REGISTER_CR8 };
	struct vp_regs r;
	struct hv_register_value v, got;

	vpreg_reset(&r);
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		v = (struct hv_register_value){ .low = names[i] == HV_X64_REGISTER_CR8 ? 0xf : 0x1000 + i * 8 };
		assert_int_equal(vpreg_set(&r, names[i], &v, &lim), 0);
		assert_int_equal(vpreg_get(&r, names[i], &got), 0);
		assert_int_equal(got.low, v.low);
		assert_int_equal(got.high, 0);
	}
	/* a segment: base, limit, selector, attributes packed as the TLFS's HV_X64_SEGMENT_REGISTER */
	v = (struct hv_register_value){ .low = 0x12345000, .high = 0xffffffffULL | 0x10ULL << 32 | 0xc93ULL << 48 };
	assert_int_equal(vpreg_set(&r, HV_X64_REGISTER_SS, &v, &lim), 0);
	assert_int_equal(r.seg[VP_SS].sel, 0x10);
	assert_int_equal(r.seg[VP_SS].attr, 0xc93);
	assert_int_equal(r.seg[VP_SS].limit, 0xffffffff);
	assert_int_equal(vpreg_get(&r, HV_X64_REGISTER_SS, &got), 0);
	assert_memory_equal(&got, &v, sizeof(v));
	v = (struct hv_register_value){ .low = 0x7000, .high = 0x27 };
	assert_int_equal(vpreg_set(&r, HV_X64_REGISTER_GDTR, &v, &lim), 0);
	assert_int_equal(vpreg_get(&r, HV_X64_REGISTER_GDTR, &got), 0);
	assert_int_equal(got.low, 0x7000);
	assert_int_equal(got.high, 0x27);
}

/* Each hostile value is refused and the state stays byte for byte the same. */
static void test_hostile(void **state)
{
	(void)state;
	static const struct {
		u32 name;
		u64 low, high;
	} bad[] = {
		{ HV_X64_REGISTER_RIP, 0x0000800000000000ULL, 0 },      /* non-canonical */
		{ HV_X64_REGISTER_RFLAGS, 0x0, 0 },                     /* bit 1 clear */
		{ HV_X64_REGISTER_RFLAGS, 0x2 | (1ULL << 3), 0 },       /* reserved bit 3 */
		{ HV_X64_REGISTER_RFLAGS, 0x2 | (1ULL << 40), 0 },
		{ HV_X64_REGISTER_CR0, 0x11 | (1ULL << 32), 0 },        /* bits 63:32 */
		{ HV_X64_REGISTER_CR0, 0x11 | (1ULL << 29), 0 },        /* NW without CD */
		{ HV_X64_REGISTER_CR0, 0x11 | (1ULL << 12), 0 },        /* reserved */
		{ HV_X64_REGISTER_CR3, 1ULL << 60, 0 },
		{ HV_X64_REGISTER_CR4, 1ULL << 40, 0 },
		{ HV_X64_REGISTER_EFER, 1ULL << 12, 0 },                /* SVME: never the guest's */
		{ HV_X64_REGISTER_EFER, 1ULL << 63, 0 },
		{ HV_X64_REGISTER_DR6, 1ULL << 32, 0 },
		{ HV_X64_REGISTER_DR7, 1ULL << 40, 0 },
		{ HV_X64_REGISTER_PAT, 0x0007040600070402ULL, 0 },      /* type 2 */
		{ HV_X64_REGISTER_PAT, 0x0807040600070406ULL, 0 },      /* type 8 */
		{ HV_X64_REGISTER_LSTAR, 0xdead000000000000ULL, 0 },    /* non-canonical */
		{ HV_X64_REGISTER_KERNEL_GS_BASE, 0x0001000000000000ULL, 0 },
		{ HV_X64_REGISTER_SFMASK, 1ULL << 32, 0 },
		{ HV_X64_REGISTER_SYSENTER_CS, 1ULL << 32, 0 },
		{ HV_X64_REGISTER_FS, 0x8000000000000000ULL, 0 },       /* non-canonical base */
		{ HV_X64_REGISTER_CS, 0, 0xf000ULL << 48 },             /* reserved attribute bits */
		{ HV_X64_REGISTER_IDTR, 0, 0x10000 },                   /* limit beyond 16 bits */
		{ HV_X64_REGISTER_GDTR, 0xffff000000000000ULL - 1, 0 },
		{ HV_X64_REGISTER_CR8, 16, 0 },                         /* bits 63:4: MOV to CR8 faults */
		{ HV_X64_REGISTER_CR8, 1ULL << 63, 0 },
		{ 0x00020012, 0, 0 },                                   /* unknown names */
		{ 0x00090000, 0, 0 },
		{ 0xffffffff, 0, 0 },
		{ HV_X64_REGISTER_TSC, 0, 0 },
		{ HV_X64_REGISTER_APIC_BASE, 0xfee00900, 0 },
	};
	struct vp_regs r, before;

	vpreg_reset(&r);
	memcpy(&before, &r, sizeof(r));
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct hv_register_value v = { bad[i].low, bad[i].high };
		assert_int_equal(vpreg_set(&r, bad[i].name, &v, &lim), -RAUM_EINVAL);
		assert_memory_equal(&r, &before, sizeof(r));
	}
	struct hv_register_value got = { 1, 1 };
	assert_int_equal(vpreg_get(&r, 0x00020012, &got), -RAUM_EINVAL);
	assert_int_equal(got.low, 0);
}

static void test_reset(void **state)
{
	(void)state;
	struct vp_regs r;

	vpreg_reset(&r);
	assert_int_equal(r.rip, 0xfff0);
	assert_int_equal(r.seg[VP_CS].base, 0xffff0000);
	assert_int_equal(r.cr0, 0x60000010);
	assert_int_equal(r.rflags, 2);
	assert_int_equal(r.dr7, 0x400);
}

/* The pending-event register: what a CPU delivers decodes and encodes back; the rest is refused. */
static void test_events(void **state)
{
	(void)state;
	static const u64 good[] = {
		1 | 0x30ULL << 16,                               /* external interrupt 0x30 */
		1 | 0xffULL << 16,
		1 | 2 << 1 | 2ULL << 16,                         /* NMI */
		1 | 3 << 1 | 6ULL << 16,                         /* #UD */
		1 | 3 << 1 | 1 << 4 | 14ULL << 16 | 0x7ULL << 32, /* #PF with its error code */
		1 | 3 << 1 | 1 << 4 | 8ULL << 16,                /* #DF, error code 0 */
	};
	static const u64 bad[] = {
		2,                                    /* not pending but not zero */
		1 | 0x1fULL << 16,                    /* an external interrupt below 32 */
		1 | 0x30ULL << 16 | 1 << 4,           /* with an error code */
		1 | 0x30ULL << 16 | 5ULL << 32,
		1 | 2 << 1 | 3ULL << 16,              /* NMI not on 2 */
		1 | 3 << 1 | 14ULL << 16,             /* #PF without its error code */
		1 | 3 << 1 | 1 << 4 | 6ULL << 16,     /* #UD with one */
		1 | 3 << 1 | 2ULL << 16,              /* vector 2 as an exception */
		1 | 3 << 1 | 32ULL << 16,             /* above 31 */
		1 | 3 << 1 | 6ULL << 16 | 9ULL << 32, /* an error code without the flag */
		1 | 1 << 1 | 0x30ULL << 16,           /* type 1 */
		1 | 4 << 1 | 0x30ULL << 16,           /* software interrupt */
		1 | 7 << 1 | 0x30ULL << 16,
		1 | 0x30ULL << 16 | 1 << 5,           /* reserved bits 15:5 */
		1 | 0x30ULL << 16 | 0xf00,
		1 | 0x130ULL << 16,                   /* vector above 255 */
	};
	struct vp_event e;

	for (unsigned i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(vpreg_event_decode(good[i], &e), 0);
		assert_true(e.pending);
		assert_int_equal(vpreg_event_encode(&e), good[i]);
	}
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(vpreg_event_decode(bad[i], &e), -RAUM_EINVAL);
	assert_int_equal(vpreg_event_decode(0, &e), 0);
	assert_false(e.pending);
	assert_int_equal(vpreg_event_encode(&e), 0);
	assert_true(vpreg_canonical(0xffff800000000000ULL));
	assert_false(vpreg_canonical(0x0000800000000000ULL));
	assert_true(vpreg_pat_valid(0x0007040600070406ULL));
	assert_false(vpreg_pat_valid(0x0007040600070403ULL));
	assert_true(vpreg_msr_value_ok(0xc0000082, 0xffffffff81000000ULL, true));   /* LSTAR */
	assert_false(vpreg_msr_value_ok(0xc0000082, 0x0000800000000000ULL, true));  /* non-canonical */
	assert_false(vpreg_msr_value_ok(0x277, 0x0007040600070402ULL, false));      /* PAT type 2 */
	assert_false(vpreg_msr_value_ok(0xc0000084, 1ULL << 32, false));            /* SFMASK high half */
	assert_false(vpreg_msr_value_ok(0x174, 1ULL << 32, false));                 /* SYSENTER_CS high half */
	assert_true(vpreg_msr_value_ok(0xc0000081, 1ULL << 48, false));             /* STAR: any value */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_events),
	};
	return cmocka_run_group_tests_name("vpregs", tests, NULL, NULL) ? 1 : 0;
}
