// SPDX-License-Identifier: MIT
/*
 * kernel/hvcall_check.c: hypercall argument validation against the TLFS
 * "Hypercall Interface" rules and the order stated in include/raum/hvcall.h.
 * The bit ranges below are spelled out from the TLFS, not taken from the
 * ABI header's masks, so a wrong mask there shows up here too.
 */
#include "unit.h"

#include <raum/hvcall.h>
#include <raum/memmap.h>

#define GB (1ULL << 30)
#define MB (1ULL << 20)
#define PG PAGE_SIZE

#define OK HV_STATUS_SUCCESS
#define BAD_CODE HV_STATUS_INVALID_HYPERCALL_CODE
#define BAD_INPUT HV_STATUS_INVALID_HYPERCALL_INPUT
#define BAD_ALIGN HV_STATUS_INVALID_ALIGNMENT
#define DENIED HV_STATUS_ACCESS_DENIED

#define FAST HV_HYPERCALL_FAST_BIT

/* A simple call any partition may make. */
#define D(code, in, out, fast, name) { code, in, out, fast, name, false, 0, 0, HVCALL_ANY }

/* A memory call with an input and an output block, one with each alone, and a fast call. */
static const struct hvcall_desc mem_io = D(0x4002, 16, 24, false, "InOut");
static const struct hvcall_desc mem_in = D(0x4003, 248, 0, false, "InOnly");
static const struct hvcall_desc mem_out = D(0x4001, 0, 56, false, "OutOnly");
static const struct hvcall_desc fast = D(0x4005, 0, 0, true, "Fast");

/*
 * 64 GiB of GPA space; Raum's 32 MiB at 1 GiB. All of the space is RAM
 * here, so these cases see only the shape checks and Raum's region; the
 * RAM of a real map is tested from test_ram_map on.
 */
#define LIMIT (64 * GB)
#define HOLE (1 * GB)
#define HOLE_SIZE (32 * MB)
#define HOLE_END (HOLE + HOLE_SIZE)
static const struct ram_range all_ram[] = { { 0, LIMIT } };
static const struct gpa_space space = { LIMIT, HOLE, HOLE_SIZE, all_ram, 1, NULL, NULL, false };

/* Well-formed GPAs away from everything: input and output in different pages. */
#define IN 0x10000ULL
#define OUT 0x20000ULL

static u16 v(const struct hvcall_desc *d, u64 control, u64 in, u64 out)
{
	unsigned not_ram;
	return hvcall_validate(d, control, in, out, &space, &not_ram);
}

/* A space of 'limit' bytes, all of them RAM but the hole. */
static u16 vs(const struct hvcall_desc *d, u64 control, u64 in, u64 out, u64 limit, u64 hole,
	      u64 hole_size)
{
	const struct ram_range ram = { 0, limit };
	const struct gpa_space s = { limit, hole, hole_size, &ram, limit ? 1 : 0, NULL, NULL, false };
	unsigned not_ram;
	return hvcall_validate(d, control, in, out, &s, &not_ram);
}

/* Which TLFS field bit b belongs to. */
enum field { F_CODE, F_FAST, F_VARHEAD, F_RSVD, F_REPCOUNT, F_REPSTART };
static enum field field_of(unsigned b)
{
	if (b <= 15)
		return F_CODE;
	if (b == 16)
		return F_FAST;
	if (b <= 26)
		return F_VARHEAD;
	if (b <= 31)
		return F_RSVD;
	if (b <= 43)
		return F_REPCOUNT;
	if (b <= 47)
		return F_RSVD;
	if (b <= 59)
		return F_REPSTART;
	return F_RSVD;
}

static void test_sanity(void **state)
{
	(void)state;
	/* the well-formed calls the other cases break one thing of */
	assert_int_equal(v(&mem_io, mem_io.code, IN, OUT), OK);
	assert_int_equal(v(&mem_in, mem_in.code, IN, OUT), OK);
	assert_int_equal(v(&mem_out, mem_out.code, IN, OUT), OK);
	assert_int_equal(v(&fast, fast.code | FAST, IN, OUT), OK);
	/* the ABI header's masks agree with the TLFS layout */
	u64 rsvd = 0, varhead = 0, rep_count = 0, rep_start = 0;
	for (unsigned b = 0; b < 64; b++) {
		switch (field_of(b)) {
		case F_RSVD: rsvd |= BIT(b); break;
		case F_VARHEAD: varhead |= BIT(b); break;
		case F_REPCOUNT: rep_count |= BIT(b); break;
		case F_REPSTART: rep_start |= BIT(b); break;
		default: break;
		}
	}
	assert_int_equal(rsvd, HV_HYPERCALL_RSVD_MASK);
	assert_int_equal(varhead, HV_HYPERCALL_VARHEAD_MASK);
	assert_int_equal(rep_count, HV_HYPERCALL_REP_COUNT_MASK);
	assert_int_equal(rep_start, HV_HYPERCALL_REP_START_MASK);
	assert_int_equal(FAST, BIT(16));
	assert_int_equal(HV_HYPERCALL_CODE_MASK, 0xffff);
}

static void test_unknown_code(void **state)
{
	(void)state;
	assert_int_equal(v(NULL, 0x1234, IN, OUT), BAD_CODE);
	assert_int_equal(v(NULL, 0, 0, 0), BAD_CODE);
	/* first in the order: whatever else is wrong */
	assert_int_equal(v(NULL, ~0ULL, 3, 5), BAD_CODE);
	assert_int_equal(v(NULL, 0x4001 | BIT(63), HOLE, HOLE), BAD_CODE);
	assert_int_equal(v(NULL, 0x4001 | FAST, LIMIT, ~0ULL), BAD_CODE);
}

/* Every single bit of the input value, on a memory and on a fast call. */
static void test_each_control_bit(void **state)
{
	(void)state;
	for (unsigned b = 0; b < 64; b++) {
		enum field f = field_of(b);
		u16 mem = v(&mem_io, mem_io.code | BIT(b), IN, OUT);
		u16 fst = v(&fast, fast.code | FAST | BIT(b), IN, OUT);
		if (f == F_CODE) {
			/* the code bits are the dispatcher's lookup, not a check here */
			assert_int_equal(mem, OK);
			assert_int_equal(fst, OK);
		} else if (f == F_FAST) {
			assert_int_equal(mem, BAD_INPUT); /* fast flag on a memory call */
			assert_int_equal(fst, OK);        /* already set */
		} else {
			if (mem != BAD_INPUT || fst != BAD_INPUT)
				print_error("bit %u: memory call %#x, fast call %#x\n", b, mem, fst);
			assert_int_equal(mem, BAD_INPUT);
			assert_int_equal(fst, BAD_INPUT);
		}
	}
}

