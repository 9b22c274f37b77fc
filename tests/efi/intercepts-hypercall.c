// SPDX-License-Identifier: MIT
/* The intercept suite (intercepts.c): the hypercalls, the exit counters, a hypercall from CPL 3. */
#include "intercepts.h"

void check_hypercalls(void)
{
	static const char hello[] = "intercept suite says hello";
	UINT64 pg = alloc_pages(4); /* in page, out page, and two more for the page-crossing block */
	UINT64 in = pg, out = pg + PAGE;
	UINT64 rax;
	long v;

	if (!pg) {
		fail("hvcall.pages", L"AllocatePages failed");
		return;
	}

	/* GetVersion */
	SetMem((void *)out, PAGE, 0xcc);
	rax = hvcall("hvcall.get_version", RAUM_CALL_GET_VERSION, 0, out, &v);
	struct raum_version *ver = (void *)out;
	if (v == NO_TRAP && (rax & 0xffff) == HV_STATUS_SUCCESS && ver->major == RAUM_VERSION_MAJOR &&
	    ver->minor == RAUM_VERSION_MINOR)
		pass("hvcall.get_version");
	else
		fail("hvcall.get_version", L"%a, RAX %lx, version %d.%d.%d vendor %d", vec_name(v), rax, ver->major,
		     ver->minor, ver->patch, ver->vendor);

	expect_status("hvcall.null_fast", RAUM_CALL_NULL | HV_HYPERCALL_FAST_BIT, 0, 0, HV_STATUS_SUCCESS);
	expect_status("hvcall.null_slow", RAUM_CALL_NULL, 0, 0, HV_STATUS_INVALID_HYPERCALL_INPUT);
	expect_status("hvcall.unknown_code", 0x3fff, 0, out, HV_STATUS_INVALID_HYPERCALL_CODE);
	expect_status("hvcall.reserved_bit", RAUM_CALL_GET_VERSION | (1ULL << 31), 0, out,
		      HV_STATUS_INVALID_HYPERCALL_INPUT);
	expect_status("hvcall.rep_count", RAUM_CALL_GET_VERSION | (1ULL << HV_HYPERCALL_REP_COUNT_SHIFT), 0, out,
		      HV_STATUS_INVALID_HYPERCALL_INPUT);
	expect_status("hvcall.out_misaligned", RAUM_CALL_GET_VERSION, 0, out + 4, HV_STATUS_INVALID_ALIGNMENT);
	expect_status("hvcall.out_crosses_page", RAUM_CALL_GET_VERSION, 0, out + PAGE - 48,
		      HV_STATUS_INVALID_ALIGNMENT);
	expect_status("hvcall.out_beyond_gpa_space", RAUM_CALL_GET_VERSION, 0, 1ULL << 52,
		      HV_STATUS_INVALID_ALIGNMENT);

	/* LogWrite, then find the text with LogRead from the oldest byte on */
	struct raum_log_write *w = (void *)in;
	ZeroMem(w, sizeof(*w));
	w->level = 2; /* info */
	w->len = sizeof(hello) - 1;
	CopyMem(w->text, (void *)hello, sizeof(hello) - 1);
	expect_status("hvcall.log_write", RAUM_CALL_LOG_WRITE, in, 0, HV_STATUS_SUCCESS);

	{
		struct raum_log_read_in *q = (void *)in;
		struct raum_log_read_out *r = (void *)out;
		static char window[64 + RAUM_LOG_READ_MAX];
		UINTN carry = 0, total = 0;
		UINT64 seq = 0, first_rax = ALL_ONES;
		BOOLEAN found = FALSE, ok = TRUE;

		for (int i = 0; i < 256 && !found; i++) {
			ZeroMem(q, sizeof(*q));
			q->seq = seq;
			q->max = RAUM_LOG_READ_MAX;
			rax = hvcall("hvcall.log_read", RAUM_CALL_LOG_READ, in, out, &v);
			if (i == 0)
				first_rax = rax;
			if (v != NO_TRAP || (rax & 0xffff) != HV_STATUS_SUCCESS || r->len > RAUM_LOG_READ_MAX) {
				ok = FALSE;
				break;
			}
			if (r->len == 0)
				break;
			CopyMem(window + carry, r->data, r->len);
			found = contains(window, carry + r->len, hello);
			total += r->len;
			/* keep the last 63 bytes: the text may straddle two reads */
			UINTN keep = carry + r->len < 63 ? carry + r->len : 63;
			CopyMem(window, window + carry + r->len - keep, keep);
			carry = keep;
			seq = r->next_seq;
		}
		if (ok && found)
			pass("hvcall.log_read");
		else
			fail("hvcall.log_read", L"first RAX %lx, last RAX %lx (%a), %ld bytes read, text %afound",
			     first_rax, rax, vec_name(v), (UINT64)total, found ? "" : "not ");
	}

	/* GetExitStats */
	struct raum_exit_stats s;
	ZeroMem(&s, sizeof(s));
	if (exit_stats(in, out, &s, &rax) && s.count[RAUM_EXIT_CPUID] > 0 && s.count[RAUM_EXIT_HYPERCALL] > 0 &&
	    s.nr_reasons == RAUM_EXIT_REASONS && s.vp_index == 0)
		pass("hvcall.exit_stats_vp0");
	else
		fail("hvcall.exit_stats_vp0", L"RAX %lx, vp %d, reasons %d, cpuid %ld, hypercall %ld", rax,
		     s.vp_index, s.nr_reasons, s.count[RAUM_EXIT_CPUID], s.count[RAUM_EXIT_HYPERCALL]);
	{
		struct raum_stats_in *q = (void *)in;
		q->vp_index = 63;
		q->reserved = 0;
		expect_status("hvcall.exit_stats_vp63", RAUM_CALL_GET_EXIT_STATS, in, out, HV_STATUS_INVALID_VP_INDEX);
	}

	/* LogRead with input and output blocks overlapping */
	{
		struct raum_log_read_in *q = (void *)out;
		ZeroMem(q, sizeof(*q));
		q->max = 16;
		expect_status("hvcall.in_out_overlap", RAUM_CALL_LOG_READ, out, out, HV_STATUS_INVALID_ALIGNMENT);
	}

	if (hv_base)
		expect_status("hvcall.out_in_hv_memory", RAUM_CALL_GET_VERSION, 0, hv_base, HV_STATUS_ACCESS_DENIED);
	else
		fail("hvcall.out_in_hv_memory", L"Raum's memory was not found in the memory map");
}

