// SPDX-License-Identifier: MIT
/*
 * spin: a guest that spins forever with interrupts off and never exits
 * to the root. The root stays responsive all the same: its own interrupts
 * end each dispatch (the INTR intercept with V_INTR_MASKING on AMD), so
 * its scheduler runs, and kill -9 of raumctl ends the guest.
 */
#include "guest.h"

uint32_t guest_main(uint32_t magic, const struct mb_info *mb)
{
	(void)magic;
	(void)mb;
	puts_serial("spin: spinning with interrupts off\n");
	for (volatile uint32_t i = 0;; i++)
		__asm__ volatile("cli");
	return 0;
}
