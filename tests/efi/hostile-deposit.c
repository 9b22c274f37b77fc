// SPDX-License-Identifier: MIT
/*
 * The hostile-root suite: DepositMemory, WithdrawMemory and GetMemoryBalance
 * (issue 12, docs/partitions.md) from the root, to its own pool.
 *
 * Deposited pages must be Raum's at once: a read from the root returns
 * all-ones (Raum's answer for an access outside the root's SLAT), a write
 * is dropped, a hypercall block in one is refused (ACCESS_DENIED, counted in
 * buffers_refused). Withdrawn pages come back scrubbed (zero) and usable.
 * Refused: a page deposited twice, Raum's canary page, the neighbour page
 * (reserved), the xAPIC page, pages beyond RAM and beyond the ownership
 * table, an unknown partition ID, rep count 0, rep start past the count, a
 * list crossing a page, the fast flag. A list with a bad element deposits
 * the ones before it (reps completed) and not the rest. A call of more
 * elements than Raum runs per entry (64) continues transparently: the
 * instruction runs again with RCX at the next rep start.
 */
#include "hostile.h"

#define DEP_PAGES 200 /* more than three batches of HVCALL_REP_BUDGET */
#define PATTERN 0x5a5a5a5a5a5a5a5aULL

static UINT64 io;     /* two pages: the call's input and output blocks */
static UINT64 pool;   /* DEP_PAGES pages to deposit */

static UINT64 reps(UINT64 count, UINT64 start) { return (count << 32) | (start << 48); }

static UINT64 call(UINT64 control, long *v)
{
	return hvcall("deposit", control, io, io + PAGE, v);
}

/* GetMemoryBalance for partition id through the io pages; FALSE when it failed. */
static BOOLEAN balance(UINT64 id, struct hv_memory_balance *b, UINT64 *rax)
{
	struct hv_get_memory_balance_in *q = (void *)io;
	long v;

	ZeroMem((void *)io, 2 * PAGE);
	q->partition_id = id;
	*rax = hvcall("balance", HVCALL_GET_MEMORY_BALANCE, io, io + PAGE, &v);
	CopyMem(b, (void *)(io + PAGE), sizeof(*b));
	return v == NO_TRAP && (*rax & 0xffff) == HV_STATUS_SUCCESS;
}

/* Deposits n pages listed in pfn[] to partition id, rep start 'start'; returns RAX (~0 on a trap). */
static UINT64 deposit(UINT64 id, const UINT64 *pfn, UINT64 n, UINT64 start, UINT64 extra)
{
	struct hv_deposit_memory *h = (void *)io;
	UINT64 *list = (UINT64 *)(io + sizeof(*h));
	long v;

	ZeroMem((void *)io, 2 * PAGE);
	h->partition_id = id;
	for (UINT64 i = 0; i < n; i++)
		list[i] = pfn[i];
	UINT64 rax = call(HVCALL_DEPOSIT_MEMORY | reps(n, start) | extra, &v);
	return v == NO_TRAP ? rax : ~0ULL;
}

static UINT64 peek(UINT64 pa) { return *(volatile UINT64 *)pa; }
static void poke(UINT64 pa, UINT64 val) { *(volatile UINT64 *)pa = val; }

static UINT16 st(UINT64 rax) { return (UINT16)rax; }
static UINT64 done(UINT64 rax) { return (rax >> 32) & 0xfff; }

/* One deposit that must be refused with want and deposit nothing. */
static void refused(const char *name, UINT64 id, UINT64 pfn, UINT16 want, UINT64 avail_before)
{
	struct hv_memory_balance b;
	struct snap a;
	UINT64 brax, rax = deposit(id, &pfn, 1, 0, 0);
	BOOLEAN bok = balance(HV_PARTITION_ID_SELF, &b, &brax);

	snap(&a);
	judge(name, st(rax) == want && done(rax) == 0 && bok && b.pages_available == avail_before, &a,
	      L"page %lx: RAX %lx (want status %x, 0 reps), available %ld (was %ld)", pfn, rax, want,
	      b.pages_available, avail_before);
}

