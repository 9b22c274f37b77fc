/* SPDX-License-Identifier: MIT */
/*
 * Guest images for `raumctl run` (docs/raumctl-run.md): Multiboot v1 as
 * QEMU's -kernel loads them, and flat binaries. Pure code over a byte
 * buffer (tools/raumctl/image.c): the file and the guest's RAM are plain
 * memory, every offset and length from the file is checked before use
 * (tests/unit/test_image.c feeds it malformed images).
 */
#ifndef RAUMCTL_IMAGE_H
#define RAUMCTL_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#define MB_MAX_MODULES 8

struct image_module {
	const uint8_t *data;
	size_t len;
	const char *cmdline; /* the module's string (its path and arguments) */
};

struct image_opts {
	const char *cmdline;       /* the kernel's command line (Multiboot), or NULL */
	struct image_module mods[MB_MAX_MODULES];
	unsigned nr_mods;
	/* flat images */
	int flat;                  /* 1: a flat binary, not Multiboot */
	uint64_t load, entry;      /* where it goes and where it starts */
	unsigned mode;             /* 16, 32 or 64 */
};

/* The state the VP starts in. */
struct image_boot {
	unsigned mode;             /* 16, 32 or 64 */
	uint64_t entry;            /* RIP (16: the linear address; CS:IP derived) */
	uint64_t rax, rbx, rsp;
	uint64_t gdt_base, cr3;    /* the boot GDT raumctl wrote; 64-bit: the page tables */
	uint64_t image_lo, image_hi; /* the bytes of guest RAM the image (and its bss) took */
	uint64_t info_lo, info_hi; /* the boot information, GDT and page tables */
};

/*
 * Loads the image file[0..len) into ram[0..ram_size) (guest-physical 0
 * up) as opts says, and fills *b. 0, or -1 with a message naming the
 * problem and the fix in err.
 */
int image_load(const uint8_t *file, size_t len, uint8_t *ram, uint64_t ram_size, const struct image_opts *o,
	       struct image_boot *b, char *err, size_t errlen);

/* Selectors of the boot GDT image_load writes: flat code and data (32- or 64-bit as the mode). */
#define IMAGE_SEL_CODE 0x08
#define IMAGE_SEL_DATA 0x10
#define MULTIBOOT_BOOTLOADER_MAGIC 0x2badb002u

#endif
