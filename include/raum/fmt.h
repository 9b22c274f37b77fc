/* SPDX-License-Identifier: MIT */
/*
 * A small printf-style formatter, freestanding, shared by the hypervisor and
 * the loader (and unit-tested on the host).
 *
 * Conversions: %d %i %u %x %X %o %c %s %p %%; flags '-', '0', '#', '+', ' ';
 * field width and precision (numbers or '*'); length modifiers hh h l ll z j t.
 * %p prints 0x followed by 16 hex digits. A NULL %s prints "(null)".
 */
#ifndef RAUM_FMT_H
#define RAUM_FMT_H

#include <stdarg.h>
#include <raum/types.h>

/*
 * Formats into buf (size bytes, NUL-terminated whenever size > 0).
 * Returns the length the whole output would have had, like C99 vsnprintf,
 * so a return value >= size means the output was truncated.
 */
int raum_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int raum_snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);

#endif
