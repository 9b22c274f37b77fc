// SPDX-License-Identifier: MIT
/*
 * Guest images for `raumctl run`: see image.h. Multiboot v1 (the GNU
 * Multiboot Specification 0.6.96, sections 3.1 - 3.3), as QEMU's -kernel
 * loads it (hw/i386/multiboot.c): the header in the first 8192 bytes; an
 * ELF32 image's PT_LOAD segments at their physical addresses (64-bit code
 * in an ELF32 container included), or the a.out kludge's addresses (flag
 * 16); then the boot information after the image: the Multiboot info
 * structure, the command line, the memory map, the modules.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "image.h"

#define MB_MAGIC 0x1badb002u
#define MB_SEARCH 8192
#define MB_F_PAGE_ALIGN (1u << 0)
#define MB_F_MEMINFO (1u << 1)
#define MB_F_VIDEO (1u << 2)
#define MB_F_AOUT (1u << 16)
#define MB_F_KNOWN (MB_F_PAGE_ALIGN | MB_F_MEMINFO | MB_F_VIDEO | MB_F_AOUT)

#define PAGE 4096ULL
#define ALIGN_UP(x, a) (((x) + (a) - 1) & ~((uint64_t)(a) - 1))
#define STACK_BYTES (16 * 1024)
#define LOW_MEM_TOP 0x9fc00ULL /* conventional memory the memory map reports (QEMU: 639 KiB) */

struct mb_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
	uint32_t drives_length, drives_addr, config_table, boot_loader_name;
};
_Static_assert(sizeof(struct mb_info) == 68 && offsetof(struct mb_info, mmap_length) == 44, "multiboot_info (Multiboot 3.3)");

struct mb_mod {
	uint32_t start, end, string, reserved;
};

struct __attribute__((packed)) mb_mmap {
	uint32_t size; /* 20: the bytes after this field */
	uint64_t base, len;
	uint32_t type; /* 1 RAM, 2 reserved */
};
_Static_assert(sizeof(struct mb_mmap) == 24, "multiboot mmap entry");

static int fail(char *err, size_t n, const char *msg)
{
	snprintf(err, n, "%s", msg);
	return -1;
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static uint16_t rd16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}

/* [a, a + n) within [0, limit): no overflow. */
static int fits(uint64_t a, uint64_t n, uint64_t limit) { return a <= limit && n <= limit - a; }

/* ELF32 (System V gABI; the i386 psABI): the PT_LOAD segments at p_paddr. */
static int load_elf32(const uint8_t *f, size_t len, uint8_t *ram, uint64_t ram_size, struct image_boot *b, char *err,
		      size_t en)
{
	if (len < 52)
		return fail(err, en, "the ELF header is cut short (52 bytes needed)");
	if (f[4] == 2)
		return fail(err, en, "an ELF64 image: Multiboot v1 takes ELF32 (as QEMU's -kernel does); link with "
				     "-m elf_i386, or convert it with objcopy -O elf32-i386");
	if (f[4] != 1 || f[5] != 1)
		return fail(err, en, "not a little-endian ELF32 image");
	uint16_t type = rd16(f + 16), machine = rd16(f + 18), phentsize = rd16(f + 42), phnum = rd16(f + 44);
	uint32_t entry = rd32(f + 24), phoff = rd32(f + 28);
	if (type != 2)
		return fail(err, en, "the ELF image is not an executable (e_type is not ET_EXEC)");
	if (machine != 3 && machine != 62)
		return fail(err, en, "the ELF image is not for x86 (e_machine is neither EM_386 nor EM_X86_64)");
	if (phentsize != 32 || !phnum || !fits(phoff, (uint64_t)phnum * 32, len))
		return fail(err, en, "the ELF program headers lie outside the file or have the wrong size");
	uint64_t lo = UINT64_MAX, hi = 0;
	for (unsigned i = 0; i < phnum; i++) {
		const uint8_t *ph = f + phoff + 32 * i;
		if (rd32(ph) != 1) /* PT_LOAD */
			continue;
		uint32_t off = rd32(ph + 4), paddr = rd32(ph + 12), filesz = rd32(ph + 16), memsz = rd32(ph + 20);
		if (filesz > memsz || !fits(off, filesz, len))
			return fail(err, en, "an ELF segment lies outside the file (p_offset + p_filesz) or p_filesz "
					     "exceeds p_memsz");
		if (!fits(paddr, memsz, ram_size)) {
			snprintf(err, en, "an ELF segment at %#x (%u bytes) lies outside the guest's RAM (%llu MiB): "
				 "give it more memory (--mem)", paddr, memsz, (unsigned long long)(ram_size >> 20));
			return -1;
		}
		memcpy(ram + paddr, f + off, filesz);
		memset(ram + paddr + filesz, 0, memsz - filesz);
		if (memsz) {
			lo = paddr < lo ? paddr : lo;
			hi = paddr + (uint64_t)memsz > hi ? paddr + (uint64_t)memsz : hi;
		}
	}
	if (hi == 0)
		return fail(err, en, "the ELF image has no loadable segment");
	if (!fits(entry, 1, ram_size))
		return fail(err, en, "the ELF entry point lies outside the guest's RAM");
	b->entry = entry;
	b->image_lo = lo;
	b->image_hi = hi;
	return 0;
}

