// SPDX-License-Identifier: MIT
/*
 * tools/raumctl/image.c: a Multiboot ELF32 image, the a.out kludge and flat
 * images load where they say with the boot information QEMU's loader would
 * give; malformed images (cut short, lying offsets, segments outside RAM,
 * overflowing sums, ELF64, unknown flags) are refused with a message, and
 * thousands of random mutations of a valid image never crash the loader
 * (AddressSanitizer watches every access).
 */
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#include "../../tools/raumctl/image.h"

#define RAM (4u << 20)
static uint8_t ram[RAM];
static char err[256];

static void w32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void w16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }

/* An ELF32 executable: one PT_LOAD of 'code' bytes at 0x100000 (the Multiboot header first), bss 0x1000. */
static size_t make_elf(uint8_t *f, uint16_t machine)
{
	memset(f, 0, 4096);
	memcpy(f, "\177ELF", 4);
	f[4] = 1; f[5] = 1; f[6] = 1;
	w16(f + 16, 2);
	w16(f + 18, machine);
	w32(f + 20, 1);
	w32(f + 24, 0x100010); /* entry */
	w32(f + 28, 52);       /* phoff */
	w16(f + 40, 52);
	w16(f + 42, 32);
	w16(f + 44, 1);
	uint8_t *ph = f + 52;
	w32(ph, 1);
	w32(ph + 4, 0x100);      /* offset */
	w32(ph + 8, 0x100000);
	w32(ph + 12, 0x100000);  /* paddr */
	w32(ph + 16, 0x40);      /* filesz */
	w32(ph + 20, 0x1040);    /* memsz */
	w32(ph + 24, 7);
	w32(f + 0x100, 0x1badb002);
	w32(f + 0x104, 3);
	w32(f + 0x108, -(0x1badb002u + 3));
	memset(f + 0x110, 0x90, 0x30); /* the code: NOPs */
	return 0x140;
}

static void test_elf(void **state)
{
	(void)state;
	static uint8_t f[4096];
	size_t n = make_elf(f, 3);
	struct image_opts o = { .cmdline = "console=ttyS0 exit=3" };
	struct image_boot b;

	memset(ram, 0xee, RAM);
	assert_int_equal(image_load(f, n, ram, RAM, &o, &b, err, sizeof(err)), 0);
	assert_int_equal(b.entry, 0x100010);
	assert_int_equal(b.mode, 32);
	assert_int_equal(b.rax, MULTIBOOT_BOOTLOADER_MAGIC);
	assert_memory_equal(ram + 0x100010, f + 0x110, 0x30);
	assert_int_equal(ram[0x100040], 0);     /* bss zeroed */
	assert_int_equal(ram[0x10103f], 0);
	assert_true(b.rbx >= 0x101040 && b.rbx < RAM);
	uint32_t flags, mem_upper, cmdline;
	memcpy(&flags, ram + b.rbx, 4);
	memcpy(&mem_upper, ram + b.rbx + 8, 4);
	memcpy(&cmdline, ram + b.rbx + 16, 4);
	assert_true(flags & (1u << 2));
	assert_int_equal(mem_upper, (RAM - 0x100000) >> 10);
	assert_string_equal((char *)ram + cmdline, "console=ttyS0 exit=3");
	/* 64-bit code in an ELF32 container, as QEMU takes it */
	assert_int_equal(image_load(f, make_elf(f, 62), ram, RAM, &o, &b, err, sizeof(err)), 0);
}

static void expect_refused(const uint8_t *f, size_t n, const struct image_opts *o, const char *words)
{
	struct image_boot b;

	err[0] = 0;
	int rc = image_load(f, n, ram, RAM, o, &b, err, sizeof(err));
	if (rc != -1)
		print_message("accepted, expected refusal with '%s'\n", words);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, words));
}

