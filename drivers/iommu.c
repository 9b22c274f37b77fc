// SPDX-License-Identifier: MIT
/*
 * The IOMMUs at launch: see include/raum/iommu.h and docs/iommu.md. What
 * the ACPI tables say is parsed by drivers/acpi.c (pure code, unit-tested
 * with malformed tables); this file reads them through the physmap, applies
 * raum.cfg's iommu mode, builds one identity DMA map (drivers/iopt.c) that
 * every requester ID of every unit translates through, and has the vendor
 * halves (drivers/vtd.c, drivers/amdvi.c) program the units.
 */
#include <raum/acpi.h>
#include <raum/errno.h>
#include <raum/fmt.h>
#include <raum/health.h>
#include <raum/iommu.h>
#include <raum/iopt.h>
#include <raum/log.h>
#include <raum/memmap.h>
#include <raum/pciio.h>
#include <raum/pt.h>
#include <raum/slat.h>
#include <raum/spinlock.h>
#include <raum/vm.h>
#include <raum/vp.h>

#include "iommu_int.h"

struct map_ctx {
	const struct raum_mem_range *map;
	size_t n;
};

/*
 * [phys, phys + len) readable for the parsers: every page of it in a range
 * of the firmware's map that holds DRAM (ACPI reclaim and NVS included) or
 * firmware-reserved memory (where some firmware keeps its tables). Never
 * MMIO, never Raum's own memory, never a hole: a table pointer the
 * firmware got wrong reads nothing.
 */
static const void *map_read(void *ctx, u64 phys, u64 len)
{
	const struct map_ctx *m = ctx;

	if (len == 0 || phys + len < phys)
		return NULL;
	for (u64 p = ALIGN_DOWN(phys, PAGE_SIZE); p < phys + len; p += PAGE_SIZE) {
		int i = memmap_find(m->map, m->n, p);
		if (i < 0)
			return NULL;
		u32 t = m->map[i].type;
		if (!memmap_type_is_dram(t) && t != RAUM_MEM_RESERVED)
			return NULL;
	}
	return phys_to_virt(phys);
}

static void *map_rw(void *ctx, u64 phys, u64 len) { return (void *)map_read(ctx, phys, len); }


/* One sentence for the refusal, with the fix; the loader adds its own line. */
static int refuse(const char *why)
{
	pr_err("iommu = required in raum.cfg, but %s: the launch is refused and the OS boots natively "
	       "(set iommu = auto to run Raum with device DMA unconfined)", why);
	return -RAUM_ENOIOMMU;
}


#define MSI_RANGE_BASE 0xfee00000ULL
#define MSI_RANGE_END 0xfef00000ULL

/* The root's domain: one for every device (VT-d's CM forbids 0; AMD-Vi's 0 is fine but 1 serves both). */
#define ROOT_DOMAIN 1

static struct {
	enum { NONE, VTD, AMDVI } kind;
	unsigned n;
	struct iommu_unit unit[DMAR_MAX_UNITS > IVRS_MAX_UNITS ? DMAR_MAX_UNITS : IVRS_MAX_UNITS];
	struct iopt pt;      /* the DMA map: identity, Raum's region left out */
	u64 top;             /* the physical address of VT-d's root table or AMD-Vi's device table */
	u64 rsdp;
	struct map_ctx m;
	bool active;         /* translation on in every unit */
	struct acpi_root_backup backup; /* the XSDT / RSDT before DMAR / IVRS left them */
	struct spinlock poll_lock;
	struct spinlock map_lock; /* the DMA map's changes and the units' invalidations (iommu_dma_*) */
	u64 faults, lost;    /* blocked DMAs recorded; records the units dropped (overflow) */
	u64 logged;          /* faults printed (rate limit) */
} io;

static const char *kind_name(void) { return io.kind == VTD ? "VT-d" : "AMD-Vi"; }

static u64 *iopt_table(void *ctx __unused, u64 phys) { return phys_to_virt(phys); }
static int iopt_alloc(void *ctx __unused, u64 *phys) { return page_alloc_zeroed(1, phys); }

