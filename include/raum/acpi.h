/* SPDX-License-Identifier: MIT */
/*
 * ACPI tables Raum reads for the IOMMU (issue 11, docs/iommu.md): the RSDP,
 * the XSDT / RSDT, DMAR (Intel VT-d), IVRS (AMD-Vi) and MCFG (the PCIe ECAM
 * windows). Pure code (drivers/acpi.c), unit-tested on the host with good
 * and malformed tables (tests/unit/test_acpi.c).
 *
 * The tables come from the firmware, which Raum trusts no more than it must:
 * every length is checked against the bytes the caller can give, every
 * checksum is verified, every structure is bounds-checked before it is read,
 * and anything malformed is refused with one sentence in err (naming the
 * table, the structure's offset and what is wrong). A refusal means no
 * IOMMU is programmed at all: never half of one.
 *
 * Specifications: ACPI 6.5 sections 5.2.5 (RSDP), 5.2.6 (header), 5.2.7
 * (RSDT), 5.2.8 (XSDT); Intel VT-d 4.1 chapter 8 (DMAR: DRHD, RMRR, ATSR,
 * RHSA, ANDD, SATC); AMD I/O Virtualization Technology (IOMMU) Specification
 * 48882 rev 3.08 section 5.2 (IVRS: IVHD types 10h 11h 40h, IVMD 20h 21h 22h);
 * PCI Firmware Specification 3.3 section 4.1.2 (MCFG).
 */
#ifndef RAUM_ACPI_H
#define RAUM_ACPI_H

#include <raum/types.h>

#define ACPI_HEADER_LEN 36
#define ACPI_ERR_MAX 160

/*
 * How the parsers reach physical memory: returns a pointer to len readable
 * bytes at phys, or NULL when that range is not memory the caller may read
 * (Raum: RAM of the memory map through the physmap; the unit tests: a
 * buffer). The writable variant is used by acpi_hide_table only.
 */
typedef const void *(*acpi_map_fn)(void *ctx, u64 phys, u64 len);

/* The root tables acpi_hide_table changed, as they were: at most the XSDT and the RSDT. */
#define ACPI_ROOT_BACKUP_MAX 1024 /* bytes per table: 123 XSDT entries, 247 RSDT entries */
struct acpi_root_backup {
	unsigned n;
	u64 phys[2];
	u32 len[2];
	u8 bytes[2][ACPI_ROOT_BACKUP_MAX];
};
typedef void *(*acpi_map_rw_fn)(void *ctx, u64 phys, u64 len);

/*
 * Finds the table with signature sig (4 characters) through the RSDP at
 * rsdp_phys: the XSDT when the RSDP has one (revision >= 2, a valid
 * extended checksum and a non-zero XSDT address), else the RSDT. Checks the
 * RSDP's checksum(s), the root table's signature, length (at least the
 * header, entries a whole multiple of 8 / 4 bytes) and checksum, and the
 * found table's header, length and checksum. Tables whose header cannot be
 * mapped are skipped with no error only when their signature cannot be read
 * at all; a table with the wanted signature that fails a check is an error.
 * Returns 1 and sets *phys / *len when found, 0 when absent, or a negative
 * error (-RAUM_EINVAL) with err filled.
 */
int acpi_find_table(acpi_map_fn map, void *ctx, u64 rsdp_phys, const char *sig, u64 *phys, u32 *len,
		    char *err, size_t errlen);

/*
 * Removes every entry that points at a table with signature sig from the
 * XSDT and from the RSDT (both, when both exist), moving the later entries
 * down, shortening the length and fixing the checksum, so that an OS reading
 * either finds no such table (issue 11: the root runs as on a machine
 * without an IOMMU). The table itself is left as it is. Returns the number
 * of entries removed (0 when none), or a negative error with err filled and
 * nothing changed (every check is made before the first write). With b not
 * NULL, each root table it changes is first copied into b (a table longer
 * than ACPI_ROOT_BACKUP_MAX is an error, before any write), so that
 * acpi_unhide can put it back.
 */
int acpi_hide_table(acpi_map_rw_fn map, void *ctx, u64 rsdp_phys, const char *sig, struct acpi_root_backup *b,
		    char *err, size_t errlen);

/*
 * Undoes acpi_hide_table: writes back the root tables as b saved them
 * (nothing when it saved none). For a launch that fails after the table was
 * hidden: the OS then boots natively and finds its IOMMU again.
 */
void acpi_unhide(acpi_map_rw_fn map, void *ctx, const struct acpi_root_backup *b);

/* True when the len bytes at t sum to 0 mod 256. */
bool acpi_checksum_ok(const void *t, size_t len);

/* ---- DMAR (Intel VT-d) ---- */

#define DMAR_MAX_UNITS 8
#define DMAR_MAX_RMRR 16
#define DMAR_F_INTR_REMAP BIT(0)
#define DMAR_F_X2APIC_OPT_OUT BIT(1)

struct dmar_unit {
	u64 reg_base;     /* the remapping unit's register page(s), 4 KiB aligned, non-zero */
	u64 reg_size;     /* bytes: 2^(Size field) pages (VT-d 4.1 8.3: the DRHD Size field), at least 4 KiB */
	u16 segment;
	bool include_all; /* INCLUDE_PCI_ALL: every device of the segment not under another unit */
	u16 nr_scopes;    /* device scope entries (devices, bridges, IOAPICs, HPETs it names) */
};

