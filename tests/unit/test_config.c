// SPDX-License-Identifier: MIT
/* boot/config.c: the raum.cfg parser. */
#include "unit.h"

#include <raum/bootinfo.h>
#include <raum/config.h>

struct errs {
	int n;
	unsigned line[16];
	char msg[16][160];
};

static void collect(void *ctx, unsigned line, const char *msg)
{
	struct errs *e = ctx;
	if (e->n < 16) {
		e->line[e->n] = line;
		snprintf(e->msg[e->n], sizeof(e->msg[0]), "%s", msg);
	}
	e->n++;
}

/* Parses a C string over the defaults; returns the parser's error count. */
static int parse(const char *text, struct raum_config *c, struct errs *e)
{
	memset(e, 0, sizeof(*e));
	config_defaults(c);
	int rc = config_parse(text, strlen(text), c, collect, e);
	assert_int_equal(rc, e->n);
	return rc;
}

static void assert_defaults(const struct raum_config *c)
{
	assert_int_equal(c->serial_port, 0x3f8);
	assert_int_equal(c->serial_baud, 115200);
	assert_int_equal(c->log_level, RAUM_LOG_INFO);
	assert_int_equal(c->debug_fault, RAUM_FAULT_NONE);
	assert_int_equal(c->pool_mb, 32);
	assert_int_equal(c->iommu, RAUM_IOMMU_AUTO);
	assert_string_equal(c->root, "");
	assert_string_equal(c->root_options, "");
}

static void test_defaults(void **state)
{
	(void)state;
	struct raum_config c;
	struct errs e;

	memset(&c, 0x5a, sizeof(c));
	config_defaults(&c);
	assert_defaults(&c);
	/* empty text, blank lines and comments only: still the defaults */
	assert_int_equal(parse("", &c, &e), 0);
	assert_defaults(&c);
	assert_int_equal(parse("\n\n   \n\t\n# serial = none\n   # pool_mb = 8\n", &c, &e), 0);
	assert_defaults(&c);
}

static void test_every_key(void **state)
{
	(void)state;
	struct raum_config c;
	struct errs e;

	assert_int_equal(parse("serial = com2\n"
			       "baud = 9600\n"
			       "log_level = debug\n"
			       "pool_mb = 64\n"
			       "root = \\EFI\\debian\\vmlinuz.efi\n"
			       "root_options = console=ttyS0 initrd=\\initrd.img\n"
			       "debug_fault = gp\n", &c, &e), 0);
	assert_int_equal(c.serial_port, 0x2f8);
	assert_int_equal(c.serial_baud, 9600);
	assert_int_equal(c.log_level, RAUM_LOG_DEBUG);
	assert_int_equal(c.pool_mb, 64);
	assert_string_equal(c.root, "\\EFI\\debian\\vmlinuz.efi");
	assert_string_equal(c.root_options, "console=ttyS0 initrd=\\initrd.img");
	assert_int_equal(c.debug_fault, RAUM_FAULT_GP);

	/* every value of the named keys */
	static const struct { const char *v; u16 port; } sp[] = {
		{ "none", 0 }, { "com1", 0x3f8 }, { "com2", 0x2f8 }, { "com3", 0x3e8 }, { "com4", 0x2e8 },
		{ "COM3", 0x3e8 }, { "0x2f8", 0x2f8 }, { "0X3E8", 0x3e8 }, { "1016", 0x3f8 },
		{ "0xfff8", 0xfff8 },
	};
	char line[64];
	for (size_t i = 0; i < ARRAY_SIZE(sp); i++) {
		snprintf(line, sizeof(line), "serial=%s", sp[i].v);
		assert_int_equal(parse(line, &c, &e), 0);
		assert_int_equal(c.serial_port, sp[i].port);
	}
	static const char *const levels[] = { "error", "warn", "info", "debug" };
	for (size_t i = 0; i < ARRAY_SIZE(levels); i++) {
		snprintf(line, sizeof(line), "log_level = %s", levels[i]);
		assert_int_equal(parse(line, &c, &e), 0);
		assert_int_equal(c.log_level, i);
	}
	static const char *const faults[] = { "none", "page", "ud", "gp", "stack" };
	static const u8 fault_val[] = { RAUM_FAULT_NONE, RAUM_FAULT_PAGE, RAUM_FAULT_UD, RAUM_FAULT_GP,
					RAUM_FAULT_STACK };
	for (size_t i = 0; i < ARRAY_SIZE(faults); i++) {
		snprintf(line, sizeof(line), "debug_fault = %s", faults[i]);
		assert_int_equal(parse(line, &c, &e), 0);
		assert_int_equal(c.debug_fault, fault_val[i]);
	}
	static const char *const iommus[] = { "auto", "required", "off", "Required" };
	static const u8 iommu_val[] = { RAUM_IOMMU_AUTO, RAUM_IOMMU_REQUIRED, RAUM_IOMMU_OFF, RAUM_IOMMU_REQUIRED };
	for (size_t i = 0; i < ARRAY_SIZE(iommus); i++) {
		snprintf(line, sizeof(line), "iommu = off\niommu = %s", iommus[i]);
		assert_int_equal(parse(line, &c, &e), 0);
		assert_int_equal(c.iommu, iommu_val[i]);
	}
	static const u32 bauds[] = { 50, 300, 1200, 9600, 38400, 57600, 115200 };
	for (size_t i = 0; i < ARRAY_SIZE(bauds); i++) {
		snprintf(line, sizeof(line), "baud = %u", bauds[i]);
		assert_int_equal(parse(line, &c, &e), 0);
		assert_int_equal(c.serial_baud, bauds[i]);
	}
	assert_int_equal(parse("pool_mb = 4\n", &c, &e), 0);
	assert_int_equal(c.pool_mb, 4);
	assert_int_equal(parse("pool_mb = 4096\n", &c, &e), 0);
	assert_int_equal(c.pool_mb, 4096);
	assert_int_equal(parse("pool_mb = 0x100\n", &c, &e), 0);
	assert_int_equal(c.pool_mb, 256);
	/* keys are case-insensitive, as Windows users type them */
	assert_int_equal(parse("Pool_MB = 8\nLOG_LEVEL = Warn\n", &c, &e), 0);
	assert_int_equal(c.pool_mb, 8);
	assert_int_equal(c.log_level, RAUM_LOG_WARN);
}

