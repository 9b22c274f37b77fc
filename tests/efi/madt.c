// SPDX-License-Identifier: MIT
/*
 * Gives the next boot image a MADT where the firmware has none, then starts
 * it. Test-only: OVMF 2022.11 installs ACPI tables only from QEMU's fw_cfg
 * (OvmfPkg/AcpiPlatformDxe), so under Bochs Linux finds no MADT and boots
 * on one CPU whatever the bochsrc's `cpu: count=` says
 * (docs/design/smp-research.md, finding 2).
 *
 * Load options: "<path of the next EFI image> <its load options>", e.g.
 *   \EFI\linux\vmlinuz.efi initrd=\EFI\linux\initrd.img console=ttyS0
 * The next image is loaded from this image's device.
 *
 * The MADT (ACPI 6.4, 5.2.12) has one Processor Local APIC entry per CPU,
 * the APIC IDs from EFI_MP_SERVICES_PROTOCOL.GetProcessorInfo (PI vol. 2,
 * 13.4), a Local APIC NMI entry (all processors, LINT1) and, with
 * "ioapic" as the first word of the options, an I/O APIC entry (Bochs:
 * 0xFEC00000, ID = the CPU count, bochs/iodev/ioapic.cc). Without an I/O
 * APIC entry Linux 6.1 (measured under Bochs) enumerates the local APICs,
 * logs "No IOAPIC entries present" and "APIC: Switch to symmetric I/O mode
 * setup" but registers no I/O APIC, so its interrupts still come through
 * the 8259s as on one CPU, and it starts the APs. No FADT or DSDT: Linux
 * cannot load the ACPI namespace and turns the interpreter off
 * ("ACPI: Interpreter disabled."), after setup_arch has read the MADT.
 *
 * The tables go in through EFI_ACPI_TABLE_PROTOCOL (PI vol. 5; edk2's
 * AcpiTableDxe, in OVMF's DXE volume): it checksums the table and builds and
 * publishes the RSDP, RSDT and XSDT. Without that protocol this image builds
 * an RSDP and XSDT itself in EfiACPIReclaimMemory and installs the RSDP as
 * the ACPI 2.0 configuration table.
 */
#include <efi.h>
#include <efilib.h>

#include "mpservices.h"

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab);

/* ---- ACPI layouts (ACPI 6.4, 5.2) ---- */
struct acpi_rsdp {
	char signature[8]; /* "RSD PTR " */
	UINT8 checksum;    /* first 20 bytes */
	char oem_id[6];
	UINT8 revision; /* 2: ACPI 2.0+ */
	UINT32 rsdt;
	UINT32 length;
	UINT64 xsdt;
	UINT8 ext_checksum; /* all 36 bytes */
	UINT8 reserved[3];
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP is 36 bytes (ACPI 6.4, 5.2.5.3)");
_Static_assert(__builtin_offsetof(struct acpi_rsdp, xsdt) == 24, "RSDP XSDT address at 24");

struct acpi_hdr {
	char signature[4];
	UINT32 length;
	UINT8 revision;
	UINT8 checksum;
	char oem_id[6];
	char oem_table_id[8];
	UINT32 oem_revision;
	UINT32 creator_id;
	UINT32 creator_revision;
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_hdr) == 36, "SDT header is 36 bytes (ACPI 6.4, 5.2.6)");

struct madt_lapic { /* type 0 */
	UINT8 type, length, uid, apic_id;
	UINT32 flags; /* bit 0: enabled */
} __attribute__((packed));
_Static_assert(sizeof(struct madt_lapic) == 8, "Processor Local APIC entry is 8 bytes (5.2.12.2)");

struct madt_ioapic { /* type 1 */
	UINT8 type, length, id, reserved;
	UINT32 address, gsi_base;
} __attribute__((packed));
_Static_assert(sizeof(struct madt_ioapic) == 12, "I/O APIC entry is 12 bytes (5.2.12.3)");

