// SPDX-License-Identifier: MIT
/*
 * triple: a guest that triple-faults. An IDT of limit 0 makes INT3's
 * delivery a #GP, that one's a #DF, and the #DF's a shutdown (SDM vol. 3A
 * 6.15, "Interrupt 8"). Only this child ends: raumctl reports the triple
 * fault with the VP's state and exits with 4; the root and Raum go on.
 */
#include "guest.h"

uint32_t guest_main(uint32_t magic, const struct mb_info *mb)
{
	static const struct __attribute__((packed)) {
		uint16_t limit;
		uint32_t base;
	} idt = { 0, 0 };

	(void)magic;
	(void)mb;
	puts_serial("triple: faulting now\n");
	__asm__ volatile("lidt %0\n\tmov $0x7b7b7b7b, %%esi\n\tint3" ::"m"(idt) : "esi");
	puts_serial("triple: still running after the fault?\n");
	return 99;
}
