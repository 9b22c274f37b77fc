/* SPDX-License-Identifier: MIT */
/*
 * Partitions and virtual processors: the vendor-neutral part. The vendor VP
 * (struct svm_vp, struct vmx_vp) embeds struct vp and recovers itself with
 * container_of. Vendor code decodes an exit into a struct vp_exit record;
 * the dispatcher (kernel/dispatch.c) hands it to one of the common handlers
 * below (kernel/exit.c, kernel/msr.c, kernel/hypercall.c), which work on
 * struct vp alone and ask the vendor ops for what only it can do.
 */
#ifndef RAUM_VP_H
#define RAUM_VP_H

#include <hv/abi/hvcall.h>
#include <raum/cpu.h>
#include <raum/cpuid.h>
#include <raum/decode.h>
#include <raum/evdeliver.h>
#include <raum/initsipi.h>
#include <raum/mtrr.h>
#include <raum/pt.h>
#include <raum/ramrange.h>
#include <raum/specctrl.h>
#include <raum/spinlock.h>

#define PARTITION_MAX_VPS RAUM_MAX_CPUS
#define PARTITION_RAM_BIG 4

/*
 * A partition: its guest-physical space and its VPs. The vendor backend
 * allocates it embedded in its own object (struct svm_partition, struct
 * vmx_partition: the MSR / I/O bitmaps, the EPTP, the controls), as KVM's
 * kvm_svm embeds struct kvm, and recovers that with container_of.
 */
struct partition {
	u32 id;          /* 0: the root partition; a child its slot in the child table + 1 (the ownership table's slot) */
	u32 state;       /* enum part_state (include/raum/partstate.h); the root is always PART_ACTIVE */
	u64 ext_id;      /* the ID callers name it by: RAUM_ROOT_PARTITION_ID, or a child's (never reused in a boot) */
	u64 pool_page;   /* a child: the root pool page this object lives in (0 for the root) */
	u32 busy;        /* calls working on it unlocked (shootdowns): no finalize or delete meanwhile */
	u32 shootdowns;  /* a child: UnmapGpaPages shootdowns running (they read its VPs: kernel/childvp.c) */
	u64 mapped_pages; /* a child: root pages mapped as its RAM (MapGpaPages) */
	u64 guest_os_id;  /* HV_PARTITION_PROPERTY_GUEST_OS_ID as the root set it */
	struct pt_ctx slat;   /* its second-level translation: NPT (AMD) or EPT (Intel), slat.ept says which */
	u64 gpa_limit;   /* guest-physical addresses at or above this are unbacked */
	unsigned phys_bits; /* root: the effective physical-address width (memcrypt_check) */
	u64 hv_base, hv_size; /* Raum's memory: never mapped into a partition */
	/* The RAM below gpa_limit, Raum's memory left out: all Raum ever reads or writes for the partition */
	const struct ram_range *ram;
	size_t nr_ram;
	/* the largest of them, checked first (page tables and code live there): immutable, as ram is */
	struct ram_range ram_big[PARTITION_RAM_BIG];
	/*
	 * Bumped (partition_slat_changed) after mappings were removed or
	 * weakened: every VP compares it with the generation it last flushed
	 * for before its next entry and flushes this partition's translations
	 * first (SVM: TLB_CONTROL by ASID; VT-x: INVEPT single-context).
	 */
	u64 slat_generation;
	struct cpuid_policy cpuid; /* what CPUID shows it (kernel/cpuid.c), set when the partition is created */
	u64 apic_base;   /* the xAPIC page, read-only in its SLAT (include/raum/smp.h); 0: not trapped */
	struct spinlock lock; /* guards vps[] and nr_vps (docs/locking.md: above the pool lock) */
	struct vp *vps[PARTITION_MAX_VPS]; /* by VP index; NULL where none */
	u32 nr_vps;
	/*
	 * The pages the root deposited for this partition's metadata
	 * (kernel/partmem.c, under partmem's lock): free ones linked through
	 * their first word, counted as available; in_use holds metadata.
	 */
	struct part_pool {
		u64 free_head;  /* physical address of the first free page; 0: none */
		u64 available, in_use;
	} pool;
	/* a child: the intercepts the root installed (InstallIntercept), counts published after the entries */
	u32 nr_cpuid_icpt, nr_msr_icpt;
	u32 cpuid_icpt[RAUM_MAX_INTERCEPTS];
	u32 msr_icpt[RAUM_MAX_INTERCEPTS];
	u8 msr_icpt_access[RAUM_MAX_INTERCEPTS]; /* HV_INTERCEPT_ACCESS_READ / WRITE */
	u32 exc_icpt;         /* exception vectors the root intercepts (bit n: vector n, RAUM_INTERCEPT_EXCEPTIONS) */
};

