// SPDX-License-Identifier: MIT
/*
 * hello: the first test guest. Prints a line with what the boot loader
 * passed (the Multiboot magic, the memory size and the command line), then
 * leaves through the exit port with the status "exit=N" asks for (0 when
 * absent).
 */
#include "guest.h"

static void cpuid(uint32_t leaf, uint32_t *r)
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(0));
}

static void put_sig(const uint32_t *r)
{
	for (int i = 1; i < 4; i++)
		for (int k = 0; k < 4; k++)
			putc_serial((char)(r[i] >> (8 * k)));
}

uint32_t guest_main(uint32_t magic, const struct mb_info *mb)
{
	uint32_t r[4], svm;
	puts_serial("hello from a Raum child partition: magic ");
	put_hex(magic);
	puts_serial(", mem_upper ");
	put_hex(mb->mem_upper);
	puts_serial(" KiB, cmdline '");
	if (mb->flags & (1u << 2))
		puts_serial((const char *)(uintptr_t)mb->cmdline);
	puts_serial("'\n");
	/* what CPUID shows a child: no SVM, Raum's leaves, and raumctl's leaf (its CPUID intercept) */
	cpuid(0x80000001, r);
	svm = (r[2] >> 2) & 1;
	cpuid(0x40000000, r);
	puts_serial("hello: svm ");
	putc_serial((char)('0' + svm));
	puts_serial(", hypervisor '");
	put_sig(r);
	cpuid(0x40000100, r);
	puts_serial("', device model '");
	put_sig(r);
	puts_serial("' version ");
	put_hex(r[0]);
	/* raumctl's MSR (its intercept): the exits it handled so far, more than the characters printed */
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0x40000100));
	puts_serial(", device model exits ");
	puts_serial(lo > 100 && hi == 0 ? "counted" : "WRONG");
	puts_serial("\n");
	if (magic != 0x2badb002)
		return 100;
	return cmdline_u32(mb, "exit", 0);
}
