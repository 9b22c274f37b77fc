// SPDX-License-Identifier: MIT
/*
 * Lengths of intercepted instructions with prefixes: see include/raum/insnlen.h.
 * The legacy prefixes (SDM vol. 2 2.1.1; APM vol. 3 1.2): operand size 66,
 * address size 67, segment overrides 26 2e 36 3e 64 65, LOCK f0, REP f2 f3;
 * REX 40-4f in 64-bit mode (2.2.1). CPUID, RDMSR, WRMSR, VMMCALL, INVD and
 * WBINVD define none of them, and the CPU ignores them (LOCK is #UD, raised
 * before any intercept, so it never reaches Raum; it is still counted here).
 */
#include <raum/insnlen.h>
#include <raum/errno.h>

/* SDM vol. 2 2.3.11, APM vol. 3 1.1: at most 15 bytes; longer is #GP / #UD, never an exit. */
#define X86_MAX_LEN 15

static bool legacy_prefix(u8 b)
{
	switch (b) {
	case 0x66: case 0x67:
	case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
	case 0xf0: case 0xf2: case 0xf3:
		return true;
	default:
		return false;
	}
}

int x86_insn_len_of(const u8 *b, size_t n, int mode, const u8 *op, size_t oplen)
{
	size_t pos = 0;

	if (!b || !op || !oplen || oplen > X86_MAX_LEN || (mode != 16 && mode != 32 && mode != 64))
		return -RAUM_EINVAL;
	for (;; pos++) {
		if (pos >= X86_MAX_LEN)
			return -RAUM_EINVAL;
		if (pos >= n)
			return -RAUM_ERANGE;
		if (!legacy_prefix(b[pos]) && !(mode == 64 && (b[pos] & 0xf0) == 0x40))
			break;
	}
	if (pos + oplen > X86_MAX_LEN)
		return -RAUM_EINVAL;
	for (size_t i = 0; i < oplen; i++) {
		if (pos + i >= n)
			return -RAUM_ERANGE;
		if (b[pos + i] != op[i])
			return -RAUM_EINVAL;
	}
	return (int)(pos + oplen);
}