/* The a.out kludge (Multiboot 3.1.3): header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr. */
static int load_aout(const uint8_t *f, size_t len, size_t hoff, uint8_t *ram, uint64_t ram_size,
		     struct image_boot *b, char *err, size_t en)
{
	if (!fits(hoff, 32, len))
		return fail(err, en, "the Multiboot header's address fields lie past the end of the file");
	uint32_t header_addr = rd32(f + hoff + 12), load_addr = rd32(f + hoff + 16), load_end = rd32(f + hoff + 20),
		 bss_end = rd32(f + hoff + 24), entry = rd32(f + hoff + 28);
	if (header_addr < load_addr || header_addr - load_addr > hoff)
		return fail(err, en, "the Multiboot header's header_addr and load_addr do not match its place in the file");
	uint64_t foff = hoff - (header_addr - load_addr);
	uint64_t n = load_end ? (uint64_t)load_end - load_addr : len - foff;
	if (load_end && load_end < load_addr)
		return fail(err, en, "the Multiboot header's load_end_addr lies below load_addr");
	if (!fits(foff, n, len))
		return fail(err, en, "the Multiboot header's load range runs past the end of the file");
	uint64_t end = bss_end ? bss_end : load_addr + n;
	if (end < load_addr + n)
		return fail(err, en, "the Multiboot header's bss_end_addr lies inside the loaded image");
	if (!fits(load_addr, end - load_addr, ram_size))
		return fail(err, en, "the image's load range lies outside the guest's RAM: give it more memory (--mem)");
	if (entry < load_addr || entry >= end)
		return fail(err, en, "the Multiboot entry_addr lies outside the loaded image");
	memcpy(ram + load_addr, f + foff, n);
	memset(ram + load_addr + n, 0, end - load_addr - n);
	b->entry = entry;
	b->image_lo = load_addr;
	b->image_hi = end;
	return 0;
}

/* A flat GDT at ram + at: null, code, data (64-bit code when long) (SDM vol. 3A 3.4.5). */
static void write_gdt(uint8_t *ram, uint64_t at, int long_mode)
{
	uint64_t g[3] = { 0, long_mode ? 0x00af9b000000ffffULL : 0x00cf9b000000ffffULL, 0x00cf93000000ffffULL };
	memcpy(ram + at, g, sizeof(g));
}

int image_load(const uint8_t *file, size_t len, uint8_t *ram, uint64_t ram_size, const struct image_opts *o,
	       struct image_boot *b, char *err, size_t en)
{
	int rc;