/* Guest control state a common handler may need, filled by the vendor code. */
struct vp_ctrl {
	u64 cr0, cr3, cr4, efer;
	u64 cs_base; /* RIP + CS base = the linear address of the instruction (real mode too) */
	u8 cpl;
	u8 mode; /* code size of CS: 16, 32 or 64 */
};

/*
 * A segment register in vendor-neutral form. attr is the descriptor's
 * attribute bits packed as the VMCB holds them (APM vol. 2 15.5.1): bits
 * 7:0 type, S, DPL, P (descriptor bits 47:40), bits 11:8 AVL, L, D/B, G
 * (descriptor bits 55:52). A segment with P clear is unusable (VT-x: the
 * access-rights "unusable" bit, SDM vol. 3C 25.4.1).
 */
struct vp_seg {
	u16 sel;
	u16 attr;
	u32 limit;
	u64 base;
};
#define VP_SEG_ATTR_P BIT(7)

enum vp_seg_index { VP_ES, VP_CS, VP_SS, VP_DS, VP_FS, VP_GS, VP_LDTR, VP_TR, VP_NSEG };

/* The architectural state vp_set_regs loads and vp_get_regs returns. */
struct vp_regs {
	u64 gpr[GPR_COUNT];
	u64 rip, rflags;
	struct vp_seg seg[VP_NSEG];
	u64 gdtr_base, idtr_base;
	u16 gdtr_limit, idtr_limit;
	u64 cr0, cr2, cr3, cr4, efer;
	u64 cr8;           /* a child's task priority (bits 3:0): AMD's V_TPR, VT-x's in the VP (CR8 exits) */
	u64 dr6, dr7;
	u64 pat;
	u64 sysenter_cs, sysenter_esp, sysenter_eip;
	u64 star, lstar, cstar, sfmask, kernel_gs_base;
};

/* The lifecycle of a VP (kernel/vpstate.c): which operation is allowed in which state. */
enum vp_state {
	VP_STATE_CREATED,   /* exists, loaded on no CPU */
	VP_STATE_LOADED,    /* current on life.cpu (VMPTRLD / VMCB and ASID): registers may be read and set there */
	VP_STATE_RUNNING,   /* inside vp_run on life.cpu */
	VP_STATE_DESTROYED,
};
enum vp_op { VP_OP_LOAD, VP_OP_PUT, VP_OP_RUN, VP_OP_RUN_DONE, VP_OP_REGS, VP_OP_DESTROY, VP_OPS };
struct vp_life {
	u8 state;        /* enum vp_state */
	u32 cpu;         /* where it is loaded (LOADED, RUNNING) */
};
/*
 * Checks op on a VP in state *l from CPU 'cpu', where 'busy' says another
 * VP is loaded on that CPU, and applies it: 0, or a negative error with *l
 * unchanged (-RAUM_EBUSY: loaded elsewhere, running, or the CPU is taken;
 * -RAUM_EINVAL: not allowed in this state). Pure code (tests/unit/test_vpstate.c).
 */
int vp_life_step(struct vp_life *l, enum vp_op op, u32 cpu, bool busy);
const char *vp_state_name(u8 state);

struct vp_regs;
/* The first field in which a and b differ ("rax", "cs", "cr0", ...), or NULL when they are equal. */
const char *vp_regs_diff(const struct vp_regs *a, const struct vp_regs *b);

