// SPDX-License-Identifier: MIT
/*
 * The task-switch test: a GNU-EFI application started as the root OS under
 * Raum that leaves long mode for 32-bit protected mode without paging and
 * switches tasks in hardware's ways (Intel SDM vol. 3A 8.3; AMD APM vol. 2
 * 12.3): a far CALL to an available TSS (a nested task: back link, NT,
 * both busy), IRET back through NT, a far JMP there and back (busy bits
 * swapped, no back link written), INT n through a task gate in the IDT
 * and an exception with an error code (#NP) through a task gate: the error
 * code on the new task's stack, the faulting instruction retried after
 * the handler task's IRET.
 * On VT-x every one of them exits (reason 9, SDM vol. 3C 26.1.2) and Raum
 * emulates it (kernel/taskswitch.c); on SVM the CPU does them in guest
 * mode, which shows the test itself right.
 *
 * The 32-bit code (taskswitch-asm.S) is copied into pages below 4 GiB that
 * the firmware identity-maps; this file fills in its GDT (code and data
 * segments, two 32-bit TSS descriptors), its IDT (exception stubs and the
 * task gate), the TSSs and far pointers, calls it with interrupts off and
 * judges the result slots it filled (taskswitch.h). Output and exit as
 * intercepts.c: RAUM-CHECK lines, then the emulator ends.
 */
#include "lib.h"
#include "taskswitch.h"

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab);

extern char ts_blob[] HIDDEN, ts_blob_end[] HIDDEN, ts_enter[] HIDDEN, ts_gdt[] HIDDEN, ts_gdtr[] HIDDEN,
	ts_idt[] HIDDEN, ts_idtr[] HIDDEN, ts_tss1[] HIDDEN, ts_tss2[] HIDDEN, ts_res[] HIDDEN,
	ts_fp_tss1[] HIDDEN, ts_fp_tss2[] HIDDEN, ts_fp64[] HIDDEN, ts_long64[] HIDDEN, ts_exc_stubs[] HIDDEN,
	ts_stack0_top[] HIDDEN, ts_stack1_top[] HIDDEN, ts_stack2_top[] HIDDEN, ts_task2_call[] HIDDEN,
	ts_task2_jmp[] HIDDEN, ts_task2_gate[] HIDDEN, ts_t1_after_jmp[] HIDDEN, ts_task2_np[] HIDDEN;

/* 32-bit TSS (SDM vol. 3A 8.2.1 figure 8-2) */
struct tss32 {
	UINT32 link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
	UINT32 eax, ecx, edx, ebx, esp, ebp, esi, edi;
	UINT32 es, cs, ss, ds, fs, gs, ldt;
	UINT16 trap, iomap;
} __attribute__((packed));
_Static_assert(sizeof(struct tss32) == 104, "32-bit TSS");
_Static_assert(__builtin_offsetof(struct tss32, cr3) == 0x1c, "TSS CR3");
_Static_assert(__builtin_offsetof(struct tss32, eip) == 0x20, "TSS EIP");
_Static_assert(__builtin_offsetof(struct tss32, eflags) == 0x24, "TSS EFLAGS");
_Static_assert(__builtin_offsetof(struct tss32, eax) == 0x28, "TSS EAX");
_Static_assert(__builtin_offsetof(struct tss32, es) == 0x48, "TSS ES");
_Static_assert(__builtin_offsetof(struct tss32, ldt) == 0x60, "TSS LDT");
_Static_assert(__builtin_offsetof(struct tss32, iomap) == 0x66, "TSS I/O map base");

struct far32 {
	UINT32 off;
	UINT16 sel;
} __attribute__((packed));
_Static_assert(sizeof(struct far32) == 6, "m16:32");

#define AR_TSS_AVAIL 0x89 /* P, DPL 0, type 9 */
#define AR_TSS_BUSY 0x8b  /* type 11 */

static UINT8 *copy;

#define AT(sym) (copy + ((sym) - ts_blob))
#define ADDR(sym) ((UINT32)(UINTN)AT(sym))

