/* SPDX-License-Identifier: MIT */
/*
 * The boot-information block: the contract between the UEFI loader (boot/)
 * and the hypervisor image. The loader fills it in memory it allocated as
 * EfiReservedMemoryType (so it outlives the loader and the OS never reuses
 * it) and passes its physical address to the image entry point.
 *
 * Layout rules: fixed-width types only, no pointers (the two sides run in
 * different address spaces: physical addresses only), every field at an
 * offset checked below. Bump RAUM_BOOTINFO_VERSION on any change.
 */
#ifndef RAUM_BOOTINFO_H
#define RAUM_BOOTINFO_H

#include <raum/types.h>

#define RAUM_BOOTINFO_MAGIC 0x4f464e494d554152ULL /* "RAUMINFO" */
#define RAUM_BOOTINFO_VERSION 3

/* Memory range types, translated by the loader from EFI_MEMORY_TYPE. */
enum raum_mem_type {
	RAUM_MEM_USABLE = 1,   /* RAM the root OS owns (conventional, loader, boot services) */
	RAUM_MEM_RESERVED = 2, /* firmware-reserved, unusable */
	RAUM_MEM_ACPI_RECLAIM = 3,
	RAUM_MEM_ACPI_NVS = 4,
	RAUM_MEM_MMIO = 5,      /* memory-mapped I/O named by the firmware */
	RAUM_MEM_RUNTIME = 6,   /* EFI runtime services code / data */
	RAUM_MEM_RAUM = 7,      /* the hypervisor's own memory: never the root's */
	RAUM_MEM_UNUSABLE = 8,  /* memory with errors */
	RAUM_MEM_PERSISTENT = 9,
};

struct raum_mem_range {
	u64 base;  /* physical, page aligned */
	u64 pages; /* 4 KiB pages */
	u32 type;  /* enum raum_mem_type */
	u32 efi_type; /* the firmware's EFI_MEMORY_TYPE, for diagnostics */
	u64 attr;  /* EFI_MEMORY_* attribute bits */
};
_Static_assert(sizeof(struct raum_mem_range) == 32, "raum_mem_range size");

/* CPU vendor as detected by the loader. */
enum raum_vendor {
	RAUM_VENDOR_UNKNOWN = 0,
	RAUM_VENDOR_INTEL = 1,
	RAUM_VENDOR_AMD = 2,
};

/* Deliberate faults for testing the panic path (debug_fault in raum.cfg). */
enum raum_debug_fault {
	RAUM_FAULT_NONE = 0,
	RAUM_FAULT_PAGE = 1, /* read an unmapped address: #PF */
	RAUM_FAULT_UD = 2,   /* execute ud2: #UD */
	RAUM_FAULT_GP = 3,   /* load a non-canonical address: #GP */
	RAUM_FAULT_STACK = 4,  /* run off the boot stack into its guard page: #DF on IST */
	RAUM_FAULT_ENTRY = 5,  /* launch the root with a guest state VMRUN / VM entry must refuse */
	RAUM_FAULT_AP = 6,     /* the loader finds CPU 1 unlike the boot CPU: the whole launch is refused */
};

/*
 * What Raum does about the IOMMU (iommu in raum.cfg, docs/iommu.md), in the
 * order config.c's names take:
 *   AUTO      use one when the ACPI tables name one; say once at boot when
 *             there is none that device DMA is not confined;
 *   REQUIRED  refuse the launch (the OS boots natively) unless device DMA
 *             is confined;
 *   OFF       leave the IOMMU alone (device DMA not confined; said at boot).
 */
enum raum_iommu_mode {
	RAUM_IOMMU_AUTO = 0,
	RAUM_IOMMU_REQUIRED = 1,
	RAUM_IOMMU_OFF = 2,
};

/* CPUs the block describes at most (RAUM_MAX_CPUS in include/raum/cpu.h). */
#define RAUM_BI_MAX_CPUS 64

/*
 * What one call of the entry point does (raum_bootinfo.phase), in the
 * order the loader makes them (boot/loader.c, docs/smp.md):
 *   RAUM_PHASE_INIT   on the boot CPU: the memory map, the pool, Raum's
 *                     address space, a per-CPU area for every CPU, the
 *                     root partition; returns RAUM_ENTRY_PREPARED with
 *                     every CPU still native;
 *   RAUM_PHASE_LAUNCH on CPU 'cpu' (the application processors first,
 *                     through the firmware's MP services, the boot CPU
 *                     last): enables VT-x / AMD-V there and late-launches
 *                     the root's VP 'cpu'; returns RAUM_ENTRY_LAUNCHED as
 *                     the root, or an error with the CPU native.
 */
enum raum_phase {
	RAUM_PHASE_INIT = 0,
	RAUM_PHASE_LAUNCH = 1,
};

#define RAUM_LOG_ERROR 0
#define RAUM_LOG_WARN 1
#define RAUM_LOG_INFO 2
#define RAUM_LOG_DEBUG 3

