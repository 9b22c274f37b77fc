// SPDX-License-Identifier: MIT
/*
 * BOOTX64.EFI: the Raum loader (GNU-EFI application).
 *
 *  1. reads \EFI\raum\raum.cfg (defaults when absent; bad lines named);
 *  2. checks the processor and prints a one-screen hardware summary;
 *  3. loads \EFI\raum\raum.bin into EfiReservedMemoryType memory (which the
 *     OS neither uses nor maps as RAM), with the boot-information block and
 *     the hypervisor's page pool beside it, and calls its entry;
 *  4. goes on booting: starts the root OS named in raum.cfg, or returns an
 *     error status so the firmware tries its next boot option.
 *
 * A missing requirement is one sentence naming it and the fix, and the OS
 * still boots (step 4): never a hang, never a reset.
 */
#include <efi.h>
#include <efilib.h>

#include <raum/bootinfo.h>
#include <raum/config.h>
#include <raum/errno.h>
#include <raum/fmt.h>
#include <raum/hwcheck.h>
#include <raum/memmap.h>
#include <raum/version.h>
#include <raum/x86.h>

#include "mpservices.h"
#include "probe.h"

#define CFG_PATH L"\\EFI\\raum\\raum.cfg"
#define IMAGE_PATH L"\\EFI\\raum\\raum.bin"
#define CFG_MAX (16 * 1024)
#define IMAGE_MAX (2 * 1024 * 1024)
#define MAP_SLOTS 1024 /* raum_mem_range entries reserved for the memory map */

static EFI_HANDLE self;
static EFI_FILE_HANDLE esp_root;
static EFI_HANDLE esp_device;
static struct raum_config cfg;

/*
 * The CPUs Raum starts on (issue 10): the boot CPU is CPU 0, the
 * application processors follow in MP services' order. Raum's CPU n runs
 * the root's VP n.
 */
static struct mp_services *mp;
static u32 nr_cpus = 1;
static UINTN mp_number[RAUM_BI_MAX_CPUS]; /* MP services' processor number of CPU n */
static u32 apic_id[RAUM_BI_MAX_CPUS];
static struct hw_probe ap_probe[RAUM_BI_MAX_CPUS];
static struct hw_result ap_hw[RAUM_BI_MAX_CPUS];

/* printf to the console. Lines stay under 80 columns: OVMF's serial terminal wraps there. */
static void say(const char *fmt, ...) __printf(1, 2);
static void say(const char *fmt, ...)
{
	char buf[512];
	CHAR16 wbuf[1100];
	va_list ap;
	size_t j = 0;

	va_start(ap, fmt);
	raum_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (size_t i = 0; buf[i] && j + 2 < ARRAY_SIZE(wbuf); i++) {
		if (buf[i] == '\n')
			wbuf[j++] = L'\r';
		wbuf[j++] = (CHAR16)(u8)buf[i];
	}
	wbuf[j] = 0;
	uefi_call_wrapper(ST->ConOut->OutputString, 2, ST->ConOut, wbuf);
}

/* Reads a whole file from the ESP into pool memory. */
static EFI_STATUS read_file(const CHAR16 *path, void **data, UINTN *size, UINTN max)
{
	EFI_FILE_HANDLE f;
	EFI_STATUS st;
	EFI_FILE_INFO *info;

	st = uefi_call_wrapper(esp_root->Open, 5, esp_root, &f, (CHAR16 *)path, EFI_FILE_MODE_READ, 0);
	if (EFI_ERROR(st))
		return st;
	info = LibFileInfo(f);
	if (!info) {
		uefi_call_wrapper(f->Close, 1, f);
		return EFI_DEVICE_ERROR;
	}
	UINTN n = info->FileSize;
	FreePool(info);
	if (n > max) {
		uefi_call_wrapper(f->Close, 1, f);
		return EFI_BAD_BUFFER_SIZE;
	}
	*data = AllocatePool(n + 1);
	if (!*data) {
		uefi_call_wrapper(f->Close, 1, f);
		return EFI_OUT_OF_RESOURCES;
	}
	*size = n;
	st = uefi_call_wrapper(f->Read, 3, f, size, *data);
	uefi_call_wrapper(f->Close, 1, f);
	if (!EFI_ERROR(st) && *size != n)
		st = EFI_DEVICE_ERROR;
	if (EFI_ERROR(st))
		FreePool(*data);
	return st;
}

static void cfg_error(void *ctx __unused, unsigned line, const char *msg)
{
	say("raum.cfg line %u: %s (default kept)\n", line, msg);
}

