// SPDX-License-Identifier: MIT
/*
 * tools/raumd/vmconfig.c: a VM's config file. The defaults; every key's
 * good values; every class of error, its message naming the file, the line,
 * the field and the bad value; quoting, comments and CRLF; loading a file and
 * checking the files it names; `raumctl run`'s arguments taken apart again
 * as run.c does; the JSON. 20000 seeded mutations of a valid file either
 * parse or fail with a message starting with the file name (ASan and UBSan
 * watch every access).
 */
#include "unit.h"

#include <fcntl.h>
#include <json-c/json.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../tools/raumd/vmconfig.h"

static struct vmconfig c;
static char err[512];

static int parse(const char *text)
{
	err[0] = '\0';
	return vmconfig_parse("/etc/raum/t.conf", text, strlen(text), &c, err, sizeof(err));
}

/* text parses; a failure prints the message */
static void expect_ok(const char *text)
{
	int rc = parse(text);
	if (rc)
		print_message("refused: %s\n", err);
	assert_int_equal(rc, 0);
}

/* text is refused with a message starting with "/etc/raum/t.conf<where>" and holding what */
static void expect_err(const char *text, const char *where, const char *what)
{
	char head[256];

	snprintf(head, sizeof(head), "/etc/raum/t.conf%s", where);
	int rc = parse(text);
	if (rc != -1 || strncmp(err, head, strlen(head)) != 0 || !strstr(err, what))
		print_message("text '%s'\n  rc %d, message '%s'\n  expected '%s...%s'\n", text, rc, err, head, what);
	assert_int_equal(rc, -1);
	assert_memory_equal(err, head, strlen(head));
	assert_non_null(strstr(err, what));
}

#define BASE "name = web\nimage = /guests/hello.elf\n" /* lines 1 and 2 */

static void test_defaults(void **state)
{
	(void)state;
	expect_ok(BASE);
	assert_string_equal(c.name, "web");
	assert_string_equal(c.image, "/guests/hello.elf");
	assert_int_equal(c.mem_mb, 16);
	assert_int_equal(c.vps, 1);
	assert_int_equal(c.kind, VM_MULTIBOOT);
	assert_false(c.has_load || c.has_entry || c.has_cmdline);
	assert_string_equal(c.cmdline, "");
	assert_int_equal(c.nmodules, 0);
	assert_string_equal(c.console_log, "/var/log/raum/web.console");
	assert_int_equal(c.stop_timeout_s, 30);
	assert_int_equal(c.line[VMC_NAME], 1);
	assert_int_equal(c.line[VMC_IMAGE], 2);
	assert_int_equal(c.line[VMC_MEMORY], 0);
	assert_string_equal(c.file, "/etc/raum/t.conf");
	/* no line ending at the end, blanks everywhere, comments */
	expect_ok("# a VM\n\n   # indented comment\n\t name\t=\tdb.1_x-y   # trailing comment\nimage=/a/b");
	assert_string_equal(c.name, "db.1_x-y");
	assert_string_equal(c.image, "/a/b");
	assert_int_equal(c.line[VMC_NAME], 4);
	assert_int_equal(c.line[VMC_IMAGE], 5);
	assert_string_equal(vmconfig_key_name(VMC_STOP_TIMEOUT), "stop_timeout");
	assert_string_equal(vmconfig_kind_name(VM_FLAT64), "flat64");
}

