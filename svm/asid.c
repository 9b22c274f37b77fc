// SPDX-License-Identifier: MIT
/* ASID and TLB-flush decisions: see svm/asid.h. */
#include "asid.h"
#include "vmcb.h"

void asid_cpu_init(struct asid_cpu *c, u32 cpu, u32 max_asid, bool flush_by_asid)
{
	c->cpu = cpu;
	c->max_asid = max_asid < 2 ? 2 : max_asid; /* at least ASID 1 */
	/*
	 * Start exhausted: the first VMRUN on this CPU rolls the generation and
	 * flushes everything, since nothing says what earlier software (a
	 * previous hypervisor before a warm reboot) left under these ASIDs.
	 */
	c->next_asid = c->max_asid;
	c->generation = 1;
	c->flush_by_asid = flush_by_asid;
}

u8 asid_prepare(struct asid_cpu *c, struct asid_vp *v, u64 slat_generation)
{
	u8 tlb = SVM_TLB_DO_NOTHING;

	if (v->generation != c->generation || v->cpu != c->cpu) {
		/* a fresh ASID on this CPU */
		if (c->next_asid >= c->max_asid) {
			c->generation++;
			c->next_asid = 1;
			tlb = SVM_TLB_FLUSH_ALL; /* every old ASID may hold stale entries */
		}
		v->asid = c->next_asid++;
		v->cpu = c->cpu;
		v->generation = c->generation;
		v->slat_generation = slat_generation;
		return tlb;
	}
	if (v->slat_generation != slat_generation) {
		v->slat_generation = slat_generation;
		return c->flush_by_asid ? SVM_TLB_FLUSH_ASID : SVM_TLB_FLUSH_ALL;
	}
	return tlb;
}