struct madt_lapic_nmi { /* type 4 */
	UINT8 type, length, uid;
	UINT16 flags;
	UINT8 lint;
} __attribute__((packed));
_Static_assert(sizeof(struct madt_lapic_nmi) == 6, "Local APIC NMI entry is 6 bytes (5.2.12.7)");

#define MAX_CPUS 64
struct madt {
	struct acpi_hdr hdr;
	UINT32 lapic_address;
	UINT32 flags; /* bit 0: PCAT_COMPAT, the dual 8259s are there */
	/* entries follow: packed into body */
	UINT8 body[MAX_CPUS * sizeof(struct madt_lapic) + sizeof(struct madt_ioapic) +
		   sizeof(struct madt_lapic_nmi)];
} __attribute__((packed));
_Static_assert(__builtin_offsetof(struct madt, body) == 44, "MADT entries start at 44 (5.2.12)");

/* ---- PI protocols gnu-efi lacks ---- */
#define ACPI_TABLE_PROTOCOL_GUID { 0xffe06bdd, 0x6107, 0x46a6, { 0x7b, 0xb2, 0x5a, 0x9c, 0x7e, 0xc5, 0x27, 0x5c } }

struct acpi_table_protocol {
	EFI_STATUS(EFIAPI *install)(struct acpi_table_protocol *, void *table, UINTN size, UINTN *key);
	void *uninstall;
};

static UINT8 checksum(const void *p, UINTN n)
{
	UINT8 s = 0;
	for (UINTN i = 0; i < n; i++)
		s += ((const UINT8 *)p)[i];
	return (UINT8)-s;
}

static void set_hdr(struct acpi_hdr *h, const char *sig, UINT32 len, UINT8 rev)
{
	SetMem(h, sizeof(*h), 0);
	CopyMem(h->signature, (void *)sig, 4);
	h->length = len;
	h->revision = rev;
	CopyMem(h->oem_id, "RAUMT ", 6);
	CopyMem(h->oem_table_id, "RAUMMADT", 8);
	h->oem_revision = 1;
	CopyMem(&h->creator_id, "RAUM", 4);
	h->creator_revision = 1;
}

/* Does the firmware publish a MADT already? 1 yes, 0 no ACPI tables or none. */
static int firmware_has_madt(void)
{
	EFI_GUID acpi20 = ACPI_20_TABLE_GUID;
	for (UINTN i = 0; i < ST->NumberOfTableEntries; i++) {
		if (CompareGuid(&ST->ConfigurationTable[i].VendorGuid, &acpi20))
			continue;
		struct acpi_rsdp *r = ST->ConfigurationTable[i].VendorTable;
		if (!r || r->revision < 2 || !r->xsdt)
			return 0;
		struct acpi_hdr *x = (struct acpi_hdr *)(UINTN)r->xsdt;
		UINT64 *e = (UINT64 *)(x + 1);
		for (UINTN k = 0; k < (x->length - sizeof(*x)) / 8; k++)
			if (e[k] && !CompareMem(((struct acpi_hdr *)(UINTN)e[k])->signature, "APIC", 4))
				return 1;
		return 0;
	}
	return 0;
}