void hostile_deposit(void)
{
	struct hv_memory_balance b0, b;
	struct snap s0, a;
	UINT64 rax, brax, pfn[DEP_PAGES];

	io = alloc_pages(2);
	pool = alloc_pages(DEP_PAGES);
	if (!io || !pool) {
		fail("deposit.setup", L"AllocatePages failed");
		return;
	}
	for (UINT64 i = 0; i < DEP_PAGES; i++) {
		pfn[i] = (pool >> 12) + i;
		for (UINT64 k = 0; k < PAGE / 8; k++)
			poke(pool + i * PAGE + k * 8, PATTERN);
	}
	snap(&s0);

	/* the balance: self and the root's ID name the same pool; nothing deposited yet */
	BOOLEAN ok = balance(HV_PARTITION_ID_SELF, &b0, &brax);
	struct hv_memory_balance r;
	BOOLEAN ok2 = balance(RAUM_ROOT_PARTITION_ID, &r, &rax);
	snap(&a);
	judge("deposit.balance_initial", ok && ok2 && b0.pages_available == r.pages_available &&
	      b0.pages_in_use == r.pages_in_use, &a, L"self: RAX %lx %ld/%ld, root: RAX %lx %ld/%ld", brax,
	      b0.pages_available, b0.pages_in_use, rax, r.pages_available, r.pages_in_use);
	UINT64 avail = b0.pages_available;

	/* one page: gone from the root at once, zeroed behind its back */
	rax = deposit(HV_PARTITION_ID_SELF, &pfn[0], 1, 0, 0);
	ok = balance(HV_PARTITION_ID_SELF, &b, &brax);
	UINT64 seen = peek(pool);
	poke(pool + 8, 0x1234);
	UINT64 seen2 = peek(pool + 8);
	snap(&a);
	judge("deposit.one", st(rax) == HV_STATUS_SUCCESS && done(rax) == 1 && ok && b.pages_available == avail + 1,
	      &a, L"RAX %lx, available %ld (was %ld)", rax, b.pages_available, avail);
	judge("deposit.root_reads_ones", seen == ~0ULL && seen2 == ~0ULL, &a,
	      L"the deposited page reads %lx, after a write %lx (want all-ones both times)", seen, seen2);
	avail++;

	/* a hypercall block on the deposited page: refused and counted, the page untouched */
	long v;
	UINT64 before = a.h.buffers_refused;
	rax = hvcall("deposit.block", RAUM_CALL_GET_VERSION, 0, pool, &v);
	snap(&a);
	judge("deposit.block_refused", v == NO_TRAP && st(rax) == HV_STATUS_ACCESS_DENIED &&
	      a.h.buffers_refused == before + 1, &a, L"GetVersion into the deposited page: RAX %lx, buffers_refused "
	      L"%ld -> %ld", rax, before, a.h.buffers_refused);

	/* refusals: twice, Raum's, reserved, MMIO, beyond RAM, beyond the table, unknown partitions */
	refused("deposit.twice", HV_PARTITION_ID_SELF, pfn[0], HV_STATUS_OPERATION_DENIED, avail);
	refused("deposit.raum_canary", HV_PARTITION_ID_SELF, canary_phys >> 12, HV_STATUS_OPERATION_DENIED, avail);
	if (a.h.neighbour_phys)
		refused("deposit.neighbour", HV_PARTITION_ID_SELF, a.h.neighbour_phys >> 12, HV_STATUS_OPERATION_DENIED,
			avail);
	refused("deposit.xapic", HV_PARTITION_ID_SELF, 0xfee00, HV_STATUS_OPERATION_DENIED, avail);
	refused("deposit.beyond_ram", HV_PARTITION_ID_SELF, (1ULL << (phys_bits - 12)) - 1, HV_STATUS_OPERATION_DENIED,
		avail);
	refused("deposit.beyond_table", HV_PARTITION_ID_SELF, 1ULL << 40, HV_STATUS_OPERATION_DENIED, avail);
	refused("deposit.huge_pfn", HV_PARTITION_ID_SELF, ~0ULL, HV_STATUS_OPERATION_DENIED, avail);
	refused("deposit.partition_0", 0, pfn[1], HV_STATUS_INVALID_PARTITION_ID, avail);
	refused("deposit.partition_unknown", 0x12345, pfn[1], HV_STATUS_INVALID_PARTITION_ID, avail);
	refused("deposit.partition_2", 2, pfn[1], HV_STATUS_INVALID_PARTITION_ID, avail);

	/* malformed calls: nothing deposited */
	UINT64 bad[4] = { pfn[1], pfn[2], pfn[3], pfn[4] };
	struct {
		const char *name;
		UINT64 count, start, extra;
		UINT16 want;
	} shapes[] = {
		{ "deposit.rep_count_0", 0, 0, 0, HV_STATUS_INVALID_HYPERCALL_INPUT },
		{ "deposit.rep_start_at_count", 4, 4, 0, HV_STATUS_INVALID_HYPERCALL_INPUT },
		{ "deposit.rep_start_past", 2, 7, 0, HV_STATUS_INVALID_HYPERCALL_INPUT },
		{ "deposit.fast", 4, 0, HV_HYPERCALL_FAST_BIT, HV_STATUS_INVALID_HYPERCALL_INPUT },
		{ "deposit.varhead", 4, 0, 1ULL << 17, HV_STATUS_INVALID_HYPERCALL_INPUT },
		{ "deposit.list_crosses_page", 512, 0, 0, HV_STATUS_INVALID_ALIGNMENT },
	};
	for (unsigned i = 0; i < ARRAY_LEN(shapes); i++) {
		struct hv_deposit_memory *h = (void *)io;
		ZeroMem((void *)io, 2 * PAGE);
		h->partition_id = HV_PARTITION_ID_SELF;
		for (unsigned k = 0; k < 4; k++)
			((UINT64 *)(io + sizeof(*h)))[k] = bad[k];
		rax = call(HVCALL_DEPOSIT_MEMORY | reps(shapes[i].count, shapes[i].start) | shapes[i].extra, &v);
		ok = balance(HV_PARTITION_ID_SELF, &b, &brax);
		snap(&a);
		judge(shapes[i].name, v == NO_TRAP && st(rax) == shapes[i].want && ok && b.pages_available == avail, &a,
		      L"RAX %lx (want %x), available %ld (was %ld)", rax, shapes[i].want, b.pages_available, avail);
	}

	/* a bad element in the middle: the ones before it are deposited (reps completed), not the ones after */
	UINT64 mixed[3] = { pfn[5], canary_phys >> 12, pfn[6] };
	rax = deposit(HV_PARTITION_ID_SELF, mixed, 3, 0, 0);
	ok = balance(HV_PARTITION_ID_SELF, &b, &brax);
	snap(&a);
	judge("deposit.partial", st(rax) == HV_STATUS_OPERATION_DENIED && done(rax) == 1 && ok &&
	      b.pages_available == avail + 1 && peek(pool + 5 * PAGE) == ~0ULL && peek(pool + 6 * PAGE) == PATTERN,
	      &a, L"RAX %lx (want status 8, 1 rep), available %ld (was %ld), page 5 %lx, page 6 %lx", rax,
	      b.pages_available, avail, peek(pool + 5 * PAGE), peek(pool + 6 * PAGE));
	avail = b.pages_available;

	/* rep start 1: element 0 is skipped */
	UINT64 st3[3] = { pfn[7], pfn[8], pfn[9] };
	rax = deposit(HV_PARTITION_ID_SELF, st3, 3, 1, 0);
	ok = balance(HV_PARTITION_ID_SELF, &b, &brax);
	snap(&a);
	judge("deposit.rep_start", st(rax) == HV_STATUS_SUCCESS && done(rax) == 3 && ok &&
	      b.pages_available == avail + 2 && peek(pool + 7 * PAGE) == PATTERN && peek(pool + 8 * PAGE) == ~0ULL,
	      &a, L"RAX %lx (want 3 reps), available %ld (was %ld), page 7 %lx, page 8 %lx", rax, b.pages_available,
	      avail, peek(pool + 7 * PAGE), peek(pool + 8 * PAGE));
	avail = b.pages_available;

	/* the rest in one call of more elements than one entry runs: continued until all are done */
	UINT64 n = DEP_PAGES - 10;
	rax = deposit(HV_PARTITION_ID_SELF, &pfn[10], n, 0, 0);
	ok = balance(HV_PARTITION_ID_SELF, &b, &brax);
	UINT64 ones = 0;
	for (UINT64 i = 10; i < DEP_PAGES; i++)
		ones += peek(pool + i * PAGE + (i % 512) * 8) == ~0ULL;
	snap(&a);
	judge("deposit.continued", st(rax) == HV_STATUS_SUCCESS && done(rax) == n && ok &&
	      b.pages_available == avail + n && ones == n, &a,
	      L"RAX %lx (want %ld reps), available %ld (was %ld), %ld of %ld pages read all-ones", rax, n,
	      b.pages_available, avail, ones, n);
	avail = b.pages_available;

	/* withdraw everything: pages come back zeroed, then the pool is empty (NO_RESOURCES, 0 reps) */
	struct hv_withdraw_memory_in *w = (void *)io;
	UINT64 back = 0, zero = 0, in_pool = 0, mine = 0;
	for (int round = 0; round < 4; round++) {
		ZeroMem((void *)io, 2 * PAGE);
		w->partition_id = HV_PARTITION_ID_SELF;
		rax = call(HVCALL_WITHDRAW_MEMORY | reps(512, 0), &v);
		UINT64 k = done(rax);
		for (UINT64 i = 0; i < k; i++) {
			UINT64 pa = ((UINT64 *)(io + PAGE))[i] << 12;
			BOOLEAN z = TRUE;
			for (UINT64 q = 0; q < PAGE / 8; q++)
				z = z && peek(pa + q * 8) == 0;
			zero += z;
			mine += pa >= pool && pa < pool + DEP_PAGES * PAGE;
			poke(pa, 0x77);
			in_pool += peek(pa) == 0x77;
		}
		back += k;
		if (st(rax) != HV_STATUS_SUCCESS)
			break;
	}
	ok = balance(HV_PARTITION_ID_SELF, &b, &brax);
	snap(&a);
	judge("withdraw.all", st(rax) == HV_STATUS_NO_RESOURCES && back == avail && zero == back && in_pool == back &&
	      ok && b.pages_available == 0, &a,
	      L"last RAX %lx, %ld pages back of %ld, %ld zeroed, %ld writable, %ld from this suite, available now %ld",
	      rax, back, avail, zero, in_pool, mine, b.pages_available);
	ZeroMem((void *)io, 2 * PAGE);
	w->partition_id = HV_PARTITION_ID_SELF;
	rax = call(HVCALL_WITHDRAW_MEMORY | reps(4, 0), &v);
	snap(&a);
	judge("withdraw.empty", v == NO_TRAP && st(rax) == HV_STATUS_NO_RESOURCES && done(rax) == 0, &a, L"RAX %lx",
	      rax);
	w->partition_id = 0x777;
	rax = call(HVCALL_WITHDRAW_MEMORY | reps(4, 0), &v);
	snap(&a);
	judge("withdraw.partition_unknown", v == NO_TRAP && st(rax) == HV_STATUS_INVALID_PARTITION_ID, &a, L"RAX %lx",
	      rax);
	/* the page that was deposited first is the root's again: a hypercall block works there */
	rax = hvcall("deposit.block_again", RAUM_CALL_GET_VERSION, 0, pool, &v);
	snap(&a);
	judge("withdraw.block_again", v == NO_TRAP && st(rax) == HV_STATUS_SUCCESS && a.h.buffers_refused ==
	      s0.h.buffers_refused + 1, &a, L"GetVersion into the withdrawn page: RAX %lx", rax);
	uefi_call_wrapper(BS->FreePages, 2, pool, DEP_PAGES);
}

/* ---- child partitions: create, initialize, finalize, delete, list ------------------------------ */

/* A call whose input block starts with the u64s given; the output's first u64 in *out. Returns RAX. */
static UINT64 pcall(UINT16 code, UINT64 a, UINT64 b, UINT64 *out)
{
	long v;

	ZeroMem((void *)io, 2 * PAGE);
	((UINT64 *)io)[0] = a;
	((UINT64 *)io)[1] = b;
	UINT64 rax = hvcall("partition", code, io, io + PAGE, &v);
	if (out)
		*out = ((UINT64 *)(io + PAGE))[0];
	return v == NO_TRAP ? rax : ~0ULL;
}

static UINT64 create(UINT64 flags, UINT64 isolation, UINT64 *id)
{
	long v;
	struct hv_create_partition_in *q = (void *)io;

	ZeroMem((void *)io, 2 * PAGE);
	q->flags = flags;
	q->isolation_properties = isolation;
	UINT64 rax = hvcall("create", HVCALL_CREATE_PARTITION, io, io + PAGE, &v);
	*id = ((UINT64 *)(io + PAGE))[0];
	return v == NO_TRAP ? rax : ~0ULL;
}

/* Withdraws every free page of partition id (scrubbed: each checked zero); returns how many, ~0 on a surprise. */
static UINT64 withdraw_all(UINT64 id, UINT64 *nonzero)
{
	long v;
	UINT64 total = 0;

	*nonzero = 0;
	for (int round = 0; round < 8; round++) {
		ZeroMem((void *)io, 2 * PAGE);
		((struct hv_withdraw_memory_in *)io)->partition_id = id;
		UINT64 rax = call(HVCALL_WITHDRAW_MEMORY | reps(512, 0), &v);
		UINT64 k = done(rax);
		for (UINT64 i = 0; i < k; i++) {
			UINT64 pa = ((UINT64 *)(io + PAGE))[i] << 12;
			for (UINT64 q = 0; q < PAGE / 8; q++)
				*nonzero += peek(pa + q * 8) != 0;
		}
		total += k;
		if (st(rax) == HV_STATUS_NO_RESOURCES)
			return total;
		if (st(rax) != HV_STATUS_SUCCESS)
			return ~0ULL;
	}
	return total;
}

