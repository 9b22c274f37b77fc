/* SPDX-License-Identifier: MIT */
/*
 * A host stand-in for physical memory, for the page-table tests: page i of
 * an aligned_alloc'ed arena has the "physical" address ARENA_PHYS + i * 4 KiB.
 * The arena starts as garbage, so the builder must zero what it takes.
 */
#ifndef RAUM_TEST_ARENA_H
#define RAUM_TEST_ARENA_H

#include "unit.h"

#include <raum/pt.h>

#define ARENA_PAGES 4096
#define ARENA_PHYS 0x0000000123400000ULL

struct arena {
	u64 *mem;
	u64 used;  /* pages ever handed out (high-water mark), the root included */
	u64 limit; /* alloc fails once used - nfree reaches it */
	u64 nfree; /* freed pages on the stack below, handed out again first */
	u32 free_stack[ARENA_PAGES];
	bool is_free[ARENA_PAGES];
};

/* Pages the builder holds now. */
static inline u64 arena_live(const struct arena *a) { return a->used - a->nfree; }

static inline u64 *arena_table(void *ctx, u64 phys)
{
	struct arena *a = ctx;
	/* the builder may only ask for pages it was given and still holds */
	assert_true(IS_ALIGNED(phys, PAGE_SIZE));
	assert_true(phys >= ARENA_PHYS && phys < ARENA_PHYS + a->used * PAGE_SIZE);
	assert_false(a->is_free[(phys - ARENA_PHYS) / PAGE_SIZE]);
	return a->mem + (phys - ARENA_PHYS) / sizeof(u64);
}

static inline int arena_alloc(void *ctx, u64 *phys)
{
	struct arena *a = ctx;
	u64 i;
	if (arena_live(a) >= a->limit)
		return -RAUM_ENOMEM;
	if (a->nfree) {
		i = a->free_stack[--a->nfree];
		a->is_free[i] = false;
	} else {
		if (a->used >= ARENA_PAGES)
			return -RAUM_ENOMEM;
		i = a->used++;
	}
	memset(a->mem + i * 512, 0, PAGE_SIZE);
	*phys = ARENA_PHYS + i * PAGE_SIZE;
	return 0;
}

static inline void arena_free(void *ctx, u64 phys)
{
	struct arena *a = ctx;
	/* only pages it holds, once */
	assert_true(IS_ALIGNED(phys, PAGE_SIZE));
	assert_true(phys >= ARENA_PHYS && phys < ARENA_PHYS + a->used * PAGE_SIZE);
	u64 i = (phys - ARENA_PHYS) / PAGE_SIZE;
	assert_false(a->is_free[i]);
	memset(a->mem + i * 512, 0xdd, PAGE_SIZE); /* poison: a later read through a stale entry shows */
	a->is_free[i] = true;
	a->free_stack[a->nfree++] = (u32)i;
}

struct fixture {
	struct arena a;
	struct pt_ctx pt;
};

/* cmocka setup / teardown: a fresh arena and an empty 4-level table with 2 MiB and 1 GiB pages allowed. */
static inline int arena_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	f->a.mem = aligned_alloc(PAGE_SIZE, ARENA_PAGES * PAGE_SIZE);
	if (!f->a.mem)
		return -1;
	memset(f->a.mem, 0xcc, ARENA_PAGES * PAGE_SIZE); /* garbage: alloc must zero */
	f->a.limit = ARENA_PAGES;
	f->pt = (struct pt_ctx){ .table = arena_table, .alloc = arena_alloc, .free = arena_free, .ctx = &f->a,
				 .allow_1g = true, .allow_2m = true };
	if (arena_alloc(&f->a, &f->pt.root))
		return -1;
	f->pt.nr_tables = 1; /* the root, as vm_pt_init counts it */
	*state = f;
	return 0;
}

static inline int arena_teardown(void **state)
{
	struct fixture *f = *state;
	free(f->a.mem);
	free(f);
	return 0;
}

#endif