static void test_good_values(void **state)
{
	(void)state;
	static const struct { const char *v; unsigned mb; } mem[] = {
		{ "64", 64 }, { "64M", 64 }, { "1G", 1024 }, { "1g", 1024 }, { "2", 2 }, { "1024", 1024 },
		{ "1024m", 1024 }, { "0100", 100 },
	};
	char text[256];

	for (size_t i = 0; i < sizeof(mem) / sizeof(mem[0]); i++) {
		snprintf(text, sizeof(text), BASE "memory = %s\n", mem[i].v);
		expect_ok(text);
		assert_int_equal(c.mem_mb, mem[i].mb);
		assert_int_equal(c.line[VMC_MEMORY], 3);
	}
	static const struct { const char *v; unsigned s; } to[] = { { "0", 0 }, { "3600", 3600 }, { "45s", 45 } };
	for (size_t i = 0; i < sizeof(to) / sizeof(to[0]); i++) {
		snprintf(text, sizeof(text), BASE "stop_timeout = %s\n", to[i].v);
		expect_ok(text);
		assert_int_equal(c.stop_timeout_s, to[i].s);
	}
	expect_ok(BASE "vps = 1\n");
	assert_int_equal(c.vps, 1);
	expect_ok("name = abcdefghijklmnopqrstuvwxyz012345\nimage = /x\n"); /* 32 characters */
	assert_string_equal(c.name, "abcdefghijklmnopqrstuvwxyz012345");
	expect_ok(BASE "kind = multiboot\ncmdline = exit=21 greeting\nconsole_log = /tmp/web.log\n");
	assert_string_equal(c.cmdline, "exit=21 greeting");
	assert_true(c.has_cmdline);
	assert_string_equal(c.console_log, "/tmp/web.log");
	expect_ok(BASE "cmdline =\n"); /* an empty command line is given, and passed */
	assert_true(c.has_cmdline);
	assert_string_equal(c.cmdline, "");
	expect_ok(BASE "module = /m/a\nmodule = /m/b  x=1 y  \nmodule=/m/c rw\n");
	assert_int_equal(c.nmodules, 3);
	assert_string_equal(c.module[0].path, "/m/a");
	assert_string_equal(c.module[0].args, "");
	assert_string_equal(c.module[1].path, "/m/b");
	assert_string_equal(c.module[1].args, "x=1 y");
	assert_string_equal(c.module[2].args, "rw");
	assert_int_equal(c.module[0].line, 3);
	assert_int_equal(c.module[2].line, 5);
	assert_int_equal(c.line[VMC_MODULE], 3);
	static const struct { const char *k; enum vm_kind kind; } kinds[] = {
		{ "flat16", VM_FLAT16 }, { "flat32", VM_FLAT32 }, { "flat64", VM_FLAT64 } };
	for (size_t i = 0; i < 3; i++) {
		snprintf(text, sizeof(text), BASE "kind = %s\nload = 0x7c00\nentry = 31744\n", kinds[i].k);
		expect_ok(text);
		assert_int_equal(c.kind, kinds[i].kind);
		assert_true(c.has_load && c.has_entry);
		assert_int_equal(c.load, 0x7c00);
		assert_int_equal(c.entry, 0x7c00);
	}
	expect_ok(BASE "memory = 1G\nkind = flat64\nload = 0X100000\nentry = 0x3FFFFFFF\n");
	assert_int_equal(c.entry, 0x3fffffff);
	/* eight modules, the most */
	strcpy(text, BASE);
	for (int i = 0; i < 8; i++)
		strcat(text, "module = /m/x\n");
	expect_ok(text);
	assert_int_equal(c.nmodules, 8);
}

static void test_quoting(void **state)
{
	(void)state;
	expect_ok(BASE "cmdline = \"a \\\"quoted\\\" \\\\ # not a comment \"   # a comment\n");
	assert_string_equal(c.cmdline, "a \"quoted\" \\ # not a comment ");
	expect_ok("name = \"web\"\nimage = \"/guests/with space.elf\"#c\n");
	assert_string_equal(c.image, "/guests/with space.elf");
	expect_ok(BASE "cmdline = \"\"\n");
	assert_string_equal(c.cmdline, "");
	expect_ok(BASE "cmdline = a#b \"c\"\n"); /* '#' not after a blank; quotes inside an unquoted value */
	assert_string_equal(c.cmdline, "a#b \"c\"");
	expect_ok(BASE "cmdline = # all comment\n");
	assert_string_equal(c.cmdline, "");
	expect_err(BASE "cmdline = \"abc\n", ":3: cmdline: \"\\\"abc\" ", "no closing quote");
	expect_err(BASE "cmdline = \"a\\nb\"\n", ":3: cmdline: ", "escape other than");
	expect_err(BASE "cmdline = \"a\" b\n", ":3: cmdline: \"\\\"a\\\" b\" ", "after its closing quote");
	expect_err(BASE "cmdline = \"abc\\\"\n", ":3: cmdline: ", "no closing quote");
	expect_err(BASE "cmdline = a\tb\n", ":3: cmdline: \"a\\x09b\" ", "control character (byte 0x09 at 2)");
	expect_err(BASE "cmdline = \"a\x1b[0m\"\n", ":3: cmdline: \"a\\x1b[0m\" ", "control character");
}

