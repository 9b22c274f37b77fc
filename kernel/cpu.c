// SPDX-License-Identifier: MIT
/*
 * Raum's own descriptor tables. OVMF's GDT has no TSS and runs with TR = 0,
 * which a VMCS host state cannot use (SDM vol. 3C 26.2.3), and IST stacks
 * need a TSS; so each CPU gets its own GDT and TSS.
 */
#include <raum/cpu.h>
#include <raum/x86.h>

/* Flat 64-bit code and data descriptors (SDM vol. 3A 3.4.5). */
#define GDT_CODE64 0x00af9a000000ffffULL /* P, DPL0, code exec/read, L */
#define GDT_DATA 0x00cf92000000ffffULL   /* P, DPL0, data read/write */

/* Fills a 16-byte 64-bit TSS descriptor (type 9: available). */
static void set_tss_desc(u64 *d, u64 base, u32 limit)
{
	d[0] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ULL << 40) |
	       ((u64)((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	d[1] = base >> 32;
}

static void load(struct cpu *c, bool tr);

void cpu_load_tables(struct cpu *c) { load(c, true); }

/*
 * RAUM_PHASE_INIT returns to the firmware, whose GDT and IDT kernel/entry.S
 * loads again, but not its TR (0 under OVMF): that call takes Raum's GDT
 * and IDT for its faults (reported, not a silent triple fault) and leaves
 * TR alone. Without a TSS the IST exceptions (#DF, NMI, #MC) would not be
 * delivered: none is expected in that short call.
 */
void cpu_load_tables_no_tr(struct cpu *c) { load(c, false); }

static void load(struct cpu *c, bool tr)
{
	extern struct desc_ptr idt_ptr;

	c->gdt[0] = 0;
	c->gdt[1] = GDT_CODE64;
	c->gdt[2] = GDT_DATA;
	c->tss = (struct tss64){ 0 };
	c->tss.ist[IST_DF - 1] = (u64)(c->df_stack + sizeof(c->df_stack));
	c->tss.ist[IST_NMI - 1] = (u64)(c->nmi_stack + sizeof(c->nmi_stack));
	c->tss.ist[IST_MC - 1] = (u64)(c->mc_stack + sizeof(c->mc_stack));
	c->tss.iomap_base = sizeof(struct tss64); /* no I/O bitmap */
	set_tss_desc(&c->gdt[3], (u64)&c->tss, sizeof(struct tss64) - 1);

	struct desc_ptr gdtr = { sizeof(c->gdt) - 1, (u64)c->gdt };
	__asm__ volatile("lgdt %0\n\t"
			 /* reload CS with a far return, then the data segments */
			 "pushq %1\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "movw %w2, %%ax\n\t"
			 "movw %%ax, %%ss\n\t"
			 "movw %%ax, %%ds\n\t"
			 "movw %%ax, %%es\n\t"
			 "lidt %3"
			 :
			 : "m"(gdtr), "i"(SEL_CODE), "i"(SEL_DATA), "m"(idt_ptr)
			 : "rax", "memory");
	if (tr)
		__asm__ volatile("ltr %w0" ::"r"((u16)SEL_TSS) : "memory");
}
