// SPDX-License-Identifier: MIT
/* Physical memory map handling: see include/raum/memmap.h. */
#include <raum/errno.h>
#include <raum/memmap.h>

u32 memmap_type_from_efi(u32 efi_type)
{
	switch (efi_type) {
	case EFI_LOADER_CODE:
	case EFI_LOADER_DATA:
	case EFI_BS_CODE:
	case EFI_BS_DATA:
	case EFI_CONVENTIONAL:
		/* All of these become the OS's RAM after ExitBootServices. */
		return RAUM_MEM_USABLE;
	case EFI_RT_CODE:
	case EFI_RT_DATA:
		return RAUM_MEM_RUNTIME;
	case EFI_ACPI_RECLAIM:
		return RAUM_MEM_ACPI_RECLAIM;
	case EFI_ACPI_NVS:
		return RAUM_MEM_ACPI_NVS;
	case EFI_MMIO:
	case EFI_MMIO_PORT:
		return RAUM_MEM_MMIO;
	case EFI_UNUSABLE:
		return RAUM_MEM_UNUSABLE;
	case EFI_PERSISTENT:
		return RAUM_MEM_PERSISTENT;
	case EFI_UNACCEPTED: /* confidential-computing memory: not ours to use */
	case EFI_RESERVED:
	case EFI_PAL_CODE:
	default:
		return RAUM_MEM_RESERVED;
	}
}

const char *memmap_type_name(u32 type)
{
	switch (type) {
	case RAUM_MEM_USABLE: return "usable";
	case RAUM_MEM_RESERVED: return "reserved";
	case RAUM_MEM_ACPI_RECLAIM: return "ACPI";
	case RAUM_MEM_ACPI_NVS: return "ACPI NVS";
	case RAUM_MEM_MMIO: return "MMIO";
	case RAUM_MEM_RUNTIME: return "EFI runtime";
	case RAUM_MEM_RAUM: return "Raum";
	case RAUM_MEM_UNUSABLE: return "unusable";
	case RAUM_MEM_PERSISTENT: return "persistent";
	default: return "unknown";
	}
}

bool memmap_type_is_ram(u32 type)
{
	return type == RAUM_MEM_USABLE || type == RAUM_MEM_ACPI_RECLAIM ||
	       type == RAUM_MEM_ACPI_NVS || type == RAUM_MEM_RUNTIME ||
	       type == RAUM_MEM_PERSISTENT;
}

bool memmap_type_is_dram(u32 type)
{
	return type == RAUM_MEM_USABLE || type == RAUM_MEM_RUNTIME || type == RAUM_MEM_ACPI_RECLAIM ||
	       type == RAUM_MEM_ACPI_NVS;
}

static u64 range_end(const struct raum_mem_range *r) { return r->base + (r->pages << PAGE_SHIFT); }

/* Insertion sort: maps hold a few hundred entries at most, and it needs no memory. */
static void sort_ranges(struct raum_mem_range *r, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct raum_mem_range t = r[i];
		size_t j = i;
		while (j > 0 && r[j - 1].base > t.base) {
			r[j] = r[j - 1];
			j--;
		}
		r[j] = t;
	}
}

int memmap_normalize(struct raum_mem_range *r, size_t n)
{
	size_t out = 0;

	/* drop empty ranges first */
	for (size_t i = 0; i < n; i++)
		if (r[i].pages)
			r[out++] = r[i];
	n = out;
	sort_ranges(r, n);
	for (size_t i = 1; i < n; i++)
		if (r[i].base < range_end(&r[i - 1]))
			return -RAUM_EINVAL;
	if (n == 0)
		return 0;
	out = 0;
	for (size_t i = 1; i < n; i++) {
		struct raum_mem_range *last = &r[out];
		if (r[i].base == range_end(last) && r[i].type == last->type && r[i].attr == last->attr) {
			last->pages += r[i].pages;
			if (last->efi_type != r[i].efi_type)
				last->efi_type = r[i].efi_type; /* diagnostics only: keep the newest */
		} else {
			r[++out] = r[i];
		}
	}
	return (int)(out + 1);
}

/* Inserts e at position pos, shifting the tail; the caller checked capacity. */
static void insert_at(struct raum_mem_range *r, size_t *n, size_t pos, struct raum_mem_range e)
{
	for (size_t i = *n; i > pos; i--)
		r[i] = r[i - 1];
	r[pos] = e;
	(*n)++;
}

int memmap_carve(struct raum_mem_range *r, size_t n, size_t cap, u64 base, u64 size, u32 type)
{
	u64 end = base + size;

	if (size == 0)
		return (int)n;
	for (size_t i = 0; i < n; i++) {
		u64 rb = r[i].base, re = range_end(&r[i]);
		if (re <= base || rb >= end || r[i].type == type)
			continue;
		/* split off the part before the region */
		if (rb < base) {
			if (n + 1 > cap)
				return -RAUM_ENOMEM;
			struct raum_mem_range head = r[i];
			head.pages = (base - rb) >> PAGE_SHIFT;
			r[i].base = base;
			r[i].pages = (re - base) >> PAGE_SHIFT;
			insert_at(r, &n, i, head);
			continue; /* r[i + 1] is now the remainder: look at it next */
		}
		/* split off the part after the region */
		if (re > end) {
			if (n + 1 > cap)
				return -RAUM_ENOMEM;
			struct raum_mem_range tail = r[i];
			tail.base = end;
			tail.pages = (re - end) >> PAGE_SHIFT;
			r[i].pages = (end - rb) >> PAGE_SHIFT;
			insert_at(r, &n, i + 1, tail);
		}
		r[i].type = type;
	}
	return (int)n;
}

u64 memmap_end(const struct raum_mem_range *r, size_t n)
{
	u64 end = 0;

	for (size_t i = 0; i < n; i++)
		if (range_end(&r[i]) > end)
			end = range_end(&r[i]);
	return end;
}

u64 memmap_bytes(const struct raum_mem_range *r, size_t n, u32 type)
{
	u64 b = 0;

	for (size_t i = 0; i < n; i++)
		if (r[i].type == type)
			b += r[i].pages << PAGE_SHIFT;
	return b;
}

int memmap_find(const struct raum_mem_range *r, size_t n, u64 addr)
{
	for (size_t i = 0; i < n; i++)
		if (addr >= r[i].base && addr < range_end(&r[i]))
			return (int)i;
	return -1;
}
