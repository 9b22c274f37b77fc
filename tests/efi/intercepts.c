// SPDX-License-Identifier: MIT
/*
 * The intercept suite: a GNU-EFI application started as the root OS under
 * Raum that checks, from inside the root partition, every intercept the
 * hypervisor installs. The vendor comes from CPUID leaf 0: hypercalls use
 * VMMCALL on AMD and VMCALL on Intel.
 *
 *   both:  CPUID (hypervisor bit, Raum's leaves), EFER written back, the
 *          hypercall interface (and its refusal at CPL 3), accesses to
 *          Raum's own memory and the exit counters;
 *   AMD:   SVM hidden (CPUID, EFER.SVME, VM_CR) and the SVM instructions;
 *   Intel: VMX hidden (CPUID, IA32_FEATURE_CONTROL, the VMX capability MSRs,
 *          CR4.VMXE), the VMX instructions and XSETBV.
 *
 * Prints one line per check:
 *
 *   RAUM-CHECK PASS <name>
 *   RAUM-CHECK FAIL <name>: <details>
 *   RAUM-CHECK DONE <passed> passed, <failed> failed
 *
 * then ends the emulator: QEMU through isa-debug-exit (port 0xf4), Bochs
 * through "Shutdown" written to port 0x8900. Exceptions the checks
 * expect are caught by a private IDT (a copy of the firmware's with #UD, #GP
 * and #PF replaced) and the recovery code in intercepts-asm.S.
 */
#include <efi.h>
#include <efilib.h>

#include <hv/abi/hvcall.h>
#include <raum/version.h>

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab);

#define HIDDEN __attribute__((visibility("hidden")))
#define PAGE 4096ULL
#define ALL_ONES 0xffffffffffffffffULL
#define NO_TRAP (-1L)

#define MSR_EFER 0xc0000080
#define MSR_VM_CR 0xc0010114
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
#define EFER_SVME (1ULL << 12)
#define VM_CR_SVMDIS (1ULL << 4)
#define MSR_IA32_FEATURE_CONTROL 0x3a
#define MSR_IA32_VMX_BASIC 0x480
#define MSR_IA32_VMX_0x48C 0x48c /* IA32_VMX_EPT_VPID_CAP */
#define FEATCTL_LOCK (1ULL << 0)
#define FEATCTL_VMX_IN_SMX (1ULL << 1)
#define FEATCTL_VMX_OUTSIDE_SMX (1ULL << 2)
#define CR4_PGE (1ULL << 7)
#define CR4_VMXE (1ULL << 13)
#define CR4_OSXSAVE (1ULL << 18)
#define CR4_LA57 (1ULL << 12)
#define CR4_SMEP (1ULL << 20)
#define CR4_SMAP (1ULL << 21)

/* intercepts-asm.S */
extern long trap_try(void (*fn)(void *), void *arg) HIDDEN;
extern char trap_stub6[] HIDDEN, trap_stub13[] HIDDEN, trap_stub14[] HIDDEN;
extern char ring3_vmmcall_code[] HIDDEN, ring3_vmmcall[] HIDDEN, ring3_vmcall_code[] HIDDEN, ring3_vmcall[] HIDDEN;
extern volatile UINT64 trap_vector HIDDEN, trap_error HIDDEN, trap_rip HIDDEN, trap_cs HIDDEN,
	trap_cr2 HIDDEN, trap_count HIDDEN, ring3_rax HIDDEN;

struct dtr {
	UINT16 limit;
	UINT64 base;
} __attribute__((packed));

struct r3ctx {
	UINT64 my_cr3, fw_cr3, user_rsp, user_rip;
	UINT16 fw_cs, fw_ss, fw_ds, fw_es, fw_fs, fw_gs;
	UINT8 pad0[4];
	struct dtr my_gdtr;
	UINT8 pad1[6];
	struct dtr fw_gdtr;
	UINT8 pad2[6];
	struct dtr my_idtr;
	UINT8 pad3[6];
	struct dtr fw_idtr;
	UINT8 pad4[6];
};
extern long ring3_roundtrip(struct r3ctx *ctx) HIDDEN;