struct vp {
	struct partition *part;
	u32 index;
	struct vp_life life;
	u64 gpr[GPR_COUNT]; /* RAX and RSP are copies the vendor code syncs around handlers */
	u64 rip;
	u64 exits[RAUM_EXIT_REASONS]; /* the total is their sum: vp_exits_total() */
	bool mtrr_present;    /* CPUID.1:EDX.MTRR: the shadow below exists */
	struct mtrr_state mtrr; /* the VP's MTRRs as it wrote them (kernel/msr.c) */
	struct vp_spec_ctrl spec_ctrl; /* IA32_SPEC_CTRL, switched by the run loop (include/raum/specctrl.h) */
	u64 slat_generation;  /* the partition's SLAT generation this VP flushes for at its entry (include/raum/shootdown.h) */
	u32 in_guest;         /* between vp_entry_begin and vp_entry_end: the shootdown waits for it */
	/*
	 * 1 while an exit handler runs (vp_dispatch_inline): it may read or
	 * write the partition's memory through the physmap after checking it
	 * (hypercall blocks, page walks). A deposit waits for every other VP
	 * of the root to be out of its handler before Raum writes the pages
	 * (kernel/partmem.c): a check made before the pages were taken cannot
	 * be followed by an access after Raum put its data there.
	 */
	u32 in_handler;
	struct initsipi initsipi; /* INIT / SIPI posted by other VPs and this VP's start-up state (include/raum/smp.h) */
	u32 apic_id;          /* the APIC ID the root addresses it by (root VP n: CPU n's) */
	u32 apic_ldr, apic_dfr; /* the xAPIC LDR and DFR as the VP wrote them: logical destinations */
	u64 sipi_tsc;         /* TSC when the last SIPI was posted to it: the start-up time it logs */
	/* A child's VP (kernel/childvp.c): */
	u32 claimed;          /* 1 while a call (dispatch, registers, delete) works on it: one at a time */
	bool stopped;         /* a triple fault or failed entry ended it: it is not dispatched again */
	u8 pending;           /* enum child_pending: what a COMPLETE finishes */
	u8 pending_size;      /* IN: 1, 2 or 4 */
	u64 pending_next_rip; /* the instruction after the intercepted one */
	u64 xcr0;             /* its XCR0 (live only while it is dispatched) */
	u64 child_dr[4];      /* its DR0-DR3 (live only while it is dispatched) */
	u64 child_tsc_aux;    /* its IA32_TSC_AUX (live only while it is dispatched, where the CPU has one) */
	u64 xsave_phys;       /* its FPU / SSE / AVX state: one page of its pool */
	u32 nr_pool_pages;
	u64 pool_pages[4];    /* CHILD_VP_MAX_PAGES: the pool pages it holds, given back at delete */
	const char *stop_reason; /* why the failure policy stopped it (kernel/dispatch.c): points at stop_why or a constant */
	char stop_why[160];      /* the reason's own copy: the exit record it came from lives on the run loop's stack */
};

/*
 * What a VM exit was, in vendor-neutral form: the vendor's run op fills it
 * after each exit (svm/exit.c, vmx/exit.c), kernel/dispatch.c dispatches
 * it through one bounds-checked table. Kinds that only one vendor has and
 * that only its code can handle (VT-x NMIs, CR access, task switches,
 * exceptions) are VPX_VENDOR: the table sends them back to the vendor's
 * vendor_exit op.
 */
enum vp_exit_kind {
	VPX_CPUID,
	VPX_MSR_READ,
	VPX_MSR_WRITE,
	VPX_HYPERCALL,      /* flags: VPX_F_ALLOWED when CPL 0 in 64-bit mode */
	VPX_SLAT,           /* gpa, flags: VPX_F_WRITE / FETCH / WALK */
	VPX_DELIVERY_FAULT, /* the SLAT refused an event's delivery: gpa, ev_type, ev_vector, idt_base, VPX_F_WALK */
	VPX_INVD,           /* INVD, or WBINVD: done as WBINVD (flags: VPX_F_INVD when the bytes are INVD) */
	VPX_XSETBV,
	VPX_UNDEFINED,      /* an instruction the partition must see as absent (VMX / SVM / SMX): #UD */
	VPX_SHUTDOWN,       /* triple fault */
	VPX_INIT,           /* INIT reached the CPU */
	VPX_IO,             /* IN / OUT to an intercepted port: port, io_size, VPX_F_WRITE (OUT), VPX_F_STRING */
	VPX_VENDOR,         /* the vendor's own (vendor_exit op) */
	VPX_FAILED,         /* the entry failed or the exit is one Raum cannot handle: why says it */
	VPX_KINDS
};

#define VPX_F_WRITE BIT(0)
#define VPX_F_FETCH BIT(1)
#define VPX_F_WALK BIT(2)
#define VPX_F_ALLOWED BIT(3)
#define VPX_F_INVD BIT(4)
#define VPX_F_STRING BIT(5) /* INS / OUTS, with or without REP */

