// SPDX-License-Identifier: MIT
/*
 * What CPUID shows the root: see include/raum/cpuid.h and docs/security.md
 * ("CPUID: what the root is shown"; keep the two in step). Pure: the masks
 * are computed once per partition from the table below and the controls
 * the vendor code enabled, and exit_cpuid (kernel/exit.c) applies them.
 *
 * Rule of the table: a feature bit is listed when the root cannot use what
 * it advertises under Raum. An instruction whose VT-x enable control is
 * off raises #UD in VMX non-root operation (SDM vol. 3C 26.3, "Instructions
 * That Cause #UD"; 25.6.2 for the controls), and INVLPGB / TLBSYNC raise #UD
 * in an SVM guest while the VMCB's enable bit is clear (APM vol. 2 table
 * B-1, offset 0x90 bit 7). Memory encryption is hidden because its address
 * bits lie beyond the root's SLAT (docs/memory-encryption.md).
 */
#include <raum/bootinfo.h>
#include <raum/cpuid.h>

#define ALL 0xffffffffu
#define I CPUID_INTEL
#define A CPUID_AMD
#define B CPUID_BOTH

const struct cpuid_rule cpuid_rules[] = {
	/* virtualization itself: nested virtualization is not offered */
	{ 1, 0, CPUID_ECX, CPUID_CTL_NEVER, B, 1u << 5, "VMX", "VMX instructions raise #UD: no nested VT-x" },
	{ 1, 0, CPUID_ECX, CPUID_CTL_NEVER, B, 1u << 6, "SMX", "GETSEC raises #UD" },
	{ 0x80000001, 0, CPUID_ECX, CPUID_CTL_NEVER, B, 1u << 2, "SVM", "SVM instructions raise #UD: no nested AMD-V" },
	{ 0x80000001, 0, CPUID_ECX, CPUID_CTL_NEVER, A, 1u << 12, "SKINIT",
	  "SKINIT and STGI are intercepted and raise #UD" },
	{ 0x8000000a, 0, CPUID_EAX, CPUID_CTL_NEVER, B, ALL, "SVM leaf EAX", "the SVM leaf of a CPU without SVM" },
	{ 0x8000000a, 0, CPUID_EBX, CPUID_CTL_NEVER, B, ALL, "SVM leaf EBX", "the SVM leaf of a CPU without SVM" },
	{ 0x8000000a, 0, CPUID_ECX, CPUID_CTL_NEVER, B, ALL, "SVM leaf ECX", "the SVM leaf of a CPU without SVM" },
	{ 0x8000000a, 0, CPUID_EDX, CPUID_CTL_NEVER, B, ALL, "SVM leaf EDX", "the SVM leaf of a CPU without SVM" },

	/* VT-x: instructions that need an enable control (SDM vol. 3C 26.3) */
	{ 0x80000001, 0, CPUID_EDX, CPUID_CTL_RDTSCP, I, 1u << 27, "RDTSCP",
	  "raises #UD unless \"enable RDTSCP\" is on" },
	{ 7, 0, CPUID_ECX, CPUID_CTL_RDTSCP, I, 1u << 22, "RDPID",
	  "raises #UD unless \"enable RDTSCP\" is on" },
	{ 7, 0, CPUID_EBX, CPUID_CTL_INVPCID, I, 1u << 10, "INVPCID",
	  "raises #UD unless \"enable INVPCID\" is on" },
	{ 0xd, 1, CPUID_EAX, CPUID_CTL_XSAVES, I, 1u << 3, "XSAVES",
	  "XSAVES / XRSTORS raise #UD unless \"enable XSAVES/XRSTORS\" is on" },
	{ 0xd, 1, CPUID_ECX, CPUID_CTL_XSAVES, I, ALL, "IA32_XSS bits 31:0", "supervisor state only XSAVES reaches" },
	{ 0xd, 1, CPUID_EDX, CPUID_CTL_XSAVES, I, ALL, "IA32_XSS bits 63:32", "supervisor state only XSAVES reaches" },
	{ 7, 0, CPUID_ECX, CPUID_CTL_USER_WAIT, I, 1u << 5, "WAITPKG",
	  "UMONITOR / UMWAIT / TPAUSE raise #UD unless \"enable user wait and pause\" is on" },
	{ 7, 0, CPUID_EDX, CPUID_CTL_NEVER, I, 1u << 18, "PCONFIG",
	  "\"enable PCONFIG\" stays off (PCONFIG raises #UD): it programs TME-MK keys, whose KeyIDs lie beyond "
	  "the root's SLAT" },

	/* memory encryption: its address bits lie beyond the root's SLAT (docs/memory-encryption.md) */
	{ 7, 0, CPUID_ECX, CPUID_CTL_NEVER, I, 1u << 13, "TME",
	  "TME-MK KeyIDs lie beyond the root's SLAT, and TME_ACTIVATE is denied by the MSR policy" },
	{ 0x8000001f, 0, CPUID_EAX, CPUID_CTL_NEVER, A, ALL, "SME / SEV features",
	  "the C-bit lies beyond the root's SLAT; SEV needs the SVM Raum hides" },
	{ 0x8000001f, 0, CPUID_EBX, CPUID_CTL_NEVER, A, ALL, "C-bit position, address reduction",
	  "0x80000008 says the reduced width instead" },
	{ 0x8000001f, 0, CPUID_ECX, CPUID_CTL_NEVER, A, ALL, "SEV guests", "SEV needs the SVM Raum hides" },
	{ 0x8000001f, 0, CPUID_EDX, CPUID_CTL_NEVER, A, ALL, "minimum SEV ASID", "SEV needs the SVM Raum hides" },

	/* AMD: the VMCB's INVLPGB/TLBSYNC enable (offset 0x90 bit 7) stays clear */
	{ 0x80000008, 0, CPUID_EBX, CPUID_CTL_NEVER, A, 1u << 3, "INVLPGB / TLBSYNC",
	  "raise #UD: Raum leaves the VMCB enable clear (a broadcast TLB flush reaches every CPU)" },
	{ 0x80000008, 0, CPUID_EDX, CPUID_CTL_NEVER, A, 0xffff, "INVLPGB count", "no INVLPGB" },
};