/* Out of line: the parsers' results stay off hv_init_late's frame (kernel/panic.c scans it). */
static __attribute__((noinline)) int describe_dmar(const void *t, u32 len, char *err, size_t errlen)
{
	static struct dmar_info d;
	int rc = dmar_parse(t, len, &d, err, errlen);

	if (rc)
		return rc;
	for (unsigned i = 0; i < d.nr_units; i++) {
		pr_info("iommu: VT-d unit %u: registers %p (%llu KiB), segment %u, %s, %u device scope%s", i,
			(void *)d.unit[i].reg_base, (unsigned long long)(d.unit[i].reg_size >> 10), d.unit[i].segment,
			d.unit[i].include_all ? "every device of the segment" : "the devices its scopes name",
			d.unit[i].nr_scopes, d.unit[i].nr_scopes == 1 ? "" : "s");
		io.unit[i] = (struct iommu_unit){ .index = i, .reg_base = d.unit[i].reg_base,
						  .reg_size = d.unit[i].reg_size, .segment = d.unit[i].segment };
	}
	pr_info("iommu: DMAR: %u unit%s, %u reserved-memory range%s (RMRR), host address width %u%s", d.nr_units,
		d.nr_units == 1 ? "" : "s", d.nr_rmrr, d.nr_rmrr == 1 ? "" : "s", d.haw,
		d.flags & DMAR_F_INTR_REMAP ? ", interrupt remapping offered" : "");
	for (unsigned i = 0; i < d.nr_rmrr; i++)
		pr_info("iommu: RMRR %p-%p stays mapped (it is in the identity map unless it lies in Raum's region)",
			(void *)d.rmrr[i].base, (void *)d.rmrr[i].limit);
	io.n = d.nr_units;
	io.kind = VTD;
	return 0;
}

static __attribute__((noinline)) int describe_ivrs(const void *t, u32 len, char *err, size_t errlen)
{
	static struct ivrs_info v;
	int rc = ivrs_parse(t, len, &v, err, errlen);

	if (rc)
		return rc;
	for (unsigned i = 0; i < v.nr_units; i++) {
		pr_info("iommu: AMD-Vi unit %u: PCI %04x:%02x:%02x.%u (IVHD type %#x), registers %p", i,
			v.unit[i].segment, v.unit[i].bdf >> 8, (v.unit[i].bdf >> 3) & 31, v.unit[i].bdf & 7, v.unit[i].type,
			(void *)v.unit[i].mmio_base);
		io.unit[i] = (struct iommu_unit){ .index = i, .reg_base = v.unit[i].mmio_base, .reg_size = 0x4000,
						  .bdf = v.unit[i].bdf, .segment = v.unit[i].segment };
	}
	pr_info("iommu: IVRS: %u unit%s, %u memory definition%s (IVMD)", v.nr_units, v.nr_units == 1 ? "" : "s",
		v.nr_ivmd, v.nr_ivmd == 1 ? "" : "s");
	io.n = v.nr_units;
	io.kind = AMDVI;
	return 0;
}

/* Probes the units and builds the DMA map and the tables that point every requester ID at it. */
static __attribute__((noinline)) int build(const struct raum_mem_range *map, size_t n, u64 hv_base, u64 hv_size,
					   unsigned phys_bits, char *err, size_t errlen)
{
	int levels = 0, rc;
	bool l2m = true, l1g = true;
	unsigned bits = 64;

	for (unsigned i = 0; i < io.n; i++) {
		struct iommu_unit *u = &io.unit[i];
		if (u->reg_base + u->reg_size > ALIGN_UP(MAX(memmap_end(map, n), 4ULL << 30), HUGE_PAGE_SIZE)) {
			raum_snprintf(err, errlen, "%s unit %u's registers at %#llx lie above Raum's physmap", kind_name(),
				      i, (unsigned long long)u->reg_base);
			return -RAUM_ENOTSUP;
		}
		u->regs = phys_to_virt(u->reg_base);
		rc = io.kind == VTD ? vtd_probe(u, &levels, &l2m, &l1g, err, errlen)
				    : amdvi_probe(u, &levels, &l2m, &l1g, err, errlen);
		if (rc)
			return rc;
		bits = MIN(bits, u->max_addr_bits);
	}
	struct slat_range r[2];
	u64 limit;
	int k = slat_root_ranges(map, n, hv_base, hv_size, phys_bits, l1g, r, &limit);
	if (k < 0) {
		raum_snprintf(err, errlen, "cannot compute the DMA map (error %d)", k);
		return k;
	}
	u64 reach = 1ULL << bits;
	io.pt = (struct iopt){ .fmt = io.kind == VTD ? IOPT_VTD : IOPT_AMDVI, .levels = levels, .allow_2m = l2m,
			       .allow_1g = l1g, .table = iopt_table, .alloc = iopt_alloc };
	/*
	 * The interrupt address range is no memory: writes there are MSIs, which
	 * neither unit translates (VT-d 4.1 3.15, 48882 2.2.5); QEMU's VT-d model
	 * faults every DMA into a page that overlaps it. Left out of the map.
	 */
	for (int i = 0; i < k; i++) {
		u64 lo[2] = { r[i].base, MAX(r[i].base, MSI_RANGE_END) };
		u64 hi[2] = { MIN(r[i].base + r[i].size, MSI_RANGE_BASE), r[i].base + r[i].size };
		for (int j = 0; j < 2; j++) {
			u64 end = MIN(hi[j], reach);
			if (lo[j] >= end)
				continue;
			rc = iopt_map(&io.pt, lo[j], end - lo[j]);
			if (rc) {
				raum_snprintf(err, errlen, "cannot build the DMA map %#llx-%#llx (error %d): raise pool_mb "
					      "in raum.cfg", (unsigned long long)lo[j], (unsigned long long)end, rc);
				return rc;
			}
		}
	}
	u64 tables = io.pt.nr_tables;
	if (io.kind == VTD) {
		u64 root, ctx;
		if ((rc = page_alloc_zeroed(1, &root)) || (rc = page_alloc_zeroed(1, &ctx))) {
			raum_snprintf(err, errlen, "no pool pages for VT-d's root and context tables");
			return rc;
		}
		vtd_fill_tables(phys_to_virt(root), phys_to_virt(ctx), ctx, io.pt.root, levels, ROOT_DOMAIN);
		io.top = root;
		tables += 2;
	} else {
		rc = page_alloc_zeroed(AMDVI_DEVTAB_ENTRIES * 32 / PAGE_SIZE, &io.top);
		if (rc) {
			raum_snprintf(err, errlen, "no 2 MiB in the pool for AMD-Vi's device table: raise pool_mb in raum.cfg");
			return rc;
		}
		amdvi_fill_devtab(phys_to_virt(io.top), io.pt.root, levels, ROOT_DOMAIN);
		tables += AMDVI_DEVTAB_ENTRIES * 32 / PAGE_SIZE;
	}
	pr_info("iommu: DMA map: identity below %#llx less Raum's region %p-%p and the MSI range, %d levels, %s "
		"pages; %llu KiB of tables", (unsigned long long)MIN(limit, reach), (void *)hv_base, (void *)(hv_base + hv_size - 1), levels,
		l1g ? "1 GiB" : l2m ? "2 MiB" : "4 KiB", (unsigned long long)(tables << 2));
	return 0;
}