/* No ACPI table protocol: an RSDP and an XSDT of our own, in ACPI reclaim memory. */
static EFI_STATUS install_by_hand(const struct madt *m)
{
	struct blob {
		struct acpi_rsdp rsdp;
		UINT8 pad[4];
		struct acpi_hdr xsdt;
		UINT64 entry;
		struct madt madt;
	} __attribute__((packed)) *b;
	EFI_PHYSICAL_ADDRESS a = 0xffffffff; /* RSDT-era consumers want it below 4 GiB */
	EFI_STATUS st = uefi_call_wrapper(BS->AllocatePages, 4, AllocateMaxAddress, EfiACPIReclaimMemory,
					  EFI_SIZE_TO_PAGES(sizeof(*b)), &a);
	if (EFI_ERROR(st))
		return st;
	b = (struct blob *)(UINTN)a;
	SetMem(b, sizeof(*b), 0);
	CopyMem(&b->madt, (void *)m, m->hdr.length);
	set_hdr(&b->xsdt, "XSDT", sizeof(b->xsdt) + 8, 1);
	b->entry = (UINT64)(UINTN)&b->madt;
	b->xsdt.checksum = checksum(&b->xsdt, b->xsdt.length);
	CopyMem(b->rsdp.signature, "RSD PTR ", 8);
	CopyMem(b->rsdp.oem_id, "RAUMT ", 6);
	b->rsdp.revision = 2;
	b->rsdp.length = sizeof(b->rsdp);
	b->rsdp.xsdt = (UINT64)(UINTN)&b->xsdt;
	b->rsdp.checksum = checksum(&b->rsdp, 20);
	b->rsdp.ext_checksum = checksum(&b->rsdp, sizeof(b->rsdp));
	EFI_GUID acpi20 = ACPI_20_TABLE_GUID;
	return uefi_call_wrapper(BS->InstallConfigurationTable, 2, &acpi20, &b->rsdp);
}

static int add_madt(int with_ioapic)
{
	EFI_GUID mp_guid = MP_SERVICES_PROTOCOL_GUID, at_guid = ACPI_TABLE_PROTOCOL_GUID;
	struct mp_services *mp;
	struct acpi_table_protocol *at;
	static struct madt m;
	static struct mp_processor_info pi;
	UINTN all, enabled, len = 0, key;
	EFI_STATUS st;

	st = uefi_call_wrapper(BS->LocateProtocol, 3, &mp_guid, NULL, (void **)&mp);
	if (EFI_ERROR(st)) {
		Print(L"RAUM-MADT: no MP services protocol (%r): no MADT\n", st);
		return -1;
	}
	st = uefi_call_wrapper(mp->get_number_of_processors, 3, mp, &all, &enabled);
	if (EFI_ERROR(st) || all == 0 || all > MAX_CPUS) {
		Print(L"RAUM-MADT: GetNumberOfProcessors: %r, %lu CPUs: no MADT\n", st, (UINT64)all);
		return -1;
	}
	set_hdr(&m.hdr, "APIC", 0, 4);
	m.lapic_address = 0xfee00000;
	m.flags = 1;
	for (UINTN n = 0; n < all; n++) {
		st = uefi_call_wrapper(mp->get_processor_info, 3, mp, n, &pi);
		if (EFI_ERROR(st) || pi.processor_id > 254) {
			Print(L"RAUM-MADT: CPU %lu: %r, APIC ID %lu: no MADT\n", (UINT64)n, st, pi.processor_id);
			return -1;
		}
		struct madt_lapic *e = (struct madt_lapic *)&m.body[len];
		e->type = 0;
		e->length = sizeof(*e);
		e->uid = (UINT8)n;
		e->apic_id = (UINT8)pi.processor_id;
		e->flags = (pi.status & MP_PROC_ENABLED) ? 1 : 0;
		len += sizeof(*e);
		Print(L"RAUM-MADT: CPU %lu: APIC ID %lu%s%s\n", (UINT64)n, pi.processor_id,
		      (pi.status & 1) ? L" (BSP)" : L"", e->flags ? L"" : L" (disabled)");
	}
	if (with_ioapic) {
		struct madt_ioapic *io = (struct madt_ioapic *)&m.body[len];
		io->type = 1;
		io->length = sizeof(*io);
		io->id = (UINT8)all;
		io->address = 0xfec00000;
		io->gsi_base = 0;
		len += sizeof(*io);
	}
	struct madt_lapic_nmi *nmi = (struct madt_lapic_nmi *)&m.body[len];
	nmi->type = 4;
	nmi->length = sizeof(*nmi);
	nmi->uid = 0xff; /* every processor */
	nmi->flags = 0;  /* conforms to the bus: edge, active high */
	nmi->lint = 1;
	len += sizeof(*nmi);
	m.hdr.length = (UINT32)(__builtin_offsetof(struct madt, body) + len);
	m.hdr.checksum = checksum(&m, m.hdr.length);

	st = uefi_call_wrapper(BS->LocateProtocol, 3, &at_guid, NULL, (void **)&at);
	if (!EFI_ERROR(st)) {
		st = uefi_call_wrapper(at->install, 4, at, &m, (UINTN)m.hdr.length, &key);
		Print(L"RAUM-MADT: installed a MADT with %lu CPUs%s through the ACPI table protocol: %r\n",
		      (UINT64)all, with_ioapic ? L" and an I/O APIC" : L"", st);
	} else {
		st = install_by_hand(&m);
		Print(L"RAUM-MADT: no ACPI table protocol; installed RSDP, XSDT and a MADT with %lu CPUs%s: %r\n",
		      (UINT64)all, with_ioapic ? L" and an I/O APIC" : L"", st);
	}
	return EFI_ERROR(st) ? -1 : 0;
}

