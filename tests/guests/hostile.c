// SPDX-License-Identifier: MIT
/*
 * hostile: one access outside the guest's own memory, as the command line
 * says: "op=1|2|3 addr=0x..." (read, write, jump). Its memory is GPA 0 up
 * to the size raumctl gave it; every other address is unmapped in its SLAT,
 * so the access exits to raumctl, which treats it as unassigned MMIO: a
 * read gets all-ones (exit 0x10; anything else is a leak: 0x11), a write is
 * dropped (0x12), a jump stops the guest (raumctl: status 4). The test
 * plants canaries at the physical addresses it aims at (the root's pages,
 * Raum's and its neighbour, a sibling child's RAM) and checks them after.
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
		return v == 0xffffffffu ? 0x10 : 0x11;
	}
	if (op == 2) {
		*p = 0x41414141;
		return 0x12;
	}
	((void (*)(void))(uintptr_t)addr)();
	puts_serial("hostile: the jump came back\n");
	return 0x13;
}