static void test_crlf(void **state)
{
	(void)state;
	expect_ok("name = web\r\nimage = /g/h.elf\r\ncmdline = \"x y\"  \r\nmodule = /m a\r\n");
	assert_string_equal(c.name, "web");
	assert_string_equal(c.image, "/g/h.elf");
	assert_string_equal(c.cmdline, "x y");
	assert_string_equal(c.module[0].args, "a");
	/* a CR anywhere else is a control character */
	expect_err("name = web\r\r\nimage = /g\n", ":1: name: \"web\\x0d\" ", "control character");
}

static void test_errors(void **state)
{
	(void)state;
	/* the lines: unknown key, no '=', no key, duplicates */
	expect_err(BASE "memroy = 64\n", ":3: \"memroy\" ", "is not a key: name, memory");
	expect_err(BASE "memory 64\n", ":3: \"memory 64\" ", "not a key = value line");
	expect_err(BASE " = 64\n", ":3: \"= 64\" ", "no key before '='");
	expect_err(BASE "memory = 64\nmemory = 32\n", ":4: memory: ", "given twice (first on line 3)");
	expect_err(BASE "name = db\n", ":3: name: ", "given twice (first on line 1)");
	/* name */
	expect_err("name = -web\nimage = /x\n", ":1: name: \"-web\" ", "is not a VM name");
	expect_err("name = .web\nimage = /x\n", ":1: name: \".web\" ", "not starting with . or -");
	expect_err("name = we/b\nimage = /x\n", ":1: name: \"we/b\" ", "A-Z a-z 0-9 _ . -");
	expect_err("name =\nimage = /x\n", ":1: name: \"\" ", "is not a VM name");
	expect_err("name = abcdefghijklmnopqrstuvwxyz0123456\nimage = /x\n", ":1: name: ", "1 to 32");
	/* memory */
	expect_err(BASE "memory = 4096M\n", ":3: memory: \"4096M\" ", "is out of range: 2 to 1024 MiB");
	expect_err(BASE "memory = 1\n", ":3: memory: \"1\" ", "out of range: 2 to 1024 MiB");
	expect_err(BASE "memory = 1025\n", ":3: memory: \"1025\" ", "out of range: 2 to 1024 MiB");
	expect_err(BASE "memory = 0G\n", ":3: memory: \"0G\" ", "out of range");
	expect_err(BASE "memory = 2G\n", ":3: memory: \"2G\" ", "out of range");
	expect_err(BASE "memory = 99999999999999999999999\n", ":3: memory: ", "is not a size");
	expect_err(BASE "memory = 18014398509481984G\n", ":3: memory: ", "out of range");
	expect_err(BASE "memory = 64K\n", ":3: memory: \"64K\" ", "is not a size: MiB as a number, or with M or G");
	expect_err(BASE "memory = 64MB\n", ":3: memory: \"64MB\" ", "is not a size");
	expect_err(BASE "memory = -4\n", ":3: memory: \"-4\" ", "is not a size");
	expect_err(BASE "memory = 0x40\n", ":3: memory: \"0x40\" ", "is not a size");
	expect_err(BASE "memory =\n", ":3: memory: \"\" ", "is not a size");
	/* vps */
	expect_err(BASE "vps = 2\n", ":3: vps: \"2\" ", "only 1 VP is supported by raumctl run yet");
	expect_err(BASE "vps = 0\n", ":3: vps: \"0\" ", "only 1 VP is supported");
	expect_err(BASE "vps = one\n", ":3: vps: \"one\" ", "is not a number");
	/* image, console_log: absolute paths */
	expect_err("name = web\nimage = guests/hello.elf\n", ":2: image: \"guests/hello.elf\" ", "not an absolute path");
	expect_err("name = web\nimage =\n", ":2: image: \"\" ", "not an absolute path");
	expect_err(BASE "console_log = web.log\n", ":3: console_log: \"web.log\" ", "not an absolute path");
	/* kind */
	expect_err(BASE "kind = elf\n", ":3: kind: \"elf\" ", "multiboot, flat16, flat32 or flat64");
	expect_err(BASE "kind = Flat32\n", ":3: kind: \"Flat32\" ", "is not a kind");
	/* load, entry */
	expect_err(BASE "kind = flat32\nload = 0x100000000\nentry = 0\n", ":4: load: \"0x100000000\" ",
		   "below 4 GiB");
	expect_err(BASE "kind = flat32\nload = 0x1000\nentry = 0x\n", ":5: entry: \"0x\" ", "is not an address");
	expect_err(BASE "kind = flat32\nload = 12k\nentry = 0\n", ":4: load: \"12k\" ", "hex 0x... or decimal");
	expect_err(BASE "load = 0x1000\n", ":3: load: \"0x1000\" ", "for the flat kinds only");
	expect_err(BASE "entry = 0x1000\n", ":3: entry: \"0x1000\" ", "kind is multiboot");
	expect_err(BASE "kind = flat32\nentry = 0x1000\n", ": load: ",
		   "missing (kind = flat32 needs the image's load address");
	expect_err(BASE "kind = flat64\nload = 0x1000\n", ": entry: ", "missing (kind = flat64 needs the entry");
	expect_err(BASE "kind = flat32\nload = 0x1000000\nentry = 0x1000000\n", ":4: load: \"0x1000000\" ",
		   "lies beyond the guest's memory");
	expect_err(BASE "kind = flat16\nload = 0x100000\nentry = 0x100000\n", ":4: load: \"0x100000\" ",
		   "lies beyond 1 MiB");
	expect_err(BASE "kind = flat32\nload = 0x2000\nentry = 0x1000\n", ":5: entry: \"0x1000\" ",
		   "lies outside the image: from load (0x2000) up");
	/* cmdline and modules: Multiboot's */
	expect_err(BASE "kind = flat32\nload = 0\nentry = 0\ncmdline = x\n", ":6: cmdline: \"x\" ",
		   "for kind = multiboot only; kind is flat32");
	expect_err(BASE "module = /m\nkind = flat32\nload = 0\nentry = 0\n", ":3: module: \"/m\" ",
		   "for kind = multiboot only");
	char text[2200];
	snprintf(text, sizeof(text), BASE "cmdline = %01025d\n", 0);
	expect_err(text, ":3: cmdline: \"0000", "is 1025 bytes long: 1024 at most");
	assert_non_null(strstr(err, "\"...")); /* the value cut */
	/* modules */
	expect_err(BASE "module = m/a\n", ":3: module: \"m/a\" ", "absolute path");
	expect_err(BASE "module = /m/a=b c\n", ":3: module: \"/m/a=b c\" ", "cannot hold one");
	snprintf(text, sizeof(text), BASE "module = /m %01025d\n", 0);
	expect_err(text, ":3: module: ", "arguments longer than 1024 bytes");
	strcpy(text, BASE);
	for (int i = 0; i < 9; i++)
		strcat(text, "module = /m/x\n");
	expect_err(text, ":11: module: \"/m/x\" ", "one module too many: 8 at most");
	/* stop_timeout */
	expect_err(BASE "stop_timeout = 3601\n", ":3: stop_timeout: \"3601\" ", "out of range: 0 to 3600 seconds");
	expect_err(BASE "stop_timeout = 5m\n", ":3: stop_timeout: \"5m\" ", "is not a time");
	expect_err(BASE "stop_timeout = 5ss\n", ":3: stop_timeout: \"5ss\" ", "is not a time");
	/* missing keys */
	expect_err("image = /x\n", ": name: ", "missing (1 to 32 of");
	expect_err("name = web\n", ": image: ",
		   "missing (the guest image's absolute path, e.g. image = /guests/hello.elf)");
	assert_string_equal(err, "/etc/raum/t.conf: image: missing (the guest image's absolute path, e.g. "
				 "image = /guests/hello.elf)");
	expect_err("", ": name: ", "missing");
	/* the exact message of the example */
	expect_err("name = web\n\n\n\n\nimage = /x\nmemory = 4096M\n", ":7: ", "");
	assert_string_equal(err, "/etc/raum/t.conf:7: memory: \"4096M\" is out of range: 2 to 1024 MiB");
}

