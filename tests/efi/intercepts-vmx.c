// SPDX-License-Identifier: MIT
/* The intercept suite (intercepts.c): Intel: CR4.VMXE, every VMX instruction raises #UD, XSETBV. */
#include "intercepts.h"

static UINT64 cr4_val;

static void do_write_cr4(void *a __attribute__((unused))) { write_cr4(cr4_val); }

void check_cr4_vmxe(void)
{
	UINT64 cr4 = read_cr4(), after;
	long v;

	if (!(cr4 & CR4_VMXE))
		pass("cr4.vmxe_hidden");
	else
		fail("cr4.vmxe_hidden", L"CR4 %lx has VMXE (bit 13) set", cr4);

	cr4_val = cr4 | CR4_VMXE;
	v = guarded(do_write_cr4, NULL);
	after = read_cr4();
	if (v == 13 && after == cr4)
		pass("cr4.write_vmxe_gp");
	else
		fail("cr4.write_vmxe_gp", L"MOV CR4, %lx: %a (expected #GP); CR4 %lx before, %lx after", cr4_val,
		     vec_name(v), cr4, after);

	cr4_val = cr4 & ~CR4_VMXE;
	v = guarded(do_write_cr4, NULL);
	after = read_cr4();
	if (v == NO_TRAP && after == cr4_val)
		pass("cr4.write_same");
	else
		fail("cr4.write_same", L"MOV CR4, %lx: %a; CR4 %lx after", cr4_val, vec_name(v), after);
}

static UINT64 vmx_page; /* memory operands: a VMCS-sized page, INVEPT / INVVPID descriptors */
static volatile UINT64 vmx_after;

static void do_vmxon(void *a __attribute__((unused)))
{
	__asm__ volatile("vmxon %0" ::"m"(vmx_page) : "cc", "memory");
	vmx_after = 1;
}
static void do_vmxoff(void *a __attribute__((unused)))
{
	__asm__ volatile("vmxoff" ::: "cc", "memory");
	vmx_after = 1;
}
static void do_vmclear(void *a __attribute__((unused)))
{
	__asm__ volatile("vmclear %0" ::"m"(vmx_page) : "cc", "memory");
	vmx_after = 1;
}
static void do_vmptrld(void *a __attribute__((unused)))
{
	__asm__ volatile("vmptrld %0" ::"m"(vmx_page) : "cc", "memory");
	vmx_after = 1;
}
static void do_vmptrst(void *a __attribute__((unused)))
{
	__asm__ volatile("vmptrst (%0)" ::"r"(vmx_page + 2048) : "cc", "memory");
	vmx_after = 1;
}
static void do_vmread(void *a __attribute__((unused)))
{
	/* field 0x681e: guest RIP */
	__asm__ volatile("vmread %1, (%0)" ::"r"(vmx_page + 2048), "r"(0x681eULL) : "cc", "memory");
	vmx_after = 1;
}
static void do_vmwrite(void *a __attribute__((unused)))
{
	__asm__ volatile("vmwrite (%0), %1" ::"r"(vmx_page + 2048), "r"(0x681eULL) : "cc", "memory");
	vmx_after = 1;
}
static void do_vmlaunch(void *a __attribute__((unused)))
{
	__asm__ volatile("vmlaunch" ::: "cc", "memory");
	vmx_after = 1;
}
static void do_vmresume(void *a __attribute__((unused)))
{
	__asm__ volatile("vmresume" ::: "cc", "memory");
	vmx_after = 1;
}
static void do_invept(void *a __attribute__((unused)))
{
	/* type 2: all contexts; the descriptor at vmx_page + 3072 is zero */
	__asm__ volatile("invept (%0), %1" ::"r"(vmx_page + 3072), "r"(2ULL) : "cc", "memory");
	vmx_after = 1;
}
static void do_invvpid(void *a __attribute__((unused)))
{
	/* type 2: all contexts */
	__asm__ volatile("invvpid (%0), %1" ::"r"(vmx_page + 3072), "r"(2ULL) : "cc", "memory");
	vmx_after = 1;
}

