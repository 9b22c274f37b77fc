// SPDX-License-Identifier: MIT
/*
 * The hypervisor's C entry. kernel/entry.S calls hv_main() on the boot stack
 * with the firmware's identity mapping still present below Raum's own
 * mapping of the image. hv_main checks the boot information, starts the
 * console, builds Raum's address space and per-CPU area, then runs the rest
 * of the bring-up on the per-CPU stack. Its return value goes back to the
 * loader; the firmware's state is restored by entry.S.
 */
#include <raum/cpu.h>
#include <raum/errno.h>
#include <raum/fwctx.h>
#include <raum/health.h>
#include <raum/hwcheck.h>
#include <raum/log.h>
#include <raum/memcrypt.h>
#include <raum/memmap.h>
#include <raum/trap.h>
#include <raum/vendor.h>
#include <raum/version.h>
#include <raum/vm.h>
#include <raum/vp.h>
#include <raum/x86.h>

#define MAP_MAX 512

s64 hv_main(u64 bootinfo_phys, u64 image_phys);

static struct raum_bootinfo bi;
static struct raum_mem_range map[MAP_MAX];
static size_t map_count;

static const char *const fault_names[] = { "none", "page", "ud", "gp", "stack", "entry" };

bool debug_bad_entry(void) { return bi.debug_fault == RAUM_FAULT_ENTRY; }

static void print_memmap(void)
{
	for (size_t i = 0; i < map_count; i++)
		pr_debug("  %016llx-%016llx %s", (unsigned long long)map[i].base,
			 (unsigned long long)(map[i].base + (map[i].pages << PAGE_SHIFT) - 1),
			 memmap_type_name(map[i].type));
	pr_info("memory: %llu MiB usable RAM in a map of %zu ranges, highest address %#llx",
		(unsigned long long)(memmap_bytes(map, map_count, RAUM_MEM_USABLE) >> 20), map_count,
		(unsigned long long)memmap_end(map, map_count));
}

/*
 * The root's physical-address width: CPUID's, less the bits SME's C-bit
 * or TME-MK's KeyID take, so that no alias of Raum's memory lies inside
 * the identity map (include/raum/memcrypt.h). The loader refused the
 * states Raum does not support; this checks again on the values read here.
 * Out of line: its buffers stay off hv_main_late's frame, which the panic
 * backtrace scans (kernel/panic.c).
 */
static __attribute__((noinline)) int root_phys_bits(unsigned *bits)
{
	struct memcrypt_probe mcp;
	struct memcrypt_result mc;
	char note[MEMCRYPT_REASON_MAX];

	memcrypt_probe_cpu(&mcp);
	memcrypt_check(&mcp, &mc);
	if (!mc.ok) {
		pr_err("%s", mc.reason);
		return -RAUM_ENODEV;
	}
	memcrypt_describe(&mc, note, sizeof(note));
	if (note[0])
		pr_info("%s", note);
	*bits = mc.bits;
	return 0;
}

static u64 pool_free_pages(void) { return __atomic_load_n(&hv_pool.nfree, __ATOMIC_RELAXED); }

/*
 * What Raum's own memory holds, at boot (issue 10 asks it per CPU and for
 * the SLAT): the per-CPU area (stacks, IST stacks, bounce pages, tables),
 * the backend's per-CPU pages (host save area and host VMCB, or the VMXON
 * region), the root partition (SLAT tables, RAM list, vendor part with its
 * MSR / I/O maps) and of that the SLAT alone. The VP is reported when it
 * is created (kernel/partition.c).
 */
static __attribute__((noinline)) void memory_report(const struct cpu *c, u64 backend_pages, u64 part_pages)
{
	const struct partition *p = root_partition;

	pr_info("memory: per CPU %llu KiB (cpu%u: area %llu KiB, %s %llu KiB); root partition %llu KiB, of which "
		"SLAT %llu KiB in %llu tables (%s pages); pool %llu KiB free",
		(unsigned long long)((sizeof(struct cpu) >> 10) + (backend_pages << 2)), c->id,
		(unsigned long long)(sizeof(struct cpu) >> 10), vendor_name(),
		(unsigned long long)(backend_pages << 2), (unsigned long long)(part_pages << 2),
		(unsigned long long)(p->slat.nr_tables << 2), (unsigned long long)p->slat.nr_tables,
		p->slat.allow_1g ? "1 GiB" : p->slat.allow_2m ? "2 MiB" : "4 KiB",
		(unsigned long long)(pool_free_pages() << 2));
}

