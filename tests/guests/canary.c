// SPDX-License-Identifier: MIT
/*
 * canary: a sibling that fills its RAM from 2 MiB up with a pattern and
 * keeps checking it while a hostile guest aims at its pages. It waits for a
 * byte on its serial input (raumctl passes its stdin), checks once more and
 * exits with 0 when every word held, 1 otherwise (the first address printed).
 */
#include "guest.h"

static uint32_t pattern(uint32_t a) { return (a * 2654435761u) ^ 0xc0ffee11u; }

static uint32_t check(uint32_t lo, uint32_t hi)
{
	for (uint32_t a = lo; a < hi; a += 4)
		if (*(volatile uint32_t *)(uintptr_t)a != pattern(a))
			return a;
	return 0;
}

uint32_t guest_main(uint32_t magic, const struct mb_info *mb)
{
	uint32_t lo = 0x200000, hi = 0x100000 + (mb->mem_upper << 10), bad;

	(void)magic;
	for (uint32_t a = lo; a < hi; a += 4)
		*(volatile uint32_t *)(uintptr_t)a = pattern(a);
	puts_serial("canary: ready, ");
	put_hex(hi - lo);
	puts_serial(" bytes\n");
	while (!(inb(0x3fd) & 1)) /* LSR.DR: a byte arrived */
		if ((bad = check(lo, hi)) != 0)
			goto broken;
	if ((bad = check(lo, hi)) != 0)
		goto broken;
	puts_serial("canary: intact\n");
	return 0;
broken:
	puts_serial("canary: changed at ");
	put_hex(bad);
	puts_serial("\n");
	return 1;
}