static UINT64 seg_desc(UINT32 base, UINT32 limit, UINT8 access, UINT8 flags)
{
	return (limit & 0xffff) | ((UINT64)(base & 0xffffff) << 16) | ((UINT64)access << 40) |
	       ((UINT64)((limit >> 16) & 0xf) << 48) | ((UINT64)(flags & 0xf) << 52) | ((UINT64)(base >> 24) << 56);
}

/* gate: 32-bit interrupt gate (0x8e) or task gate (0x85, the offset unused) */
static UINT64 gate(UINT32 off, UINT16 sel, UINT8 type)
{
	return (off & 0xffff) | ((UINT64)sel << 16) | ((UINT64)type << 40) | ((UINT64)(off >> 16) << 48);
}

static void setup_blob(UINT32 cr3)
{
	UINT64 *gdt = (UINT64 *)AT(ts_gdt), *idt = (UINT64 *)AT(ts_idt);
	struct tss32 *t1 = (struct tss32 *)AT(ts_tss1), *t2 = (struct tss32 *)AT(ts_tss2);
	UINT32 *res = (UINT32 *)AT(ts_res);

	gdt[0] = 0;
	gdt[TS_SEL_CODE32 / 8] = seg_desc(0, 0xfffff, 0x9a, 0xc); /* G, D: accessed bit clear, set by the loads */
	gdt[TS_SEL_DATA32 / 8] = seg_desc(0, 0xfffff, 0x92, 0xc);
	gdt[TS_SEL_CODE64 / 8] = seg_desc(0, 0xfffff, 0x9a, 0xa); /* G, L */
	gdt[TS_SEL_TSS1 / 8] = seg_desc(ADDR(ts_tss1), sizeof(struct tss32) - 1, AR_TSS_AVAIL, 0);
	gdt[TS_SEL_TSS2 / 8] = seg_desc(ADDR(ts_tss2), sizeof(struct tss32) - 1, AR_TSS_AVAIL, 0);
	gdt[TS_SEL_NP / 8] = seg_desc(0, 0xfffff, 0x12, 0xc); /* P clear */
	*(UINT16 *)AT(ts_gdtr) = TS_GDT_LIMIT;
	*(UINT64 *)(AT(ts_gdtr) + 2) = ADDR(ts_gdt);

	for (unsigned v = 0; v < 32; v++)
		idt[v] = gate(ADDR(ts_exc_stubs) + 16 * v, TS_SEL_CODE32, 0x8e);
	idt[TS_GATE_VEC] = gate(0, TS_SEL_TSS2, 0x85);
	idt[TS_NP_VEC] = gate(0, TS_SEL_TSS2, 0x85);
	*(UINT16 *)AT(ts_idtr) = 8 * TS_IDT_ENTRIES - 1;
	*(UINT64 *)(AT(ts_idtr) + 2) = ADDR(ts_idt);

	ZeroMem(t1, sizeof(*t1));
	t1->ss0 = TS_SEL_DATA32;
	t1->esp0 = ADDR(ts_stack0_top);
	t1->cr3 = cr3;
	t1->iomap = sizeof(struct tss32);

	ZeroMem(t2, sizeof(*t2));
	t2->ss0 = TS_SEL_DATA32;
	t2->esp0 = ADDR(ts_stack0_top) - 256;
	t2->cr3 = cr3;
	t2->eip = ADDR(ts_task2_call);
	t2->eflags = 0x2; /* IF clear */
	t2->eax = TS_T2_EAX;
	t2->esi = TS_T2_ESI;
	t2->ebp = ADDR(ts_blob);
	t2->esp = ADDR(ts_stack2_top);
	t2->cs = TS_SEL_CODE32;
	t2->es = t2->ss = t2->ds = t2->fs = t2->gs = TS_SEL_DATA32;
	t2->iomap = sizeof(struct tss32);

	*(struct far32 *)AT(ts_fp_tss1) = (struct far32){ 0, TS_SEL_TSS1 };
	*(struct far32 *)AT(ts_fp_tss2) = (struct far32){ 0, TS_SEL_TSS2 };
	*(struct far32 *)AT(ts_fp64) = (struct far32){ ADDR(ts_long64), TS_SEL_CODE64 };

	for (unsigned i = 0; i < R_NSLOTS; i++)
		res[i] = 0xdeadbeef;
	res[R_STAGE] = 0;
	res[R_EXC_VEC] = 0xffffffff;
}

