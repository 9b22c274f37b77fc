// SPDX-License-Identifier: MIT
/* Log lines to the ring and the serial console: see include/raum/log.h. */
#include <raum/cpu.h>
#include <raum/fmt.h>
#include <raum/log.h>
#include <raum/logredact.h>
#include <raum/serial.h>
#include <raum/spinlock.h>

#define LOG_RING_SIZE (64 * 1024)
#define LINE_MAX 256

static char ring_buf[LOG_RING_SIZE];
static struct logring ring;
static u8 log_level = RAUM_LOG_INFO;
static bool console_on;
/*
 * Keeps each line whole on the serial port when CPUs log at once. Separate
 * from the ring's lock and never held with it (docs/locking.md): the ring
 * lock is held for a copy, this one for as long as the UART takes.
 */
static struct spinlock console_lock;

/*
 * How long the panic path tries a log lock before it goes on without it:
 * 2^20 PAUSEs, some milliseconds (a PAUSE takes from about 10 cycles to
 * about 140 since Skylake, per Intel's optimization manual). A lock still
 * held then belongs to a CPU that died or to this CPU, which faulted inside
 * the log: waiting longer would hang the panic.
 */
#define EMERGENCY_SPINS (1u << 20)

static void console_write(const char *s, size_t n, bool wait)
{
	if (wait) {
		spin_lock(&console_lock);
	} else if (!spin_trylock(&console_lock)) {
		return; /* NMI context: drop the console copy, the ring has the line */
	}
	serial_write(s, n);
	spin_unlock(&console_lock);
}

void log_init(u16 serial_port, u32 baud, u8 level)
{
	logring_init(&ring, ring_buf, sizeof(ring_buf));
	spin_init(&console_lock);
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

/*
 * wait = false: the NMI handler's mode (an NMI may arrive while this CPU
 * holds either log lock): each lock is tried once and the line dropped from
 * whatever is busy.
 */
static void log_vprintf(int level, bool addr, bool wait, const char *fmt, va_list ap)
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

		if (wait)
			logring_write(&ring, masked, m);
		else
			logring_trywrite(&ring, masked, m);
	} else if (wait) {
		logring_write(&ring, line, n);
	} else {
		logring_trywrite(&ring, line, n);
	}
	if (console_on)
		console_write(line, n, wait);
}

void log_printf(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprintf(level, false, true, fmt, ap);
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
	log_vprintf(level, true, true, fmt, ap);
	va_end(ap);
}

void log_nmi_printf(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprintf(level, false, false, fmt, ap);
	va_end(ap);
}

/*
 * The panic path takes no lock it may not get: the ring copy is dropped,
 * and the serial copy written without the console lock, when either lock
 * stays held for EMERGENCY_SPINS (a CPU that faulted inside log_vprintf
 * holds one; a CPU that died holding one never lets go). Without the lock
 * the line may interleave with another CPU's on serial: better than none.
 */
void log_emergency(const char *fmt, ...)
{
	char line[LINE_MAX];
	va_list ap;
	bool console_held = false;
	int n;

	va_start(ap, fmt);
	n = raum_vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(line))
		n = sizeof(line) - 1;
	for (u32 i = 0; i < EMERGENCY_SPINS && !logring_trywrite(&ring, line, n); i++)
		spin_pause();
	for (u32 i = 0; i < EMERGENCY_SPINS && !(console_held = spin_trylock(&console_lock)); i++)
		spin_pause();
	serial_write(line, n);
	if (console_held)
		spin_unlock(&console_lock);
}
