// SPDX-License-Identifier: MIT
/*
 * Memory types from the MTRRs: see include/raum/mtrr.h.
 *
 * How mtrr_uniform() and mtrr_segments() avoid looking at every page.
 * Both walk the asked range in address order and emit (base, size, type)
 * pieces into a segment list that merges neighbours of one type; uniform is
 * the same walk with room for one segment, stopped as soon as a second is
 * needed.
 *
 * Below 1 MiB, with fixed ranges on, the walk steps through the (at most
 * 88) fixed-range fields. Above, it cuts the range into naturally aligned
 * power-of-two blocks (at most 2 x 64) and resolves each block [p, p + 2^k)
 * recursively. For every valid variable range the bits of its mask at or
 * above k decide whether it misses the block, and its bits below k whether
 * it covers all of it ("full") or only part ("partial"):
 *
 *   - no partial range: one type, from the full ones (SDM 12.11.4.1);
 *   - every subset of the partial ranges' types, added to the full ones,
 *     combines to the same type: one type, whatever matches where;
 *   - otherwise split the block in halves at bit k - 1 and recurse. When no
 *     partial mask has bit k - 1, both halves decode alike, so once the
 *     first is found to be one type the second is emitted without a look.
 *
 * Masks have no bits below 12, so a 4 KiB block never has a partial range
 * and the recursion ends by then. A contiguous mask (the usual case: bits
 * from its lowest set bit up to MAXPHYADDR - 1) makes its range one aligned
 * block per 2^phys_bits of address space, partial in at most one block per
 * level, so a walk visits at most about 2 x 16 ranges x 52 levels nodes plus
 * one per emitted piece. A non-contiguous mask (legal, SDM 12.11.3, "rare")
 * makes its range many blocks; the walk above still answers it exactly, and
 * the shortcut keeps repeated blocks cheap, but overlapping ranges with
 * holes at different bits can still make it visit many blocks that merge
 * into few segments. So a walk is bounded: MTRR_WORK_MAX nodes, plus
 * MTRR_WORK_PER_SEG for each segment the caller has room for (a segment's
 * two ends lie in at most one node per level each). Past the bound
 * mtrr_uniform() says "not uniform" and mtrr_segments() fails: both safe,
 * as the EPT builder then uses smaller pages.
 */
#include <raum/errno.h>
#include <raum/mtrr.h>
#include <raum/types.h>

#define MTRR_WORK_MAX (1u << 16) /* recursion nodes per call ... */
#define MTRR_WORK_PER_SEG 128u    /* ... plus these per segment of room */
#define MTRR_MIXED (-1)          /* a block holds more than one type */
#define MTRR_ABORT (-2)          /* out of room for segments, or work */

/* Fixed-range MSRs in struct mtrr_state order (SDM 12.11.2.2, table 12-9). */
static const struct {
	u32 base; /* first address of field 0 */
	u32 unit; /* bytes per field (8 fields per MSR) */
} fixed_layout[MTRR_NR_FIXED] = {
	{ 0x00000, 0x10000 }, /* FIX64K_00000 */
	{ 0x80000, 0x4000 },  /* FIX16K_80000 */
	{ 0xa0000, 0x4000 },  /* FIX16K_A0000 */
	{ 0xc0000, 0x1000 }, { 0xc8000, 0x1000 }, { 0xd0000, 0x1000 }, { 0xd8000, 0x1000 },
	{ 0xe0000, 0x1000 }, { 0xe8000, 0x1000 }, { 0xf0000, 0x1000 }, { 0xf8000, 0x1000 },
};

/* A variable range reduced to page-aligned bits below MAXPHYADDR. */
struct mtrr_var {
	u64 base, mask;
	u8 type;
};

/* The MSRs decoded once per call. */
struct mtrr_ctx {
	bool enabled;  /* DEF_TYPE.E */
	bool fixed_on; /* DEF_TYPE.FE and MTRRCAP.FIX */
	u8 def;
	unsigned n;
	struct mtrr_var var[MTRR_NR_VAR];
	const struct mtrr_state *s;
};

