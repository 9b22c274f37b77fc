// SPDX-License-Identifier: MIT
/*
 * The hostile-root suite: hypercall parameter blocks that are not the root's
 * RAM. GetVersion (output, 56 bytes), LogWrite (input, 248 bytes) and
 * GetExitStats (input, 8 bytes; output on a good page) with the block at
 * Raum's canary, at and above the GPA limit (2^phys_bits), on MMIO (the local
 * APIC page, the legacy VGA hole, a PCI memory BAR), at the end of RAM and at
 * 4 GiB (not RAM with QEMU's 512 MiB), and just below the GPA limit.
 *
 * Expected status: HV_STATUS_INVALID_ALIGNMENT for a block that reaches the
 * GPA limit or crosses a page, HV_STATUS_ACCESS_DENIED for any other block
 * that is not RAM, success for RAM; buffers_refused goes up by one per
 * refused call, the APIC ID register and the canary stay as they were.
 *
 * hostile_buffers_far() runs apart, at the end of the suite: it tries what
 * kills a Raum that copies blocks blindly through its physmap (which ends at
 * 4 GiB or the end of the memory map): just below the GPA limit, then 4 GiB;
 * and before them the xAPIC page (Bochs stops on a byte-wide APIC write);
 * then checks that a block in the root's RAM still works.
 */
#include "hostile.h"

#define APIC_PAGE 0xfee00000ULL
#define APIC_ID_REG (APIC_PAGE + 0x20)
#define VGA_HOLE 0xa0000ULL

struct call {
	const char *tag;
	UINT64 code;
	UINT32 size; /* of the block under test */
	BOOLEAN is_input;
};

static const struct call calls[] = {
	{ "get_version", RAUM_CALL_GET_VERSION, sizeof(struct raum_version), FALSE },
	{ "log_write", RAUM_CALL_LOG_WRITE, sizeof(struct raum_log_write), TRUE },
	{ "exit_stats", RAUM_CALL_GET_EXIT_STATS, sizeof(struct raum_stats_in), TRUE },
};

static UINT64 good;     /* two pages of the suite's own RAM */
static UINT64 gpa_limit; /* 2^phys_bits */
static UINT64 ram_end;  /* the highest end of RAM in the UEFI memory map */
static UINT32 ram_end_type;

static UINT16 expected(const struct call *c, UINT64 gpa, BOOLEAN ram)
{
	if ((gpa & 7) || (gpa & ~(PAGE - 1)) != ((gpa + c->size - 1) & ~(PAGE - 1)) || gpa >= gpa_limit ||
	    c->size > gpa_limit - gpa)
		return HV_STATUS_INVALID_ALIGNMENT;
	return ram ? HV_STATUS_SUCCESS : HV_STATUS_ACCESS_DENIED;
}

/* Whether the xAPIC page answers at 0xfee00000 (not in x2APIC mode): then its ID register is watched. */
static BOOLEAN xapic_mmio(void)
{
	UINT64 base = rdmsr(0x1b);
	return (base & (1ULL << 11)) && !(base & (1ULL << 10)) && (base & ~0xfffULL) == APIC_PAGE;
}

static void try_block(const struct call *c, const char *where, UINT64 gpa, BOOLEAN ram)
{
	char name[64];
	UINTN n = 0;
	for (const char *s = "buf."; *s; s++)
		name[n++] = *s;
	for (const char *s = c->tag; *s && n < 40; s++)
		name[n++] = *s;
	name[n++] = '.';
	for (const char *s = where; *s && n < sizeof(name) - 1; s++)
		name[n++] = *s;
	name[n] = 0;

	UINT16 want = expected(c, gpa, ram);
	UINT64 in = 0, out = 0;
	if (c->code == RAUM_CALL_GET_VERSION) {
		out = gpa;
	} else if (c->code == RAUM_CALL_LOG_WRITE) {
		in = gpa;
	} else {
		in = gpa;
		out = good + PAGE;
	}
	BOOLEAN watch_apic = xapic_mmio();
	struct snap b, a;
	long v;
	UINT64 f = irq_save();
	UINT32 id = watch_apic ? *(volatile UINT32 *)APIC_ID_REG : 0;
	snap(&b);
	UINT64 rax = hvcall(name, c->code, in, out, &v);
	snap(&a);
	UINT32 id_after = watch_apic ? *(volatile UINT32 *)APIC_ID_REG : 0;
	if (id_after != id)
		*(volatile UINT32 *)APIC_ID_REG = id; /* put back what an unhardened Raum overwrote */
	irq_restore(f);

	UINT64 refused = a.h.buffers_refused - b.h.buffers_refused;
	UINT16 st = (UINT16)(rax & HV_HYPERCALL_RESULT_MASK);
	judge(name,
	      v == NO_TRAP && st == want && b.ok && refused == (want == HV_STATUS_SUCCESS ? 0 : 1) && id_after == id,
	      &a, L"block %lx (%d bytes): %a, RAX %lx, expected status %x; buffers_refused +%ld; APIC ID %x -> %x",
	      gpa, c->size, vec_name(v), rax, want, refused, id, id_after);
}

static void try_all(const char *where, UINT64 gpa, BOOLEAN ram)
{
	for (unsigned i = 0; i < ARRAY_LEN(calls); i++)
		try_block(&calls[i], where, gpa, ram);
}

