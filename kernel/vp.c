// SPDX-License-Identifier: MIT
/*
 * The VP lifecycle (include/raum/vp.h): each call is checked against the
 * state machine (kernel/vpstate.c) before the vendor op runs, so a wrong
 * order is refused with an error instead of reaching VMPTRLD / VMRUN.
 * Called with interrupts off on the CPU that runs the VP (Raum never
 * enables them in host mode), so this CPU's loaded_vp cannot change under
 * the caller.
 */
#include <raum/cpu.h>
#include <raum/errno.h>
#include <raum/fwctx.h>
#include <raum/log.h>
#include <raum/vendor.h>
#include <raum/vm.h>
#include <raum/x86.h>


int vp_create(struct partition *p, u32 index, struct vp **out)
{
	struct vp *vp;
	int rc;

	if (index >= PARTITION_MAX_VPS)
		return -RAUM_EINVAL;
	if (__atomic_load_n(&p->vps[index], __ATOMIC_RELAXED))
		return -RAUM_EBUSY; /* early answer; the slot is checked again under the lock */
	/* allocated outside the partition lock, which then only guards the table */
	rc = vendor_current()->vp_create(p, index, &vp);
	if (rc)
		return rc;
	vp->part = p;
	vp->index = index;
	vp->life = (struct vp_life){ .state = VP_STATE_CREATED };
	vp->apic_id = index; /* the root's VPs take their CPU's (root_vp_launch) */
	initsipi_init(&vp->initsipi, index == 0);
	vp->slat_generation = p->slat_generation;
	spin_lock(&p->lock);
	if (p->vps[index]) {
		spin_unlock(&p->lock);
		vendor_current()->vp_destroy(vp); /* another CPU created it meanwhile */
		return -RAUM_EBUSY;
	}
	__atomic_store_n(&p->vps[index], vp, __ATOMIC_RELEASE);
	p->nr_vps++;
	spin_unlock(&p->lock);
	*out = vp;
	return 0;
}

int vp_load(struct vp *vp)
{
	struct cpu *c = this_cpu();
	int rc = vp_life_step(&vp->life, VP_OP_LOAD, c->id, c->loaded_vp != NULL);

	if (rc)
		return rc;
	c->loaded_vp = vp;
	rc = vendor_current()->vp_load(vp, c);
	if (rc) {
		/* not loaded after all: the state machine goes back with it */
		c->loaded_vp = NULL;
		vp->life.state = VP_STATE_CREATED;
	}
	return rc;
}

int vp_put(struct vp *vp)
{
	struct cpu *c = this_cpu();
	int rc = vp_life_step(&vp->life, VP_OP_PUT, c->id, c->loaded_vp != NULL);

	if (rc)
		return rc;
	vendor_current()->vp_put(vp);
	c->loaded_vp = NULL;
	return 0;
}

int vp_set_regs(struct vp *vp, const struct vp_regs *r)
{
	struct vp_life l = vp->life;
	int rc = vp_life_step(&l, VP_OP_REGS, cpu_id(), true);

	return rc ? rc : vendor_current()->vp_set_regs(vp, r);
}

int vp_get_regs(struct vp *vp, struct vp_regs *r)
{
	struct vp_life l = vp->life;
	int rc = vp_life_step(&l, VP_OP_REGS, cpu_id(), true);

	if (rc == 0)
		vendor_current()->vp_get_regs(vp, r);
	return rc;
}

int vp_destroy(struct vp *vp)
{
	struct partition *p = vp->part;
	int rc = vp_life_step(&vp->life, VP_OP_DESTROY, cpu_id(), false);

	if (rc)
		return rc;
	spin_lock(&p->lock);
	__atomic_store_n(&p->vps[vp->index], NULL, __ATOMIC_RELEASE);
	p->nr_vps--;
	spin_unlock(&p->lock);
	vendor_current()->vp_destroy(vp);
	return 0;
}

/*
 * A segment from a descriptor of the firmware's GDT (SDM vol. 3A 3.4.5;
 * system descriptors are 16 bytes in long mode, 8.2.3). A null selector,
 * one past the limit or an LDT selector (the firmware uses none) gives an
 * unusable segment.
 */
static struct vp_seg seg_from_gdt(u64 gdt_base, u16 gdt_limit, u16 sel)
{
	struct vp_seg s = { .sel = sel };

