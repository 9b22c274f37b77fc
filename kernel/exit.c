// SPDX-License-Identifier: MIT
/*
 * Vendor-neutral exit handling: CPUID, refused SLAT accesses, guest memory
 * access and the VP register dump. Policy (docs/architecture.md): a guest
 * that breaks the rules gets the fault real hardware would give it; only
 * what Raum cannot make sense of stops the VP.
 */
#include <raum/partmem.h>
#include <raum/errno.h>
#include <raum/gwalk.h>
#include <raum/health.h>
#include <raum/pciio.h>
#include <raum/hwcheck.h>
#include <raum/log.h>
#include <raum/smp.h>
#include <raum/vendor.h>
#include <raum/version.h>
#include <raum/vm.h>
#include <raum/x86.h>
#include <raum/xcr0.h>

#define RAUM_CPUID_MAX_LEAF 0x40000001

/*
 * OSXSAVE (leaf 1 ECX[27]) and OSPKE (leaf 7 ECX[4]) mirror CR4 of whoever
 * runs CPUID: here the host, so the guest's own CR4 bit is put in. Kept out
 * of line: the common leaves stay on a short path (the exit round trip).
 */
static __attribute__((noinline)) u32 cpuid_follow_cr4(struct vp *vp, u32 ecx, u32 ecx_bit, u64 cr4_bit)
{
	struct vp_ctrl c;

	vp_get_ctrl(vp, &c);
	return (ecx & ~ecx_bit) | ((c.cr4 & cr4_bit) ? ecx_bit : 0);
}

/* Raum's own leaves (0x40000000-0x400000ff): out of line, off the common path. */
static __attribute__((noinline)) void cpuid_hv_leaf(struct vp *vp, u32 leaf)
{
	u32 a = 0, b = 0, c = 0, d = 0;

	if (leaf == RAUM_CPUID_VENDOR_LEAF) {
		a = RAUM_CPUID_MAX_LEAF;
		b = RAUM_CPUID_SIGNATURE_EBX;
		c = RAUM_CPUID_SIGNATURE_ECX;
		d = RAUM_CPUID_SIGNATURE_EDX;
	} else if (leaf == RAUM_CPUID_VERSION_LEAF) {
		a = RAUM_VERSION_MAJOR << 16 | RAUM_VERSION_MINOR;
		b = RAUM_VERSION_PATCH;
	}
	vp->gpr[GPR_RAX] = a;
	vp->gpr[GPR_RBX] = b;
	vp->gpr[GPR_RCX] = c;
	vp->gpr[GPR_RDX] = d;
}

/* A leaf the policy edits (slot s of include/raum/cpuid.h): out of line as well. */
static __attribute__((noinline)) struct cpuid_regs cpuid_apply_policy(struct vp *vp, struct cpuid_regs r, int s)
{
	const struct cpuid_policy *p = &vp->part->cpuid;

	r.eax = (r.eax & p->and_mask[s][CPUID_EAX]) | p->or_bits[s][CPUID_EAX];
	r.ebx = (r.ebx & p->and_mask[s][CPUID_EBX]) | p->or_bits[s][CPUID_EBX];
	r.ecx = (r.ecx & p->and_mask[s][CPUID_ECX]) | p->or_bits[s][CPUID_ECX];
	r.edx = (r.edx & p->and_mask[s][CPUID_EDX]) | p->or_bits[s][CPUID_EDX];
	if (s == CPUID_SLOT_1)
		r.ecx = cpuid_follow_cr4(vp, r.ecx, CPUID1_ECX_OSXSAVE, CR4_OSXSAVE);
	else if (s == CPUID_SLOT_7_0)
		r.ecx = cpuid_follow_cr4(vp, r.ecx, BIT(4), CR4_PKE); /* OSPKE */
	return r;
}

/*
 * CPUID as the partition sees it: the hypervisor-present bit and Raum's
 * leaves (not "Microsoft Hv": Linux must not take its Hyper-V paths yet),
 * and the hardware's leaves through the partition's CPUID policy
 * (kernel/cpuid.c): VMX / SVM / SMX hidden since nested virtualization is
 * not offered, every feature whose enable control is off, memory
 * encryption. Reads EAX / ECX from vp->gpr and writes EAX..EDX there
 * (zero-extended, as CPUID writes 32-bit registers). The policy is a
 * precomputed mask per edited leaf; a leaf it does not edit (the common
 * case) costs the CPUID and four stores (the exit round trip).
 */