static void test_limits(void **state)
{
	(void)state;
	static char big[VMCONFIG_FILE_MAX + 2];
	char line[VMCONFIG_LINE_MAX + 64];

	/* a line of 4096 bytes is taken (a comment), 4097 is not */
	memset(line, 0, sizeof(line));
	line[0] = '#';
	memset(line + 1, 'x', VMCONFIG_LINE_MAX - 1);
	snprintf(big, sizeof(big), BASE "%s\n", line);
	expect_ok(big);
	snprintf(big, sizeof(big), BASE "%s\r\n", line); /* its CR not counted */
	expect_ok(big);
	snprintf(big, sizeof(big), BASE "%sx\n", line);
	expect_err(big, ":3: ", "the line is 4097 bytes long: 4096 at most");
	/* NUL bytes */
	static const char nul[] = BASE "memory = 6\0004\n";
	assert_int_equal(vmconfig_parse("/etc/raum/t.conf", nul, sizeof(nul) - 1, &c, err, sizeof(err)), -1);
	assert_string_equal(err, "/etc/raum/t.conf:3: a NUL byte at column 11 (a config file is text)");
	/* the file's size: 64 KiB of comments is taken, one byte more is not */
	memset(big, '\n', VMCONFIG_FILE_MAX + 1);
	memcpy(big, BASE, strlen(BASE));
	assert_int_equal(vmconfig_parse("/etc/raum/t.conf", big, VMCONFIG_FILE_MAX, &c, err, sizeof(err)), 0);
	assert_int_equal(vmconfig_parse("/etc/raum/t.conf", big, VMCONFIG_FILE_MAX + 1, &c, err, sizeof(err)), -1);
	assert_string_equal(err, "/etc/raum/t.conf: is 65537 bytes: a config file holds 65536 at most");
	/* a long bad value: cut in the message, unprintable bytes escaped */
	memset(line, 'a', 200);
	line[0] = '\x80';
	line[200] = '\0';
	snprintf(big, sizeof(big), BASE "kind = %s\n", line);
	expect_err(big, ":3: kind: \"\\x80aaa", "\"... is not a kind");
	/* a small error buffer: cut, still terminated */
	char small[12];
	assert_int_equal(vmconfig_parse("/etc/raum/t.conf", "x", 1, &c, small, sizeof(small)), -1);
	assert_string_equal(small, "/etc/raum/t");
	assert_int_equal(vmconfig_parse("/etc/raum/t.conf", "x", 1, &c, NULL, 0), -1);
}