static void test_comments_whitespace_quotes(void **state)
{
	(void)state;
	struct raum_config c;
	struct errs e;

	assert_int_equal(parse("  \t serial\t=\tcom2   # the second port\n"
			       "# a whole-line comment\n"
			       "\tpool_mb=16#not a comment: no space before it\n", &c, &e), 1);
	assert_int_equal(c.serial_port, 0x2f8);
	assert_int_equal(e.line[0], 3);
	assert_non_null(strstr(e.msg[0], "pool_mb"));
	assert_int_equal(c.pool_mb, 32);

	/* '#' inside a value without a space before it is part of the value */
	assert_int_equal(parse("root_options = a#b c #comment\n", &c, &e), 0);
	assert_string_equal(c.root_options, "a#b c");
	/* quotes keep inner spaces and are removed */
	assert_int_equal(parse("root = \"\\EFI\\my os\\boot.efi\"\n"
			       "root_options = \"  spaced  \"\n", &c, &e), 0);
	assert_string_equal(c.root, "\\EFI\\my os\\boot.efi");
	assert_string_equal(c.root_options, "  spaced  ");
	/* a lone quote is not a pair: kept */
	assert_int_equal(parse("root_options = \"x\n", &c, &e), 0);
	assert_string_equal(c.root_options, "\"x");
	/* an '=' in the value belongs to the value */
	assert_int_equal(parse("root_options = root=/dev/sda1 quiet\n", &c, &e), 0);
	assert_string_equal(c.root_options, "root=/dev/sda1 quiet");
	/* an empty value clears a string */
	config_defaults(&c);
	assert_int_equal(config_parse("root = a\nroot =\n", 16, &c, NULL, NULL), 0);
	assert_string_equal(c.root, "");
}

static void test_line_endings_and_bom(void **state)
{
	(void)state;
	struct raum_config c;
	struct errs e;

	assert_int_equal(parse("serial = com3\r\nbaud = 38400\r\n\r\nbogus\r\npool_mb = 128\r\n", &c, &e), 1);
	assert_int_equal(c.serial_port, 0x3e8);
	assert_int_equal(c.serial_baud, 38400);
	assert_int_equal(c.pool_mb, 128);
	assert_int_equal(e.line[0], 4);
	assert_null(strchr(e.msg[0], '\r'));

	/* UTF-8 byte-order mark: skipped, line numbers unchanged */
	assert_int_equal(parse("\xef\xbb\xbfpool_mb = 64\nxyz = 1\n", &c, &e), 1);
	assert_int_equal(c.pool_mb, 64);
	assert_int_equal(e.line[0], 2);

	/* the last line needs no newline */
	assert_int_equal(parse("baud = 1200", &c, &e), 0);
	assert_int_equal(c.serial_baud, 1200);

	/* len bounds the text: nothing after it is read */
	const char text[] = "pool_mb = 16\npool_mb = 999";
	config_defaults(&c);
	assert_int_equal(config_parse(text, 13, &c, NULL, NULL), 0);
	assert_int_equal(c.pool_mb, 16);
	/* a cut inside a number parses what is there: "pool_mb = 1" is too small */
	config_defaults(&c);
	assert_int_equal(config_parse(text, 11, &c, NULL, NULL), 1);
	assert_int_equal(c.pool_mb, 32);
	config_defaults(&c);
	assert_int_equal(config_parse(text, 12, &c, NULL, NULL), 0);
	assert_int_equal(c.pool_mb, 16);
}

