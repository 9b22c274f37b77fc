/* SPDX-License-Identifier: MIT */
/*
 * The shared library of the guest-side suites (intercepts.efi, hostile.efi):
 * GNU-EFI applications that Raum starts as the root OS. Reporting in the
 * RAUM-CHECK format, CPU helpers, vendor detection, the exception trap
 * (a private IDT and trap_try in lib-asm.S), hypercalls by vendor (VMMCALL
 * on AMD, VMCALL on Intel), GetExitStats, GetHealth and LogRead.
 *
 * A suite prints one line per check:
 *
 *   RAUM-CHECK PASS <name>
 *   RAUM-CHECK FAIL <name>: <details>
 *   RAUM-CHECK DONE <passed> passed, <failed> failed
 *
 * and suite_finish() ends the emulator (emu_exit, emuexit.h): QEMU through
 * isa-debug-exit (port 0xf4), Bochs through "Shutdown" written to port 0x8900.
 */
#ifndef TESTS_EFI_LIB_H
#define TESTS_EFI_LIB_H

#include <efi.h>
#include <efilib.h>

#include <hv/abi/hvcall.h>
#include <raum/version.h>
#include <raum/x86-regs.h> /* CR0_*, CR4_*, EFER_*, MSR_* */

#include "emuexit.h"

#define HIDDEN __attribute__((visibility("hidden")))
#define PAGE 4096ULL
#define ALL_ONES 0xffffffffffffffffULL
#define NO_TRAP (-1L)
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* lib-asm.S */
extern long trap_try(void (*fn)(void *), void *arg) HIDDEN;
extern char trap_stub6[] HIDDEN, trap_stub13[] HIDDEN, trap_stub14[] HIDDEN;
extern char trap_stub1[] HIDDEN, trap_stub8[] HIDDEN; /* #DB, #DF: not in build_idt's IDT */
extern volatile UINT64 trap_vector HIDDEN, trap_error HIDDEN, trap_rip HIDDEN, trap_cs HIDDEN,
	trap_cr2 HIDDEN, trap_count HIDDEN;

struct dtr {
	UINT16 limit;
	UINT64 base;
} __attribute__((packed));

/* ---- reporting ------------------------------------------------------------ */

extern unsigned n_pass, n_fail;

void pass(const char *name);
void fail(const char *name, const CHAR16 *fmt, ...);
/* "no exception", "#DB", "#UD", "#DF", "#GP", "#PF" or "?" */
const char *vec_name(long v);
/* Prints RAUM-CHECK DONE, then ends the emulator (QEMU and Bochs); returns only elsewhere. */
EFI_STATUS suite_finish(void);

/* ---- CPU helpers ------------------------------------------------------------ */

enum vendor { VENDOR_OTHER, VENDOR_AMD, VENDOR_INTEL };
extern enum vendor vendor;

static inline void outb(UINT16 port, UINT8 v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outl(UINT16 port, UINT32 v) { __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port)); }
static inline UINT32 inl(UINT16 port)
{
	UINT32 v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void cpuid(UINT32 leaf, UINT32 sub, UINT32 r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

static inline UINT64 rdmsr(UINT32 msr)
{
	UINT32 lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (UINT64)hi << 32 | lo;
}

static inline void wrmsr(UINT32 msr, UINT64 v)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((UINT32)v), "d"((UINT32)(v >> 32)) : "memory");
}

static inline UINT64 irq_save(void)
{
	UINT64 f;
	__asm__ volatile("pushfq; popq %0; cli" : "=r"(f)::"memory");
	return f;
}

static inline void irq_restore(UINT64 f)
{
	if (f & (1ULL << 9))
		__asm__ volatile("sti" ::: "memory");
}

static inline UINT16 read_cs(void)
{
	UINT16 v;
	__asm__ volatile("mov %%cs, %0" : "=r"(v));
	return v;
}

static inline UINT64 read_cr3(void)
{
	UINT64 v;
	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

static inline UINT64 read_cr4(void)
{
	UINT64 v;
	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

static inline void write_cr4(UINT64 v) { __asm__ volatile("mov %0, %%cr4" ::"r"(v) : "memory"); }

static inline UINT64 xgetbv(UINT32 idx)
{
	UINT32 lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(idx));
	return (UINT64)hi << 32 | lo;
}

/* CPUID leaf 0: "AuthenticAMD" or "GenuineIntel" in EBX, EDX, ECX. */
enum vendor detect_vendor(char name[13]);
/* n zeroed pages of EfiLoaderData below 4 GiB, or 0. */
UINT64 alloc_pages(UINTN n);

/* ---- the ring-0 exception trap ---------------------------------------------- */

/* A copy of the firmware's IDT at idt with #DB, #UD, #DF, #GP and #PF sent to the trap stubs. */
void build_idt(UINT8 *idt, UINT16 sel, struct dtr *out);
/* A 64-bit interrupt gate (type 0xe, DPL 0, no IST) for vector vec of the IDT at idt. */
void set_gate(UINT8 *idt, unsigned vec, const void *handler, UINT16 sel);
/* Detects the vendor, builds the test IDT; FALSE (with a "setup" failure) when that fails. */
BOOLEAN suite_setup(char vname[13]);
/* Runs fn(arg) with interrupts off and the test IDT loaded; returns the vector or NO_TRAP. */
long guarded(void (*fn)(void *), void *arg);

struct msr_op {
	UINT32 msr;
	UINT64 val;
};
void do_rdmsr(void *a); /* a: struct msr_op */
void do_wrmsr(void *a);

struct xcr_op {
	UINT32 idx;
	UINT64 val;
};
void do_xsetbv(void *a); /* a: struct xcr_op */

/* ---- hypercalls ------------------------------------------------------------------ */

/* Makes a hypercall (VMMCALL or VMCALL by vendor); returns its RAX, or ~0 when it faulted (*vec). */
UINT64 hvcall(const char *name, UINT64 control, UINT64 in, UINT64 out, long *vec);
/* One check: the call returns status want without an exception. */
void expect_status(const char *name, UINT64 control, UINT64 in, UINT64 out, UINT16 want);
/* GetExitStats for VP 0 through the two pages given. */
BOOLEAN exit_stats(UINT64 in_page, UINT64 out_page, struct raum_exit_stats *s, UINT64 *rax);
/* GetHealth through a page of its own; FALSE when the call failed. */
BOOLEAN get_health(struct raum_health *h, UINT64 *rax);
BOOLEAN contains(const char *hay, UINTN n, const char *needle);

/*
 * Reads Raum's log ring from the oldest byte held, line by line: calls
 * line_fn(line, len, ctx) for each complete line. FALSE when a LogRead failed.
 */
BOOLEAN log_read_lines(void (*line_fn)(const char *line, UINTN len, void *ctx), void *ctx, UINT64 *bytes);

#endif