	memset(b, 0, sizeof(*b));
	if (ram_size < 2 * 1024 * 1024 || ram_size > (1ULL << 32))
		return fail(err, en, "the guest needs 2 MiB to 4 GiB of RAM");
	if (o->flat) {
		if (o->mode != 16 && o->mode != 32 && o->mode != 64)
			return fail(err, en, "a flat image's mode is 16, 32 or 64");
		if (!len)
			return fail(err, en, "the image file is empty");
		if (!fits(o->load, len, ram_size))
			return fail(err, en, "the flat image does not fit the guest's RAM at its load address: give it "
					     "more memory (--mem) or load it lower (--load)");
		if (o->entry < o->load || o->entry >= o->load + len)
			return fail(err, en, "the entry point lies outside the flat image (--entry)");
		if (o->mode == 16 && o->load + len > 0x100000)
			return fail(err, en, "a 16-bit image must lie below 1 MiB");
		memcpy(ram + o->load, file, len);
		b->entry = o->entry;
		b->image_lo = o->load;
		b->image_hi = o->load + len;
		b->mode = o->mode;
	} else {
		size_t hoff = SIZE_MAX;
		for (size_t i = 0; i + 12 <= len && i < MB_SEARCH; i += 4)
			if (rd32(file + i) == MB_MAGIC && rd32(file + i) + rd32(file + i + 4) + rd32(file + i + 8) == 0) {
				hoff = i;
				break;
			}
		if (hoff == SIZE_MAX)
			return fail(err, en, "no Multiboot header in the first 8192 bytes (a flat binary? use --flat "
					     "with --load and --entry)");
		uint32_t flags = rd32(file + hoff + 4);
		if ((flags & 0xffff) & ~MB_F_KNOWN) {
			snprintf(err, en, "the Multiboot header asks for features %#x this loader does not have",
				 (flags & 0xffff) & ~MB_F_KNOWN);
			return -1;
		}
		if (flags & MB_F_AOUT)
			rc = load_aout(file, len, hoff, ram, ram_size, b, err, en);
		else if (len >= 4 && memcmp(file, "\177ELF", 4) == 0)
			rc = load_elf32(file, len, ram, ram_size, b, err, en);
		else
			return fail(err, en, "a Multiboot image that is neither ELF nor has the a.out addresses (flag 16)");
		if (rc)
			return rc;
		b->mode = 32;
		b->rax = MULTIBOOT_BOOTLOADER_MAGIC;
	}

