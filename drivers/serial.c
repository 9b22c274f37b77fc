// SPDX-License-Identifier: MIT
/*
 * 16550 UART driver, polled. Register layout: PC16550D data sheet; the
 * divisor latch is reached with LCR.DLAB set.
 */
#include <raum/serial.h>
#include <raum/x86.h>

#define UART_THR 0 /* transmit holding (write) */
#define UART_IER 1
#define UART_DLL 0 /* divisor low, DLAB = 1 */
#define UART_DLH 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_SCR 7
#define LCR_DLAB 0x80
#define LCR_8N1 0x03
#define LSR_THRE 0x20
/* Spins allowed for the transmitter to drain one byte: about 1 ms at 115200. */
#define TX_SPIN_LIMIT 100000

static u16 uart_port;

bool serial_init(u16 port, u32 baud)
{
	uart_port = 0;
	if (!port || !baud)
		return false;
	/* A UART keeps what is written to its scratch register; an empty port reads 0xff. */
	outb(port + UART_SCR, 0x5a);
	if (inb(port + UART_SCR) != 0x5a)
		return false;
	u16 div = (u16)(115200 / baud);
	outb(port + UART_IER, 0x00);            /* polled: no interrupts */
	outb(port + UART_LCR, LCR_DLAB);
	outb(port + UART_DLL, div & 0xff);
	outb(port + UART_DLH, div >> 8);
	outb(port + UART_LCR, LCR_8N1);
	outb(port + UART_FCR, 0x07);            /* enable and clear FIFOs */
	outb(port + UART_MCR, 0x03);            /* DTR, RTS */
	uart_port = port;
	return true;
}

bool serial_present(void) { return uart_port != 0; }

static void put_byte(u8 c)
{
	for (int i = 0; i < TX_SPIN_LIMIT; i++) {
		if (inb(uart_port + UART_LSR) & LSR_THRE)
			break;
		cpu_relax();
	}
	outb(uart_port + UART_THR, c);
}

void serial_write(const char *s, size_t n)
{
	if (!uart_port)
		return;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			put_byte('\r');
		put_byte((u8)s[i]);
	}
}