_Static_assert(__builtin_offsetof(struct r3ctx, user_rip) == 24, "R3_USER_RIP");
_Static_assert(__builtin_offsetof(struct r3ctx, fw_cs) == 32, "R3_FW_CS");
_Static_assert(__builtin_offsetof(struct r3ctx, fw_gs) == 42, "R3_FW_GS");
_Static_assert(__builtin_offsetof(struct r3ctx, my_gdtr) == 48, "R3_MY_GDTR");
_Static_assert(__builtin_offsetof(struct r3ctx, fw_gdtr) == 64, "R3_FW_GDTR");
_Static_assert(__builtin_offsetof(struct r3ctx, my_idtr) == 80, "R3_MY_IDTR");
_Static_assert(__builtin_offsetof(struct r3ctx, fw_idtr) == 96, "R3_FW_IDTR");

/* ---- reporting ------------------------------------------------------------ */

static unsigned n_pass, n_fail;

static void pass(const char *name)
{
	Print(L"RAUM-CHECK PASS %a\n", name);
	n_pass++;
}

static void fail(const char *name, const CHAR16 *fmt, ...)
{
	CHAR16 buf[300];
	va_list ap;

	va_start(ap, fmt);
	UnicodeVSPrint(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	Print(L"RAUM-CHECK FAIL %a: %s\n", name, buf);
	n_fail++;
}

static const char *vec_name(long v)
{
	switch (v) {
	case NO_TRAP: return "no exception";
	case 6: return "#UD";
	case 13: return "#GP";
	case 14: return "#PF";
	default: return "?";
	}
}

/* ---- CPU helpers ------------------------------------------------------------ */

enum vendor { VENDOR_OTHER, VENDOR_AMD, VENDOR_INTEL };
static enum vendor vendor;

static void outb(UINT16 port, UINT8 v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }

static void cpuid(UINT32 leaf, UINT32 sub, UINT32 r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

static UINT64 rdmsr(UINT32 msr)
{
	UINT32 lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (UINT64)hi << 32 | lo;
}

static void wrmsr(UINT32 msr, UINT64 v)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((UINT32)v), "d"((UINT32)(v >> 32)) : "memory");
}

static UINT64 irq_save(void)
{
	UINT64 f;
	__asm__ volatile("pushfq; popq %0; cli" : "=r"(f)::"memory");
	return f;
}

static void irq_restore(UINT64 f)
{
	if (f & (1ULL << 9))
		__asm__ volatile("sti" ::: "memory");
}

static UINT16 read_cs(void)
{
	UINT16 v;
	__asm__ volatile("mov %%cs, %0" : "=r"(v));
	return v;
}

