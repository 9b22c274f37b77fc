/* SPDX-License-Identifier: MIT */
/*
 * Memory encryption and the root's physical-address width.
 *
 * AMD SME / SEV and Intel TME-MK take the top bits of a physical address for
 * themselves: AMD's C-bit (encrypt this page) and Intel's KeyID (which key).
 * CPUID 0x80000008 keeps reporting the full width, but with the feature on
 * the memory controller ignores those bits for the location, so hv_base |
 * C-bit (or | KeyID << shift) is the same DRAM as hv_base. An identity map
 * up to 2^MAXPHYADDR would hand the root an alias of Raum's own memory.
 * Raum therefore maps the root only up to the reduced width, as Linux
 * reduces x86_phys_bits (arch/x86/kernel/cpu/amd.c early_detect_mem_encrypt,
 * arch/x86/kernel/cpu/intel.c detect_tme_early).
 *
 * The split is as for the other hardware checks (include/raum/hwcheck.h):
 * memcrypt_probe_cpu() (mm/memcrypt_probe.c, the only part that touches
 * hardware) records CPUID and MSR values; memcrypt_check() (mm/memcrypt.c)
 * decides from them alone, so the loader and the hypervisor reach the same
 * answer and the host unit tests check it with recorded values.
 *
 * What the root can and cannot do under Raum: docs/memory-encryption.md.
 */
#ifndef RAUM_MEMCRYPT_H
#define RAUM_MEMCRYPT_H

#include <raum/bootinfo.h>
#include <raum/x86-regs.h> /* MSR_AMD64_SYSCFG, MSR_IA32_TME_ACTIVATE */

/* AMD APM vol. 3 E.4.17 (CPUID Fn8000_001F), vol. 2 7.10.1 and 15.34.1. */
#define CPUID_8000001F_EAX_SME BIT(0)
#define CPUID_8000001F_EAX_SEV BIT(1)
#define CPUID_8000001F_EAX_SNP BIT(4)
#define CPUID_8000001F_EBX_CBIT(ebx) ((ebx) & 0x3f)            /* C-bit position */
#define CPUID_8000001F_EBX_REDUCTION(ebx) (((ebx) >> 6) & 0x3f) /* PhysAddrReduction */

/*
 * SYSCFG (APM vol. 2 7.10.2 and 15.36): bit 23 MemEncryptionModEn, set by
 * the firmware, turns the C-bit and the address-width reduction on; bit 24
 * SNPEn turns on SEV-SNP's RMP checks.
 */
#define SYSCFG_MEM_ENCRYPT BIT(23)
#define SYSCFG_SNP_EN BIT(24)

/*
 * Intel: CPUID 7.0 ECX bit 13 (TME_EN) says IA32_TME_ACTIVATE exists
 * (Intel MKTME specification 336907, "IA32_TME_ACTIVATE"; SDM vol. 4 table
 * 2-2): bit 0 lock, bit 1 TME enable, bits 35:32 MK_TME_KEYID_BITS, the
 * number of address bits, counted from the top of MAXPHYADDR, that carry
 * the KeyID.
 */
#define CPUID7_ECX_TME BIT(13)
#define TME_ACTIVATE_LOCKED BIT(0)
#define TME_ACTIVATE_ENABLED BIT(1)
#define TME_ACTIVATE_KEYID_BITS(v) ((unsigned)(((v) >> 32) & 0xf))

/* Raw values; an MSR is read only when CPUID says it exists (*_valid). */
struct memcrypt_probe {
	u32 vendor;           /* enum raum_vendor */
	bool e8_valid;        /* CPUID 0x80000008 exists */
	u32 e8_eax;           /* EAX[7:0] MAXPHYADDR */
	/* AMD */
	bool e1f_valid;       /* CPUID 0x8000001F exists */
	u32 e1f_eax, e1f_ebx;
	bool syscfg_valid;    /* read when 0x8000001F reports SME, SEV or SNP */
	u64 syscfg;
	/* Intel */
	bool c7_valid;        /* CPUID 7.0 exists */
	u32 c7_ecx;
	bool tme_valid;       /* read when CPUID 7.0 ECX says TME */
	u64 tme_activate;
};

enum memcrypt_kind {
	MEMCRYPT_NONE = 0, /* no clamp: full width */
	MEMCRYPT_SME,      /* AMD, SYSCFG.MemEncryptionModEn set */
	MEMCRYPT_TME_MK,   /* Intel, TME active with KeyID bits */
};

#define MEMCRYPT_REASON_MAX 200

struct memcrypt_result {
	bool ok;            /* false: refuse, reason[] says why and what to do */
	enum memcrypt_kind kind;
	unsigned cpu_bits;  /* MAXPHYADDR as CPUID says (36 when absent or absurd) */
	unsigned bits;      /* the width for the root's identity map and MTRR masks */
	unsigned cbit;      /* AMD: the C-bit position */
	unsigned taken;     /* AMD: PhysAddrReduction; Intel: KeyID bits */
	char reason[MEMCRYPT_REASON_MAX]; /* one sentence naming the problem and the fix */
};

/*
 * Decides the effective physical-address width from recorded values. Never
 * fails: an unsupported or impossible state gives ok = false and a reason;
 * otherwise 32 <= bits <= 52 and, with SME, bits <= cbit, so no address
 * below 2^bits carries the C-bit or a KeyID.
 */
void memcrypt_check(const struct memcrypt_probe *p, struct memcrypt_result *r);

/*
 * The one-sentence note for a clamp ("SME enabled: the root's physical
 * address width is 43 bits (C-bit 47)"), or an empty string for none.
 */
void memcrypt_describe(const struct memcrypt_result *r, char *buf, size_t n);

/* Fills *p from this CPU (mm/memcrypt_probe.c; loader and hypervisor). */
void memcrypt_probe_cpu(struct memcrypt_probe *p);

#endif