/*
 * The vendor's own intercepts were counted: the checks above made 7 SVM
 * instructions, 1 RDMSR and 2 WRMSRs that exit (AMD), or 11 VMX instructions, 3 RDMSRs
 * and 1 WRMSR, 1 MOV to CR4 and 2 XSETBVs that exit (Intel). The firmware adds to
 * none of these but the MSR counts, so at least that many must show.
 */
void check_vendor_counters(void)
{
	UINT64 pg = alloc_pages(2), rax = ALL_ONES;
	struct raum_exit_stats s;
	static const struct {
		UINT32 reason;
		const char *name;
		UINT64 amd, intel;
	} want[] = {
		{ RAUM_EXIT_SVM_INSN, "svm_insn", 7, 0 },     { RAUM_EXIT_VMX_INSN, "vmx_insn", 0, 11 },
		{ RAUM_EXIT_MSR_READ, "msr_read", 1, 3 },     { RAUM_EXIT_MSR_WRITE, "msr_write", 2, 1 },
		{ RAUM_EXIT_CR_ACCESS, "cr_access", 0, 1 }, { RAUM_EXIT_XSETBV, "xsetbv", 0, 2 },
	};
	BOOLEAN ok = TRUE;

	ZeroMem(&s, sizeof(s));
	if (!pg || !exit_stats(pg, pg + PAGE, &s, &rax)) {
		fail("hvcall.exit_stats_vendor", L"GetExitStats: RAX %lx", rax);
		return;
	}
	for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		UINT64 n = vendor == VENDOR_INTEL ? want[i].intel : want[i].amd;
		if (want[i].reason == RAUM_EXIT_XSETBV && !xsetbv_checked)
			n = 0;
		if (s.count[want[i].reason] < n) {
			fail("hvcall.exit_stats_vendor", L"%a: %ld exits counted, at least %ld expected", want[i].name,
			     s.count[want[i].reason], n);
			ok = FALSE;
		}
	}
	if (ok)
		pass("hvcall.exit_stats_vendor");
}

/* ---- 5. a hypercall from CPL 3 -------------------------------------------------------------- */

static UINT64 mk_seg(UINT64 access, UINT64 flags)
{
	return 0xffffULL | (access << 40) | (0xfULL << 48) | (flags << 52);
}

