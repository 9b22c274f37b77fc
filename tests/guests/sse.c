// SPDX-License-Identifier: MIT
/*
 * sse: keeps values in XMM0-7 (and YMM0-7 where AVX is there) across many
 * exits to the root, whose process fills the same registers with its own
 * values meanwhile (parttest sse): neither may see the other's. Exits with
 * 0 when every check held, 1 at the first register that changed (its
 * number printed). "rounds=N" sets the number of exits (port 0x80 writes),
 * "noavx=1" keeps to XMM with XCR0 at its reset value.
 */
#include "guest.h"

static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
	__asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(sub));
}

#define SET(n) __asm__ volatile("vbroadcastss %0, %%ymm" #n ::"m"(v[n]))
#define SETX(n) __asm__ volatile("movd %0, %%xmm" #n "\n\tpshufd $0, %%xmm" #n ", %%xmm" #n ::"m"(v[n]))
#define GET(n) __asm__ volatile("vmovdqu %%ymm" #n ", %0" : "=m"(out[n]))
#define GETX(n) __asm__ volatile("movdqu %%xmm" #n ", %0" : "=m"(out[n]))

uint32_t guest_main(uint32_t magic, const struct mb_info *mb)
{
	uint32_t a, b, c, d, rounds = cmdline_u32(mb, "rounds", 20000);
	static uint32_t v[8];
	static uint32_t out[8][8] __attribute__((aligned(32)));
	(void)magic;

	cpuid(1, 0, &a, &b, &c, &d);
	/* SSE: CR0.EM off, MP on; CR4.OSFXSR and OSXMMEXCPT */
	__asm__ volatile("mov %%cr0, %0\n\tand $~4, %0\n\tor $2, %0\n\tmov %0, %%cr0\n\t"
			 "mov %%cr4, %0\n\tor $0x600, %0\n\tmov %0, %%cr4" : "=&r"(a));
	/* noavx=1: XMM only, XCR0 left at its reset value (x87): SSE runs all the same, and what this guest
	 * keeps in XMM must not go with XCR0 */
	int avx = (c & (1u << 28)) && (c & (1u << 26)) && !cmdline_u32(mb, "noavx", 0);
	if (avx) {
		__asm__ volatile("mov %%cr4, %0\n\tor $0x40000, %0\n\tmov %0, %%cr4" : "=&r"(a)); /* OSXSAVE */
		__asm__ volatile("xsetbv" ::"a"(7), "d"(0), "c"(0));
	}
	puts_serial(avx ? "sse: checking YMM0-7 across exits\n" : "sse: checking XMM0-7 across exits\n");
	for (int i = 0; i < 8; i++)
		v[i] = 0x5e5e0000u + (uint32_t)i * 0x01010101u;
	if (avx) {
		SET(0); SET(1); SET(2); SET(3); SET(4); SET(5); SET(6); SET(7);
	} else {
		SETX(0); SETX(1); SETX(2); SETX(3); SETX(4); SETX(5); SETX(6); SETX(7);
	}
	for (uint32_t r = 0; r < rounds; r++) {
		outb(0x80, (uint8_t)r); /* an exit to the root process */
		if (avx) {
			GET(0); GET(1); GET(2); GET(3); GET(4); GET(5); GET(6); GET(7);
		} else {
			GETX(0); GETX(1); GETX(2); GETX(3); GETX(4); GETX(5); GETX(6); GETX(7);
		}
		for (int i = 0; i < 8; i++)
			for (int k = 0; k < (avx ? 8 : 4); k++)
				if (out[i][k] != v[i]) {
					puts_serial("sse: register ");
					put_hex((uint32_t)i);
					puts_serial(" changed to ");
					put_hex(out[i][k]);
					puts_serial(" after round ");
					put_hex(r);
					puts_serial("\n");
					return 1;
				}
	}
	puts_serial("sse: every register held across ");
	put_hex(rounds);
	puts_serial(" exits\n");
	return 0;
}