static UINT64 read_cr3(void)
{
	UINT64 v;
	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

static UINT64 read_cr4(void)
{
	UINT64 v;
	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

static void write_cr4(UINT64 v) { __asm__ volatile("mov %0, %%cr4" ::"r"(v) : "memory"); }

/* CPUID leaf 0: "AuthenticAMD" or "GenuineIntel" in EBX, EDX, ECX. */
static enum vendor detect_vendor(char name[13])
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

static UINT64 alloc_pages(UINTN n)
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

static void set_gate(UINT8 *idt, unsigned vec, const void *handler, UINT16 sel)
{
	UINT64 off = (UINT64)handler;
	UINT64 lo = (off & 0xffff) | ((UINT64)sel << 16) | (0x8eULL << 40) | (((off >> 16) & 0xffff) << 48);
	UINT64 hi = off >> 32;

	CopyMem(idt + 16 * vec, &lo, 8);
	CopyMem(idt + 16 * vec + 8, &hi, 8);
}

/* A copy of the firmware's IDT at idt with #UD, #GP and #PF sent to the trap stubs. */
static void build_idt(UINT8 *idt, UINT16 sel, struct dtr *out)
{
	struct dtr fw;
	UINTN n;

	__asm__ volatile("sidt %0" : "=m"(fw));
	n = (UINTN)fw.limit + 1;
	if (n > PAGE)
		n = PAGE;
	ZeroMem(idt, PAGE);
	CopyMem(idt, (void *)fw.base, n);
	set_gate(idt, 6, trap_stub6, sel);
	set_gate(idt, 13, trap_stub13, sel);
	set_gate(idt, 14, trap_stub14, sel);
	out->limit = PAGE - 1;
	out->base = (UINT64)idt;
}

/* Runs fn(arg) with interrupts off and the test IDT loaded; returns the vector or NO_TRAP. */
static long guarded(void (*fn)(void *), void *arg)
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

/* ---- 1. CPUID ------------------------------------------------------------------ */

static void check_cpuid(void)
{
	UINT32 r[4];

	cpuid(1, 0, r);
	if (r[2] & (1U << 31))
		pass("cpuid.hypervisor_bit");
	else
		fail("cpuid.hypervisor_bit", L"leaf 1 ECX %08x has bit 31 clear", r[2]);

	cpuid(0x40000000, 0, r);
	if (r[1] == RAUM_CPUID_SIGNATURE_EBX && r[2] == RAUM_CPUID_SIGNATURE_ECX && r[3] == RAUM_CPUID_SIGNATURE_EDX &&
	    r[0] >= 0x40000001)
		pass("cpuid.signature");
	else
		fail("cpuid.signature", L"leaf 0x40000000: eax %08x ebx %08x ecx %08x edx %08x", r[0], r[1], r[2], r[3]);

	cpuid(0x40000001, 0, r);
	if (r[0] == ((RAUM_VERSION_MAJOR << 16) | RAUM_VERSION_MINOR))
		pass("cpuid.version");
	else
		fail("cpuid.version", L"leaf 0x40000001 eax %08x, expected %08x", r[0],
		     (RAUM_VERSION_MAJOR << 16) | RAUM_VERSION_MINOR);

	if (vendor == VENDOR_INTEL) {
		cpuid(1, 0, r);
		if (!(r[2] & (1U << 5)))
			pass("cpuid.vmx_hidden");
		else
			fail("cpuid.vmx_hidden", L"leaf 1 ECX %08x has VMX (bit 5) set", r[2]);
		return;
	}

	cpuid(0x80000001, 0, r);
	if (!(r[2] & (1U << 2)))
		pass("cpuid.svm_hidden");
	else
		fail("cpuid.svm_hidden", L"leaf 0x80000001 ECX %08x has SVM (bit 2) set", r[2]);

	cpuid(0x8000000a, 0, r);
	if (!r[0] && !r[1] && !r[2] && !r[3])
		pass("cpuid.svm_leaf_zero");
	else
		fail("cpuid.svm_leaf_zero", L"leaf 0x8000000a: %08x %08x %08x %08x", r[0], r[1], r[2], r[3]);
}

/* ---- 2. MSRs --------------------------------------------------------------------- */

struct msr_op {
	UINT32 msr;
	UINT64 val;
};

static void do_rdmsr(void *a)
{
	struct msr_op *o = a;
	o->val = rdmsr(o->msr);
}

static void do_wrmsr(void *a)
{
	struct msr_op *o = a;
	wrmsr(o->msr, o->val);
}

/* Intel: IA32_FEATURE_CONTROL shows VMX locked off; the VMX capability MSRs do not exist. */
static void check_vmx_msrs(void)
{
	struct msr_op fc = { MSR_IA32_FEATURE_CONTROL, ALL_ONES }, op;
	long v;

	v = guarded(do_rdmsr, &fc);
	if (v == NO_TRAP && (fc.val & FEATCTL_LOCK) && !(fc.val & (FEATCTL_VMX_IN_SMX | FEATCTL_VMX_OUTSIDE_SMX)))
		pass("msr.feature_control_read");
	else
		fail("msr.feature_control_read", L"%a, IA32_FEATURE_CONTROL %lx (lock set, bits 1-2 clear expected)",
		     vec_name(v), fc.val);

	op = (struct msr_op){ MSR_IA32_FEATURE_CONTROL, v == NO_TRAP ? fc.val : FEATCTL_LOCK };
	v = guarded(do_wrmsr, &op);
	if (v == 13)
		pass("msr.feature_control_write_gp");
	else
		fail("msr.feature_control_write_gp", L"WRMSR IA32_FEATURE_CONTROL %lx: %a, expected #GP", op.val,
		     vec_name(v));

	static const struct {
		const char *name;
		UINT32 msr;
	} caps[] = { { "msr.vmx_basic_gp", MSR_IA32_VMX_BASIC }, { "msr.vmx_ept_vpid_cap_gp", MSR_IA32_VMX_0x48C } };
	for (unsigned i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		op = (struct msr_op){ caps[i].msr, ALL_ONES };
		v = guarded(do_rdmsr, &op);
		if (v == 13)
			pass(caps[i].name);
		else
			fail(caps[i].name, L"RDMSR %x: %a, value %lx, expected #GP", caps[i].msr, vec_name(v), op.val);
	}
}

static void check_msrs(void)
{
	struct msr_op efer = { MSR_EFER, 0 }, op;
	long v;

	v = guarded(do_rdmsr, &efer);
	if (vendor == VENDOR_AMD) {
		if (v == NO_TRAP && !(efer.val & EFER_SVME))
			pass("msr.efer_read");
		else
			fail("msr.efer_read", L"%a, EFER %lx", vec_name(v), efer.val);

		op = (struct msr_op){ MSR_EFER, efer.val | EFER_SVME };
		v = guarded(do_wrmsr, &op);
		if (v == 13)
			pass("msr.efer_write_svme_gp");
		else
			fail("msr.efer_write_svme_gp", L"WRMSR EFER %lx: %a (vector %ld), expected #GP", op.val,
			     vec_name(v), v);
	} else if (v != NO_TRAP) {
		fail("msr.efer_read", L"%a", vec_name(v));
	}

	op = (struct msr_op){ MSR_EFER, efer.val };
	v = guarded(do_wrmsr, &op);
	struct msr_op again = { MSR_EFER, 0 };
	long v2 = guarded(do_rdmsr, &again);
	if (v == NO_TRAP && v2 == NO_TRAP && again.val == efer.val)
		pass("msr.efer_write_same");
	else
		fail("msr.efer_write_same", L"WRMSR EFER %lx: %a; read back %lx (%a)", op.val, vec_name(v), again.val,
		     vec_name(v2));
	if (vendor == VENDOR_INTEL) {
		check_vmx_msrs();
		return;
	}

	struct msr_op vmcr = { MSR_VM_CR, 0 };
	v = guarded(do_rdmsr, &vmcr);
	if (v == NO_TRAP && (vmcr.val & VM_CR_SVMDIS))
		pass("msr.vm_cr_read");
	else
		fail("msr.vm_cr_read", L"%a, VM_CR %lx (SVMDIS bit 4 expected)", vec_name(v), vmcr.val);

	op = (struct msr_op){ MSR_VM_CR, vmcr.val };
	v = guarded(do_wrmsr, &op);
	if (v == 13)
		pass("msr.vm_cr_write_gp");
	else
		fail("msr.vm_cr_write_gp", L"WRMSR VM_CR %lx: %a, expected #GP", op.val, vec_name(v));
}

/* ---- 3. SVM instructions ------------------------------------------------------------ */

static UINT64 svm_page;
static volatile UINT64 svm_after; /* set when execution went past the instruction */

static void do_vmrun(void *a __attribute__((unused)))
{
	__asm__ volatile("vmrun %%rax" ::"a"(svm_page) : "memory");
	svm_after = 1;
}
static void do_vmload(void *a __attribute__((unused)))
{
	__asm__ volatile("vmload %%rax" ::"a"(svm_page) : "memory");
	svm_after = 1;
}
static void do_vmsave(void *a __attribute__((unused)))
{
	__asm__ volatile("vmsave %%rax" ::"a"(svm_page) : "memory");
	svm_after = 1;
}
static void do_stgi(void *a __attribute__((unused)))
{
	__asm__ volatile("stgi" ::: "memory");
	svm_after = 1;
}
static void do_clgi(void *a __attribute__((unused)))
{
	__asm__ volatile("clgi" ::: "memory");
	svm_after = 1;
}
static void do_skinit(void *a __attribute__((unused)))
{
	__asm__ volatile("skinit %%eax" ::"a"(svm_page) : "memory");
	svm_after = 1;
}
static void do_invlpga(void *a __attribute__((unused)))
{
	__asm__ volatile("invlpga %%rax, %%ecx" ::"a"(svm_page), "c"(1) : "memory");
	svm_after = 1;
}

static void check_svm_insns(void)
{
	static const struct {
		const char *name;
		void (*fn)(void *);
	} insns[] = {
		{ "svm.vmrun_ud", do_vmrun },	{ "svm.vmload_ud", do_vmload }, { "svm.vmsave_ud", do_vmsave },
		{ "svm.stgi_ud", do_stgi },	{ "svm.clgi_ud", do_clgi },	{ "svm.skinit_ud", do_skinit },
		{ "svm.invlpga_ud", do_invlpga },
	};

	svm_page = alloc_pages(1);
	for (unsigned i = 0; i < sizeof(insns) / sizeof(insns[0]); i++) {
		svm_after = 0;
		long v = guarded(insns[i].fn, NULL);
		if (v == 6 && !svm_after)
			pass(insns[i].name);
		else
			fail(insns[i].name, L"%a at rip %lx (went on: %d), expected #UD", vec_name(v),
			     v == NO_TRAP ? 0 : trap_rip, (int)svm_after);
	}
}

/* ---- 3i. Intel: CR4.VMXE, the VMX instructions, XSETBV ---------------------------------- */

static UINT64 cr4_val;

static void do_write_cr4(void *a __attribute__((unused))) { write_cr4(cr4_val); }

static void check_cr4_vmxe(void)
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

static void check_vmx_insns(void)
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

static BOOLEAN xsetbv_checked; /* FALSE: no XSAVE, no XSETBV made */

struct xcr_op {
	UINT32 idx;
	UINT64 val;
};

static void do_xsetbv(void *a)
{
	struct xcr_op *o = a;
	__asm__ volatile("xsetbv" ::"c"(o->idx), "a"((UINT32)o->val), "d"((UINT32)(o->val >> 32)) : "memory");
}

static UINT64 xgetbv(UINT32 idx)
{
	UINT32 lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(idx));
	return (UINT64)hi << 32 | lo;
}

/*
 * XSETBV exits unconditionally on VT-x. When the firmware left CR4.OSXSAVE off
 * (OVMF under Bochs does), the check turns it on as an OS would, and back off
 * afterwards.
 */
static void check_xsetbv(void)
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

/* ---- 4. hypercalls ---------------------------------------------------------------------- */

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

/* Makes a hypercall; returns its RAX or ~0 (with a failure line) when it faulted. */
static UINT64 hvcall(const char *name, UINT64 control, UINT64 in, UINT64 out, long *vec)
{
	struct hc h = { control, in, out, ALL_ONES };
	long v = guarded(do_hvcall, &h);

	*vec = v;
	(void)name;
	return v == NO_TRAP ? h.rax : ALL_ONES;
}

static void expect_status(const char *name, UINT64 control, UINT64 in, UINT64 out, UINT16 want)
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

static UINT64 hv_base, hv_len; /* Raum's memory (6), found before the hypercall checks */

static BOOLEAN exit_stats(UINT64 in_page, UINT64 out_page, struct raum_exit_stats *s, UINT64 *rax)
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

static BOOLEAN contains(const char *hay, UINTN n, const char *needle)
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

static void check_hypercalls(void)
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
static void check_vendor_counters(void)
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

static void check_cpl3(void)
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

/* ---- 6. Raum's memory ------------------------------------------------------------------------ */

struct memop {
	UINT64 addr, val;
};

static void rd64(void *a)
{
	struct memop *o = a;
	UINT64 x;
	__asm__ volatile("movq (%1), %0" : "=r"(x) : "r"(o->addr) : "memory");
	o->val = x;
}

static void rd32(void *a)
{
	struct memop *o = a;
	UINT64 x = 0x1122334455667788ULL;
	__asm__ volatile("movl (%1), %%eax" : "+a"(x) : "d"(o->addr) : "memory");
	o->val = x;
}

static void rd8(void *a)
{
	struct memop *o = a;
	UINT64 x = 0x1122334455667788ULL;
	__asm__ volatile("movb (%1), %%al" : "+a"(x) : "d"(o->addr) : "memory");
	o->val = x;
}

static void wr64(void *a)
{
	struct memop *o = a;
	__asm__ volatile("movq $0x1234, (%0)" ::"r"(o->addr) : "memory");
	o->val = 1;
}

static void fetch(void *a)
{
	struct memop *o = a;
	__asm__ volatile("call *%0" ::"r"(o->addr)
			 : "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "cc", "memory");
	o->val = 1;
}

static void find_hv_region(void)
{
	UINTN n, key, dsize;
	UINT32 dver;
	EFI_MEMORY_DESCRIPTOR *map = LibMemoryMap(&n, &key, &dsize, &dver), *d = map;

	if (!map)
		return;
	for (UINTN i = 0; i < n; i++, d = NextMemoryDescriptor(d, dsize)) {
		UINT64 len = d->NumberOfPages * PAGE;
		if (d->Type != EfiReservedMemoryType || len < (4ULL << 20))
			continue;
		struct memop o = { d->PhysicalStart, 0 };
		long v = guarded(rd64, &o);
		Print(L"RAUM-CHECK INFO reserved range %lx-%lx: first qword %lx (%a)\n", d->PhysicalStart,
		      d->PhysicalStart + len - 1, o.val, vec_name(v));
		if (v == NO_TRAP && o.val == ALL_ONES && !hv_base) {
			hv_base = d->PhysicalStart;
			hv_len = len;
		}
	}
	FreePool(map);
}

static void check_hv_memory(void)
{
	UINT64 pg = alloc_pages(2);
	struct raum_exit_stats before, after;
	UINT64 rax = ALL_ONES;
	struct memop o;
	long v;
	unsigned accesses = 0;

	if (!hv_base) {
		fail("hvmem.found", L"no EfiReservedMemoryType range of 4 MiB or more reads as all-ones");
		return;
	}
	Print(L"RAUM-CHECK INFO Raum's memory at %lx, %ld MiB\n", hv_base, hv_len >> 20);
	pass("hvmem.found");
	if (!pg || !exit_stats(pg, pg + PAGE, &before, &rax)) {
		fail("hvmem.exit_count", L"GetExitStats before: RAX %lx", rax);
		return;
	}

	o = (struct memop){ hv_base + 0x1000, 0 };
	v = guarded(rd64, &o);
	accesses++;
	if (v == NO_TRAP && o.val == ALL_ONES)
		pass("hvmem.read64");
	else
		fail("hvmem.read64", L"%a, read %lx", vec_name(v), o.val);

	o = (struct memop){ hv_base + 0x1000, 0 };
	v = guarded(rd32, &o);
	accesses++;
	if (v == NO_TRAP && o.val == 0xffffffffULL)
		pass("hvmem.read32_zero_extends");
	else
		fail("hvmem.read32_zero_extends", L"%a, RAX %lx (expected ffffffff)", vec_name(v), o.val);

	o = (struct memop){ hv_base + 0x1003, 0 };
	v = guarded(rd8, &o);
	accesses++;
	if (v == NO_TRAP && o.val == 0x11223344556677ffULL)
		pass("hvmem.read8_keeps_rax");
	else
		fail("hvmem.read8_keeps_rax", L"%a, RAX %lx (expected 11223344556677ff)", vec_name(v), o.val);

	o = (struct memop){ hv_base + 0x2000, 0 };
	v = guarded(wr64, &o);
	accesses++;
	struct memop r = { hv_base + 0x2000, 0 };
	long v2 = guarded(rd64, &r);
	accesses++;
	if (v == NO_TRAP && o.val == 1 && v2 == NO_TRAP && r.val == ALL_ONES)
		pass("hvmem.write_dropped");
	else
		fail("hvmem.write_dropped", L"write: %a; read back: %a, %lx", vec_name(v), vec_name(v2), r.val);

	o = (struct memop){ hv_base, 0 };
	v = guarded(fetch, &o);
	accesses++;
	if (v == 6 && trap_rip == hv_base && o.val == 0)
		pass("hvmem.fetch_ud");
	else
		fail("hvmem.fetch_ud", L"%a at rip %lx, error %lx, expected #UD at %lx", vec_name(v), trap_rip,
		     trap_error, hv_base);

	{
		UINT64 offs[3] = { 0, (hv_len / 2) & ~7ULL, hv_len - 8 };
		BOOLEAN ok = TRUE;
		for (int i = 0; i < 3; i++) {
			o = (struct memop){ hv_base + offs[i], 0 };
			v = guarded(rd64, &o);
			accesses++;
			if (v != NO_TRAP || o.val != ALL_ONES) {
				fail("hvmem.offsets", L"offset %lx: %a, read %lx", offs[i], vec_name(v), o.val);
				ok = FALSE;
			}
		}
		if (ok)
			pass("hvmem.offsets");
	}

	if (exit_stats(pg, pg + PAGE, &after, &rax) &&
	    after.count[RAUM_EXIT_HV_MEMORY] - before.count[RAUM_EXIT_HV_MEMORY] >= accesses)
		pass("hvmem.exit_count");
	else
		fail("hvmem.exit_count", L"RAX %lx, HV_MEMORY %ld -> %ld, %d accesses made", rax,
		     before.count[RAUM_EXIT_HV_MEMORY], after.count[RAUM_EXIT_HV_MEMORY], accesses);
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	char vname[13];

	InitializeLib(image, systab);
	vendor = detect_vendor(vname);
	Print(L"RAUM-CHECK START intercept suite (Raum %d.%d.%d) on %a: hypercalls by %a\n", RAUM_VERSION_MAJOR,
	      RAUM_VERSION_MINOR, RAUM_VERSION_PATCH, vname, vendor == VENDOR_INTEL ? "VMCALL" : "VMMCALL");
	if (vendor == VENDOR_OTHER) {
		fail("setup", L"CPU vendor '%a' is neither AuthenticAMD nor GenuineIntel", vname);
		goto done;
	}

	idt_page = (UINT8 *)alloc_pages(1);
	if (!idt_page) {
		fail("setup", L"AllocatePages failed");
		goto done;
	}
	build_idt(idt_page, read_cs(), &my_idtr);

	check_cpuid();
	check_msrs();
	if (vendor == VENDOR_AMD) {
		check_svm_insns();
	} else {
		check_cr4_vmxe();
		check_vmx_insns();
		check_xsetbv();
	}
	find_hv_region();
	check_hypercalls();
	check_vendor_counters();
	check_cpl3();
	check_hv_memory();

done:
	Print(L"RAUM-CHECK DONE %d passed, %d failed\n", n_pass, n_fail);
	outb(0xf4, n_fail ? 0x11 : 0x10); /* QEMU exits with status 35 or 33 */
	for (const char *s = "Shutdown"; *s; s++) /* Bochs ends */
		outb(0x8900, (UINT8)*s);
	return n_fail ? EFI_ABORTED : EFI_SUCCESS;
}
