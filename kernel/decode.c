// SPDX-License-Identifier: MIT
/*
 * A small x86 instruction decoder: see include/raum/decode.h for the
 * contract. It finds the length of the instruction, the direction and size
 * of its one memory access and the register or immediate involved; the
 * address itself comes from the exit information (the guest-physical
 * address SLAT refused), so ModRM, SIB and displacement are only parsed
 * for their length.
 *
 * References are to the Intel SDM vol. 2 (chapter 2, "Instruction format").
 */
#include <raum/decode.h>
#include <raum/errno.h>

/* SDM vol. 2 2.3.11: an instruction is at most 15 bytes, prefixes included. */
#define X86_MAX_LEN 15

/* REX bits (SDM vol. 2 2.2.1, table 2-4); X and B only pick other registers. */
#define REX_R 0x4
#define REX_W 0x8

struct cursor {
	const u8 *b;
	size_t n;
	size_t pos;
};

/*
 * Consumes count bytes as a little-endian value. Going past 15 bytes makes
 * the instruction invalid (#GP/#UD on hardware) whatever bytes follow, so
 * that is checked before the end of the buffer.
 */
static int fetch(struct cursor *c, size_t count, u64 *val)
{
	u64 v = 0;

	if (c->pos + count > X86_MAX_LEN)
		return -RAUM_EINVAL;
	if (c->pos + count > c->n)
		return -RAUM_ERANGE;
	for (size_t i = 0; i < count; i++)
		v |= (u64)c->b[c->pos + i] << (8 * i);
	c->pos += count;
	if (val)
		*val = v;
	return 0;
}

static int fetch8(struct cursor *c, u8 *val)
{
	u64 v;
	int rc = fetch(c, 1, &v);

	if (rc == 0)
		*val = (u8)v;
	return rc;
}

/*
 * Skips the rest of a memory operand after its ModRM byte: SIB and
 * displacement. Only lengths matter here; REX.B and REX.X select other
 * registers but never change the length (SDM vol. 2 2.2.1.2: r12 and r13
 * as rm still need a SIB and the mod 00 disp32 form, table 2-5 notes).
 */
static int skip_modrm_operand(struct cursor *c, u8 modrm, int addr_size)
{
	u8 mod = modrm >> 6, rm = modrm & 7;
	size_t disp;

	if (addr_size == 16) {
		/*
		 * SDM vol. 2 table 2-1 (16-bit addressing): no SIB; mod 00
		 * rm 110 is a bare disp16, mod 01 adds disp8, mod 10 disp16.
		 */
		if (mod == 0)
			disp = rm == 6 ? 2 : 0;
		else
			disp = mod == 1 ? 1 : 2;
		return fetch(c, disp, NULL);
	}

	/*
	 * SDM vol. 2 table 2-2 (32-bit addressing, also used for 64-bit with
	 * REX, 2.2.1.3): rm 100 means a SIB byte follows; mod 00 rm 101 is a
	 * bare disp32 (RIP-relative in 64-bit mode, 2.2.1.6); mod 01 adds
	 * disp8 and mod 10 disp32.
	 */
	if (mod == 0)
		disp = rm == 5 ? 4 : 0;
	else
		disp = mod == 1 ? 1 : 4;
	if (rm == 4) {
		u8 sib;
		int rc = fetch8(c, &sib);

		if (rc)
			return rc;
		/* SDM vol. 2 table 2-3: base 101 with mod 00 means no base, disp32. */
		if (mod == 0 && (sib & 7) == 5)
			disp = 4;
	}
	return fetch(c, disp, NULL);
}

