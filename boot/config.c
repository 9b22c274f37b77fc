// SPDX-License-Identifier: MIT
/* raum.cfg parser: see include/raum/config.h for the format and contract. */
#include <raum/bootinfo.h>
#include <raum/config.h>
#include <raum/fmt.h>

void config_defaults(struct raum_config *c)
{
	c->serial_port = 0x3f8;
	c->serial_baud = 115200;
	c->log_level = RAUM_LOG_INFO;
	c->debug_fault = RAUM_FAULT_NONE;
	c->pool_mb = 32;
	c->iommu = RAUM_IOMMU_AUTO;
	c->root[0] = '\0';
	c->root_options[0] = '\0';
}

static bool is_space(char ch) { return ch == ' ' || ch == '\t' || ch == '\r'; }

static bool str_eq(const char *a, size_t alen, const char *b)
{
	size_t i = 0;
	for (; i < alen; i++) {
		char x = a[i], y = b[i];
		if (!y)
			return false;
		if (x >= 'A' && x <= 'Z')
			x += 'a' - 'A';
		if (x != y)
			return false;
	}
	return b[i] == '\0';
}

/* Parses a decimal or 0x-hex number that must fill [s, s + n). */
static bool parse_u64(const char *s, size_t n, u64 *out)
{
	u64 v = 0;
	unsigned base = 10;
	size_t i = 0;

	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (i == n)
		return false;
	for (; i < n; i++) {
		char ch = s[i];
		unsigned d;
		if (ch >= '0' && ch <= '9')
			d = ch - '0';
		else if (base == 16 && ch >= 'a' && ch <= 'f')
			d = ch - 'a' + 10;
		else if (base == 16 && ch >= 'A' && ch <= 'F')
			d = ch - 'A' + 10;
		else
			return false;
		if (v > (~0ULL - d) / base)
			return false; /* overflow */
		v = v * base + d;
	}
	*out = v;
	return true;
}

struct ctx {
	config_error_fn err;
	void *ctx;
	unsigned line;
	int errors;
};

static void report(struct ctx *x, const char *fmt, ...) __printf(2, 3);
static void report(struct ctx *x, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	x->errors++;
	if (!x->err)
		return;
	va_start(ap, fmt);
	raum_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	x->err(x->ctx, x->line, msg);
}

/* Looks value up in a NULL-terminated list of names; returns its index or -1. */
static int lookup(const char *v, size_t n, const char *const *names)
{
	for (int i = 0; names[i]; i++)
		if (str_eq(v, n, names[i]))
			return i;
	return -1;
}

static void copy_str(char *dst, size_t cap, const char *v, size_t n)
{
	size_t i = 0;
	for (; i < n && i + 1 < cap; i++)
		dst[i] = v[i];
	dst[i] = '\0';
}