static void test_reserved_and_rep_fields(void **state)
{
	(void)state;
	/* each reserved range as a whole, and its edges */
	assert_int_equal(v(&mem_io, mem_io.code | (0x1fULL << 27), IN, OUT), BAD_INPUT);
	assert_int_equal(v(&mem_io, mem_io.code | (0xfULL << 44), IN, OUT), BAD_INPUT);
	assert_int_equal(v(&mem_io, mem_io.code | (0xfULL << 60), IN, OUT), BAD_INPUT);
	assert_int_equal(v(&mem_io, mem_io.code | BIT(31), IN, OUT), BAD_INPUT);
	assert_int_equal(v(&mem_io, mem_io.code | BIT(44), IN, OUT), BAD_INPUT);
	assert_int_equal(v(&mem_io, mem_io.code | BIT(63), IN, OUT), BAD_INPUT);
	/* a variable header of 1 qword, and the largest */
	assert_int_equal(v(&mem_io, mem_io.code | (1ULL << HV_HYPERCALL_VARHEAD_SHIFT), IN, OUT), BAD_INPUT);
	assert_int_equal(v(&mem_io, mem_io.code | (0x3ffULL << 17), IN, OUT), BAD_INPUT);
	/* a rep count: none of these calls is a rep call */
	assert_int_equal(v(&mem_io, mem_io.code | (1ULL << HV_HYPERCALL_REP_COUNT_SHIFT), IN, OUT), BAD_INPUT);
	assert_int_equal(v(&mem_io, mem_io.code | (0xfffULL << 32), IN, OUT), BAD_INPUT);
	assert_int_equal(v(&fast, fast.code | FAST | (5ULL << 32), IN, OUT), BAD_INPUT);
	/* a rep start, with or without a count */
	assert_int_equal(v(&mem_io, mem_io.code | (1ULL << HV_HYPERCALL_REP_START_SHIFT), IN, OUT), BAD_INPUT);
	assert_int_equal(v(&mem_io, mem_io.code | (0xfffULL << 48), IN, OUT), BAD_INPUT);
	assert_int_equal(v(&mem_io, mem_io.code | (2ULL << 48) | (3ULL << 32), IN, OUT), BAD_INPUT);
	/* all the code bits at once are still fine */
	assert_int_equal(v(&mem_io, 0xffff, IN, OUT), OK);
}

static void test_fast_flag(void **state)
{
	(void)state;
	/* fast flag on a memory call, and missing on a fast call */
	assert_int_equal(v(&mem_io, mem_io.code | FAST, IN, OUT), BAD_INPUT);
	assert_int_equal(v(&mem_in, mem_in.code | FAST, IN, OUT), BAD_INPUT);
	assert_int_equal(v(&mem_out, mem_out.code | FAST, IN, OUT), BAD_INPUT);
	assert_int_equal(v(&fast, fast.code, IN, OUT), BAD_INPUT);
	assert_int_equal(v(&fast, fast.code, 0, 0), BAD_INPUT);

	/* a fast call's RDX and R8 are data, not GPAs: nothing about them is checked */
	static const u64 junk[] = { 0, 1, 7, 0xfff, PG - 8, HOLE, HOLE + 8, HOLE_END - 8, LIMIT,
				    LIMIT + 1, ~0ULL, 0xfffffffffffffff8ULL, 0x8000000000000000ULL };
	for (unsigned i = 0; i < ARRAY_SIZE(junk); i++)
		for (unsigned j = 0; j < ARRAY_SIZE(junk); j++)
			assert_int_equal(v(&fast, fast.code | FAST, junk[i], junk[j]), OK);
	/* even in a space with nothing in it */
	assert_int_equal(vs(&fast, fast.code | FAST, 0, 0, 0, 0, 0), OK);
	/* a fast descriptor that (wrongly) names sizes: still no memory checked */
	static const struct hvcall_desc fast_sized = D(0x4006, 16, 16, true, "FastSized");
	assert_int_equal(v(&fast_sized, fast_sized.code | FAST, 3, 3), OK);
}

static void test_gpa_alignment(void **state)
{
	(void)state;
	for (u64 off = 1; off < 8; off++) {
		assert_int_equal(v(&mem_io, mem_io.code, IN + off, OUT), BAD_ALIGN);
		assert_int_equal(v(&mem_io, mem_io.code, IN, OUT + off), BAD_ALIGN);
		assert_int_equal(v(&mem_in, mem_in.code, IN + off, OUT), BAD_ALIGN);
		assert_int_equal(v(&mem_out, mem_out.code, IN, OUT + off), BAD_ALIGN);
	}
	/* 8 is enough, any multiple of 8 will do */
	for (u64 off = 8; off < 128; off += 8) {
		assert_int_equal(v(&mem_io, mem_io.code, IN + off, OUT), OK);
		assert_int_equal(v(&mem_io, mem_io.code, IN, OUT + off), OK);
	}
	/* misaligned by a high bit pattern still ending in 4 */
	assert_int_equal(v(&mem_io, mem_io.code, 0x123454, OUT), BAD_ALIGN);
}

