// SPDX-License-Identifier: MIT
/*
 * kernel/pciguard.c: which PCI configuration accesses of the root pass. A
 * hidden function reads as absent through every offset, size and way in
 * (0xCF8 address with its data port, and the ECAM offset), writes to the host
 * bridge at 0x40 and above are dropped (an access straddling 0x40 too),
 * below pass; the enable bit of 0xCF8 clear decodes nothing; AMD's extended
 * offset bits 27:24 count; every 0xCF8 value a hostile root could write is
 * decided without fault (seeded random sweep).
 */
#include "unit.h"

#include <raum/pciguard.h>

static u32 cf8(u16 bdf, u32 off) { return BIT(31) | ((off & 0xf00) << 16) | (u32)bdf << 8 | (off & 0xfc); }

static struct pciguard guard(void)
{
	struct pciguard g = { .lock_host_bridge = true };
	assert_rc(pciguard_hide(&g, PCI_BDF(0, 2, 0)), 0); /* QEMU's amd-iommu at 00:02.0 */
	return g;
}

static void test_hidden_function_absent_everywhere(void **state)
{
	(void)state;
	struct pciguard g = guard();
	for (u32 off = 0; off < 4096; off += 1)
		for (unsigned size = 1; size <= 4; size *= 2) {
			if (off % size)
				continue;
			assert_int_equal(pciguard_check(&g, PCI_BDF(0, 2, 0), off, size, false), PCIGUARD_ABSENT);
			assert_int_equal(pciguard_check(&g, PCI_BDF(0, 2, 0), off, size, true), PCIGUARD_ABSENT);
			assert_int_equal(pciguard_check_cf8(&g, cf8(PCI_BDF(0, 2, 0), off), (u16)(0xcfc + (off & 3)), size,
							     true), PCIGUARD_ABSENT);
		}
	/* its neighbours are not: function 1 of the same device, device 3, bus 1 device 2 */
	assert_int_equal(pciguard_check(&g, PCI_BDF(0, 2, 1), 0, 4, true), PCIGUARD_PASS);
	assert_int_equal(pciguard_check(&g, PCI_BDF(0, 3, 0), 0, 4, false), PCIGUARD_PASS);
	assert_int_equal(pciguard_check(&g, PCI_BDF(1, 2, 0), 0x44, 4, true), PCIGUARD_PASS);
}

static void test_host_bridge_writes(void **state)
{
	(void)state;
	struct pciguard g = guard();
	u16 hb = PCIGUARD_HOST_BRIDGE;
	/* below 0x40: command register, BARs: pass, reads and writes */
	assert_int_equal(pciguard_check(&g, hb, 0x04, 2, true), PCIGUARD_PASS);
	assert_int_equal(pciguard_check(&g, hb, 0x3c, 4, true), PCIGUARD_PASS);
	assert_int_equal(pciguard_check(&g, hb, 0x3f, 1, true), PCIGUARD_PASS);
	/* from 0x40: PCIEXBAR (0x60), PAM (0x90), SMRAM (0x9d), TOLUD (0xbc), AMD's SMN index (0x60): dropped */
	static const u32 locked[] = { 0x40, 0x48, 0x60, 0x64, 0x90, 0x96, 0x9d, 0xa8, 0xb0, 0xbc, 0xff, 0x100, 0xffc };
	for (unsigned i = 0; i < ARRAY_SIZE(locked); i++) {
		assert_int_equal(pciguard_check(&g, hb, locked[i], 1, true), PCIGUARD_DROP);
		assert_int_equal(pciguard_check(&g, hb, locked[i], 1, false), PCIGUARD_PASS); /* reads pass */
		assert_int_equal(pciguard_check_cf8(&g, cf8(hb, locked[i]), (u16)(0xcfc + (locked[i] & 3)), 1, true),
				 PCIGUARD_DROP);
	}
	/* a word at 0x3f reaches 0x40: dropped */
	assert_int_equal(pciguard_check(&g, hb, 0x3f, 2, true), PCIGUARD_DROP);
	/* through 0xCF8: the dword 0x3c with a byte at port 0xcff is offset 0x3f: passes; 0x40 at 0xcfc does not */
	assert_int_equal(pciguard_check_cf8(&g, cf8(hb, 0x3c), 0xcff, 1, true), PCIGUARD_PASS);
	assert_int_equal(pciguard_check_cf8(&g, cf8(hb, 0x40), 0xcfc, 4, true), PCIGUARD_DROP);
	/* AMD's extended offset bits 27:24: 0x100 + 0x04 is locked, though bits 7:0 say 0x04 */
	assert_int_equal(pciguard_check_cf8(&g, cf8(hb, 0x104), 0xcfc, 4, true), PCIGUARD_DROP);
	/* without the lock (a guard that asks for none), the host bridge is like any function */
	g.lock_host_bridge = false;
	assert_int_equal(pciguard_check(&g, hb, 0x60, 4, true), PCIGUARD_PASS);
}