/* A temporary file holding text; its path in path (a mkstemp template). */
static void write_file(char *path, const char *text, size_t len)
{
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
}

static void test_load(void **state)
{
	(void)state;
	char path[] = "/tmp/vmconfig-XXXXXX", msg[600];

	write_file(path, BASE "memory = 64\n", strlen(BASE "memory = 64\n"));
	assert_int_equal(vmconfig_load(path, &c, err, sizeof(err)), 0);
	assert_int_equal(c.mem_mb, 64);
	assert_string_equal(c.file, path);
	unlink(path);
	/* a file that is not there: errno's text */
	assert_int_equal(vmconfig_load(path, &c, err, sizeof(err)), -1);
	snprintf(msg, sizeof(msg), "%s: cannot read: No such file or directory", path);
	assert_string_equal(err, msg);
	assert_int_equal(vmconfig_load("/tmp", &c, err, sizeof(err)), -1);
	assert_string_equal(err, "/tmp: cannot read: not a regular file");
	/* an error in the file names the file and the line */
	char bad[] = "/tmp/vmconfig-XXXXXX";
	write_file(bad, BASE "vps = 4\n", strlen(BASE "vps = 4\n"));
	assert_int_equal(vmconfig_load(bad, &c, err, sizeof(err)), -1);
	snprintf(msg, sizeof(msg), "%s:3: vps: \"4\" is not supported", bad);
	assert_memory_equal(err, msg, strlen(msg));
	unlink(bad);
	/* the example (tests run from the repository's root, as tests/run.sh does) */
	assert_int_equal(vmconfig_load("tools/raumd/examples/hello.conf", &c, err, sizeof(err)), 0);
	assert_string_equal(c.name, "hello");
	assert_string_equal(c.image, "/guests/hello.elf");
	assert_string_equal(c.cmdline, "exit=21 greeting");
	assert_int_equal(c.stop_timeout_s, 10);
	/* too large */
	static char big[VMCONFIG_FILE_MAX + 1];
	memset(big, '\n', sizeof(big));
	char large[] = "/tmp/vmconfig-XXXXXX";
	write_file(large, big, sizeof(big));
	assert_int_equal(vmconfig_load(large, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "is 65537 bytes: a config file holds 65536 at most"));
	unlink(large);
}

