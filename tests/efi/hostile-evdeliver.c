// SPDX-License-Identifier: MIT
/*
 * The hostile-root suite: events whose delivery touches Raum's memory. The
 * suite builds an IDT that straddles two pages of a private linear window:
 * the gates of vectors 0-13 (#DB, #UD, #DF and #GP among them, good ones)
 * on a page of its own, those of vectors 14-255 on Raum's canary page,
 * which the SLAT does not map. Raum must neither map the page nor treat the
 * instruction at RIP as the access (it has nothing to do with it): the
 * delivery faults, as on hardware where the gate cannot be used (Raum's
 * rule: include/raum/evdeliver.h, docs/security.md):
 *
 *   INT 0x40       software interrupt: #GP(0x40 * 8 + 2), EXT clear, at the INT;
 *   #PF            (a load from a page the window leaves out): #PF then #GP
 *                  is a double fault (SDM vol. 3A table 6-5): #DF(0);
 *   #MF            (x87 divide by zero, unmasked): benign, so #GP(16 * 8 + 3).
 *
 * Before the fix Raum re-injected the event and also decoded the
 * instruction at RIP as the access: the event met the unmapped gate again,
 * for ever (the suite hung). Each attack is judged by GetHealth afterwards
 * (Raum alive, canary intact). Last in the suite but the log check: it
 * hangs an unhardened Raum.
 */
#include "hostile.h"

#define WIN 0xffffff8000000000ULL /* PML4 slot 511: unused by the firmware's identity map */
#define SPLIT 14                  /* the first vector whose gate lies on the canary page */
#define IDT_BASE (WIN + PAGE - SPLIT * 16)
#define PTE_P 1ULL
#define PTE_W 2ULL

extern char evd_int40[] HIDDEN, evd_pf[] HIDDEN, evd_mf[] HIDDEN, evd_int40_insn[] HIDDEN;

__asm__(".text\n"
	".globl evd_int40, evd_int40_insn, evd_pf, evd_mf\n"
	".hidden evd_int40, evd_int40_insn, evd_pf, evd_mf\n"
	"evd_int40:\n"
	"evd_int40_insn:\n"
	"	int $0x40\n"
	"	ret\n"
	"evd_pf:\n"
	"	movabs $0xffffff8000002000, %rax\n" /* WIN + 2 pages: not present */
	"	mov (%rax), %rax\n"
	"	ret\n"
	"evd_mf:\n" /* 1 / 0 with ZE unmasked (CW 0x37b), raised at FWAIT */
	"	sub $8, %rsp\n"
	"	movw $0x37b, (%rsp)\n"
	"	fninit\n"
	"	fldcw (%rsp)\n"
	"	movq $0, (%rsp)\n"
	"	fld1\n"
	"	fdivl (%rsp)\n"
	"	fwait\n"
	"	add $8, %rsp\n"
	"	ret\n");

static UINT64 *pml4, *pdpt, *pd, *pt;
static UINT8 *gates;

static inline UINT64 read_cr0(void)
{
	UINT64 v;
	__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}

/* Runs fn under the straddling IDT and the window's page tables, interrupts off; the vector or NO_TRAP. */
static long attack(void (*fn)(void *))
{
	struct dtr old_idt, idt = { PAGE - 1, IDT_BASE };
	UINT64 f = irq_save(), cr3 = read_cr3();
	long v;

	__asm__ volatile("sidt %0" : "=m"(old_idt));
	__asm__ volatile("mov %0, %%cr3" ::"r"((UINT64)pml4 | (cr3 & 0xfff)) : "memory");
	__asm__ volatile("lidt %0" ::"m"(idt) : "memory");
	trap_vector = ALL_ONES;
	v = trap_try(fn, NULL);
	__asm__ volatile("lidt %0" ::"m"(old_idt) : "memory");
	__asm__ volatile("mov %0, %%cr3" ::"r"(cr3) : "memory");
	irq_restore(f);
	return v;
}

static BOOLEAN setup(void)
{
	UINT64 base = alloc_pages(5);

	if (!base)
		return FALSE;
	pml4 = (UINT64 *)base;
	pdpt = (UINT64 *)(base + PAGE);
	pd = (UINT64 *)(base + 2 * PAGE);
	pt = (UINT64 *)(base + 3 * PAGE);
	gates = (UINT8 *)(base + 4 * PAGE);
	CopyMem(pml4, (void *)(read_cr3() & ~0xfffULL & ((1ULL << 52) - 1)), PAGE);
	pml4[511] = (UINT64)pdpt | PTE_P | PTE_W;
	pdpt[0] = (UINT64)pd | PTE_P | PTE_W;
	pd[0] = (UINT64)pt | PTE_P | PTE_W;
	pt[0] = (UINT64)gates | PTE_P | PTE_W; /* vectors 0-13 */
	pt[1] = canary_phys | PTE_P;           /* vectors 14-255: Raum's memory */
	/* pt[2]: not present, for the #PF */
	UINT8 *idt = gates + PAGE - SPLIT * 16;
	set_gate(idt, 1, trap_stub1, read_cs());
	set_gate(idt, 6, trap_stub6, read_cs());
	set_gate(idt, 8, trap_stub8, read_cs());
	set_gate(idt, 13, trap_stub13, read_cs());
	return TRUE;
}

void hostile_evdeliver(void)
{
	struct snap a;
	long v;

	if (read_cr4() & CR4_LA57) {
		Print(L"RAUM-CHECK INFO evdeliver skipped: 5-level paging\n");
		return;
	}
	if (!setup()) {
		snap(&a);
		judge("evdeliver.setup", FALSE, &a, L"AllocatePages failed");
		return;
	}

	v = attack((void (*)(void *))evd_int40);
	snap(&a);
	judge("evdeliver.int_gate_unmapped", v == 13 && trap_error == 0x202 && trap_rip == (UINT64)evd_int40_insn, &a,
	      L"INT 0x40, gate on Raum's page: %a error %lx at rip %lx (want #GP 202 at %lx)", vec_name(v),
	      trap_error, trap_rip, (UINT64)evd_int40_insn);

	v = attack((void (*)(void *))evd_pf);
	snap(&a);
	judge("evdeliver.pf_gate_unmapped_df", v == 8 && trap_error == 0, &a,
	      L"#PF, gate on Raum's page: %a error %lx (want #DF 0)", vec_name(v), trap_error);

	if (read_cr0() & (1ULL << 5)) { /* CR0.NE: #MF, not FERR# */
		UINT16 cw;
		__asm__ volatile("fnstcw %0" : "=m"(cw));
		v = attack((void (*)(void *))evd_mf);
		__asm__ volatile("fnclex; fldcw %0" ::"m"(cw));
		snap(&a);
		judge("evdeliver.mf_gate_unmapped", v == 13 && trap_error == 0x83, &a,
		      L"#MF, gate on Raum's page: %a error %lx (want #GP 83)", vec_name(v), trap_error);
	}
}
