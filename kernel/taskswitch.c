// SPDX-License-Identifier: MIT
/*
 * Task switches, emulated for VT-x (include/raum/taskswitch.h): the steps
 * of Intel SDM vol. 3A 8.3 in their order, with the checks of table 8-2
 * raising #TS, #NP, #SS or #GP as hardware would. Pure: every guest-memory
 * access goes through ts_ops (the VP's RAM-checked linear accessors), so
 * the host unit test drives it over a fake memory.
 *
 *   32-bit TSS (SDM 8.2.1 figure 8-2), the dynamic fields at 0x20..0x5f:
 *   0x00 link | 0x1c CR3 | 0x20 EIP | 0x24 EFLAGS | 0x28 EAX ECX EDX EBX
 *   ESP EBP ESI EDI | 0x48 ES CS SS DS FS GS (4 bytes each) | 0x60 LDT |
 *   0x64 T (bit 0) | 0x66 I/O map base
 */
#include <raum/errno.h>
#include <raum/taskswitch.h>
#include <raum/x86-regs.h>

struct tss32 {
	u32 link;
	u32 esp0, ss0, esp1, ss1, esp2, ss2;
	u32 cr3, eip, eflags;
	u32 gpr[8];
	u32 sel[6];
	u32 ldt;
	u16 trap, iomap;
} __attribute__((packed));
_Static_assert(sizeof(struct tss32) == 0x68, "32-bit TSS is 104 bytes");
_Static_assert(__builtin_offsetof(struct tss32, cr3) == 0x1c, "TSS CR3");
_Static_assert(__builtin_offsetof(struct tss32, eip) == 0x20, "TSS EIP");
_Static_assert(__builtin_offsetof(struct tss32, gpr) == 0x28, "TSS EAX");
_Static_assert(__builtin_offsetof(struct tss32, sel) == 0x48, "TSS ES");
_Static_assert(__builtin_offsetof(struct tss32, ldt) == 0x60, "TSS LDT");
_Static_assert(__builtin_offsetof(struct tss32, trap) == 0x64, "TSS T");

#define TSS_DYN_OFF 0x20
#define TSS_DYN_LEN 0x40 /* EIP .. GS */


#define DESC_BUSY BIT(41)          /* TSS type bit 1 */
#define AR_TYPE(ar) ((ar)&0xf)
#define AR_S BIT(4)
#define AR_DPL(ar) (((ar) >> 5) & 3)
#define AR_P BIT(7)
#define TYPE_CODE BIT(3)
#define TYPE_CONFORMING BIT(2) /* code; expand-down for data */
#define TYPE_RW BIT(1)         /* readable code, writable data */
#define TYPE_ACCESSED BIT(0)

#define VEC_TS 10
#define VEC_NP 11
#define VEC_SS 12
#define VEC_GP 13

struct ctx {
	struct ts_state *s;
	const struct ts_ops *ops;
	void *priv;
	struct ts_fault *f;
};

static int fault(struct ctx *c, u8 vector, u32 error)
{
	c->f->vector = vector;
	c->f->error = error;
	return 1;
}

static struct ts_seg seg_from_desc(u16 sel, u64 d)
{
	struct ts_seg g = { .sel = sel };

	g.ar = ((d >> 40) & 0xff) | (((d >> 52) & 0xf) << 12);
	g.limit = (u32)((d & 0xffff) | ((d >> 32) & 0xf0000));
	if (d & BIT(55))
		g.limit = (g.limit << 12) | 0xfff;
	g.base = (u32)(((d >> 16) & 0xffffff) | (((d >> 56) & 0xff) << 24));
	return g;
}

/* The descriptor sel names (GDT, or the LDT just loaded); 1 with #TS(sel) or #GP(sel) when out of bounds. */
static int read_desc(struct ctx *c, u16 sel, u8 vector, u64 *d, u64 *addr)
{
	u64 base = c->s->gdt_base;
	u32 limit = c->s->gdt_limit;

	if (sel & 4) {
		const struct ts_seg *ldt = &c->s->seg[TS_LDTR];
		if (ldt->ar & TS_AR_UNUSABLE)
			return fault(c, vector, sel & 0xfffc);
		base = ldt->base;
		limit = ldt->limit;
	}
	if ((u32)(sel | 7) > limit)
		return fault(c, vector, sel & 0xfffc);
	*addr = base + (sel & ~7u);
	if (c->ops->read(c->priv, *addr, d, 8))
		return fault(c, VEC_GP, 0); /* hardware: #PF; Raum reads only mapped RAM */
	return 0;
}

