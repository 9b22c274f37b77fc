// SPDX-License-Identifier: MIT
/*
 * The hypervisor's IDT and exception handling. Policy (see docs/): an
 * exception inside Raum is a bug in Raum, so it panics, except an NMI,
 * which is logged and (from the AMD-V / VT-x work on) passed to the root.
 */
#include <raum/cpu.h>
#include <raum/log.h>
#include <raum/smp.h>
#include <raum/trap.h>
#include <raum/x86.h>

/* 64-bit interrupt gate (SDM vol. 3A 6.14.1, figure 6-8). */
struct __packed idt_gate {
	u16 off_lo;
	u16 sel;
	u8 ist;
	u8 type_attr; /* P, DPL, type 0xE = interrupt gate */
	u16 off_mid;
	u32 off_hi;
	u32 reserved;
};
_Static_assert(sizeof(struct idt_gate) == 16, "IDT gate size");
_Static_assert(offsetof(struct idt_gate, type_attr) == 5, "IDT gate layout");

static struct idt_gate idt[256] __aligned(16);
struct desc_ptr idt_ptr;
extern const u64 trap_stubs[32];

static void set_gate(int vec, u64 handler, u8 ist)
{
	idt[vec] = (struct idt_gate){
		.off_lo = handler & 0xffff,
		.sel = SEL_CODE,
		.ist = ist,
		.type_attr = 0x8e,
		.off_mid = (handler >> 16) & 0xffff,
		.off_hi = handler >> 32,
	};
}

void trap_init(void)
{
	for (int v = 0; v < 32; v++) {
		u8 ist = v == 8 ? IST_DF : v == 2 ? IST_NMI : v == 18 ? IST_MC : 0;
		set_gate(v, trap_stubs[v], ist);
	}
	idt_ptr.limit = sizeof(idt) - 1;
	idt_ptr.base = (u64)idt;
}

static const char *const exc_names[32] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
	"#BR bound range", "#UD invalid opcode", "#NM device not available",
	"#DF double fault", "coprocessor segment overrun", "#TS invalid TSS",
	"#NP segment not present", "#SS stack fault", "#GP general protection",
	"#PF page fault", "reserved 15", "#MF x87 error", "#AC alignment check",
	"#MC machine check", "#XM SIMD error", "#VE virtualization exception",
	"#CP control protection", "reserved 22", "reserved 23", "reserved 24",
	"reserved 25", "reserved 26", "reserved 27", "#HV hypervisor injection",
	"#VC VMM communication", "#SX security exception", "reserved 31",
};

/* Pairs (faulting instruction, where to resume), from kernel/msr.S. */
extern const u64 fixup_table[], fixup_table_end[];
/* Pairs (start, end) of code an NMI restarts at start, from vmx/vmrun.S (the last check before VM entry). */
extern const u64 nmi_restart_table[], nmi_restart_table_end[];
/* kernel/entry.S: hlt_until's check and HLT, which an NMI restarts at the check */
extern const char hlt_until_check[], hlt_until_end[];

void trap_dispatch(struct trap_frame *f)
{
	if (f->vector == 13) {
		for (const u64 *e = fixup_table; e < fixup_table_end; e += 2) {
			if (f->rip == e[0]) {
				f->rip = e[1];
				return;
			}
		}
	}
	if (f->vector == 2) {
		/*
		 * Not fatal. On VT-x an NMI can arrive while Raum handles an exit:
		 * it is counted on this CPU and the exit path injects it into the
		 * root (deliver_nmis in vmx/vmx.c). Two at most: the root takes one
		 * and hardware would latch one more (vmx/nmi.c caps again). An NMI
		 * inside the last check before VM entry restarts that check
		 * (nmi_restart_table), so it is not left here until a later exit.
		 * SVM holds NMIs while GIF is 0, so none arrives here after the
		 * launch. Before the per-CPU area exists there is no root to give
		 * it to: it is only logged.
		 */
		u64 rsp = (u64)f;
		if (rsp >= PERCPU_BASE && rsp < PERCPU_BASE + RAUM_MAX_CPUS * sizeof(struct cpu)) {
			struct cpu *c = this_cpu();
			if (smp_nmi_is_kick(&c->kick_inflight))
				c->kicks++; /* Raum's own signal (include/raum/smp.h): not the root's */
			else if (c->nmi_pending < 2)
				c->nmi_pending++;
			for (const u64 *e = nmi_restart_table; e < nmi_restart_table_end; e += 2)
				if (f->rip >= e[0] && f->rip < e[1])
					f->rip = e[0];
			/* hlt_until: an NMI before its HLT checks the word again rather than halt past it */
			if (f->rip >= (u64)hlt_until_check && f->rip < (u64)hlt_until_end)
				f->rip = (u64)hlt_until_check;
		} else {
			/* no lock in NMI context: this CPU may hold one (docs/locking.md) */
			log_nmi_printf(RAUM_LOG_WARN, "NMI while in the hypervisor at rip %p", (void *)f->rip);
		}
		return;
	}
	panic_frame(f, f->vector < 32 ? exc_names[f->vector] : "unknown vector");
}
