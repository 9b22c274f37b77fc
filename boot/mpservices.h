/* SPDX-License-Identifier: MIT */
/*
 * EFI_MP_SERVICES_PROTOCOL (UEFI PI specification vol. 2, "MP Services
 * Protocol"; edk2 MdePkg/Include/Protocol/MpService.h), which GNU-EFI does
 * not declare. Only the boot CPU may call it; an AP procedure must not call
 * boot services. Blocking mode only (WaitEvent NULL): a UEFI application
 * runs after ReadyToBoot, when the specification no longer promises the
 * non-blocking mode.
 */
#ifndef RAUM_BOOT_MPSERVICES_H
#define RAUM_BOOT_MPSERVICES_H

#include <efi.h>

#define MP_SERVICES_PROTOCOL_GUID { 0x3fdda605, 0xa76e, 0x4f46, { 0xad, 0x29, 0x12, 0xf4, 0x53, 0x1b, 0x3d, 0x08 } }

struct mp_processor_info {
	UINT64 processor_id; /* the local APIC ID (the full x2APIC ID in edk2) */
	UINT32 status;       /* MP_PROC_* */
	UINT32 package, core, thread;
	UINT32 extended[6];  /* only when CPU_V2_EXTENDED_TOPOLOGY is asked for */
};
#define MP_PROC_BSP 0x1
#define MP_PROC_ENABLED 0x2
#define MP_PROC_HEALTHY 0x4

typedef VOID(EFIAPI *mp_ap_procedure)(VOID *arg);

struct mp_services {
	EFI_STATUS(EFIAPI *get_number_of_processors)(struct mp_services *, UINTN *all, UINTN *enabled);
	EFI_STATUS(EFIAPI *get_processor_info)(struct mp_services *, UINTN n, struct mp_processor_info *);
	EFI_STATUS(EFIAPI *startup_all_aps)(struct mp_services *, mp_ap_procedure, BOOLEAN single, EFI_EVENT wait,
					    UINTN timeout_us, VOID *arg, UINTN **failed);
	EFI_STATUS(EFIAPI *startup_this_ap)(struct mp_services *, mp_ap_procedure, UINTN n, EFI_EVENT wait,
					    UINTN timeout_us, VOID *arg, BOOLEAN *finished);
	VOID *switch_bsp, *enable_disable_ap;
	EFI_STATUS(EFIAPI *who_am_i)(struct mp_services *, UINTN *n);
};

#endif