/* The bring-up that runs on this CPU's own stack. */
static s64 hv_main_late(u64 arg __unused)
{
	struct cpu *c = this_cpu();
	int rc;

	cpu_load_tables(c);
	if (!hypercall_selftest()) {
		pr_err("the hypercall table is out of order: a build mistake");
		return -RAUM_EINVAL;
	}
	rc = vendor_select(bi.vendor);
	if (rc) {
		pr_err("no virtualization backend for CPU vendor %u", bi.vendor);
		return rc;
	}
	u64 free0 = pool_free_pages();
	rc = vendor_cpu_enable(c);
	if (rc)
		return rc;
	u64 backend_pages = free0 - pool_free_pages();

	if (bi.debug_fault != RAUM_FAULT_NONE && bi.debug_fault != RAUM_FAULT_ENTRY) {
		pr_warn("debug_fault=%s is set in raum.cfg: faulting on purpose to test the panic path",
			bi.debug_fault < ARRAY_SIZE(fault_names) ? fault_names[bi.debug_fault] : "?");
		debug_fault(bi.debug_fault);
		pr_err("debug_fault=%u did not fault", bi.debug_fault);
	}

	unsigned phys_bits;
	rc = root_phys_bits(&phys_bits);
	if (rc) {
		vendor_cpu_disable(c);
		return rc;
	}

	bool slat_1g = false;
	rc = vendor_current()->prepare(&slat_1g);
	if (rc) {
		pr_err("virtualization is unavailable on this CPU: returning to the firmware unvirtualized");
		vendor_cpu_disable(c);
		return rc;
	}
	u64 free1 = pool_free_pages();
	rc = root_partition_create(map, map_count, bi.region_phys, bi.region_size, slat_1g, phys_bits);
	if (rc) {
		pr_err("cannot build the root partition's SLAT (error %d)", rc);
		vendor_cpu_disable(c);
		return rc;
	}

	memory_report(c, backend_pages, free1 - pool_free_pages());
	rc = health_init();
	if (rc) {
		pr_err("cannot take a page for the canary (error %d)", rc);
		vendor_cpu_disable(c);
		return rc;
	}

	u64 image_kib = bi.image_size >> 10;
	pr_info("Raum %s ready: backend %s, image %llu KiB, pool %llu MiB (%llu KiB free), cpu%u",
		RAUM_VERSION, vendor_name(), (unsigned long long)image_kib,
		(unsigned long long)(bi.pool_size >> 20),
		(unsigned long long)(hv_pool.nfree * PAGE_SIZE >> 10), c->id);

	if (debug_bad_entry())
		pr_warn("debug_fault=entry is set in raum.cfg: the root's first entry gets a broken guest state");
	/* Returns only when the launch did not happen. */
	rc = root_vp_launch(c, &fw_ctx, RAUM_ENTRY_LAUNCHED);
	vendor_cpu_disable(c);
	pr_err("late launch failed (error %d): returning to the firmware unvirtualized", rc);
	return rc;
}

s64 hv_main(u64 bootinfo_phys, u64 image_phys)
{
	const struct raum_bootinfo *in = (const struct raum_bootinfo *)bootinfo_phys;
	int rc;

	/* Nothing is printed before the console is known: a bad block is reported by the loader. */
	if (in->magic != RAUM_BOOTINFO_MAGIC)
		return -RAUM_EINVAL;
	if (in->version != RAUM_BOOTINFO_VERSION || in->size != sizeof(bi))
		return -RAUM_ENOTSUP;
	bi = *in;

	log_init(bi.serial_port, bi.serial_baud, bi.log_level);
	trap_init();
	pr_info("Raum %s hypervisor (built %s), loaded by %.32s", RAUM_VERSION, RAUM_BUILD_DATE,
		bi.loader_version);

	if (bi.memmap_count > MAP_MAX) {
		pr_err("memory map has %u ranges, more than the %u Raum handles", bi.memmap_count, MAP_MAX);
		return -RAUM_ERANGE;
	}
	const struct raum_mem_range *m = (const struct raum_mem_range *)bi.memmap_phys;
	for (u32 i = 0; i < bi.memmap_count; i++)
		map[i] = m[i];
	rc = memmap_normalize(map, bi.memmap_count);
	if (rc < 0) {
		pr_err("the firmware's memory map has overlapping ranges");
		return rc;
	}
	map_count = (size_t)rc;
	print_memmap();

	/* The pool's first pages hold its own bitmap. */
	u64 npages = bi.pool_size >> PAGE_SHIFT;
	u64 words = palloc_bitmap_words(npages);
	u64 bm_pages = ALIGN_UP(words * 8, PAGE_SIZE) >> PAGE_SHIFT;
	rc = palloc_init(&hv_pool, bi.pool_phys, npages, (u64 *)bi.pool_phys, words);
	if (rc == 0)
		rc = palloc_reserve(&hv_pool, bi.pool_phys, bm_pages);
	if (rc) {
		pr_err("cannot set up the page pool at %#llx (%llu pages)",
		       (unsigned long long)bi.pool_phys, (unsigned long long)npages);
		return rc;
	}

	struct cpuid_regs e1 = cpuid(0x80000001, 0);
	rc = vm_init(map, map_count, image_phys, e1.edx & BIT(26));
	if (rc) {
		pr_err("cannot build Raum's page tables (error %d)", rc);
		return rc;
	}
	/* From here the pool's bitmap is reached through the physmap. */
	hv_pool.bitmap = phys_to_virt(bi.pool_phys);

	u64 area;
	struct cpu *c;
	rc = page_alloc_zeroed(sizeof(struct cpu) / PAGE_SIZE, &area);
	if (rc == 0)
		rc = vm_map_percpu(0, area, (void **)&c);
	if (rc) {
		pr_err("cannot map the per-CPU area (error %d)", rc);
		return rc;
	}
	c->id = 0;
	c->area_phys = area;
	return call_on_stack(hv_main_late, 0, c->stack + sizeof(c->stack));
}