static UINT64 map(UINT64 id, UINT64 gfn, UINT32 flags, const UINT64 *src, UINT64 n, UINT32 pad)
{
	long v;
	struct hv_map_gpa_pages *h = (void *)io;

	ZeroMem((void *)io, 2 * PAGE);
	h->target_partition_id = id;
	h->target_gpa_base = gfn;
	h->map_flags = flags;
	h->padding = pad;
	for (UINT64 i = 0; i < n; i++)
		((UINT64 *)(io + sizeof(*h)))[i] = src[i];
	UINT64 rax = call(HVCALL_MAP_GPA_PAGES | reps(n, 0), &v);
	return v == NO_TRAP ? rax : ~0ULL;
}

static UINT64 unmap(UINT64 id, UINT64 gfn, UINT64 n, UINT32 flags)
{
	long v;
	struct hv_unmap_gpa_pages *h = (void *)io;

	ZeroMem((void *)io, 2 * PAGE);
	h->target_partition_id = id;
	h->target_gpa_base = gfn;
	h->unmap_flags = flags;
	UINT64 rax = call(HVCALL_UNMAP_GPA_PAGES | reps(n, 0), &v);
	return v == NO_TRAP ? rax : ~0ULL;
}

static void expect(const char *name, UINT64 rax, UINT16 want)
{
	struct snap a;
	snap(&a);
	judge(name, st(rax) == want, &a, L"RAX %lx, want status %x", rax, want);
}

/* ---- a child's VPs: every refusal, then real dispatches (both vendors) ------------------------------ */

/* A VP call: the input block is the u64s given (then zeros), the output at io + PAGE. Returns RAX. */
static UINT64 vcall(UINT64 control, UINT64 a, UINT64 b, UINT64 c, UINT64 d)
{
	long v;

	ZeroMem((void *)io, 2 * PAGE);
	((UINT64 *)io)[0] = a;
	((UINT64 *)io)[1] = b;
	((UINT64 *)io)[2] = c;
	((UINT64 *)io)[3] = d;
	UINT64 rax = call(control, &v);
	return v == NO_TRAP ? rax : ~0ULL;
}

/* SetVpRegisters of one register (name, value low, high) on VP vp of id. */
static UINT64 setreg(UINT64 id, UINT32 vp, UINT32 name, UINT64 lo, UINT64 hi, UINT64 rsvd)
{
	long v;
	ZeroMem((void *)io, 2 * PAGE);
	struct hv_vp_registers_hdr *h = (void *)io;
	struct hv_register_assoc *r = (void *)(io + sizeof(*h));
	h->partition_id = id;
	h->vp_index = vp;
	r->name = name;
	r->reserved2 = rsvd;
	r->value.low = lo;
	r->value.high = hi;
	UINT64 rax = call(HVCALL_SET_VP_REGISTERS | reps(1, 0), &v);
	return v == NO_TRAP ? rax : ~0ULL;
}

static UINT64 getreg(UINT64 id, UINT32 vp, UINT32 name, UINT8 vtl, UINT64 *val)
{
	long v;
	ZeroMem((void *)io, 2 * PAGE);
	struct hv_vp_registers_hdr *h = (void *)io;
	h->partition_id = id;
	h->vp_index = vp;
	h->input_vtl = vtl;
	*(UINT32 *)(io + sizeof(*h)) = name;
	UINT64 rax = call(HVCALL_GET_VP_REGISTERS | reps(1, 0), &v);
	*val = ((UINT64 *)(io + PAGE))[0];
	return v == NO_TRAP ? rax : ~0ULL;
}

/*
 * DispatchVp until an exit other than the root's own interrupt (which may
 * end any dispatch: the root takes it, interrupts on, and dispatches again).
 */
static UINT64 dispatch(UINT64 id, UINT32 vp)
{
	UINT64 rax = ~0ULL;
	const struct raum_vp_exit *x = (const void *)(io + PAGE);

	for (int i = 0; i < 1000; i++) {
		__asm__ volatile("sti");
		rax = vcall(RAUM_CALL_DISPATCH_VP, id, vp, 0, 0);
		if (st(rax) != HV_STATUS_SUCCESS || x->kind != RAUM_VPEXIT_INTERRUPTED)
			break;
	}
	return rax;
}

/*
 * DispatchVp with flags (RAUM_DISPATCH_COMPLETE), then on until an exit
 * other than the root's own interrupt.
 */
static UINT64 dispatch_f(UINT64 id, UINT32 vp, UINT32 flags)
{
	const struct raum_vp_exit *x = (const void *)(io + PAGE);

	__asm__ volatile("sti");
	UINT64 rax = vcall(RAUM_CALL_DISPATCH_VP, id, vp | (UINT64)flags << 32, 0, 0);
	if (st(rax) == HV_STATUS_SUCCESS && x->kind == RAUM_VPEXIT_INTERRUPTED)
		rax = dispatch(id, vp);
	return rax;
}

static inline UINT64 root_cr8(void)
{
	UINT64 v;
	__asm__ volatile("mov %%cr8, %0" : "=r"(v));
	return v;
}

/*
 * A 64-bit child (one code page at GPA 0, one page-table page at GPA
 * 0x1000 that serves as PML4, PDPT and PD: entry 1 points at itself,
 * entry 0 is a 2 MiB page at GPA 0; the code runs at va B = 0x8040000000):
 * its CR8 is its own (never the root's TPR), installed #UD and #PF
 * intercepts exit with the vector, error code, address and instruction
 * bytes, an access to an unmapped GPA brings the instruction bytes, a
 * single-step #DB (intercepted by Raum always) reaches the child's own
 * IDT handler, and the x87 / SSE control registers round-trip.
 */
