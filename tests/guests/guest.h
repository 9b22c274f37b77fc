/* SPDX-License-Identifier: MIT */
/* What the test guests share: port I/O, the serial port, the exit port, the Multiboot info. */
#ifndef GUEST_H
#define GUEST_H

#include <stdint.h>

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void putc_serial(char c)
{
	while (!(inb(0x3fd) & 0x20)) /* LSR: transmitter holding register empty */
		;
	outb(0x3f8, (uint8_t)c);
}

static inline void puts_serial(const char *s)
{
	while (*s)
		putc_serial(*s++);
}

static inline void put_hex(uint32_t v)
{
	for (int i = 28; i >= 0; i -= 4)
		putc_serial("0123456789abcdef"[(v >> i) & 0xf]);
}

/* isa-debug-exit: raumctl (and QEMU) exit with (code << 1) | 1. */
static inline __attribute__((noreturn)) void guest_exit(uint32_t code)
{
	outl(0xf4, code);
	for (;;)
		__asm__ volatile("cli; hlt");
}

struct mb_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
};

/* The value of "key=" in the command line (decimal or 0x hex), or def. */
static inline uint32_t cmdline_u32(const struct mb_info *mb, const char *key, uint32_t def)
{
	if (!(mb->flags & (1u << 2)))
		return def;
	for (const char *p = (const char *)(uintptr_t)mb->cmdline; *p; p++) {
		const char *k = key, *q = p;
		while (*k && *q == *k) {
			k++;
			q++;
		}
		if (*k || *q != '=' || (p != (const char *)(uintptr_t)mb->cmdline && p[-1] != ' '))
			continue;
		q++;
		uint32_t v = 0, base = 10;
		if (q[0] == '0' && q[1] == 'x') {
			base = 16;
			q += 2;
		}
		for (;; q++) {
			uint32_t d;
			if (*q >= '0' && *q <= '9')
				d = (uint32_t)(*q - '0');
			else if (base == 16 && *q >= 'a' && *q <= 'f')
				d = (uint32_t)(*q - 'a' + 10);
			else
				break;
			v = v * base + d;
		}
		return v;
	}
	return def;
}

#endif