struct raum_bootinfo {
	u64 magic;   /* RAUM_BOOTINFO_MAGIC */
	u32 version; /* RAUM_BOOTINFO_VERSION */
	u32 size;    /* sizeof(struct raum_bootinfo) */

	/* The whole reserved region: [image | bootinfo + memmap | pool]. */
	u64 region_phys;
	u64 region_size;
	u64 image_phys; /* where the image (text .. bss) lies */
	u64 image_size; /* memory size of the image including bss */
	u64 pool_phys;  /* page pool for the hypervisor's allocator */
	u64 pool_size;

	u64 memmap_phys; /* array of struct raum_mem_range */
	u32 memmap_count;
	u32 vendor; /* enum raum_vendor */

	u64 rsdp_phys; /* ACPI 2.0+ RSDP, 0 when the firmware has none */

	u16 serial_port; /* 16550 I/O base, 0 = no serial console */
	u8 log_level;    /* RAUM_LOG_* */
	u8 debug_fault;  /* enum raum_debug_fault */
	u32 serial_baud;

	u64 loader_flags; /* RAUM_BI_F_* */
	char loader_version[32];
	u32 phase;       /* enum raum_phase: what this call of the entry does */
	u32 cpu;         /* RAUM_PHASE_LAUNCH: the CPU the call runs on (0: the boot CPU) */
	u32 nr_cpus;     /* CPUs the firmware started (1 .. RAUM_BI_MAX_CPUS) */
	u8 iommu;        /* enum raum_iommu_mode */
	u8 reserved[3];
	u32 apic_ids[RAUM_BI_MAX_CPUS]; /* by CPU number: the boot CPU first, then MP services' order */
};
#define RAUM_BI_F_FEATCTL_SET BIT(0) /* the loader locked IA32_FEATURE_CONTROL */
/*
 * The page right after the region (region_phys + region_size) is the
 * loader's too, in the same reserved allocation, and not Raum's: the root
 * keeps it in its SLAT and DMA map. GetHealth names it so that a DMA test
 * can write next to Raum's memory without touching memory the OS uses.
 */
#define RAUM_BI_F_NEIGHBOUR BIT(1)

_Static_assert(offsetof(struct raum_bootinfo, region_phys) == 16, "bootinfo layout");
_Static_assert(offsetof(struct raum_bootinfo, memmap_phys) == 64, "bootinfo layout");
_Static_assert(offsetof(struct raum_bootinfo, rsdp_phys) == 80, "bootinfo layout");
_Static_assert(offsetof(struct raum_bootinfo, serial_port) == 88, "bootinfo layout");
_Static_assert(offsetof(struct raum_bootinfo, loader_flags) == 96, "bootinfo layout");
_Static_assert(offsetof(struct raum_bootinfo, phase) == 136, "bootinfo layout");
_Static_assert(offsetof(struct raum_bootinfo, iommu) == 148, "bootinfo layout");
_Static_assert(offsetof(struct raum_bootinfo, apic_ids) == 152, "bootinfo layout");
_Static_assert(sizeof(struct raum_bootinfo) == 152 + 4 * RAUM_BI_MAX_CPUS, "bootinfo size");

/*
 * The image header: the first bytes of raum.bin (see kernel/entry.S).
 * The loader validates it before it copies the image.
 */
#define RAUM_IMAGE_MAGIC 0x3130564855414152ULL /* "RAAUHV01" */
struct raum_image_header {
	u8 jump[8];     /* a jmp to the entry stub: the image starts executing at offset 0 */
	u64 magic;      /* RAUM_IMAGE_MAGIC */
	u64 link_base;  /* virtual address the image is linked at */
	u64 file_size;  /* bytes in raum.bin */
	u64 mem_size;   /* bytes of memory the image needs (bss included), page multiple */
	u64 entry_off;  /* offset of the entry point from the start of the image */
};
_Static_assert(offsetof(struct raum_image_header, magic) == 8, "image header layout");
_Static_assert(offsetof(struct raum_image_header, entry_off) == 40, "image header layout");
_Static_assert(sizeof(struct raum_image_header) == 48, "image header size");

/*
 * The entry point: called by the loader with the System V AMD64 ABI, on the
 * firmware's stack and page tables, at the image's physical address.
 * The firmware's state (page tables, GDT, IDT, interrupts flag,
 * callee-saved registers) is what the caller finds on return.
 */
typedef __attribute__((sysv_abi)) s64 (*raum_entry_fn)(u64 bootinfo_phys);

/*
 * Entry results: RAUM_ENTRY_LAUNCHED when the call "returns" as a guest, the
 * CPU now virtualized and the reserved region in use for good;
 * RAUM_ENTRY_RETURNED when Raum started and stopped again (its region may be
 * freed); a negative RAUM_E* error otherwise.
 */
#define RAUM_ENTRY_RETURNED 0
#define RAUM_ENTRY_LAUNCHED 1
#define RAUM_ENTRY_PREPARED 2 /* RAUM_PHASE_INIT done: call again on every CPU with RAUM_PHASE_LAUNCH */

#endif
