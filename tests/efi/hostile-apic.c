// SPDX-License-Identifier: MIT
/*
 * The hostile-root suite: the xAPIC page, read-only in the root's SLAT so
 * that Raum sees INIT and SIPI (issue 10, docs/smp.md). Every write to it
 * exits and is decoded by Raum: sizes and offsets the APIC ignores are
 * dropped, an instruction Raum does not decode (a read-modify-write) gets
 * #GP, ICR writes with a reserved delivery mode or to an APIC ID no VP has
 * go nowhere, and IA32_APIC_BASE cannot move the page out of the trap.
 * Reads still reach the hardware. Raum's canary stays intact throughout.
 * Both vendors.
 */
#include "hostile.h"
#include "mpservices.h"

#define APIC_ID 0x20
#define APIC_TPR 0x80
#define APIC_ICR_LO 0x300
#define APIC_ICR_HI 0x310

static volatile UINT8 *apic;

static void w8(void *a) { *(volatile UINT8 *)a = 0; }
static void w64(void *a) { *(volatile UINT64 *)a = 0; } /* a quadword store across ICR low and the next register */
static void w32(void *a) { *(volatile UINT32 *)a = 0; }
static void rmw(void *a) { __asm__ volatile("orl $0, (%0)" ::"r"(a) : "memory", "cc"); }

struct icr_op {
	UINT32 hi, lo;
};
static void icr(void *a)
{
	struct icr_op *o = a;
	*(volatile UINT32 *)(apic + APIC_ICR_HI) = o->hi;
	*(volatile UINT32 *)(apic + APIC_ICR_LO) = o->lo;
}

/* The CPUs the firmware's MP services count: Raum traps the xAPIC page only with more than one. */
static UINTN cpu_count(void)
{
	EFI_GUID guid = MP_SERVICES_PROTOCOL_GUID;
	struct mp_services *mp = NULL;
	UINTN all = 1, enabled = 1;

	if (EFI_ERROR(uefi_call_wrapper(BS->LocateProtocol, 3, &guid, NULL, (void **)&mp)) || !mp ||
	    EFI_ERROR(uefi_call_wrapper(mp->get_number_of_processors, 3, mp, &all, &enabled)))
		return 1;
	return all;
}

void hostile_apic(void)
{
	struct snap b, a;

	if (cpu_count() < 2) {
		Print(L"RAUM-CHECK INFO apic: one CPU, the xAPIC page stays the root's: nothing to attack\n");
		return;
	}
	UINT64 base = rdmsr(0x1b);
	UINT64 f = irq_save();

	apic = (volatile UINT8 *)(UINTN)(base & 0xffffff000ULL);
	UINT32 id_reg = *(volatile UINT32 *)(apic + APIC_ID), hi0 = *(volatile UINT32 *)(apic + APIC_ICR_HI);
	UINT32 tpr0 = *(volatile UINT32 *)(apic + APIC_TPR);

	/* reads pass: the APIC ID register holds CPUID's initial APIC ID */
	UINT32 ebx;
	__asm__ volatile("cpuid" : "=b"(ebx) : "a"(1), "c"(0) : "edx");
	snap(&b);
	judge("apic.read_passes", (id_reg >> 24) == (ebx >> 24) && b.ok, &b,
	      L"APIC ID register %x, CPUID.1 EBX[31:24] %x", id_reg >> 24, ebx >> 24);

	/* a byte, a quadword and a misaligned dword: dropped, no fault */
	long v1 = guarded(w8, (void *)(apic + APIC_TPR));
	long v2 = guarded(w64, (void *)(apic + APIC_ICR_LO));
	long v3 = guarded(w32, (void *)(apic + APIC_ICR_LO + 2));
	snap(&a);
	judge("apic.odd_writes_dropped", v1 == NO_TRAP && v2 == NO_TRAP && v3 == NO_TRAP && a.ok, &a,
	      L"byte %a, quadword %a, misaligned %a (expected none)", vec_name(v1), vec_name(v2), vec_name(v3));

	/* a read-modify-write Raum does not decode: #GP, the register unchanged */
	long v4 = guarded(rmw, (void *)(apic + APIC_TPR));
	snap(&a);
	judge("apic.rmw_gp", v4 == 13 && *(volatile UINT32 *)(apic + APIC_TPR) == tpr0 && a.ok, &a,
	      L"OR to the TPR: %a (expected #GP)", vec_name(v4));

	/* ICR writes that go nowhere: a reserved delivery mode, a SIPI and an INIT to an APIC ID no VP has,
	 * an INIT de-assert to all; each returns, and Raum is alive */
	struct icr_op ops[] = {
		{ 0x7e000000, 0x00004300 },         /* delivery mode 011: reserved */
		{ 0x7e000000, 0x00004699 },         /* SIPI to APIC ID 0x7e */
		{ 0x7e000000, 0x00004500 },         /* INIT to APIC ID 0x7e */
		{ 0x00000000, 0x000c8500 },         /* INIT level de-assert, all excluding self */
		{ 0xff000000, 0x00004700 },         /* delivery mode 111 (ExtINT): invalid in an ICR */
	};
	long worst = NO_TRAP;
	for (UINTN i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		long v = guarded(icr, &ops[i]);
		if (v != NO_TRAP)
			worst = v;
	}
	*(volatile UINT32 *)(apic + APIC_ICR_HI) = hi0;
	snap(&a);
	judge("apic.icr_nowhere", worst == NO_TRAP && a.ok && a.h.canary_ok == 1, &a,
	      L"ICR writes: %a (expected none)", vec_name(worst));

	/* the page cannot move out of the trap: a new base is refused, the old one stays */
	struct msr_op o = { 0x1b, (base & ~0xffffff000ULL) | 0xfed00000ULL };
	long v5 = guarded(do_wrmsr, &o);
	UINT64 after = rdmsr(0x1b);
	snap(&a);
	judge("apic.base_stays", v5 == 13 && after == base && a.ok, &a,
	      L"WRMSR APIC_BASE %lx: %a (expected #GP), APIC_BASE %lx -> %lx", o.val, vec_name(v5), base, after);
	irq_restore(f);
}
