// SPDX-License-Identifier: MIT
/*
 * hostile: one access outside the guest's own memory, as the command line
 * says: "op=read|write|jump addr=0x...". Its memory is GPA 0 up to the size
 * raumctl gave it; every other address is unmapped in its SLAT, so the
 * access ends the guest (raumctl: "outside its memory", status 4) and
 * reaches nothing: the test plants canaries at the physical addresses it
 * aims at (the root's pages, Raum's neighbours, a sibling child's RAM) and
 * checks them afterwards. Returning means the access went through: 3.
 */
#include "guest.h"

uint32_t guest_main(uint32_t magic, const struct mb_info *mb)
{
	uint32_t op = cmdline_u32(mb, "op", 0), addr = cmdline_u32(mb, "addr", 0);
	volatile uint32_t *p = (volatile uint32_t *)(uintptr_t)addr;

	(void)magic;
	puts_serial("hostile: op ");
	put_hex(op);
	puts_serial(" at ");
	put_hex(addr);
	puts_serial("\n");
	if (op == 1) {
		uint32_t v = *p;
		puts_serial("hostile: read ");
		put_hex(v);
		puts_serial("\n");
	} else if (op == 2) {
		*p = 0x41414141;
	} else if (op == 3) {
		((void (*)(void))(uintptr_t)addr)();
	}
	puts_serial("hostile: the access went through\n");
	return 3;
}
