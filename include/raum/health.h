/* SPDX-License-Identifier: MIT */
/*
 * Raum's integrity, as the root can check it (RAUM_CALL_GET_HEALTH): a
 * canary page in Raum's memory and counters of the hostile acts Raum
 * refused or defused. Counters are bumped on the paths that refuse;
 * GetHealth copies them out (struct raum_health in the public ABI).
 */
#ifndef RAUM_HEALTH_H
#define RAUM_HEALTH_H

#include <hv/abi/hvcall.h>
#include <raum/types.h>

struct health_counters {
	u64 msr_denied;
	u32 last_denied_msr;
	u32 last_denied_write;
	u64 buffers_refused;
	u64 fixups;
	u64 invd;
	u64 mtrr_writes;
	u64 pci_refused;
};

extern struct health_counters health;

/* Counters are bumped from any CPU (SMP): atomic, relaxed; they only ever grow. */
static inline u64 health_add(u64 *counter, u64 n)
{
	return __atomic_add_fetch(counter, n, __ATOMIC_RELAXED);
}

/*
 * Takes a pool page for the canary and fills it, and keeps the address of
 * the root page after Raum's region that GetHealth reports (0: none); 0 or a
 * negative error.
 */
int health_init(u64 neighbour);
/* Fills *out, checking the canary byte by byte and polling the IOMMUs' fault logs first. */
void health_report(struct raum_health *out);

#endif
