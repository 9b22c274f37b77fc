/* SPDX-License-Identifier: MIT */
/*
 * Unassigned MMIO for raumctl run (QEMU's semantics: reads all-ones,
 * writes dropped): the guest's access left its RAM (a MEMORY exit), so the
 * instruction at its RIP (the bytes the exit brings: Raum read them
 * through the guest's page tables) is decoded here, its result written
 * and RIP moved past it. Pure code (tools/raumctl/mmio.c,
 * tests/unit/test_mmio.c).
 */
#ifndef RAUMCTL_MMIO_H
#define RAUMCTL_MMIO_H

#include <stddef.h>
#include <stdint.h>

struct mmio_insn {
	int len;        /* bytes */
	int write;      /* a store: dropped */
	unsigned size;  /* the access: 1, 2, 4 or 8 bytes */
	unsigned dst_size; /* a load's destination register (MOVZX: wider than the access) */
	int zext;       /* MOVZX */
	int reg;        /* a load's destination GPR (x86 number), or a store's source */
	int high8;      /* AH, CH, DH, BH: bits 15:8 of reg */
	int has_imm;
	uint64_t imm;
};

/* Decodes the instruction b[0..n) in a code segment of 'mode' bits: 0, or -1 for one it does not know. */
int mmio_decode(const uint8_t *b, size_t n, unsigned mode, struct mmio_insn *d);
/* A load's destination register after an all-ones read, from its old value. */
uint64_t mmio_read_result(uint64_t old, const struct mmio_insn *d);

#endif
