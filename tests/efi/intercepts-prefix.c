// SPDX-License-Identifier: MIT
/*
 * The intercept suite (intercepts.c): intercepted instructions with prefixes
 * the CPU ignores (2e, 3e, 66, REX). Without NRIPS (QEMU TCG has none) Raum
 * finds their length itself (kernel/insnlen.c); a fixed 2-byte step would land
 * in the middle of "2e 2e 0f a2", on its own "0f a2", and run it again. Each
 * check counts the exits (exactly one) and checks the registers the one run
 * must leave: a second CPUID would run with EAX = the first one's answer.
 */
#include "intercepts.h"

/*
 * Interrupts stay off from the first GetExitStats to the second, and nothing is
 * printed in between: printing through the firmware's console lowers the TPL,
 * which turns interrupts back on, and OVMF's timer tick runs CPUIDs of its own
 * (a CI run once counted 5 CPUID exits for one CPUID that way).
 */
#define MEASURE(pg, before, after, ok, insn)                                                   \
	do {                                                                                   \
		UINT64 f_ = irq_save(), rax_;                                                  \
		(ok) = exit_stats((pg), (pg) + PAGE, (before), &rax_);                          \
		insn;                                                                          \
		(ok) = exit_stats((pg), (pg) + PAGE, (after), &rax_) && (ok);                   \
		irq_restore(f_);                                                               \
	} while (0)

/* The delta of reason r between the two GetExitStats must be exactly 1. */
static BOOLEAN count_one(const char *name, BOOLEAN ok, int r, const struct raum_exit_stats *before,
			 const struct raum_exit_stats *after)
{
	if (!ok) {
		fail(name, L"GetExitStats failed around the instruction");
		return FALSE;
	}
	if (after->count[r] - before->count[r] != 1) {
		fail(name, L"%ld exits for one instruction (mis-stepped into its own opcode?)",
		     after->count[r] - before->count[r]);
		return FALSE;
	}
	return TRUE;
}

void check_prefixed_insns(void)
{
	UINT64 pg = alloc_pages(2), v;
	struct raum_exit_stats before, after;
	UINT32 a, b, c, d, r[4];
	BOOLEAN ok;

	if (!pg) {
		fail("prefix.setup", L"no pages");
		return;
	}

	/* CPUID with two CS overrides: 2e 2e 0f a2 */
	a = 0x40000000, c = 0;
	MEASURE(pg, &before, &after, ok,
		__asm__ volatile(".byte 0x2e, 0x2e, 0x0f, 0xa2" : "+a"(a), "=b"(b), "+c"(c), "=d"(d)));
	if (count_one("prefix.cpuid_2e2e", ok, RAUM_EXIT_CPUID, &before, &after)) {
		if (b == RAUM_CPUID_SIGNATURE_EBX && c == RAUM_CPUID_SIGNATURE_ECX && d == RAUM_CPUID_SIGNATURE_EDX)
			pass("prefix.cpuid_2e2e");
		else
			fail("prefix.cpuid_2e2e", L"leaf 0x40000000 gave %08x %08x %08x %08x", a, b, c, d);
	}

	/* CPUID with an operand-size prefix and REX.W: 66 48 0f a2 */
	a = 0x40000000, c = 0;
	MEASURE(pg, &before, &after, ok,
		__asm__ volatile(".byte 0x66, 0x48, 0x0f, 0xa2" : "+a"(a), "=b"(b), "+c"(c), "=d"(d)));
	if (count_one("prefix.cpuid_66rex", ok, RAUM_EXIT_CPUID, &before, &after)) {
		if (b == RAUM_CPUID_SIGNATURE_EBX && c == RAUM_CPUID_SIGNATURE_ECX && d == RAUM_CPUID_SIGNATURE_EDX)
			pass("prefix.cpuid_66rex");
		else
			fail("prefix.cpuid_66rex", L"leaf 0x40000000 gave %08x %08x %08x %08x", a, b, c, d);
	}

	/* RDMSR of MTRRCAP (0xfe, emulated: always exits) with two DS overrides: 3e 3e 0f 32 */
	a = 0x5a5a5a5a, d = 0xa5a5a5a5;
	MEASURE(pg, &before, &after, ok,
		__asm__ volatile(".byte 0x3e, 0x3e, 0x0f, 0x32" : "+a"(a), "+d"(d) : "c"(0xfe)));
	if (count_one("prefix.rdmsr_3e3e", ok, RAUM_EXIT_MSR_READ, &before, &after)) {
		if (((UINT64)d << 32 | a) == rdmsr(0xfe))
			pass("prefix.rdmsr_3e3e");
		else
			fail("prefix.rdmsr_3e3e", L"MTRRCAP %08x%08x, plain RDMSR %lx", d, a, rdmsr(0xfe));
	}

	/* WRMSR of MTRR_DEF_TYPE (0x2ff, shadowed) with its own value: 26 3e 0f 30 */
	cpuid(1, 0, r);
	if (r[3] & (1U << 12)) {
		v = rdmsr(0x2ff);
		MEASURE(pg, &before, &after, ok,
			__asm__ volatile(".byte 0x26, 0x3e, 0x0f, 0x30" ::"a"((UINT32)v), "d"((UINT32)(v >> 32)),
					 "c"(0x2ff)));
		if (count_one("prefix.wrmsr_263e", ok, RAUM_EXIT_MSR_WRITE, &before, &after)) {
			if (rdmsr(0x2ff) == v)
				pass("prefix.wrmsr_263e");
			else
				fail("prefix.wrmsr_263e", L"MTRR_DEF_TYPE %lx after writing %lx", rdmsr(0x2ff), v);
		}
	}
}
