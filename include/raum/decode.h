/* SPDX-License-Identifier: MIT */
/*
 * A small x86 instruction decoder for emulating memory accesses that SLAT
 * refused (MMIO, hypervisor memory): QEMU's TCG offers no decode assists,
 * so Raum must know the instruction itself (PLATFORM.md). Pure code,
 * unit-tested on the host (tests/unit/test_decode.c).
 *
 * Supported: MOV r/m,r and r,r/m (88 89 8A 8B), MOV r/m,imm (C6 /0, C7 /0),
 * MOVZX (0F B6, 0F B7), MOVSX (0F BE, 0F BF), MOVSXD (63 with REX.W),
 * MOV moffs (A0-A3); prefixes 66, 67, REX (40-4F), segment overrides
 * (26 2E 36 3E 64 65). Everything else (string moves, LOCK, REP, VEX, RMW
 * arithmetic) is refused with -RAUM_EINVAL so the caller can inject a fault.
 */
#ifndef RAUM_DECODE_H
#define RAUM_DECODE_H

#include <raum/types.h>

/* General-purpose registers in encoding order (SDM vol. 2A table 2-2). */
enum x86_gpr {
	GPR_RAX, GPR_RCX, GPR_RDX, GPR_RBX, GPR_RSP, GPR_RBP, GPR_RSI, GPR_RDI,
	GPR_R8, GPR_R9, GPR_R10, GPR_R11, GPR_R12, GPR_R13, GPR_R14, GPR_R15,
	GPR_COUNT
};

enum x86_op {
	X86_OP_LOAD = 1,  /* reg <- mem (size bytes) */
	X86_OP_LOAD_ZX,   /* reg (dst_size) <- zero-extended mem (size) */
	X86_OP_LOAD_SX,   /* reg (dst_size) <- sign-extended mem (size) */
	X86_OP_STORE,     /* mem (size) <- reg */
	X86_OP_STORE_IMM, /* mem (size) <- imm */
};

struct x86_insn {
	u8 len;      /* total length in bytes, prefixes included */
	u8 op;       /* enum x86_op */
	u8 size;     /* memory access size: 1, 2, 4 or 8 */
	u8 dst_size; /* register size for loads (== size except for ZX / SX) */
	u8 reg;      /* register operand, enum x86_gpr */
	bool high8;  /* reg (4-7) names AH CH DH BH: bits 15:8 of gpr[reg - 4] */
	u64 imm;     /* STORE_IMM: the value, truncated to size */
};

/*
 * Decodes the instruction in b[0..n). mode is the default operand/address
 * size of the code segment: 16, 32 or 64 (64: CS.L = 1 in long mode).
 * Returns 0, -RAUM_EINVAL for an unsupported or malformed instruction, or
 * -RAUM_ERANGE when n bytes end before the instruction does.
 */
int x86_decode(const u8 *b, size_t n, int mode, struct x86_insn *out);

/*
 * Writes a loaded value to the destination register the way the CPU does:
 * a 32-bit destination zero-extends into the upper half, 8- and 16-bit
 * destinations leave the other bits alone; LOAD_ZX / LOAD_SX extend from
 * size to dst_size first.
 */
void x86_write_reg(u64 gpr[GPR_COUNT], const struct x86_insn *in, u64 value);

/* The value a STORE or STORE_IMM writes, truncated to size. */
u64 x86_store_value(const u64 gpr[GPR_COUNT], const struct x86_insn *in);

#endif