static void test_unknown_key_and_missing_eq(void **state)
{
	(void)state;
	struct raum_config c;
	struct errs e;

	assert_int_equal(parse("pool_mb = 8\n\n# x\nserail = com2\nbaud\n = 5\nlog_level = warn\n", &c, &e), 3);
	/* the other lines still apply, the bad ones keep defaults */
	assert_int_equal(c.pool_mb, 8);
	assert_int_equal(c.serial_port, 0x3f8);
	assert_int_equal(c.serial_baud, 115200);
	assert_int_equal(c.log_level, RAUM_LOG_WARN);
	assert_int_equal(e.line[0], 4);
	assert_non_null(strstr(e.msg[0], "unknown key 'serail'"));
	assert_non_null(strstr(e.msg[0], "serial")); /* lists the known keys */
	assert_int_equal(e.line[1], 5);
	assert_non_null(strstr(e.msg[1], "'baud'"));
	assert_non_null(strstr(e.msg[1], "key = value"));
	assert_int_equal(e.line[2], 6);
	assert_non_null(strstr(e.msg[2], "key is missing"));

	/* without a callback the count is still returned */
	config_defaults(&c);
	assert_int_equal(config_parse("a\nb = 1\n", 8, &c, NULL, NULL), 2);
}

static void test_bad_values(void **state)
{
	(void)state;
	static const struct { const char *line, *key; } bad[] = {
		{ "serial = com5", "serial" },
		{ "serial = 0", "serial" },
		{ "serial = 0x10000", "serial" },
		{ "serial = 0xfff9", "serial" },
		{ "serial = 0x", "serial" },
		{ "serial = 3f8", "serial" },
		{ "serial =", "serial" },
		{ "baud = 0", "baud" },
		{ "baud = 49", "baud" },
		{ "baud = 7", "baud" },
		{ "baud = 230400", "baud" },
		{ "baud = 10000", "baud" },  /* does not divide 115200 */
		{ "baud = fast", "baud" },
		{ "baud = 99999999999999999999999", "baud" }, /* overflows 64 bits */
		{ "log_level = verbose", "log_level" },
		{ "log_level = 2", "log_level" },
		{ "log_level = infos", "log_level" },
		{ "log_level = inf", "log_level" },
		{ "pool_mb = 3", "pool_mb" },
		{ "pool_mb = 4097", "pool_mb" },
		{ "pool_mb = -5", "pool_mb" },
		{ "pool_mb = 32MB", "pool_mb" },
		{ "iommu = on", "iommu" },
		{ "iommu = 1", "iommu" },
		{ "iommu = requiredx", "iommu" },
		{ "iommu =", "iommu" },
		{ "pool_mb = 0x", "pool_mb" },
		{ "pool_mb = 18446744073709551616", "pool_mb" },
		{ "debug_fault = df", "debug_fault" },
		{ "debug_fault = 1", "debug_fault" },
	};
	struct raum_config c;
	struct errs e;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char text[128];
		snprintf(text, sizeof(text), "# line one\n%s\n", bad[i].line);
		if (parse(text, &c, &e) != 1)
			fail_msg("'%s': %d errors", bad[i].line, e.n);
		assert_int_equal(e.line[0], 2);
		if (strncmp(e.msg[0], bad[i].key, strlen(bad[i].key)) != 0)
			fail_msg("'%s': message does not name the key: %s", bad[i].line, e.msg[0]);
		assert_defaults(&c);
	}
	/* the message quotes the bad value */
	parse("baud = 12345\n", &c, &e);
	assert_non_null(strstr(e.msg[0], "'12345'"));
}

static void test_nul_bytes(void **state)
{
	(void)state;
	/* "pool_mb = 8\r\n" as UTF-16LE with a BOM, as Notepad's "Unicode" writes */
	const char *ascii = "pool_mb = 8\r\nbaud = 9600\r\n";
	char utf16[128];
	size_t n = 0;
	utf16[n++] = (char)0xff;
	utf16[n++] = (char)0xfe;
	for (const char *p = ascii; *p; p++) {
		utf16[n++] = *p;
		utf16[n++] = 0;
	}
	struct raum_config c;
	struct errs e = { 0 };
	config_defaults(&c);
	assert_int_equal(config_parse(utf16, n, &c, collect, &e), 1);
	assert_int_equal(e.n, 1); /* once, not once per line */
	assert_int_equal(e.line[0], 1);
	assert_non_null(strstr(e.msg[0], "UTF-16"));
	assert_defaults(&c);

	/* a single NUL at the very end counts too */
	memset(&e, 0, sizeof(e));
	config_defaults(&c);
	assert_int_equal(config_parse("pool_mb = 8\n", 13, &c, collect, &e), 1);
	assert_int_equal(c.pool_mb, 32);
}

