// SPDX-License-Identifier: MIT
/*
 * The hostile-root suite: XSETBV with values the hardware refuses. Each must
 * raise #GP and leave XCR0 as it was, and Raum's fixups counter must not move:
 * Raum's own validation refused the value, not a #GP taken inside Raum while
 * running XSETBV for the root. A legal full value then succeeds, and the
 * original XCR0 (and CR4.OSXSAVE) is put back.
 */
#include "hostile.h"

#define XCR0_X87 (1ULL << 0)
#define XCR0_SSE (1ULL << 1)
#define XCR0_AVX (1ULL << 2)
#define XCR0_BNDREGS (1ULL << 3)
#define XCR0_BNDCSR (1ULL << 4)
#define XCR0_AVX512 (7ULL << 5) /* opmask, ZMM_Hi256, Hi16_ZMM */
#define XCR0_XTILECFG (1ULL << 17)
#define XCR0_XTILEDATA (1ULL << 18)

static UINT64 xcr0_orig;

static void put_back(void)
{
	struct xcr_op op = { 0, xcr0_orig };
	guarded(do_xsetbv, &op);
}

static void refused(const char *name, UINT32 idx, UINT64 val)
{
	struct snap b, a;
	struct xcr_op op = { idx, val };
	UINT64 f = irq_save();

	snap(&b);
	long v = guarded(do_xsetbv, &op);
	UINT64 after = xgetbv(0);
	snap(&a);
	if (v == NO_TRAP)
		put_back();
	irq_restore(f);
	judge(name, v == 13 && after == xcr0_orig && b.ok && a.h.fixups == b.h.fixups, &a,
	      L"XSETBV ECX=%d %lx: %a (expected #GP); XCR0 %lx after (was %lx); fixups +%ld (expected +0)", idx, val,
	      vec_name(v), after, xcr0_orig, a.h.fixups - b.h.fixups);
}

void hostile_xsetbv(void)
{
	UINT32 r[4];
	UINT64 cr4 = read_cr4();
	BOOLEAN had = (cr4 & CR4_OSXSAVE) != 0;

	cpuid(1, 0, r);
	if (!(r[2] & (1U << 26))) {
		Print(L"RAUM-CHECK INFO no XSAVE (CPUID.1:ECX %08x): XSETBV not checked\n", r[2]);
		return;
	}
	cpuid(0xd, 0, r);
	UINT64 supported = (UINT64)r[3] << 32 | r[0];
	if (!had)
		write_cr4(cr4 | CR4_OSXSAVE);
	xcr0_orig = xgetbv(0);
	Print(L"RAUM-CHECK INFO XCR0 %lx, supported %lx, CR4.OSXSAVE %a\n", xcr0_orig, supported,
	      had ? "was set" : "set by the suite");

	refused("xsetbv.ecx1_refused", 1, xcr0_orig);
	refused("xsetbv.x87_clear_refused", 0, xcr0_orig & ~XCR0_X87);
	if (supported & XCR0_AVX)
		refused("xsetbv.avx_without_sse_refused", 0, (xcr0_orig | XCR0_AVX) & ~XCR0_SSE);
	for (unsigned bit = 0; bit < 63; bit++) {
		if (!(supported & (1ULL << bit))) {
			refused("xsetbv.unsupported_bit_refused", 0, xcr0_orig | (1ULL << bit));
			break;
		}
	}
	if ((supported & (XCR0_BNDREGS | XCR0_BNDCSR)) == (XCR0_BNDREGS | XCR0_BNDCSR))
		refused("xsetbv.mpx_half_refused", 0, (xcr0_orig | XCR0_BNDREGS) & ~XCR0_BNDCSR);
	if ((supported & (XCR0_XTILECFG | XCR0_XTILEDATA)) == (XCR0_XTILECFG | XCR0_XTILEDATA))
		refused("xsetbv.amx_half_refused", 0, (xcr0_orig | XCR0_XTILECFG) & ~XCR0_XTILEDATA);
	if ((supported & XCR0_AVX512) == XCR0_AVX512) {
		refused("xsetbv.avx512_partial_refused", 0, 0x27);
		refused("xsetbv.avx512_without_avx_refused", 0, 0xe3);
	}

	/* the full legal set of x87, SSE, AVX and AVX-512 */
	UINT64 full = XCR0_X87 | XCR0_SSE;
	if (supported & XCR0_AVX) {
		full |= XCR0_AVX;
		if ((supported & XCR0_AVX512) == XCR0_AVX512)
			full |= XCR0_AVX512;
	}
	struct snap b, a;
	struct xcr_op op = { 0, full };
	UINT64 f = irq_save();
	snap(&b);
	long v = guarded(do_xsetbv, &op);
	UINT64 after = xgetbv(0);
	snap(&a);
	irq_restore(f);
	judge("xsetbv.full_legal_allowed", v == NO_TRAP && after == full && b.ok && a.h.fixups == b.h.fixups, &a,
	      L"XSETBV %lx: %a; XCR0 %lx after; fixups +%ld", full, vec_name(v), after, a.h.fixups - b.h.fixups);

	op = (struct xcr_op){ 0, xcr0_orig };
	f = irq_save();
	v = guarded(do_xsetbv, &op);
	after = xgetbv(0);
	snap(&a);
	irq_restore(f);
	judge("xsetbv.restored", v == NO_TRAP && after == xcr0_orig, &a, L"XSETBV %lx: %a; XCR0 %lx after",
	      xcr0_orig, vec_name(v), after);
	if (!had)
		write_cr4(cr4);
}
