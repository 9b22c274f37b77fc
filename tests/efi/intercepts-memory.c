// SPDX-License-Identifier: MIT
/* The intercept suite (intercepts.c): Raum's memory as the root sees it (read all-ones, writes dropped, fetch #UD). */
#include "intercepts.h"

UINT64 hv_base, hv_len; /* Raum's memory, found before the hypercall checks */

struct memop {
	UINT64 addr, val;
};

static void rd64(void *a)
{
	struct memop *o = a;
	UINT64 x;
	__asm__ volatile("movq (%1), %0" : "=r"(x) : "r"(o->addr) : "memory");
	o->val = x;
}

static void rd32(void *a)
{
	struct memop *o = a;
	UINT64 x = 0x1122334455667788ULL;
	__asm__ volatile("movl (%1), %%eax" : "+a"(x) : "d"(o->addr) : "memory");
	o->val = x;
}

static void rd8(void *a)
{
	struct memop *o = a;
	UINT64 x = 0x1122334455667788ULL;
	__asm__ volatile("movb (%1), %%al" : "+a"(x) : "d"(o->addr) : "memory");
	o->val = x;
}

static void wr64(void *a)
{
	struct memop *o = a;
	__asm__ volatile("movq $0x1234, (%0)" ::"r"(o->addr) : "memory");
	o->val = 1;
}

static void fetch(void *a)
{
	struct memop *o = a;
	__asm__ volatile("call *%0" ::"r"(o->addr)
			 : "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "cc", "memory");
	o->val = 1;
}

void find_hv_region(void)
{
	UINTN n, key, dsize;
	UINT32 dver;
	EFI_MEMORY_DESCRIPTOR *map = LibMemoryMap(&n, &key, &dsize, &dver), *d = map;

	if (!map)
		return;
	for (UINTN i = 0; i < n; i++, d = NextMemoryDescriptor(d, dsize)) {
		UINT64 len = d->NumberOfPages * PAGE;
		if (d->Type != EfiReservedMemoryType || len < (4ULL << 20))
			continue;
		struct memop o = { d->PhysicalStart, 0 };
		long v = guarded(rd64, &o);
		Print(L"RAUM-CHECK INFO reserved range %lx-%lx: first qword %lx (%a)\n", d->PhysicalStart,
		      d->PhysicalStart + len - 1, o.val, vec_name(v));
		if (v == NO_TRAP && o.val == ALL_ONES && !hv_base) {
			/* the loader's allocation ends with one root page after Raum's region (RAUM_BI_F_NEIGHBOUR) */
			hv_base = d->PhysicalStart;
			hv_len = len - PAGE;
		}
	}
	FreePool(map);
}

void check_hv_memory(void)
{
	UINT64 pg = alloc_pages(2);
	struct raum_exit_stats before, after;
	UINT64 rax = ALL_ONES;
	struct memop o;
	long v;
	unsigned accesses = 0;

	if (!hv_base) {
		fail("hvmem.found", L"no EfiReservedMemoryType range of 4 MiB or more reads as all-ones");
		return;
	}
	Print(L"RAUM-CHECK INFO Raum's memory at %lx, %ld MiB\n", hv_base, hv_len >> 20);
	pass("hvmem.found");
	if (!pg || !exit_stats(pg, pg + PAGE, &before, &rax)) {
		fail("hvmem.exit_count", L"GetExitStats before: RAX %lx", rax);
		return;
	}

	o = (struct memop){ hv_base + 0x1000, 0 };
	v = guarded(rd64, &o);
	accesses++;
	if (v == NO_TRAP && o.val == ALL_ONES)
		pass("hvmem.read64");
	else
		fail("hvmem.read64", L"%a, read %lx", vec_name(v), o.val);

	o = (struct memop){ hv_base + 0x1000, 0 };
	v = guarded(rd32, &o);
	accesses++;
	if (v == NO_TRAP && o.val == 0xffffffffULL)
		pass("hvmem.read32_zero_extends");
	else
		fail("hvmem.read32_zero_extends", L"%a, RAX %lx (expected ffffffff)", vec_name(v), o.val);

	o = (struct memop){ hv_base + 0x1003, 0 };
	v = guarded(rd8, &o);
	accesses++;
	if (v == NO_TRAP && o.val == 0x11223344556677ffULL)
		pass("hvmem.read8_keeps_rax");
	else
		fail("hvmem.read8_keeps_rax", L"%a, RAX %lx (expected 11223344556677ff)", vec_name(v), o.val);

	o = (struct memop){ hv_base + 0x2000, 0 };
	v = guarded(wr64, &o);
	accesses++;
	struct memop r = { hv_base + 0x2000, 0 };
	long v2 = guarded(rd64, &r);
	accesses++;
	if (v == NO_TRAP && o.val == 1 && v2 == NO_TRAP && r.val == ALL_ONES)
		pass("hvmem.write_dropped");
	else
		fail("hvmem.write_dropped", L"write: %a; read back: %a, %lx", vec_name(v), vec_name(v2), r.val);

	o = (struct memop){ hv_base, 0 };
	v = guarded(fetch, &o);
	accesses++;
	if (v == 6 && trap_rip == hv_base && o.val == 0)
		pass("hvmem.fetch_ud");
	else
		fail("hvmem.fetch_ud", L"%a at rip %lx, error %lx, expected #UD at %lx", vec_name(v), trap_rip,
		     trap_error, hv_base);

	{
		UINT64 offs[3] = { 0, (hv_len / 2) & ~7ULL, hv_len - 8 };
		BOOLEAN ok = TRUE;
		for (int i = 0; i < 3; i++) {
			o = (struct memop){ hv_base + offs[i], 0 };
			v = guarded(rd64, &o);
			accesses++;
			if (v != NO_TRAP || o.val != ALL_ONES) {
				fail("hvmem.offsets", L"offset %lx: %a, read %lx", offs[i], vec_name(v), o.val);
				ok = FALSE;
			}
		}
		if (ok)
			pass("hvmem.offsets");
	}

	{
		/* the page right after Raum's region is the root's: written and read back like any RAM */
		volatile UINT64 *nb = (volatile UINT64 *)(UINTN)(hv_base + hv_len);
		UINT64 old = *nb;
		*nb = 0x5eed0f5eed0f5eedULL;
		UINT64 back = *nb;
		*nb = old;
		if (back == 0x5eed0f5eed0f5eedULL)
			pass("hvmem.neighbour_is_roots");
		else
			fail("hvmem.neighbour_is_roots", L"the page at %lx after Raum's region read back %lx", hv_base + hv_len,
			     back);
	}

	if (exit_stats(pg, pg + PAGE, &after, &rax) &&
	    after.count[RAUM_EXIT_HV_MEMORY] - before.count[RAUM_EXIT_HV_MEMORY] >= accesses)
		pass("hvmem.exit_count");
	else
		fail("hvmem.exit_count", L"RAX %lx, HV_MEMORY %ld -> %ld, %d accesses made", rax,
		     before.count[RAUM_EXIT_HV_MEMORY], after.count[RAUM_EXIT_HV_MEMORY], accesses);
}
