// SPDX-License-Identifier: MIT
/*
 * The hostile-root fuzzer: a GNU-EFI application started as the root OS
 * under Raum that throws seeded random input at every path the root can
 * reach: hypercalls, MSR reads and writes, and writes of CR0, CR4, XCR0 and
 * EFER. After each batch it asks Raum (GetHealth) whether its canary page is
 * intact and reads the new part of Raum's log (LogRead): no line may speak of
 * a fault, a panic or an exception. A Raum crash or hang ends the run (the
 * boot case sees RAUM PANIC or its timeout).
 *
 * Options (raum.cfg root_options): iter=N (default 20000), seed=0xS (default
 * from RDTSC), batch=N (iterations between checks, default 1000),
 * rules=1 (also architectural-rule values: CR0.PG cleared in long mode,
 * EFER.LME toggled with paging on, CR4.PAE cleared, CR4.LA57 toggled; each
 * must raise #GP as on hardware). The seed is printed first:
 *
 *   RAUM-FUZZ seed 0x... iter N batch N rules 0|1
 *
 * and the same seed and iteration count replay the same run (every random
 * choice comes from one xorshift64* stream; Raum's answers do not feed it).
 * A failure names its iteration and its input.
 *
 * What it never does, so that the root survives its own attacks:
 *   - hypercall blocks (and, for fast calls, RDX / R8) only ever point at the
 *     fuzzer's two scratch pages, at addresses that are not RAM (beyond the
 *     GPA limit, at 4 GiB when that is not RAM, the xAPIC page, the VGA
 *     hole, 2^64 - 8) or into Raum's region (around GetHealth's canary_phys);
 *     never at other root memory;
 *   - an MSR is written with a random value only after a write of its own
 *     value (or of 0 when it cannot be read) was refused by Raum's policy
 *     (msr_denied +1 naming it, judged by GetHealth); an MSR the policy lets
 *     through is only written back with the value just read; the TSC, its
 *     deadline and adjust, and the x2APIC range are never written;
 *   - CR0 / CR4 / EFER / XCR0 get the current value with one reserved or
 *     unsupported bit flipped (or, for XCR0, values that XSETBV checks), and
 *     the same guarded function writes the old value back at once should the
 *     write succeed; the bits that would pull the floor away (PG, PE, NXE,
 *     LME, PAE ...) only with rules=1, where hardware must refuse them.
 */
#include "lib.h"

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab);

static UINT64 rng_state;
static UINT64 iter_total = 20000, batch = 1000, seed;
static BOOLEAN rules;
static UINT64 cur_iter;

