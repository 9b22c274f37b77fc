// SPDX-License-Identifier: MIT
/* The canary and the hostile-act counters: see include/raum/health.h. */
#include <raum/health.h>
#include <raum/iommu.h>
#include <raum/vm.h>

struct health_counters health;
static u64 canary_phys;
static u64 neighbour_phys;

static u8 canary_byte(u64 i) { return raum_canary_byte(i); } /* include/hv/abi/hvcall.h */

int health_init(u64 neighbour)
{
	neighbour_phys = neighbour;
	int rc = page_alloc_zeroed(1, &canary_phys);
	if (rc)
		return rc;
	volatile u8 *p = phys_to_virt(canary_phys);
	for (u64 i = 0; i < PAGE_SIZE; i++)
		p[i] = canary_byte(i);
	return 0;
}

void health_report(struct raum_health *out)
{
	const volatile u8 *p = phys_to_virt(canary_phys);
	u32 ok = canary_phys != 0;

	for (u64 i = 0; ok && i < PAGE_SIZE; i++)
		ok = p[i] == canary_byte(i);
	out->canary_phys = canary_phys;
	out->canary_ok = ok;
	out->reserved = 0;
	out->msr_denied = health.msr_denied;
	out->last_denied_msr = health.last_denied_msr;
	out->last_denied_write = health.last_denied_write;
	out->buffers_refused = health.buffers_refused;
	out->fixups = health.fixups;
	out->invd = health.invd;
	out->mtrr_writes = health.mtrr_writes;
	struct iommu_status st;
	iommu_poll(&st);
	out->neighbour_phys = neighbour_phys;
	out->iommu = st.kind;
	out->iommu_units = st.units;
	out->dma_faults = st.faults;
	out->dma_fault_overflows = st.lost;
	out->pci_refused = health.pci_refused;
}