static void test_cf8_enable_and_ports(void **state)
{
	(void)state;
	struct pciguard g = guard();
	/* enable bit clear: the hardware decodes no configuration cycle, nothing to guard */
	assert_int_equal(pciguard_check_cf8(&g, cf8(PCI_BDF(0, 2, 0), 0) & ~BIT(31), 0xcfc, 4, false), PCIGUARD_PASS);
	/* ports other than the data ports decide nothing */
	assert_int_equal(pciguard_check_cf8(&g, cf8(PCI_BDF(0, 2, 0), 0), 0xcf9, 1, true), PCIGUARD_PASS);
	assert_int_equal(pciguard_check_cf8(&g, cf8(PCI_BDF(0, 2, 0), 0), 0xd00, 1, true), PCIGUARD_PASS);
	/* reserved bits 30:28 set do not hide the address */
	assert_int_equal(pciguard_check_cf8(&g, cf8(PCI_BDF(0, 2, 0), 0) | 0x70000000u, 0xcfc, 4, false),
			 PCIGUARD_ABSENT);
	/* the register's low two bits (type 0/1 on some chipsets) do not either */
	assert_int_equal(pciguard_check_cf8(&g, cf8(PCIGUARD_HOST_BRIDGE, 0x60) | 3, 0xcfc, 4, true), PCIGUARD_DROP);
}

static void test_hide_list(void **state)
{
	(void)state;
	struct pciguard g = { 0 };
	for (unsigned i = 0; i < PCIGUARD_MAX_HIDDEN; i++)
		assert_rc(pciguard_hide(&g, (u16)(0x100 + i)), 0);
	assert_rc(pciguard_hide(&g, 0x100), 0); /* a repeat takes no slot */
	assert_rc(pciguard_hide(&g, 0x200), -RAUM_ERANGE);
	assert_int_equal(g.nr_hidden, PCIGUARD_MAX_HIDDEN);
	for (unsigned i = 0; i < PCIGUARD_MAX_HIDDEN; i++)
		assert_int_equal(pciguard_check(&g, (u16)(0x100 + i), 8, 4, false), PCIGUARD_ABSENT);
}

/* Every 0xCF8 value a hostile root may write: a decision, never a fault; the hidden function never passes. */
static void test_random_cf8(void **state)
{
	(void)state;
	struct pciguard g = guard();
	u64 seed = 0x9c1f00d5eedULL;
	for (int i = 0; i < 200000; i++) {
		u32 v = (u32)unit_rand(&seed);
		u16 port = (u16)(0xcf8 + unit_rand(&seed) % 8);
		unsigned size = 1u << (unit_rand(&seed) % 3);
		bool write = unit_rand(&seed) & 1;
		enum pciguard_action a = pciguard_check_cf8(&g, v, port, size, write);
		assert_true(a == PCIGUARD_PASS || a == PCIGUARD_ABSENT || a == PCIGUARD_DROP);
		bool data = port >= 0xcfc;
		if (data && (v & BIT(31)) && ((v >> 8) & 0xffff) == PCI_BDF(0, 2, 0))
			assert_int_equal(a, PCIGUARD_ABSENT);
		if (a == PCIGUARD_DROP)
			assert_true(write && ((v >> 8) & 0xffff) == PCIGUARD_HOST_BRIDGE);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hidden_function_absent_everywhere),
		cmocka_unit_test(test_host_bridge_writes),
		cmocka_unit_test(test_cf8_enable_and_ports),
		cmocka_unit_test(test_hide_list),
		cmocka_unit_test(test_random_cf8),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