int x86_decode(const u8 *b, size_t n, int mode, struct x86_insn *out)
{
	struct cursor c = { .b = b, .n = n, .pos = 0 };
	bool opsize_prefix = false, addrsize_prefix = false, has_rex = false;
	u8 rex = 0, opcode, modrm = 0;
	int op_size, addr_size, rc;
	struct x86_insn in = { 0 };
	bool byte_op = false, two_byte = false, has_modrm = true;

	if (!b || !out || (mode != 16 && mode != 32 && mode != 64))
		return -RAUM_EINVAL;

	/*
	 * Prefixes (SDM vol. 2 2.1.1), in any order and repeated. A REX
	 * prefix counts only when it immediately precedes the opcode (2.2.1):
	 * one followed by another prefix is ignored, and of several REX bytes
	 * in a row the last one counts.
	 */
	for (;;) {
		rc = fetch8(&c, &opcode);
		if (rc)
			return rc;
		switch (opcode) {
		case 0x66:
			opsize_prefix = true;
			break;
		case 0x67:
			addrsize_prefix = true;
			break;
		case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
			/* segment overrides: the exit already carries the address */
			break;
		case 0xf0: case 0xf2: case 0xf3:
			/* LOCK (RMW) and REP / mandatory prefixes: not emulated */
			return -RAUM_EINVAL;
		default:
			if (mode == 64 && (opcode & 0xf0) == 0x40) {
				rex = opcode & 0xf;
				has_rex = true;
				continue;
			}
			goto opcode;
		}
		/* a legacy prefix after a REX voids the REX */
		rex = 0;
		has_rex = false;
	}

opcode:
	/* Operand size (SDM vol. 1 3.6, table 3-4): REX.W beats 66. */
	if (mode == 64)
		op_size = (rex & REX_W) ? 64 : opsize_prefix ? 16 : 32;
	else if (mode == 32)
		op_size = opsize_prefix ? 16 : 32;
	else
		op_size = opsize_prefix ? 32 : 16;
	/* Address size: 67 toggles 16 <-> 32, and 64 -> 32 in 64-bit mode. */
	if (mode == 64)
		addr_size = addrsize_prefix ? 32 : 64;
	else if (mode == 32)
		addr_size = addrsize_prefix ? 16 : 32;
	else
		addr_size = addrsize_prefix ? 32 : 16;

	switch (opcode) {
	case 0x88: /* MOV r/m8, r8 */
		byte_op = true;
		/* fallthrough */
	case 0x89: /* MOV r/m, r */
		in.op = X86_OP_STORE;
		break;
	case 0x8a: /* MOV r8, r/m8 */
		byte_op = true;
		/* fallthrough */
	case 0x8b: /* MOV r, r/m */
		in.op = X86_OP_LOAD;
		break;
	case 0xc6: /* MOV r/m8, imm8 (/0) */
		byte_op = true;
		/* fallthrough */
	case 0xc7: /* MOV r/m, imm16/32 (/0) */
		in.op = X86_OP_STORE_IMM;
		break;
	case 0x63: /* MOVSXD r64, r/m32: only the REX.W form is supported */
		if (mode != 64 || !(rex & REX_W))
			return -RAUM_EINVAL;
		in.op = X86_OP_LOAD_SX;
		break;
	case 0xa0: /* MOV AL, moffs8 */
		byte_op = true;
		/* fallthrough */
	case 0xa1: /* MOV eAX, moffs */
		in.op = X86_OP_LOAD;
		has_modrm = false;
		break;
	case 0xa2: /* MOV moffs8, AL */
		byte_op = true;
		/* fallthrough */
	case 0xa3: /* MOV moffs, eAX */
		in.op = X86_OP_STORE;
		has_modrm = false;
		break;
	case 0x0f:
		two_byte = true;
		rc = fetch8(&c, &opcode);
		if (rc)
			return rc;
		switch (opcode) {
		case 0xb6: /* MOVZX r, r/m8 */
		case 0xb7: /* MOVZX r, r/m16 */
			in.op = X86_OP_LOAD_ZX;
			break;
		case 0xbe: /* MOVSX r, r/m8 */
		case 0xbf: /* MOVSX r, r/m16 */
			in.op = X86_OP_LOAD_SX;
			break;
		default:
			return -RAUM_EINVAL;
		}
		break;
	default:
		/* includes VEX (C4 C5), EVEX (62) and INC/DEC 40-4F outside 64-bit mode */
		return -RAUM_EINVAL;
	}

	/* Sizes in bytes. */
	if (two_byte) {
		in.size = (opcode & 1) ? 2 : 1;
		in.dst_size = (u8)(op_size / 8);
	} else if (opcode == 0x63) {
		in.size = 4;
		in.dst_size = 8;
	} else {
		in.size = byte_op ? 1 : (u8)(op_size / 8);
		in.dst_size = in.size;
	}

	if (has_modrm) {
		rc = fetch8(&c, &modrm);
		if (rc)
			return rc;
		/* mod 11: a register operand, no memory access to emulate */
		if ((modrm >> 6) == 3)
			return -RAUM_EINVAL;
		/* C6 / C7 are MOV only with reg field 0 (SDM vol. 2 2.1.5 "/digit") */
		if (in.op == X86_OP_STORE_IMM && ((modrm >> 3) & 7) != 0)
			return -RAUM_EINVAL;
		rc = skip_modrm_operand(&c, modrm, addr_size);
		if (rc)
			return rc;
		/* the reg field is the register operand, or the /0 of C6 / C7 */
		if (in.op != X86_OP_STORE_IMM)
			in.reg = (u8)(((modrm >> 3) & 7) | ((rex & REX_R) ? 8 : 0));
	} else {
		/* moffs: an absolute offset as wide as the address size */
		rc = fetch(&c, (size_t)addr_size / 8, NULL);
		if (rc)
			return rc;
		in.reg = GPR_RAX;
	}

	/*
	 * An 8-bit register operand 4-7 is AH CH DH BH without REX, SPL BPL
	 * SIL DIL with any REX (SDM vol. 2 2.2.1.2, table 3-1 in 3.1.1.1).
	 * MOVZX / MOVSX have a wider destination, so never a high one.
	 */
	if (has_modrm && byte_op && in.op != X86_OP_STORE_IMM && !has_rex &&
	    in.reg >= 4 && in.reg <= 7)
		in.high8 = true;

	if (in.op == X86_OP_STORE_IMM) {
		u64 imm;

		if (byte_op) {
			rc = fetch(&c, 1, &imm);
		} else if (op_size == 16) {
			rc = fetch(&c, 2, &imm);
		} else {
			/* imm32, sign-extended to 64 bits with REX.W */
			rc = fetch(&c, 4, &imm);
			if (rc == 0 && op_size == 64)
				imm = (u64)(s64)(s32)(u32)imm;
		}
		if (rc)
			return rc;
		in.imm = imm;
	}

	in.len = (u8)c.pos;
	*out = in;
	return 0;
}