int iommu_init(const struct raum_mem_range *map, size_t n, u64 rsdp_phys, u32 mode, u64 hv_base, u64 hv_size,
	       unsigned phys_bits)
{
	static char err[ACPI_ERR_MAX];
	u64 phys = 0;
	u32 len = 0;
	const char *sig = NULL;
	int rc;

	io.m = (struct map_ctx){ map, n };
	io.rsdp = rsdp_phys;
	spin_init(&io.poll_lock);
	spin_init(&io.map_lock);
	/* The host bridge's decoding registers are Raum's on every machine, IOMMU or not (include/raum/pciguard.h). */
	pci_guard.lock_host_bridge = true;
	if (mode > RAUM_IOMMU_OFF)
		mode = RAUM_IOMMU_AUTO; /* the loader checked it: a bad block gets the default */
	if (mode == RAUM_IOMMU_OFF) {
		pr_warn("iommu = off in raum.cfg: device DMA is not confined (a device the root programs can reach "
			"Raum's memory)");
		return 0;
	}
	if (!rsdp_phys) {
		if (mode == RAUM_IOMMU_REQUIRED)
			return refuse("the firmware has no ACPI tables to name an IOMMU");
		pr_warn("iommu: the firmware has no ACPI tables: no IOMMU found, device DMA is not confined");
		return 0;
	}
	static const char *const sigs[] = { "DMAR", "IVRS" };
	for (unsigned i = 0; i < ARRAY_SIZE(sigs) && !sig; i++) {
		rc = acpi_find_table(map_read, &io.m, rsdp_phys, sigs[i], &phys, &len, err, sizeof(err));
		if (rc < 0) {
			pr_err("iommu: %s", err);
			if (mode == RAUM_IOMMU_REQUIRED)
				return refuse("the firmware's ACPI tables are malformed");
			pr_warn("iommu: the ACPI tables cannot be trusted to name the IOMMUs: device DMA is not "
				"confined");
			return 0;
		}
		if (rc == 1)
			sig = sigs[i];
	}
	if (!sig) {
		if (mode == RAUM_IOMMU_REQUIRED)
			return refuse("this machine has no IOMMU (the ACPI tables have no DMAR or IVRS)");
		pr_warn("iommu: this machine has no IOMMU (no DMAR or IVRS table): device DMA is not confined");
		return 0;
	}
	const void *t = map_read(&io.m, phys, len);
	rc = t ? (sig[0] == 'D' ? describe_dmar(t, len, err, sizeof(err)) : describe_ivrs(t, len, err, sizeof(err)))
	       : -RAUM_EINVAL;
	if (rc) {
		pr_err("iommu: %s", t ? err : "the table moved out of readable memory");
		io.kind = NONE;
		if (mode == RAUM_IOMMU_REQUIRED)
			return refuse(sig[0] == 'D' ? "the DMAR table is malformed" : "the IVRS table is malformed");
		pr_warn("iommu: the %s table is malformed: the IOMMU is left alone, device DMA is not confined", sig);
		return 0;
	}
	rc = build(map, n, hv_base, hv_size, phys_bits, err, sizeof(err));
	for (unsigned i = 0; rc == 0 && io.kind == AMDVI && i < io.n; i++) {
		/* the AMD IOMMU is a PCI function: hidden from the root (its registers are programmed there too) */
		if (io.unit[i].segment != 0 || pciguard_hide(&pci_guard, io.unit[i].bdf)) {
			raum_snprintf(err, sizeof(err), "AMD-Vi unit %u's PCI function %04x:%04x cannot be hidden from "
				      "the root (segment other than 0, or too many)", i, io.unit[i].segment, io.unit[i].bdf);
			rc = -RAUM_ENOTSUP;
		}
	}
	if (rc) {
		pr_err("iommu: %s", err);
		io.kind = NONE;
		if (mode == RAUM_IOMMU_REQUIRED)
			return refuse("Raum cannot program its IOMMU");
		pr_warn("iommu: the IOMMU is left alone: device DMA is not confined");
		return 0;
	}
	return 0;
}