enum exit_action exit_cpuid(struct vp *vp)
{
	u32 leaf = (u32)vp->gpr[GPR_RAX], subleaf = (u32)vp->gpr[GPR_RCX];

	if (__builtin_expect(leaf - 0x40000000U <= 0xff, 0)) {
		cpuid_hv_leaf(vp, leaf);
		return EXIT_ADVANCE;
	}
	struct cpuid_regs r = cpuid(leaf, subleaf);
	int s = cpuid_slot(leaf, subleaf);
	if (s >= 0)
		r = cpuid_apply_policy(vp, r, s);
	vp->gpr[GPR_RAX] = r.eax;
	vp->gpr[GPR_RBX] = r.ebx;
	vp->gpr[GPR_RCX] = r.ecx;
	vp->gpr[GPR_RDX] = r.edx;
	return EXIT_ADVANCE;
}

/*
 * The partition's CPUID policy from the table in kernel/cpuid.c, the
 * controls the vendor code enabled ('ctls', CPUID_CTL_BIT set) and the
 * partition's physical-address width against the CPU's.
 */
void partition_cpuid_setup(struct partition *p, u32 vendor, u32 ctls)
{
	cpuid_policy_init(&p->cpuid, vendor, ctls, p->phys_bits, cpuid(0x80000008, 0).eax & 0xff);
}

/*
 * An MSR access Raum does not emulate but the CPU intercepts anyway (VT-x
 * exits for every MSR outside the bitmap's ranges, SVM for those outside
 * the permission map's): done on the guest's behalf, so it sees what the
 * hardware answers, a value or a #GP, as it would natively.
 */
enum exit_action exit_msr_forward(struct vp *vp, bool write)
{
	u32 msr = (u32)vp->gpr[GPR_RCX];
	u64 v = (vp->gpr[GPR_RDX] << 32) | (u32)vp->gpr[GPR_RAX];

	if (write ? msr_write_safe(msr, v) : msr_read_safe(msr, &v)) {
		health_add(&health.fixups, 1);
		vp_inject_exception(vp, 13, true, 0);
		return EXIT_RESUME;
	}
	if (!write) {
		vp->gpr[GPR_RAX] = (u32)v;
		vp->gpr[GPR_RDX] = v >> 32;
	}
	return EXIT_ADVANCE;
}

/*
 * Only RAM (include/raum/ramrange.h): never MMIO, a hole, what lies beyond
 * the physmap, or Raum's memory. The RAM ranges leave Raum's region and
 * everything at or above gpa_limit out already; the explicit check of
 * Raum's region costs two compares and survives a wrong list.
 */
static inline __attribute__((always_inline)) bool gpa_backed(const struct partition *p, u64 gpa, u64 len)
{
	if (gpa < p->hv_base + p->hv_size && gpa + len > p->hv_base)
		return false;
	if (partmem_taken(gpa, len)) /* deposited: Raum's now (one load while nothing is; root addresses) */
		return false;
	/* the largest ranges first: each is one of the ranges, so the answer is the same, sooner */
	for (int b = 0; b < PARTITION_RAM_BIG; b++)
		if (gpa >= p->ram_big[b].base && gpa < p->ram_big[b].end && len <= p->ram_big[b].end - gpa && len)
			return true;
	return ram_ranges_contain(p->ram, p->nr_ram, gpa, len);
}

bool partition_gpa_backed(const struct partition *p, u64 gpa, u64 len) { return gpa_backed(p, gpa, len); }

/*
 * The root's guest-physical addresses are host-physical (identity SLAT),
 * reached through Raum's physmap, which every exit finds in place (vm_init
 * ran long before the launch): no check of that on the exit path.
 */
static inline __attribute__((always_inline)) void *gpa_ptr(u64 gpa) { return (void *)(PHYSMAP_BASE + gpa); }

