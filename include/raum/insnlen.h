/* SPDX-License-Identifier: MIT */
/*
 * Lengths of the instructions Raum intercepts and steps over (CPUID, RDMSR,
 * WRMSR, VMMCALL, INVD, WBINVD) when the CPU does not report the next RIP:
 * AMD without NRIPS (QEMU TCG has none, PLATFORM.md). Each of them may carry
 * legacy prefixes and, in 64-bit mode, REX (the CPU ignores those that mean
 * nothing for the instruction, SDM vol. 2 2.1 / APM vol. 3 1.2), so a fixed
 * length mis-steps "2e 0f a2". Pure code, unit-tested on the host
 * (tests/unit/test_insnlen.c).
 */
#ifndef RAUM_INSNLEN_H
#define RAUM_INSNLEN_H

#include <raum/types.h>

/*
 * The length of the instruction in b[0..n) whose opcode bytes are op[0..oplen)
 * (e.g. 0f a2): the prefixes before the opcode plus the opcode. mode is the
 * code segment's default size (16, 32 or 64); 40-4f are REX only in 64-bit
 * mode. Returns the length (at most 15), -RAUM_EINVAL when the bytes are not
 * that instruction (another opcode, more than 15 bytes), -RAUM_ERANGE when the
 * n bytes end first.
 */
int x86_insn_len_of(const u8 *b, size_t n, int mode, const u8 *op, size_t oplen);

#endif