struct vp_exit {
	u32 kind;        /* enum vp_exit_kind */
	u32 reason;      /* the RAUM_EXIT_* counter it counts under, once (kernel/dispatch.c) */
	u32 flags;       /* VPX_F_* */
	u32 code;        /* the vendor's exit code (messages, vendor_exit) */
	u64 qual;        /* the vendor's qualification / EXITINFO1 */
	u64 gpa;
	u64 idt_base;
	u8 ev_type, ev_vector;
	u8 io_size;      /* VPX_IO: 1, 2 or 4 */
	u16 port;        /* VPX_IO */
	char why[160];   /* VPX_FAILED: the message */
};

/* Outcome of a common handler. */
enum exit_action {
	EXIT_RESUME,      /* go back into the guest at vp->rip */
	EXIT_ADVANCE,     /* skip the intercepted instruction, then resume */
	EXIT_SKIPPED,     /* the handler moved vp->rip past an emulated instruction: end any STI / MOV SS shadow */
	EXIT_FATAL,       /* the VP cannot go on (vp->stop_reason, else the exit's why): the failure policy */
	EXIT_SHUTDOWN,    /* the VP shut down (triple fault): the failure policy */
	EXIT_INIT,        /* INIT reached the VP: the failure policy */
};

/*
 * The failure policy (kernel/dispatch.c): what a failed VP does to the
 * machine is decided here alone. Only the root may halt a CPU or reset the
 * machine; any other partition's VP stops alone and its dispatch returns.
 */
enum vp_fail_action { VP_FAIL_HALT_CPU, VP_FAIL_RESET_MACHINE, VP_FAIL_STOP_VP };
enum vp_fail_action vp_fail_decide(bool root, enum exit_action a);

/* kernel/dispatch.c: handles one exit; returns true when the VP may be entered again. */
bool vp_dispatch(struct vp *vp, struct vp_exit *e);
/* The dispatch table's handler for each kind (for the unit test: every kind has one). */
bool vp_dispatch_table_complete(void);
/* Runs the VP (loaded on this CPU) until the failure policy stops it; the root's never return. */
void vp_run_loop(struct vp *vp);

/* kernel/vp.c: the lifecycle through the vendor ops, checked by vp_life_step. */
int vp_create(struct partition *p, u32 index, struct vp **out);
int vp_load(struct vp *vp);
int vp_put(struct vp *vp);
int vp_set_regs(struct vp *vp, const struct vp_regs *r);
int vp_get_regs(struct vp *vp, struct vp_regs *r);
int vp_destroy(struct vp *vp);
/* The architectural state the firmware handed over (kernel/entry.S): the root's first state. */
struct fw_ctx;
void vp_regs_from_fw(struct vp_regs *r, const struct fw_ctx *fw, u64 rax);
/* Marks the partition's translations stale: every VP flushes before its next entry. */
static inline void partition_slat_changed(struct partition *p)
{
	__atomic_add_fetch(&p->slat_generation, 1, __ATOMIC_SEQ_CST);
}

/* kernel/exit.c */
enum exit_action exit_cpuid(struct vp *vp);
/* Sets p->cpuid for this vendor and the controls it enabled (CPUID_CTL_BIT set): called by the launch. */
void partition_cpuid_setup(struct partition *p, u32 vendor, u32 ctls);
enum exit_action exit_slat_violation(struct vp *vp, u64 gpa, bool write, bool fetch, bool walk);
enum exit_action exit_msr_forward(struct vp *vp, bool write);
/*
 * The SLAT refused gpa while the CPU delivered the event (type, vector)
 * (include/raum/evdeliver.h): the delivery faults (#GP, #DF, or a triple
 * fault: the machine resets); the instruction at RIP is left alone. The
 * vendor code has already dropped the event from its injection field.
 * 'walk': the access was a guest page-table walk; idt_base: the root's IDTR
 * base (its limit was checked by the CPU before the gate was read).
 */
enum exit_action exit_delivery_fault(struct vp *vp, enum ev_type type, u8 vector, u64 gpa, bool walk,
				     u64 idt_base);