static void vp_long_mode(UINT64 id, const UINT64 *pfn)
{
	struct snap a;
	UINT64 rax, val, v2;
	const UINT64 B = 0x8040000000ULL;
	struct raum_vp_exit xs, *x = &xs; /* a copy: the next call overwrites io + PAGE */
	UINT8 *code = (UINT8 *)(pfn[0] << 12);
	UINT64 *pt = (UINT64 *)(pfn[1] << 12);
	static const UINT8 prog[] = {
		0xb8, 0x0f, 0x00, 0x00, 0x00,   /* 00 mov $15, %eax */
		0x44, 0x0f, 0x22, 0xc0,         /* 05 mov %rax, %cr8 */
		0x44, 0x0f, 0x20, 0xc3,         /* 09 mov %cr8, %rbx */
		0xf4,                           /* 0d hlt */
		0x0f, 0x0b,                     /* 0e ud2 */
		0x8a, 0x01,                     /* 10 mov (%rcx), %al: va not mapped, #PF */
		0x8b, 0x02,                     /* 12 mov (%rdx), %eax: GPA 0x100000, not mapped */
		0x9c,                           /* 14 pushf */
		0x48, 0x81, 0x0c, 0x24, 0x00, 0x01, 0x00, 0x00, /* 15 orq $0x100, (%rsp): TF */
		0x9d,                           /* 1d popf */
		0x90,                           /* 1e nop: the single-step #DB after it */
		0xf4,                           /* 1f hlt: not reached */
	};
	/* 40: mov $0x1234, %edx; hlt; hlt; 47: rdtscp; hlt */
	static const UINT8 handler[] = { 0xba, 0x34, 0x12, 0x00, 0x00, 0xf4, 0xf4, 0x0f, 0x01, 0xf9, 0xf4 };

	ZeroMem(code, PAGE);
	ZeroMem(pt, PAGE);
	CopyMem(code, (void *)prog, sizeof(prog));
	CopyMem(code + 0x40, (void *)handler, sizeof(handler));
	UINT64 *gdt = (UINT64 *)(code + 0x900), *idt = (UINT64 *)(code + 0x800), h = B + 0x40;
	gdt[1] = 0x00af9b000000ffffULL;
	gdt[2] = 0x00cf93000000ffffULL;
	idt[2] = (h & 0xffff) | 8ULL << 16 | 0x8eULL << 40 | ((h >> 16) & 0xffff) << 48; /* vector 1 */
	idt[3] = h >> 32;
	pt[0] = 0x83;          /* the 2 MiB page at GPA 0 (P, W, PS) */
	pt[1] = 0x1000 | 0x3;  /* itself: PML4[1] -> PDPT, PDPT[1] -> PD */
	expect("lm.map", map(id, 0, 0xf, pfn, 2, 0), HV_STATUS_SUCCESS);
	expect("lm.install_ud", vcall(HVCALL_INSTALL_INTERCEPT, id, 3ULL << 32 | 1, 6, 0), HV_STATUS_SUCCESS);
	expect("lm.install_pf", vcall(HVCALL_INSTALL_INTERCEPT, id, 3ULL << 32 | 1, 14, 0), HV_STATUS_SUCCESS);
	static const struct { UINT32 name; UINT64 lo, hi; } regs[] = {
		{ HV_X64_REGISTER_CR0, 0x80000031, 0 },
		{ HV_X64_REGISTER_CR3, 0x1000, 0 },
		{ HV_X64_REGISTER_CR4, 0x20, 0 },
		{ HV_X64_REGISTER_EFER, 0x500, 0 },
		{ HV_X64_REGISTER_CS, 0, 0xffffffffULL | 8ULL << 32 | 0xa9bULL << 48 },
		{ HV_X64_REGISTER_SS, 0, 0xffffffffULL | 16ULL << 32 | 0xc93ULL << 48 },
		{ HV_X64_REGISTER_DS, 0, 0xffffffffULL | 16ULL << 32 | 0xc93ULL << 48 },
		{ HV_X64_REGISTER_ES, 0, 0xffffffffULL | 16ULL << 32 | 0xc93ULL << 48 },
		{ HV_X64_REGISTER_TR, 0, 0x67 | 0x8bULL << 48 },
		{ HV_X64_REGISTER_GDTR, 0x8040000900ULL, 0x17 },
		{ HV_X64_REGISTER_IDTR, 0x8040000800ULL, 0x1f },
		{ HV_X64_REGISTER_RFLAGS, 2, 0 },
		{ HV_X64_REGISTER_RIP, 0x8040000000ULL, 0 },
		{ HV_X64_REGISTER_RAX + 4, 0x8040000ff0ULL, 0 },   /* RSP */
		{ HV_X64_REGISTER_RAX + 1, 0x10000000000ULL, 0 },  /* RCX: PML4 entry 2, not present */
		{ HV_X64_REGISTER_RAX + 2, 0x8040100000ULL, 0 },   /* RDX: GPA 0x100000 */
	};
	UINT64 bad = 0;
	for (UINTN i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
		bad += st(setreg(id, 0, regs[i].name, regs[i].lo, regs[i].hi, 0)) != HV_STATUS_SUCCESS;
	snap(&a);
	judge("lm.regs", bad == 0, &a, L"%ld of the long-mode registers refused", bad);
	expect("lm.cr8_wide", setreg(id, 0, HV_X64_REGISTER_CR8, 16, 0, 0), HV_STATUS_INVALID_PARAMETER);

	/* CR8: the child's own */
	UINT64 before = root_cr8();
	rax = dispatch(id, 0);
	CopyMem(x, (void *)(io + PAGE), sizeof(*x));
	UINT64 after = root_cr8();
	if (after != before)
		__asm__ volatile("mov %0, %%cr8" ::"r"(before)); /* the root's TPR back, whatever the verdict */
	UINT64 r1 = getreg(id, 0, HV_X64_REGISTER_RAX + 3, 0, &val);
	UINT64 r2 = getreg(id, 0, HV_X64_REGISTER_CR8, 0, &v2);
	snap(&a);
	judge("lm.cr8_own", st(rax) == HV_STATUS_SUCCESS && x->kind == RAUM_VPEXIT_HLT && x->rip == B + 0xd &&
	      x->mode == 64 && after == before && st(r1) == HV_STATUS_SUCCESS && val == 15 && st(r2) == HV_STATUS_SUCCESS &&
	      v2 == 15, &a, L"RAX %lx kind %d rip %lx mode %d; root CR8 %lx -> %lx; child RBX %lx CR8 %lx (want 15)", rax,
	      x->kind, x->rip, x->mode, before, after, val, v2);

	/* #UD, intercepted: not delivered, RIP on UD2, its bytes */
	rax = dispatch_f(id, 0, RAUM_DISPATCH_COMPLETE);
	CopyMem(x, (void *)(io + PAGE), sizeof(*x));
	snap(&a);
	judge("lm.exc_ud", st(rax) == HV_STATUS_SUCCESS && x->kind == RAUM_VPEXIT_EXCEPTION && x->index == 6 &&
	      !(x->flags & RAUM_VPEXIT_F_ERROR_CODE) && x->rip == B + 0xe && x->insn_len == 15 && x->insn[0] == 0x0f &&
	      x->insn[1] == 0x0b && x->insn[2] == 0x8a, &a, L"RAX %lx kind %d vector %d flags %x rip %lx, %d bytes %x %x",
	      rax, x->kind, x->index, x->flags, x->rip, x->insn_len, x->insn[0], x->insn[1]);
	expect("lm.exc_complete_nothing", vcall(RAUM_CALL_DISPATCH_VP, id, 1ULL << 32, 0, 0), HV_STATUS_INVALID_PARAMETER);

	/* #PF, intercepted: error code 0 (read, not present, supervisor), the address, CR2 untouched */
	expect("lm.rip_pf", setreg(id, 0, HV_X64_REGISTER_RIP, B + 0x10, 0, 0), HV_STATUS_SUCCESS);
	rax = dispatch(id, 0);
	CopyMem(x, (void *)(io + PAGE), sizeof(*x));
	r2 = getreg(id, 0, HV_X64_REGISTER_CR2, 0, &v2);
	snap(&a);
	judge("lm.exc_pf", st(rax) == HV_STATUS_SUCCESS && x->kind == RAUM_VPEXIT_EXCEPTION && x->index == 14 &&
	      (x->flags & RAUM_VPEXIT_F_ERROR_CODE) && x->error_code == 0 && x->address == 0x10000000000ULL &&
	      x->rip == B + 0x10 && x->insn[0] == 0x8a && st(r2) == HV_STATUS_SUCCESS && v2 == 0, &a,
	      L"RAX %lx kind %d vector %d flags %x error %x address %lx rip %lx; CR2 %lx", rax, x->kind, x->index,
	      x->flags, x->error_code, x->address, x->rip, v2);

	/* an unmapped GPA: MEMORY with the instruction bytes */
	expect("lm.rip_mem", setreg(id, 0, HV_X64_REGISTER_RIP, B + 0x12, 0, 0), HV_STATUS_SUCCESS);
	rax = dispatch(id, 0);
	CopyMem(x, (void *)(io + PAGE), sizeof(*x));
	snap(&a);
	judge("lm.memory_insn", st(rax) == HV_STATUS_SUCCESS && x->kind == RAUM_VPEXIT_MEMORY && x->gpa == 0x100000 &&
	      !(x->flags & RAUM_VPEXIT_F_WRITE) && x->insn_len == 15 && x->insn[0] == 0x8b && x->insn[1] == 0x02 &&
	      x->insn[2] == 0x9c, &a, L"RAX %lx kind %d gpa %lx flags %x, %d bytes %x %x %x", rax, x->kind, x->gpa,
	      x->flags, x->insn_len, x->insn[0], x->insn[1], x->insn[2]);

	/* single step: the #DB Raum intercepts for itself goes to the child's own handler, DR6.BS set */
	expect("lm.rip_tf", setreg(id, 0, HV_X64_REGISTER_RIP, B + 0x14, 0, 0), HV_STATUS_SUCCESS);
	rax = dispatch(id, 0);
	CopyMem(x, (void *)(io + PAGE), sizeof(*x));
	r1 = getreg(id, 0, HV_X64_REGISTER_RAX + 2, 0, &val);
	r2 = getreg(id, 0, HV_X64_REGISTER_DR6, 0, &v2);
	snap(&a);
	judge("lm.db_reflected", st(rax) == HV_STATUS_SUCCESS && x->kind == RAUM_VPEXIT_HLT && x->rip == B + 0x45 &&
	      st(r1) == HV_STATUS_SUCCESS && val == 0x1234 && st(r2) == HV_STATUS_SUCCESS && (v2 & (1ULL << 14)), &a,
	      L"RAX %lx kind %d rip %lx (want %lx); RDX %lx (want 1234), DR6 %lx (want BS)", rax, x->kind, x->rip,
	      B + 0x45, val, v2);

	/* x87 / SSE control registers: the CPU's MXCSR mask, a bit outside it refused, values kept */
	r1 = getreg(id, 0, HV_X64_REGISTER_XMM_CONTROL_STATUS, 0, &val);
	UINT64 mask = ((UINT64 *)(io + PAGE))[1] >> 32, mxcsr = ((UINT64 *)(io + PAGE))[1] & 0xffffffff;
	expect("lm.mxcsr_reserved", setreg(id, 0, HV_X64_REGISTER_XMM_CONTROL_STATUS, 0, 0x1f80 | (1ULL << 31), 0),
	       HV_STATUS_INVALID_PARAMETER);
	expect("lm.mxcsr_set", setreg(id, 0, HV_X64_REGISTER_XMM_CONTROL_STATUS, 0, 0x9f80, 0), HV_STATUS_SUCCESS);
	r2 = getreg(id, 0, HV_X64_REGISTER_XMM_CONTROL_STATUS, 0, &v2);
	UINT64 mx2 = ((UINT64 *)(io + PAGE))[1] & 0xffffffff;
	expect("lm.st0_set", setreg(id, 0, HV_X64_REGISTER_FP_MMX0, 0x8000000000000000ULL, 0x3fff, 0), HV_STATUS_SUCCESS);
	expect("lm.st0_wide", setreg(id, 0, HV_X64_REGISTER_FP_MMX0, 0, 0x10000, 0), HV_STATUS_INVALID_PARAMETER);
	UINT64 r3 = getreg(id, 0, HV_X64_REGISTER_FP_MMX0, 0, &val);
	UINT64 st0_hi = ((UINT64 *)(io + PAGE))[1];
	snap(&a);
	judge("lm.fp_control", st(r1) == HV_STATUS_SUCCESS && mxcsr == 0x1f80 && (mask & 0xffbf) == 0xffbf &&
	      st(r2) == HV_STATUS_SUCCESS && mx2 == 0x9f80 && st(r3) == HV_STATUS_SUCCESS &&
	      val == 0x8000000000000000ULL && st0_hi == 0x3fff, &a,
	      L"MXCSR %lx (want 1f80) mask %lx; after set %lx (want 9f80); ST0 %lx:%lx (want 3fff:8000000000000000)",
	      mxcsr, mask, mx2, st0_hi, val);
	/* and the VP runs with them: one more entry (the HLT completed) restores them without a fault in Raum */
	rax = dispatch_f(id, 0, RAUM_DISPATCH_COMPLETE);
	CopyMem(x, (void *)(io + PAGE), sizeof(*x));
	snap(&a);
	judge("lm.runs_after_fp", st(rax) == HV_STATUS_SUCCESS && x->kind == RAUM_VPEXIT_HLT && x->rip == B + 0x46, &a,
	      L"RAX %lx kind %d rip %lx", rax, x->kind, x->rip);
	/* TSC_AUX: RDTSCP in the child reads its own, the root's is unchanged */
	UINT32 aux0, aux1, lo, hi;
	__asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux0));
	expect("lm.tsc_aux_wide", setreg(id, 0, HV_X64_REGISTER_TSC_AUX, 1ULL << 32, 0, 0), HV_STATUS_INVALID_PARAMETER);
	expect("lm.tsc_aux_set", setreg(id, 0, HV_X64_REGISTER_TSC_AUX, aux0 ^ 0x5a5a, 0, 0), HV_STATUS_SUCCESS);
	rax = dispatch_f(id, 0, RAUM_DISPATCH_COMPLETE);
	CopyMem(x, (void *)(io + PAGE), sizeof(*x));
	__asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux1));
	r1 = getreg(id, 0, HV_X64_REGISTER_RAX + 1, 0, &val);
	snap(&a);
	judge("lm.tsc_aux_own", st(rax) == HV_STATUS_SUCCESS && x->kind == RAUM_VPEXIT_HLT && x->rip == B + 0x4a &&
	      st(r1) == HV_STATUS_SUCCESS && val == (aux0 ^ 0x5a5a) && aux1 == aux0, &a,
	      L"RAX %lx kind %d rip %lx; child RCX %lx (want %x); root TSC_AUX %x -> %x", rax, x->kind, x->rip, val,
	      aux0 ^ 0x5a5a, aux0, aux1);
	expect("lm.fpcs_reserved", setreg(id, 0, HV_X64_REGISTER_FP_CONTROL_STATUS, 0x37f | 1ULL << 40, 0, 0),
	       HV_STATUS_INVALID_PARAMETER);
	expect("lm.fpcs_fop_wide", setreg(id, 0, HV_X64_REGISTER_FP_CONTROL_STATUS, 0x37f | 1ULL << 59, 0, 0),
	       HV_STATUS_INVALID_PARAMETER);
	/* page tables the child points outside its memory: the CPU's walk exits (MEMORY at the table), Raum's
	 * fetch of the instruction bytes reads nothing there (0 bytes), nothing else happens */
	expect("lm.cr3_unmapped", setreg(id, 0, HV_X64_REGISTER_CR3, 0x5000, 0, 0), HV_STATUS_SUCCESS);
	rax = dispatch(id, 0);
	CopyMem(x, (void *)(io + PAGE), sizeof(*x));
	snap(&a);
	judge("lm.walk_unmapped", st(rax) == HV_STATUS_SUCCESS && x->kind == RAUM_VPEXIT_MEMORY &&
	      (x->gpa & ~0xfffULL) == 0x5000 && x->insn_len == 0, &a, L"RAX %lx kind %d gpa %lx, %d bytes", rax, x->kind,
	      x->gpa, x->insn_len);
	expect("lm.unmap", unmap(id, 0, 2, 0), HV_STATUS_SUCCESS);
}

