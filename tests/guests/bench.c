// SPDX-License-Identifier: MIT
/*
 * bench (make bench, tools/bench-part.sh): the cost of a port-I/O exit
 * handled by the root process (OUT to port 0x80: guest -> Raum -> raum.ko
 * -> raumctl -> back) and of a child's CPUID exit, which Raum handles
 * itself, in TSC ticks per exit ("n=N" of each, default 2000). Under QEMU
 * -icount the TSC counts instructions. Prints 'RAUM-BENCH <name> <ticks>'.
 */
#include "guest.h"

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/* u64 / u32 by shift and subtract: a 32-bit guest has no libgcc here. */
static uint64_t div64(uint64_t v, uint32_t d, uint32_t *rem)
{
	uint64_t q = 0, r = 0;
	for (int i = 63; i >= 0; i--) {
		r = (r << 1) | ((v >> i) & 1);
		if (r >= d) {
			r -= d;
			q |= 1ULL << i;
		}
	}
	*rem = (uint32_t)r;
	return q;
}

static void put_dec(uint64_t v)
{
	char b[24];
	int i = 0;
	uint32_t r;
	do {
		v = div64(v, 10, &r);
		b[i++] = (char)('0' + r);
	} while (v);
	while (i)
		putc_serial(b[--i]);
}

static void fig(const char *name, uint64_t ticks, uint32_t n)
{
	puts_serial("RAUM-BENCH ");
	puts_serial(name);
	putc_serial(' ');
	uint32_t r;
	put_dec(div64(ticks, n ? n : 1, &r));
	putc_serial('\n');
}

uint32_t guest_main(uint32_t magic, const struct mb_info *mb)
{
	uint32_t n = cmdline_u32(mb, "n", 2000), a, b, c, d;
	(void)magic;

	uint64_t t0 = rdtsc();
	for (uint32_t i = 0; i < n; i++)
		outb(0x80, (uint8_t)i);
	uint64_t t1 = rdtsc();
	for (uint32_t i = 0; i < n; i++)
		__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0), "c"(0));
	uint64_t t2 = rdtsc();
	fig("vm_pio_roundtrip", t1 - t0, n);
	fig("vm_cpuid", t2 - t1, n);
	return 0;
}