static u64 zext(u64 v, unsigned size)
{
	return size >= 8 ? v : v & ((1ULL << (8 * size)) - 1);
}

static u64 sign_extend(u64 v, unsigned size)
{
	unsigned shift;

	if (size >= 8)
		return v;
	shift = 64 - 8 * size;
	return (u64)((s64)(v << shift) >> shift);
}

void x86_write_reg(u64 gpr[GPR_COUNT], const struct x86_insn *in, u64 value)
{
	unsigned reg = in->reg & 15;
	u64 *r;

	value = zext(value, in->size);
	if (in->op == X86_OP_LOAD_SX)
		value = sign_extend(value, in->size);

	if (in->high8) {
		/* AH CH DH BH are bits 15:8 of RAX RCX RDX RBX */
		r = &gpr[reg & 3];
		*r = (*r & ~0xff00ULL) | ((value & 0xff) << 8);
		return;
	}

	r = &gpr[reg];
	switch (in->dst_size) {
	case 1:
		*r = (*r & ~0xffULL) | (value & 0xff);
		break;
	case 2:
		*r = (*r & ~0xffffULL) | (value & 0xffff);
		break;
	case 4:
		/* SDM vol. 1 3.4.1.1: 32-bit results zero-extend to 64 bits */
		*r = value & 0xffffffffULL;
		break;
	case 8:
		*r = value;
		break;
	default:
		break;
	}
}

u64 x86_store_value(const u64 gpr[GPR_COUNT], const struct x86_insn *in)
{
	unsigned reg = in->reg & 15;

	if (in->op == X86_OP_STORE_IMM)
		return zext(in->imm, in->size);
	if (in->op != X86_OP_STORE)
		return 0;
	if (in->high8)
		return (gpr[reg & 3] >> 8) & 0xff;
	return zext(gpr[reg], in->size);
}