static void hostile_vps(const UINT64 *pfn)
{
	struct snap a;
	UINT64 rax, id, nz, val;

	expect("vp.deposit_self", deposit(HV_PARTITION_ID_SELF, &pfn[0], 1, 0, 0), HV_STATUS_SUCCESS);
	expect("vp.create_partition", create(0, 0, &id), HV_STATUS_SUCCESS);
	expect("vp.create_before_initialize", vcall(HVCALL_CREATE_VP, id, 0, 0, 0),
	       HV_STATUS_INVALID_PARTITION_STATE);
	expect("vp.deposit_child", deposit(id, &pfn[1], 12, 0, 0), HV_STATUS_SUCCESS);
	expect("vp.initialize", pcall(HVCALL_INITIALIZE_PARTITION, id, 0, NULL), HV_STATUS_SUCCESS);
	expect("vp.create_flags", vcall(HVCALL_CREATE_VP, id, 0, 1, 0), HV_STATUS_INVALID_PARAMETER);
	expect("vp.create_reserved", vcall(HVCALL_CREATE_VP, id, 1ULL << 32, 0, 0), HV_STATUS_INVALID_PARAMETER);
	expect("vp.create_root", vcall(HVCALL_CREATE_VP, HV_PARTITION_ID_SELF, 0, 0, 0),
	       HV_STATUS_INVALID_PARTITION_ID);
	expect("vp.create_index", vcall(HVCALL_CREATE_VP, id, RAUM_MAX_CHILD_VPS, 0, 0),
	       HV_STATUS_INVALID_VP_INDEX);
	expect("vp.create", vcall(HVCALL_CREATE_VP, id, 0, 0, 0), HV_STATUS_SUCCESS);
	expect("vp.install_bad_type", vcall(HVCALL_INSTALL_INTERCEPT, id, 4ULL << 32 | 1, 0, 0), HV_STATUS_INVALID_PARAMETER);
	expect("vp.install_exc_nmi", vcall(HVCALL_INSTALL_INTERCEPT, id, 3ULL << 32 | 1, 2, 0), HV_STATUS_INVALID_PARAMETER);
	expect("vp.install_exc_mc", vcall(HVCALL_INSTALL_INTERCEPT, id, 3ULL << 32 | 1, 18, 0), HV_STATUS_INVALID_PARAMETER);
	expect("vp.install_exc_bp", vcall(HVCALL_INSTALL_INTERCEPT, id, 3ULL << 32 | 1, 3, 0), HV_STATUS_INVALID_PARAMETER);
	expect("vp.install_exc_wide", vcall(HVCALL_INSTALL_INTERCEPT, id, 3ULL << 32 | 1, 32 + 6, 0),
	       HV_STATUS_INVALID_PARAMETER);
	expect("vp.install_no_access", vcall(HVCALL_INSTALL_INTERCEPT, id, 2ULL << 32, 0, 0), HV_STATUS_INVALID_PARAMETER);
	expect("vp.install_wide", vcall(HVCALL_INSTALL_INTERCEPT, id, 2ULL << 32 | 1, 1ULL << 32, 0),
	       HV_STATUS_INVALID_PARAMETER);
	UINT64 full = 0;
	for (UINT64 leaf = 0; leaf < RAUM_MAX_INTERCEPTS; leaf++)
		full += st(vcall(HVCALL_INSTALL_INTERCEPT, id, 2ULL << 32 | 1, 0x40000200 + leaf, 0)) == HV_STATUS_SUCCESS;
	rax = vcall(HVCALL_INSTALL_INTERCEPT, id, 2ULL << 32 | 1, 0x40000300, 0);
	snap(&a);
	judge("vp.install_full", full == RAUM_MAX_INTERCEPTS && st(rax) == HV_STATUS_NO_RESOURCES, &a,
	      L"%ld installed, the 17th RAX %lx (want status 1d)", full, rax);
	{
		expect("vp.create_twice", vcall(HVCALL_CREATE_VP, id, 0, 0, 0), HV_STATUS_INVALID_VP_INDEX);
		rax = getreg(id, 0, HV_X64_REGISTER_RIP, 0, &val);
		snap(&a);
		judge("vp.get_rip_reset", st(rax) == HV_STATUS_SUCCESS && val == 0xfff0, &a, L"RAX %lx, RIP %lx", rax, val);
		expect("vp.get_vtl", getreg(id, 0, HV_X64_REGISTER_RIP, 1, &val), HV_STATUS_INVALID_PARAMETER);
		expect("vp.get_unknown_name", getreg(id, 0, 0x00020012, 0, &val), HV_STATUS_INVALID_PARAMETER);
		expect("vp.get_no_vp", getreg(id, 7, HV_X64_REGISTER_RIP, 0, &val), HV_STATUS_INVALID_VP_INDEX);
		expect("vp.set_cr0_high", setreg(id, 0, HV_X64_REGISTER_CR0, 1ULL << 32 | 0x11, 0, 0), HV_STATUS_INVALID_PARAMETER);
		expect("vp.set_efer_svme", setreg(id, 0, HV_X64_REGISTER_EFER, 1ULL << 12, 0, 0), HV_STATUS_INVALID_PARAMETER);
		expect("vp.set_rip_noncanonical", setreg(id, 0, HV_X64_REGISTER_RIP, 0x0000800000000000ULL, 0, 0),
		       HV_STATUS_INVALID_PARAMETER);
		expect("vp.set_assoc_reserved", setreg(id, 0, HV_X64_REGISTER_RIP, 0x1000, 0, 1), HV_STATUS_INVALID_PARAMETER);
		expect("vp.set_event_low_vector", setreg(id, 0, HV_X64_REGISTER_PENDING_INTERRUPTION, 1 | 5 << 16, 0, 0),
		       HV_STATUS_INVALID_PARAMETER);
		expect("vp.set_event_pf_no_code", setreg(id, 0, HV_X64_REGISTER_PENDING_INTERRUPTION, 1 | 3 << 1 | 14 << 16,
							  0, 0), HV_STATUS_INVALID_PARAMETER);
		expect("vp.set_event_type", setreg(id, 0, HV_X64_REGISTER_PENDING_INTERRUPTION, 1 | 7 << 1 | 40 << 16, 0, 0),
		       HV_STATUS_INVALID_PARAMETER);
		expect("vp.set_interrupt_state", setreg(id, 0, HV_X64_REGISTER_INTERRUPT_STATE, 0, 0, 0),
		       HV_STATUS_INVALID_PARAMETER);
		expect("vp.set_dr0_noncanonical", setreg(id, 0, HV_X64_REGISTER_DR0, 0x0000800000000000ULL, 0, 0),
		       HV_STATUS_INVALID_PARAMETER);
		expect("vp.set_dr2", setreg(id, 0, HV_X64_REGISTER_DR0 + 2, 0x7000, 0, 0), HV_STATUS_SUCCESS);
		rax = getreg(id, 0, HV_X64_REGISTER_DR0 + 2, 0, &val);
		snap(&a);
		judge("vp.get_dr2", st(rax) == HV_STATUS_SUCCESS && val == 0x7000, &a, L"RAX %lx, DR2 %lx", rax, val);
		UINT64 tsc_set = setreg(id, 0, HV_X64_REGISTER_TSC, 1ULL << 50, 0, 0), tsc = 0;
		UINT64 tsc_get = getreg(id, 0, HV_X64_REGISTER_TSC, 0, &tsc);
		snap(&a);
		judge("vp.tsc", st(tsc_set) == HV_STATUS_SUCCESS && st(tsc_get) == HV_STATUS_SUCCESS && tsc >= (1ULL << 50) &&
		      tsc < (1ULL << 50) + (1ULL << 40), &a, L"set RAX %lx, get RAX %lx: TSC %lx (want just above 2^50)",
		      tsc_set, tsc_get, tsc);
		expect("vp.tsc_high", setreg(id, 0, HV_X64_REGISTER_TSC, 0, 1, 0), HV_STATUS_INVALID_PARAMETER);
		rax = getreg(id, 0, HV_X64_REGISTER_XMM0 + 3, 0, &val);
		UINT64 rax2 = setreg(id, 0, HV_X64_REGISTER_XMM0 + 3, 0x1122334455667788ULL, 0x99, 0), val2;
		UINT64 rax3 = getreg(id, 0, HV_X64_REGISTER_XMM0 + 3, 0, &val2);
		UINT64 hi = ((UINT64 *)(io + PAGE))[1];
		snap(&a);
		judge("vp.xmm3", st(rax) == HV_STATUS_SUCCESS && val == 0 && st(rax2) == HV_STATUS_SUCCESS &&
		      st(rax3) == HV_STATUS_SUCCESS && val2 == 0x1122334455667788ULL && hi == 0x99, &a,
		      L"before: RAX %lx value %lx (want 0); set RAX %lx; after: RAX %lx %lx:%lx", rax, val, rax2, rax3, hi,
		      val2);
		expect("vp.dispatch_reserved", vcall(RAUM_CALL_DISPATCH_VP, id, 0, 0, 1), HV_STATUS_INVALID_PARAMETER);
		expect("vp.dispatch_flags", vcall(RAUM_CALL_DISPATCH_VP, id, 2ULL << 32, 0, 0), HV_STATUS_INVALID_PARAMETER);
		expect("vp.dispatch_complete_nothing", vcall(RAUM_CALL_DISPATCH_VP, id, 1ULL << 32, 0, 0),
		       HV_STATUS_INVALID_PARAMETER);
		expect("vp.dispatch_no_vp", vcall(RAUM_CALL_DISPATCH_VP, id, 9, 0, 0), HV_STATUS_INVALID_VP_INDEX);
		/* the reset state fetches at 0xfffffff0: its child has no RAM there, an unmapped-GPA exit */
		rax = dispatch(id, 0);
		struct raum_vp_exit *x = (void *)(io + PAGE);
		snap(&a);
		judge("vp.dispatch_unmapped_fetch", st(rax) == HV_STATUS_SUCCESS && x->kind == RAUM_VPEXIT_MEMORY &&
		      (x->flags & RAUM_VPEXIT_F_EXECUTE) && (x->gpa & ~0xfffULL) == 0xfffff000ULL, &a,
		      L"RAX %lx, exit kind %d flags %x gpa %lx", rax, x->kind, x->flags, x->gpa);
		/* a state each register allows but VMRUN refuses: FAILED + REFUSED with the rule, nothing entered */
		expect("vp.set_efer_lme", setreg(id, 0, HV_X64_REGISTER_EFER, 0x100, 0, 0), HV_STATUS_SUCCESS);
		expect("vp.set_cr0_pg", setreg(id, 0, HV_X64_REGISTER_CR0, 0x80000011, 0, 0), HV_STATUS_SUCCESS);
		rax = dispatch(id, 0);
		snap(&a);
		judge("vp.dispatch_refused_state", st(rax) == HV_STATUS_SUCCESS && x->kind == RAUM_VPEXIT_FAILED &&
		      (x->flags & RAUM_VPEXIT_F_REFUSED), &a, L"RAX %lx, exit kind %d flags %x", rax, x->kind, x->flags);
		/*
		 * A guest that spins (JMP $ at GPA 0, real mode, one root page of RAM): the root's own timer
		 * interrupt (UEFI's tick: boot services run with interrupts on) ends the dispatch, never a hang.
		 */
		UINT64 ram = pfn[13] << 12;
		*(volatile UINT16 *)ram = 0xfeeb;
		expect("vp.map_ram", map(id, 0, 0xf, &pfn[13], 1, 0), HV_STATUS_SUCCESS);
		expect("vp.set_efer_back", setreg(id, 0, HV_X64_REGISTER_EFER, 0, 0, 0), HV_STATUS_SUCCESS);
		expect("vp.set_cr0_real", setreg(id, 0, HV_X64_REGISTER_CR0, 0x10, 0, 0), HV_STATUS_SUCCESS);
		expect("vp.set_cs_zero", setreg(id, 0, HV_X64_REGISTER_CS, 0, 0xffffULL | 0x9bULL << 48, 0), HV_STATUS_SUCCESS);
		expect("vp.set_rip_zero", setreg(id, 0, HV_X64_REGISTER_RIP, 0, 0, 0), HV_STATUS_SUCCESS);
		__asm__ volatile("sti");
		rax = vcall(RAUM_CALL_DISPATCH_VP, id, 0, 0, 0);
		snap(&a);
		judge("vp.dispatch_spin_interrupted", st(rax) == HV_STATUS_SUCCESS && x->kind == RAUM_VPEXIT_INTERRUPTED &&
		      x->rip == 0, &a, L"RAX %lx, exit kind %d rip %lx (want 1, 0)", rax, x->kind, x->rip);
		expect("vp.unmap_ram", unmap(id, 0, 1, 0), HV_STATUS_SUCCESS);
		vp_long_mode(id, &pfn[14]);
		expect("vp.delete_reserved", vcall(HVCALL_DELETE_VP, id, 1ULL << 32, 0, 0), HV_STATUS_INVALID_PARAMETER);
		expect("vp.delete", vcall(HVCALL_DELETE_VP, id, 0, 0, 0), HV_STATUS_SUCCESS);
		expect("vp.delete_twice", vcall(HVCALL_DELETE_VP, id, 0, 0, 0), HV_STATUS_INVALID_VP_INDEX);
		expect("vp.create_again", vcall(HVCALL_CREATE_VP, id, 3, 0, 0), HV_STATUS_SUCCESS);
	}
	/* finalize takes the VPs with it: every page comes back, scrubbed */
	expect("vp.finalize", pcall(HVCALL_FINALIZE_PARTITION, id, 0, NULL), HV_STATUS_SUCCESS);
	UINT64 got = withdraw_all(id, &nz);
	expect("vp.delete_partition", pcall(HVCALL_DELETE_PARTITION, id, 0, NULL), HV_STATUS_SUCCESS);
	UINT64 root = withdraw_all(HV_PARTITION_ID_SELF, &nz);
	snap(&a);
	judge("vp.all_returned", got == 12 && root == 1 && nz == 0, &a, L"%ld child pages (want 12), %ld root (want 1), "
	      L"%ld non-zero words", got, root, nz);
}

