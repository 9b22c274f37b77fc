// SPDX-License-Identifier: MIT
/*
 * hello: the first test guest. Prints a line with what the boot loader
 * passed (the Multiboot magic, the memory size and the command line), then
 * leaves through the exit port with the status "exit=N" asks for (0 when
 * absent).
 */
#include "guest.h"

uint32_t guest_main(uint32_t magic, const struct mb_info *mb)
{
	puts_serial("hello from a Raum child partition: magic ");
	put_hex(magic);
	puts_serial(", mem_upper ");
	put_hex(mb->mem_upper);
	puts_serial(" KiB, cmdline '");
	if (mb->flags & (1u << 2))
		puts_serial((const char *)(uintptr_t)mb->cmdline);
	puts_serial("'\n");
	if (magic != 0x2badb002)
		return 100;
	return cmdline_u32(mb, "exit", 0);
}