static void test_page_crossing(void **state)
{
	(void)state;
	static const struct hvcall_desc in17 = D(0x10, 17, 0, false, "In17");
	static const struct hvcall_desc out25 = D(0x11, 0, 25, false, "Out25");
	static const struct hvcall_desc in_page = D(0x12, 4096, 0, false, "InPage");
	static const struct hvcall_desc out_page = D(0x13, 0, 4096, false, "OutPage");
	u64 pg = 0x5000;

	/* exactly up to the page's end passes; 8 bytes further (still aligned) fails */
	assert_int_equal(v(&mem_io, mem_io.code, pg + PG - 16, OUT), OK);
	assert_int_equal(v(&mem_io, mem_io.code, pg + PG - 8, OUT), BAD_ALIGN);
	assert_int_equal(v(&mem_io, mem_io.code, IN, pg + PG - 24), OK);
	assert_int_equal(v(&mem_io, mem_io.code, IN, pg + PG - 16), BAD_ALIGN);
	assert_int_equal(v(&mem_in, mem_in.code, pg + PG - 248, OUT), OK);
	assert_int_equal(v(&mem_in, mem_in.code, pg + PG - 240, OUT), BAD_ALIGN);
	assert_int_equal(v(&mem_out, mem_out.code, IN, pg + PG - 56), OK);
	assert_int_equal(v(&mem_out, mem_out.code, IN, pg + PG - 48), BAD_ALIGN);

	/* one byte over the edge: a 17-byte block at the last 16 bytes of a page */
	assert_int_equal(v(&in17, in17.code, pg + PG - 24, 0), OK); /* ends at PG - 7 */
	assert_int_equal(v(&in17, in17.code, pg + PG - 16, 0), BAD_ALIGN);
	assert_int_equal(v(&out25, out25.code, 0, pg + PG - 32), OK);
	assert_int_equal(v(&out25, out25.code, 0, pg + PG - 24), BAD_ALIGN);

	/* a whole page: only at a page's start */
	assert_int_equal(v(&in_page, in_page.code, pg, 0), OK);
	assert_int_equal(v(&in_page, in_page.code, pg + 8, 0), BAD_ALIGN);
	assert_int_equal(v(&out_page, out_page.code, 0, pg), OK);
	assert_int_equal(v(&out_page, out_page.code, 0, pg + PG - 8), BAD_ALIGN);

	/* the first bytes of a page are fine too */
	assert_int_equal(v(&mem_io, mem_io.code, pg, pg + 0x800), OK);
}

static void test_gpa_space_limit(void **state)
{
	(void)state;
	/* the last page of the space is usable, the space's end is not */
	assert_int_equal(v(&mem_io, mem_io.code, LIMIT - 16, OUT), OK);
	assert_int_equal(v(&mem_io, mem_io.code, IN, LIMIT - 24), OK);
	assert_int_equal(v(&mem_io, mem_io.code, LIMIT, OUT), BAD_ALIGN);
	assert_int_equal(v(&mem_io, mem_io.code, IN, LIMIT), BAD_ALIGN);
	assert_int_equal(v(&mem_io, mem_io.code, LIMIT + PG, OUT), BAD_ALIGN);
	assert_int_equal(v(&mem_io, mem_io.code, IN, 1ULL << 52), BAD_ALIGN);
	assert_int_equal(v(&mem_io, mem_io.code, 0x8000000000000000ULL, OUT), BAD_ALIGN);
	assert_int_equal(v(&mem_io, mem_io.code, IN, 0xfffffffffffff000ULL), BAD_ALIGN);

	/* a limit inside a page: a block running past it, within its page, is beyond the space */
	u64 lim = 0x30000 + 0x800;
	assert_int_equal(vs(&mem_io, mem_io.code, lim - 16, OUT, lim, HOLE, HOLE_SIZE), OK);
	assert_int_equal(vs(&mem_io, mem_io.code, lim - 8, OUT, lim, HOLE, HOLE_SIZE), BAD_ALIGN);
	assert_int_equal(vs(&mem_io, mem_io.code, IN, lim - 24, lim, HOLE, HOLE_SIZE), OK);
	assert_int_equal(vs(&mem_io, mem_io.code, IN, lim - 16, lim, HOLE, HOLE_SIZE), BAD_ALIGN);
	/* an empty space holds nothing */
	assert_int_equal(vs(&mem_io, mem_io.code, 0, 0x1000, 0, 0, 0), BAD_ALIGN);
}

static void test_wrap(void **state)
{
	(void)state;
	/* a space reaching to the top: only wrap-around is left to catch */
	const u64 top = ~0ULL;
	assert_int_equal(vs(&mem_io, mem_io.code, 0xfffffffffffffff8ULL, OUT, top, 0x100000, PG), BAD_ALIGN);
	assert_int_equal(vs(&mem_io, mem_io.code, 0xfffffffffffffff0ULL, OUT, top, 0x100000, PG), BAD_ALIGN);
	assert_int_equal(vs(&mem_io, mem_io.code, IN, 0xfffffffffffffff0ULL, top, 0x100000, PG), BAD_ALIGN);
	assert_int_equal(vs(&mem_io, mem_io.code, IN, 0xfffffffffffffff8ULL, top, 0x100000, PG), BAD_ALIGN);
	/* ending exactly at 2^64: its last byte, 2^64 - 1, is not below the limit */
	assert_int_equal(vs(&mem_in, mem_in.code, 0xffffffffffffff08ULL, 0, top, 0x100000, PG), BAD_ALIGN);
	/* one ending 8 bytes lower is inside */
	assert_int_equal(vs(&mem_in, mem_in.code, 0xffffffffffffff00ULL, 0, top, 0x100000, PG), OK);
	assert_int_equal(vs(&mem_io, mem_io.code, 0xffffffffffffffe8ULL, 0x1000, top, 0x100000, PG), OK);
	/* the normal space */
	assert_int_equal(v(&mem_io, mem_io.code, 0xfffffffffffffff8ULL, OUT), BAD_ALIGN);
	assert_int_equal(v(&mem_out, mem_out.code, 0, 0xffffffffffffffe0ULL), BAD_ALIGN);
}

/* The block of size sz at gpa, as input and as output, against [hb, hb + hs). */
static void expect_hole(u64 gpa, u64 hb, u64 hs, u16 want)
{
	/* descriptors of 16 bytes each way; the other block well away */
	static const struct hvcall_desc in16 = D(0x20, 16, 0, false, "In16");
	static const struct hvcall_desc out16 = D(0x21, 0, 16, false, "Out16");
	u16 a = vs(&in16, in16.code, gpa, 0, LIMIT, hb, hs);
	u16 b = vs(&out16, out16.code, 0, gpa, LIMIT, hb, hs);
	u64 other = OUT >= hb && OUT < hb + hs ? 32 * GB : OUT; /* keep the output out of the hole */
	u16 c = vs(&mem_io, mem_io.code, gpa, other, LIMIT, hb, hs);
	if (a != want || b != want || c != want)
		print_error("gpa %#llx hole %#llx+%#llx: in %#x out %#x io %#x, want %#x\n",
			    (unsigned long long)gpa, (unsigned long long)hb, (unsigned long long)hs, a, b, c,
			    want);
	assert_int_equal(a, want);
	assert_int_equal(b, want);
	assert_int_equal(c, want);
}

