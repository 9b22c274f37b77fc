// SPDX-License-Identifier: MIT
/* The shared library of the guest-side suites: see lib.h. */
#include "lib.h"

/* ---- reporting ------------------------------------------------------------ */

unsigned n_pass, n_fail;

void pass(const char *name)
{
	Print(L"RAUM-CHECK PASS %a\n", name);
	n_pass++;
}

void fail(const char *name, const CHAR16 *fmt, ...)
{
	CHAR16 buf[300];
	va_list ap;

	va_start(ap, fmt);
	UnicodeVSPrint(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	Print(L"RAUM-CHECK FAIL %a: %s\n", name, buf);
	n_fail++;
}

const char *vec_name(long v)
{
	switch (v) {
	case NO_TRAP: return "no exception";
	case 1: return "#DB";
	case 8: return "#DF";
	case 6: return "#UD";
	case 13: return "#GP";
	case 14: return "#PF";
	default: return "?";
	}
}

EFI_STATUS suite_finish(void)
{
	Print(L"RAUM-CHECK DONE %d passed, %d failed\n", n_pass, n_fail);
	emu_exit(n_fail ? EMU_EXIT_FAIL : EMU_EXIT_PASS); /* QEMU exits with status 35 or 33 */
	return n_fail ? EFI_ABORTED : EFI_SUCCESS;
}

/* ---- CPU helpers ------------------------------------------------------------ */

enum vendor vendor;

enum vendor detect_vendor(char name[13])
{
	UINT32 r[4];

	cpuid(0, 0, r);
	CopyMem(name, &r[1], 4);
	CopyMem(name + 4, &r[3], 4);
	CopyMem(name + 8, &r[2], 4);
	name[12] = 0;
	if (r[1] == 0x68747541 && r[3] == 0x69746e65 && r[2] == 0x444d4163)
		return VENDOR_AMD;
	if (r[1] == 0x756e6547 && r[3] == 0x49656e69 && r[2] == 0x6c65746e)
		return VENDOR_INTEL;
	return VENDOR_OTHER;
}

UINT64 alloc_pages(UINTN n)
{
	EFI_PHYSICAL_ADDRESS a = 0xffffffffULL; /* below 4 GiB: the ring-3 page tables map only that */
	EFI_STATUS st = uefi_call_wrapper(BS->AllocatePages, 4, AllocateMaxAddress, EfiLoaderData, n, &a);
	if (EFI_ERROR(st))
		return 0;
	ZeroMem((void *)a, n * PAGE);
	return a;
}

/* ---- the ring-0 exception trap ---------------------------------------------- */

static UINT8 *idt_page;
static struct dtr fw_idtr, my_idtr;

void set_gate(UINT8 *idt, unsigned vec, const void *handler, UINT16 sel)
{
	UINT64 off = (UINT64)handler;
	UINT64 lo = (off & 0xffff) | ((UINT64)sel << 16) | (0x8eULL << 40) | (((off >> 16) & 0xffff) << 48);
	UINT64 hi = off >> 32;

	CopyMem(idt + 16 * vec, &lo, 8);
	CopyMem(idt + 16 * vec + 8, &hi, 8);
}

void build_idt(UINT8 *idt, UINT16 sel, struct dtr *out)
{
	struct dtr fw;
	UINTN n;

	__asm__ volatile("sidt %0" : "=m"(fw));
	n = (UINTN)fw.limit + 1;
	if (n > PAGE)
		n = PAGE;
	ZeroMem(idt, PAGE);
	CopyMem(idt, (void *)fw.base, n);
	set_gate(idt, 1, trap_stub1, sel);
	set_gate(idt, 6, trap_stub6, sel);
	set_gate(idt, 8, trap_stub8, sel);
	set_gate(idt, 13, trap_stub13, sel);
	set_gate(idt, 14, trap_stub14, sel);
	out->limit = PAGE - 1;
	out->base = (UINT64)idt;
}

BOOLEAN suite_setup(char vname[13])
{
	vendor = detect_vendor(vname);
	if (vendor == VENDOR_OTHER) {
		fail("setup", L"CPU vendor '%a' is neither AuthenticAMD nor GenuineIntel", vname);
		return FALSE;
	}
	idt_page = (UINT8 *)alloc_pages(1);
	if (!idt_page) {
		fail("setup", L"AllocatePages failed");
		return FALSE;
	}
	build_idt(idt_page, read_cs(), &my_idtr);
	return TRUE;
}

long guarded(void (*fn)(void *), void *arg)
{
	UINT64 f = irq_save();
	long v;

	__asm__ volatile("sidt %0" : "=m"(fw_idtr));
	__asm__ volatile("lidt %0" ::"m"(my_idtr) : "memory");
	trap_vector = ALL_ONES;
	v = trap_try(fn, arg);
	__asm__ volatile("lidt %0" ::"m"(fw_idtr) : "memory");
	irq_restore(f);
	return v;
}

void do_rdmsr(void *a)
{
	struct msr_op *o = a;
	o->val = rdmsr(o->msr);
}

void do_wrmsr(void *a)
{
	struct msr_op *o = a;
	wrmsr(o->msr, o->val);
}

void do_xsetbv(void *a)
{
	struct xcr_op *o = a;
	__asm__ volatile("xsetbv" ::"c"(o->idx), "a"((UINT32)o->val), "d"((UINT32)(o->val >> 32)) : "memory");
}

/* ---- hypercalls ------------------------------------------------------------------ */

struct hc {
	UINT64 control, in, out, rax;
};

static void do_hvcall(void *a)
{
	struct hc *h = a;
	register UINT64 r8 __asm__("r8") = h->out;
	UINT64 rcx = h->control, rdx = h->in, rax;

	if (vendor == VENDOR_INTEL)
		__asm__ volatile("vmcall" : "=a"(rax), "+c"(rcx), "+d"(rdx), "+r"(r8) : : "memory");
	else
		__asm__ volatile("vmmcall" : "=a"(rax), "+c"(rcx), "+d"(rdx), "+r"(r8) : : "memory");
	h->rax = rax;
}

UINT64 hvcall(const char *name, UINT64 control, UINT64 in, UINT64 out, long *vec)
{
	struct hc h = { control, in, out, ALL_ONES };
	long v = guarded(do_hvcall, &h);

	*vec = v;
	(void)name;
	return v == NO_TRAP ? h.rax : ALL_ONES;
}

void expect_status(const char *name, UINT64 control, UINT64 in, UINT64 out, UINT16 want)
{
	long v;
	UINT64 rax = hvcall(name, control, in, out, &v);

	if (v == NO_TRAP && (rax & HV_HYPERCALL_RESULT_MASK) == want)
		pass(name);
	else if (v != NO_TRAP)
		fail(name, L"control %lx: %a at rip %lx", control, vec_name(v), trap_rip);
	else
		fail(name, L"control %lx in %lx out %lx: RAX %lx, expected status %x", control, in, out, rax, want);
}

BOOLEAN exit_stats(UINT64 in_page, UINT64 out_page, struct raum_exit_stats *s, UINT64 *rax)
{
	struct raum_stats_in *q = (void *)in_page;
	long v;

	q->vp_index = 0;
	q->reserved = 0;
	*rax = hvcall("stats", RAUM_CALL_GET_EXIT_STATS, in_page, out_page, &v);
	if (v != NO_TRAP || (*rax & 0xffff) != HV_STATUS_SUCCESS)
		return FALSE;
	CopyMem(s, (void *)out_page, sizeof(*s));
	return TRUE;
}

BOOLEAN get_health(struct raum_health *h, UINT64 *rax)
{
	static UINT64 page;
	long v;

	if (!page)
		page = alloc_pages(1);
	if (!page) {
		*rax = ALL_ONES;
		return FALSE;
	}
	SetMem((void *)page, sizeof(*h), 0xcc);
	*rax = hvcall("health", RAUM_CALL_GET_HEALTH, 0, page, &v);
	if (v != NO_TRAP || (*rax & 0xffff) != HV_STATUS_SUCCESS)
		return FALSE;
	CopyMem(h, (void *)page, sizeof(*h));
	return TRUE;
}

BOOLEAN contains(const char *hay, UINTN n, const char *needle)
{
	UINTN m = 0;

	while (needle[m])
		m++;
	for (UINTN i = 0; i + m <= n; i++) {
		UINTN j = 0;
		while (j < m && hay[i + j] == needle[j])
			j++;
		if (j == m)
			return TRUE;
	}
	return FALSE;
}

BOOLEAN log_read_lines(void (*line_fn)(const char *line, UINTN len, void *ctx), void *ctx, UINT64 *bytes)
{
	static char line[512];
	UINT64 pg = alloc_pages(2), seq = 0, rax;
	UINTN n = 0;
	long v;

	*bytes = 0;
	if (!pg)
		return FALSE;
	struct raum_log_read_in *q = (void *)pg;
	struct raum_log_read_out *r = (void *)(pg + PAGE);
	for (int i = 0; i < 1024; i++) {
		ZeroMem(q, sizeof(*q));
		q->seq = seq;
		q->max = RAUM_LOG_READ_MAX;
		rax = hvcall("log_read", RAUM_CALL_LOG_READ, pg, pg + PAGE, &v);
		if (v != NO_TRAP || (rax & 0xffff) != HV_STATUS_SUCCESS || r->len > RAUM_LOG_READ_MAX)
			return FALSE;
		if (r->len == 0)
			break;
		for (UINT32 k = 0; k < r->len; k++) {
			char ch = r->data[k];
			if (ch == '\n') {
				line_fn(line, n, ctx);
				n = 0;
			} else if (n < sizeof(line)) {
				line[n++] = ch; /* longer lines are cut: the patterns searched for are short */
			}
		}
		*bytes += r->len;
		seq = r->next_seq;
	}
	if (n)
		line_fn(line, n, ctx);
	return TRUE;
}
