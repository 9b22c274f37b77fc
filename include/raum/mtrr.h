/* SPDX-License-Identifier: MIT */
/*
 * Memory types from the machine's MTRRs (Intel SDM vol. 3A 12.11 "Memory Type
 * Range Registers"). EPT ignores the guest's MTRRs and takes each leaf's
 * memory type from the EPT entry (SDM vol. 3C 29.3.7), so the EPT builder must
 * derive it from the host's MTRRs: mtrr_segments() gives the address space cut
 * into pieces of one type, and mtrr_uniform() says whether a candidate large
 * page lies inside one. Pure code (mm/mtrr.c), unit-tested; the caller reads
 * the MSRs into struct mtrr_state.
 *
 * IA32_MTRRCAP (0xFE):                      IA32_MTRR_DEF_TYPE (0x2FF):
 *   63 ...... 11  10  9   8   7 ...... 0      63 ...... 12  11  10  9..8  7 ..... 0
 *  +------------+---+---+---+----------+     +------------+---+---+-----+---------+
 *  |  reserved  |WC |   |FIX|   VCNT   |     |  reserved  | E |FE |     |  type   |
 *  +------------+---+---+---+----------+     +------------+---+---+-----+---------+
 *
 * IA32_MTRR_PHYSBASEn (0x200 + 2n):         IA32_MTRR_PHYSMASKn (0x201 + 2n):
 *   63 .. MAXPHY  MAXPHY-1 .. 12  11..8 7..0   63 .. MAXPHY  MAXPHY-1 .. 12  11  10..0
 *  +------------+---------------+----+----+   +------------+---------------+---+------+
 *  |  reserved  |    PhysBase   |    |type|   |  reserved  |    PhysMask   | V |      |
 *  +------------+---------------+----+----+   +------------+---------------+---+------+
 *
 * An address a is in variable range n when V is set and
 * (a & PhysMask) == (PhysBase & PhysMask), over bits MAXPHY-1..12 (12.11.3).
 */
#ifndef RAUM_MTRR_H
#define RAUM_MTRR_H

#include <raum/types.h>
#include <raum/x86-regs.h> /* the MTRR MSR numbers (SDM vol. 4, table 2-2) */

/* IA32_MTRRCAP fields */
#define MTRRCAP_VCNT_MASK 0xffULL
#define MTRRCAP_FIX BIT(8)
#define MTRRCAP_WC BIT(10)

/* IA32_MTRR_DEF_TYPE fields */
#define MTRR_DEF_TYPE_MASK 0xffULL
#define MTRR_DEF_FE BIT(10)
#define MTRR_DEF_E BIT(11)

/* IA32_MTRR_PHYSBASEn / PHYSMASKn fields */
#define MTRR_PHYSBASE_TYPE_MASK 0xffULL
#define MTRR_PHYSMASK_V BIT(11)

/* Memory types (SDM 12.11.1, table 12-8): the same encodings EPT uses in bits 5:3. */
#define MTRR_UC 0
#define MTRR_WC 1
#define MTRR_WT 4
#define MTRR_WP 5
#define MTRR_WB 6

#define MTRR_NR_FIXED 11 /* fixed-range MSRs, 8 one-byte fields each */
#define MTRR_NR_VAR 16   /* variable-range pairs held (VCNT is 8 bits; CPUs have <= 10) */
#define MTRR_FIXED_END 0x100000ULL /* fixed ranges cover [0, 1 MiB) */

/*
 * Raw MSR values. fixed[] is in this order: 0x250 (64K_00000), 0x258
 * (16K_80000), 0x259 (16K_A0000), 0x268 .. 0x26f (4K_C0000 .. 4K_F8000).
 * nvar variable pairs were read; min(nvar, VCNT, MTRR_NR_VAR) are used.
 * phys_bits is the width of the PhysMask field: CPUID 0x80000008 EAX[7:0]
 * (MAXPHYADDR) less the TME-MK KeyID bits (memcrypt_check); outside
 * [32, 52] it is taken as 36, the architectural minimum.
 */
struct mtrr_state {
	u64 cap;
	u64 def_type;
	u64 fixed[MTRR_NR_FIXED];
	u32 nvar;
	u64 var_base[MTRR_NR_VAR];
	u64 var_mask[MTRR_NR_VAR];
	unsigned phys_bits;
};

/* [base, base + size) has one memory type. */
struct mtrr_seg {
	u64 base, size;
	u8 type;
};

/*
 * Invalid input is treated as UC, the safe type: a reserved type (2, 3, 7 ..
 * 255) in a PHYSBASE register makes that range UC, in a fixed-range field
 * that piece UC, in IA32_MTRR_DEF_TYPE the default UC. (Hardware raises #GP
 * on writing such values, so only a bad recording produces them.)
 */

/*
 * The effective MTRR type of the byte at addr: UC when MTRRs are disabled
 * (E = 0); below 1 MiB with fixed ranges enabled (FE and FIX) the fixed
 * field's type; otherwise the matching variable ranges combined per SDM
 * 12.11.4.1 (one type: that type; any UC: UC; WT and WB only: WT; anything
 * else is undefined and taken as UC), or the default type when none matches.
 */
u8 mtrr_type_at(const struct mtrr_state *s, u64 addr);

/*
 * Returns 1 and stores the type when every byte of [base, base + size) has the
 * same effective type, 0 when not, when size is 0 or the range wraps past
 * 2^64, or (only with pathological non-contiguous masks) when the answer
 * takes more than the work bound of mm/mtrr.c: "not uniform" is always a
 * safe answer, as the caller then maps smaller pages. Cost does not depend on
 * size: see mm/mtrr.c.
 */
int mtrr_uniform(const struct mtrr_state *s, u64 base, u64 size, u8 *type);

/*
 * Fills out[] with the maximal one-type segments covering [0, limit), in
 * address order: each starts where the previous ends and differs in type
 * from it. Returns the count (0 for limit 0), or (size_t)-1 when more than
 * cap are needed or (only with pathological non-contiguous masks) the work
 * bound is exceeded; the caller may then fall back to mtrr_type_at per page.
 */
size_t mtrr_segments(const struct mtrr_state *s, u64 limit, struct mtrr_seg *out, size_t cap);

/*
 * The root's shadow MTRRs (docs/security.md): RDMSR / WRMSR of an MTRR
 * act on *s, never on the hardware, whose MTRRs keep the firmware's types
 * (EPT takes its types from them, and on SVM they type Raum's memory too).
 * Both return 0, or -1 where the hardware raises #GP: a register this CPU
 * lacks (fixed ranges without MTRRCAP.FIX, variable pairs past VCNT), a
 * write to MTRRCAP, reserved bits, or an undefined memory type (SDM 12.11.2).
 */
int mtrr_shadow_read(const struct mtrr_state *s, u32 msr, u64 *value);
int mtrr_shadow_write(struct mtrr_state *s, u32 msr, u64 value);

#endif