/* Table 12-8: 2, 3 and 7..255 are reserved; they count as UC here (mtrr.h). */
static u8 sane_type(u64 t)
{
	switch (t) {
	case MTRR_UC:
	case MTRR_WC:
	case MTRR_WT:
	case MTRR_WP:
	case MTRR_WB:
		return (u8)t;
	default:
		return MTRR_UC;
	}
}

static void mtrr_decode(const struct mtrr_state *s, struct mtrr_ctx *c)
{
	unsigned bits = s->phys_bits;
	if (bits < 32 || bits > 52)
		bits = 36; /* CPUID 0x80000008 absent or absurd: the architectural minimum */
	u64 addr_mask = (BIT(bits) - 1) & PAGE_MASK;

	c->s = s;
	c->enabled = s->def_type & MTRR_DEF_E;
	c->fixed_on = (s->def_type & MTRR_DEF_FE) && (s->cap & MTRRCAP_FIX);
	c->def = sane_type(s->def_type & MTRR_DEF_TYPE_MASK);
	c->n = 0;

	u64 nvar = MIN((u64)s->nvar, s->cap & MTRRCAP_VCNT_MASK);
	nvar = MIN(nvar, (u64)MTRR_NR_VAR);
	for (unsigned i = 0; i < nvar; i++) {
		if (!(s->var_mask[i] & MTRR_PHYSMASK_V))
			continue; /* V clear: the pair is unused */
		struct mtrr_var *v = &c->var[c->n++];
		v->mask = s->var_mask[i] & addr_mask;
		v->base = s->var_base[i] & v->mask;
		v->type = sane_type(s->var_base[i] & MTRR_PHYSBASE_TYPE_MASK);
	}
}

/*
 * The type of a set of matching variable-range types (bit t for type t),
 * SDM 12.11.4.1: none matches -> the default; one type -> it; UC among them
 * -> UC; WT and WB -> WT; any other mix is undefined, and UC is safe.
 */
static u8 combine(const struct mtrr_ctx *c, unsigned set)
{
	if (!set)
		return c->def;
	if (!(set & (set - 1)))
		return (u8)__builtin_ctz(set);
	if (set == (BIT(MTRR_WT) | BIT(MTRR_WB)))
		return MTRR_WT;
	return MTRR_UC; /* UC present, or undefined */
}

/* The fixed-range field holding addr (< 1 MiB): its type and last byte. */
static u8 fixed_type(const struct mtrr_ctx *c, u64 addr, u64 *last)
{
	unsigned i;

	if (addr < 0x80000)
		i = 0;
	else if (addr < 0xc0000)
		i = 1 + (unsigned)((addr - 0x80000) >> 17);
	else
		i = 3 + (unsigned)((addr - 0xc0000) >> 15);
	unsigned j = (unsigned)((addr - fixed_layout[i].base) / fixed_layout[i].unit);
	*last = fixed_layout[i].base + (u64)(j + 1) * fixed_layout[i].unit - 1;
	return sane_type((c->s->fixed[i] >> (8 * j)) & 0xff);
}

u8 mtrr_type_at(const struct mtrr_state *s, u64 addr)
{
	struct mtrr_ctx c;
	u64 last;
	unsigned set = 0;

	mtrr_decode(s, &c);
	if (!c.enabled)
		return MTRR_UC; /* 12.11.2.1: E clear, all of memory is UC */
	if (c.fixed_on && addr < MTRR_FIXED_END)
		return fixed_type(&c, addr, &last); /* fixed ranges override variable ones */
	for (unsigned i = 0; i < c.n; i++)
		if ((addr & c.var[i].mask) == c.var[i].base)
			set |= BIT(c.var[i].type);
	return combine(&c, set);
}

/* One walk: the segments found so far and what is left of the budget. */
struct mtrr_walk {
	const struct mtrr_ctx *c;
	struct mtrr_seg *out;
	size_t n, cap;
	u64 work, work_max;
};

/* Appends [base, base + size) of type, merging with the previous segment. */
static bool emit(struct mtrr_walk *w, u64 base, u64 size, u8 type)
{
	if (w->n && w->out[w->n - 1].type == type) {
		w->out[w->n - 1].size += size;
		return true;
	}
	if (w->n == w->cap)
		return false;
	w->out[w->n++] = (struct mtrr_seg){ .base = base, .size = size, .type = type };
	return true;
}