/* The ECAM side of the PCI guard: MCFG's windows, when the firmware has one (Bochs's i440FX has none). */
static __attribute__((noinline)) int protect_ecam(struct partition *root)
{
	static struct mcfg_seg segs[MCFG_MAX_SEGS];
	static char err[ACPI_ERR_MAX];
	u64 phys;
	u32 len;
	int n = 0, rc;

	rc = io.rsdp ? acpi_find_table(map_read, &io.m, io.rsdp, "MCFG", &phys, &len, err, sizeof(err)) : 0;
	if (rc == 1) {
		const void *t = map_read(&io.m, phys, len);
		n = t ? mcfg_parse(t, len, segs, err, sizeof(err)) : -RAUM_EINVAL;
	}
	if (rc < 0 || n < 0) {
		/* the ECAM windows are unknown: the root might reach a guarded function through them */
		pr_err("pci: %s", rc < 0 || n < 0 ? err : "MCFG moved out of readable memory");
		return rc < 0 ? rc : n;
	}
	rc = pciio_protect_ecam(root, segs, n);
	if (rc) {
		pr_err("pci: cannot protect the ECAM pages in the root's SLAT (error %d)", rc);
		return rc;
	}
	pr_info("pci: configuration ports 0xcf8-0xcff through Raum; %d ECAM window%s; %u function%s hidden, the host "
		"bridge's registers from 0x%x on read-only", n, n == 1 ? "" : "s", pci_guard.nr_hidden,
		pci_guard.nr_hidden == 1 ? "" : "s", PCIGUARD_HOST_FIRST_LOCKED);
	return 0;
}

int iommu_protect(struct partition *root)
{
	int rc = protect_ecam(root);

	if (rc)
		return rc;
	if (io.kind == NONE)
		return 0;
	for (unsigned i = 0; i < io.n; i++) {
		const struct iommu_unit *u = &io.unit[i];
		rc = pt_unmap(&root->slat, u->reg_base, ALIGN_UP(u->reg_size, PAGE_SIZE));
		if (rc < 0) {
			pr_err("iommu: cannot take %s unit %u's registers %p out of the root's SLAT (error %d)",
			       kind_name(), i, (void *)u->reg_base, rc);
			return rc;
		}
	}
	pr_info("iommu: the root's SLAT no longer maps the %u unit%s registers (reads all-ones, writes dropped)",
		io.n, io.n == 1 ? "'s" : "s'");
	return 0;
}