static void test_overlong_strings(void **state)
{
	(void)state;
	char text[1200], path[200];
	struct raum_config c;
	struct errs e;

	/* 127 characters fit; 128 do not */
	memset(path, 'p', sizeof(path));
	path[RAUM_CFG_PATH_MAX - 1] = '\0';
	snprintf(text, sizeof(text), "root = %s\n", path);
	assert_int_equal(parse(text, &c, &e), 0);
	assert_int_equal(strlen(c.root), RAUM_CFG_PATH_MAX - 1);

	path[RAUM_CFG_PATH_MAX - 1] = 'p';
	path[RAUM_CFG_PATH_MAX] = '\0';
	snprintf(text, sizeof(text), "root = \\EFI\\x.efi\nroot = %s\n", path);
	assert_int_equal(parse(text, &c, &e), 1);
	assert_int_equal(e.line[0], 2);
	assert_non_null(strstr(e.msg[0], "root path"));
	assert_non_null(strstr(e.msg[0], "127"));
	assert_string_equal(c.root, "\\EFI\\x.efi"); /* the earlier value stays */

	char opts[RAUM_CFG_OPTIONS_MAX + 2];
	memset(opts, 'o', sizeof(opts));
	opts[RAUM_CFG_OPTIONS_MAX] = '\0';
	snprintf(text, sizeof(text), "root_options = %s\n", opts);
	assert_int_equal(parse(text, &c, &e), 1);
	assert_non_null(strstr(e.msg[0], "root_options"));
	assert_string_equal(c.root_options, "");
	opts[RAUM_CFG_OPTIONS_MAX - 1] = '\0';
	snprintf(text, sizeof(text), "root_options = %s\n", opts);
	assert_int_equal(parse(text, &c, &e), 0);
	assert_int_equal(strlen(c.root_options), RAUM_CFG_OPTIONS_MAX - 1);

	/* an unknown key of any length is reported without overflowing the message */
	memset(text, 'k', 600);
	strcpy(text + 600, " = 1\n");
	assert_int_equal(parse(text, &c, &e), 1);
	assert_true(strlen(e.msg[0]) < 160);
	assert_non_null(strstr(e.msg[0], "unknown key"));
}

static void test_later_key_wins(void **state)
{
	(void)state;
	struct raum_config c;
	struct errs e;

	assert_int_equal(parse("pool_mb = 8\nserial = com2\npool_mb = 16\nserial = none\n"
			       "root = a\nroot = b\n", &c, &e), 0);
	assert_int_equal(c.pool_mb, 16);
	assert_int_equal(c.serial_port, 0);
	assert_string_equal(c.root, "b");
	/* a bad later value does not undo a good earlier one */
	assert_int_equal(parse("pool_mb = 8\npool_mb = 1\n", &c, &e), 1);
	assert_int_equal(c.pool_mb, 8);
	/* parsing over existing values: keys not named keep theirs */
	struct raum_config d;
	config_defaults(&d);
	d.pool_mb = 100;
	assert_int_equal(config_parse("baud = 300", 10, &d, NULL, NULL), 0);
	assert_int_equal(d.pool_mb, 100);
	assert_int_equal(d.serial_baud, 300);
}

static void test_shipped_file(void **state)
{
	(void)state;
	/* boot/raum.cfg as shipped parses without a complaint */
	FILE *fp = fopen("boot/raum.cfg", "rb");
	if (!fp)
		skip();
	char text[4096];
	size_t n = fread(text, 1, sizeof(text), fp);
	fclose(fp);
	struct raum_config c;
	struct errs e = { 0 };
	config_defaults(&c);
	assert_int_equal(config_parse(text, n, &c, collect, &e), 0);
	assert_int_equal(c.serial_port, 0x3f8);
	assert_int_equal(c.pool_mb, 32);
	assert_string_equal(c.root, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_comments_whitespace_quotes),
		cmocka_unit_test(test_line_endings_and_bom),
		cmocka_unit_test(test_unknown_key_and_missing_eq),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_nul_bytes),
		cmocka_unit_test(test_overlong_strings),
		cmocka_unit_test(test_later_key_wins),
		cmocka_unit_test(test_shipped_file),
	};
	return cmocka_run_group_tests_name("config", tests, NULL, NULL) ? 1 : 0;
}