static void find_ram_end(void)
{
	UINTN n, key, dsize;
	UINT32 dver;
	EFI_MEMORY_DESCRIPTOR *map = LibMemoryMap(&n, &key, &dsize, &dver), *d = map;

	if (!map)
		return;
	for (UINTN i = 0; i < n; i++, d = NextMemoryDescriptor(d, dsize)) {
		UINT64 end = d->PhysicalStart + d->NumberOfPages * PAGE;
		switch (d->Type) {
		case EfiLoaderCode: case EfiLoaderData: case EfiBootServicesCode: case EfiBootServicesData:
		case EfiRuntimeServicesCode: case EfiRuntimeServicesData: case EfiConventionalMemory:
		case EfiACPIReclaimMemory: case EfiACPIMemoryNVS:
			if (end > ram_end) {
				ram_end = end;
				ram_end_type = d->Type;
			}
			break;
		default:
			break;
		}
	}
	FreePool(map);
}

/* The first memory BAR below 4 GiB on PCI bus 0 (configuration mechanism 1), prefetchable ones first. */
static UINT64 find_pci_bar(UINT32 *where)
{
	UINT64 found = 0, f = irq_save();

	for (int pass_no = 0; pass_no < 2 && !found; pass_no++) {
		for (UINT32 dev = 0; dev < 32 && !found; dev++) {
			for (UINT32 fn = 0; fn < 8 && !found; fn++) {
				UINT32 addr = 0x80000000U | dev << 11 | fn << 8;
				outl(0xcf8, addr);
				if ((inl(0xcfc) & 0xffff) == 0xffff)
					continue;
				outl(0xcf8, addr | 0x0c);
				if ((inl(0xcfc) >> 16 & 0x7f) != 0) /* header type 0 only */
					continue;
				for (UINT32 bar = 0; bar < 6; bar++) {
					outl(0xcf8, addr | (0x10 + 4 * bar));
					UINT32 v = inl(0xcfc), hi = 0;
					if (v & 1)
						continue; /* I/O */
					if ((v & 6) == 4) { /* 64-bit */
						outl(0xcf8, addr | (0x14 + 4 * bar));
						hi = inl(0xcfc);
					}
					UINT64 base = (UINT64)hi << 32 | (v & ~0xfU);
					BOOLEAN pref = (v & 8) != 0;
					if ((v & 6) == 4)
						bar++;
					if (!base || base >= (1ULL << 32) || (pass_no == 0 && !pref))
						continue;
					found = base;
					*where = addr;
					break;
				}
			}
		}
	}
	irq_restore(f);
	return found;
}

void hostile_buffers(void)
{
	UINT32 pci = 0;

	good = alloc_pages(2);
	gpa_limit = 1ULL << phys_bits;
	find_ram_end();
	UINT64 bar = find_pci_bar(&pci);
	Print(L"RAUM-CHECK INFO buffers: RAM ends at %lx (type %d), GPA limit %lx, PCI BAR %lx (cf8 %x)\n", ram_end,
	      ram_end_type, gpa_limit, bar, pci);
	if (!good || !ram_end) {
		fail("buf.setup", L"AllocatePages %lx, RAM end %lx", good, ram_end);
		return;
	}

	try_all("canary", canary_phys, FALSE);
	try_all("gpa_limit", gpa_limit, FALSE);
	try_all("above_gpa_limit", gpa_limit + PAGE, FALSE);
	try_all("vga", VGA_HOLE, FALSE);
	if (bar)
		try_all("pci_bar", bar, FALSE);
	else
		Print(L"RAUM-CHECK INFO no PCI memory BAR below 4 GiB on bus 0: buf.*.pci_bar not checked\n");

	/* the last RAM bytes are the root's (when the suite can have that page): accepted */
	EFI_PHYSICAL_ADDRESS last = ram_end - PAGE;
	if (!EFI_ERROR(uefi_call_wrapper(BS->AllocatePages, 4, AllocateAddress, EfiLoaderData, 1, &last))) {
		ZeroMem((void *)last, PAGE);
		struct raum_log_write *w = (void *)(ram_end - sizeof(*w));
		w->level = 2;
		w->len = 28;
		CopyMem(w->text, "hostile suite: end of RAM ok", 28);
		/* GetVersion last: its output lands where the other two read their input */
		try_block(&calls[1], "ram_last_bytes", ram_end - calls[1].size, TRUE);
		try_block(&calls[2], "ram_last_bytes", ram_end - 8, TRUE); /* stats_in {0, 0}: VP 0 */
		try_block(&calls[0], "ram_last_bytes", ram_end - calls[0].size, TRUE);
		uefi_call_wrapper(BS->FreePages, 2, last, 1);
	} else {
		Print(L"RAUM-CHECK INFO the last RAM page %lx is in use: buf.*.ram_last_bytes not checked\n", last);
	}
	try_all("ram_end", ram_end, FALSE);
}

void hostile_buffers_far(void)
{
	if (!good || !ram_end)
		return;
	try_all("apic", APIC_PAGE, FALSE); /* Bochs ends the run on a byte-wide APIC write */
	try_all("gpa_limit_minus_64", gpa_limit - 64, FALSE);
	try_all("4g", 1ULL << 32, FALSE);

	/* a block in the root's own RAM still works after all that */
	struct snap a;
	long v;
	SetMem((void *)good, PAGE, 0xcc);
	UINT64 rax = hvcall("buf.valid_ram_after", RAUM_CALL_GET_VERSION, 0, good, &v);
	struct raum_version *ver = (void *)good;
	snap(&a);
	judge("buf.valid_ram_after",
	      v == NO_TRAP && (rax & 0xffff) == HV_STATUS_SUCCESS && ver->major == RAUM_VERSION_MAJOR, &a,
	      L"GetVersion into %lx: %a, RAX %lx, major %d", good, vec_name(v), rax, ver->major);
}
