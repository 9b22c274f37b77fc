// SPDX-License-Identifier: MIT
/* The root's PCI configuration accesses through Raum: see include/raum/pciio.h. */
#include <raum/acpi.h>
#include <raum/decode.h>
#include <raum/errno.h>
#include <raum/health.h>
#include <raum/log.h>
#include <raum/pciio.h>
#include <raum/pt.h>
#include <raum/spinlock.h>
#include <raum/vendor.h>
#include <raum/vm.h>
#include <raum/vp.h>
#include <raum/x86.h>

struct pciguard pci_guard;

static struct spinlock cf8_lock = SPINLOCK_INIT; /* the hardware's 0xCF8 and the data ports: one at a time */
static u32 cf8_shadow;           /* what the root last wrote to 0xCF8 as a dword */
static u64 host_ecam;            /* the host bridge's ECAM page (read-only in the root's SLAT); 0: none */

static u32 port_in(u16 port, unsigned size) { return size == 1 ? inb(port) : size == 2 ? inw(port) : inl(port); }

static void port_out(u16 port, unsigned size, u32 v)
{
	if (size == 1)
		outb(port, (u8)v);
	else if (size == 2)
		outw(port, (u16)v);
	else
		outl(port, v);
}

/* The root's RAX after an IN of size bytes: the low bytes replaced (a 32-bit IN clears bits 63:32). */
static void set_rax(struct vp *vp, unsigned size, u32 v)
{
	u64 *rax = &vp->gpr[GPR_RAX];

	if (size == 4)
		*rax = v;
	else if (size == 2)
		*rax = (*rax & ~0xffffULL) | (u16)v;
	else
		*rax = (*rax & ~0xffULL) | (u8)v;
}

enum exit_action exit_pci_io(struct vp *vp, u16 port, unsigned size, bool in, bool string)
{
	u32 out = (u32)vp->gpr[GPR_RAX];

	/*
	 * Whole accesses inside 0xCF8-0xCFF only: one that straddles into the data
	 * ports from outside (or from 0xCF8-0xCFB) would reach them with whatever
	 * address the hardware holds, unchecked.
	 */
	if (string || (size != 1 && size != 2 && size != 4) || port < PCIIO_PORT_FIRST ||
	    port + size - 1 > PCIIO_PORT_LAST || (port < 0xcfc && port + size - 1 >= 0xcfc)) {
		pr_debug("vp%u: %s I/O at port %#x (size %u) refused: #GP", vp->index, string ? "string" : "straddling",
			 port, size);
		health_add(&health.pci_refused, 1);
		vp_inject_exception(vp, 13, true, 0);
		return EXIT_RESUME;
	}
	spin_lock(&cf8_lock);
	if (port == 0xcf8 && size == 4) {
		/* the address register: the shadow only; the hardware gets it with each data access it allows */
		if (in)
			set_rax(vp, 4, cf8_shadow);
		else
			cf8_shadow = out;
	} else if (port < 0xcfc) {
		/* bytes and words at 0xCF8-0xCFB are other registers (0xCF9: reset control): as they are */
		if (in)
			set_rax(vp, size, port_in(port, size));
		else
			port_out(port, size, out);
	} else {
		enum pciguard_action a = pciguard_check_cf8(&pci_guard, cf8_shadow, port, size, !in);
		if (a == PCIGUARD_PASS || (a == PCIGUARD_DROP && in)) {
			outl(0xcf8, cf8_shadow);
			if (in)
				set_rax(vp, size, port_in(port, size));
			else
				port_out(port, size, out);
		} else {
			if (in)
				set_rax(vp, size, 0xffffffffu); /* no function there */
			health_add(&health.pci_refused, 1);
		}
	}
	spin_unlock(&cf8_lock);
	return EXIT_ADVANCE;
}

int pciio_protect_ecam(struct partition *root, const struct mcfg_seg *segs, int n)
{
	int rc;

	for (int s = 0; s < n; s++) {
		if (segs[s].segment != 0)
			continue;
		for (unsigned i = 0; i < pci_guard.nr_hidden; i++) {
			u16 bdf = pci_guard.hidden[i];
			u64 page = mcfg_ecam_addr(&segs[s], (u8)(bdf >> 8), (bdf >> 3) & 31, bdf & 7);
			if (page && (rc = pt_unmap(&root->slat, page, PAGE_SIZE)) < 0)
				return rc;
		}
		u64 host = pci_guard.lock_host_bridge ? mcfg_ecam_addr(&segs[s], 0, 0, 0) : 0;
		if (!host)
			continue;
		if (host >= (4ULL << 30)) {
			/* beyond what the physmap surely covers: Raum cannot do the allowed writes, so none go */
			if ((rc = pt_unmap(&root->slat, host, PAGE_SIZE)) < 0)
				return rc;
			continue;
		}
		if ((rc = partition_page_readonly(root, host)) < 0)
			return rc;
		host_ecam = host;
	}
	return 0;
}

bool ecam_page_has(const struct partition *p, u64 gpa)
{
	return p->id == 0 && host_ecam && gpa >= host_ecam && gpa < host_ecam + PAGE_SIZE;
}

/* A root store into the host bridge's ECAM page: done on the hardware unless the guard drops it. */
enum exit_action ecam_page_write(struct vp *vp, u64 gpa, const struct x86_insn *in, u64 value)
{
	u32 off = (u32)(gpa - host_ecam);

	if (in->size > 4 || off + in->size > PAGE_SIZE || (off & (in->size - 1))) {
		vp_inject_exception(vp, 13, true, 0); /* config space takes aligned bytes, words and dwords */
		return EXIT_RESUME;
	}
	if (pciguard_check(&pci_guard, PCIGUARD_HOST_BRIDGE, off, in->size, true) == PCIGUARD_PASS) {
		volatile u8 *p = (volatile u8 *)phys_to_virt(gpa);
		if (in->size == 1)
			*p = (u8)value;
		else if (in->size == 2)
			*(volatile u16 *)p = (u16)value;
		else
			*(volatile u32 *)p = (u32)value;
	} else {
		health_add(&health.pci_refused, 1);
	}
	vp->rip += in->len;
	return EXIT_SKIPPED;
}
