// SPDX-License-Identifier: MIT
/*
 * The hostile-root suite: PCI configuration space (issue 11, docs/iommu.md).
 * The ports 0xCF8-0xCFF go through Raum: the address register is a shadow
 * the root reads back; writes to the host bridge's decoding registers (its
 * PAM0, at 0x90 on q35 and 0x59 on the i440FX) are dropped and counted
 * (health.pci_refused), through the ports and through the ECAM page; writes
 * below 0x40 pass; an access that straddles into the data ports from 0xCFA
 * and string I/O to them get #GP. With Raum's AMD-Vi remapping on, no
 * function on bus 0 shows the IOMMU's class (0x0806): it is hidden. Both
 * vendors (the ECAM part where the firmware has an ECAM window: q35).
 */
#include "hostile.h"

static UINT32 cfg_addr(UINT8 dev, UINT32 off) { return 0x80000000u | ((UINT32)dev << 11) | (off & 0xfc); }

static UINT32 cfg_read32(UINT8 dev, UINT32 off)
{
	outl(0xcf8, cfg_addr(dev, off));
	return inl(0xcfc);
}

static UINT8 cfg_read8(UINT8 dev, UINT32 off) { return (UINT8)(cfg_read32(dev, off) >> (8 * (off & 3))); }

static void cfg_write8(UINT8 dev, UINT32 off, UINT8 v)
{
	outl(0xcf8, cfg_addr(dev, off));
	outb((UINT16)(0xcfc + (off & 3)), v);
}

static void straddle(void *a __attribute__((unused)))
{
	__asm__ volatile("outl %0, %1" ::"a"(0u), "Nd"((UINT16)0xcfa)); /* bytes 0xcfa-0xcfd */
}

static void store64(void *a) { *(volatile UINT64 *)a = 0; } /* configuration space takes no quadword */

static void string_out(void *a __attribute__((unused)))
{
	static UINT32 zero;
	UINTN n = 1;
	void *src = &zero;
	__asm__ volatile("rep outsl" : "+S"(src), "+c"(n) : "d"((UINT16)0xcfc) : "memory");
}

void hostile_pci(void)
{
	struct snap b, a;
	UINT64 f = irq_save();
	UINT32 id = cfg_read32(0, 0);
	UINT32 pam = id == 0x29c08086u ? 0x90 : id == 0x12378086u ? 0x59 : 0;

	/* the address register reads back what the root wrote */
	outl(0xcf8, 0x8000f8a4u);
	UINT32 back = inl(0xcf8);
	snap(&b);
	judge("pci.cf8_reads_back", back == 0x8000f8a4u && b.ok, &b, L"0xCF8 read back %x, wrote 8000f8a4", back);

	if (!pam) {
		irq_restore(f);
		Print(L"RAUM-CHECK INFO pci: host bridge %x is neither q35 nor i440FX: no PAM register to attack\n", id);
		return;
	}
	/* a decoding register of the host bridge: the write is dropped and counted */
	UINT8 v = cfg_read8(0, pam);
	snap(&b);
	cfg_write8(0, pam, (UINT8)(v ^ 0x10));
	UINT8 after = cfg_read8(0, pam);
	snap(&a);
	if (after != v)
		cfg_write8(0, pam, v); /* it went through: put it back for the rest of the suite */
	judge("pci.host_bridge_locked", after == v && b.ok && a.h.pci_refused - b.h.pci_refused == 1, &a,
	      L"PAM0 (%x) %x, wrote %x, reads %x; pci_refused %ld -> %ld (expected +1)", pam, v, v ^ 0x10, after,
	      b.h.pci_refused, a.h.pci_refused);

	/* below 0x40 a write passes (the command register, written back as it is): nothing refused */
	UINT8 cmd = cfg_read8(0, 4);
	snap(&b);
	cfg_write8(0, 4, cmd);
	snap(&a);
	judge("pci.host_bridge_low_passes", cfg_read8(0, 4) == cmd && a.h.pci_refused == b.h.pci_refused, &a,
	      L"command %x; pci_refused %ld -> %ld (expected no change)", cmd, b.h.pci_refused, a.h.pci_refused);

	/* straddling into the data ports, and string I/O to them: #GP, counted */
	snap(&b);
	long v1 = guarded(straddle, NULL), v2 = guarded(string_out, NULL);
	snap(&a);
	judge("pci.straddle_and_string_gp", v1 == 13 && v2 == 13 && a.h.pci_refused - b.h.pci_refused == 2, &a,
	      L"outl 0xcfa: %a, rep outsl 0xcfc: %a (expected #GP both); pci_refused %ld -> %ld (expected +2)",
	      vec_name(v1), vec_name(v2), b.h.pci_refused, a.h.pci_refused);

	/* q35: the same register through the ECAM page (PCIEXBAR at 0x60: enable bit 0, base bits 35:28) */
	UINT64 bar = cfg_read32(0, 0x60) | (UINT64)cfg_read32(0, 0x64) << 32;
	if (id == 0x29c08086u && (bar & 1)) {
		volatile UINT8 *ecam = (volatile UINT8 *)(UINTN)(bar & 0xff0000000ULL);
		snap(&b);
		ecam[pam] = (UINT8)(v ^ 0x10);
		UINT8 e = ecam[pam];
		ecam[4] = cmd; /* below 0x40: passes */
		snap(&a);
		if (e != v)
			ecam[pam] = v;
		judge("pci.ecam_host_bridge_locked", e == v && a.h.pci_refused - b.h.pci_refused == 1, &a,
		      L"ECAM %lx: PAM0 %x, wrote %x, reads %x; pci_refused %ld -> %ld (expected +1)", (UINT64)(UINTN)ecam,
		      v, v ^ 0x10, e, b.h.pci_refused, a.h.pci_refused);
		UINT32 before = *(volatile UINT32 *)(ecam + 0x90);
		long q = guarded(store64, (void *)(ecam + 0x90));
		snap(&a);
		judge("pci.ecam_quadword_gp", q == 13 && *(volatile UINT32 *)(ecam + 0x90) == before, &a,
		      L"a quadword store into the host bridge's ECAM page: %a (expected #GP)", vec_name(q));
	}

	/* with AMD-Vi remapping on, the IOMMU's own function is hidden: no class 0x0806 on bus 0 */
	snap(&b);
	if (b.h.iommu == 2) {
		int seen = -1, seen_ecam = -1;
		for (UINT8 dev = 0; dev < 32; dev++) {
			if (cfg_read32(dev, 0) != 0xffffffffu && (cfg_read32(dev, 8) >> 16) == 0x0806)
				seen = dev;
			/* and through the ECAM window, where the firmware has one (its page is out of the SLAT) */
			if (id == 0x29c08086u && (bar & 1)) {
				volatile UINT32 *fn = (volatile UINT32 *)(UINTN)((bar & 0xff0000000ULL) + ((UINT64)dev << 15));
				if (fn[0] != 0xffffffffu && (fn[2] >> 16) == 0x0806)
					seen_ecam = dev;
			}
		}
		judge("pci.amd_iommu_hidden", seen < 0 && seen_ecam < 0, &b,
		      L"the IOMMU class 0x0806 shows at device 00:%x.0 through 0xCF8 (-1: none), 00:%x.0 through ECAM",
		      seen, seen_ecam);
	}
	irq_restore(f);
}