static void test_check_files(void **state)
{
	(void)state;
	char image[] = "/tmp/vmconfig-img-XXXXXX", mod[] = "/tmp/vmconfig-mod-XXXXXX", text[512], msg[600];

	write_file(image, "\x02\xb0\xad\x1b", 4);
	write_file(mod, "module", 6);
	snprintf(text, sizeof(text), "name = w\nimage = %s\nmodule = %s a b\nmodule = /nonexistent/m\n", image, mod);
	expect_ok(text);
	assert_int_equal(vmconfig_check_files(&c, err, sizeof(err)), -1);
	assert_string_equal(err, "/etc/raum/t.conf:4: module: \"/nonexistent/m\" cannot stat: No such file or directory");
	snprintf(text, sizeof(text), "name = w\nimage = %s\nmodule = %s a b\n", image, mod);
	expect_ok(text);
	assert_int_equal(vmconfig_check_files(&c, err, sizeof(err)), 0);
	snprintf(text, sizeof(text), "name = w\n\nimage = /tmp\n");
	expect_ok(text);
	assert_int_equal(vmconfig_check_files(&c, err, sizeof(err)), -1);
	assert_string_equal(err, "/etc/raum/t.conf:3: image: \"/tmp\" is not a regular file");
	/* an image larger than the guest's memory */
	assert_int_equal(truncate(image, 3 << 20), 0);
	snprintf(text, sizeof(text), "memory = 2\nname = w\nimage = %s\n", image);
	expect_ok(text);
	assert_int_equal(vmconfig_check_files(&c, err, sizeof(err)), -1);
	snprintf(msg, sizeof(msg), "/etc/raum/t.conf:3: image: \"%s\" is 3145728 bytes, more than the guest's memory "
				   "(memory = 2 MiB)", image);
	assert_string_equal(err, msg);
	unlink(image);
	unlink(mod);
}

/*
 * The arguments taken apart as raumctl's cmd_run does (tools/raumctl/run.c):
 * the first non-option is the image, every option takes the next argument,
 * --module FILE[=ARGS] splits at the first '='.
 */
