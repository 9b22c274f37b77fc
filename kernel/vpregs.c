// SPDX-License-Identifier: MIT
/* A child VP's registers by TLFS name: see include/raum/vpregs.h. */
#include <raum/errno.h>
#include <raum/vpregs.h>
#include <raum/x86.h>

bool vpreg_canonical(u64 a) { return (u64)((s64)(a << 16) >> 16) == a; }
#define canonical vpreg_canonical

/* CR0's defined bits (SDM vol. 3A 2.5): PE MP EM TS ET NE WP AM NW CD PG. */
#define CR0_DEFINED 0xe005003fULL
/* RFLAGS: bit 1 is 1; 3, 5, 15 and 22-63 are 0 (SDM vol. 1 3.4.3). */
#define RFLAGS_RSVD0 (BIT(3) | BIT(5) | BIT(15) | ~0x3fffffULL)

bool vpreg_pat_valid(u64 pat)
{
	for (int i = 0; i < 8; i++) {
		u8 t = (u8)(pat >> (8 * i));
		if (t == 2 || t == 3 || t > 7) /* memory types 0 UC, 1 WC, 4 WT, 5 WP, 6 WB, 7 UC- */
			return false;
	}
	return true;
}

static u64 *msr_field(struct vp_regs *r, u32 name, bool *addr)
{
	*addr = true;
	switch (name) {
	case HV_X64_REGISTER_KERNEL_GS_BASE: return &r->kernel_gs_base;
	case HV_X64_REGISTER_SYSENTER_EIP: return &r->sysenter_eip;
	case HV_X64_REGISTER_SYSENTER_ESP: return &r->sysenter_esp;
	case HV_X64_REGISTER_LSTAR: return &r->lstar;
	case HV_X64_REGISTER_CSTAR: return &r->cstar;
	}
	*addr = false;
	switch (name) {
	case HV_X64_REGISTER_SYSENTER_CS: return &r->sysenter_cs;
	case HV_X64_REGISTER_STAR: return &r->star;
	case HV_X64_REGISTER_SFMASK: return &r->sfmask;
	case HV_X64_REGISTER_CR2: return &r->cr2;
	}
	return NULL;
}

static const struct vp_seg *seg_of(const struct vp_regs *r, u32 name)
{
	return name >= HV_X64_REGISTER_ES && name <= HV_X64_REGISTER_TR ? &r->seg[name - HV_X64_REGISTER_ES] : NULL;
}

int vpreg_get(const struct vp_regs *r, u32 name, struct hv_register_value *v)
{
	bool addr;
	const struct vp_seg *s = seg_of(r, name);
	u64 *f = msr_field((struct vp_regs *)r, name, &addr);

	v->low = v->high = 0;
	if (name >= HV_X64_REGISTER_RAX && name <= HV_X64_REGISTER_R15) {
		v->low = r->gpr[name - HV_X64_REGISTER_RAX];
	} else if (s) {
		v->low = s->base;
		v->high = (u64)s->limit | (u64)s->sel << 32 | (u64)s->attr << 48;
	} else if (f) {
		v->low = *f;
	} else {
		switch (name) {
		case HV_X64_REGISTER_RIP: v->low = r->rip; break;
		case HV_X64_REGISTER_RFLAGS: v->low = r->rflags; break;
		case HV_X64_REGISTER_CR0: v->low = r->cr0; break;
		case HV_X64_REGISTER_CR3: v->low = r->cr3; break;
		case HV_X64_REGISTER_CR4: v->low = r->cr4; break;
		case HV_X64_REGISTER_CR8: v->low = r->cr8; break;
		case HV_X64_REGISTER_DR6: v->low = r->dr6; break;
		case HV_X64_REGISTER_DR7: v->low = r->dr7; break;
		case HV_X64_REGISTER_EFER: v->low = r->efer; break;
		case HV_X64_REGISTER_PAT: v->low = r->pat; break;
		case HV_X64_REGISTER_IDTR: v->low = r->idtr_base; v->high = r->idtr_limit; break;
		case HV_X64_REGISTER_GDTR: v->low = r->gdtr_base; v->high = r->gdtr_limit; break;
		default: return -RAUM_EINVAL;
		}
	}
	return 0;
}