void check_vmx_insns(void)
{
	static const struct {
		const char *name;
		void (*fn)(void *);
	} insns[] = {
		{ "vmx.vmxon_ud", do_vmxon },	  { "vmx.vmxoff_ud", do_vmxoff },     { "vmx.vmclear_ud", do_vmclear },
		{ "vmx.vmptrld_ud", do_vmptrld }, { "vmx.vmptrst_ud", do_vmptrst },   { "vmx.vmread_ud", do_vmread },
		{ "vmx.vmwrite_ud", do_vmwrite }, { "vmx.vmlaunch_ud", do_vmlaunch }, { "vmx.vmresume_ud", do_vmresume },
		{ "vmx.invept_ud", do_invept },	  { "vmx.invvpid_ud", do_invvpid },
	};

	vmx_page = alloc_pages(1);
	if (!vmx_page) {
		fail("vmx.pages", L"AllocatePages failed");
		return;
	}
	/* what VMXON / VMPTRLD would want: the VMCS revision identifier (VMX_BASIC is hidden: any value) */
	*(UINT32 *)vmx_page = 4;
	for (unsigned i = 0; i < sizeof(insns) / sizeof(insns[0]); i++) {
		vmx_after = 0;
		long v = guarded(insns[i].fn, NULL);
		if (v == 6 && !vmx_after)
			pass(insns[i].name);
		else
			fail(insns[i].name, L"%a at rip %lx (went on: %d), expected #UD", vec_name(v),
			     v == NO_TRAP ? 0 : trap_rip, (int)vmx_after);
	}
}

BOOLEAN xsetbv_checked; /* FALSE: no XSAVE, no XSETBV made */

/*
 * XSETBV exits unconditionally on VT-x. When the firmware left CR4.OSXSAVE off
 * (OVMF under Bochs does), the check turns it on as an OS would, and back off
 * afterwards.
 */
void check_xsetbv(void)
{
	UINT32 r[4];
	struct xcr_op op;
	long v;
	UINT64 cr4 = read_cr4();
	BOOLEAN had = (cr4 & CR4_OSXSAVE) != 0; /* from CR4, not CPUID: that bit is under test */

	cpuid(1, 0, r);
	if (!(r[2] & (1U << 26))) {
		Print(L"RAUM-CHECK INFO no XSAVE (CPUID.1:ECX %08x): XSETBV not checked\n", r[2]);
		return;
	}
	if (!had)
		write_cr4(cr4 | CR4_OSXSAVE);
	/* CPUID runs in Raum on an exit: its OSXSAVE bit must still be the root's CR4.OSXSAVE */
	UINT32 on[4];
	cpuid(1, 0, on);
	if (on[2] & (1U << 27))
		pass("cpuid.osxsave_follows_cr4");
	else
		fail("cpuid.osxsave_follows_cr4", L"CR4 %lx, CPUID.1:ECX %08x without OSXSAVE (bit 27)", read_cr4(),
		     on[2]);
	UINT64 xcr0 = xgetbv(0);
	xsetbv_checked = TRUE;

	op = (struct xcr_op){ 0, xcr0 };
	v = guarded(do_xsetbv, &op);
	UINT64 after = xgetbv(0);
	if (v == NO_TRAP && after == xcr0)
		pass("xsetbv.same");
	else
		fail("xsetbv.same", L"XSETBV XCR0 %lx: %a; XCR0 %lx after", xcr0, vec_name(v), after);

	op = (struct xcr_op){ 0, xcr0 | (1ULL << 63) }; /* bit 63: reserved */
	v = guarded(do_xsetbv, &op);
	after = xgetbv(0);
	if (v == 13 && after == xcr0)
		pass("xsetbv.reserved_gp");
	else
		fail("xsetbv.reserved_gp", L"XSETBV XCR0 %lx: %a (expected #GP); XCR0 %lx after", op.val, vec_name(v),
		     after);
	if (!had) {
		write_cr4(cr4);
		cpuid(1, 0, on);
		if (!(on[2] & (1U << 27)))
			pass("cpuid.osxsave_off_again");
		else
			fail("cpuid.osxsave_off_again", L"CR4 %lx, CPUID.1:ECX %08x with OSXSAVE (bit 27)", read_cr4(),
			     on[2]);
	}
}