static void check_round_trip(const struct vmconfig *cf, const char *const *expect)
{
	static struct vmconfig_args a;
	int n = vmconfig_run_args(cf, &a), i, nmod = 0, flat = 0;

	for (i = 0; expect[i]; i++)
		;
	assert_int_equal(n, i);
	assert_int_equal(a.argc, n);
	assert_null(a.argv[n]);
	for (i = 0; i < n; i++)
		assert_string_equal(a.argv[i], expect[i]);
	assert_string_equal(a.argv[0], cf->image);
	for (i = 1; i < n; i++) {
		const char *o = a.argv[i], *v = a.argv[i + 1];
		if (strcmp(o, "--flat") == 0) {
			flat = 1;
			continue;
		}
		assert_non_null(v);
		i++;
		if (strcmp(o, "--mem") == 0) {
			assert_int_equal(strtoull(v, NULL, 0), cf->mem_mb);
		} else if (strcmp(o, "--cmdline") == 0) {
			assert_string_equal(v, cf->cmdline);
		} else if (strcmp(o, "--log") == 0) {
			assert_string_equal(v, cf->console_log);
		} else if (strcmp(o, "--module") == 0) {
			const char *eq = strchr(v, '=');
			size_t plen = eq ? (size_t)(eq - v) : strlen(v);
			assert_int_equal(plen, strlen(cf->module[nmod].path));
			assert_memory_equal(v, cf->module[nmod].path, plen);
			assert_string_equal(eq ? eq + 1 : "", cf->module[nmod].args);
			nmod++;
		} else if (strcmp(o, "--load") == 0) {
			assert_int_equal(strtoull(v, NULL, 0), cf->load);
		} else if (strcmp(o, "--entry") == 0) {
			assert_int_equal(strtoull(v, NULL, 0), cf->entry);
		} else if (strcmp(o, "--mode") == 0) {
			assert_int_equal(strtoul(v, NULL, 10), cf->kind == VM_FLAT16 ? 16 : cf->kind == VM_FLAT32 ? 32 : 64);
		} else {
			fail_msg("unexpected option %s", o);
		}
	}
	assert_int_equal(nmod, cf->nmodules);
	assert_int_equal(flat, cf->kind != VM_MULTIBOOT);
}

static void test_run_args(void **state)
{
	(void)state;
	expect_ok("name = hello\nimage = /guests/hello.elf\nmemory = 32M\ncmdline = \"exit=21 greeting\"\n"
		  "module = /guests/mod.bin a=1 b\nmodule = /guests/m2\nconsole_log = /var/log/h.console\n");
	static const char *const mb[] = { "/guests/hello.elf", "--mem", "32", "--cmdline", "exit=21 greeting",
					  "--module", "/guests/mod.bin=a=1 b", "--module", "/guests/m2", "--log",
					  "/var/log/h.console", NULL };
	check_round_trip(&c, mb);
	expect_ok("name = f\nimage = /guests/hyper64.bin\nkind = flat64\nload = 0x100000\nentry = 1048592\n");
	static const char *const flat[] = { "/guests/hyper64.bin", "--mem", "16", "--log", "/var/log/raum/f.console",
					    "--flat", "--load", "0x100000", "--entry", "0x100010", "--mode", "64", NULL };
	check_round_trip(&c, flat);
	expect_ok("name = r\nimage = /g/boot.bin\nkind = flat16\nload = 0x7c00\nentry = 0x7c00\nmemory = 2\n");
	static const char *const real[] = { "/g/boot.bin", "--mem", "2", "--log", "/var/log/raum/r.console",
					    "--flat", "--load", "0x7c00", "--entry", "0x7c00", "--mode", "16", NULL };
	check_round_trip(&c, real);
	/* the most arguments: every option and eight modules with long arguments */
	char text[16384];
	snprintf(text, sizeof(text), BASE "cmdline = %01024d\n", 0);
	for (int i = 0; i < 8; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "module = /m/%d %01024d\n", i, i);
	expect_ok(text);
	static struct vmconfig_args a;
	assert_int_equal(vmconfig_run_args(&c, &a), 1 + 2 + 2 + 16 + 2);
	assert_int_equal(strlen(a.argv[8]), strlen("/m/1=") + 1024);
}

static void test_json(void **state)
{
	(void)state;
	json_object *o, *v;

	expect_ok(BASE "memory = 1G\ncmdline = exit=3\nmodule = /m/a x y\nstop_timeout = 5s\n");
	assert_int_equal(vmconfig_to_json(&c, &o), 0);
	assert_string_equal(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
			    "{\"name\":\"web\",\"memory_mb\":1024,\"vps\":1,\"image\":\"/guests/hello.elf\","
			    "\"kind\":\"multiboot\",\"cmdline\":\"exit=3\",\"modules\":[{\"path\":\"/m/a\",\"args\":\"x y\"}],"
			    "\"console_log\":\"/var/log/raum/web.console\",\"stop_timeout_s\":5}");
	assert_false(json_object_object_get_ex(o, "load", &v));
	json_object_put(o);
	expect_ok(BASE "kind = flat32\nload = 0x1000\nentry = 0x1004\n");
	assert_int_equal(vmconfig_to_json(&c, &o), 0);
	assert_true(json_object_object_get_ex(o, "load", &v));
	assert_int_equal(json_object_get_int64(v), 0x1000);
	assert_true(json_object_object_get_ex(o, "entry", &v));
	assert_int_equal(json_object_get_int64(v), 0x1004);
	assert_true(json_object_object_get_ex(o, "kind", &v));
	assert_string_equal(json_object_get_string(v), "flat32");
	assert_true(json_object_object_get_ex(o, "modules", &v));
	assert_int_equal(json_object_array_length(v), 0);
	json_object_put(o);
}