void *partition_gpa_ptr(const struct partition *p __unused, u64 gpa) { return gpa_ptr(gpa); }

/* An entry of the root's page tables, only from its RAM (gwalk's read_pte). */
static int read_pte(void *ctx, u64 gpa, u64 *pte)
{
	const struct partition *p = ctx;

	if (!gpa_backed(p, gpa, 8))
		return -RAUM_EINVAL;
	*pte = *(volatile u64 *)gpa_ptr(gpa);
	return 0;
}

/*
 * The guest's page-table walk (include/raum/gwalk.h: 4 or 5 levels, SDM vol. 3A 4.5)
 * for va; paging off means identity. A table outside RAM (MMIO, a hole,
 * Raum's memory) is refused, never read.
 */
static int walk(struct vp *vp, const struct vp_ctrl *c, u64 va, u64 *gpa)
{
	struct gwalk w = { c->cr0, c->cr3, c->cr4, c->efer, read_pte, vp->part };

	return gwalk(&w, va, gpa);
}

/*
 * Copies n bytes between buf and guest-virtual va, page by page: each page
 * is walked through the guest's tables and must be RAM (the walk's tables
 * too), else nothing more is copied and the error returned. Inlined into
 * both directions, so each is as short as a copy of its own.
 */
static inline __attribute__((always_inline)) int copy_virt(struct vp *vp, const struct vp_ctrl *c, u64 va, u8 *buf,
							     size_t n, bool write)
{
	while (n) {
		u64 gpa;
		size_t chunk = MIN(n, PAGE_SIZE - (va & (PAGE_SIZE - 1)));
		int rc = walk(vp, c, va, &gpa);
		if (rc)
			return rc;
		if (!gpa_backed(vp->part, gpa, chunk))
			return -RAUM_EINVAL;
		u8 *g = gpa_ptr(gpa);
		for (size_t i = 0; i < chunk; i++) {
			if (write)
				g[i] = buf[i];
			else
				buf[i] = g[i];
		}
		buf += chunk;
		va += chunk;
		n -= chunk;
	}
	return 0;
}

int vp_read_virt(struct vp *vp, const struct vp_ctrl *c, u64 va, void *buf, size_t n)
{
	return copy_virt(vp, c, va, buf, n, false);
}

/* buf is only read in this direction: the cast drops a const copy_virt does not use */
int vp_write_virt(struct vp *vp, const struct vp_ctrl *c, u64 va, const void *buf, size_t n)
{
	return copy_virt(vp, c, va, (u8 *)(uintptr_t)buf, n, true);
}

/*
 * A guest touched a guest-physical address its SLAT does not map (Raum's
 * memory, or beyond what the machine decodes). The outcome is that of an
 * unbacked address on real hardware, and the event is counted:
 *   - a read returns all-ones (the instruction is emulated);
 *   - a write is dropped (the instruction is skipped);
 *   - an instruction fetch raises #UD (all-ones bytes are no instruction);
 *   - a guest page-table walk through such memory, or an access Raum cannot
 *     decode, raises #GP(0); so does one whose instruction bytes or page
 *     tables are not RAM (MMIO, a hole: vp_read_virt never reads them).
 * Raum never maps the page and never stops.
 */
enum exit_action exit_slat_violation(struct vp *vp, u64 gpa, bool write, bool fetch, bool walk_fault)
{
	struct vp_ctrl c;
	struct x86_insn in;
	u8 bytes[15];
	bool hv = gpa >= vp->part->hv_base && gpa < vp->part->hv_base + vp->part->hv_size;

