/* SPDX-License-Identifier: MIT */
/* 16550 UART console (drivers/serial.c). */
#ifndef RAUM_SERIAL_H
#define RAUM_SERIAL_H

#include <raum/types.h>

/*
 * Programs the UART at I/O base 'port' for baud 8N1 with FIFOs. Returns
 * false (and leaves the console off) when port is 0 or no UART answers
 * there (scratch-register test), so a missing port never stalls output.
 */
bool serial_init(u16 port, u32 baud);
/* Writes n bytes, "\n" as "\r\n". Waits a bounded time per byte. */
void serial_write(const char *s, size_t n);
bool serial_present(void);

#endif