static UINT64 rnd(void)
{
	UINT64 x = rng_state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static UINT64 below(UINT64 n) { return n ? rnd() % n : 0; }
static BOOLEAN chance(unsigned pct) { return below(100) < pct; }

static UINT64 rdtsc(void)
{
	UINT32 lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (UINT64)hi << 32 | lo;
}

/* A random 64-bit value with a bias towards edges. */
static UINT64 rnd_value(void)
{
	switch (below(8)) {
	case 0: return 0;
	case 1: return ALL_ONES;
	case 2: return 1ULL << below(64);
	case 3: return below(0x10000);
	case 4: return rnd() & 0xffffffffULL;
	default: return rnd();
	}
}

/* The seed in lower case, 16 digits, as make fuzz and the boot cases write it (Print's %x is upper case). */
static CHAR16 hex_seed[17];
static void seed_hex(void)
{
	for (int i = 0; i < 16; i++)
		hex_seed[i] = L"0123456789abcdef"[(seed >> (60 - 4 * i)) & 15];
	hex_seed[16] = 0;
}

/* ---- options ------------------------------------------------------------------- */

static BOOLEAN parse_num(const CHAR16 *s, UINTN n, UINT64 *out)
{
	UINT64 v = 0;
	unsigned base = 10;
	UINTN i = 0;

	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (i == n)
		return FALSE;
	for (; i < n; i++) {
		CHAR16 c = s[i];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (base == 16 && c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return FALSE;
		v = v * base + d;
	}
	*out = v;
	return TRUE;
}

static BOOLEAN key_is(const CHAR16 *s, UINTN n, const char *k)
{
	UINTN i = 0;
	while (k[i] && i < n && s[i] == (CHAR16)k[i])
		i++;
	return !k[i] && i < n && s[i] == '=';
}

static void parse_options(EFI_HANDLE image)
{
	EFI_LOADED_IMAGE *li;
	BOOLEAN have_seed = FALSE;

	seed = rdtsc() * 0x9e3779b97f4a7c15ULL;
	if (!EFI_ERROR(uefi_call_wrapper(BS->HandleProtocol, 3, image, &LoadedImageProtocol, (void **)&li)) &&
	    li->LoadOptionsSize && li->LoadOptions) {
		const CHAR16 *o = li->LoadOptions;
		UINTN len = li->LoadOptionsSize / sizeof(CHAR16), i = 0;
		while (i < len && o[i]) {
			while (i < len && o[i] == ' ')
				i++;
			UINTN st = i;
			while (i < len && o[i] && o[i] != ' ')
				i++;
			const CHAR16 *w = o + st;
			UINTN n = i - st;
			UINT64 v;
			if (key_is(w, n, "iter") && parse_num(w + 5, n - 5, &v))
				iter_total = v;
			else if (key_is(w, n, "seed") && parse_num(w + 5, n - 5, &v))
				seed = v, have_seed = TRUE;
			else if (key_is(w, n, "batch") && parse_num(w + 6, n - 6, &v) && v)
				batch = v;
			else if (key_is(w, n, "rules") && parse_num(w + 6, n - 6, &v))
				rules = v != 0;
			else if (n)
				Print(L"RAUM-FUZZ ignoring an option it does not know (iter= seed= batch= rules=)\n");
		}
	}
	if (!have_seed)
		Print(L"RAUM-FUZZ no seed= given: one from RDTSC\n");
	rng_state = seed ? seed : 0x5eedULL; /* xorshift must not start at 0 */
}

/* ---- targets ---------------------------------------------------------------------- */

static UINT64 scratch;       /* two pages of the fuzzer's own: blocks aimed here may be written */
static UINT64 canary_phys;   /* a page in Raum's region (GetHealth) */
static UINT64 gpa_limit;     /* 2^MAXPHYADDR */
static UINT64 ram_end;       /* the end of the highest RAM range in the firmware's memory map */
static UINT64 badaddr[16];       /* addresses that are not RAM (checked against the memory map) */
static unsigned n_bad;

static BOOLEAN is_ram_type(UINT32 t)
{
	return t == EfiLoaderCode || t == EfiLoaderData || t == EfiBootServicesCode || t == EfiBootServicesData ||
	       t == EfiRuntimeServicesCode || t == EfiRuntimeServicesData || t == EfiConventionalMemory ||
	       t == EfiACPIReclaimMemory || t == EfiACPIMemoryNVS || t == 14 /* EfiPersistentMemory */;
}

/* TRUE when [a, a + PAGE) touches no RAM of the firmware's memory map (or the map is unknown: FALSE). */
static BOOLEAN not_ram(UINT64 a)
{
	UINTN size = 0, key, dsize;
	UINT32 dver;
	EFI_MEMORY_DESCRIPTOR *map = NULL;
	BOOLEAN ok = TRUE;

	map = LibMemoryMap(&size, &key, &dsize, &dver);
	if (!map)
		return FALSE;
	for (UINT8 *p = (UINT8 *)map; p < (UINT8 *)map + size * dsize; p += dsize) { /* size: entries */
		EFI_MEMORY_DESCRIPTOR *d = (void *)p;
		UINT64 s = d->PhysicalStart, e = s + d->NumberOfPages * PAGE;
		if (is_ram_type(d->Type)) {
			if (e > ram_end)
				ram_end = e;
			if (a < e && a + PAGE > s)
				ok = FALSE;
		}
	}
	FreePool(map);
	return ok;
}

static void add_bad(UINT64 a)
{
	if (n_bad < ARRAY_LEN(badaddr) && (a >= gpa_limit || not_ram(a & ~(PAGE - 1))))
		badaddr[n_bad++] = a;
}

static BOOLEAN setup_targets(void)
{
	UINT32 r[4], phys_bits = 36;
	struct raum_health h;
	UINT64 rax = ALL_ONES;

	cpuid(0x80000000, 0, r);
	if (r[0] >= 0x80000008) {
		cpuid(0x80000008, 0, r);
		phys_bits = r[0] & 0xff;
	}
	gpa_limit = 1ULL << phys_bits;
	scratch = alloc_pages(2);
	if (!scratch || !get_health(&h, &rax) || !h.canary_phys) {
		fail("fuzz.setup", L"scratch %lx, GetHealth RAX %lx", scratch, rax);
		return FALSE;
	}
	canary_phys = h.canary_phys;
	add_bad(gpa_limit);
	add_bad(gpa_limit - 64);
	add_bad(gpa_limit - 8);
	add_bad(gpa_limit + PAGE);
	add_bad(0xfee00000ULL); /* the xAPIC page */
	add_bad(0xfee00020ULL);
	add_bad(0xa0000ULL);    /* the VGA hole */
	add_bad(0xb8000ULL);
	add_bad(0x100000000ULL); /* 4 GiB: kept only when it is not RAM */
	add_bad(ALL_ONES - 7);
	add_bad(ALL_ONES & ~(PAGE - 1));
	add_bad(1ULL << 63);
	Print(L"RAUM-FUZZ targets: scratch %lx (2 pages), canary %lx, GPA limit %lx, RAM ends at %lx, %d not-RAM "
	      L"addresses\n", scratch, canary_phys, gpa_limit, ram_end, n_bad);
	return TRUE;
}

enum where { AT_SCRATCH, AT_BAD, AT_RAUM };

/* An address for a hypercall block (or a fast call's register): never root memory beyond the scratch pages. */
static UINT64 rnd_gpa(enum where *w)
{
	UINT64 off;

	switch (below(10)) {
	case 0: case 1: case 2: case 3: case 4:
		*w = AT_SCRATCH;
		switch (below(4)) {
		case 0: off = 0; break;
		case 1: off = below(PAGE / 8) * 8; break;
		case 2: off = PAGE - 8 * (1 + below(64)); break; /* blocks that cross into the second page */
		default: off = below(PAGE); break; /* misaligned */
		}
		return scratch + off;
	case 5: case 6: case 7:
		*w = AT_BAD;
		if (chance(30))
			return gpa_limit + (rnd() & ((1ULL << 40) - 1)) * 8; /* far beyond the limit */
		off = badaddr[below(n_bad)];
		return off + (off > ALL_ONES - 512 || chance(70) ? 0 : below(64) * 8); /* no wrap to address 0 */
	default: /* the canary page only: where Raum's region begins and ends is not the root's to know */
		*w = AT_RAUM;
		return canary_phys + (chance(50) ? 0 : chance(50) ? PAGE - 8 : below(PAGE));
	}
}

/* ---- hypercalls --------------------------------------------------------------------- */

static const UINT16 tlfs_codes[] = { 0x0002, 0x0003, 0x0008, 0x0013, 0x0014, 0x0040, 0x0041, 0x0042, 0x0043,
				     0x0044, 0x004a, 0x004e, 0x004f, 0x0050, 0x0051, 0x005c, 0x005d, 0x005e,
				     0x0060, 0x0076, 0x0079, 0x007c, 0x0082, 0x0099, 0x00af, 0x8001, 0x8002, 0x8003 };

/* Raum's calls: input and output block sizes (include/hv/abi/hvcall.h). */
static const struct {
	UINT16 code;
	UINT32 in, out;
	BOOLEAN fast;
} raum_calls[] = {
	{ RAUM_CALL_GET_VERSION, 0, sizeof(struct raum_version), FALSE },
	{ RAUM_CALL_GET_EXIT_STATS, sizeof(struct raum_stats_in), sizeof(struct raum_exit_stats), FALSE },
	{ RAUM_CALL_LOG_WRITE, sizeof(struct raum_log_write), 0, FALSE },
	{ RAUM_CALL_LOG_READ, sizeof(struct raum_log_read_in), sizeof(struct raum_log_read_out), FALSE },
	{ RAUM_CALL_NULL, 0, 0, TRUE },
	{ RAUM_CALL_GET_HEALTH, 0, sizeof(struct raum_health), FALSE },
	{ HVCALL_GET_MEMORY_BALANCE, sizeof(struct hv_get_memory_balance_in), sizeof(struct hv_memory_balance), FALSE },
	{ HVCALL_GET_NEXT_CHILD_PARTITION, sizeof(struct hv_get_next_child_in), sizeof(struct hv_get_next_child_out),
	  FALSE },
	{ HVCALL_GET_PARTITION_PROPERTY, sizeof(struct hv_get_partition_property_in),
	  sizeof(struct hv_get_partition_property_out), FALSE },
	{ HVCALL_SET_PARTITION_PROPERTY, sizeof(struct hv_set_partition_property_in), 0, FALSE },
};

static UINT64 hc_ok, hc_refused, hc_bad;

static void fill_scratch(void)
{
	UINT64 *p = (UINT64 *)scratch;
	for (unsigned i = 0; i < 2 * PAGE / 8; i++)
		p[i] = chance(50) ? rnd() : rnd() & 0x0000000f000000ffULL; /* small fields: valid-looking blocks */
}

static void fuzz_hypercall(void)
{
	UINT64 control, code, in, out, rax;
	enum where win, wout;
	long v;

	switch (below(10)) {
	case 0: case 1: case 2: case 3: code = 0x4000 + below(8); break; /* Raum's, and the codes either side */
	case 4: case 5: code = tlfs_codes[below(ARRAY_LEN(tlfs_codes))]; break;
	case 6: code = below(0x100); break;
	default: code = below(0x10000); break;
	}
	/*
	 * DepositMemory would hand the fuzzer's own pages (code, stack, the
	 * firmware's) to Raum: the root may do that to itself, and the fuzzer
	 * would stop. It is attacked with a deliberate suite
	 * (hostile-deposit.c); here it becomes GetMemoryBalance.
	 */
	if (code == HVCALL_DEPOSIT_MEMORY)
		code = HVCALL_GET_MEMORY_BALANCE;
	control = code;
	if (chance(30))
		control |= HV_HYPERCALL_FAST_BIT;
	if (chance(20))
		control |= rnd() & HV_HYPERCALL_VARHEAD_MASK;
	if (chance(20))
		control |= rnd() & HV_HYPERCALL_REP_COUNT_MASK;
	if (chance(15))
		control |= rnd() & HV_HYPERCALL_REP_START_MASK;
	if (chance(15))
		control |= rnd() & HV_HYPERCALL_RSVD_MASK;
	in = rnd_gpa(&win);
	out = rnd_gpa(&wout);
	if (chance(10))
		fill_scratch();

	rax = hvcall("fuzz", control, in, out, &v);
	if (v != NO_TRAP) {
		hc_bad++;
		fail("fuzz.hypercall", L"iteration %ld: control %lx in %lx out %lx: %a at rip %lx", cur_iter, control, in,
		     out, vec_name(v), trap_rip);
		return;
	}
	if ((rax & HV_HYPERCALL_RESULT_MASK) != HV_STATUS_SUCCESS) {
		hc_refused++;
		return;
	}
	hc_ok++;
	/* a success must be one of Raum's calls with its blocks in the fuzzer's own pages, 8-aligned, within a page */
	const CHAR16 *why = NULL;
	unsigned i;
	for (i = 0; i < ARRAY_LEN(raum_calls) && raum_calls[i].code != code; i++)
		;
	if (i == ARRAY_LEN(raum_calls))
		why = L"success for a code Raum does not implement";
	else if (control & HV_HYPERCALL_RSVD_MASK)
		why = L"success with reserved bits set";
	else if (!!(control & HV_HYPERCALL_FAST_BIT) != raum_calls[i].fast)
		why = L"success with the wrong fast flag";
	else if (raum_calls[i].in && (win != AT_SCRATCH || (in & 7) || (in & (PAGE - 1)) + raum_calls[i].in > PAGE))
		why = L"success with an input block that is not the caller's, aligned, within a page";
	else if (raum_calls[i].out &&
		 (wout != AT_SCRATCH || (out & 7) || (out & (PAGE - 1)) + raum_calls[i].out > PAGE))
		why = L"success with an output block that is not the caller's, aligned, within a page";
	else if (((rax >> HV_HYPERCALL_REP_COMP_SHIFT) & 0xfff) > ((control & HV_HYPERCALL_REP_COUNT_MASK) >> 32))
		why = L"more reps completed than asked for";
	if (why) {
		hc_bad++;
		fail("fuzz.hypercall", L"iteration %ld: control %lx in %lx out %lx: RAX %lx: %s", cur_iter, control, in,
		     out, rax, why);
	}
}

/* ---- MSRs ------------------------------------------------------------------------------ */

static const UINT32 known_msrs[] = {
	0x10, 0x17, 0x1b, 0x3a, 0x3b, 0x48, 0x49, 0x79, 0x8b, 0xc1, 0xce, 0xe7, 0xe8, 0xfe, 0x10a, 0x10b, 0x140,
	0x174, 0x175, 0x176, 0x179, 0x17a, 0x17b, 0x186, 0x198, 0x199, 0x1a0, 0x1d9, 0x200, 0x201, 0x20f, 0x250,
	0x258, 0x268, 0x277, 0x2ff, 0x345, 0x38d, 0x38f, 0x3f1, 0x400, 0x401, 0x402, 0x480, 0x481, 0x48c, 0x491,
	0x492, 0x493, 0x4c1, 0x560, 0x561, 0x570, 0x600, 0x6a0, 0x6e0, 0x802, 0x80b, 0x830, 0x981, 0xd90, 0xda0,
	0x1200, 0x1600, 0x1b01, 0x40000000, 0x40000001, 0x40001234, 0x4b564d00, 0xc0000080, 0xc0000081,
	0xc0000082, 0xc0000100, 0xc0000101, 0xc0000102, 0xc0000103, 0xc0000104, 0xc0000300, 0xc0000410,
	0xc0002000, 0xc0010000, 0xc0010004, 0xc0010010, 0xc0010015, 0xc0010016, 0xc0010017, 0xc0010018,
	0xc0010019, 0xc001001a, 0xc001001d, 0xc001001f, 0xc0010020, 0xc0010055, 0xc0010058, 0xc0010061,
	0xc0010064, 0xc0010111, 0xc0010112, 0xc0010113, 0xc0010114, 0xc0010115, 0xc0010117, 0xc0010118,
	0xc0010119, 0xc001011e, 0xc0010130, 0xc0010131, 0xc0010140, 0xc0010200, 0xc0010299, 0xc0011000,
	0xc0011004, 0xc0011005, 0xc0011020, 0xc0011029, 0xc0011030, 0xc00110dd, 0xc00110e2, 0xffffffff,
};

/* Never written, not even with their own value: time and the local APIC of the root itself. */
static BOOLEAN never_write(UINT32 m)
{
	return m == 0x10 || m == 0x3b || m == 0x6e0 || (m >= 0x800 && m <= 0x8ff);
}

/* What a write of an MSR's own value got: learnt once per MSR, two bits each. */
enum wstate { W_UNKNOWN, W_DENIED, W_ALLOWED, W_OTHER };
#define RANGE_MSRS 0x2000
static UINT8 wcache[3 * RANGE_MSRS / 4];
static UINT8 wcache_known[(ARRAY_LEN(known_msrs) + 3) / 4];

static UINT8 *wslot(UINT32 m, unsigned *shift)
{
	UINT32 base[3] = { 0, 0xc0000000, 0xc0010000 };
	for (unsigned r = 0; r < 3; r++)
		if (m >= base[r] && m < base[r] + RANGE_MSRS) {
			UINT32 i = r * RANGE_MSRS + (m - base[r]);
			*shift = (i % 4) * 2;
			return &wcache[i / 4];
		}
	for (unsigned i = 0; i < ARRAY_LEN(known_msrs); i++)
		if (known_msrs[i] == m) {
			*shift = (i % 4) * 2;
			return &wcache_known[i / 4];
		}
	return NULL;
}

static UINT64 msr_reads, msr_read_gp, msr_probes, msr_denied_seen, msr_rand_writes;

static UINT32 rnd_msr(void)
{
	switch (below(10)) {
	case 0: case 1: case 2: return known_msrs[below(ARRAY_LEN(known_msrs))];
	case 3: case 4: case 5: return (UINT32)below(RANGE_MSRS);
	case 6: case 7: return 0xc0000000 + (UINT32)below(RANGE_MSRS);
	default: return 0xc0010000 + (UINT32)below(RANGE_MSRS);
	}
}

static void fuzz_msr(void)
{
	struct msr_op op = { rnd_msr(), 0 };
	long v = guarded(do_rdmsr, &op);
	BOOLEAN readable = v == NO_TRAP;
	UINT64 orig = op.val;
	unsigned sh;
	UINT8 *slot;

	msr_reads++;
	if (v != NO_TRAP && v != 13) {
		fail("fuzz.msr", L"iteration %ld: RDMSR %x: %a at rip %lx", cur_iter, op.msr, vec_name(v), trap_rip);
		return;
	}
	msr_read_gp += !readable;
	if (chance(50) || never_write(op.msr) || !(slot = wslot(op.msr, &sh)))
		return;

	enum wstate ws = (*slot >> sh) & 3;
	if (ws == W_UNKNOWN) {
		/* the probe: the MSR's own value (0 when it cannot be read); Raum's counters say who refused */
		struct raum_health a, b;
		UINT64 rax;
		struct msr_op w = { op.msr, readable ? orig : 0 };
		if (!get_health(&a, &rax))
			return;
		v = guarded(do_wrmsr, &w);
		if (!get_health(&b, &rax))
			return;
		msr_probes++;
		if (v == 13 && b.msr_denied == a.msr_denied + 1 && b.last_denied_msr == op.msr && b.last_denied_write == 1)
			ws = W_DENIED;
		else if (v == NO_TRAP)
			ws = W_ALLOWED;
		else
			ws = W_OTHER; /* the emulator's own #GP: no random values there */
		if (v != NO_TRAP && v != 13)
			fail("fuzz.msr", L"iteration %ld: WRMSR %x (own value): %a", cur_iter, op.msr, vec_name(v));
		*slot = (UINT8)((*slot & ~(3 << sh)) | ws << sh);
		msr_denied_seen += ws == W_DENIED;
		return;
	}
	if (ws == W_ALLOWED && readable) {
		struct msr_op w = { op.msr, orig }; /* read-modify-write with no modification */
		v = guarded(do_wrmsr, &w);
		if (v != NO_TRAP && v != 13)
			fail("fuzz.msr", L"iteration %ld: WRMSR %x (own value): %a", cur_iter, op.msr, vec_name(v));
		return;
	}
	if (ws != W_DENIED)
		return;
	struct msr_op w = { op.msr, rnd_value() };
	v = guarded(do_wrmsr, &w);
	msr_rand_writes++;
	if (v == 13)
		return;
	if (v != NO_TRAP) {
		fail("fuzz.msr", L"iteration %ld: WRMSR %x value %lx: %a", cur_iter, op.msr, w.val, vec_name(v));
		return;
	}
	/* taken where the same MSR's own value was refused (a value-checked MSR such as UCODE_REV's 0):
	 * put the old value back where there is one, and say so once */
	static unsigned told;
	if (told++ < 4)
		Print(L"RAUM-CHECK INFO iteration %ld: WRMSR %x value %lx taken, its own value %lx was refused\n",
		      cur_iter, op.msr, w.val, orig);
	if (readable) {
		struct msr_op r = { op.msr, 0 };
		if (guarded(do_rdmsr, &r) == NO_TRAP && r.val != orig) {
			r.val = orig;
			guarded(do_wrmsr, &r);
		}
	}
}

/* ---- control registers, XCR0, EFER ------------------------------------------------------ */


struct reg_op {
	unsigned kind; /* 0 CR0, 1 CR4, 2 XCR0, 3 EFER */
	UINT64 old, val;
};

static UINT64 read_cr0(void)
{
	UINT64 v;
	__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}

/* Writes val, then old back at once: a value that should have faulted and did not is undone before anything runs. */
static void do_reg(void *a)
{
	struct reg_op *o = a;

	switch (o->kind) {
	case 0:
		__asm__ volatile("mov %0, %%cr0; mov %1, %%cr0" ::"r"(o->val), "r"(o->old) : "memory");
		break;
	case 1:
		__asm__ volatile("mov %0, %%cr4; mov %1, %%cr4" ::"r"(o->val), "r"(o->old) : "memory");
		break;
	case 2:
		__asm__ volatile("xsetbv" ::"c"(0), "a"((UINT32)o->val), "d"((UINT32)(o->val >> 32)) : "memory");
		__asm__ volatile("xsetbv" ::"c"(0), "a"((UINT32)o->old), "d"((UINT32)(o->old >> 32)) : "memory");
		break;
	default:
		wrmsr(MSR_EFER, o->val);
		wrmsr(MSR_EFER, o->old);
		break;
	}
}

static UINT64 xcr0_supported;
static UINT64 reg_ops, reg_gp, reg_taken, cr0_quirk;

static UINT64 read_reg(unsigned kind)
{
	switch (kind) {
	case 0: return read_cr0();
	case 1: return read_cr4();
	case 2: return xgetbv(0);
	default: return rdmsr(MSR_EFER);
	}
}

static void fuzz_reg(void)
{
	static const char *const names[] = { "CR0", "CR4", "XCR0", "EFER" };
	/* bits whose flip cannot pull the floor away: reserved, or (XCR0) checked by XSETBV */
	static const UINT8 cr4_bits[] = { 13, 15, 26, 29, 30, 31 };
	/* EFER: the first nine are reserved everywhere (and SVME, hidden); the rest are must-be-zero on this
	 * CPU or not (LMSLE, MCOMMIT, ...): Raum checks them against this CPU (kernel/crrules.c) */
	static const UINT8 efer_bits[] = { 1, 2, 3, 4, 5, 6, 7, 9, 12, 13, 16, 17, 19, 22, 23, 30, 31 };
	unsigned n_efer_bits = ARRAY_LEN(efer_bits);
	struct reg_op o;
	BOOLEAN must_gp = FALSE; /* bits 63:32 of CR0 / CR4 / EFER are reserved everywhere; XCR0 with x87 clear */
	UINT64 cr4_saved = read_cr4();
	BOOLEAN os_xsave = FALSE;

	o.kind = (unsigned)below(4);
	if (o.kind == 2 && !xcr0_supported)
		o.kind = 3;
	if (o.kind == 2 && !(cr4_saved & CR4_OSXSAVE)) {
		write_cr4(cr4_saved | CR4_OSXSAVE); /* as hostile-xsetbv.c: XSETBV needs it; put back below */
		os_xsave = TRUE;
	}
	o.old = read_reg(o.kind);
	switch (o.kind) {
	case 0:
		if (rules && chance(20)) {
			o.val = o.old & ~CR0_PG; /* in 64-bit mode: #GP (SDM vol. 3A 2.5; MOV to CR0) */
			must_gp = TRUE;
		} else if (chance(50)) {
			o.val = o.old ^ (1ULL << (32 + below(32)));
			must_gp = TRUE;
		} else {
			o.val = o.old | (1ULL << 29) | (chance(50) ? 0 : (1ULL << (6 + below(10)))); /* NW */
			if (o.old & (1ULL << 30))
				o.val = o.old; /* NW with CD is legal: nothing to try */
			else
				must_gp = TRUE; /* NW without CD: #GP */
		}
		break;
	case 1:
		if (vendor == VENDOR_AMD && !rules) {
			/* QEMU (7.2 TCG) answers MOV to CR4 with a reserved bit in an SVM guest with VMEXIT_INVALID,
			 * not #GP, and Raum, which does not intercept CR4 writes on SVM, stops: rules=1 only */
			o.val = o.old;
		} else if (rules && chance(20)) {
			o.val = chance(50) ? o.old & ~CR4_PAE : o.old ^ CR4_LA57; /* in IA-32e mode: #GP */
			must_gp = TRUE;
		} else if (chance(50)) {
			o.val = o.old ^ (1ULL << (32 + below(32)));
			must_gp = TRUE;
		} else {
			o.val = o.old | (1ULL << cr4_bits[below(ARRAY_LEN(cr4_bits))]);
			must_gp = o.val != o.old;
		}
		break;
	case 2:
		switch (below(4)) {
		case 0: o.val = rnd(); break;
		case 1: o.val = o.old ^ (1ULL << below(20)); break;
		case 2: o.val = o.old & ~1ULL; break;
		default: o.val = rnd() & 0x3ff; break;
		}
		/* x87 clear, or a bit CPUID 0xD.0 does not report: #GP whatever else (SDM vol. 1 13.3) */
		must_gp = !(o.val & 1) || (o.val & ~xcr0_supported);
		break;
	default:
		if (rules && chance(20)) {
			o.val = o.old ^ EFER_LME; /* with paging on: #GP (APM vol. 2 3.1.7, SDM vol. 3A 9.8.5) */
			must_gp = TRUE;
		} else if (chance(40)) {
			o.val = o.old ^ (1ULL << (32 + below(32)));
			must_gp = TRUE;
		} else {
			o.val = o.old ^ (1ULL << efer_bits[below(n_efer_bits)]);
		}
		break;
	}
	long v = guarded(do_reg, &o);
	UINT64 now = read_reg(o.kind);

	reg_ops++;
	reg_gp += v == 13;
	reg_taken += v == NO_TRAP;
	if (now != o.old) {
		fail("fuzz.reg", L"iteration %ld: %a %lx -> %lx left it at %lx (%a)", cur_iter, names[o.kind], o.old, o.val,
		     now, vec_name(v));
		struct reg_op r = { o.kind, o.old, o.old };
		guarded(do_reg, &r);
	} else if (v != NO_TRAP && v != 13) {
		fail("fuzz.reg", L"iteration %ld: %a %lx -> %lx: %a at rip %lx", cur_iter, names[o.kind], o.old, o.val,
		     vec_name(v), trap_rip);
	} else if (must_gp && v != 13 && o.val != o.old && vendor == VENDOR_AMD && o.kind == 0) {
		/* QEMU's SVM guest mode takes CR0 bits 63:32 and NW without CD (ignored, undone at once); Raum does
		 * not intercept CR0 writes on SVM, so this is the emulator's answer, not Raum's: counted, not judged */
		cr0_quirk++;
	} else if (must_gp && v != 13 && o.val != o.old) {
		fail("fuzz.reg", L"iteration %ld: %a %lx -> %lx was taken; hardware raises #GP", cur_iter, names[o.kind],
		     o.old, o.val);
	}
	if (os_xsave)
		write_cr4(cr4_saved);
}

/* ---- the checks after each batch ----------------------------------------------------------- */

static UINT64 log_seq, log_lost, log_lines;
static UINT64 log_pages;

/* Reads Raum's log from where the last check stopped; FALSE when a LogRead failed. bad counts fault lines. */
static BOOLEAN log_scan(UINT64 *bad, char *first, UINTN first_len)
{
	static const char *const words[] = { "fault", "Fault", "PANIC", "exception", "Exception" };
	static char line[512];
	static UINTN n;
	struct raum_log_read_in *q = (void *)log_pages;
	struct raum_log_read_out *r = (void *)(log_pages + PAGE);
	UINT64 rax;
	long v;

	for (int i = 0; i < 64; i++) {
		ZeroMem(q, sizeof(*q));
		q->seq = log_seq;
		q->max = RAUM_LOG_READ_MAX;
		rax = hvcall("log_read", RAUM_CALL_LOG_READ, log_pages, log_pages + PAGE, &v);
		if (v != NO_TRAP || (rax & 0xffff) != HV_STATUS_SUCCESS || r->len > RAUM_LOG_READ_MAX)
			return FALSE;
		log_lost += r->lost;
		if (r->len == 0)
			return TRUE;
		for (UINT32 k = 0; k < r->len; k++) {
			char ch = r->data[k];
			if (ch != '\n') {
				if (n < sizeof(line))
					line[n++] = ch;
				continue;
			}
			log_lines++;
			/* the fuzzer's own LogWrite text ("root vpN: ...") is random: not Raum's word */
			if (!contains(line, n, "root vp")) {
				for (unsigned w = 0; w < ARRAY_LEN(words); w++) {
					if (!contains(line, n, words[w]))
						continue;
					if (!(*bad)++) {
						UINTN m = n < first_len - 1 ? n : first_len - 1;
						CopyMem(first, line, m);
						first[m] = 0;
					}
					break;
				}
			}
			n = 0;
		}
		log_seq = r->next_seq;
	}
	return TRUE;
}

static void check_batch(UINT64 from, UINT64 to)
{
	static char name[48];
	struct raum_health h;
	UINT64 rax, bad = 0, lost0 = log_lost;
	char first[120] = "";
	UINTN k = 0;
	const char *p = "fuzz.batch.";

	BOOLEAN hok = get_health(&h, &rax);
	BOOLEAN lok = log_scan(&bad, first, sizeof(first));

	while (*p)
		name[k++] = *p++;
	UINT64 x = to, d = 1;
	while (x / d >= 10)
		d *= 10;
	for (; d; d /= 10)
		name[k++] = (char)('0' + (x / d) % 10);
	name[k] = 0;
	if (!hok)
		fail(name, L"iterations %ld-%ld: GetHealth failed: RAX %lx (seed 0x%s)", from, to - 1, rax, hex_seed);
	else if (h.canary_ok != 1)
		fail(name, L"iterations %ld-%ld: Raum's canary at %lx damaged (seed 0x%s)", from, to - 1, h.canary_phys,
		     hex_seed);
	else if (!lok)
		fail(name, L"iterations %ld-%ld: LogRead failed (seed 0x%s)", from, to - 1, hex_seed);
	else if (bad)
		fail(name, L"iterations %ld-%ld: %ld log lines with fault/PANIC/exception, first: '%a' (seed 0x%s)", from,
		     to - 1, bad, first, hex_seed);
	else
		pass(name);
	if (log_lost != lost0)
		Print(L"RAUM-CHECK INFO %ld log bytes were overwritten before this check read them\n", log_lost - lost0);
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	char vname[13];
	UINT32 r[4];
	UINT64 t0, t1, from = 0;

	InitializeLib(image, systab);
	parse_options(image);
	vendor = detect_vendor(vname);
	Print(L"RAUM-CHECK START hostile-root fuzzer (Raum %d.%d.%d) on %a: hypercalls by %a\n", RAUM_VERSION_MAJOR,
	      RAUM_VERSION_MINOR, RAUM_VERSION_PATCH, vname, vendor == VENDOR_INTEL ? "VMCALL" : "VMMCALL");
	seed_hex();
	Print(L"RAUM-FUZZ seed 0x%s iter %ld batch %ld rules %d\n", hex_seed, iter_total, batch, rules ? 1 : 0);
	if (!suite_setup(vname) || !setup_targets())
		goto done;
	log_pages = alloc_pages(2);
	if (!log_pages) {
		fail("fuzz.setup", L"AllocatePages failed");
		goto done;
	}
	cpuid(1, 0, r);
	if (r[2] & (1U << 26)) { /* XSAVE */
		cpuid(0xd, 0, r);
		xcr0_supported = (UINT64)r[3] << 32 | r[0];
	}
	{ /* start the log check at the end of what Raum logged so far: the boot is not the fuzzer's to judge */
		UINT64 bad = 0;
		char first[8];
		log_scan(&bad, first, sizeof(first));
	}

	t0 = rdtsc();
	for (cur_iter = 0; cur_iter < iter_total; cur_iter++) {
		switch (below(10)) {
		case 0: case 1: case 2: case 3: case 4: fuzz_hypercall(); break;
		case 5: case 6: case 7: fuzz_msr(); break;
		default: fuzz_reg(); break;
		}
		if ((cur_iter + 1) % batch == 0 || cur_iter + 1 == iter_total) {
			check_batch(from, cur_iter + 1);
			from = cur_iter + 1;
		}
	}
	t1 = rdtsc();
	Print(L"RAUM-FUZZ done: %ld iterations, seed 0x%s, %ld TSC ticks; hypercalls %ld ok, %ld refused, %ld wrong; "
	      L"MSR reads %ld (%ld #GP), write probes %ld (%ld refused by Raum), random writes %ld; register writes %ld "
	      L"(%ld #GP, %ld taken and undone, %ld of them CR0 values the emulator takes); log %ld lines read\n",
	      iter_total, hex_seed, t1 - t0, hc_ok, hc_refused, hc_bad, msr_reads, msr_read_gp, msr_probes, msr_denied_seen,
	      msr_rand_writes, reg_ops, reg_gp, reg_taken, cr0_quirk, log_lines);

done:
	return suite_finish();
}
