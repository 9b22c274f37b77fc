// SPDX-License-Identifier: MIT
/* Log lines to the ring and the serial console: see include/raum/log.h. */
#include <raum/cpu.h>
#include <raum/fmt.h>
#include <raum/log.h>
#include <raum/logredact.h>
#include <raum/serial.h>

#define LOG_RING_SIZE (64 * 1024)
#define LINE_MAX 256

static char ring_buf[LOG_RING_SIZE];
static struct logring ring;
static u8 log_level = RAUM_LOG_INFO;
static bool console_on;

void log_init(u16 serial_port, u32 baud, u8 level)
{
	logring_init(&ring, ring_buf, sizeof(ring_buf));
	log_level = level;
	console_on = serial_init(serial_port, baud);
}

void log_set_console(bool on) { console_on = on && serial_present(); }
struct logring *log_ring(void) { return &ring; }

void log_console_handover(void)
{
	if (log_level >= RAUM_LOG_DEBUG) {
		pr_info("log_level is debug: Raum keeps writing to the serial port");
		return;
	}
	pr_info("the serial port now belongs to the root; Raum logs to its ring (raumctl log)");
	console_on = false;
}

static void log_vprintf(int level, bool addr, const char *fmt, va_list ap)
{
	static const char tag[] = "EWID";
	char line[LINE_MAX];
	int n;

	if (level > log_level)
		return;
	n = raum_snprintf(line, sizeof(line), "[cpu%u] %c ", cpu_id(), tag[level & 3]);
	n += raum_vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (n >= (int)sizeof(line) - 1) {
		/* truncated: end it visibly and with a newline */
		n = sizeof(line) - 1;
		line[n - 4] = '.';
		line[n - 3] = '.';
		line[n - 2] = '.';
		line[n - 1] = '\n';
	} else if (line[n - 1] != '\n') {
		line[n++] = '\n';
		line[n] = '\0';
	}
	if (addr && log_level < RAUM_LOG_DEBUG) {
		char masked[LINE_MAX];
		size_t m = log_redact_hex(masked, sizeof(masked), line, (size_t)n);

		logring_write(&ring, masked, m);
	} else {
		logring_write(&ring, line, n);
	}
	if (console_on)
		serial_write(line, n);
}

void log_printf(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprintf(level, false, fmt, ap);
	va_end(ap);
}

/*
 * The serial console (Raum's until the handover; a UART's output cannot be
 * read back by the root) gets the line whole; the ring, which the root reads
 * with raumctl log, gets it with its hex numbers masked unless log_level is
 * debug: Raum's physical layout is no business of the root's.
 */
void log_printf_addr(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprintf(level, true, fmt, ap);
	va_end(ap);
}

void log_emergency(const char *fmt, ...)
{
	char line[LINE_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = raum_vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(line))
		n = sizeof(line) - 1;
	logring_write(&ring, line, n);
	serial_write(line, n);
}