static void load_config(void)
{
	void *text;
	UINTN n;
	EFI_STATUS st;

	config_defaults(&cfg);
	st = read_file(CFG_PATH, &text, &n, CFG_MAX);
	if (st == EFI_NOT_FOUND) {
		say("raum.cfg: not found at \\EFI\\raum\\raum.cfg, using defaults\n");
		return;
	}
	if (st == EFI_BAD_BUFFER_SIZE) {
		say("raum.cfg: larger than %u KiB, ignored: using defaults\n", CFG_MAX / 1024);
		return;
	}
	if (EFI_ERROR(st)) {
		say("raum.cfg: cannot be read (EFI status %#llx), using defaults\n", (unsigned long long)st);
		return;
	}
	int errs = config_parse(text, n, &cfg, cfg_error, NULL);
	FreePool(text);
	if (errs)
		say("raum.cfg: %d line%s ignored\n", errs, errs == 1 ? "" : "s");
}

static const char *yn(bool b) { return b ? "yes" : "no"; }

static void print_summary(const struct hw_probe *p, const struct hw_result *r)
{
	const char *brand = p->brand;
	while (*brand == ' ')
		brand++;
	say("CPU      %s family %#x model %#x stepping %u\n", p->vendor, p->family, p->model, p->stepping);
	if (*brand)
		say("         %.60s\n", brand);
	if (r->vendor == RAUM_VENDOR_INTEL) {
		say("VT-x     %s", yn(r->virt));
		if (p->featctl_valid)
			say(", IA32_FEATURE_CONTROL %#llx%s", (unsigned long long)p->featctl,
			    r->featctl_write ? " (unlocked)" : "");
		say("\nEPT      %s (2 MiB pages %s, 1 GiB pages %s, A/D bits %s)\n", yn(r->slat),
		    yn(r->slat_2m), yn(r->slat_1g), yn(r->ept_ad));
		say("         unrestricted guest %s, VPID %s\n", yn(r->ug), yn(r->vpid));
	} else if (r->vendor == RAUM_VENDOR_AMD) {
		say("AMD-V    %s", yn(r->virt));
		if (p->vm_cr_valid)
			say(", VM_CR %#llx (SVMDIS %s)", (unsigned long long)p->vm_cr,
			    yn(p->vm_cr & VM_CR_SVMDIS));
		say("\nNPT      %s (1 GiB pages %s), %u ASIDs, NRIPS %s\n", yn(r->slat), yn(r->slat_1g),
		    r->nasid, yn(r->nrips));
	}
	say("NX/DEP   %s\n", yn(r->nx));
	char note[MEMCRYPT_REASON_MAX];
	memcrypt_describe(&r->mc, note, sizeof(note));
	if (note[0])
		say("Encrypt  %s\n", note);
	if (r->hv_present)
		say("Below us %s (nested virtualization)\n", p->hv_sig);
}

/* Starts the configured root OS; returns only if there is none or it fails or exits. */
static EFI_STATUS continue_boot(EFI_STATUS fallback)
{
	CHAR16 path[RAUM_CFG_PATH_MAX], *opts;
	EFI_HANDLE child;
	EFI_STATUS st;

	if (!cfg.root[0]) {
		say("No root OS configured (root = in raum.cfg): returning to the firmware,\n"
		    "which goes on with its next boot option.\n");
		return fallback;
	}
	for (int i = 0;; i++) {
		path[i] = (CHAR16)(u8)cfg.root[i];
		if (!cfg.root[i])
			break;
	}
	say("Starting the root OS: %s %s\n", cfg.root, cfg.root_options);
	EFI_DEVICE_PATH *dp = FileDevicePath(esp_device, path);
	st = uefi_call_wrapper(BS->LoadImage, 6, FALSE, self, dp, NULL, 0, &child);
	if (dp)
		FreePool(dp);
	if (EFI_ERROR(st)) {
		say("Cannot load the root OS %s (EFI status %#llx): check root = in raum.cfg.\n"
		    "Returning to the firmware's next boot option.\n", cfg.root, (unsigned long long)st);
		return EFI_NOT_FOUND;
	}
	if (cfg.root_options[0]) {
		EFI_LOADED_IMAGE *li;
		size_t n = 0;
		while (cfg.root_options[n])
			n++;
		opts = AllocatePool((n + 1) * sizeof(CHAR16));
		if (opts) {
			for (size_t i = 0; i <= n; i++)
				opts[i] = (CHAR16)(u8)cfg.root_options[i];
			st = uefi_call_wrapper(BS->HandleProtocol, 3, child, &LoadedImageProtocol, (void **)&li);
			if (!EFI_ERROR(st)) {
				li->LoadOptions = opts;
				li->LoadOptionsSize = (UINT32)((n + 1) * sizeof(CHAR16));
			}
		}
	}
	st = uefi_call_wrapper(BS->StartImage, 3, child, NULL, NULL);
	say("The root OS returned (EFI status %#llx)\n", (unsigned long long)st);
	return EFI_ERROR(st) ? st : fallback;
}