static void test_hole(void **state)
{
	(void)state;
	/* a page-aligned hole (as Raum's memory always is) */
	expect_hole(HOLE - 16, HOLE, HOLE_SIZE, OK);     /* ends exactly at its start */
	expect_hole(HOLE, HOLE, HOLE_SIZE, DENIED);      /* start */
	expect_hole(HOLE + 8, HOLE, HOLE_SIZE, DENIED);
	expect_hole(HOLE + HOLE_SIZE / 2, HOLE, HOLE_SIZE, DENIED); /* middle */
	expect_hole(HOLE + 5 * PG + 0x7f0, HOLE, HOLE_SIZE, DENIED);
	expect_hole(HOLE_END - 16, HOLE, HOLE_SIZE, DENIED); /* end */
	expect_hole(HOLE_END, HOLE, HOLE_SIZE, OK);     /* starts exactly at its end */
	expect_hole(HOLE - PG, HOLE, HOLE_SIZE, OK);
	expect_hole(HOLE_END + PG, HOLE, HOLE_SIZE, OK);
	/* output in the hole, input fine, and the other way round */
	assert_int_equal(v(&mem_io, mem_io.code, IN, HOLE + 0x100), DENIED);
	assert_int_equal(v(&mem_io, mem_io.code, HOLE + 0x100, OUT), DENIED);
	assert_int_equal(v(&mem_io, mem_io.code, HOLE + 0x100, HOLE + 0x200), DENIED);

	/*
	 * A hole inside a page (the check does not depend on page alignment):
	 * here a block can overlap only its first or last bytes.
	 */
	u64 hb = 0x70800, hs = 0x400, he = hb + hs;
	expect_hole(hb - 16, hb, hs, OK);
	expect_hole(hb - 8, hb, hs, DENIED);   /* last 8 bytes overlap its start */
	expect_hole(hb + 0x100, hb, hs, DENIED);
	expect_hole(he - 8, hb, hs, DENIED);   /* first 8 bytes overlap its end */
	expect_hole(he, hb, hs, OK);
	/* a block covering the whole of a small hole */
	expect_hole(0x71000, 0x71008, 8, DENIED);

	/* a hole at GPA 0, and one at the space's very end */
	expect_hole(0, 0, 16 * MB, DENIED);
	expect_hole(16 * MB - 16, 0, 16 * MB, DENIED);
	expect_hole(16 * MB, 0, 16 * MB, OK);
	expect_hole(LIMIT - 16 * MB - 16, LIMIT - 16 * MB, 16 * MB, OK);
	expect_hole(LIMIT - 16 * MB, LIMIT - 16 * MB, 16 * MB, DENIED);
	expect_hole(LIMIT - 16, LIMIT - 16 * MB, 16 * MB, DENIED);
}

static void test_in_out_overlap(void **state)
{
	(void)state;
	/* in = [a, a + 16), out = [b, b + 24), all inside one page */
	u64 a = 0x40100;
	assert_int_equal(v(&mem_io, mem_io.code, a, a), BAD_ALIGN);          /* the same GPA */
	assert_int_equal(v(&mem_io, mem_io.code, a, a + 8), BAD_ALIGN);      /* out starts inside in */
	assert_int_equal(v(&mem_io, mem_io.code, a, a + 16), OK);            /* out starts at in's end */
	assert_int_equal(v(&mem_io, mem_io.code, a, a - 16), BAD_ALIGN);     /* out ends inside in */
	assert_int_equal(v(&mem_io, mem_io.code, a, a - 24), OK);            /* out ends at in's start */
	assert_int_equal(v(&mem_io, mem_io.code, a + 24, a), OK);            /* in starts at out's end */
	assert_int_equal(v(&mem_io, mem_io.code, a + 16, a), BAD_ALIGN);     /* 8 bytes shared */
	assert_int_equal(v(&mem_io, mem_io.code, a + 8, a), BAD_ALIGN);      /* in inside out */
	assert_int_equal(v(&mem_io, mem_io.code, a + 32, a), OK);
	assert_int_equal(v(&mem_io, mem_io.code, a, a + 64), OK);
	/* an input block larger than the output, containing it */
	static const struct hvcall_desc big_in = D(0x31, 256, 8, false, "BigIn");
	assert_int_equal(v(&big_in, big_in.code, a, a + 128), BAD_ALIGN);
	assert_int_equal(v(&big_in, big_in.code, a, a + 248), BAD_ALIGN);
	assert_int_equal(v(&big_in, big_in.code, a, a + 256), OK);
	assert_int_equal(v(&big_in, big_in.code, a, a - 8), OK);
	/* a call with one block cannot overlap: the GPA of the missing one is not looked at */
	assert_int_equal(v(&mem_in, mem_in.code, a, a), OK);
	assert_int_equal(v(&mem_out, mem_out.code, a, a), OK);
}

static void test_no_input_no_output(void **state)
{
	(void)state;
	/* no input block: in_gpa may be anything */
	static const u64 junk[] = { 1, 7, PG - 8, HOLE, HOLE + 0x100, LIMIT, ~0ULL, 0xfffffffffffffff8ULL };
	for (unsigned i = 0; i < ARRAY_SIZE(junk); i++) {
		assert_int_equal(v(&mem_out, mem_out.code, junk[i], OUT), OK);
		assert_int_equal(v(&mem_in, mem_in.code, IN, junk[i]), OK); /* no output: out_gpa likewise */
	}
	/* ... while the block there is still checked */
	assert_int_equal(v(&mem_out, mem_out.code, HOLE, OUT + 4), BAD_ALIGN);
	assert_int_equal(v(&mem_out, mem_out.code, 3, HOLE), DENIED);
	assert_int_equal(v(&mem_in, mem_in.code, IN + 4, HOLE), BAD_ALIGN);
	assert_int_equal(v(&mem_in, mem_in.code, HOLE, 3), DENIED);
	/* a memory call with neither */
	static const struct hvcall_desc none = D(0x30, 0, 0, false, "None");
	assert_int_equal(v(&none, none.code, 5, 5), OK);
	assert_int_equal(v(&none, none.code | FAST, 0, 0), BAD_INPUT);
}