/* kernel/msr.c: an intercepted RDMSR / WRMSR (ECX, EDX:EAX in vp->gpr) under the MSR policy. */
enum exit_action exit_msr(struct vp *vp, bool write);
/* Sets up a new VP's MSR state: the shadow MTRRs start as the hardware's. */
void vp_msr_init(struct vp *vp);
/* Reads this CPU's MTRRs (all zero where CPUID says there are none). */
void mtrr_read_hw(struct mtrr_state *m);
/*
 * Builds an intercept bitmap for the MSRs [first, first + count) from the
 * policy: set(ctx, msr, read, write) is called for every MSR whose read
 * or write must exit (anything but MSR_PASS).
 */
void msr_policy_bitmap(u32 first, u32 count, void (*set)(void *ctx, u32 msr, bool rd, bool wr), void *ctx);
/* True when [gpa, gpa + len) is wholly the partition's RAM (include/raum/ramrange.h): safe to dereference. */
bool partition_gpa_backed(const struct partition *p, u64 gpa, u64 len);
/* The pointer for gpa: only for memory partition_gpa_backed (or hvcall_validate) accepted. */
void *partition_gpa_ptr(const struct partition *p, u64 gpa);
/*
 * Reads guest-virtual memory of vp (4-level paging or none); returns 0 or a
 * negative error. Page tables and data must be RAM: anything else is refused.
 */
int vp_read_virt(struct vp *vp, const struct vp_ctrl *c, u64 va, void *buf, size_t n);
/* Writes guest-virtual memory with the same walk and RAM-only checks as vp_read_virt. */
int vp_write_virt(struct vp *vp, const struct vp_ctrl *c, u64 va, const void *buf, size_t n);
void vp_dump(struct vp *vp, const char *why);
/* Dumps the VP with why, then halts this CPU: the root's policy for a VP Raum cannot go on with. */
__noreturn void vp_halt_cpu(struct vp *vp, const char *why);
/* Dumps the VP with why, then resets the machine (0xcf9, then the keyboard controller): the root's policy. */
__noreturn void vp_reset_machine(struct vp *vp, const char *why);

/* Every exit counts under exactly one reason except HV_MEMORY, which also counts as NPF. */
static inline u64 vp_exits_total(const struct vp *vp)
{
	u64 t = 0;
	for (int i = 0; i < RAUM_EXIT_REASONS; i++)
		if (i != RAUM_EXIT_HV_MEMORY)
			t += vp->exits[i];
	return t;
}

/*
 * A hypercall instruction (VMMCALL / VMCALL). 'allowed': the caller is at
 * CPL 0 in 64-bit mode, as the TLFS requires of this build; otherwise #UD.
 * Counts the exit, runs the call, leaves the result in RAX.
 */
enum exit_action exit_hypercall(struct vp *vp, bool allowed);
/* XSETBV under the XCR0 rules (include/raum/xcr0.h). */
enum exit_action exit_xsetbv(struct vp *vp);
/* An instruction the root must see as absent (VMX / SVM are hidden): #UD, as on a CPU without it. */
enum exit_action exit_undefined(struct vp *vp);

/*
 * kernel/hypercall.c: returns the hypercall result value for RAX; *again
 * when a rep call stopped early to let the caller run (RCX then holds the
 * next rep start: the instruction must run again, RIP not advanced).
 */
u64 hypercall_dispatch(struct vp *vp, u64 control, u64 in_gpa, u64 out_gpa, bool *again);
/* True when the call table is in code order (checked at boot). */
bool hypercall_selftest(void);

/* kernel/partition.c */
extern struct partition *root_partition;
/* VP n of the root partition, or NULL. */
struct vp *root_vp(u32 n);
struct cpu;
/* Creates, loads and runs this CPU's root VP from the firmware's state (kernel/partition.c). */
int root_vp_launch(struct cpu *c, const struct fw_ctx *fw, u64 rax);
/*
 * Makes the identity-mapped page read-only in p's SLAT (a 4 KiB leaf, its
 * other attributes kept; a large leaf is split). For pages whose writes
 * Raum emulates (the xAPIC, the host bridge's ECAM page). Before the
 * partition runs: nothing is flushed. 0, or a negative error (-RAUM_EINVAL
 * when the page is not identity-mapped).
 */
int partition_page_readonly(struct partition *p, u64 page);

int root_partition_create(const struct raum_mem_range *map, size_t n, u64 hv_base, u64 hv_size,
			  bool slat_1g, unsigned phys_bits);

#endif
