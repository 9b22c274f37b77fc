// SPDX-License-Identifier: MIT
/* The canary and the hostile-act counters: see include/raum/health.h. */
#include <raum/health.h>
#include <raum/vm.h>

struct health_counters health;
static u64 canary_phys;

/* A pattern no zeroing, all-ones write or stray copy of a neighbour produces. */
static u8 canary_byte(u64 i) { return (u8)(0xa5 ^ (i * 131) ^ (i >> 8)); }

int health_init(void)
{
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
}
