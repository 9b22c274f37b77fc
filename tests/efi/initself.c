// SPDX-License-Identifier: MIT
/*
 * Sends INIT to its own CPU through the local APIC. On hardware the CPU
 * would restart at the firmware's reset vector; under Raum the INIT exits
 * (VT-x: always, SDM vol. 3C 26.2; SVM: the INIT intercept) and Raum logs
 * the root's state and resets the machine, as for a triple fault.
 *
 * The ICR's "self" shorthand is for fixed interrupts only (SDM vol. 3A
 * 11.6.1): the INIT goes to this CPU's own APIC ID, physical destination
 * mode, level assert, edge trigger. x2APIC mode (IA32_APIC_BASE.EXTD) uses
 * the ICR MSR 0x830, xAPIC the MMIO page (ICR high first: writing the low
 * half sends it).
 */
#include <efi.h>
#include <efilib.h>

#include <raum/x86-regs.h>

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab);

#define APIC_BASE_EXTD (1ULL << 10)
#define ICR_INIT (5u << 8)
#define ICR_ASSERT (1u << 14)

static UINT64 rdmsr(UINT32 msr)
{
	UINT32 lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((UINT64)hi << 32) | lo;
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	InitializeLib(image, systab);
	UINT64 base = rdmsr(MSR_IA32_APIC_BASE);
	UINT32 id;

	if (base & APIC_BASE_EXTD) {
		id = (UINT32)rdmsr(0x802);
		Print(L"RAUM-TEST: INIT to myself next (x2APIC ID %u)\n", id);
		/* rbx marks the root's state in Raum's dump */
		__asm__ volatile("cli; mov $0x1417, %%ebx; wrmsr" ::"c"(0x830), "a"(ICR_INIT | ICR_ASSERT), "d"(id)
				 : "rbx", "memory");
	} else {
		volatile UINT32 *apic = (volatile UINT32 *)(UINTN)(base & ~0xfffULL);
		id = apic[0x20 / 4] >> 24;
		Print(L"RAUM-TEST: INIT to myself next (APIC ID %u)\n", id);
		apic[0x310 / 4] = id << 24;
		__asm__ volatile("cli; mov $0x1417, %%ebx; movl %1, (%0)" ::"r"(&apic[0x300 / 4]),
				 "r"(ICR_INIT | ICR_ASSERT) : "rbx", "memory");
	}
	for (volatile UINT32 i = 0; i < 100000000; i++)
		;
	Print(L"RAUM-TEST: still running after INIT?\n");
	return EFI_SUCCESS;
}