/*
 * The order of include/raum/hvcall.h: unknown code; input-value problems
 * (INVALID_HYPERCALL_INPUT); alignment, page, space and overlap problems of
 * either block (INVALID_ALIGNMENT); only then Raum's memory (ACCESS_DENIED).
 */
static void test_order(void **state)
{
	(void)state;
	/* input-value problems come before any GPA problem */
	assert_int_equal(v(&mem_io, mem_io.code | BIT(30), 3, 5), BAD_INPUT);
	assert_int_equal(v(&mem_io, mem_io.code | BIT(30), HOLE, HOLE), BAD_INPUT);
	assert_int_equal(v(&mem_io, mem_io.code | (1ULL << 32), LIMIT, IN), BAD_INPUT);
	assert_int_equal(v(&mem_io, mem_io.code | FAST, HOLE + 1, HOLE), BAD_INPUT);
	assert_int_equal(v(&fast, fast.code, 3, HOLE), BAD_INPUT);

	/* GPA shape problems of either block come before Raum's memory */
	assert_int_equal(v(&mem_io, mem_io.code, HOLE + 4, OUT), BAD_ALIGN);         /* misaligned in the hole */
	assert_int_equal(v(&mem_io, mem_io.code, HOLE + PG - 8, OUT), BAD_ALIGN);    /* crossing in the hole */
	assert_int_equal(v(&mem_io, mem_io.code, HOLE, OUT + 4), BAD_ALIGN);         /* in denied, out misaligned */
	assert_int_equal(v(&mem_io, mem_io.code, HOLE, OUT + PG - 8), BAD_ALIGN);    /* in denied, out crossing */
	assert_int_equal(v(&mem_io, mem_io.code, HOLE, LIMIT), BAD_ALIGN);           /* in denied, out beyond */
	assert_int_equal(v(&mem_io, mem_io.code, HOLE, HOLE + 8), BAD_ALIGN);        /* both denied, overlapping */
	assert_int_equal(v(&mem_io, mem_io.code, IN + 4, HOLE), BAD_ALIGN);          /* in misaligned, out denied */
	assert_int_equal(v(&mem_io, mem_io.code, HOLE, HOLE + 16), DENIED);          /* touching, both denied */
}

/*
 * The RAM of a real map (include/raum/ramrange.h). A q35-like PC: low RAM,
 * the EBDA and the VGA hole, RAM to 2 GiB with Raum's 32 MiB at 1 GiB and
 * ACPI NVS at its top, ECAM, the APIC page, the flash to 4 GiB, then RAM to
 * 6 GiB. Raum's physmap ends at max(end of map, 4 GiB) = 6 GiB; the root's
 * GPA limit (mm/slat.c, no 1 GiB pages) is 64 GiB beyond.
 */
#define RAM_END (6 * GB)
#define PC_LIMIT (RAM_END + 64 * GB)
static const struct raum_mem_range pc[] = {
	{ 0x0, 0x9f, RAUM_MEM_USABLE, 0, 0 },
	{ 0x9f000, 0x1, RAUM_MEM_RESERVED, 0, 0 },
	{ 0x100000, (HOLE - 0x100000) >> 12, RAUM_MEM_USABLE, 0, 0 },
	{ HOLE, HOLE_SIZE >> 12, RAUM_MEM_RAUM, 0, 0 },
	{ HOLE_END, (0x7fff0000 - HOLE_END) >> 12, RAUM_MEM_USABLE, 0, 0 },
	{ 0x7fff0000, 0x10, RAUM_MEM_ACPI_NVS, 0, 0 },
	{ 0xb0000000, 0x10000, RAUM_MEM_RESERVED, 0, 0 },
	{ 0xfee00000, 0x1, RAUM_MEM_MMIO, 0, 0 },
	{ 0xffc00000, 0x400, RAUM_MEM_MMIO, 0, 0 },
	{ 4 * GB, (RAM_END - 4 * GB) >> 12, RAUM_MEM_USABLE, 0, 0 },
};

struct map_space {
	struct ram_range ram[16];
	struct gpa_space s;
};

static void map_space(struct map_space *m, const struct raum_mem_range *map, size_t n, u64 limit, u64 hb,
		      u64 hs, bool hole_in_space)
{
	int k = ram_ranges_build(map, n, limit, hb, hs, m->ram, ARRAY_SIZE(m->ram));
	assert_true(k >= 0);
	m->s = (struct gpa_space){ limit, hole_in_space ? hb : 0, hole_in_space ? hs : 0, m->ram, (size_t)k, NULL, NULL,
				   false };
}

static struct map_space pcs;

/* The status, and in *not_ram how many blocks are not RAM. */
static u16 vm(const struct gpa_space *s, const struct hvcall_desc *d, u64 control, u64 in, u64 out,
	      unsigned *not_ram)
{
	unsigned dummy;
	return hvcall_validate(d, control, in, out, s, not_ram ? not_ram : &dummy);
}

/* The block at gpa as an output alone (GetVersion), an input alone (LogWrite), and beside an output. */
static void expect_pc(u64 gpa, u16 want)
{
	unsigned a, b, c;
	u16 sa = vm(&pcs.s, &mem_out, mem_out.code, 0, gpa, &a);
	u16 sb = vm(&pcs.s, &mem_in, mem_in.code, gpa, 0, &b);
	u16 sc = vm(&pcs.s, &mem_io, mem_io.code, gpa, (gpa & PAGE_MASK) == OUT ? OUT + PG : OUT, &c);
	unsigned want_n = want == OK ? 0 : 1;
	if (sa != want || sb != want || sc != want || a != want_n || b != want_n || c != want_n)
		print_error("gpa %#llx: %#x/%u %#x/%u %#x/%u, want %#x/%u\n", (unsigned long long)gpa, sa, a, sb,
			    b, sc, c, want, want_n);
	assert_int_equal(sa, want);
	assert_int_equal(sb, want);
	assert_int_equal(sc, want);
	assert_int_equal(a, want_n);
	assert_int_equal(b, want_n);
	assert_int_equal(c, want_n);
}