static int write_desc(struct ctx *c, u64 addr, u64 d)
{
	return c->ops->write(c->priv, addr, &d, 8) ? fault(c, VEC_GP, 0) : 0;
}

/* LDTR from the new TSS (SDM 8.3 table 8-2): GDT only, an LDT descriptor, present; else #TS(sel). */
static int load_ldtr(struct ctx *c, u16 sel)
{
	u64 d, addr;

	if ((sel & ~3) == 0) {
		c->s->seg[TS_LDTR] = (struct ts_seg){ .sel = sel, .ar = TS_AR_UNUSABLE };
		return 0;
	}
	if (sel & 4)
		return fault(c, VEC_TS, sel & 0xfffc);
	if (read_desc(c, sel, VEC_TS, &d, &addr))
		return 1;
	struct ts_seg g = seg_from_desc(sel, d);
	if ((g.ar & AR_S) || AR_TYPE(g.ar) != 2 || !(g.ar & AR_P))
		return fault(c, VEC_TS, sel & 0xfffc);
	c->s->seg[TS_LDTR] = g;
	return 0;
}

/* A code or data segment from the new TSS, with the checks of SDM 8.3 table 8-2. */
static int load_seg(struct ctx *c, int i, u16 sel, u8 cpl)
{
	u64 d, addr;
	u8 rpl = sel & 3;

	if ((sel & ~3) == 0) {
		if (i == TS_CS || i == TS_SS)
			return fault(c, VEC_TS, 0);
		c->s->seg[i] = (struct ts_seg){ .sel = sel, .ar = TS_AR_UNUSABLE };
		return 0;
	}
	if (read_desc(c, sel, VEC_TS, &d, &addr))
		return 1;
	struct ts_seg g = seg_from_desc(sel, d);
	u32 type = AR_TYPE(g.ar), dpl = AR_DPL(g.ar);
	bool code = type & TYPE_CODE;
	u8 np = VEC_NP;

	if (!(g.ar & AR_S))
		return fault(c, VEC_TS, sel & 0xfffc);
	if (i == TS_CS) {
		if (!code || ((type & TYPE_CONFORMING) ? dpl > rpl : dpl != rpl))
			return fault(c, VEC_TS, sel & 0xfffc);
	} else if (i == TS_SS) {
		if (code || !(type & TYPE_RW) || rpl != cpl || dpl != cpl)
			return fault(c, VEC_TS, sel & 0xfffc);
		np = VEC_SS;
	} else {
		if (code && !(type & TYPE_RW))
			return fault(c, VEC_TS, sel & 0xfffc);
		if ((!code || !(type & TYPE_CONFORMING)) && (dpl < cpl || dpl < rpl))
			return fault(c, VEC_TS, sel & 0xfffc);
	}
	if (!(g.ar & AR_P))
		return fault(c, np, sel & 0xfffc);
	if (!(type & TYPE_ACCESSED)) {
		/* loading a segment sets the descriptor's accessed bit (SDM 3.4.5.1) */
		if (write_desc(c, addr, d | BIT(40)))
			return 1;
		g.ar |= TYPE_ACCESSED;
	}
	c->s->seg[i] = g;
	return 0;
}

int task_switch(struct ts_state *s, const struct ts_ops *ops, void *priv, u16 sel, enum ts_reason reason,
		struct ts_fault *f)
{
	struct ctx c = { s, ops, priv, f };
	struct ts_seg *tr = &s->seg[TS_TR];
	struct tss32 n;
	u64 d, naddr, oaddr;