static CHAR16 *skip_spaces(CHAR16 *s)
{
	while (*s == L' ')
		s++;
	return s;
}

static CHAR16 *next_word(CHAR16 *s)
{
	while (*s && *s != L' ')
		s++;
	if (*s)
		*s++ = 0;
	return skip_spaces(s);
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	EFI_LOADED_IMAGE *li, *cli;
	EFI_HANDLE child;
	EFI_STATUS st;
	int with_ioapic = 0;

	InitializeLib(image, systab);
	st = uefi_call_wrapper(BS->HandleProtocol, 3, image, &LoadedImageProtocol, (void **)&li);
	if (EFI_ERROR(st) || !li->LoadOptionsSize) {
		Print(L"RAUM-MADT: no load options: want '<next image> <its options>'\n");
		return EFI_INVALID_PARAMETER;
	}
	UINTN n = li->LoadOptionsSize / sizeof(CHAR16);
	CHAR16 *opts = AllocateZeroPool((n + 1) * sizeof(CHAR16));
	if (!opts)
		return EFI_OUT_OF_RESOURCES;
	CopyMem(opts, li->LoadOptions, n * sizeof(CHAR16));
	CHAR16 *path = skip_spaces(opts), *rest = next_word(path);
	if (!StrCmp(path, L"ioapic")) {
		with_ioapic = 1;
		path = rest;
		rest = next_word(path);
	}
	if (!*path) {
		Print(L"RAUM-MADT: no next image in the load options\n");
		return EFI_INVALID_PARAMETER;
	}

	if (firmware_has_madt())
		Print(L"RAUM-MADT: the firmware has a MADT: left as it is\n");
	else
		add_madt(with_ioapic);

	Print(L"RAUM-MADT: starting %s %s\n", path, rest);
	EFI_DEVICE_PATH *dp = FileDevicePath(li->DeviceHandle, path);
	st = uefi_call_wrapper(BS->LoadImage, 6, FALSE, image, dp, NULL, 0, &child);
	if (EFI_ERROR(st)) {
		Print(L"RAUM-MADT: cannot load %s: %r\n", path, st);
		return st;
	}
	if (*rest) {
		st = uefi_call_wrapper(BS->HandleProtocol, 3, child, &LoadedImageProtocol, (void **)&cli);
		if (!EFI_ERROR(st)) {
			cli->LoadOptions = rest;
			cli->LoadOptionsSize = (UINT32)((StrLen(rest) + 1) * sizeof(CHAR16));
		}
	}
	st = uefi_call_wrapper(BS->StartImage, 3, child, NULL, NULL);
	Print(L"RAUM-MADT: %s returned %r\n", path, st);
	return st;
}