static void test_ram_map(void **state)
{
	(void)state;
	map_space(&pcs, pc, ARRAY_SIZE(pc), PC_LIMIT, HOLE, HOLE_SIZE, true);
	/* RAM: low, high, either side of Raum, above 4 GiB, ACPI NVS, the last bytes before the physmap's end */
	expect_pc(OUT, OK);
	expect_pc(0x9e000, OK);
	expect_pc(HOLE - 0x100, OK);
	expect_pc(HOLE_END, OK);
	expect_pc(0x7fff8000, OK);
	expect_pc(4 * GB, OK);   /* RAM starts at 4 GiB here */
	expect_pc(5 * GB + 0x123400, OK);
	expect_pc(RAM_END - PG, OK);
	/* inside the GPA space, not RAM: ACCESS_DENIED, counted */
	expect_pc(0x9f000, DENIED);        /* EBDA, reserved */
	expect_pc(0xa0000, DENIED);        /* VGA window: no range */
	expect_pc(0xc0000, DENIED);
	expect_pc(HOLE, DENIED);           /* Raum's region */
	expect_pc(HOLE_END - PG, DENIED);
	expect_pc(2 * GB, DENIED);         /* above RAM: the PCI window */
	expect_pc(0xc0000000, DENIED);     /* a PCI BAR */
	expect_pc(0xb0000000, DENIED);     /* ECAM */
	expect_pc(0xfee00000, DENIED);     /* the APIC page */
	expect_pc(0xfee00300, DENIED);
	expect_pc(0xffc00000, DENIED);     /* flash */
	expect_pc(4 * GB - PG, DENIED);
	expect_pc(RAM_END, DENIED);        /* the physmap's end: beyond it Raum has no mapping */
	expect_pc(RAM_END + 8 * GB, DENIED);
	expect_pc(PC_LIMIT - PG, DENIED);  /* the last page of the space */
	/* at or beyond the limit: still INVALID_ALIGNMENT (TLFS), and counted */
	expect_pc(PC_LIMIT, BAD_ALIGN);
	expect_pc(PC_LIMIT + PG, BAD_ALIGN);
	expect_pc(1ULL << 52, BAD_ALIGN);
	expect_pc(0xfffffffffffff000ULL, BAD_ALIGN);
}

/* RAM ending below 4 GiB: the physmap ends at 4 GiB, where a GetVersion block used to panic Raum. */
static void test_ram_map_4g(void **state)
{
	(void)state;
	const struct raum_mem_range small[] = {
		{ 0x0, 0x9f, RAUM_MEM_USABLE, 0, 0 },
		{ 0x100000, (2 * GB - 0x100000) >> 12, RAUM_MEM_USABLE, 0, 0 },
		{ 0xfee00000, 0x1, RAUM_MEM_MMIO, 0, 0 },
		{ 0xffc00000, 0x400, RAUM_MEM_MMIO, 0, 0 },
	};
	struct map_space m;
	unsigned n;
	map_space(&m, small, ARRAY_SIZE(small), 4 * GB + 64 * GB, 256 * MB, 32 * MB, true);
	assert_int_equal(vm(&m.s, &mem_out, mem_out.code, 0, 4 * GB, &n), DENIED);
	assert_int_equal(n, 1);
	assert_int_equal(vm(&m.s, &mem_out, mem_out.code, 0, 4 * GB + 0x800, &n), DENIED);
	assert_int_equal(vm(&m.s, &mem_out, mem_out.code, 0, 2 * GB - 56, &n), OK);
	assert_int_equal(n, 0);
	assert_int_equal(vm(&m.s, &mem_out, mem_out.code, 0, 2 * GB, &n), DENIED);
	assert_int_equal(vm(&m.s, &mem_out, mem_out.code, 0, 256 * MB + 0x1000, &n), DENIED); /* Raum */
	assert_int_equal(n, 1);
	/* a block straddling RAM's end and the hole after it cannot: it would cross a page */
	assert_int_equal(vm(&m.s, &mem_out, mem_out.code, 0, 2 * GB - 8, &n), BAD_ALIGN);
	assert_int_equal(n, 1);
}

/* Raum's region is refused when the map calls it RAM, and when the space names no hole. */
static void test_ram_map_carves_raum(void **state)
{
	(void)state;
	const struct raum_mem_range claims[] = { { 0x0, (2 * GB) >> 12, RAUM_MEM_USABLE, 0, 0 } };
	struct map_space m;
	unsigned n;
	map_space(&m, claims, 1, 64 * GB, HOLE, HOLE_SIZE, false); /* carved from ram[] alone */
	assert_int_equal(m.s.nr_ram, 2);
	assert_int_equal(vm(&m.s, &mem_out, mem_out.code, 0, HOLE, &n), DENIED);
	assert_int_equal(n, 1);
	assert_int_equal(vm(&m.s, &mem_out, mem_out.code, 0, HOLE_END - 56, &n), DENIED);
	assert_int_equal(vm(&m.s, &mem_out, mem_out.code, 0, HOLE - 56, &n), OK);
	assert_int_equal(vm(&m.s, &mem_out, mem_out.code, 0, HOLE_END, &n), OK);
	/* and the hole alone refuses it even were ram[] to claim it */
	const struct ram_range wrong[] = { { 0, 2 * GB } };
	const struct gpa_space s = { 64 * GB, HOLE, HOLE_SIZE, wrong, 1, NULL, NULL, false };
	assert_int_equal(vm(&s, &mem_out, mem_out.code, 0, HOLE + PG, &n), DENIED);
	assert_int_equal(n, 1);
	/* a space without RAM refuses every block, and counts them */
	const struct gpa_space none = { 64 * GB, 0, 0, NULL, 0, NULL, NULL, false };
	assert_int_equal(vm(&none, &mem_io, mem_io.code, IN, OUT, &n), DENIED);
	assert_int_equal(n, 2);
}

