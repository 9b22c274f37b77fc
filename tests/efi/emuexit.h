/* SPDX-License-Identifier: MIT */
/*
 * Ends the emulator a test application runs in, for every app of tests/efi
 * (the suites through suite_finish in lib.c, marker.c, bench.c):
 *   QEMU   isa-debug-exit at port 0xf4 (tests/boot/qemu.sh): the process
 *          exits with status (code << 1) | 1, so EMU_EXIT_PASS gives 33 and
 *          EMU_EXIT_FAIL 35;
 *   Bochs  "Shutdown" written byte by byte to port 0x8900 (the BIOS
 *          shutdown port that bochsrc enables).
 * On real hardware neither port exists and emu_exit returns. Header-only, so
 * that the small apps need not link lib.c.
 */
#ifndef TESTS_EFI_EMUEXIT_H
#define TESTS_EFI_EMUEXIT_H

#define EMU_EXIT_PASS 0x10
#define EMU_EXIT_FAIL 0x11

static inline void emu_exit(unsigned char code)
{
	__asm__ volatile("outb %0, %1" ::"a"(code), "Nd"((unsigned short)0xf4));
	for (const char *s = "Shutdown"; *s; s++)
		__asm__ volatile("outb %0, %1" ::"a"((unsigned char)*s), "Nd"((unsigned short)0x8900));
}

#endif