	if ((sel & ~7) == 0 || (sel | 7) > gdt_limit || (sel & 4))
		return s;
	u64 d = *(u64 *)phys_to_virt(gdt_base + (sel & ~7));
	s.attr = (u16)(((d >> 40) & 0xff) | (((d >> 52) & 0xf) << 8));
	s.limit = (u32)((d & 0xffff) | ((d >> 32) & 0xf0000));
	if (d & BIT(55)) /* G: limit in 4 KiB units */
		s.limit = (s.limit << 12) | 0xfff;
	s.base = ((d >> 16) & 0xffffff) | (((d >> 56) & 0xff) << 24);
	if (!(d & BIT(44)))
		s.base |= *(u64 *)phys_to_virt(gdt_base + (sel & ~7) + 8) << 32;
	return s;
}

/*
 * The firmware's state as kernel/entry.S saved it, resuming where the
 * loader's call of the entry point returns, with 'rax' as its result. The
 * state entry.S does not save (FS / GS base, CR2, the syscall, SYSENTER
 * and PAT MSRs) is still live in the CPU: read here.
 */
void vp_regs_from_fw(struct vp_regs *r, const struct fw_ctx *fw, u64 rax)
{
	u64 gdt_base, idt_base;
	u16 gdt_limit, idt_limit;
	const u16 sels[VP_NSEG] = { fw->es, fw->cs, fw->ss, fw->ds, fw->fs, fw->gs, fw->ldtr, fw->tr };

	__builtin_memcpy(&gdt_limit, fw->gdtr, 2);
	__builtin_memcpy(&gdt_base, fw->gdtr + 2, 8);
	__builtin_memcpy(&idt_limit, fw->idtr, 2);
	__builtin_memcpy(&idt_base, fw->idtr + 2, 8);
	*r = (struct vp_regs){ 0 };
	for (int i = 0; i < VP_NSEG; i++)
		r->seg[i] = seg_from_gdt(gdt_base, gdt_limit, sels[i]);
	r->seg[VP_FS].base = rdmsr(MSR_FS_BASE);
	r->seg[VP_GS].base = rdmsr(MSR_GS_BASE);
	if (!fw->tr) {
		/* OVMF runs with TR = 0: an empty busy 64-bit TSS, as after reset, which VM entry accepts
		 * (SDM vol. 3C 27.3.1.2; APM vol. 2 15.5.1) */
		r->seg[VP_TR] = (struct vp_seg){ .sel = 0, .attr = 0x8b, .limit = 0xffff, .base = 0 };
	}
	r->gdtr_base = gdt_base;
	r->gdtr_limit = gdt_limit;
	r->idtr_base = idt_base;
	r->idtr_limit = idt_limit;
	r->cr0 = fw->cr0;
	r->cr2 = read_cr2();
	r->cr3 = fw->cr3;
	r->cr4 = fw->cr4;
	r->efer = fw->efer;
	r->dr6 = 0xffff0ff0;
	r->dr7 = 0x400;
	r->rflags = fw->rflags;
	r->rip = *(u64 *)phys_to_virt(fw->rsp);
	r->gpr[GPR_RSP] = fw->rsp + 8;
	r->gpr[GPR_RAX] = rax;
	r->gpr[GPR_RBX] = fw->rbx;
	r->gpr[GPR_RBP] = fw->rbp;
	r->gpr[GPR_R12] = fw->r12;
	r->gpr[GPR_R13] = fw->r13;
	r->gpr[GPR_R14] = fw->r14;
	r->gpr[GPR_R15] = fw->r15;
	r->pat = rdmsr(MSR_PAT);
	r->star = rdmsr(MSR_STAR);
	r->lstar = rdmsr(MSR_LSTAR);
	r->cstar = rdmsr(MSR_CSTAR);
	r->sfmask = rdmsr(MSR_SFMASK);
	r->kernel_gs_base = rdmsr(MSR_KERNEL_GS_BASE);
	r->sysenter_cs = rdmsr(MSR_SYSENTER_CS);
	r->sysenter_esp = rdmsr(MSR_SYSENTER_ESP);
	r->sysenter_eip = rdmsr(MSR_SYSENTER_EIP);
}