	if (hv)
		vp->exits[RAUM_EXIT_HV_MEMORY]++; /* besides the NPF count: the one exit counted twice */
	if (walk_fault) {
		vp_inject_exception(vp, 13, true, 0);
		return EXIT_RESUME;
	}
	if (fetch) {
		pr_debug("vp%u: instruction fetch from unmapped GPA %#llx refused (#UD)", vp->index,
			 (unsigned long long)gpa);
		vp_inject_exception(vp, 6, false, 0);
		return EXIT_RESUME;
	}
	vp_get_ctrl(vp, &c);
	/* Fetch up to 15 bytes; near the end of a mapped page fewer may be readable. */
	size_t n = sizeof(bytes);
	int rc;
	u64 lin = c.mode == 64 ? vp->rip : (vp->rip + c.cs_base) & 0xffffffffULL;
	while ((rc = vp_read_virt(vp, &c, lin, bytes, n)) != 0 && n > 1)
		n--;
	if (rc == 0)
		rc = x86_decode(bytes, n, c.mode, &in);
	if (rc) {
		pr_warn("vp%u: %s of unmapped GPA %#llx by an instruction Raum cannot decode at rip %#llx: #GP",
			vp->index, write ? "write" : "read", (unsigned long long)gpa,
			(unsigned long long)vp->rip);
		vp_inject_exception(vp, 13, true, 0);
		return EXIT_RESUME;
	}
	if (write && apic_page_has(vp->part, gpa) && (in.op == X86_OP_STORE || in.op == X86_OP_STORE_IMM))
		return apic_page_write(vp, gpa, &in, x86_store_value(vp->gpr, &in)); /* include/raum/smp.h */
	if (write && ecam_page_has(vp->part, gpa) && (in.op == X86_OP_STORE || in.op == X86_OP_STORE_IMM))
		return ecam_page_write(vp, gpa, &in, x86_store_value(vp->gpr, &in)); /* include/raum/pciio.h */
	if (in.op != X86_OP_STORE && in.op != X86_OP_STORE_IMM)
		x86_write_reg(vp->gpr, &in, ~0ULL); /* a read: all-ones; a write: dropped */
	vp->rip += in.len;
	return EXIT_SKIPPED;
}

/* Whether gpa lies in the n bytes at linear address lin (at most two pages), through the root's paging. */
static bool gpa_in_linear(struct vp *vp, const struct vp_ctrl *c, u64 lin, u64 n, u64 gpa)
{
	while (n) {
		u64 g, chunk = MIN(n, PAGE_SIZE - (lin & (PAGE_SIZE - 1)));
		if (walk(vp, c, lin, &g) == 0 && gpa >= g && gpa < g + chunk)
			return true;
		lin += chunk;
		n -= chunk;
	}
	return false;
}

/*
 * The SLAT refused an access of an event's delivery (include/raum/evdeliver.h).
 * Which access: the event's IDT gate (16 bytes in long mode, 8 in protected
 * mode, 4 in real mode; SDM vol. 3A 6.10, 6.14.1) when gpa lies in it, else
 * some other (a descriptor, the TSS, the stack, a page-table walk). The
 * outcome is injected (the vendor code has dropped the event), or the CPU
 * shut down: the triple fault's machine reset.
 */
enum exit_action exit_delivery_fault(struct vp *vp, enum ev_type type, u8 vector, u64 gpa, bool walk_fault,
				     u64 idt_base)
{
	struct vp_ctrl c;
	enum ev_access access = EV_ACCESS_OTHER;

	if (gpa >= vp->part->hv_base && gpa < vp->part->hv_base + vp->part->hv_size)
		vp->exits[RAUM_EXIT_HV_MEMORY]++;
	vp_get_ctrl(vp, &c);
	if (!walk_fault) {
		u64 size = (c.efer & EFER_LMA) ? 16 : (c.cr0 & CR0_PE) ? 8 : 4;
		u64 lin = idt_base + vector * size;
		if (!(c.efer & EFER_LMA))
			lin &= 0xffffffffULL;
		if (gpa_in_linear(vp, &c, lin, size, gpa))
			access = EV_ACCESS_GATE;
	}
	struct ev_outcome o = ev_delivery_fault(type, vector, access);
	pr_debug("vp%u: delivering event %u (type %u) touched unmapped GPA %#llx (%s): %s", vp->index, vector,
		 (unsigned)type, (unsigned long long)gpa, access == EV_ACCESS_GATE ? "its IDT gate" : "not the gate",
		 o.shutdown ? "triple fault" : o.vector == 8 ? "#DF" : "#GP");
	if (o.shutdown)
		return EXIT_SHUTDOWN; /* the failure policy: for the root, the machine resets */
	vp_inject_exception(vp, o.vector, true, o.error);
	return EXIT_RESUME;
}