int vpreg_set(struct vp_regs *r, u32 name, const struct hv_register_value *v, const struct vpreg_limits *lim)
{
	bool addr;
	u64 x = v->low;
	u64 *f = msr_field(r, name, &addr);

	if (name >= HV_X64_REGISTER_RAX && name <= HV_X64_REGISTER_R15) {
		r->gpr[name - HV_X64_REGISTER_RAX] = x;
		return 0;
	}
	if (name >= HV_X64_REGISTER_ES && name <= HV_X64_REGISTER_TR) {
		/* the limit is 32 bits, attributes 12 (bits 15:12 of the packed form are reserved); bases of
		 * FS, GS, LDTR and TR are 64-bit addresses, the others' upper half is ignored by the CPU */
		u16 attr = (u16)(v->high >> 48);
		if ((attr & 0xf000) || !canonical(x))
			return -RAUM_EINVAL;
		r->seg[name - HV_X64_REGISTER_ES] =
			(struct vp_seg){ .base = x, .limit = (u32)v->high, .sel = (u16)(v->high >> 32), .attr = attr };
		return 0;
	}
	if (f) {
		if ((addr && !canonical(x)) || (name == HV_X64_REGISTER_SFMASK && (x >> 32)) ||
		    (name == HV_X64_REGISTER_SYSENTER_CS && (x >> 32)))
			return -RAUM_EINVAL;
		*f = x;
		return 0;
	}
	switch (name) {
	case HV_X64_REGISTER_RIP:
		if (!canonical(x))
			return -RAUM_EINVAL;
		r->rip = x;
		return 0;
	case HV_X64_REGISTER_RFLAGS:
		if ((x & RFLAGS_RSVD0) || !(x & BIT(1)))
			return -RAUM_EINVAL;
		r->rflags = x;
		return 0;
	case HV_X64_REGISTER_CR0:
		/* NW without CD is refused by MOV CR0 (#GP) and by VMRUN (APM 15.5.1) */
		if ((x & ~CR0_DEFINED) || ((x & BIT(29)) && !(x & BIT(30))))
			return -RAUM_EINVAL;
		r->cr0 = x;
		return 0;
	case HV_X64_REGISTER_CR3:
		if (x >> 52) /* MBZ above the widest physical address (APM 15.5.1 checks the CPU's own width) */
			return -RAUM_EINVAL;
		r->cr3 = x;
		return 0;
	case HV_X64_REGISTER_CR4:
		if (x & lim->cr4_reserved)
			return -RAUM_EINVAL;
		r->cr4 = x;
		return 0;
	case HV_X64_REGISTER_CR8:
		if (x >> 4) /* MOV to CR8 raises #GP for bits 63:4 */
			return -RAUM_EINVAL;
		r->cr8 = x;
		return 0;
	case HV_X64_REGISTER_DR6:
	case HV_X64_REGISTER_DR7:
		if (x >> 32)
			return -RAUM_EINVAL;
		*(name == HV_X64_REGISTER_DR6 ? &r->dr6 : &r->dr7) = x;
		return 0;
	case HV_X64_REGISTER_EFER:
		if (x & ~lim->efer_writable)
			return -RAUM_EINVAL;
		r->efer = x;
		return 0;
	case HV_X64_REGISTER_PAT:
		if (!vpreg_pat_valid(x))
			return -RAUM_EINVAL;
		r->pat = x;
		return 0;
	case HV_X64_REGISTER_IDTR:
	case HV_X64_REGISTER_GDTR:
		if (!canonical(x) || (v->high >> 16))
			return -RAUM_EINVAL;
		if (name == HV_X64_REGISTER_IDTR) {
			r->idtr_base = x;
			r->idtr_limit = (u16)v->high;
		} else {
			r->gdtr_base = x;
			r->gdtr_limit = (u16)v->high;
		}
		return 0;
	}
	return -RAUM_EINVAL;
}

void vpreg_reset(struct vp_regs *r)
{
	*r = (struct vp_regs){ 0 };
	r->rip = 0xfff0;
	r->rflags = 0x2;
	for (int i = 0; i < VP_NSEG; i++)
		r->seg[i] = (struct vp_seg){ .limit = 0xffff, .attr = 0x93 }; /* present, writable data, accessed */
	r->seg[VP_CS] = (struct vp_seg){ .sel = 0xf000, .base = 0xffff0000, .limit = 0xffff, .attr = 0x9b };
	r->seg[VP_LDTR] = (struct vp_seg){ .limit = 0xffff, .attr = 0x82 };
	r->seg[VP_TR] = (struct vp_seg){ .limit = 0xffff, .attr = 0x8b };
	r->gdtr_limit = r->idtr_limit = 0xffff;
	r->cr0 = 0x60000010; /* CD, NW, ET */
	r->dr6 = 0xffff0ff0;
	r->dr7 = 0x400;
	r->pat = 0x0007040600070406ULL;
	r->gpr[GPR_RDX] = 0x600; /* the CPU signature's family 6: a plausible value, as QEMU's reset */
}

int vpreg_event_decode(u64 v, struct vp_event *e)
{
	*e = (struct vp_event){ 0 };
	if (!(v & 1))
		return v ? -RAUM_EINVAL : 0; /* withdrawn, with nothing else set */
	u32 type = (v >> 1) & 7, vec = (v >> 16) & 0xffff;
	bool ev = v & BIT(4);
	if ((v & 0xffe0) || vec > 0xff) /* instruction length and nested-event bits: not for an injection */
		return -RAUM_EINVAL;
	switch (type) {
	case HV_X64_PENDING_INTERRUPT:
		if (vec < 32 || ev || (v >> 32))
			return -RAUM_EINVAL;
		break;
	case HV_X64_PENDING_NMI:
		if (vec != 2 || ev || (v >> 32))
			return -RAUM_EINVAL;
		break;
	case HV_X64_PENDING_EXCEPTION:
		if (vec >= 32 || vec == 2 || ev != !!(EXC_ERROR_CODE & BIT(vec)) || (!ev && (v >> 32)))
			return -RAUM_EINVAL;
		break;
	default:
		return -RAUM_EINVAL;
	}
	*e = (struct vp_event){ .pending = true, .type = (u8)type, .vector = (u8)vec, .has_error = ev,
				.error = (u32)(v >> 32) };
	return 0;
}

u64 vpreg_event_encode(const struct vp_event *e)
{
	if (!e->pending)
		return 0;
	return 1 | ((u64)(e->type & 7) << 1) | (e->has_error ? BIT(4) : 0) | ((u64)e->vector << 16) |
	       (e->has_error ? (u64)e->error << 32 : 0);
}

bool vpreg_msr_value_ok(u32 msr, u64 val, bool addr)
{
	if (addr && !vpreg_canonical(val))
		return false;
	if (msr == MSR_PAT)
		return vpreg_pat_valid(val);
	return !((msr == MSR_SFMASK || msr == MSR_SYSENTER_CS) && (val >> 32));
}
