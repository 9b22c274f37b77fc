// SPDX-License-Identifier: MIT
/*
 * The per-VP INIT / SIPI state machine and the architectural INIT state
 * (include/raum/initsipi.h).
 */
#include <raum/initsipi.h>
#include <raum/vp.h>
#include <raum/x86-regs.h>

_Static_assert(INITSIPI_PEND_VECTOR < INITSIPI_PEND_INIT && INITSIPI_PEND_VECTOR < INITSIPI_PEND_SIPI,
	       "the pending word: vector in bits 7:0, the flags above");

const char *initsipi_state_name(u8 state)
{
	switch (state) {
	case INITSIPI_RUNNING:
		return "running";
	case INITSIPI_WAIT_FOR_SIPI:
		return "wait-for-SIPI";
	default:
		return "?";
	}
}

enum initsipi_action initsipi_step(struct initsipi *s, enum initsipi_event ev, u8 vector)
{
	switch (ev) {
	case INITSIPI_EV_INIT:
		if (s->state == INITSIPI_WAIT_FOR_SIPI)
			return INITSIPI_NONE; /* already reset and waiting (VT-x blocks INIT in wait-for-SIPI) */
		if (s->bsp)
			return INITSIPI_BSP_INIT;
		s->state = INITSIPI_WAIT_FOR_SIPI;
		return INITSIPI_PARK;
	case INITSIPI_EV_SIPI:
		/* SDM vol. 3A 9.4.4: only a processor waiting for SIPI responds; others discard it */
		if (s->state != INITSIPI_WAIT_FOR_SIPI)
			return INITSIPI_NONE;
		s->state = INITSIPI_RUNNING;
		s->vector = vector;
		return INITSIPI_START;
	default:
		/* INIT level de-assert, or anything else: no effect (SDM vol. 3A 11.6.1) */
		return INITSIPI_NONE;
	}
}

bool initsipi_post(struct initsipi *s, enum initsipi_event ev, u8 vector)
{
	u32 old = __atomic_load_n(&s->pending, __ATOMIC_ACQUIRE), new;

	do {
		if (ev == INITSIPI_EV_INIT)
			new = INITSIPI_PEND_INIT; /* an INIT supersedes a SIPI not yet taken */
		else if (ev == INITSIPI_EV_SIPI && !(old & INITSIPI_PEND_SIPI))
			new = old | INITSIPI_PEND_SIPI | vector;
		else
			return false; /* de-assert, or a second SIPI: the first decides */
	} while (!__atomic_compare_exchange_n(&s->pending, &old, new, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));
	return true;
}

enum initsipi_action initsipi_accept(struct initsipi *s, u8 *vector)
{
	u32 p = __atomic_exchange_n(&s->pending, 0, __ATOMIC_ACQ_REL);
	enum initsipi_action a = INITSIPI_NONE;

	if (p & INITSIPI_PEND_INIT)
		a = initsipi_step(s, INITSIPI_EV_INIT, 0);
	if (p & INITSIPI_PEND_SIPI) {
		/* INIT then SIPI taken together: the VP starts (KVM handles both in one pass too) */
		if (initsipi_step(s, INITSIPI_EV_SIPI, (u8)(p & INITSIPI_PEND_VECTOR)) == INITSIPI_START)
			a = INITSIPI_START;
	}
	*vector = s->vector;
	return a;
}

/*
 * Segment attributes in the VMCB packing (include/raum/vp.h), as table
 * 9-1 lists them ("Present, R/W, Accessed") and as VM entry accepts them
 * in real mode (KVM vmx_vcpu_reset / init_vmcb, Jailhouse vcpu_vendor_reset):
 *   data  0x93: P, S, type 3 (read/write, accessed)
 *   CS    0x9b: P, S, type 11 (execute/read, accessed)
 *   LDTR  0x82: P, type 2 (LDT)
 *   TR    0x8b: P, type 11 (busy 32-bit TSS; VT-x outside IA-32e mode takes 3 or 11, SDM vol. 3C 27.3.1.2)
 * DPL 0, G 0, D/B 0, limit 0xffff, base 0 (CS apart).
 */
#define SEG_DATA 0x93
#define SEG_CODE 0x9b
#define SEG_LDT 0x82
#define SEG_TSS_BUSY 0x8b

void initsipi_init_regs(struct vp_regs *r, u32 cpuid1_eax)
{
	u64 cd_nw = r->cr0 & (CR0_CD | CR0_NW);

	/* kept: the MSRs INIT leaves alone (SDM vol. 3A 9.1) */
	u64 pat = r->pat, sys_cs = r->sysenter_cs, sys_esp = r->sysenter_esp, sys_eip = r->sysenter_eip;
	u64 star = r->star, lstar = r->lstar, cstar = r->cstar, sfmask = r->sfmask, kgs = r->kernel_gs_base;

	*r = (struct vp_regs){ 0 };
	r->pat = pat;
	r->sysenter_cs = sys_cs;
	r->sysenter_esp = sys_esp;
	r->sysenter_eip = sys_eip;
	r->star = star;
	r->lstar = lstar;
	r->cstar = cstar;
	r->sfmask = sfmask;
	r->kernel_gs_base = kgs;

	/* EAX 0 (no BIST), EDX the signature 000n06xxH / family-model-stepping, the others 0 */
	r->gpr[GPR_RDX] = cpuid1_eax;
	r->rip = 0xfff0;
	r->rflags = 0x2; /* bit 1 reads as 1 */
	for (int i = 0; i < VP_NSEG; i++)
		r->seg[i] = (struct vp_seg){ .sel = 0, .attr = SEG_DATA, .limit = 0xffff, .base = 0 };
	r->seg[VP_CS] = (struct vp_seg){ .sel = 0xf000, .attr = SEG_CODE, .limit = 0xffff, .base = 0xffff0000 };
	r->seg[VP_LDTR].attr = SEG_LDT;
	r->seg[VP_TR].attr = SEG_TSS_BUSY;
	r->gdtr_limit = 0xffff;
	r->idtr_limit = 0xffff;
	/*
	 * CR0 60000010H (CD, NW, ET) at power-up; INIT keeps CD and NW (table
	 * 9-1 footnote; KVM 4c72ab5a "Preserve guest's CR0.CD/NW on INIT").
	 */
	r->cr0 = CR0_ET | cd_nw;
	/* CR2, CR3, CR4 0; EFER 0 (KVM, MiniVisor; with CR0.PG clear LMA is 0 either way) */
	r->dr6 = 0xffff0ff0;
	r->dr7 = 0x400;
}

void initsipi_reset_regs(struct vp_regs *r, u8 vector, u32 cpuid1_eax)
{
	initsipi_init_regs(r, cpuid1_eax);
	/* SDM vol. 3A 9.4.4.1: the AP starts at 000VV000H in real mode; KVM kvm_vcpu_deliver_sipi_vector */
	r->seg[VP_CS].sel = (u16)(vector << 8);
	r->seg[VP_CS].base = (u64)vector << 12;
	r->rip = 0;
}