static const UINT32 *res;

static void check(const char *name, BOOLEAN ok, const CHAR16 *what, UINT32 got, UINT32 want)
{
	if (ok)
		pass(name);
	else
		fail(name, L"%s: %x, expected %x", what, got, want);
}

static void eq(const char *name, unsigned slot, UINT32 want, const CHAR16 *what)
{
	check(name, res[slot] == want, what, res[slot], want);
}

static void report(void)
{
	UINT32 t2eip_jmp = ADDR(ts_task2_jmp), t2eip_gate = ADDR(ts_task2_gate);

	if (res[R_EXC_VEC] != 0xffffffff)
		fail("ts-no-exception", L"exception %d in 32-bit code at stage %d; stack %x %x %x", res[R_EXC_VEC],
		     res[R_STAGE], res[R_EXC_W1], res[R_EXC_W2], res[R_EXC_W3]);
	else
		pass("ts-no-exception");
	eq("ts-all-stages", R_STAGE, 9, L"last stage reached");

	/* far CALL: task 2 runs nested (SDM 8.3 table 8-1, 8.4) */
	eq("ts-call-registers-loaded", R_C_EAX, TS_T2_EAX, L"EAX in task 2");
	eq("ts-call-esi-loaded", R_C_ESI, TS_T2_ESI, L"ESI in task 2");
	check("ts-call-nt-set", (res[R_C_EFLAGS] & RFLAGS_NT) != 0, L"EFLAGS in task 2", res[R_C_EFLAGS],
	      res[R_C_EFLAGS] | RFLAGS_NT);
	eq("ts-call-back-link", R_C_LINK, TS_SEL_TSS1, L"TSS2 back link");
	eq("ts-call-tr", R_C_TR, TS_SEL_TSS2, L"TR in task 2");
	eq("ts-call-old-busy", R_C_TSS1_AR, AR_TSS_BUSY, L"TSS1 access byte");
	eq("ts-call-new-busy", R_C_TSS2_AR, AR_TSS_BUSY, L"TSS2 access byte");
	eq("ts-call-cs", R_C_CS, TS_SEL_CODE32, L"CS in task 2");
	eq("ts-call-ss", R_C_SS, TS_SEL_DATA32, L"SS in task 2");
	check("ts-call-cr0-ts", (res[R_C_CR0] & CR0_TS) != 0, L"CR0 in task 2", res[R_C_CR0],
	      res[R_C_CR0] | CR0_TS);

	/* IRET with NT: back to task 1, task 2's state saved, its busy bit cleared */
	eq("ts-iret-esi-kept", R_1C_ESI, TS_T1_ESI, L"ESI in task 1");
	eq("ts-iret-edi-kept", R_1C_EDI, TS_T1_EDI, L"EDI in task 1");
	check("ts-iret-nt-clear", !(res[R_1C_EFLAGS] & RFLAGS_NT), L"EFLAGS in task 1", res[R_1C_EFLAGS],
	      res[R_1C_EFLAGS] & ~RFLAGS_NT);
	eq("ts-iret-tr", R_1C_TR, TS_SEL_TSS1, L"TR in task 1");
	eq("ts-iret-old-busy", R_1C_TSS1_AR, AR_TSS_BUSY, L"TSS1 access byte");
	eq("ts-iret-new-available", R_1C_TSS2_AR, AR_TSS_AVAIL, L"TSS2 access byte");
	eq("ts-iret-saved-eip", R_1C_T2EIP, t2eip_jmp, L"EIP saved in TSS2");
	eq("ts-iret-saved-eax", R_1C_T2EAX, TS_T2_EAX_NEW, L"EAX saved in TSS2");
	check("ts-iret-saved-nt-clear", !(res[R_1C_T2EFLAGS] & RFLAGS_NT), L"EFLAGS saved in TSS2",
	      res[R_1C_T2EFLAGS], res[R_1C_T2EFLAGS] & ~RFLAGS_NT);

	/* far JMP there: not nested */
	eq("ts-jmp-registers-loaded", R_J_EAX, TS_T2_EAX_NEW, L"EAX in task 2");
	check("ts-jmp-nt-clear", !(res[R_J_EFLAGS] & RFLAGS_NT), L"EFLAGS in task 2", res[R_J_EFLAGS],
	      res[R_J_EFLAGS] & ~RFLAGS_NT);
	eq("ts-jmp-no-back-link", R_J_LINK, 0, L"TSS2 back link");
	eq("ts-jmp-tr", R_J_TR, TS_SEL_TSS2, L"TR in task 2");
	eq("ts-jmp-old-available", R_J_TSS1_AR, AR_TSS_AVAIL, L"TSS1 access byte");
	eq("ts-jmp-new-busy", R_J_TSS2_AR, AR_TSS_BUSY, L"TSS2 access byte");

	/* far JMP back */
	eq("ts-jmp-back-esi-kept", R_1J_ESI, TS_T1_ESI, L"ESI in task 1");
	eq("ts-jmp-back-tr", R_1J_TR, TS_SEL_TSS1, L"TR in task 1");
	eq("ts-jmp-back-busy", R_1J_TSS1_AR, AR_TSS_BUSY, L"TSS1 access byte");
	eq("ts-jmp-back-available", R_1J_TSS2_AR, AR_TSS_AVAIL, L"TSS2 access byte");
	eq("ts-jmp-saved-eip1", R_1J_T1EIP, ADDR(ts_t1_after_jmp), L"EIP saved in TSS1");
	eq("ts-jmp-saved-eip2", R_1J_T2EIP, t2eip_gate, L"EIP saved in TSS2");

	/* INT n through a task gate: nested, then IRET */
	check("ts-gate-nt-set", (res[R_G_EFLAGS] & RFLAGS_NT) != 0, L"EFLAGS in task 2", res[R_G_EFLAGS],
	      res[R_G_EFLAGS] | RFLAGS_NT);
	eq("ts-gate-back-link", R_G_LINK, TS_SEL_TSS1, L"TSS2 back link");
	eq("ts-gate-tr", R_G_TR, TS_SEL_TSS2, L"TR in task 2");
	eq("ts-gate-old-busy", R_G_TSS1_AR, AR_TSS_BUSY, L"TSS1 access byte");
	eq("ts-gate-new-busy", R_G_TSS2_AR, AR_TSS_BUSY, L"TSS2 access byte");
	eq("ts-gate-iret-esi-kept", R_1G_ESI, TS_T1_ESI, L"ESI in task 1");
	check("ts-gate-iret-nt-clear", !(res[R_1G_EFLAGS] & RFLAGS_NT), L"EFLAGS in task 1", res[R_1G_EFLAGS],
	      res[R_1G_EFLAGS] & ~RFLAGS_NT);
	eq("ts-gate-iret-tr", R_1G_TR, TS_SEL_TSS1, L"TR in task 1");
	eq("ts-gate-iret-new-available", R_1G_TSS2_AR, AR_TSS_AVAIL, L"TSS2 access byte");

	/* #NP through a task gate: the error code on the new task's stack, the faulting MOV retried */
	eq("ts-fault-gate-error-pushed", R_N_ESP, ADDR(ts_stack2_top) - 4, L"ESP in task 2");
	eq("ts-fault-gate-error-code", R_N_ERR, TS_SEL_NP, L"error code");
	check("ts-fault-gate-nt-set", (res[R_N_EFLAGS] & RFLAGS_NT) != 0, L"EFLAGS in task 2", res[R_N_EFLAGS],
	      res[R_N_EFLAGS] | RFLAGS_NT);
	eq("ts-fault-gate-back-link", R_N_LINK, TS_SEL_TSS1, L"TSS2 back link");
	eq("ts-fault-gate-tr", R_N_TR, TS_SEL_TSS2, L"TR in task 2");
	eq("ts-fault-retried", R_1N_DS, TS_SEL_NP, L"DS after the retried MOV");
	eq("ts-fault-iret-esi-kept", R_1N_ESI, TS_T1_ESI, L"ESI in task 1");
	eq("ts-fault-iret-tr", R_1N_TR, TS_SEL_TSS1, L"TR in task 1");
	eq("ts-fault-iret-busy", R_1N_TSS1_AR, AR_TSS_BUSY, L"TSS1 access byte");
	eq("ts-fault-iret-available", R_1N_TSS2_AR, AR_TSS_AVAIL, L"TSS2 access byte");
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	char vname[13];
	UINTN size = (UINTN)(ts_blob_end - ts_blob), pages = (size + PAGE - 1) / PAGE;
	EFI_PHYSICAL_ADDRESS a = 0xffffffffULL; /* 32-bit code without paging: below 4 GiB */
	struct raum_exit_stats before, after;
	UINT64 in_page, out_page, rax;
	BOOLEAN stats_ok = FALSE;

	InitializeLib(image, systab);
	vendor = detect_vendor(vname);
	Print(L"RAUM-CHECK START task-switch suite (Raum %d.%d.%d) on %a: 32-bit TSSs, paging off\n",
	      RAUM_VERSION_MAJOR, RAUM_VERSION_MINOR, RAUM_VERSION_PATCH, vname);
	if (vendor == VENDOR_OTHER) {
		fail("setup", L"CPU vendor '%a' is neither AuthenticAMD nor GenuineIntel", vname);
		return suite_finish();
	}
	UINT64 cr3 = read_cr3();
	if ((cr3 >> 32) || (read_cr4() & CR4_PCIDE)) {
		/* CR3 is loaded in 32-bit mode on the way back; clearing CR0.PG with CR4.PCIDE set is #GP */
		fail("setup", L"CR3 %lx above 4 GiB or CR4.PCIDE set (CR4 %lx)", cr3, read_cr4());
		return suite_finish();
	}
	/* EfiLoaderCode: executable under the firmware's NX policy; never freed (TR may point into it) */
	if (EFI_ERROR(uefi_call_wrapper(BS->AllocatePages, 4, AllocateMaxAddress, EfiLoaderCode, pages, &a))) {
		fail("setup", L"AllocatePages below 4 GiB failed");
		return suite_finish();
	}
	in_page = alloc_pages(1);
	out_page = alloc_pages(1);
	copy = (UINT8 *)(UINTN)a;
	CopyMem(copy, ts_blob, size);
	setup_blob((UINT32)cr3);
	res = (const UINT32 *)AT(ts_res);
	Print(L"RAUM-TEST: blob at %lx (%d bytes), TSS1 %x, TSS2 %x\n", a, size, ADDR(ts_tss1), ADDR(ts_tss2));

	if (in_page && out_page)
		stats_ok = exit_stats(in_page, out_page, &before, &rax);
	UINT64 f = irq_save();
	((void (*)(void))AT(ts_enter))();
	irq_restore(f);
	Print(L"RAUM-TEST: back in long mode, stage %d\n", res[R_STAGE]);

	report();
	/* VT-x: each of the eight switches exited (reason 9) and Raum counted it as "other" */
	if (vendor == VENDOR_INTEL) {
		if (!stats_ok || !exit_stats(in_page, out_page, &after, &rax))
			fail("ts-exits-counted", L"GetExitStats failed: RAX %lx", rax);
		else {
			UINT64 n = after.count[RAUM_EXIT_OTHER] - before.count[RAUM_EXIT_OTHER];
			check("ts-exits-counted", n >= 8, L"other exits during the test (at least)", (UINT32)n, 8);
		}
	}
	return suite_finish();
}