int iommu_enable(void)
{
	static char err[ACPI_ERR_MAX];
	int rc = 0;

	if (io.kind == NONE)
		return 0;
	for (unsigned i = 0; i < io.n && !rc; i++) {
		rc = io.kind == VTD ? vtd_enable(&io.unit[i], io.top, err, sizeof(err))
				    : amdvi_enable(&io.unit[i], io.top, ROOT_DOMAIN, err, sizeof(err));
		if (rc)
			pr_err("iommu: %s", err);
		else
			io.unit[i].enabled = true;
	}
	if (rc) {
		iommu_disable();
		return rc;
	}
	io.active = true;
	/* The root runs as on a machine without an IOMMU (docs/iommu.md): DMAR / IVRS leave the XSDT and RSDT. */
	const char *sig = io.kind == VTD ? "DMAR" : "IVRS";
	int hidden = acpi_hide_table(map_rw, &io.m, io.rsdp, sig, &io.backup, err, sizeof(err));
	if (hidden < 0)
		pr_warn("iommu: cannot hide %s from the root (%s): a root that finds it may try to program the unit "
			"(its registers read all-ones)", sig, err);
	pr_info("iommu: %s DMA remapping on in %u unit%s: every requester ID translates through the root's "
		"domain %u; %s hidden from the root (%d table entr%s)", kind_name(), io.n, io.n == 1 ? "" : "s",
		ROOT_DOMAIN, sig, hidden < 0 ? 0 : hidden, hidden == 1 ? "y" : "ies");
	return 0;
}

void iommu_disable(void)
{
	if (io.backup.n) {
		/* the OS boots natively after all: it finds its IOMMU again */
		acpi_unhide(map_rw, &io.m, &io.backup);
		pr_info("iommu: %s is back in the root tables for the OS booting natively", io.kind == VTD ? "DMAR" : "IVRS");
		io.backup.n = 0;
	}
	for (unsigned i = 0; i < io.n; i++) {
		if (!io.unit[i].enabled)
			continue;
		if (io.kind == VTD)
			vtd_disable(&io.unit[i]);
		else
			amdvi_disable(&io.unit[i]);
		io.unit[i].enabled = false;
	}
	io.active = false;
}

int iommu_dma_unmap(u64 page)
{
	if (io.kind == NONE || !io.pt.root)
		return 0;
	spin_lock(&io.map_lock);
	int rc = iopt_unmap_page(&io.pt, page);
	spin_unlock(&io.map_lock);
	return rc == -RAUM_ENOENT ? 0 : rc; /* beyond the units' reach or in the MSI range: never mapped */
}

int iommu_dma_map(u64 page)
{
	if (io.kind == NONE || !io.pt.root)
		return 0;
	spin_lock(&io.map_lock);
	int rc = iopt_map(&io.pt, page, PAGE_SIZE);
	spin_unlock(&io.map_lock);
	return rc;
}

int iommu_dma_flush(void)
{
	int rc = 0;

	if (!io.active)
		return 0;
	spin_lock(&io.map_lock);
	for (unsigned i = 0; i < io.n; i++) {
		struct iommu_unit *u = &io.unit[i];
		if (u->enabled && !(io.kind == VTD ? vtd_flush_domain(u, ROOT_DOMAIN) : amdvi_flush_domain(u, ROOT_DOMAIN))) {
			pr_err("iommu: %s unit %u did not complete an invalidation", kind_name(), i);
			rc = -RAUM_EIO;
		}
	}
	spin_unlock(&io.map_lock);
	return rc;
}

#define FAULT_LOG_MAX 32 /* faults printed; every one is counted */

static void record(const struct iommu_fault *f)
{
	if (f->overflow) {
		health_add(&io.lost, 1);
		pr_warn("iommu: %s unit %u dropped fault records (its log overflowed)", kind_name(), f->unit);
		return;
	}
	u64 n = health_add(&io.faults, 1);
	if (n <= FAULT_LOG_MAX)
		pr_warn("iommu: blocked DMA %s %p by device %02x:%02x.%u (%s unit %u, reason %#x)%s",
			f->write ? "write to" : "read from", (void *)f->addr, f->requester >> 8, (f->requester >> 3) & 31,
			f->requester & 7, kind_name(), f->unit, f->reason,
			n == FAULT_LOG_MAX ? "; further faults are counted, not printed" : "");
}

void iommu_poll(struct iommu_status *st)
{
	/* One poller at a time; a CPU that finds it busy reports the counters as they are. */
	if (io.active && spin_trylock(&io.poll_lock)) {
		for (unsigned i = 0; i < io.n; i++)
			(void)(io.kind == VTD ? vtd_poll_faults(&io.unit[i], record)
					      : amdvi_poll_faults(&io.unit[i], record));
		spin_unlock(&io.poll_lock);
	}
	if (st) {
		st->kind = io.active ? (io.kind == VTD ? RAUM_IOMMU_KIND_VTD : RAUM_IOMMU_KIND_AMDVI) : 0;
		st->units = io.active ? io.n : 0;
		st->faults = __atomic_load_n(&io.faults, __ATOMIC_RELAXED);
		st->lost = __atomic_load_n(&io.lost, __ATOMIC_RELAXED);
	}
}