struct dmar_rmrr {
	u64 base;  /* 4 KiB aligned */
	u64 limit; /* last byte, inclusive: limit + 1 is 4 KiB aligned */
	u16 segment;
};

struct dmar_info {
	u8 haw;   /* host address width: the table's field + 1 */
	u8 flags; /* DMAR_F_* */
	unsigned nr_units, nr_rmrr;
	struct dmar_unit unit[DMAR_MAX_UNITS];
	struct dmar_rmrr rmrr[DMAR_MAX_RMRR];
};

/*
 * Parses a DMAR table of len bytes (its header, length and checksum already
 * checked by acpi_find_table; checked again here). Refused: a length below
 * 48, a remapping structure shorter than its fixed part or running past the
 * table (structures of other types than DRHD and RMRR are skipped by their
 * length: ATSR, RHSA, ANDD, SATC, SIDP and any later one), a DRHD with a zero or unaligned
 * register base, two DRHDs whose register ranges overlap, a segment with
 * more than one INCLUDE_PCI_ALL unit, an RMRR with an unaligned base or
 * limit + 1 or base > limit, a device scope shorter than 6 bytes or running
 * past its structure, more units or RMRRs than the arrays hold, no DRHD at
 * all, a HAW below 32. Returns 0 or -RAUM_EINVAL with err filled.
 */
int dmar_parse(const void *table, u32 len, struct dmar_info *out, char *err, size_t errlen);

/* ---- IVRS (AMD-Vi) ---- */

#define IVRS_MAX_UNITS 8
#define IVRS_MAX_IVMD 16

struct ivrs_unit {
	u8 type;        /* the IVHD type used: 0x10, 0x11 or 0x40 (the highest this parser knows wins) */
	u8 flags;       /* the IVHD flags byte */
	u16 bdf;        /* the IOMMU's own PCI function (bus << 8 | dev << 3 | fn) */
	u16 cap_offset; /* its capability block in that function's configuration space */
	u16 segment;
	u16 info;       /* IOMMU info: MSI number, UnitID */
	u64 mmio_base;  /* 16 KiB aligned, non-zero */
	u64 efr;        /* types 11h / 40h: the EFR image; 10h: 0 */
	u32 feature;    /* type 10h: IOMMU feature reporting; 11h / 40h: IOMMU attributes */
};

struct ivrs_ivmd {
	u8 type;     /* 0x20 all peripherals, 0x21 one, 0x22 a range */
	u8 flags;    /* bit 0 unity, 1 IR, 2 IW, 3 exclusion range */
	u16 first, last; /* requester IDs it names (0x20: 0..0xffff) */
	u64 base;    /* 4 KiB aligned */
	u64 length;  /* bytes, a multiple of 4 KiB */
};

struct ivrs_info {
	u32 ivinfo;
	unsigned nr_units, nr_ivmd;
	struct ivrs_unit unit[IVRS_MAX_UNITS];
	struct ivrs_ivmd ivmd[IVRS_MAX_IVMD];
};

/*
 * Parses an IVRS table. IVHD blocks of types 10h, 11h and 40h describing the
 * same IOMMU (same segment and device ID) are one unit: the highest type is
 * kept. Every IVHD's device entries are walked and their lengths checked
 * (types 0-63: 4 bytes, 64-127: 8 bytes, 0xF0: 22 + the UID length in its
 * byte 21; types 128 and above other than 0xF0 refuse).
 * Refused: a length below 48, a block shorter than its header or running
 * past the table, an IVHD with a zero or unaligned MMIO base, two units whose
 * 16 KiB MMIO windows overlap, an IVMD with an unaligned base or length, a
 * zero length or one that wraps, more units / IVMDs than the arrays hold, no
 * IVHD. Unknown block types are skipped by their length. Returns 0 or
 * -RAUM_EINVAL with err filled.
 */
int ivrs_parse(const void *table, u32 len, struct ivrs_info *out, char *err, size_t errlen);

/* ---- MCFG (PCIe ECAM) ---- */

#define MCFG_MAX_SEGS 8

struct mcfg_seg {
	u64 base; /* ECAM base of bus 0 of the segment (the table's field), 1 MiB aligned */
	u16 segment;
	u8 bus_start, bus_end;
};

/*
 * Parses MCFG: refused when the length is below 44 or the allocation
 * entries are not whole 16-byte entries, a base is zero or not 1 MiB
 * aligned, bus_start > bus_end, two windows overlap (in ECAM addresses, or in the
 * buses of one segment), or there are more than
 * MCFG_MAX_SEGS. Returns the number of windows (0 .. MCFG_MAX_SEGS) or
 * -RAUM_EINVAL with err filled.
 */
int mcfg_parse(const void *table, u32 len, struct mcfg_seg *out, char *err, size_t errlen);

/* The ECAM address of (bus, dev, fn) in window s, or 0 when the bus is outside it. */
u64 mcfg_ecam_addr(const struct mcfg_seg *s, u8 bus, u8 dev, u8 fn);

#endif
