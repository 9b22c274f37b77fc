// SPDX-License-Identifier: MIT
/*
 * Unassigned MMIO for raumctl run: see mmio.h. The decoder knows the MOV
 * forms compilers emit for device registers (SDM vol. 2B MOV, MOVZX):
 * 88 / 89 / 8A / 8B /r, C6 /0 ib, C7 /0 iw / id, 0F B6 / B7 /r, with the
 * legacy prefixes (operand and address size, segment overrides, LOCK,
 * REP) and REX; ModRM in 16-bit and 32 / 64-bit addressing (SIB,
 * displacements, RIP-relative).
 */
#include <string.h>

#include "mmio.h"

/* The ModRM operand's bytes after the ModRM byte itself: SIB and displacement. */
static int modrm_extra(const uint8_t *b, size_t n, size_t at, int addr16)
{
	if (at >= n)
		return -1;
	uint8_t m = b[at], mod = m >> 6, rm = m & 7;
	if (mod == 3)
		return 0; /* a register: no memory operand, not an MMIO access */
	if (addr16)
		return mod == 1 ? 1 : mod == 2 ? 2 : (rm == 6 ? 2 : 0);
	int extra = 0;
	if (rm == 4) { /* SIB */
		if (at + 1 >= n)
			return -1;
		extra = 1;
		if (mod == 0 && (b[at + 1] & 7) == 5)
			extra += 4;
	} else if (mod == 0 && rm == 5) {
		extra = 4; /* disp32, or RIP-relative in 64-bit mode */
	}
	return extra + (mod == 1 ? 1 : mod == 2 ? 4 : 0);
}

int mmio_decode(const uint8_t *b, size_t n, unsigned mode, struct mmio_insn *d)
{
	size_t i = 0;
	int opsize16 = 0, addr16 = mode == 16, rex = 0;

	memset(d, 0, sizeof(*d));
	if (n > 15)
		n = 15;
	for (; i < n; i++) { /* legacy prefixes */
		uint8_t p = b[i];
		if (p == 0x66)
			opsize16 = 1;
		else if (p == 0x67)
			addr16 = mode == 32; /* 64-bit mode: 32-bit addressing, decoded as 32 */
		else if (p == 0x2e || p == 0x36 || p == 0x3e || p == 0x26 || p == 0x64 || p == 0x65 || p == 0xf0 ||
			 p == 0xf2 || p == 0xf3)
			continue;
		else
			break;
	}
	if (mode == 16 && i < n) {
		/* a 0x66 in 16-bit code selects 32-bit operands, 0x67 32-bit addressing */
		int saw66 = 0, saw67 = 0;
		for (size_t k = 0; k < i; k++) {
			saw66 |= b[k] == 0x66;
			saw67 |= b[k] == 0x67;
		}
		opsize16 = !saw66;
		addr16 = !saw67;
	}
	if (mode == 64 && i < n && (b[i] & 0xf0) == 0x40)
		rex = b[i++];
	if (i >= n)
		return -1;
	int size = (rex & 8) ? 8 : opsize16 ? 2 : 4;
	uint8_t op = b[i++];
	size_t modrm_at;
	switch (op) {
	case 0x88: case 0x89: case 0x8a: case 0x8b:
		d->write = op <= 0x89;
		d->size = (op & 1) ? size : 1;
		d->dst_size = d->size;
		modrm_at = i;
		break;
	case 0xc6: case 0xc7:
		d->write = 1;
		d->size = op == 0xc6 ? 1 : size;
		d->has_imm = 1;
		modrm_at = i;
		if (i >= n || ((b[i] >> 3) & 7) != 0)
			return -1; /* /0 only */
		break;
	case 0x0f:
		if (i >= n || (b[i] != 0xb6 && b[i] != 0xb7))
			return -1;
		d->size = b[i] == 0xb6 ? 1 : 2;
		d->dst_size = size;
		d->zext = 1;
		modrm_at = ++i;
		break;
	default:
		return -1;
	}
	int extra = modrm_extra(b, n, modrm_at, addr16);
	if (extra < 0 || ((b[modrm_at] >> 6) == 3))
		return -1;
	uint8_t reg = (b[modrm_at] >> 3) & 7;
	d->reg = reg | ((rex & 4) ? 8 : 0);
	/* without REX, byte registers 4-7 are AH, CH, DH, BH */
	if (d->size == 1 && !d->zext && !rex && reg >= 4) {
		d->reg = reg - 4;
		d->high8 = 1;
	}
	i = modrm_at + 1 + (size_t)extra;
	if (d->has_imm) {
		size_t isz = d->size == 1 ? 1 : d->size == 2 ? 2 : 4; /* imm32 sign-extended for 64-bit */
		if (i + isz > n)
			return -1;
		uint32_t imm = 0;
		memcpy(&imm, b + i, isz);
		d->imm = isz == 4 && d->size == 8 ? (uint64_t)(int64_t)(int32_t)imm : imm;
		i += isz;
	}
	if (i > n)
		return -1;
	d->len = (int)i;
	return 0;
}

uint64_t mmio_read_result(uint64_t old, const struct mmio_insn *d)
{
	uint64_t v = d->size == 8 ? ~0ULL : (1ULL << (8 * d->size)) - 1; /* all ones, zero-extended (MOVZX too) */
	unsigned dst = d->zext ? d->dst_size : d->size;

	if (d->high8)
		return (old & ~0xff00ULL) | ((v & 0xff) << 8);
	if (dst == 1)
		return (old & ~0xffULL) | v;
	if (dst == 2)
		return (old & ~0xffffULL) | (v & 0xffff);
	return dst == 4 ? (v & 0xffffffffULL) : v; /* a 32-bit destination clears bits 63:32 */
}
