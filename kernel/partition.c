// SPDX-License-Identifier: MIT
/*
 * The root partition: the firmware, then the OS it boots, late-launched on
 * every CPU. Its SLAT identity-maps the physical address space except
 * Raum's own memory (DESIGN.md decision 1), with the largest pages that fit.
 * Raum itself touches only the RAM in it (include/raum/ramrange.h).
 */
#include <raum/cpu.h>
#include <raum/errno.h>
#include <raum/fwctx.h>
#include <raum/hwcheck.h>
#include <raum/log.h>
#include <raum/partstate.h>
#include <raum/slat.h>
#include <raum/trap.h>
#include <raum/vendor.h>
#include <raum/vm.h>
#include <raum/vp.h>

struct partition *root_partition;

struct vp *root_vp(u32 n)
{
	/* lock-free read: a slot is written once with a release store (kernel/vp.c) */
	return root_partition && n < PARTITION_MAX_VPS ? __atomic_load_n(&root_partition->vps[n], __ATOMIC_ACQUIRE)
						       : NULL;
}

static u64 ram_bytes(const struct ram_range *r, size_t n)
{
	u64 b = 0;

	for (size_t i = 0; i < n; i++)
		b += r[i].end - r[i].base;
	return b;
}

int partition_page_readonly(struct partition *p, u64 page)
{
	u64 pa, flags, size;
	int rc = pt_lookup(&p->slat, page, &pa, &flags, &size);

	if (rc || pa != page)
		return rc ? rc : -RAUM_EINVAL;
	/* a large leaf carries PAT in bit 12 (x86 format): a 4 KiB leaf has it in bit 7, which pt_map sets from no
	 * flag; the pages this is for (the xAPIC, an ECAM page) are UC by the MTRRs anyway */
	u64 keep = p->slat.ept ? (flags & EPT_FLAGS_ALLOWED & ~EPT_W) : (flags & PTE_FLAGS_ALLOWED & ~PTE_W);
	rc = pt_unmap(&p->slat, page, PAGE_SIZE);
	if (rc >= 0)
		rc = pt_map(&p->slat, page, page, PAGE_SIZE, keep);
	return rc < 0 ? rc : 0;
}

int root_partition_create(const struct raum_mem_range *map, size_t n, u64 hv_base, u64 hv_size,
			  bool slat_1g, unsigned phys_bits)
{
	struct partition *p;
	struct slat_range r[2];
	struct ram_range *ram;
	u64 limit, ram_phys;
	int rc, k;

	k = slat_root_ranges(map, n, hv_base, hv_size, phys_bits, slat_1g, r, &limit);
	if (k < 0)
		return k;
	rc = vendor_current()->partition_alloc(&p);
	if (rc) {
		pr_err("root partition: no memory for it (error %d)", rc);
		return rc;
	}
	p->phys_bits = phys_bits; /* the MTRR masks' width too (EPT types, shadow MTRRs) */
	rc = vendor_current()->slat_build_root(p, r, k, slat_1g);
	if (rc) {
		pr_err("root SLAT: cannot build the identity map (error %d)", rc);
		return rc;
	}
	p->id = 0;
	p->ext_id = RAUM_ROOT_PARTITION_ID;
	p->state = PART_ACTIVE;
	spin_init(&p->lock);
	p->gpa_limit = limit;
	p->hv_base = hv_base;
	p->hv_size = hv_size;

	/* n + 1 entries at most (include/raum/ramrange.h) */
	rc = page_alloc_zeroed(ALIGN_UP((n + 1) * sizeof(*ram), PAGE_SIZE) >> PAGE_SHIFT, &ram_phys);
	if (rc) {
		pr_err("root partition: no pages for its RAM ranges (error %d)", rc);
		return rc;
	}
	ram = phys_to_virt(ram_phys);
	k = ram_ranges_build(map, n, limit, hv_base, hv_size, ram, n + 1);
	if (k < 0) {
		pr_err("root partition: cannot list its RAM (error %d)", k);
		return k;
	}
	p->ram = ram;
	p->nr_ram = (size_t)k;
	ram_ranges_largest(ram, p->nr_ram, p->ram_big, PARTITION_RAM_BIG); /* gpa_backed tries these first */
	rc = vendor_current()->partition_finalize(p);
	if (rc) {
		pr_err("root partition: the %s backend cannot set it up (error %d)", vendor_name(), rc);
		return rc;
	}
	root_partition = p;
	pr_info_addr("root partition: SLAT identity map of %llu GiB, Raum's %llu MiB at %#llx left out",
		(unsigned long long)(limit >> 30), (unsigned long long)(hv_size >> 20),
		(unsigned long long)hv_base);
	pr_info("root partition: %llu MiB of RAM in %zu ranges for hypercall blocks and page walks",
		(unsigned long long)(ram_bytes(ram, p->nr_ram) >> 20), p->nr_ram);
	return 0;
}

