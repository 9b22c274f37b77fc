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