static void set_key(struct ctx *x, struct raum_config *c, const char *k, size_t kn,
		    const char *v, size_t vn)
{
	static const char *const levels[] = { "error", "warn", "info", "debug", NULL };
	static const char *const faults[] = { "none", "page", "ud", "gp", "stack", "entry", "ap", NULL };
	static const char *const iommu_modes[] = { "auto", "required", "off", NULL };
	static const char *const coms[] = { "none", "com1", "com2", "com3", "com4", NULL };
	static const u16 com_ports[] = { 0, 0x3f8, 0x2f8, 0x3e8, 0x2e8 };
	u64 num;
	int i;

	if (str_eq(k, kn, "serial")) {
		if ((i = lookup(v, vn, coms)) >= 0)
			c->serial_port = com_ports[i];
		else if (parse_u64(v, vn, &num) && num > 0 && num <= 0xfff8)
			c->serial_port = (u16)num;
		else
			report(x, "serial must be com1..com4, none or an I/O port like 0x3f8, not '%.*s'",
			       (int)vn, v);
	} else if (str_eq(k, kn, "baud")) {
		if (parse_u64(v, vn, &num) && num >= 50 && num <= 115200 && 115200 % num == 0)
			c->serial_baud = (u32)num;
		else
			report(x, "baud must divide 115200 (e.g. 9600, 38400, 115200), not '%.*s'",
			       (int)vn, v);
	} else if (str_eq(k, kn, "log_level")) {
		if ((i = lookup(v, vn, levels)) >= 0)
			c->log_level = (u8)i;
		else
			report(x, "log_level must be error, warn, info or debug, not '%.*s'", (int)vn, v);
	} else if (str_eq(k, kn, "pool_mb")) {
		if (parse_u64(v, vn, &num) && num >= 4 && num <= 4096)
			c->pool_mb = (u32)num;
		else
			report(x, "pool_mb must be a number from 4 to 4096, not '%.*s'", (int)vn, v);
	} else if (str_eq(k, kn, "debug_fault")) {
		if ((i = lookup(v, vn, faults)) >= 0)
			c->debug_fault = (u8)i;
		else
			report(x, "debug_fault must be none, page, ud, gp, stack, entry or ap, not '%.*s'", (int)vn, v);
	} else if (str_eq(k, kn, "iommu")) {
		if ((i = lookup(v, vn, iommu_modes)) >= 0)
			c->iommu = (u8)i;
		else
			report(x, "iommu must be auto, required or off, not '%.*s'", (int)vn, v);
	} else if (str_eq(k, kn, "root")) {
		if (vn >= RAUM_CFG_PATH_MAX)
			report(x, "root path is longer than %d characters", RAUM_CFG_PATH_MAX - 1);
		else
			copy_str(c->root, sizeof(c->root), v, vn);
	} else if (str_eq(k, kn, "root_options")) {
		if (vn >= RAUM_CFG_OPTIONS_MAX)
			report(x, "root_options is longer than %d characters", RAUM_CFG_OPTIONS_MAX - 1);
		else
			copy_str(c->root_options, sizeof(c->root_options), v, vn);
	} else {
		report(x, "unknown key '%.*s' (known: serial, baud, log_level, pool_mb, root, "
			  "root_options, debug_fault, iommu)", (int)kn, k);
	}
}

int config_parse(const char *text, size_t len, struct raum_config *c, config_error_fn err, void *ectx)
{
	struct ctx x = { err, ectx, 0, 0 };
	size_t pos = 0;

	/* A NUL byte means UTF-16 (Notepad's "Unicode"): say so rather than list junk. */
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\0') {
			x.line = 1;
			report(&x, "the file holds NUL bytes: is it UTF-16? Save it as ASCII or UTF-8");
			return x.errors;
		}
	}
	/* skip a UTF-8 byte-order mark, which Windows editors write */
	if (len >= 3 && (u8)text[0] == 0xef && (u8)text[1] == 0xbb && (u8)text[2] == 0xbf)
		pos = 3;
	while (pos < len) {
		size_t start = pos, end;
		x.line++;
		while (pos < len && text[pos] != '\n')
			pos++;
		end = pos;
		pos++; /* past the newline */

		/* strip a comment that starts the line or follows whitespace */
		for (size_t i = start; i < end; i++) {
			if (text[i] == '#' && (i == start || is_space(text[i - 1]))) {
				end = i;
				break;
			}
		}
		while (start < end && is_space(text[start]))
			start++;
		while (end > start && is_space(text[end - 1]))
			end--;
		if (start == end)
			continue;
		size_t eq = start;
		while (eq < end && text[eq] != '=')
			eq++;
		if (eq == end) {
			report(&x, "expected 'key = value', got '%.*s'", (int)(end - start), text + start);
			continue;
		}
		size_t ke = eq, vs = eq + 1, ve = end;
		while (ke > start && is_space(text[ke - 1]))
			ke--;
		while (vs < ve && is_space(text[vs]))
			vs++;
		if (ke == start) {
			report(&x, "a key is missing before '='");
			continue;
		}
		if (ve - vs >= 2 && text[vs] == '"' && text[ve - 1] == '"') {
			vs++;
			ve--;
		}
		set_key(&x, c, text + start, ke - start, text + vs, ve - vs);
	}
	return x.errors;
}