/*
 * The state set must read back as set (vp_get_regs after vp_set_regs): a
 * check of the vendor's register conversion (VMX access rights, CR read
 * shadows, EFER.SVME) on every launch, before the firmware runs as a guest
 * with a state that differs from its own. debug_fault=entry breaks the
 * state on purpose and skips this.
 */
static __attribute__((noinline)) int regs_read_back(struct vp *vp, const struct vp_regs *set)
{
	struct vp_regs got;
	int rc = vp_get_regs(vp, &got);
	const char *field = rc ? NULL : vp_regs_diff(set, &got);

	if (rc || field) {
		pr_err("root VP%u: %s reads back other than set: the %s backend converts it wrongly (a Raum bug)",
		       vp->index, field ? field : "the state", vendor_name());
		return rc ? rc : -RAUM_EIO;
	}
	return 0;
}

/*
 * The late launch on this CPU: the root's VP for it is created, loaded,
 * given the firmware's state and run. Returns only when that failed before
 * the first entry (a negative error; the CPU is still in host mode) or the
 * entry itself failed (the failure policy halts the CPU then).
 */
int root_vp_launch(struct cpu *c, const struct fw_ctx *fw, u64 rax)
{
	struct vp_regs r;
	struct vp *vp;
	int rc;

	u64 before = __atomic_load_n(&hv_pool.nfree, __ATOMIC_RELAXED);
	rc = vp_create(root_partition, c->id, &vp);
	if (rc) {
		pr_err("root VP%u: cannot create it (error %d)", c->id, rc);
		return rc;
	}
	vp->apic_id = c->apic_id;
	pr_info("memory: root VP%u %llu KiB (%s VP and its %s)", vp->index,
		(unsigned long long)((before - __atomic_load_n(&hv_pool.nfree, __ATOMIC_RELAXED)) << 2), vendor_name(),
		vendor_current()->vendor == RAUM_VENDOR_AMD ? "VMCB" : "VMCS");
	rc = vp_load(vp);
	if (rc == 0) {
		vp_regs_from_fw(&r, fw, rax);
		rc = vp_set_regs(vp, &r);
	}
	if (rc == 0 && !debug_bad_entry())
		rc = regs_read_back(vp, &r);
	if (rc) {
		pr_err("root VP%u: cannot load its first state (error %d)", c->id, rc);
		if (vp->life.state == VP_STATE_LOADED)
			vp_put(vp);
		vp_destroy(vp);
		return rc;
	}
	pr_info("%s: late launch on cpu%u: the firmware resumes as root VP%u at rip %#llx", vendor_name(), c->id,
		vp->index, (unsigned long long)r.rip);
	if (c->id == 0)
		log_console_handover(); /* the boot CPU launches last: the APs' lines reached the serial port too */
	vp_run_loop(vp);
	return -RAUM_EIO; /* the root's loop returns only if the run was refused */
}