	/* The boot information after the image: GDT, page tables (64), stack, then Multiboot's. */
	uint64_t at = ALIGN_UP(b->image_hi, PAGE);
	uint64_t need = 4 * PAGE + STACK_BYTES + 2 * PAGE;
	if (!o->flat) {
		size_t cl = o->cmdline ? strlen(o->cmdline) + 1 : 1;
		need += cl;
		for (unsigned i = 0; i < o->nr_mods; i++)
			need += ALIGN_UP(o->mods[i].len, PAGE) + strlen(o->mods[i].cmdline) + 1 + PAGE;
	}
	if (o->nr_mods > MB_MAX_MODULES || (o->flat && o->nr_mods))
		return fail(err, en, "too many modules (8 at most), or modules for a flat image");
	if (!fits(at, need, ram_size))
		return fail(err, en, "the image leaves no room for its boot information in the guest's RAM: give it "
				     "more memory (--mem)");
	b->info_lo = at;
	b->gdt_base = at;
	write_gdt(ram, at, b->mode == 64);
	at += PAGE;
	if (b->mode == 64) {
		/* identity map of the first 4 GiB, 2 MiB pages: PML4 -> PDPT -> 4 PDs (SDM vol. 3A 4.5) */
		uint64_t pml4 = at, pdpt = at + PAGE, pd = at + 2 * PAGE;
		if (!fits(at, 6 * PAGE, ram_size))
			return fail(err, en, "no room for the 64-bit page tables: give the guest more memory (--mem)");
		memset(ram + pml4, 0, 6 * PAGE);
		uint64_t e = pdpt | 3;
		memcpy(ram + pml4, &e, 8);
		for (unsigned i = 0; i < 4; i++) {
			e = (pd + i * PAGE) | 3;
			memcpy(ram + pdpt + 8 * i, &e, 8);
		}
		for (unsigned i = 0; i < 2048; i++) {
			e = ((uint64_t)i << 21) | 0x83; /* present, writable, 2 MiB */
			memcpy(ram + pd + 8 * i, &e, 8);
		}
		b->cr3 = pml4;
		at += 6 * PAGE;
	}
	if (!fits(at, STACK_BYTES, ram_size))
		return fail(err, en, "no room for the boot stack: give the guest more memory (--mem)");
	memset(ram + at, 0, STACK_BYTES);
	at += STACK_BYTES;
	b->rsp = at;
	if (!o->flat) {
		struct mb_info mbi = { 0 };
		uint64_t mbi_at = at;
		at += PAGE;
		/* the command line, then the memory map, then the module list and the modules */
		const char *cl = o->cmdline ? o->cmdline : "";
		size_t cll = strlen(cl) + 1;
		if (!fits(at, cll, ram_size))
			return fail(err, en, "the command line does not fit the guest's RAM");
		memcpy(ram + at, cl, cll);
		mbi.cmdline = (uint32_t)at;
		at = ALIGN_UP(at + cll, 8);
		struct mb_mmap mm[3] = {
			{ 20, 0, LOW_MEM_TOP, 1 },
			{ 20, LOW_MEM_TOP, 0x100000 - LOW_MEM_TOP, 2 },
			{ 20, 0x100000, ram_size - 0x100000, 1 },
		};
		if (!fits(at, sizeof(mm) + o->nr_mods * sizeof(struct mb_mod), ram_size))
			return fail(err, en, "the memory map does not fit the guest's RAM");
		memcpy(ram + at, mm, sizeof(mm));
		mbi.mmap_addr = (uint32_t)at;
		mbi.mmap_length = sizeof(mm);
		at += sizeof(mm);
		uint64_t mods_at = at;
		at += o->nr_mods * sizeof(struct mb_mod);
		for (unsigned i = 0; i < o->nr_mods; i++) {
			struct mb_mod m = { 0 };
			size_t sl = strlen(o->mods[i].cmdline) + 1;
			if (!fits(at, sl, ram_size))
				return fail(err, en, "a module's string does not fit the guest's RAM");
			memcpy(ram + at, o->mods[i].cmdline, sl);
			m.string = (uint32_t)at;
			at = ALIGN_UP(at + sl, PAGE);
			if (!fits(at, o->mods[i].len, ram_size))
				return fail(err, en, "a module does not fit the guest's RAM: give it more memory (--mem)");
			memcpy(ram + at, o->mods[i].data, o->mods[i].len);
			m.start = (uint32_t)at;
			m.end = (uint32_t)(at + o->mods[i].len);
			at = ALIGN_UP(at + o->mods[i].len, PAGE);
			memcpy(ram + mods_at + i * sizeof(m), &m, sizeof(m));
		}
		static const char name[] = "raumctl";
		if (!fits(at, sizeof(name), ram_size))
			return fail(err, en, "the boot information does not fit the guest's RAM");
		memcpy(ram + at, name, sizeof(name));
		mbi.boot_loader_name = (uint32_t)at;
		at += sizeof(name);
		mbi.flags = (1u << 0) | (1u << 2) | (1u << 3) | (1u << 6) | (1u << 9);
		mbi.mem_lower = 639;
		mbi.mem_upper = (uint32_t)((ram_size - 0x100000) >> 10);
		mbi.mods_count = o->nr_mods;
		mbi.mods_addr = (uint32_t)mods_at;
		memcpy(ram + mbi_at, &mbi, sizeof(mbi));
		b->rbx = mbi_at;
	}
	b->info_hi = at;
	return 0;
}