/*
 * Emits the block [p, p + 2^k) (p aligned, k <= 63, all of it >= 1 MiB or
 * fixed ranges off) and returns its one type, MTRR_MIXED, or MTRR_ABORT.
 * Recursion depth is at most k - 12.
 */
static int walk_block(struct mtrr_walk *w, u64 p, unsigned k)
{
	const struct mtrr_ctx *c = w->c;
	u64 low = BIT(k) - 1;
	unsigned full = 0, part = 0;
	u64 part_bits = 0;

	if (++w->work > w->work_max)
		return MTRR_ABORT;
	for (unsigned i = 0; i < c->n; i++) {
		const struct mtrr_var *v = &c->var[i];
		if ((p ^ v->base) & v->mask & ~low)
			continue; /* a mask bit above the block differs: misses it */
		if (v->mask & low) {
			part |= BIT(v->type);
			part_bits |= v->mask & low;
		} else {
			full |= BIT(v->type);
		}
	}

	/* One type if no subset of the partial types can change the result. */
	u8 t = combine(c, full);
	bool one = true;
	for (unsigned sub = part; sub && one; sub = (sub - 1) & part)
		one = combine(c, full | sub) == t;
	if (one)
		return emit(w, p, BIT(k), t) ? t : MTRR_ABORT;

	/* part_bits has bits in [12, k), so k > 12 here */
	unsigned b = k - 1;
	int t1 = walk_block(w, p, b);
	if (t1 == MTRR_ABORT)
		return t1;
	if (!(part_bits & BIT(b)) && t1 != MTRR_MIXED)
		return emit(w, p + BIT(b), BIT(b), (u8)t1) ? t1 : MTRR_ABORT; /* same decode */
	int t2 = walk_block(w, p + BIT(b), b);
	if (t2 == MTRR_ABORT)
		return t2;
	return t1 == t2 ? t1 : MTRR_MIXED;
}

/* Emits [base, last] (last >= base). False when out of room or work. */
static bool walk_range(struct mtrr_walk *w, u64 base, u64 last)
{
	const struct mtrr_ctx *c = w->c;
	u64 cur = base;

	if (!c->enabled)
		return emit(w, base, last - base + 1, MTRR_UC);

	/* below 1 MiB: one fixed field at a time */
	while (c->fixed_on && cur < MTRR_FIXED_END) {
		u64 end;
		u8 t = fixed_type(c, cur, &end);
		end = MIN(end, last);
		if (!emit(w, cur, end - cur + 1, t))
			return false;
		if (end == last)
			return true;
		cur = end + 1;
	}

	/* the rest in naturally aligned blocks, largest first */
	for (;;) {
		unsigned k = cur ? (unsigned)__builtin_ctzll(cur) : 63;
		k = MIN(k, 63u);
		while (k && BIT(k) - 1 > last - cur)
			k--;
		if (walk_block(w, cur, k) == MTRR_ABORT)
			return false;
		if (last - cur == BIT(k) - 1)
			return true;
		cur += BIT(k);
	}
}

int mtrr_uniform(const struct mtrr_state *s, u64 base, u64 size, u8 *type)
{
	struct mtrr_ctx c;
	struct mtrr_seg seg;

	if (size == 0 || base + (size - 1) < base)
		return 0;
	mtrr_decode(s, &c);
	struct mtrr_walk w = { .c = &c, .out = &seg, .cap = 1, .work_max = MTRR_WORK_MAX };
	if (!walk_range(&w, base, base + (size - 1)))
		return 0; /* a second type, or past the work bound */
	*type = seg.type;
	return 1;
}

size_t mtrr_segments(const struct mtrr_state *s, u64 limit, struct mtrr_seg *out, size_t cap)
{
	struct mtrr_ctx c;

	if (limit == 0)
		return 0;
	mtrr_decode(s, &c);
	struct mtrr_walk w = { .c = &c, .out = out, .cap = cap,
			       .work_max = MTRR_WORK_MAX +
					   (u64)MIN(cap, (size_t)MTRR_WORK_MAX) * MTRR_WORK_PER_SEG };
	if (!walk_range(&w, 0, limit - 1))
		return (size_t)-1;
	return w.n;
}