enum exit_action exit_hypercall(struct vp *vp, bool allowed)
{
	if (!allowed)
		return exit_undefined(vp);
	bool again;
	u64 rax = hypercall_dispatch(vp, vp->gpr[GPR_RCX], vp->gpr[GPR_RDX], vp->gpr[GPR_R8], &again);
	if (again)
		return EXIT_RESUME; /* a rep call continues: the same instruction again, RCX at the next rep start */
	vp->gpr[GPR_RAX] = rax;
	return EXIT_ADVANCE;
}

/*
 * XSETBV (VT-x exits on it unconditionally, SDM vol. 3C 26.1.2; SVM only
 * when asked); CPL and CR4.OSXSAVE were checked by the CPU before the exit
 * (26.1.1). The value is checked as the CPU would (xcr0_valid, SDM vol. 1
 * 13.3) and refused with #GP; then Raum runs XSETBV itself, under a fixup,
 * so a rule Raum does not know yet gives the partition its #GP instead of
 * faulting in Raum.
 */
enum exit_action exit_xsetbv(struct vp *vp)
{
	u32 idx = (u32)vp->gpr[GPR_RCX];
	u64 v = ((vp->gpr[GPR_RDX] & 0xffffffff) << 32) | (u32)vp->gpr[GPR_RAX];
	struct cpuid_regs d = cpuid(0xd, 0);
	u64 supported = ((u64)d.edx << 32) | d.eax;

	if (!xcr0_valid(idx, v, supported)) {
		vp_inject_exception(vp, 13, true, 0);
		return EXIT_RESUME;
	}
	if (xsetbv_safe(idx, v)) {
		health_add(&health.fixups, 1);
		pr_warn("vp%u: XSETBV %#llx passed xcr0_valid but faulted: #GP to the partition", vp->index,
			(unsigned long long)v);
		vp_inject_exception(vp, 13, true, 0);
		return EXIT_RESUME;
	}
	return EXIT_ADVANCE;
}

enum exit_action exit_undefined(struct vp *vp)
{
	vp_inject_exception(vp, 6, false, 0);
	return EXIT_RESUME;
}

/* The root's state goes to serial with why, then this CPU halts (kernel/dispatch.c's policy). */
__noreturn void vp_halt_cpu(struct vp *vp, const char *why)
{
	vp_dump(vp, why);
	log_emergency("Raum: root VP%u stopped; this CPU halts\n", vp->index);
	halt_forever();
}

/*
 * The root's state goes to serial with why, then the machine resets: the
 * PCI reset control register (0xcf9, full reset), then the keyboard
 * controller's reset line.
 */
__noreturn void vp_reset_machine(struct vp *vp, const char *why)
{
	vp_dump(vp, why);
	outb(0xcf9, 0x02);
	outb(0xcf9, 0x06);
	for (int i = 0; i < 100000; i++)
		cpu_relax();
	outb(0x64, 0xfe);
	halt_forever();
}

void vp_dump(struct vp *vp, const char *why)
{
	struct vp_ctrl c;
	static const char *const names[GPR_COUNT] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
						     "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15" };
	vp_get_ctrl(vp, &c);
	log_emergency("\nRaum: partition %u VP %u: %s\n", vp->part->id, vp->index, why);
	log_emergency("  rip %016llx cpl %u mode %u-bit\n", (unsigned long long)vp->rip, c.cpl, c.mode);
	for (int i = 0; i < GPR_COUNT; i += 4)
		log_emergency("  %-3s %016llx %-3s %016llx %-3s %016llx %-3s %016llx\n", names[i],
			      (unsigned long long)vp->gpr[i], names[i + 1], (unsigned long long)vp->gpr[i + 1],
			      names[i + 2], (unsigned long long)vp->gpr[i + 2], names[i + 3],
			      (unsigned long long)vp->gpr[i + 3]);
	log_emergency("  cr0 %08llx cr3 %016llx cr4 %08llx efer %08llx\n", (unsigned long long)c.cr0,
		      (unsigned long long)c.cr3, (unsigned long long)c.cr4, (unsigned long long)c.efer);
	log_emergency("  exits: %llu in all\n", (unsigned long long)vp_exits_total(vp));
}
