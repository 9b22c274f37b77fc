// SPDX-License-Identifier: MIT
/*
 * The root's physical-address width under memory encryption, decided from
 * recorded CPUID / MSR values: see include/raum/memcrypt.h. Pure code,
 * shared by the loader (which refuses) and the hypervisor (which clamps).
 */
#include <raum/fmt.h>
#include <raum/memcrypt.h>

/* Outside this range CPUID 0x80000008 is absent or absurd (as mm/slat.c). */
#define WIDTH_MIN 32
#define WIDTH_MAX 52
#define WIDTH_DEFAULT 36 /* the architectural minimum with PAE */

static void refuse(struct memcrypt_result *r, const char *fmt, ...) __printf(2, 3);
static void refuse(struct memcrypt_result *r, const char *fmt, ...)
{
	va_list ap;

	r->ok = false;
	va_start(ap, fmt);
	raum_vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	va_end(ap);
}

/*
 * AMD (APM vol. 2 7.10.1 and 7.10.2; Linux early_detect_mem_encrypt). With
 * SYSCFG.MemEncryptionModEn set, the C-bit is no address bit and the usable
 * width shrinks by PhysAddrReduction (CPUID 0x8000001F EBX[11:6]); Linux
 * subtracts it from x86_phys_bits whether or not it uses SME itself. The
 * C-bit may lie inside MAXPHYADDR (Zen 2 / 3 client and Rome: bit 47 of 48)
 * or above it (Milan: bit 51 of 48); either way no address Raum maps may
 * reach it. With MemEncryptionModEn clear the C-bit has no meaning and the
 * width is the full one.
 *
 * SEV-SNP (APM vol. 2 15.36; SYSCFG.SNPEn, bit 24) makes every write of the
 * host, Raum's included, pass a check against the RMP, a table Raum neither
 * builds nor protects from the root: refused.
 */
static void check_amd(const struct memcrypt_probe *p, struct memcrypt_result *r)
{
	if (!p->e1f_valid || !p->syscfg_valid ||
	    !(p->e1f_eax & (CPUID_8000001F_EAX_SME | CPUID_8000001F_EAX_SEV | CPUID_8000001F_EAX_SNP)))
		return;
	if (p->syscfg & SYSCFG_SNP_EN) {
		refuse(r, "SEV-SNP is enabled, and its RMP would check Raum's own memory writes, which "
			  "Raum does not support: turn SEV-SNP off in the firmware setup.");
		return;
	}
	if (!(p->syscfg & SYSCFG_MEM_ENCRYPT))
		return;

	unsigned cbit = CPUID_8000001F_EBX_CBIT(p->e1f_ebx);
	unsigned red = CPUID_8000001F_EBX_REDUCTION(p->e1f_ebx);
	r->cbit = cbit;
	r->taken = red;
	if (cbit < WIDTH_MIN) {
		refuse(r, "The processor reports memory encryption with an impossible C-bit position "
			  "(bit %u): turn SME and SEV off in the firmware setup.", cbit);
		return;
	}
	if (red >= r->cpu_bits || r->cpu_bits - red < WIDTH_MIN) {
		refuse(r, "The processor reports memory encryption taking %u of its %u physical address "
			  "bits, which leaves too few: turn SME and SEV off in the firmware setup.",
		       red, r->cpu_bits);
		return;
	}
	r->kind = MEMCRYPT_SME;
	r->bits = MIN(r->cpu_bits - red, cbit);
}

/*
 * Intel (MKTME specification, IA32_TME_ACTIVATE; Linux detect_tme_early).
 * Only a locked and enabled TME_ACTIVATE counts: an unlocked one means the
 * firmware did not activate TME, and the hardware then decodes every
 * address bit. KeyID bits are set by the firmware and lower the width
 * whether or not any software uses KeyIDs; TME with none (one platform key
 * for all memory) is transparent and takes no bits.
 */
static void check_intel(const struct memcrypt_probe *p, struct memcrypt_result *r)
{
	if (!p->c7_valid || !(p->c7_ecx & CPUID7_ECX_TME) || !p->tme_valid)
		return;
	if (!(p->tme_activate & TME_ACTIVATE_LOCKED) || !(p->tme_activate & TME_ACTIVATE_ENABLED))
		return;
	unsigned k = TME_ACTIVATE_KEYID_BITS(p->tme_activate);
	if (k == 0)
		return;
	r->taken = k;
	if (r->cpu_bits - k < WIDTH_MIN) {
		refuse(r, "TME-MK takes %u of the processor's %u physical address bits for KeyIDs, "
			  "which leaves too few: turn TME-MK off in the firmware setup.", k, r->cpu_bits);
		return;
	}
	r->kind = MEMCRYPT_TME_MK;
	r->bits = r->cpu_bits - k;
}

void memcrypt_check(const struct memcrypt_probe *p, struct memcrypt_result *r)
{
	unsigned w = p->e8_valid ? p->e8_eax & 0xff : 0;

	*r = (struct memcrypt_result){ 0 };
	if (w < WIDTH_MIN || w > WIDTH_MAX)
		w = WIDTH_DEFAULT;
	r->ok = true;
	r->cpu_bits = r->bits = w;
	if (p->vendor == RAUM_VENDOR_AMD)
		check_amd(p, r);
	else if (p->vendor == RAUM_VENDOR_INTEL)
		check_intel(p, r);
}

void memcrypt_describe(const struct memcrypt_result *r, char *buf, size_t n)
{
	if (!n)
		return;
	buf[0] = '\0';
	if (!r->ok)
		return;
	if (r->kind == MEMCRYPT_SME)
		raum_snprintf(buf, n, "SME enabled: the root's physical address width is %u bits, not %u "
				      "(C-bit %u)", r->bits, r->cpu_bits, r->cbit);
	else if (r->kind == MEMCRYPT_TME_MK)
		raum_snprintf(buf, n, "TME-MK enabled: the root's physical address width is %u bits, not "
				      "%u (%u KeyID bits)", r->bits, r->cpu_bits, r->taken);
}
