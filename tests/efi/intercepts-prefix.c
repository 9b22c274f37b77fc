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

/* One prefixed instruction between two GetExitStats; the delta of reason r must be 1. */
static BOOLEAN count_one(const char *name, UINT64 pg, int r, const struct raum_exit_stats *before)
{
	struct raum_exit_stats after;
	UINT64 rax;

	if (!exit_stats(pg, pg + PAGE, &after, &rax)) {
		fail(name, L"GetExitStats after: RAX %lx", rax);
		return FALSE;
	}
	if (after.count[r] - before->count[r] != 1) {
		fail(name, L"%ld exits for one instruction (mis-stepped into its own opcode?)",
		     after.count[r] - before->count[r]);
		return FALSE;
	}
	return TRUE;
}

void check_prefixed_insns(void)
{
	UINT64 pg = alloc_pages(2), rax, f, v;
	struct raum_exit_stats before;
	UINT32 a, b, c, d, r[4];

	if (!pg) {
		fail("prefix.setup", L"no pages");
		return;
	}

	/* CPUID with two CS overrides: 2e 2e 0f a2 */
	f = irq_save();
	if (!exit_stats(pg, pg + PAGE, &before, &rax)) {
		irq_restore(f);
		fail("prefix.cpuid_2e2e", L"GetExitStats before: RAX %lx", rax);
		return;
	}
	a = 0x40000000, c = 0;
	__asm__ volatile(".byte 0x2e, 0x2e, 0x0f, 0xa2" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	if (count_one("prefix.cpuid_2e2e", pg, RAUM_EXIT_CPUID, &before)) {
		if (b == RAUM_CPUID_SIGNATURE_EBX && c == RAUM_CPUID_SIGNATURE_ECX && d == RAUM_CPUID_SIGNATURE_EDX)
			pass("prefix.cpuid_2e2e");
		else
			fail("prefix.cpuid_2e2e", L"leaf 0x40000000 gave %08x %08x %08x %08x", a, b, c, d);
	}

	/* CPUID with an operand-size prefix and REX.W: 66 48 0f a2 */
	exit_stats(pg, pg + PAGE, &before, &rax);
	a = 0x40000000, c = 0;
	__asm__ volatile(".byte 0x66, 0x48, 0x0f, 0xa2" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	if (count_one("prefix.cpuid_66rex", pg, RAUM_EXIT_CPUID, &before)) {
		if (b == RAUM_CPUID_SIGNATURE_EBX && c == RAUM_CPUID_SIGNATURE_ECX && d == RAUM_CPUID_SIGNATURE_EDX)
			pass("prefix.cpuid_66rex");
		else
			fail("prefix.cpuid_66rex", L"leaf 0x40000000 gave %08x %08x %08x %08x", a, b, c, d);
	}

	/* RDMSR of MTRRCAP (0xfe, emulated: always exits) with two DS overrides: 3e 3e 0f 32 */
	exit_stats(pg, pg + PAGE, &before, &rax);
	a = 0x5a5a5a5a, d = 0xa5a5a5a5;
	__asm__ volatile(".byte 0x3e, 0x3e, 0x0f, 0x32" : "+a"(a), "+d"(d) : "c"(0xfe));
	if (count_one("prefix.rdmsr_3e3e", pg, RAUM_EXIT_MSR_READ, &before)) {
		if (((UINT64)d << 32 | a) == rdmsr(0xfe))
			pass("prefix.rdmsr_3e3e");
		else
			fail("prefix.rdmsr_3e3e", L"MTRRCAP %08x%08x, plain RDMSR %lx", d, a, rdmsr(0xfe));
	}

	/* WRMSR of MTRR_DEF_TYPE (0x2ff, shadowed) with its own value: 26 3e 0f 30 */
	cpuid(1, 0, r);
	if (r[3] & (1U << 12)) {
		v = rdmsr(0x2ff);
		exit_stats(pg, pg + PAGE, &before, &rax);
		__asm__ volatile(".byte 0x26, 0x3e, 0x0f, 0x30" ::"a"((UINT32)v), "d"((UINT32)(v >> 32)), "c"(0x2ff));
		if (count_one("prefix.wrmsr_263e", pg, RAUM_EXIT_MSR_WRITE, &before)) {
			if (rdmsr(0x2ff) == v)
				pass("prefix.wrmsr_263e");
			else
				fail("prefix.wrmsr_263e", L"MTRR_DEF_TYPE %lx after writing %lx", rdmsr(0x2ff), v);
		}
	}
	irq_restore(f);
}
