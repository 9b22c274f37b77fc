/* SPDX-License-Identifier: MIT */
/*
 * The hypervisor's log. Every line is prefixed "[cpuN] L " with L one of
 * E W I D, goes to the in-memory ring (always) and to the serial console
 * (while the console is Raum's: once the root OS owns COM1, only a panic
 * writes there).
 */
#ifndef RAUM_LOG_H
#define RAUM_LOG_H

#include <raum/bootinfo.h>
#include <raum/logring.h>

void log_init(u16 serial_port, u32 baud, u8 level);
void log_printf(int level, const char *fmt, ...) __printf(2, 3);
/*
 * A line that shows Raum's physical addresses: whole on the serial console,
 * in the ring (raumctl log, the root's to read) with every 0x number masked
 * unless log_level is debug.
 */
void log_printf_addr(int level, const char *fmt, ...) __printf(2, 3);
/*
 * Writes raw text to the serial port whatever the console setting, and to
 * the ring (panic path). Never waits for long on a log lock: a panic while
 * this CPU (or a dead one) holds it still reaches the serial port.
 */
void log_emergency(const char *fmt, ...) __printf(1, 2);
/*
 * log_printf for NMI context: takes no lock it cannot get at once, and
 * drops the line from the ring or the console when that lock is busy (the
 * NMI may have interrupted this CPU inside log_printf).
 */
void log_nmi_printf(int level, const char *fmt, ...) __printf(2, 3);
void log_set_console(bool on);
/*
 * Once the root OS may own the serial port: the console goes quiet (the
 * ring keeps everything, read with `raumctl log`), unless log_level is
 * debug, which keeps Raum's lines on serial among the root's.
 */
void log_console_handover(void);
struct logring *log_ring(void);

#define pr_err(...) log_printf(RAUM_LOG_ERROR, __VA_ARGS__)
#define pr_warn(...) log_printf(RAUM_LOG_WARN, __VA_ARGS__)
#define pr_info(...) log_printf(RAUM_LOG_INFO, __VA_ARGS__)
#define pr_debug(...) log_printf(RAUM_LOG_DEBUG, __VA_ARGS__)
#define pr_info_addr(...) log_printf_addr(RAUM_LOG_INFO, __VA_ARGS__)

#endif
