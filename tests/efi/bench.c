// SPDX-License-Identifier: MIT
/*
 * Exit-path benchmark, run as the root OS (under Raum) or alone (native
 * baseline) by tools/bench.sh: under QEMU -icount shift=0,sleep=off and
 * under Bochs the TSC counts executed instructions, so TSC deltas are path
 * lengths in instructions, host (Raum) and guest together, deterministic
 * run to run (the empty loop's figure shows the counting: 2 per iteration).
 * Prints "RAUM-BENCH <name> <instructions per iteration>" lines.
 */
#include <efi.h>
#include <efilib.h>

#include <hv/abi/hvcall.h>

#include "emuexit.h"

#define ITERATIONS 2000

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab);

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi)::"memory");
	return ((uint64_t)hi << 32) | lo;
}

static int raum_present(void)
{
	uint32_t a, b, c, d;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x40000000), "c"(0));
	return b == RAUM_CPUID_SIGNATURE_EBX && c == RAUM_CPUID_SIGNATURE_ECX && d == RAUM_CPUID_SIGNATURE_EDX;
}

static uint64_t loop_empty(void)
{
	uint64_t t0 = rdtsc();
	for (int i = 0; i < ITERATIONS; i++)
		__asm__ volatile("" ::: "memory");
	return rdtsc() - t0;
}

static uint64_t loop_cpuid(void)
{
	uint64_t t0 = rdtsc();
	for (int i = 0; i < ITERATIONS; i++) {
		uint32_t a = 0, b, c = 0, d;
		__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d)::"memory");
	}
	return rdtsc() - t0;
}

static int is_intel(void)
{
	uint32_t a, b, c, d;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0), "c"(0));
	return b == 0x756e6547; /* "Genu" */
}

/* VMMCALL on AMD-V, VMCALL on VT-x: two loops, so the timed one holds no branch on the vendor. */
static uint64_t loop_hypercall(uint64_t *status)
{
	uint64_t t0 = rdtsc(), r = 0;
	if (is_intel()) {
		t0 = rdtsc();
		for (int i = 0; i < ITERATIONS; i++) {
			uint64_t rcx = RAUM_CALL_NULL | HV_HYPERCALL_FAST_BIT;
			__asm__ volatile("vmcall" : "=a"(r), "+c"(rcx) : "d"(0ULL) : "r8", "memory");
		}
	} else {
		t0 = rdtsc();
		for (int i = 0; i < ITERATIONS; i++) {
			uint64_t rcx = RAUM_CALL_NULL | HV_HYPERCALL_FAST_BIT;
			__asm__ volatile("vmmcall" : "=a"(r), "+c"(rcx) : "d"(0ULL) : "r8", "memory");
		}
	}
	*status = r;
	return rdtsc() - t0;
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	InitializeLib(image, systab);
	uint64_t empty = loop_empty();
	uint64_t cpu = loop_cpuid();
	Print(L"RAUM-BENCH mode %a\n", raum_present() ? "raum" : "native");
	Print(L"RAUM-BENCH empty_loop %lu\n", empty / ITERATIONS);
	Print(L"RAUM-BENCH cpuid_round_trip %lu\n", cpu / ITERATIONS);
	if (raum_present()) {
		uint64_t st;
		uint64_t hc = loop_hypercall(&st);
		Print(L"RAUM-BENCH null_hypercall_round_trip %lu (status %lu)\n", hc / ITERATIONS,
		      st & HV_HYPERCALL_RESULT_MASK);
	}
	Print(L"RAUM-BENCH done\n");
	emu_exit(EMU_EXIT_PASS);
	return EFI_SUCCESS;
}