const size_t cpuid_nr_rules = ARRAY_SIZE(cpuid_rules);

static bool for_vendor(const struct cpuid_rule *r, u32 vendor) { return vendor < 8 && (r->vendors & (1u << vendor)); }

u32 cpuid_wanted_ctls(u32 vendor)
{
	u32 ctls = 0;

	for (size_t i = 0; i < cpuid_nr_rules; i++)
		if (for_vendor(&cpuid_rules[i], vendor) && cpuid_rules[i].ctl != CPUID_CTL_NEVER)
			ctls |= CPUID_CTL_BIT(cpuid_rules[i].ctl);
	return ctls;
}

void cpuid_policy_init(struct cpuid_policy *p, u32 vendor, u32 ctls, unsigned phys_bits,
		       unsigned native_phys_bits)
{
	for (int s = 0; s < CPUID_SLOTS; s++)
		for (int r = 0; r < 4; r++) {
			p->and_mask[s][r] = ALL;
			p->or_bits[s][r] = 0;
		}
	for (size_t i = 0; i < cpuid_nr_rules; i++) {
		const struct cpuid_rule *r = &cpuid_rules[i];
		int s = cpuid_slot(r->leaf, r->subleaf);

		/* every rule has a slot (tests/unit/test_cpuid.c) */
		if (s < 0 || r->reg > CPUID_EDX || !for_vendor(r, vendor))
			continue;
		if (r->ctl == CPUID_CTL_NEVER || !(ctls & CPUID_CTL_BIT(r->ctl)))
			p->and_mask[s][r->reg] &= ~r->mask;
	}
	/* the hypervisor-present bit: Raum's leaves 0x40000000 and up exist */
	p->or_bits[CPUID_SLOT_1][CPUID_ECX] |= 1u << 31;
	/* the address width the root's SLAT really has (AMD APM vol. 3 CPUID Fn8000_0008 EAX[7:0]) */
	if (phys_bits && phys_bits < native_phys_bits) {
		p->and_mask[CPUID_SLOT_80000008][CPUID_EAX] &= ~0xffu;
		p->or_bits[CPUID_SLOT_80000008][CPUID_EAX] |= phys_bits & 0xff;
	}
}