static void test_malformed(void **state)
{
	(void)state;
	static uint8_t f[4096];
	struct image_opts o = { 0 };
	size_t n;

	n = make_elf(f, 3);
	f[4] = 2;
	expect_refused(f, n, &o, "ELF64");
	n = make_elf(f, 3);
	w32(f + 28, 0xfffffff0); /* phoff past the end */
	expect_refused(f, n, &o, "program headers");
	n = make_elf(f, 3);
	w32(f + 52 + 16, 0x2000); /* filesz past the file and above memsz */
	expect_refused(f, n, &o, "outside the file");
	n = make_elf(f, 3);
	w32(f + 52 + 12, 0xfffff000); /* paddr + memsz wraps */
	expect_refused(f, n, &o, "outside the guest's RAM");
	n = make_elf(f, 3);
	w32(f + 52 + 12, RAM - 0x10); /* ends past RAM */
	expect_refused(f, n, &o, "outside the guest's RAM");
	n = make_elf(f, 3);
	w16(f + 18, 40); /* ARM */
	expect_refused(f, n, &o, "not for x86");
	n = make_elf(f, 3);
	w32(f + 24, 0xf0000000); /* entry outside RAM */
	expect_refused(f, n, &o, "entry point");
	n = make_elf(f, 3);
	w32(f + 0x108, 0); /* bad checksum: no header */
	expect_refused(f, n, &o, "no Multiboot header");
	n = make_elf(f, 3);
	w32(f + 0x104, 3 | (1u << 5));
	w32(f + 0x108, -(0x1badb002u + (3 | (1u << 5))));
	expect_refused(f, n, &o, "features");
	expect_refused(f, 20, &o, "no Multiboot header");
	/* the a.out kludge: a header_addr that does not match the header's place */
	memset(f, 0, sizeof(f));
	w32(f, 0x1badb002);
	w32(f + 4, 1u << 16);
	w32(f + 8, -(0x1badb002u + (1u << 16)));
	w32(f + 12, 0x100000); /* header_addr */
	w32(f + 16, 0x100100); /* load_addr above it */
	expect_refused(f, 64, &o, "header_addr");
	w32(f + 16, 0x100000);
	w32(f + 20, 0x100040);
	w32(f + 24, 0x100000); /* bss_end inside the image */
	w32(f + 28, 0x100020);
	expect_refused(f, 64, &o, "bss_end_addr");
	w32(f + 24, 0x102000);
	w32(f + 28, 0x200000); /* entry outside */
	expect_refused(f, 64, &o, "entry_addr");
	w32(f + 28, 0x100020);
	struct image_boot b;
	assert_int_equal(image_load(f, 64, ram, RAM, &o, &b, err, sizeof(err)), 0);
	assert_int_equal(b.entry, 0x100020);
	/* flat images */
	struct image_opts fl = { .flat = 1, .load = 0x1000, .entry = 0x1000, .mode = 64 };
	assert_int_equal(image_load(f, 64, ram, RAM, &fl, &b, err, sizeof(err)), 0);
	assert_int_equal(b.mode, 64);
	assert_true(b.cr3 > 0x1000 && b.cr3 < RAM);
	fl.entry = 0x2000;
	expect_refused(f, 64, &fl, "entry point");
	fl.entry = 0x1000;
	fl.load = RAM - 16;
	expect_refused(f, 64, &fl, "does not fit");
	fl.load = 0xffffffffffffff00ULL;
	expect_refused(f, 64, &fl, "does not fit");
	fl.load = 0xff000;
	fl.entry = 0xff000;
	fl.mode = 16;
	expect_refused(f, 0x2000, &fl, "below 1 MiB");
	fl.mode = 17;
	expect_refused(f, 64, &fl, "16, 32 or 64");
}

static void test_mutations(void **state)
{
	(void)state;
	static uint8_t f[4096], m[4096];
	size_t n = make_elf(f, 3);
	struct image_opts o = { .cmdline = "x" };
	struct image_boot b;
	unsigned seed = 12345, ok = 0;

	for (int i = 0; i < 20000; i++) {
		memcpy(m, f, n);
		for (int k = 0; k < 4; k++) {
			seed = seed * 1103515245 + 12345;
			unsigned at = (seed >> 8) % 0x118;
			seed = seed * 1103515245 + 12345;
			m[at] = (uint8_t)(seed >> 16);
		}
		seed = seed * 1103515245 + 12345;
		size_t len = (seed >> 4) % 3 ? n : (seed >> 8) % n;
		if (image_load(m, len, ram, RAM, &o, &b, err, sizeof(err)) == 0) {
			ok++;
			assert_true(b.image_hi <= RAM && b.info_hi <= RAM && b.entry < RAM);
		} else {
			assert_true(err[0] != 0);
		}
	}
	assert_true(ok > 0); /* some mutations leave a valid image */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_elf),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_mutations),
	};
	return cmocka_run_group_tests_name("image", tests, NULL, NULL) ? 1 : 0;
}
