// SPDX-License-Identifier: MIT
/*
 * cpuidcheck: what one CPU of the root sees through CPUID, for the SMP checks
 * of the test initramfs (tools/linux/init-test.sh). Run it pinned (taskset -c N):
 *
 *   cpuidcheck leaf CPU     on CPU (it checks it runs there): the hypervisor bit,
 *                           Raum's signature at leaf 0x40000000, and no VMX
 *                           (CPUID.1:ECX[5]) or SVM (CPUID.80000001:ECX[2]):
 *                           Raum offers no nested virtualization
 *   cpuidcheck loop CPU N   N CPUIDs (leaf 0) on CPU: each one is a CPUID exit of
 *                           that CPU's root VP
 *   cpuidcheck time CPU N   the same loop timed with clock_gettime(CLOCK_MONOTONIC)
 *                           after 100 untimed CPUIDs; prints the ns per CPUID
 *                           (make bench, tools/bench-smp.sh; a figure, not a check)
 *
 * Prints one line saying what it saw. Exit status: 0 all as expected, 1 no Raum
 * CPUID leaf, 2 usage, 3 VMX or SVM visible, 4 not running on CPU. Needs no /dev/raum: it runs with or
 * without raum.ko. Built static (the initramfs has no libc).
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hv/abi/hvcall.h>

struct regs {
	uint32_t a, b, c, d;
};

static struct regs cpuid(uint32_t leaf)
{
	struct regs r;

	asm volatile("cpuid" : "=a"(r.a), "=b"(r.b), "=c"(r.c), "=d"(r.d) : "a"(leaf), "c"(0));
	return r;
}

/* Parses a decimal number of at most 10 digits; -1 when it is not one. */
static long number(const char *s)
{
	char *end;
	long v;

	if (!*s || strlen(s) > 10 || *s < '0' || *s > '9')
		return -1;
	v = strtol(s, &end, 10);
	return *end ? -1 : v;
}

static int usage(void)
{
	fprintf(stderr, "usage: cpuidcheck leaf CPU | cpuidcheck loop CPU N | cpuidcheck time CPU N\n");
	return 2;
}

/* The calling thread must be on CPU: taskset put it there; a mismatch is a failed check. */
static int on_cpu(long cpu)
{
	int now = sched_getcpu();

	if (now != cpu) {
		printf("cpuidcheck: cpu %ld: FAIL: running on CPU %d, not %ld (run it with taskset -c %ld)\n",
		       cpu, now, cpu, cpu);
		return 0;
	}
	return 1;
}

static int check_leaf(long cpu)
{
	struct regs r1 = cpuid(1), hv = { 0 }, ext = { 0 };
	char sig[13] = "";
	int hv_bit = !!(r1.c & (1u << 31)), vmx = !!(r1.c & (1u << 5)), svm = 0, raum = 0;

	if (cpuid(0x80000000).a >= 0x80000001) {
		ext = cpuid(0x80000001);
		svm = !!(ext.c & (1u << 2));
	}
	if (hv_bit) {
		hv = cpuid(RAUM_CPUID_VENDOR_LEAF);
		memcpy(sig, &hv.b, 4);
		memcpy(sig + 4, &hv.c, 4);
		memcpy(sig + 8, &hv.d, 4);
		for (int i = 0; i < 12; i++)
			if (sig[i] < 0x20 || sig[i] > 0x7e)
				sig[i] = '.';
		raum = hv.b == RAUM_CPUID_SIGNATURE_EBX && hv.c == RAUM_CPUID_SIGNATURE_ECX &&
		       hv.d == RAUM_CPUID_SIGNATURE_EDX;
	}
	printf("cpuidcheck: cpu %ld: hypervisor bit %d, leaf 0x%x \"%s\", VMX %d, SVM %d",
	       cpu, hv_bit, RAUM_CPUID_VENDOR_LEAF, sig, vmx, svm);
	if (!raum) {
		printf(": FAIL: no Raum CPUID leaf (%s)\n",
		       hv_bit ? "another signature" : "the hypervisor bit is clear");
		return 1;
	}
	if (vmx || svm) {
		printf(": FAIL: %s visible under Raum (no nested virtualization)\n", vmx ? "VMX" : "SVM");
		return 3;
	}
	printf(": ok\n");
	return 0;
}

static int64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* N timed CPUIDs on CPU (N > 0); the line names the CPU, so a run that moved is no figure. */
static int time_loop(long cpu, long n)
{
	int64_t t0, t1;

	for (int i = 0; i < 100; i++)
		(void)cpuid(0);
	t0 = now_ns();
	for (long i = 0; i < n; i++)
		(void)cpuid(0);
	t1 = now_ns();
	if (!on_cpu(cpu))
		return 4;
	printf("cpuidcheck: cpu %ld: %ld CPUIDs in %lld ns: %.1f ns per CPUID\n", cpu, n,
	       (long long)(t1 - t0), (double)(t1 - t0) / (double)n);
	return 0;
}

int main(int argc, char **argv)
{
	long cpu, n;

	if (argc < 3 || (cpu = number(argv[2])) < 0)
		return usage();
	if (!strcmp(argv[1], "leaf") && argc == 3)
		return on_cpu(cpu) ? check_leaf(cpu) : 4;
	if (!strcmp(argv[1], "loop") && argc == 4 && (n = number(argv[3])) >= 0) {
		if (!on_cpu(cpu))
			return 4;
		for (long i = 0; i < n; i++)
			(void)cpuid(0);
		/* still there: taskset pins the whole run */
		if (!on_cpu(cpu))
			return 4;
		printf("cpuidcheck: cpu %ld: %ld CPUIDs done\n", cpu, n);
		return 0;
	}
	if (!strcmp(argv[1], "time") && argc == 4 && (n = number(argv[3])) > 0)
		return on_cpu(cpu) ? time_loop(cpu, n) : 4;
	return usage();
}
