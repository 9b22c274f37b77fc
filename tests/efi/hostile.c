// SPDX-License-Identifier: MIT
/*
 * The hostile-root suite: a GNU-EFI application started as the root OS under
 * Raum that attacks the hypervisor from inside the root partition and checks
 * that each attack was refused or defused, through Raum's own account of it:
 * after every attack it calls GetHealth (0x4006) and requires Raum's canary
 * page intact (canary_ok == 1), and the counters show Raum's decision (an
 * emulator's own #GP alone proves nothing: QEMU and Bochs answer many MSRs
 * with #GP themselves). At the end Raum's log (LogRead) must hold no line
 * that speaks of a fault, a panic or an exception.
 *
 *   hostile-msr.c      MSR writes that would hand Raum's memory to a device
 *                      or the CPU (APIC base, Intel PT, DS, microcode, AMD
 *                      IORRs, TOP_MEM ...) are refused and counted; MTRRs
 *                      are shadowed; allowed MSRs still work;
 *   hostile-invd.c     INVD is done as WBINVD;
 *   hostile-apic.c     the read-only xAPIC page (INIT / SIPI are Raum's): odd writes, RMW, ICR, base;
 *   hostile-xsetbv.c   invalid XCR0 values are refused by Raum's checks;
 *   hostile-cpustate.c CR0 / CR4 / EFER values the CPU refuses get #GP
 *                      (Raum's rules, kernel/crrules.c), Raum keeps running;
 *   hostile-buffers.c  hypercall blocks on MMIO, holes, beyond RAM, beyond
 *                      the GPA limit and on Raum's canary are refused;
 *   hostile-evdeliver.c an IDT gate on Raum's memory: the event's delivery
 *                      faults (#GP with the IDT error code, #DF), nothing else;
 *   hostile-deposit.c  deposited pages are Raum's at once (reads all-ones,
 *                      blocks refused), refusals of every bad page and shape,
 *                      rep continuation, withdrawal scrubs.
 *
 * Output and exit as intercepts.c (RAUM-CHECK lines, then the emulator ends).
 */
#include "hostile.h"

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab);

UINT64 canary_phys;
UINT32 phys_bits;

void snap(struct snap *s)
{
	ZeroMem(&s->h, sizeof(s->h));
	s->ok = get_health(&s->h, &s->rax);
}

void judge(const char *name, BOOLEAN ok, const struct snap *after, const CHAR16 *fmt, ...)
{
	CHAR16 buf[300];
	va_list ap;

	va_start(ap, fmt);
	UnicodeVSPrint(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (!after->ok)
		fail(name, L"GetHealth after the attack failed: RAX %lx (%s)", after->rax, buf);
	else if (after->h.canary_ok != 1)
		fail(name, L"Raum's canary at %lx damaged (canary_ok %d): %s", after->h.canary_phys, after->h.canary_ok,
		     buf);
	else if (!ok)
		fail(name, L"%s", buf);
	else
		pass(name);
}

static void check_initial_health(void)
{
	struct snap s;
	UINT32 r[4];

	cpuid(0x80000000, 0, r);
	if (r[0] >= 0x80000008) {
		cpuid(0x80000008, 0, r);
		phys_bits = r[0] & 0xff;
	} else {
		phys_bits = 36;
	}
	snap(&s);
	canary_phys = s.ok ? s.h.canary_phys : 0;
	Print(L"RAUM-CHECK INFO canary at %lx, physical address bits %d, msr_denied %ld, buffers_refused %ld, "
	      L"fixups %ld, invd %ld, mtrr_writes %ld\n",
	      canary_phys, phys_bits, s.h.msr_denied, s.h.buffers_refused, s.h.fixups, s.h.invd, s.h.mtrr_writes);
	judge("health.initial", canary_phys && !(canary_phys & (PAGE - 1)), &s, L"canary_phys %lx", canary_phys);
}

/* ---- Raum's log -------------------------------------------------------------------- */

struct log_scan {
	UINTN lines, bad;
	char first[120];
};

static void scan_line(const char *line, UINTN len, void *ctx)
{
	static const char *const words[] = { "fault", "Fault", "PANIC", "exception", "Exception" };
	struct log_scan *s = ctx;

	s->lines++;
	for (unsigned i = 0; i < ARRAY_LEN(words); i++) {
		if (!contains(line, len, words[i]))
			continue;
		if (!s->bad++) {
			UINTN n = len < sizeof(s->first) - 1 ? len : sizeof(s->first) - 1;
			CopyMem(s->first, (void *)line, n);
			s->first[n] = 0;
		}
		return;
	}
}

void hostile_log(void)
{
	struct log_scan s = { 0, 0, "" };
	UINT64 bytes = 0;
	struct snap a;

	BOOLEAN ok = log_read_lines(scan_line, &s, &bytes);
	snap(&a);
	judge("log.clean", ok && s.lines > 0 && s.bad == 0, &a,
	      L"LogRead %a, %ld bytes, %ld lines, %ld with fault/PANIC/exception, first: '%a'", ok ? "ok" : "failed",
	      bytes, (UINT64)s.lines, (UINT64)s.bad, s.first);
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	char vname[13];

	InitializeLib(image, systab);
	vendor = detect_vendor(vname);
	Print(L"RAUM-CHECK START hostile-root suite (Raum %d.%d.%d) on %a: hypercalls by %a\n", RAUM_VERSION_MAJOR,
	      RAUM_VERSION_MINOR, RAUM_VERSION_PATCH, vname, vendor == VENDOR_INTEL ? "VMCALL" : "VMMCALL");
	if (!suite_setup(vname))
		goto done;

	check_initial_health();
	if (!canary_phys)
		goto done;
	/* the order puts last what kills an unhardened Raum, so that the rest still reports */
	hostile_msr();
	hostile_invd();
	hostile_buffers();
	hostile_xsetbv();
	hostile_cpustate();
	hostile_dbgpmu();
	hostile_apic();
	hostile_pci();
	hostile_deposit();
	hostile_partitions();
	hostile_buffers_far();
	hostile_evdeliver();
	hostile_log();

done:
	return suite_finish();
}