/* ---- the root's shadow MTRRs ------------------------------------------------ */

/* Memory-type encodings a register may hold (SDM 12.11.1, table 12-8); others raise #GP. */
static bool type_valid(u64 t) { return t == MTRR_UC || t == MTRR_WC || t == MTRR_WT || t == MTRR_WP || t == MTRR_WB; }

static u64 phys_reserved(const struct mtrr_state *s)
{
	unsigned bits = s->phys_bits;

	if (bits < 32 || bits > 52)
		bits = 36;
	return ~0ULL << bits;
}

/* The slot of a fixed-range MSR in mtrr_state.fixed[], or -1. */
static int fixed_slot(u32 msr)
{
	if (msr == MSR_IA32_MTRR_FIX64K_00000)
		return 0;
	if (msr == MSR_IA32_MTRR_FIX16K_80000 || msr == MSR_IA32_MTRR_FIX16K_A0000)
		return 1 + (int)(msr - MSR_IA32_MTRR_FIX16K_80000);
	if (msr >= MSR_IA32_MTRR_FIX4K_C0000 && msr <= MSR_IA32_MTRR_FIX4K_C0000 + 7)
		return 3 + (int)(msr - MSR_IA32_MTRR_FIX4K_C0000);
	return -1;
}

/* The register behind msr in the shadow, or NULL where the CPU has none (#GP). */
static u64 *shadow_reg(struct mtrr_state *s, u32 msr)
{
	u32 nvar = MIN((u32)(s->cap & MTRRCAP_VCNT_MASK), MIN(s->nvar, (u32)MTRR_NR_VAR));
	int f = fixed_slot(msr);

	if (msr == MSR_IA32_MTRRCAP)
		return &s->cap;
	if (msr == MSR_IA32_MTRR_DEF_TYPE)
		return &s->def_type;
	if (f >= 0)
		return (s->cap & MTRRCAP_FIX) ? &s->fixed[f] : NULL;
	if (msr >= MSR_IA32_MTRR_PHYSBASE(0) && msr < MSR_IA32_MTRR_PHYSBASE(nvar)) {
		u32 n = (msr - MSR_IA32_MTRR_PHYSBASE(0)) / 2;
		return (msr & 1) ? &s->var_mask[n] : &s->var_base[n];
	}
	return NULL;
}

int mtrr_shadow_read(const struct mtrr_state *s, u32 msr, u64 *value)
{
	const u64 *r = shadow_reg((struct mtrr_state *)s, msr);

	if (!r)
		return -1;
	*value = *r;
	return 0;
}

int mtrr_shadow_write(struct mtrr_state *s, u32 msr, u64 v)
{
	u64 *r = shadow_reg(s, msr);

	if (!r || msr == MSR_IA32_MTRRCAP)
		return -1; /* no such register, or read-only */
	if (msr == MSR_IA32_MTRR_DEF_TYPE) {
		/* bits 63:12 and 9:8 reserved (SDM 12.11.2.1) */
		if ((v & ~(MTRR_DEF_TYPE_MASK | MTRR_DEF_FE | MTRR_DEF_E)) || !type_valid(v & MTRR_DEF_TYPE_MASK))
			return -1;
	} else if (fixed_slot(msr) >= 0) {
		for (int i = 0; i < 8; i++)
			if (!type_valid((v >> (8 * i)) & 0xff))
				return -1;
	} else if (!(msr & 1)) {
		/* PHYSBASE: bits 11:8 and those at or above MAXPHYADDR reserved (12.11.2.3) */
		if ((v & (0xf00ULL | phys_reserved(s))) || !type_valid(v & MTRR_PHYSBASE_TYPE_MASK))
			return -1;
	} else if (v & (0x7ffULL | phys_reserved(s))) {
		return -1; /* PHYSMASK: bits 10:0 reserved */
	}
	*r = v;
	return 0;
}