/* 20000 seeded mutations of a valid file: each parses, or fails with a message that starts with the file name. */
static void test_mutations(void **state)
{
	(void)state;
	static const char good[] = "# web server\nname = web\nmemory = 64M\nvps = 1\nimage = /guests/hello.elf\r\n"
				   "kind = multiboot\ncmdline = \"exit=21 \\\"q\\\"\" # c\nmodule = /guests/m a=b\n"
				   "console_log = /var/log/w.console\nstop_timeout = 10s\n";
	static char m[8192];
	static const char inserts[] = { '=', '"', '\0', '\n', '#', '\\', '\r', ' ' };
	u64 seed = 0x5eed13;
	unsigned ok = 0, failed = 0;
	const char *file = "/etc/raum/mut.conf";

	for (int iter = 0; iter < 20000; iter++) {
		size_t n = sizeof(good) - 1;
		memcpy(m, good, n);
		int edits = 1 + (int)(unit_rand(&seed) % 4);
		for (int e = 0; e < edits; e++) {
			u64 r = unit_rand(&seed);
			size_t at = n ? (size_t)(r >> 8) % n : 0;
			switch (r % 5) {
			case 0: /* a byte flipped */
				if (n)
					m[at] = (char)(r >> 32);
				break;
			case 1: /* cut short */
				n = at;
				break;
			case 2: /* a special byte inserted */
				if (n < sizeof(m) - 1) {
					memmove(m + at + 1, m + at, n - at);
					m[at] = inserts[(r >> 40) % sizeof(inserts)];
					n++;
				}
				break;
			default: { /* a long run of one byte */
				size_t run = (size_t)(r >> 40) % 5000;
				if (n + run < sizeof(m)) {
					memmove(m + at + run, m + at, n - at);
					memset(m + at, (r >> 20) % 3 ? 'a' + (int)((r >> 24) % 26) : (char)(r >> 28), run);
					n += run;
				}
				break;
			}
			}
		}
		/* exactly n bytes, so that ASan sees a read past the end */
		char *t = malloc(n ? n : 1);
		assert_non_null(t);
		memcpy(t, m, n);
		err[0] = '\0';
		if (vmconfig_parse(file, t, n, &c, err, sizeof(err)) == 0) {
			ok++;
			assert_true(c.name[0] && c.image[0] == '/' && c.mem_mb >= 2 && c.mem_mb <= 1024);
			assert_true(strlen(c.cmdline) <= VMCONFIG_CMDLINE_MAX && c.nmodules <= 8);
			static struct vmconfig_args a;
			assert_true(vmconfig_run_args(&c, &a) > 0);
		} else {
			failed++;
			assert_true(strlen(err) > strlen(file) + 2);
			assert_memory_equal(err, file, strlen(file));
			assert_true(err[strlen(file)] == ':');
		}
		free(t);
	}
	print_message("mutations: %u parsed, %u refused\n", ok, failed);
	assert_true(ok > 100 && failed > 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),   cmocka_unit_test(test_good_values), cmocka_unit_test(test_quoting),
		cmocka_unit_test(test_crlf),       cmocka_unit_test(test_errors),      cmocka_unit_test(test_limits),
		cmocka_unit_test(test_load),       cmocka_unit_test(test_check_files), cmocka_unit_test(test_run_args),
		cmocka_unit_test(test_json),       cmocka_unit_test(test_mutations),
	};
	return cmocka_run_group_tests_name("vmconfig", tests, NULL, NULL) ? 1 : 0;
}
