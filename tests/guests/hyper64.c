// SPDX-License-Identifier: MIT
/*
 * hyper64: a 64-bit flat guest (raumctl run --flat --mode 64) that makes
 * seeded random hypercalls: every code Raum knows and random ones, random
 * rep counts and start indexes, fast and memory forms, input and output
 * addresses inside its RAM, past it and in the ranges the root's Raum and
 * devices use. A child may make only the calls open to any partition: each
 * root-only call must come back ACCESS_DENIED, and no call with a memory
 * block may succeed (a child's blocks are refused until Raum reads child
 * memory through its SLAT). Prints the counts, exits 0 when all held, 1
 * otherwise (the first offending call printed).
 */
#include "guest.h"

#define ROOT_ONLY(c) (((c) >= 0x40 && (c) <= 0x51) || (c) == 0x4007)

static uint64_t seed = 0x5eed1234abcdULL;

static uint64_t rnd(void)
{
	seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
	return seed >> 16;
}

static int intel; /* VMCALL on Intel, VMMCALL on AMD (the other is #UD) */

static uint64_t hypercall(uint64_t control, uint64_t in, uint64_t out)
{
	uint64_t r;
	register uint64_t r8 __asm__("r8") = out;
	if (intel)
		__asm__ volatile("vmcall" : "=a"(r), "+c"(control), "+d"(in), "+r"(r8) : : "memory");
	else
		__asm__ volatile("vmmcall" : "=a"(r), "+c"(control), "+d"(in), "+r"(r8) : : "memory");
	return r;
}

static void put_hex64(uint64_t v)
{
	put_hex((uint32_t)(v >> 32));
	put_hex((uint32_t)v);
}

static const uint16_t codes[] = { 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4e,
				  0x4f, 0x50, 0x51, 0x4001, 0x4002, 0x4003, 0x4004, 0x4005, 0x4006, 0x4007 };
static const uint64_t addrs[] = { 0x200000, 0x200ff8, 0xfffff8, 0x1000000, 0x4000000, 0xfee00000, 0xfec00000,
				  0xffff0000, 0x100000000ULL, 0x7ffffffff000ULL, 0x1be26000 };

void guest_main64(void)
{
	uint32_t made = 0, ok = 0, denied = 0, refused = 0;

	uint32_t a, b, c, d;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0), "c"(0));
	intel = b == 0x756e6547; /* "Genu" */
	puts_serial("hyper64: random hypercalls from a child\n");
	for (int i = 0; i < 4000; i++) {
		uint64_t code = (rnd() & 3) ? codes[rnd() % (sizeof(codes) / sizeof(codes[0]))] : (rnd() & 0xffff);
		uint64_t control = code;
		if (rnd() & 1)
			control |= (rnd() & 0xfff) << 32; /* rep count */
		if (!(rnd() & 3))
			control |= (rnd() & 0xfff) << 48; /* rep start */
		if (!(rnd() & 3))
			control |= 1ULL << 16; /* fast */
		if (!(rnd() & 7))
			control |= rnd() << 17; /* reserved and variable-header bits */
		uint64_t in = (rnd() & 1) ? addrs[rnd() % (sizeof(addrs) / sizeof(addrs[0]))] : rnd() & ~7ULL;
		uint64_t out = (rnd() & 1) ? addrs[rnd() % (sizeof(addrs) / sizeof(addrs[0]))] : rnd() & ~7ULL;
		uint64_t r = hypercall(control, in, out);
		uint16_t st = (uint16_t)r;
		made++;
		if (st == 0) {
			ok++;
			/* only the fast Null call (0x4005) may succeed for a child */
			if (control != (0x4005 | (1ULL << 16))) {
				puts_serial("hyper64: call succeeded for a child: control ");
				put_hex64(control);
				puts_serial("\n");
				guest_exit(1);
			}
		} else if (st == 6) {
			denied++;
		} else {
			refused++; /* malformed (reserved bits, rep fields, blocks): INVALID_* before any effect */
		}
	}
	/* the partition-management calls by name: each must be ACCESS_DENIED */
	for (unsigned i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		uint64_t c = codes[i], rep = (c == 0x48 || c == 0x49 || c == 0x4b || c == 0x4c || c == 0x50 || c == 0x51);
		if (!ROOT_ONLY(c))
			continue;
		uint16_t st = (uint16_t)hypercall(c | (rep << 32), 0x200000, 0x201000);
		made++;
		if (st != 6) {
			puts_serial("hyper64: root-only call ");
			put_hex((uint32_t)c);
			puts_serial(" was not ACCESS_DENIED: ");
			put_hex(st);
			puts_serial("\n");
			guest_exit(1);
		}
		denied++;
	}
	puts_serial("hyper64: ");
	put_hex(made);
	puts_serial(" calls made, ");
	put_hex(ok);
	puts_serial(" succeeded (fast Null), ");
	put_hex(denied);
	puts_serial(" access denied, ");
	put_hex(refused);
	puts_serial(" refused as invalid\n");
	guest_exit(0);
}
