// SPDX-License-Identifier: MIT
/*
 * The hostile-root suite: CR0 / CR4 / EFER writes the CPU refuses with
 * #GP(0) (Raum's rules: include/raum/crrules.h, docs/security.md). Each must
 * raise #GP, leave the register as it was, keep Raum running (the suite goes
 * on and GetHealth answers) and Raum's canary intact. Before the rules, such
 * a write reached the VMCB / VMCS and the next VMRUN / VM entry failed: Raum
 * stopped the CPU.
 *
 *   EFER (both vendors; on AMD Raum performs every EFER write, on Intel the
 *   CPU does): each optional AMD bit (LMSLE, FFXSR, TCE, MCOMMIT, INTWB, UAIE,
 *   AIBRSE) that CPUID says this CPU lacks must raise #GP; one CPUID says it
 *   has must either raise #GP (Raum found the CPU does not keep it) or stick
 *   (it is then put back); an architecturally reserved bit and EFER.LME
 *   cleared while paging is on must raise #GP.
 *
 *   CR0 on Intel, through Raum: a MOV to CR0 exits only when a bit of the
 *   guest-host mask changes, and NE is in it on every VT-x CPU (CR0_FIXED0),
 *   so the bad values are written with NE flipped: PG cleared in 64-bit code
 *   (a correct Raum refuses it; an unhardened one switches paging off under
 *   this code and the suite dies), NW without CD, PG without PE, bit 32.
 *
 *   CR4 on Intel, by the CPU: every CR4 write that exits sets VMXE or a bit
 *   FIXED1 forbids (both reserved for the root), so PAE cleared in long mode,
 *   PCIDE with CR3[11:0] != 0 and a reserved bit are checked by the CPU; the
 *   suite checks Raum survives them and that the register is unchanged.
 *
 * Every attempt runs with interrupts off under the suite's IDT (guarded);
 * a write that unexpectedly succeeds is put back at once.
 */
#include "hostile.h"


static inline UINT64 read_cr0(void)
{
	UINT64 v;
	__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}

static void do_write_cr0(void *a) { __asm__ volatile("mov %0, %%cr0" ::"r"(*(UINT64 *)a) : "memory"); }
static void do_write_cr4(void *a) { __asm__ volatile("mov %0, %%cr4" ::"r"(*(UINT64 *)a) : "memory"); }
static void do_write_cr3(void *a) { __asm__ volatile("mov %0, %%cr3" ::"r"(*(UINT64 *)a) : "memory"); }

/* ---- EFER --------------------------------------------------------------------- */

struct efer_bit {
	const char *name;
	unsigned bit;
	UINT32 leaf;  /* CPUID leaf that reports it */
	int reg;      /* 1 EBX, 2 ECX, 3 EDX, 0 EAX */
	unsigned cbit;
	BOOLEAN inverted; /* the CPUID bit says "unsupported" (EferLmsleUnsupported) */
};

static const struct efer_bit efer_bits[] = {
	{ "efer.lmsle", 13, 0x80000008, 1, 20, TRUE },
	{ "efer.ffxsr", 14, 0x80000001, 3, 25, FALSE },
	{ "efer.tce", 15, 0x80000001, 2, 17, FALSE },
	{ "efer.mcommit", 17, 0x80000008, 1, 8, FALSE },
	{ "efer.intwb", 18, 0x80000008, 1, 13, FALSE },
	{ "efer.uaie", 20, 0x80000021, 0, 7, FALSE },
	{ "efer.aibrse", 21, 0x80000021, 0, 8, FALSE },
};

static UINT32 ext_max;

static BOOLEAN cpu_has(const struct efer_bit *b)
{
	UINT32 r[4] = { 0, 0, 0, 0 };

	if (vendor != VENDOR_AMD)
		return FALSE; /* Intel: IA32_EFER 63:12 are reserved */
	if (b->leaf <= ext_max)
		cpuid(b->leaf, 0, r);
	BOOLEAN set = (r[b->reg] >> b->cbit) & 1;
	return b->inverted ? !set : set;
}

/*
 * One EFER write: must_fault says a #GP is the only right answer; otherwise a
 * #GP or a write that sticks (then put back) both pass.
 */
static void efer_try(const char *name, UINT64 val, BOOLEAN must_fault)
{
	struct snap b, a;
	UINT64 orig = rdmsr(MSR_EFER);
	struct msr_op op = { MSR_EFER, val };
	UINT64 f = irq_save();

	snap(&b);
	long v = guarded(do_wrmsr, &op);
	UINT64 after = rdmsr(MSR_EFER);
	if (v == NO_TRAP && after != orig) {
		struct msr_op back = { MSR_EFER, orig };
		guarded(do_wrmsr, &back);
	}
	UINT64 restored = rdmsr(MSR_EFER);
	snap(&a);
	irq_restore(f);
	BOOLEAN ok = v == 13 ? after == orig
			     : !must_fault && v == NO_TRAP && (after & ~EFER_LMA) == (val & ~EFER_LMA) &&
				       restored == orig;
	judge(name, ok && b.ok, &a, L"WRMSR EFER %lx (was %lx): %a (expected #GP%a); EFER %lx after, %lx restored",
	      val, orig, vec_name(v), must_fault ? "" : " or the bit kept", after, restored);
}