	/* the new TSS descriptor: in the GDT only */
	if ((sel & 4) || (u32)(sel | 7) > s->gdt_limit)
		return fault(&c, VEC_GP, sel & 0xfffc);
	naddr = s->gdt_base + (sel & ~7u);
	if (ops->read(priv, naddr, &d, 8))
		return fault(&c, VEC_GP, 0);
	struct ts_seg g = seg_from_desc(sel, d);
	u32 type = AR_TYPE(g.ar);
	if (g.ar & AR_S)
		return fault(&c, VEC_GP, sel & 0xfffc);
	if (type == 1 || type == 3)
		return -RAUM_ENOTSUP; /* a 16-bit TSS */
	/* IRET returns to a busy task; CALL, JMP and gates need an available one (SDM 8.3 step 3) */
	if (reason == TS_IRET ? type != 11 : type != 9)
		return fault(&c, reason == TS_IRET ? VEC_TS : VEC_GP, sel & 0xfffc);
	/*
	 * No privilege check for CALL / JMP: the CPU made it before the exit, on
	 * the TSS descriptor or, through a task gate, on the gate alone (whose
	 * TSS's DPL does not count, SDM vol. 3A 8.3 step 2); the exit does not say
	 * which (SDM vol. 3C 25.4.2; KVM dropped its check for this reason, Linux
	 * 2c2ca2d12f5c). Re-checking the TSS's DPL would refuse a legal switch.
	 */
	if (!(g.ar & AR_P))
		return fault(&c, VEC_NP, sel & 0xfffc);
	if (g.limit < sizeof(struct tss32) - 1)
		return fault(&c, VEC_TS, sel & 0xfffc);
	if (ops->read(priv, g.base, &n, sizeof(n)))
		return fault(&c, VEC_GP, 0);
	if (n.eflags & RFLAGS_VM)
		return -RAUM_ENOTSUP; /* a virtual-8086 task */

	/* the old task: busy bit (JMP, IRET), NT (IRET), its dynamic state */
	u16 osel = tr->sel;
	oaddr = s->gdt_base + (osel & ~7u);
	if (reason == TS_JMP || reason == TS_IRET) {
		u64 od;
		if ((osel & 4) || (u32)(osel | 7) > s->gdt_limit || ops->read(priv, oaddr, &od, 8) ||
		    write_desc(&c, oaddr, od & ~DESC_BUSY))
			return fault(&c, VEC_GP, 0);
	}
	u32 eflags = s->eflags;
	if (reason == TS_IRET)
		eflags &= ~RFLAGS_NT;
	struct tss32 o;
	o.eip = s->eip;
	o.eflags = eflags;
	for (int i = 0; i < 8; i++)
		o.gpr[i] = s->gpr[i];
	for (int i = 0; i < 6; i++)
		o.sel[i] = s->seg[i].sel;
	if (ops->write(priv, tr->base + TSS_DYN_OFF, (const u8 *)&o + TSS_DYN_OFF, TSS_DYN_LEN))
		return fault(&c, VEC_GP, 0);

	/* the new task: back link and NT (CALL, gate), busy bit (all but IRET) */
	u32 neflags = n.eflags | BIT(1);
	if (reason == TS_CALL || reason == TS_GATE) {
		u16 link = osel;
		if (ops->write(priv, g.base, &link, 2))
			return fault(&c, VEC_GP, 0);
		neflags |= RFLAGS_NT;
	}
	if (reason != TS_IRET) {
		if (write_desc(&c, naddr, d | DESC_BUSY))
			return 1;
		g.ar |= 2;
	}

	/* commit point (SDM 8.3 step 11): from here a fault is raised in the new task */
	*tr = g;
	s->cr0 |= CR0_TS;
	if ((s->cr0 & CR0_PG) && s->cr3 != n.cr3) {
		s->cr3 = n.cr3;
		s->cr3_changed = true;
	}
	s->eip = n.eip;
	s->eflags = neflags;
	for (int i = 0; i < 8; i++)
		s->gpr[i] = n.gpr[i];
	if (load_ldtr(&c, (u16)n.ldt))
		return 1;
	u8 ncpl = n.sel[TS_CS] & 3;
	static const int order[6] = { TS_CS, TS_SS, TS_DS, TS_ES, TS_FS, TS_GS };
	for (int k = 0; k < 6; k++)
		if (load_seg(&c, order[k], (u16)n.sel[order[k]], ncpl))
			return 1;
	return 0;
}
