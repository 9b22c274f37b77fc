// SPDX-License-Identifier: MIT
/*
 * Triple-faults the root partition on purpose: with an empty IDT, ud2
 * raises #UD, whose delivery fails (#DF), whose delivery fails: shutdown.
 * Raum intercepts it, prints the root's state on serial and resets the
 * machine (QEMU with -no-reboot then exits).
 */
#include <efi.h>
#include <efilib.h>

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab);

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	static const struct __attribute__((packed)) {
		UINT16 limit;
		UINT64 base;
	} empty = { 0, 0 };

	InitializeLib(image, systab);
	Print(L"RAUM-TEST: triple fault next\n");
	__asm__ volatile("cli; lidt %0; mov $0x7a11, %%rbx; ud2" ::"m"(empty) : "rbx", "memory");
	Print(L"RAUM-TEST: still running after a triple fault?\n");
	return EFI_SUCCESS;
}
