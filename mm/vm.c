// SPDX-License-Identifier: MIT
/* Raum's own page tables: see include/raum/vm.h for the layout. */
#include <raum/cpu.h>
#include <raum/errno.h>
#include <raum/log.h>
#include <raum/memmap.h>
#include <raum/pt.h>
#include <raum/vm.h>
#include <raum/x86.h>

extern char __image_start[], __text_end[], __rodata_end[], __image_end[];

struct palloc hv_pool;
static bool physmap_live; /* vm_init switched to the new tables */
static u64 image_phys_base;
static struct pt_ctx kpt;

void *phys_to_virt(u64 phys)
{
	return (void *)(physmap_live ? PHYSMAP_BASE + phys : phys);
}

int page_alloc_zeroed(u64 n, u64 *phys)
{
	int rc = palloc_alloc(&hv_pool, n, 1, phys);
	if (rc)
		return rc;
	u64 *p = phys_to_virt(*phys);
	for (u64 i = 0; i < n * PAGE_SIZE / 8; i++)
		p[i] = 0;
	return 0;
}

static u64 *pt_table(void *ctx __unused, u64 phys) { return phys_to_virt(phys); }
static int pt_alloc(void *ctx __unused, u64 *phys) { return page_alloc_zeroed(1, phys); }

static void pt_free(void *ctx __unused, u64 phys)
{
	if (palloc_free(&hv_pool, phys, 1))
		pr_err("vm: table page %p freed twice or not from the pool", (void *)phys);
}

int vm_pt_init(struct pt_ctx *pt, bool page1g)
{
	*pt = (struct pt_ctx){ .table = pt_table, .alloc = pt_alloc, .free = pt_free, .allow_2m = true,
			      .allow_1g = page1g };
	int rc = pt_alloc(NULL, &pt->root);

	if (rc == 0)
		pt->nr_tables = 1; /* the root, counted like every table after it (pt.c) */
	return rc;
}

/* Maps the image page by page with the permissions of its section. */
static int map_image(void)
{
	for (u64 va = (u64)__image_start; va < (u64)__image_end; va += PAGE_SIZE) {
		u64 flags;
		if (va < (u64)__text_end)
			flags = 0; /* read + execute */
		else if (va < (u64)__rodata_end)
			flags = PTE_NX;
		else
			flags = PTE_W | PTE_NX;
		int rc = pt_map(&kpt, va, image_phys_base + (va - IMAGE_BASE), PAGE_SIZE, flags);
		if (rc)
			return rc;
	}
	return 0;
}

int vm_map_percpu(u32 id, u64 phys, void **va)
{
	u64 base = PERCPU_BASE + (u64)id * sizeof(struct cpu);
	struct cpu *c = (struct cpu *)base;
	/* map everything but the guard pages */
	const u64 guards[] = { (u64)c->stack_guard, (u64)c->df_guard, (u64)c->nmi_guard, (u64)c->mc_guard };

	if (id >= RAUM_MAX_CPUS)
		return -RAUM_EINVAL;
	for (u64 off = 0; off < sizeof(struct cpu); off += PAGE_SIZE) {
		bool guard = false;
		for (unsigned i = 0; i < ARRAY_SIZE(guards); i++)
			guard |= base + off == guards[i];
		if (guard)
			continue;
		int rc = pt_map(&kpt, base + off, phys + off, PAGE_SIZE, PTE_W | PTE_NX);
		if (rc)
			return rc;
	}
	*va = c;
	return 0;
}

void vm_enter_cpu(void)
{
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
	write_cr0(read_cr0() | CR0_WP);
	write_cr3(kpt.root);
}

int vm_init(const struct raum_mem_range *map, size_t n, u64 image_phys, bool page1g)
{
	int rc;

	image_phys_base = image_phys;
	kpt = (struct pt_ctx){ .table = pt_table, .alloc = pt_alloc, .free = pt_free, .allow_2m = true,
			      .allow_1g = page1g };
	rc = pt_alloc(NULL, &kpt.root);
	if (rc)
		return rc;

	/* The physmap covers everything below 4 GiB and up to the end of the map. */
	u64 end = ALIGN_UP(MAX(memmap_end(map, n), 4ULL << 30), HUGE_PAGE_SIZE);
	rc = pt_map(&kpt, PHYSMAP_BASE, 0, end, PTE_W | PTE_NX);
	if (rc)
		return rc;
	rc = map_image();
	if (rc)
		return rc;

	/*
	 * NX bits in the tables are reserved (#PF with RSVD) unless EFER.NXE is
	 * set (SDM vol. 3A 4.5.4): turn it on before the switch. CR0.WP makes
	 * read-only pages read-only for Raum too.
	 */
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
	write_cr0(read_cr0() | CR0_WP);
	write_cr3(kpt.root);
	physmap_live = true;
	pr_debug("address space: physmap %p..%p, image at %p (phys %p)", (void *)PHYSMAP_BASE,
		 (void *)(PHYSMAP_BASE + end), (void *)IMAGE_BASE, (void *)image_phys);
	return 0;
}