/* The ACPI 2.0+ RSDP from the configuration table, or 0. */
static u64 find_rsdp(void)
{
	EFI_GUID acpi20 = ACPI_20_TABLE_GUID;
	for (UINTN i = 0; i < ST->NumberOfTableEntries; i++)
		if (!CompareGuid(&ST->ConfigurationTable[i].VendorGuid, &acpi20))
			return (u64)ST->ConfigurationTable[i].VendorTable;
	return 0;
}

/*
 * Translates the firmware's memory map into 'out' (cap entries): Raum's
 * types, sorted and merged, the region [rbase, rbase + rsize) marked as
 * Raum's. Returns the count or a negative error.
 */
static int build_memmap(struct raum_mem_range *out, size_t cap, u64 rbase, u64 rsize)
{
	UINTN entries, key, dsize;
	UINT32 dver;
	EFI_MEMORY_DESCRIPTOR *map = LibMemoryMap(&entries, &key, &dsize, &dver);
	size_t n = 0;

	if (!map)
		return -RAUM_ENOMEM;
	for (UINTN i = 0; i < entries && n < cap; i++) {
		EFI_MEMORY_DESCRIPTOR *d = (EFI_MEMORY_DESCRIPTOR *)((u8 *)map + i * dsize);
		out[n++] = (struct raum_mem_range){
			.base = d->PhysicalStart,
			.pages = d->NumberOfPages,
			.type = memmap_type_from_efi(d->Type),
			.efi_type = d->Type,
			.attr = d->Attribute,
		};
	}
	FreePool(map);
	if (n == cap)
		return -RAUM_ERANGE;
	int rc = memmap_normalize(out, n);
	if (rc < 0)
		return rc;
	return memmap_carve(out, (size_t)rc, cap, rbase, rsize, RAUM_MEM_RAUM);
}

static const char *errname(s64 rc)
{
	switch (-rc) {
	case RAUM_EINVAL: return "invalid boot information";
	case RAUM_ENOMEM: return "out of memory: raise pool_mb in raum.cfg";
	case RAUM_ENODEV: return "virtualization unavailable";
	case RAUM_EBUSY: return "already in use by another hypervisor";
	case RAUM_ERANGE: return "out of range";
	case RAUM_EIO: return "the CPU refused an operation";
	case RAUM_ENOTSUP: return "loader and hypervisor image do not match: rebuild both";
	case RAUM_ENOIOMMU: return "iommu = required in raum.cfg, and Raum cannot confine device DMA here";
	default: return "unknown error";
	}
}

/* Runs on an application processor (no boot services there): its CPUID and MSRs, as on the boot CPU. */
static VOID EFIAPI ap_probe_proc(VOID *arg) { hw_probe_cpu(arg); }

/*
 * Lists the processors through MP services and checks every application
 * processor against the boot CPU (hw_compare), before anything runs under
 * Raum. Returns false with one sentence said when one cannot be
 * virtualized: then no CPU is. A firmware without MP services, or a
 * machine with one CPU, is one CPU.
 */
