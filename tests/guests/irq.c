// SPDX-License-Identifier: MIT
/*
 * irq: takes the serial port's receive interrupt. Programs the PICs (vector
 * base 0x20, only IRQ 4 unmasked), enables the UART's receive interrupt and
 * halts with interrupts on; each byte raumctl reads from its stdin comes as
 * an interrupt (raumctl raises it, Raum injects it when RFLAGS.IF allows and
 * wakes the halted VP). Echoes each byte; at 'q' exits with the number of
 * interrupts taken.
 */
#include "guest.h"

struct __attribute__((packed)) gate {
	uint16_t off_lo, sel;
	uint8_t zero, type;
	uint16_t off_hi;
};

static struct gate idt[0x30] __attribute__((aligned(8)));
static volatile uint32_t irqs, done;

void irq_handler(void)
{
	irqs++;
	while (inb(0x3fd) & 1) {
		char c = (char)inb(0x3f8);
		if (c == '\n')
			continue;
		puts_serial("irq: got '");
		putc_serial(c);
		puts_serial("'\n");
		if (c == 'q')
			done = 1;
	}
	outb(0x20, 0x20); /* EOI */
}

void irq_stub(void);
__asm__(".globl irq_stub\nirq_stub:\n\tpushal\n\tcld\n\tcall irq_handler\n\tpopal\n\tiret\n");

uint32_t guest_main(uint32_t magic, const struct mb_info *mb)
{
	static const struct __attribute__((packed)) {
		uint16_t limit;
		uint32_t base;
	} idtr = { sizeof(idt) - 1, (uint32_t)(uintptr_t)idt };
	uint32_t h = (uint32_t)(uintptr_t)irq_stub;

	(void)magic;
	(void)mb;
	idt[0x24] = (struct gate){ (uint16_t)h, 0x08, 0, 0x8e, (uint16_t)(h >> 16) }; /* 32-bit interrupt gate */
	__asm__ volatile("lidt %0" ::"m"(idtr));
	outb(0x20, 0x11); outb(0x21, 0x20); outb(0x21, 0x04); outb(0x21, 0x01); /* master: ICW1-4, base 0x20 */
	outb(0xa0, 0x11); outb(0xa1, 0x28); outb(0xa1, 0x02); outb(0xa1, 0x01); /* slave: base 0x28 */
	outb(0x21, 0xef); /* only IRQ 4 */
	outb(0xa1, 0xff);
	outb(0x3f9, 0x01); /* IER: received data available */
	puts_serial("irq: waiting for input\n");
	while (!done)
		__asm__ volatile("sti; hlt; cli");
	puts_serial("irq: done\n");
	return irqs;
}
