/* SPDX-License-Identifier: MIT */
/*
 * ASID assignment and TLB-flush decisions for SVM (AMD APM vol. 2 15.16).
 *
 * Each CPU hands out ASIDs 1 .. max-1 (ASID 0 is the host's) in
 * generations: when they run out, the next VMRUN flushes the whole TLB and
 * a new generation starts, so an ASID is never reused with stale entries.
 * A CPU starts exhausted, so its first VMRUN flushes everything.
 * A VP keeps its ASID while it stays on the same CPU in the same
 * generation. When its SLAT lost mappings (slat_generation moved), its
 * ASID's entries are flushed: by ASID where the CPU can, else everything.
 * Pure code: TCG flushes on every VMRUN whatever we ask, so only the unit
 * tests (tests/unit/test_asid.c) can catch a missing flush.
 */
#ifndef RAUM_SVM_ASID_H
#define RAUM_SVM_ASID_H

#include <raum/types.h>

struct asid_cpu {
	u32 cpu;         /* CPU number */
	u32 max_asid;    /* CPUID 0x8000000A EBX: ASIDs are 1 .. max_asid - 1 */
	u32 next_asid;
	u64 generation;  /* starts at 1; 0 in a VP means "never ran" */
	bool flush_by_asid; /* CPUID 0x8000000A EDX bit 6 */
};

struct asid_vp {
	u32 asid;
	u32 cpu;
	u64 generation;
	u64 slat_generation; /* the partition's SLAT generation last flushed for */
};

void asid_cpu_init(struct asid_cpu *c, u32 cpu, u32 max_asid, bool flush_by_asid);

/*
 * Before VMRUN of v on c: assigns v->asid and returns the VMCB TLB_CONTROL
 * value (SVM_TLB_DO_NOTHING, SVM_TLB_FLUSH_ALL or SVM_TLB_FLUSH_ASID).
 */
u8 asid_prepare(struct asid_cpu *c, struct asid_vp *v, u64 slat_generation);

#endif
