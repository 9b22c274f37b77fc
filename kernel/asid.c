// SPDX-License-Identifier: MIT
/* ASID / VPID assignment and TLB-flush decisions: see include/raum/asid.h. */
#include <raum/asid.h>

void asid_cpu_init(struct asid_cpu *c, u32 cpu, u32 max_tag, bool flush_by_tag)
{
	c->cpu = cpu;
	c->max_tag = max_tag < 2 ? 2 : max_tag; /* at least tag 1 */
	/* Start exhausted: the first entry on this CPU rolls the generation and flushes everything. */
	c->next_tag = c->max_tag;
	c->generation = 1;
	c->flush_by_tag = flush_by_tag;
}

struct asid_decision asid_prepare_slow(struct asid_cpu *c, struct asid_vp *v, u64 slat_generation)
{
	struct asid_decision d = { 0, ASID_FLUSH_NONE, false };

	if (v->generation != c->generation || v->cpu != c->cpu) {
		/* a fresh tag on this CPU: nothing of this generation is cached under it */
		if (c->next_tag >= c->max_tag) {
			c->generation++;
			c->next_tag = 1;
			d.flush = ASID_FLUSH_ALL; /* every old tag may hold stale entries */
		}
		v->tag = c->next_tag++;
		v->cpu = c->cpu;
		v->generation = c->generation;
		v->slat_generation = slat_generation;
		d.fresh = true;
	} else if (v->slat_generation != slat_generation) {
		v->slat_generation = slat_generation;
		d.flush = c->flush_by_tag ? ASID_FLUSH_TAG : ASID_FLUSH_ALL;
	}
	d.tag = v->tag;
	return d;
}