void check_cpl3(void)
{
	const char *name = "cpl3.hypercall_ud";
	/* pages: gdt, tss, idt, pml4, pdpt, pd x4, kernel stack x4, user stack */
	UINT64 base = alloc_pages(14);
	struct r3ctx ctx;

	if (!base) {
		fail(name, L"AllocatePages failed");
		return;
	}
	UINT64 *gdt = (UINT64 *)base;
	UINT8 *tss = (UINT8 *)(base + PAGE);
	UINT8 *idt = (UINT8 *)(base + 2 * PAGE);
	UINT64 *pml4 = (UINT64 *)(base + 3 * PAGE);
	UINT64 *pdpt = (UINT64 *)(base + 4 * PAGE);
	UINT64 pd = base + 5 * PAGE;
	UINT64 kstack_top = base + 13 * PAGE;
	UINT64 ustack_top = base + 14 * PAGE;
	UINT64 cr4 = read_cr4();

	if (cr4 & CR4_LA57) {
		fail(name, L"the firmware runs with 5-level paging: not supported by this test");
		return;
	}

	/* GDT: null, kernel code 0x08, kernel data 0x10, user data 0x1b, user code 0x23, TSS 0x28 */
	gdt[0] = 0;
	gdt[1] = mk_seg(0x9a, 0xa); /* P, DPL 0, code, L, G */
	gdt[2] = mk_seg(0x92, 0xc); /* P, DPL 0, data, D/B, G */
	gdt[3] = mk_seg(0xf2, 0xc); /* P, DPL 3, data */
	gdt[4] = mk_seg(0xfa, 0xa); /* P, DPL 3, code, L */
	UINT64 t = (UINT64)tss, lim = 103;
	gdt[5] = (lim & 0xffff) | ((t & 0xffffff) << 16) | (0x89ULL << 40) | (((lim >> 16) & 0xf) << 48) |
		 (((t >> 24) & 0xff) << 56);
	gdt[6] = t >> 32;
	CopyMem(tss + 4, &kstack_top, 8); /* RSP0 */
	UINT16 iopb = 104;
	CopyMem(tss + 102, &iopb, 2);

	/* page tables: the first 4 GiB identity-mapped with 2 MiB pages, user-accessible */
	pml4[0] = (UINT64)pdpt | 7;
	for (UINT64 i = 0; i < 4; i++) {
		UINT64 *d = (UINT64 *)(pd + i * PAGE);
		pdpt[i] = (pd + i * PAGE) | 7;
		for (UINT64 j = 0; j < 512; j++)
			d[j] = (i << 30 | j << 21) | 0x87; /* P, RW, US, PS */
	}

	build_idt(idt, 0x08, &ctx.my_idtr);

	ZeroMem(&ctx, __builtin_offsetof(struct r3ctx, my_idtr));
	ctx.my_cr3 = (UINT64)pml4;
	ctx.fw_cr3 = read_cr3();
	ctx.user_rsp = ustack_top - 16;
	ctx.user_rip = (UINT64)(vendor == VENDOR_INTEL ? ring3_vmcall_code : ring3_vmmcall_code);
	ctx.my_gdtr.limit = 7 * 8 - 1;
	ctx.my_gdtr.base = (UINT64)gdt;
	__asm__ volatile("sgdt %0" : "=m"(ctx.fw_gdtr));
	__asm__ volatile("sidt %0" : "=m"(ctx.fw_idtr));
	__asm__ volatile("mov %%cs, %0; mov %%ss, %1; mov %%ds, %2" : "=r"(ctx.fw_cs), "=r"(ctx.fw_ss), "=r"(ctx.fw_ds));
	__asm__ volatile("mov %%es, %0; mov %%fs, %1; mov %%gs, %2" : "=r"(ctx.fw_es), "=r"(ctx.fw_fs), "=r"(ctx.fw_gs));

	UINT64 f = irq_save();
	UINT64 fsb = rdmsr(MSR_FS_BASE), gsb = rdmsr(MSR_GS_BASE);
	write_cr4(cr4 & ~(CR4_SMEP | CR4_SMAP | CR4_PGE)); /* every page is a user page now; PGE off flushes */
	trap_vector = ALL_ONES;
	ring3_rax = ALL_ONES;
	long v = ring3_roundtrip(&ctx);
	write_cr4(cr4);
	wrmsr(MSR_FS_BASE, fsb);
	wrmsr(MSR_GS_BASE, gsb);
	irq_restore(f);

	UINT16 cs_now = read_cs();
	UINT64 call_rip = (UINT64)(vendor == VENDOR_INTEL ? ring3_vmcall : ring3_vmmcall);
	if (v == 6 && (trap_cs & 3) == 3 && trap_rip == call_rip && cs_now == ctx.fw_cs)
		pass(name);
	else
		fail(name, L"%a (vector %ld) from cs %lx at rip %lx (hypercall at %lx), error %lx, cr2 %lx, "
			   L"rax after the hypercall %lx, cs now %x",
		     vec_name(v), v, trap_cs, trap_rip, call_rip, trap_error, trap_cr2, ring3_rax, cs_now);
}