/* How many blocks count as refused for where they lie, with the order kept. */
static void test_ram_map_counts(void **state)
{
	(void)state;
	unsigned n = 99;
	map_space(&pcs, pc, ARRAY_SIZE(pc), PC_LIMIT, HOLE, HOLE_SIZE, true);
	const struct gpa_space *s = &pcs.s;
	/* both blocks outside RAM: two; MMIO and Raum's region */
	assert_int_equal(vm(s, &mem_io, mem_io.code, 0xfee00000, HOLE, &n), DENIED);
	assert_int_equal(n, 2);
	assert_int_equal(vm(s, &mem_io, mem_io.code, IN, 4 * GB - PG, &n), DENIED);
	assert_int_equal(n, 1);
	/* a shape problem still comes first; the block outside RAM is counted */
	assert_int_equal(vm(s, &mem_io, mem_io.code, 0xfee00004, OUT, &n), BAD_ALIGN);  /* misaligned on MMIO */
	assert_int_equal(n, 1);
	assert_int_equal(vm(s, &mem_io, mem_io.code, 0xa0ff8, OUT, &n), BAD_ALIGN);     /* crossing in the hole */
	assert_int_equal(n, 1);
	/* in misaligned, out MMIO */
	assert_int_equal(vm(s, &mem_io, mem_io.code, IN + 4, 0xfee00000, &n), BAD_ALIGN);
	assert_int_equal(n, 1);
	assert_int_equal(vm(s, &mem_io, mem_io.code, 0xfee00000, 0xfee00008, &n), BAD_ALIGN); /* overlapping */
	assert_int_equal(n, 2);
	assert_int_equal(vm(s, &mem_io, mem_io.code, PC_LIMIT, 2 * GB, &n), BAD_ALIGN);  /* beyond, and a hole */
	assert_int_equal(n, 2);
	/* blocks in RAM are never counted, whatever is wrong */
	assert_int_equal(vm(s, &mem_io, mem_io.code, IN + 4, OUT, &n), BAD_ALIGN);
	assert_int_equal(n, 0);
	assert_int_equal(vm(s, &mem_io, mem_io.code, IN, IN, &n), BAD_ALIGN);
	assert_int_equal(n, 0);
	assert_int_equal(vm(s, &mem_io, mem_io.code, IN, OUT, &n), OK);
	assert_int_equal(n, 0);
	/* validation that stops before the blocks counts none, wherever they are */
	n = 99;
	assert_int_equal(vm(s, NULL, 0x1234, 0xfee00000, HOLE, &n), BAD_CODE);
	assert_int_equal(n, 0);
	n = 99;
	assert_int_equal(vm(s, &mem_io, mem_io.code | BIT(31), 0xfee00000, HOLE, &n), BAD_INPUT);
	assert_int_equal(n, 0);
	n = 99;
	assert_int_equal(vm(s, &fast, fast.code | FAST, 0xfee00000, HOLE, &n), OK);
	assert_int_equal(n, 0);
	/* a block the call does not have is not looked at */
	assert_int_equal(vm(s, &mem_out, mem_out.code, 0xfee00000, OUT, &n), OK);
	assert_int_equal(n, 0);
	assert_int_equal(vm(s, &mem_in, mem_in.code, IN, HOLE, &n), OK);
	assert_int_equal(n, 0);
}

/* ---- issue 12: rep calls, privileges, taken pages ---------------------------------- */

/* DepositMemory's shape: an 8-byte header and 8-byte elements, root only; WithdrawMemory's: output elements. */
static const struct hvcall_desc dep = { 0x48, 8, 0, false, "Deposit", true, 8, 0, HVCALL_ROOT_ONLY };
static const struct hvcall_desc wd = { 0x49, 16, 0, false, "Withdraw", true, 0, 8, HVCALL_ROOT_ONLY };
static const struct hvcall_desc bal = { 0x4a, 16, 16, false, "Balance", false, 0, 0, HVCALL_ROOT_ONLY };

#define REPS(count, start) (((u64)(count) << 32) | ((u64)(start) << 48))

static u16 vr(const struct hvcall_desc *d, u64 control, u64 in, u64 out, bool root)
{
	struct gpa_space s = space;
	unsigned not_ram;
	s.root = root;
	return hvcall_validate(d, control, in, out, &s, &not_ram);
}

static void test_rep_fields(void **state)
{
	(void)state;
	assert_int_equal(hvcall_rep_count(REPS(0xfff, 0)), 0xfff);
	assert_int_equal(hvcall_rep_start(REPS(0, 0xfff)), 0xfff);
	assert_int_equal(hvcall_rep_count(~0ULL), 0xfff);
	assert_int_equal(hvcall_rep_start(~0ULL), 0xfff);
	assert_int_equal(hvcall_in_bytes(&dep, dep.code | REPS(3, 1)), 8 + 3 * 8);
	assert_int_equal(hvcall_out_bytes(&dep, dep.code | REPS(3, 1)), 0);
	assert_int_equal(hvcall_in_bytes(&wd, wd.code | REPS(5, 0)), 16);
	assert_int_equal(hvcall_out_bytes(&wd, wd.code | REPS(5, 0)), 40);
	/* a simple call's sizes ignore the rep fields */
	assert_int_equal(hvcall_in_bytes(&mem_io, mem_io.code | REPS(5, 0)), 16);
}

static void test_rep_count_start(void **state)
{
	(void)state;
	assert_int_equal(vr(&dep, dep.code | REPS(1, 0), IN, 0, true), OK);
	assert_int_equal(vr(&dep, dep.code | REPS(0, 0), IN, 0, true), BAD_INPUT);  /* no elements */
	assert_int_equal(vr(&dep, dep.code | REPS(3, 3), IN, 0, true), BAD_INPUT);  /* start at the end */
	assert_int_equal(vr(&dep, dep.code | REPS(3, 4), IN, 0, true), BAD_INPUT);  /* start past it */
	assert_int_equal(vr(&dep, dep.code | REPS(3, 2), IN, 0, true), OK);         /* the last one left */
	assert_int_equal(vr(&dep, dep.code | REPS(0, 5), IN, 0, true), BAD_INPUT);
	/* the fields are still checked on a rep call: reserved bits, a variable header, the fast flag */
	assert_int_equal(vr(&dep, dep.code | REPS(2, 0) | BIT(31), IN, 0, true), BAD_INPUT);
	assert_int_equal(vr(&dep, dep.code | REPS(2, 0) | BIT(17), IN, 0, true), BAD_INPUT);
	assert_int_equal(vr(&dep, dep.code | REPS(2, 0) | FAST, IN, 0, true), BAD_INPUT);
	/* a simple call with a rep count or start: refused as before */
	assert_int_equal(vr(&bal, bal.code | REPS(1, 0), IN, OUT, true), BAD_INPUT);
	assert_int_equal(vr(&bal, bal.code | REPS(0, 1), IN, OUT, true), BAD_INPUT);
	assert_int_equal(vr(&bal, bal.code, IN, OUT, true), OK);
}