static bool list_and_check_cpus(const struct hw_probe *bp, const struct hw_result *b)
{
	EFI_GUID guid = MP_SERVICES_PROTOCOL_GUID;
	UINTN all = 0, enabled = 0;
	char why[HW_REASON_MAX];

	nr_cpus = 1;
	apic_id[0] = cpu_apic_id();
	if (EFI_ERROR(uefi_call_wrapper(BS->LocateProtocol, 3, &guid, NULL, (void **)&mp)) || !mp) {
		mp = NULL;
		say("CPUs     1 (the firmware has no MP services protocol)\n");
		return true;
	}
	if (EFI_ERROR(uefi_call_wrapper(mp->get_number_of_processors, 3, mp, &all, &enabled)) || all == 0) {
		say("Raum cannot start: the firmware's MP services do not count the CPUs.\n");
		return false;
	}
	if (enabled != all) {
		say("Raum cannot start: %llu of %llu CPUs are disabled in the firmware, and Raum must run\n"
		    "on every CPU: enable them in the firmware setup.\n", (unsigned long long)(all - enabled),
		    (unsigned long long)all);
		return false;
	}
	if (all > RAUM_BI_MAX_CPUS) {
		say("Raum cannot start: this machine has %llu CPUs, more than the %u Raum supports.\n",
		    (unsigned long long)all, RAUM_BI_MAX_CPUS);
		return false;
	}
	for (UINTN n = 0; n < all; n++) {
		struct mp_processor_info pi;
		if (EFI_ERROR(uefi_call_wrapper(mp->get_processor_info, 3, mp, n, &pi))) {
			say("Raum cannot start: the firmware describes no CPU number %llu.\n", (unsigned long long)n);
			return false;
		}
		if (pi.status & MP_PROC_BSP)
			continue;
		if (!(pi.status & MP_PROC_HEALTHY)) {
			say("Raum cannot start: the firmware reports CPU %u (APIC ID %llu) unhealthy.\n", nr_cpus,
			    (unsigned long long)pi.processor_id);
			return false;
		}
		mp_number[nr_cpus] = n;
		apic_id[nr_cpus] = (u32)pi.processor_id;
		nr_cpus++;
	}
	for (u32 c = 1; c < nr_cpus; c++) {
		EFI_STATUS st = uefi_call_wrapper(mp->startup_this_ap, 7, mp, ap_probe_proc, mp_number[c], NULL, 0,
						  &ap_probe[c], NULL);
		if (EFI_ERROR(st)) {
			say("Raum cannot start: CPU %u did not run the loader's check (EFI status %#llx).\n", c,
			    (unsigned long long)st);
			return false;
		}
		hw_check(&ap_probe[c], &ap_hw[c]);
		if (cfg.debug_fault == RAUM_FAULT_AP && c == 1) {
			/* the refusal path on any machine with 2 CPUs: CPU 1 as if it had a narrower address width */
			say("debug_fault=ap is set in raum.cfg: CPU 1 is checked as if unlike the boot CPU\n");
			ap_hw[c].mc.bits = b->mc.bits - 1;
		}
		if (!hw_compare(bp, b, &ap_probe[c], &ap_hw[c], c, why, sizeof(why))) {
			say("Raum cannot start: %s.\n", why);
			return false;
		}
	}
	say("CPUs     %u, all alike: Raum starts on every one\n", nr_cpus);
	return true;
}

/* What an application processor's launch call gets and gives back. */
struct ap_launch {
	raum_entry_fn entry;
	u64 bootinfo;
	u64 featctl;   /* IA32_FEATURE_CONTROL to write first (VT-x, unlocked by the firmware), else 0 */
	s64 rc;
};

/*
 * Runs on an application processor: locks IA32_FEATURE_CONTROL as the
 * loader did on the boot CPU (every CPU has its own, and OVMF leaves them
 * all unlocked), then Raum's entry, which returns RAUM_ENTRY_LAUNCHED as
 * the root: this procedure then returns into the firmware's AP loop as a
 * guest, and the AP halts there, now the root's VP.
 */
static VOID EFIAPI ap_launch_proc(VOID *arg)
{
	struct ap_launch *a = arg;

	if (a->featctl)
		wrmsr(MSR_IA32_FEATURE_CONTROL, a->featctl);
	a->rc = a->entry(a->bootinfo);
}

/*
 * Loads and runs the hypervisor. Returns true when it started (and, in this
 * build, returned after bringing the CPU up and down again).
 */
