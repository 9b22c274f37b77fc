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
#include <raum/iommu.h>
#include <raum/log.h>
#include <raum/memcrypt.h>
#include <raum/memmap.h>
#include <raum/smp.h>
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

static const char *const fault_names[] = { "none", "page", "ud", "gp", "stack", "entry", "ap" };

/* debug_fault=entry breaks the boot CPU's first entry only: the APs launch first and must come up. */
bool debug_bad_entry(void) { return bi.debug_fault == RAUM_FAULT_ENTRY && cpu_id() == 0; }

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
 * Out of line: its buffers stay off hv_init_late's frame, which the panic
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
 * RAUM_PHASE_INIT, on the boot CPU's own stack (its GDT and IDT without
 * TR: the call returns to the firmware): everything every CPU shares. The
 * CPUs stay native; each is launched by a later call (hv_launch_late).
 */
static s64 hv_init_late(u64 arg __unused)
{
	int rc;

	cpu_load_tables_no_tr(this_cpu());
	if (!hypercall_selftest()) {
		pr_err("the hypercall table is out of order: a build mistake");
		return -RAUM_EINVAL;
	}
	rc = vendor_select(bi.vendor);
	if (rc) {
		pr_err("no virtualization backend for CPU vendor %u", bi.vendor);
		return rc;
	}
	unsigned phys_bits;
	rc = root_phys_bits(&phys_bits);
	if (rc)
		return rc;
	rc = iommu_init(map, map_count, bi.rsdp_phys, bi.iommu, bi.region_phys, bi.region_size, phys_bits);
	if (rc)
		return rc;
	bool slat_1g = false;
	rc = vendor_current()->prepare(&slat_1g);
	if (rc) {
		pr_err("virtualization is unavailable on this CPU: returning to the firmware unvirtualized");
		return rc;
	}
	u64 free1 = pool_free_pages();
	rc = root_partition_create(map, map_count, bi.region_phys, bi.region_size, slat_1g, phys_bits);
	if (rc) {
		pr_err("cannot build the root partition's SLAT (error %d)", rc);
		return rc;
	}
	rc = iommu_protect(root_partition);
	if (rc)
		return rc;
	rc = smp_init(root_partition, bi.apic_ids, bi.nr_cpus);
	if (rc)
		return rc;
	const struct partition *p = root_partition;
	pr_info("memory: root partition %llu KiB, of which SLAT %llu KiB in %llu tables (%s pages); %u per-CPU "
		"areas of %llu KiB; pool %llu KiB free",
		(unsigned long long)((free1 - pool_free_pages()) << 2), (unsigned long long)(p->slat.nr_tables << 2),
		(unsigned long long)p->slat.nr_tables, p->slat.allow_1g ? "1 GiB" : p->slat.allow_2m ? "2 MiB" : "4 KiB",
		bi.nr_cpus, (unsigned long long)(sizeof(struct cpu) >> 10),
		(unsigned long long)(pool_free_pages() << 2));
	rc = health_init(bi.loader_flags & RAUM_BI_F_NEIGHBOUR ? bi.region_phys + bi.region_size : 0);
	if (rc) {
		pr_err("cannot take a page for the canary (error %d)", rc);
		return rc;
	}
	/* Last: from here device DMA is confined; a launch that fails turns the IOMMU off again. */
	rc = iommu_enable();
	if (rc) {
		pr_err("the IOMMU cannot be programmed (error %d): the launch is refused", rc);
		return rc;
	}
	pr_info("Raum %s ready: backend %s, image %llu KiB, pool %llu MiB (%llu KiB free), %u CPU%s",
		RAUM_VERSION, vendor_name(), (unsigned long long)(bi.image_size >> 10),
		(unsigned long long)(bi.pool_size >> 20), (unsigned long long)(hv_pool.nfree * PAGE_SIZE >> 10),
		bi.nr_cpus, bi.nr_cpus == 1 ? "" : "s");
	return RAUM_ENTRY_PREPARED;
}

/*
 * RAUM_PHASE_LAUNCH on CPU n, on its own stack: its tables, VT-x / AMD-V,
 * and the late launch of the root's VP n from the state the firmware called
 * with (fw_ctx: the loader makes these calls one CPU at a time). Returns
 * only when the launch did not happen, with this CPU native again.
 */