/* The whole list must lie in one page: 511 deposit elements fit after the header at the page's start, 512 do not. */
static void test_rep_list_in_page(void **state)
{
	(void)state;
	assert_int_equal(vr(&dep, dep.code | REPS(511, 0), IN, 0, true), OK);
	assert_int_equal(vr(&dep, dep.code | REPS(512, 0), IN, 0, true), BAD_ALIGN);
	assert_int_equal(vr(&dep, dep.code | REPS(511, 510), IN + 8, 0, true), BAD_ALIGN); /* ends one past the page */
	assert_int_equal(vr(&dep, dep.code | REPS(0xfff, 0), IN, 0, true), BAD_ALIGN);
	/* the start index does not shrink the list validated */
	assert_int_equal(vr(&dep, dep.code | REPS(512, 511), IN, 0, true), BAD_ALIGN);
	/* output lists: 512 withdraw elements fill a page exactly */
	assert_int_equal(vr(&wd, wd.code | REPS(512, 0), IN, OUT, true), OK);
	assert_int_equal(vr(&wd, wd.code | REPS(513, 0), IN, OUT, true), BAD_ALIGN);
	assert_int_equal(vr(&wd, wd.code | REPS(512, 0), IN, OUT + 8, true), BAD_ALIGN);
	/* input and output lists may not overlap */
	assert_int_equal(vr(&wd, wd.code | REPS(4, 0), IN, IN + 8, true), BAD_ALIGN);
	assert_int_equal(vr(&wd, wd.code | REPS(4, 0), IN + 16, IN, true), BAD_ALIGN);
	assert_int_equal(vr(&wd, wd.code | REPS(2, 0), IN + 32, IN + 24, true), BAD_ALIGN);
	assert_int_equal(vr(&wd, wd.code | REPS(2, 0), IN + 32, IN, true), OK);
	/* a list in Raum's region is not RAM (one that runs into it crosses a page first) */
	assert_int_equal(vr(&dep, dep.code | REPS(2, 0), HOLE + 64, 0, true), DENIED);
	assert_int_equal(vr(&dep, dep.code | REPS(1, 0), HOLE - 16, 0, true), OK);
}

static void test_privilege(void **state)
{
	(void)state;
	/* root-only calls from another partition: ACCESS_DENIED before anything else is looked at */
	assert_int_equal(vr(&dep, dep.code | REPS(1, 0), IN, 0, false), DENIED);
	assert_int_equal(vr(&dep, dep.code | REPS(0, 0) | BIT(31), IN + 3, 0, false), DENIED);
	assert_int_equal(vr(&bal, bal.code, IN, OUT, false), DENIED);
	assert_int_equal(vr(&bal, bal.code | FAST, 0xfee00000, 0xfee00000, false), DENIED);
	/* an unknown code stays INVALID_HYPERCALL_CODE for everyone */
	assert_int_equal(vr(NULL, 0x48, IN, 0, false), BAD_CODE);
	/* any partition may make the others */
	assert_int_equal(vr(&mem_io, mem_io.code, IN, OUT, false), OK);
	assert_int_equal(vr(&fast, fast.code | FAST, 0, 0, false), OK);
	unsigned n = 9;
	struct gpa_space s = space;
	assert_int_equal(hvcall_validate(&bal, bal.code, 0xfee00000, HOLE, &s, &n), DENIED);
	assert_int_equal(n, 0); /* the blocks were not looked at: nothing counted */
}

/* Pages Raum took (deposited) are not the caller's RAM: blocks touching them are refused and counted. */
static u64 taken_page;
static bool taken_fn(const void *ctx, u64 gpa, u64 size)
{
	assert_ptr_equal(ctx, &taken_page);
	return gpa < taken_page + PG && gpa + size > taken_page;
}

static void test_taken_pages(void **state)
{
	(void)state;
	struct gpa_space s = space;
	unsigned n;
	s.taken = taken_fn;
	s.taken_ctx = &taken_page;
	s.root = true;
	taken_page = 0x30000;
	assert_int_equal(hvcall_validate(&mem_io, mem_io.code, IN, OUT, &s, &n), OK);
	assert_int_equal(hvcall_validate(&mem_io, mem_io.code, 0x30000, OUT, &s, &n), DENIED);
	assert_int_equal(n, 1);
	assert_int_equal(hvcall_validate(&mem_io, mem_io.code, IN, 0x30fe0, &s, &n), DENIED);
	assert_int_equal(n, 1);
	assert_int_equal(hvcall_validate(&mem_io, mem_io.code, 0x30008, 0x30100, &s, &n), DENIED);
	assert_int_equal(n, 2);
	/* a rep list that reaches into the taken page from below would cross a page anyway; one in it is refused */
	assert_int_equal(hvcall_validate(&dep, dep.code | REPS(4, 0), 0x30100, 0, &s, &n), DENIED);
	assert_int_equal(hvcall_validate(&dep, dep.code | REPS(4, 0), 0x2f000, 0, &s, &n), OK);
	/* alignment problems still come first */
	assert_int_equal(hvcall_validate(&mem_io, mem_io.code, 0x30004, OUT, &s, &n), BAD_ALIGN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sanity),
		cmocka_unit_test(test_unknown_code),
		cmocka_unit_test(test_each_control_bit),
		cmocka_unit_test(test_reserved_and_rep_fields),
		cmocka_unit_test(test_fast_flag),
		cmocka_unit_test(test_gpa_alignment),
		cmocka_unit_test(test_page_crossing),
		cmocka_unit_test(test_gpa_space_limit),
		cmocka_unit_test(test_wrap),
		cmocka_unit_test(test_hole),
		cmocka_unit_test(test_in_out_overlap),
		cmocka_unit_test(test_no_input_no_output),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_ram_map),
		cmocka_unit_test(test_ram_map_4g),
		cmocka_unit_test(test_ram_map_carves_raum),
		cmocka_unit_test(test_ram_map_counts),
		cmocka_unit_test(test_rep_fields),
		cmocka_unit_test(test_rep_count_start),
		cmocka_unit_test(test_rep_list_in_page),
		cmocka_unit_test(test_privilege),
		cmocka_unit_test(test_taken_pages),
	};
	return cmocka_run_group_tests_name("hvcall", tests, NULL, NULL) ? 1 : 0;
}
