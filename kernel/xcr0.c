// SPDX-License-Identifier: MIT
/* The XCR0 rules of XSETBV: see include/raum/xcr0.h. */
#include <raum/xcr0.h>

bool xcr0_valid(u32 index, u64 value, u64 supported)
{
	/* SDM vol. 2B XSETBV: only XCR0 (ECX = 0) is writable; XCR1 (XINUSE) is read-only */
	if (index != 0)
		return false;
	/* 13.3: x87 state is always enabled; writing XCR0[0] = 0 raises #GP */
	if (!(value & XCR0_X87))
		return false;
	/* vol. 2B XSETBV: a bit the processor does not support is reserved */
	if (value & ~supported)
		return false;
	/* 13.3: XCR0[2:1] = 10b (AVX without SSE) raises #GP */
	if ((value & XCR0_AVX) && !(value & XCR0_SSE))
		return false;
	/* 13.3: XCR0[3] (BNDREGS) and XCR0[4] (BNDCSR) are set together or not at all */
	if ((value & XCR0_MPX) && (value & XCR0_MPX) != XCR0_MPX)
		return false;
	/* 13.3: XCR0[7:5] (opmask, ZMM_Hi256, Hi16_ZMM) are 000b or 111b, and 111b needs XCR0[2] (AVX) */
	if ((value & XCR0_AVX512) && ((value & XCR0_AVX512) != XCR0_AVX512 || !(value & XCR0_AVX)))
		return false;
	/* 13.3: XCR0[17] (XTILECFG) and XCR0[18] (XTILEDATA) are set together or not at all; AMX needs
	 * no other component (not AVX, not AVX-512) */
	if ((value & XCR0_AMX) && (value & XCR0_AMX) != XCR0_AMX)
		return false;
	return true;
}