static s64 hv_launch_cpu(u64 n)
{
	struct cpu *c = this_cpu();
	int rc;

	cpu_load_tables(c);
	u32 id = cpu_apic_id();
	if (c->id != n || id != c->apic_id) {
		pr_err("cpu%llu: the launch runs on APIC ID %u, the loader named APIC ID %u for it",
		       (unsigned long long)n, id, c->apic_id);
		return -RAUM_EINVAL;
	}
	u64 free0 = pool_free_pages();
	rc = vendor_cpu_enable(c);
	if (rc)
		return rc;
	u64 backend_pages = free0 - pool_free_pages();
	if (n == 0 && bi.debug_fault != RAUM_FAULT_NONE && bi.debug_fault != RAUM_FAULT_ENTRY &&
	    bi.debug_fault != RAUM_FAULT_AP) {
		pr_warn("debug_fault=%s is set in raum.cfg: faulting on purpose to test the panic path",
			bi.debug_fault < ARRAY_SIZE(fault_names) ? fault_names[bi.debug_fault] : "?");
		debug_fault(bi.debug_fault);
		pr_err("debug_fault=%u did not fault", bi.debug_fault);
	}
	pr_info("memory: cpu%u %llu KiB (area %llu KiB, %s %llu KiB)", c->id,
		(unsigned long long)((sizeof(struct cpu) >> 10) + (backend_pages << 2)),
		(unsigned long long)(sizeof(struct cpu) >> 10), vendor_name(), (unsigned long long)(backend_pages << 2));
	if (debug_bad_entry())
		pr_warn("debug_fault=entry is set in raum.cfg: the root's first entry gets a broken guest state");
	/* Returns only when the launch did not happen. */
	rc = root_vp_launch(c, &fw_ctx, RAUM_ENTRY_LAUNCHED);
	vendor_cpu_disable(c);
	pr_err("late launch failed on cpu%u (error %d): returning to the firmware unvirtualized", c->id, rc);
	return rc;
}

/*
 * The launch of CPU n, and what its failure leaves behind: on a one-CPU
 * machine the boot CPU's failure sends the OS booting natively with Raum's
 * region given back, so the IOMMU must stop translating through tables in
 * it (and DMAR / IVRS go back). With more CPUs the loader resets the machine.
 */
static s64 hv_launch_late(u64 n)
{
	s64 rc = hv_launch_cpu(n);

	if (rc != RAUM_ENTRY_LAUNCHED && n == 0 && bi.nr_cpus == 1)
		iommu_disable();
	return rc;
}

/* RAUM_PHASE_LAUNCH: on the boot tables (entry.S) until Raum's own are loaded here. */
static s64 hv_launch(u32 n)
{
	if (n >= bi.nr_cpus || !root_partition) {
		/* nothing can be printed safely before Raum's tables are in: the loader reports it */
		return -RAUM_EINVAL;
	}
	vm_enter_cpu();
	struct cpu *c = cpu_area(n);
	return call_on_stack(hv_launch_late, n, c->stack + sizeof(c->stack));
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
	if (in->phase == RAUM_PHASE_LAUNCH)
		return hv_launch(in->cpu);
	if (in->phase != RAUM_PHASE_INIT || in->nr_cpus == 0 || in->nr_cpus > RAUM_MAX_CPUS)
		return -RAUM_EINVAL;
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

	/* A per-CPU area for every CPU the loader named, CPU 0 (this one) first. */
	for (u32 n = 0; n < bi.nr_cpus; n++) {
		u64 area;
		struct cpu *c;
		rc = page_alloc_zeroed(sizeof(struct cpu) / PAGE_SIZE, &area);
		if (rc == 0)
			rc = vm_map_percpu(n, area, (void **)&c);
		if (rc) {
			pr_err("cannot map the per-CPU area of cpu%u (error %d): raise pool_mb in raum.cfg", n, rc);
			return rc;
		}
		c->id = n;
		c->apic_id = bi.apic_ids[n];
		c->area_phys = area;
	}
	struct cpu *c0 = cpu_area(0);
	return call_on_stack(hv_init_late, 0, c0->stack + sizeof(c0->stack));
}