void hostile_partitions(void)
{
	struct hv_memory_balance b;
	struct snap a;
	UINT64 rax, brax, id, id2, nz, pfn[160];

	if (!io || !pool) {
		fail("part.setup", L"no pages from hostile_deposit");
		return;
	}
	pool = alloc_pages(160);
	if (!pool) {
		fail("part.setup", L"AllocatePages failed");
		return;
	}
	for (UINT64 i = 0; i < 160; i++)
		pfn[i] = (pool >> 12) + i;

	/* the root's pool is empty (hostile_deposit withdrew it): no object for a partition */
	BOOLEAN ok = balance(HV_PARTITION_ID_SELF, &b, &brax);
	rax = create(0, 0, &id);
	snap(&a);
	judge("part.create_needs_deposit", ok && b.pages_available == 0 && st(rax) == HV_STATUS_INSUFFICIENT_MEMORY, &a,
	      L"root pool %ld pages, CreatePartition RAX %lx (want status b)", b.pages_available, rax);
	/* the root deposits to itself and retries (as Linux's mshv does) */
	rax = deposit(HV_PARTITION_ID_SELF, pfn, 2, 0, 0);
	expect("part.deposit_self", rax, HV_STATUS_SUCCESS);
	expect("part.create_bad_flags", create(1, 0, &id), HV_STATUS_INVALID_PARAMETER);
	expect("part.create_isolated", create(0, 2, &id), HV_STATUS_INVALID_PARAMETER);
	rax = create(0, 0, &id);
	ok = balance(HV_PARTITION_ID_SELF, &b, &brax);
	snap(&a);
	judge("part.create", st(rax) == HV_STATUS_SUCCESS && id > RAUM_ROOT_PARTITION_ID && id != HV_PARTITION_ID_SELF &&
	      ok && b.pages_in_use == 1 && b.pages_available == 1, &a,
	      L"RAX %lx, id %lx, root pool %ld free %ld in use", rax, id, b.pages_available, b.pages_in_use);

	/* properties: the vendor and the address width as CPUID says them; the guest OS ID kept per partition */
	{
		UINT64 v1 = 9, v2 = 0, v3 = 5;
		UINT32 r[4];
		cpuid(0, 0, r);
		UINT64 want_vendor = r[1] == 0x756e6547 ? HV_PROCESSOR_VENDOR_INTEL : HV_PROCESSOR_VENDOR_AMD;
		UINT64 ra = pcall(HVCALL_GET_PARTITION_PROPERTY, id, HV_PARTITION_PROPERTY_PROCESSOR_VENDOR, &v1);
		UINT64 rb = pcall(HVCALL_GET_PARTITION_PROPERTY, id, HV_PARTITION_PROPERTY_PHYSICAL_ADDRESS_WIDTH, &v2);
		snap(&a);
		judge("prop.get", st(ra) == HV_STATUS_SUCCESS && v1 == want_vendor && st(rb) == HV_STATUS_SUCCESS &&
		      v2 == phys_bits, &a, L"vendor RAX %lx = %ld (want %ld), width RAX %lx = %ld (want %d)", ra, v1,
		      want_vendor, rb, v2, phys_bits);
		struct hv_set_partition_property_in *sp = (void *)io;
		long vv;
		ZeroMem((void *)io, 2 * PAGE);
		sp->partition_id = id;
		sp->property_code = HV_PARTITION_PROPERTY_GUEST_OS_ID;
		sp->property_value = 0x8100000000001234ULL;
		ra = hvcall("prop.set", HVCALL_SET_PARTITION_PROPERTY, io, io + PAGE, &vv);
		rb = pcall(HVCALL_GET_PARTITION_PROPERTY, id, HV_PARTITION_PROPERTY_GUEST_OS_ID, &v3);
		UINT64 root_os = 7;
		UINT64 rc2 = pcall(HVCALL_GET_PARTITION_PROPERTY, HV_PARTITION_ID_SELF, HV_PARTITION_PROPERTY_GUEST_OS_ID,
				   &root_os);
		snap(&a);
		judge("prop.guest_os_id", st(ra) == HV_STATUS_SUCCESS && st(rb) == HV_STATUS_SUCCESS &&
		      v3 == 0x8100000000001234ULL && st(rc2) == HV_STATUS_SUCCESS && root_os == 0, &a,
		      L"set RAX %lx, get RAX %lx = %lx; the root's own: RAX %lx = %lx (want 0: per partition)", ra, rb, v3,
		      rc2, root_os);
		ZeroMem((void *)io, 2 * PAGE);
		sp->partition_id = id;
		sp->property_code = HV_PARTITION_PROPERTY_PROCESSOR_VENDOR;
		sp->property_value = 1;
		expect("prop.set_read_only", hvcall("prop.ro", HVCALL_SET_PARTITION_PROPERTY, io, io + PAGE, &vv),
		       HV_STATUS_INVALID_PARAMETER);
		expect("prop.get_unknown", pcall(HVCALL_GET_PARTITION_PROPERTY, id, 0x12345, &v1), HV_STATUS_INVALID_PARAMETER);
		expect("prop.get_padding", pcall(HVCALL_GET_PARTITION_PROPERTY, id, HV_PARTITION_PROPERTY_GUEST_OS_ID |
						 (1ULL << 32), &v1), HV_STATUS_INVALID_PARAMETER);
		expect("prop.get_unknown_partition", pcall(HVCALL_GET_PARTITION_PROPERTY, 0x4444,
							   HV_PARTITION_PROPERTY_GUEST_OS_ID, &v1), HV_STATUS_INVALID_PARTITION_ID);
	}

	/* its own metadata needs its own pool */
	expect("part.initialize_needs_deposit", pcall(HVCALL_INITIALIZE_PARTITION, id, 0, NULL),
	       HV_STATUS_INSUFFICIENT_MEMORY);
	expect("part.finalize_created", pcall(HVCALL_FINALIZE_PARTITION, id, 0, NULL), HV_STATUS_INVALID_PARTITION_STATE);
	expect("map.created", map(id, 0x100, 0x3, &pfn[76], 1, 0), HV_STATUS_INVALID_PARTITION_STATE);
	expect("part.deposit_child", deposit(id, &pfn[2], 4, 0, 0), HV_STATUS_SUCCESS);
	expect("part.initialize", pcall(HVCALL_INITIALIZE_PARTITION, id, 0, NULL), HV_STATUS_SUCCESS);
	ok = balance(id, &b, &brax);
	snap(&a);
	judge("part.balance_child", ok && b.pages_in_use == 1 && b.pages_available == 3, &a,
	      L"RAX %lx, %ld free %ld in use (want 3, 1)", brax, b.pages_available, b.pages_in_use);
	/* ---- its RAM: root pages mapped into it ---- */
	expect("part.deposit_child_more", deposit(id, &pfn[20], 4, 0, 0), HV_STATUS_SUCCESS);
	UINT64 gfn = 0x100;
	rax = map(id, gfn, 0x3, &pfn[70], 4, 0);
	ok = balance(id, &b, &brax);
	poke(pool + 70 * PAGE, 0xabcd);
	UINT64 root_sees = peek(pool + 70 * PAGE);
	snap(&a);
	judge("map.four", st(rax) == HV_STATUS_SUCCESS && done(rax) == 4 && ok && b.pages_in_use == 4 &&
	      b.pages_available == 4 && root_sees == 0xabcd, &a,
	      L"RAX %lx, child pool %ld free %ld in use (want 4, 4: three tables), the root reads %lx", rax,
	      b.pages_available, b.pages_in_use, root_sees);
	expect("map.deposited_page", map(id, gfn + 8, 0x3, &pfn[2], 1, 0), HV_STATUS_OPERATION_DENIED);
	expect("map.same_source_twice", map(id, gfn + 8, 0x3, &pfn[70], 1, 0), HV_STATUS_OPERATION_DENIED);
	expect("map.target_mapped", map(id, gfn + 1, 0x3, &pfn[76], 1, 0), HV_STATUS_INVALID_PARAMETER);
	expect("map.write_only", map(id, gfn + 8, 0x2, &pfn[76], 1, 0), HV_STATUS_INVALID_PARAMETER);
	expect("map.kernel_x_only", map(id, gfn + 8, 0x5, &pfn[76], 1, 0), HV_STATUS_INVALID_PARAMETER);
	expect("map.bad_flag", map(id, gfn + 8, 0x13, &pfn[76], 1, 0), HV_STATUS_INVALID_PARAMETER);
	expect("map.beyond_limit", map(id, 1ULL << (phys_bits - 12), 0x1, &pfn[76], 1, 0), HV_STATUS_INVALID_PARAMETER);
	expect("map.gfn_wraps", map(id, ~0ULL, 0x1, &pfn[76], 2, 0), HV_STATUS_INVALID_PARAMETER);
	UINT64 canary_pfn = canary_phys >> 12, apic_pfn = 0xfee00;
	expect("map.raum_canary", map(id, gfn + 8, 0xf, &canary_pfn, 1, 0), HV_STATUS_OPERATION_DENIED);
	expect("map.xapic", map(id, gfn + 8, 0xf, &apic_pfn, 1, 0), HV_STATUS_OPERATION_DENIED);
	expect("map.into_root", map(HV_PARTITION_ID_SELF, gfn + 8, 0x3, &pfn[76], 1, 0), HV_STATUS_INVALID_PARTITION_ID);
	expect("map.deposit_mapped", deposit(HV_PARTITION_ID_SELF, &pfn[71], 1, 0, 0), HV_STATUS_OPERATION_DENIED);
	rax = unmap(id, gfn, 2, 0);
	UINT64 rax2 = deposit(HV_PARTITION_ID_SELF, &pfn[70], 2, 0, 0); /* the root's again: depositable */
	snap(&a);
	judge("unmap.two", st(rax) == HV_STATUS_SUCCESS && done(rax) == 2 && st(rax2) == HV_STATUS_SUCCESS, &a,
	      L"UnmapGpaPages RAX %lx, then DepositMemory of them RAX %lx", rax, rax2);
	expect("unmap.flags", unmap(id, gfn, 2, 1), HV_STATUS_INVALID_PARAMETER);
	expect("unmap.unmapped", unmap(id, gfn + 100, 3, 0), HV_STATUS_SUCCESS);
	expect("part.initialize_twice", pcall(HVCALL_INITIALIZE_PARTITION, id, 0, NULL), HV_STATUS_INVALID_PARTITION_STATE);
	expect("part.delete_active", pcall(HVCALL_DELETE_PARTITION, id, 0, NULL), HV_STATUS_INVALID_PARTITION_STATE);
	expect("part.initialize_root", pcall(HVCALL_INITIALIZE_PARTITION, RAUM_ROOT_PARTITION_ID, 0, NULL),
	       HV_STATUS_INVALID_PARTITION_ID);
	expect("part.delete_self", pcall(HVCALL_DELETE_PARTITION, HV_PARTITION_ID_SELF, 0, NULL),
	       HV_STATUS_INVALID_PARTITION_ID);
	expect("part.delete_unknown", pcall(HVCALL_DELETE_PARTITION, id + 1000, 0, NULL), HV_STATUS_INVALID_PARTITION_ID);

	/* listing */
	UINT64 next = 0, next2 = 7;
	rax = pcall(HVCALL_GET_NEXT_CHILD_PARTITION, HV_PARTITION_ID_SELF, 0, &next);
	rax2 = pcall(HVCALL_GET_NEXT_CHILD_PARTITION, RAUM_ROOT_PARTITION_ID, id, &next2);
	snap(&a);
	judge("part.list", st(rax) == HV_STATUS_SUCCESS && next == id && st(rax2) == HV_STATUS_SUCCESS && next2 == 0, &a,
	      L"first: RAX %lx id %lx (want %lx); after it: RAX %lx id %lx (want 0)", rax, next, id, rax2, next2);
	expect("part.list_unknown_parent", pcall(HVCALL_GET_NEXT_CHILD_PARTITION, 0x999, 0, &next),
	       HV_STATUS_INVALID_PARTITION_ID);

	/* finalize: metadata back to the pool; deposits refused; delete waits for the withdrawal */
	expect("part.finalize", pcall(HVCALL_FINALIZE_PARTITION, id, 0, NULL), HV_STATUS_SUCCESS);
	ok = balance(id, &b, &brax);
	rax = deposit(HV_PARTITION_ID_SELF, &pfn[72], 2, 0, 0); /* still mapped at finalize: released by it */
	snap(&a);
	judge("part.balance_finalized", ok && b.pages_in_use == 0 && b.pages_available == 8 &&
	      st(rax) == HV_STATUS_SUCCESS, &a, L"RAX %lx, %ld free %ld in use (want 8, 0); deposit of its RAM: RAX %lx",
	      brax, b.pages_available, b.pages_in_use, rax);
	expect("part.deposit_finalized", deposit(id, &pfn[6], 1, 0, 0), HV_STATUS_INVALID_PARTITION_STATE);
	expect("part.delete_with_pool", pcall(HVCALL_DELETE_PARTITION, id, 0, NULL), HV_STATUS_OPERATION_DENIED);
	UINT64 got = withdraw_all(id, &nz);
	snap(&a);
	judge("part.withdraw_child", got == 8 && nz == 0, &a, L"%ld pages back (want 8), %ld non-zero words", got, nz);
	expect("part.delete", pcall(HVCALL_DELETE_PARTITION, id, 0, NULL), HV_STATUS_SUCCESS);
	expect("part.delete_twice", pcall(HVCALL_DELETE_PARTITION, id, 0, NULL), HV_STATUS_INVALID_PARTITION_ID);
	expect("part.balance_deleted", pcall(HVCALL_GET_MEMORY_BALANCE, id, 0, NULL), HV_STATUS_INVALID_PARTITION_ID);
	rax = create(0, 0, &id2);
	snap(&a);
	judge("part.id_not_reused", st(rax) == HV_STATUS_SUCCESS && id2 > id, &a, L"RAX %lx, new id %lx after %lx", rax,
	      id2, id);
	expect("part.delete_created", pcall(HVCALL_DELETE_PARTITION, id2, 0, NULL), HV_STATUS_SUCCESS);

	/* the table holds 64: the 65th is refused, all 64 are deleted again */
	expect("part.deposit_self_64", deposit(HV_PARTITION_ID_SELF, &pfn[80], 64, 0, 0), HV_STATUS_SUCCESS);
	UINT64 made = 0, ids[RAUM_MAX_CHILD_PARTITIONS];
	for (UINT64 i = 0; i < RAUM_MAX_CHILD_PARTITIONS; i++)
		if (st(create(0, 0, &ids[i])) == HV_STATUS_SUCCESS)
			made++;
	UINT64 extra;
	rax = create(0, 0, &extra);
	UINT64 listed = 0;
	for (next = 0; listed <= RAUM_MAX_CHILD_PARTITIONS; listed++)
		if (st(pcall(HVCALL_GET_NEXT_CHILD_PARTITION, HV_PARTITION_ID_SELF, next, &next)) != HV_STATUS_SUCCESS || !next)
			break;
	snap(&a);
	judge("part.table_full", made == RAUM_MAX_CHILD_PARTITIONS && st(rax) == HV_STATUS_NO_RESOURCES && listed == made,
	      &a, L"%ld created, the next: RAX %lx (want status 1d), %ld listed", made, rax, listed);
	UINT64 deleted = 0;
	for (UINT64 i = 0; i < made; i++)
		deleted += st(pcall(HVCALL_DELETE_PARTITION, ids[i], 0, NULL)) == HV_STATUS_SUCCESS;
	got = withdraw_all(HV_PARTITION_ID_SELF, &nz);
	ok = balance(HV_PARTITION_ID_SELF, &b, &brax);
	snap(&a);
	judge("part.all_returned", deleted == made && got == 2 + 4 + 64 && nz == 0 && ok && b.pages_available == 0 &&
	      b.pages_in_use == 0, &a, L"%ld deleted, %ld pages withdrawn (want 70), %ld non-zero words, pool %ld/%ld",
	      deleted, got, nz, b.pages_available, b.pages_in_use);
	hostile_vps(&pfn[144]);
	uefi_call_wrapper(BS->FreePages, 2, pool, 160);
}