static bool run_hypervisor(const struct hw_result *hw)
{
	void *file;
	UINTN fsize;
	EFI_STATUS st = read_file(IMAGE_PATH, &file, &fsize, IMAGE_MAX);

	if (st == EFI_NOT_FOUND) {
		say("Raum cannot start: \\EFI\\raum\\raum.bin is missing from the ESP: copy\n"
		    "build/esp to the ESP again.\n");
		return false;
	}
	if (EFI_ERROR(st)) {
		say("Raum cannot start: \\EFI\\raum\\raum.bin cannot be read (EFI status %#llx).\n",
		    (unsigned long long)st);
		return false;
	}
	const struct raum_image_header *h = file;
	if (fsize < sizeof(*h) || h->magic != RAUM_IMAGE_MAGIC || h->mem_size < fsize ||
	    h->mem_size > IMAGE_MAX || !IS_ALIGNED(h->mem_size, PAGE_SIZE) || h->entry_off >= fsize) {
		say("Raum cannot start: \\EFI\\raum\\raum.bin is not a Raum image (bad header):\n"
		    "rebuild with make and copy build/esp again.\n");
		FreePool(file);
		return false;
	}

	/* region: [image | bootinfo page | memory map | pool], then the root's neighbour page (RAUM_BI_F_NEIGHBOUR) */
	u64 map_bytes = ALIGN_UP(MAP_SLOTS * sizeof(struct raum_mem_range), PAGE_SIZE);
	u64 pool = (u64)cfg.pool_mb << 20;
	u64 size = h->mem_size + PAGE_SIZE + map_bytes + pool;
	EFI_PHYSICAL_ADDRESS base = 0;
	st = uefi_call_wrapper(BS->AllocatePages, 4, AllocateAnyPages, EfiReservedMemoryType,
			       (size >> PAGE_SHIFT) + 1, &base);
	if (EFI_ERROR(st)) {
		say("Raum cannot start: no %llu MiB of memory for it: lower pool_mb in raum.cfg.\n",
		    (unsigned long long)(size >> 20));
		FreePool(file);
		return false;
	}
	u8 *img = (u8 *)base;
	for (u64 i = 0; i < h->mem_size + PAGE_SIZE + map_bytes; i++)
		img[i] = i < fsize ? ((u8 *)file)[i] : 0;
	u64 entry_off = h->entry_off, mem_size = h->mem_size;
	FreePool(file);
	h = NULL; /* it pointed into the file buffer */

	struct raum_bootinfo *bi = (struct raum_bootinfo *)(base + mem_size);
	struct raum_mem_range *map = (struct raum_mem_range *)(base + mem_size + PAGE_SIZE);
	int count = build_memmap(map, MAP_SLOTS, base, size);
	if (count < 0) {
		say("Raum cannot start: the firmware's memory map cannot be used (error %d).\n", count);
		uefi_call_wrapper(BS->FreePages, 2, base, (size >> PAGE_SHIFT) + 1);
		return false;
	}
	say("Memory   %llu MiB usable, %d ranges, top %#llx; Raum at %#llx, %llu MiB\n",
	    (unsigned long long)(memmap_bytes(map, count, RAUM_MEM_USABLE) >> 20), count,
	    (unsigned long long)memmap_end(map, count), (unsigned long long)base,
	    (unsigned long long)(size >> 20));

	*bi = (struct raum_bootinfo){
		.magic = RAUM_BOOTINFO_MAGIC,
		.version = RAUM_BOOTINFO_VERSION,
		.size = sizeof(*bi),
		.region_phys = base,
		.region_size = size,
		.image_phys = base,
		.image_size = mem_size,
		.pool_phys = base + mem_size + PAGE_SIZE + map_bytes,
		.pool_size = pool,
		.memmap_phys = (u64)map,
		.memmap_count = (u32)count,
		.vendor = hw->vendor,
		.rsdp_phys = find_rsdp(),
		.serial_port = cfg.serial_port,
		.log_level = cfg.log_level,
		.debug_fault = cfg.debug_fault,
		.iommu = cfg.iommu,
		.serial_baud = cfg.serial_baud,
		.loader_flags = (hw->featctl_write ? RAUM_BI_F_FEATCTL_SET : 0) | RAUM_BI_F_NEIGHBOUR,
		.phase = RAUM_PHASE_INIT,
		.nr_cpus = nr_cpus,
	};
	for (u32 c = 0; c < nr_cpus; c++)
		bi->apic_ids[c] = apic_id[c];
	raum_snprintf(bi->loader_version, sizeof(bi->loader_version), "loader %s", RAUM_VERSION);

	say("Starting the hypervisor (log on serial port %#x)\n", cfg.serial_port);
	raum_entry_fn entry = (raum_entry_fn)(base + entry_off);
	s64 rc = entry((u64)bi);
	/*
	 * The application processors first, one at a time, while this CPU is
	 * still native: once it runs under Raum its INIT / SIPI writes are
	 * Raum's to emulate, and no MP services call may follow (it would send
	 * a physical INIT to CPUs that run under Raum). The boot CPU last.
	 */
	for (u32 c = 1; rc == RAUM_ENTRY_PREPARED && c < nr_cpus; c++) {
		struct ap_launch a = { .entry = entry, .bootinfo = (u64)bi, .rc = -RAUM_EIO,
				       .featctl = ap_hw[c].featctl_write ? ap_hw[c].featctl_value : 0 };
		bi->phase = RAUM_PHASE_LAUNCH;
		bi->cpu = c;
		st = uefi_call_wrapper(mp->startup_this_ap, 7, mp, ap_launch_proc, mp_number[c], NULL, 0,
						  &a, NULL);
		if (EFI_ERROR(st) || a.rc != RAUM_ENTRY_LAUNCHED) {
			/*
			 * After every check passed: CPUs 1 .. c-1 run under Raum, c does
			 * not. No MP call can take them back (it would INIT them), and
			 * the boot CPU must not run the OS natively beside them.
			 */
			say("Raum failed to start on CPU %u (EFI status %#llx, error %lld) after starting on %u\n"
			    "other CPUs: see its log on serial. The machine resets now.\n", c,
			    (unsigned long long)st, (long long)a.rc, c - 1);
			uefi_call_wrapper(RT->ResetSystem, 4, EfiResetCold, EFI_ABORTED, 0, NULL);
		}
	}
	if (rc == RAUM_ENTRY_PREPARED) {
		bi->phase = RAUM_PHASE_LAUNCH;
		bi->cpu = 0;
		rc = entry((u64)bi);
		if (rc != RAUM_ENTRY_LAUNCHED && nr_cpus > 1) {
			say("Raum failed to start on the boot CPU (error %lld) after starting on the %u others:\n"
			    "see its log on serial. The machine resets now.\n", (long long)rc, nr_cpus - 1);
			uefi_call_wrapper(RT->ResetSystem, 4, EfiResetCold, EFI_ABORTED, 0, NULL);
		}
	}
	if (rc == RAUM_ENTRY_LAUNCHED) {
		/* We run as the root partition's VP 0 now; the region stays Raum's for good. */
		say("Raum is running: this firmware and the OS it boots are its root partition.\n");
		return true;
	}
	/* Not resident: the memory goes back to the firmware. */
	uefi_call_wrapper(BS->FreePages, 2, base, (size >> PAGE_SHIFT) + 1);
	if (rc < 0) {
		say("Raum failed to start: error %lld (%s); see its log on serial.\n", (long long)rc,
		    errname(rc));
		return false;
	}
	say("Raum started and returned without virtualizing this machine; see its log on serial.\n");
	return true;
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab);
EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	EFI_LOADED_IMAGE *li;
	struct hw_probe probe;
	struct hw_result hw;

	InitializeLib(image, systab);
	self = image;
	say("\nRaum loader %s\n", RAUM_VERSION);

	if (EFI_ERROR(uefi_call_wrapper(BS->HandleProtocol, 3, image, &LoadedImageProtocol, (void **)&li))) {
		say("Raum cannot start: the firmware does not describe this loader's image.\n");
		return EFI_LOAD_ERROR;
	}
	esp_device = li->DeviceHandle;
	esp_root = LibOpenRoot(esp_device);
	if (!esp_root) {
		say("Raum cannot start: the boot partition cannot be opened as FAT.\n");
		return EFI_LOAD_ERROR;
	}
	load_config();

	hw_probe_cpu(&probe);
	hw_check(&probe, &hw);
	print_summary(&probe, &hw);
	if (!hw.ok) {
		for (int i = 0; i < hw.nfail; i++)
			say("Raum cannot start: %s\n", hw.reason[i]);
		if (hw.fail[0] == HW_FAIL_RAUM_RUNNING) {
			/* A Raum loader started this one: going on would chain ourselves forever. */
			say("Returning to the image that started this loader.\n");
			return EFI_ALREADY_STARTED;
		}
		say("Booting on without virtualization.\n");
		return continue_boot(EFI_UNSUPPORTED);
	}
	say("Hardware OK: Raum can run here (backend %s)\n", hw.vendor == RAUM_VENDOR_AMD ? "svm" : "vmx");
	if (!list_and_check_cpus(&probe, &hw)) {
		say("Booting on without virtualization.\n");
		return continue_boot(EFI_UNSUPPORTED);
	}
	if (hw.featctl_write) {
		/* SDM vol. 3C 23.7: lock with VMX outside SMX on, as OVMF leaves it unlocked */
		wrmsr(MSR_IA32_FEATURE_CONTROL, hw.featctl_value);
		say("IA32_FEATURE_CONTROL was unlocked: now locked with VMX outside SMX on (%#llx)\n",
		    (unsigned long long)hw.featctl_value);
	}

	run_hypervisor(&hw);
	/* With no root OS configured the firmware must try its next option: an error status. */
	return continue_boot(EFI_NOT_STARTED);
}