static void hostile_efer(void)
{
	UINT64 efer = rdmsr(MSR_EFER);
	UINT32 r[4];

	cpuid(0x80000000, 0, r);
	ext_max = r[0];
	for (unsigned i = 0; i < ARRAY_LEN(efer_bits); i++) {
		const struct efer_bit *e = &efer_bits[i];
		if (efer & (1ULL << e->bit))
			continue; /* already on: nothing to refuse */
		BOOLEAN has = cpu_has(e);
		char name[48];
		UINTN n = 0;
		for (const char *p = e->name; *p && n < 30; p++)
			name[n++] = *p;
		for (const char *p = has ? "_cpuid_has" : "_refused"; *p; p++)
			name[n++] = *p;
		name[n] = 0;
		efer_try(name, efer | (1ULL << e->bit), !has);
	}
	efer_try("efer.reserved_bit63_refused", efer | (1ULL << 63), TRUE);
	efer_try("efer.reserved_bit9_refused", efer | (1ULL << 9), TRUE);
	/* APM vol. 2 14.6.1, SDM vol. 3A 10.8.5: LME cannot change while CR0.PG = 1 */
	if (efer & EFER_LME)
		efer_try("efer.lme_cleared_under_paging_refused", efer & ~EFER_LME, TRUE);
}

/* ---- CR0 / CR4 (Intel) -------------------------------------------------------------- */

static void cr_try(const char *name, int cr, UINT64 val)
{
	struct snap b, a;
	UINT64 orig = cr == 0 ? read_cr0() : read_cr4();
	UINT64 f = irq_save();

	snap(&b);
	long v = guarded(cr == 0 ? do_write_cr0 : do_write_cr4, &val);
	UINT64 after = cr == 0 ? read_cr0() : read_cr4();
	if (v == NO_TRAP)
		guarded(cr == 0 ? do_write_cr0 : do_write_cr4, &orig);
	snap(&a);
	irq_restore(f);
	judge(name, v == 13 && after == orig && b.ok, &a, L"MOV to CR%d %lx (was %lx): %a (expected #GP); CR%d %lx after",
	      cr, val, orig, vec_name(v), cr, after);
}

static void hostile_cr_intel(void)
{
	UINT64 cr0 = read_cr0(), cr4 = read_cr4(), cr3 = read_cr3();
	UINT64 efer = rdmsr(MSR_EFER);
	UINT32 r[4];

	if (!(efer & EFER_LMA) || !(cr0 & CR0_PG)) {
		Print(L"RAUM-CHECK INFO not in long mode (EFER %lx, CR0 %lx): CR rules not checked\n", efer, cr0);
		return;
	}
	/* through Raum: NE flipped, so that the write exits (NE is in the CR0 guest-host mask) */
	cr_try("cr0.nw_without_cd_refused", 0, ((cr0 ^ CR0_NE) | CR0_NW) & ~CR0_CD);
	cr_try("cr0.pg_without_pe_refused", 0, (cr0 ^ CR0_NE) & ~CR0_PE);
	cr_try("cr0.bit32_refused", 0, cr0 | (1ULL << 32));
	/* by the CPU: no masked bit changes */
	cr_try("cr0.nw_without_cd_native_refused", 0, (cr0 | CR0_NW) & ~CR0_CD);

	/* CR4, by the CPU (see the header) */
	cr_try("cr4.pae_cleared_in_long_mode_refused", 4, cr4 & ~CR4_PAE);
	cr_try("cr4.reserved_bit31_refused", 4, cr4 | (1ULL << 31));
	cr_try("cr4.vmxe_refused", 4, cr4 | (1ULL << 13));
	cpuid(1, 0, r);
	if ((r[2] & (1U << 17)) && !(cr4 & CR4_PCIDE)) {
		/* CR3[11:0] != 0 (PWT, bit 3: harmless for the top-level table), then PCIDE: #GP (SDM 4.10.1) */
		UINT64 cr3_pwt = cr3 | (1ULL << 3);
		UINT64 f = irq_save();
		guarded(do_write_cr3, &cr3_pwt);
		cr_try("cr4.pcide_with_cr3_low_bits_refused", 4, cr4 | CR4_PCIDE);
		guarded(do_write_cr3, &cr3);
		irq_restore(f);
	}

	/* last: an unhardened Raum turns paging off under this code and the suite ends here */
	cr_try("cr0.pg_cleared_in_64bit_code_refused", 0, (cr0 ^ CR0_NE) & ~CR0_PG);
}

void hostile_cpustate(void)
{
	UINT32 r1[4], r7[4], r71[4] = { 0, 0, 0, 0 }, e1[4] = { 0, 0, 0, 0 }, e8[4] = { 0, 0, 0, 0 },
				      e21[4] = { 0, 0, 0, 0 }, m[4];

	cpuid(0, 0, m);
	cpuid(1, 0, r1);
	cpuid(7, 0, r7);
	if (m[0] >= 7 && r7[0] >= 1)
		cpuid(7, 1, r71);
	cpuid(0x80000000, 0, m);
	if (m[0] >= 0x80000001)
		cpuid(0x80000001, 0, e1);
	if (m[0] >= 0x80000008)
		cpuid(0x80000008, 0, e8);
	if (m[0] >= 0x80000021)
		cpuid(0x80000021, 0, e21);
	Print(L"RAUM-CHECK INFO cpustate: CPUID 1 ecx %08x edx %08x; 7.0 ebx %08x ecx %08x edx %08x; 7.1 eax %08x; "
	      L"80000001 ecx %08x edx %08x; 80000008 ebx %08x; 80000021 eax %08x\n",
	      r1[2], r1[3], r7[1], r7[2], r7[3], r71[0], e1[2], e1[3], e8[1], e21[0]);
	Print(L"RAUM-CHECK INFO cpustate: CR0 %lx CR3 %lx CR4 %lx EFER %lx\n", read_cr0(), read_cr3(), read_cr4(),
	      rdmsr(MSR_EFER));
	hostile_efer();
	if (vendor == VENDOR_INTEL)
		hostile_cr_intel();
}
