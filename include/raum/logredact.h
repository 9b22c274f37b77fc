/* SPDX-License-Identifier: MIT */
/*
 * Keeping Raum's physical addresses out of the log ring the root reads
 * (raumctl log) unless log_level is debug: see kernel/log.c,
 * log_printf_addr(). Pure code, unit-tested (tests/unit/test_logredact.c).
 */
#ifndef RAUM_LOGREDACT_H
#define RAUM_LOGREDACT_H

#include <raum/types.h>

#define LOG_REDACTED "[hidden]"

/*
 * Copies in[0..n) to out (size bytes, NUL-terminated, truncated to fit),
 * replacing every hexadecimal number written with a 0x prefix ("0x", then
 * one or more hex digits) by LOG_REDACTED. Returns the length written.
 */
size_t log_redact_hex(char *out, size_t size, const char *in, size_t n);

#endif
