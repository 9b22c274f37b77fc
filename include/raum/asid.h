/* SPDX-License-Identifier: MIT */
/*
 * Address-space tags for guest TLB entries, one allocator for both vendors
 * (as Xen's xen/arch/x86/hvm/asid.c): the ASID on AMD (APM vol. 2 15.16),
 * the VPID on Intel (SDM vol. 3C 29.1, 29.4). Tag 0 is the host's on both.
 *
 * Each CPU hands out tags 1 .. max_tag - 1 in generations: when they run
 * out, the next entry flushes every tag (ASID_FLUSH_ALL) and a new
 * generation starts, so a tag is never reused over stale entries. A CPU
 * starts exhausted, so its first entry flushes everything: nothing says
 * what earlier software (a hypervisor before a warm reboot) left under
 * these tags. A VP keeps its tag while it stays on the same CPU in the same
 * generation; a VP that moves CPUs gets a fresh tag there. When its
 * partition's SLAT lost mappings (slat_generation moved), the entries of
 * its tag are flushed (ASID_FLUSH_TAG where the CPU can flush one tag,
 * else ASID_FLUSH_ALL).
 *
 * Pure code, no locks: an asid_cpu is touched only by its own CPU, an
 * asid_vp only by the CPU the VP is loaded on. Under QEMU TCG every VMRUN
 * flushes whatever we ask, so only tests/unit/test_asid.c can catch a
 * missing flush.
 *
 * What each vendor does with a decision:
 *   AMD   NONE -> TLB_CONTROL DO_NOTHING, TAG -> FLUSH_ASID, ALL -> FLUSH_ALL
 *         (svm/tlbctl.h). The TLB is tagged by ASID for nested translations
 *         too, so 'fresh' needs nothing more.
 *   Intel NONE -> nothing; TAG -> INVEPT single-context for the partition's
 *         EPTP; ALL -> INVVPID all-context (type 2) and INVEPT for the EPTP;
 *         'fresh' -> INVEPT single-context for the EPTP as well.
 *         Guest-physical mappings carry the EP4TA but no VPID, and INVVPID
 *         need not touch them (SDM vol. 3C 29.4.2, 29.4.3.1-2): a SLAT change
 *         is flushed by INVEPT (which takes the combined mappings of every
 *         VPID with it), a fresh VPID does not hide guest-physical mappings
 *         cached on this CPU before the SLAT changed. Where INVEPT
 *         single-context is missing, all-context (SDM vol. 3C 31.3).
 */
#ifndef RAUM_ASID_H
#define RAUM_ASID_H

#include <raum/types.h>

/* The tag spaces: ASIDs 1 .. CPUID 8000_000Ah EBX - 1; VPIDs 1 .. 65535 (a 16-bit VMCS field). */
#define ASID_VPID_MAX_TAG 0x10000u

struct asid_cpu {
	u32 cpu;          /* CPU number */
	u32 max_tag;      /* tags are 1 .. max_tag - 1 */
	u32 next_tag;
	u64 generation;   /* starts at 1; 0 in a VP means "never ran" */
	bool flush_by_tag; /* the CPU can flush one tag: AMD CPUID 8000_000Ah EDX[6]; Intel INVEPT single-context */
};

struct asid_vp {
	u32 tag;             /* the ASID or VPID of the VP's last entry */
	u32 cpu;             /* the CPU that tag belongs to */
	u64 generation;      /* that CPU's generation the tag is from */
	u64 slat_generation; /* the partition's SLAT generation last flushed for */
};

enum asid_flush {
	ASID_FLUSH_NONE, /* nothing stale under the tag */
	ASID_FLUSH_TAG,  /* this tag's entries only */
	ASID_FLUSH_ALL,  /* every tag's entries on this CPU */
};

/* 8 bytes, so that it comes back in one register on the entry path. */
struct asid_decision {
	u32 tag;         /* to write into the VMCB (guest ASID) or VMCS (VPID) */
	u8 flush;        /* enum asid_flush */
	bool fresh;      /* the tag was assigned on this entry (first run, moved CPU, new generation) */
};
_Static_assert(sizeof(struct asid_decision) == 8, "asid_decision fits a register");

/*
 * Sets up c for CPU number cpu with tags 1 .. max_tag - 1 (a max_tag below
 * 2 still gives tag 1, never the host's 0). AMD passes CPUID 8000_000Ah
 * EBX; Intel passes ASID_VPID_MAX_TAG.
 */
void asid_cpu_init(struct asid_cpu *c, u32 cpu, u32 max_tag, bool flush_by_tag);

/* The slow part of asid_prepare: a fresh tag, or a SLAT change to flush. */
struct asid_decision asid_prepare_slow(struct asid_cpu *c, struct asid_vp *v, u64 slat_generation);

/*
 * Before entering v on c, with its partition's current SLAT generation:
 * assigns v's tag and says what must be flushed first. v starts zeroed.
 * Inline for the case of nearly every entry (same CPU, same generation,
 * same SLAT), which then costs a few compares and no call.
 */
static inline struct asid_decision asid_prepare(struct asid_cpu *c, struct asid_vp *v, u64 slat_generation)
{
	if (__builtin_expect(v->generation == c->generation && v->cpu == c->cpu &&
			     v->slat_generation == slat_generation, 1))
		return (struct asid_decision){ v->tag, ASID_FLUSH_NONE, false };
	return asid_prepare_slow(c, v, slat_generation);
}

#endif
