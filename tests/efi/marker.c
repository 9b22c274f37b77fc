// SPDX-License-Identifier: MIT
/*
 * A stand-in for the next boot image in boot tests: prints a marker, then
 * ends the emulator (QEMU: isa-debug-exit at 0xf4; Bochs: "Shutdown" to
 * port 0x8900). On real hardware neither port exists and it just returns.
 */
#include <efi.h>
#include <efilib.h>

#include "emuexit.h"

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab);

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	EFI_LOADED_IMAGE *li;

	InitializeLib(image, systab);
	Print(L"RAUM-TEST: next boot image ran\n");
	if (!EFI_ERROR(uefi_call_wrapper(BS->HandleProtocol, 3, image, &LoadedImageProtocol, (void **)&li)) &&
	    li->LoadOptionsSize)
		Print(L"RAUM-TEST: options '%s'\n", (CHAR16 *)li->LoadOptions);
	emu_exit(EMU_EXIT_PASS); /* QEMU exits with status 33 */
	return EFI_SUCCESS;
}
