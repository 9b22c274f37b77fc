/* SPDX-License-Identifier: MIT */
/*
 * Partitions and virtual processors: the vendor-neutral part. The vendor VP
 * (struct svm_vp, struct vmx_vp) embeds struct vp and recovers itself with
 * container_of. Vendor code decodes an exit into a call of one of the
 * common handlers below (kernel/exit.c, kernel/hypercall.c), which work on
 * struct vp alone and ask the vendor ops for what only it can do.
 */
#ifndef RAUM_VP_H
#define RAUM_VP_H

#include <hv/abi/hvcall.h>
#include <raum/cpuid.h>
#include <raum/decode.h>
#include <raum/evdeliver.h>
#include <raum/mtrr.h>
#include <raum/pt.h>
#include <raum/ramrange.h>
#include <raum/specctrl.h>

struct partition {
	u32 id;          /* 0: the root partition */
	bool is_root;
	struct pt_ctx slat;   /* NPT (AMD) today; EPT joins with the VT-x work */
	u64 gpa_limit;   /* guest-physical addresses at or above this are unbacked */
	unsigned phys_bits; /* root: the effective physical-address width (memcrypt_check) */
	u64 hv_base, hv_size; /* Raum's memory: never mapped into a partition */
	/* The RAM below gpa_limit, Raum's memory left out: all Raum ever reads or writes for the partition */
	const struct ram_range *ram;
	size_t nr_ram;
	u64 slat_generation; /* bumped when mappings are removed: VPs flush their TLB */
	struct cpuid_policy cpuid; /* what CPUID shows it (kernel/cpuid.c), set by the vendor's launch */
};

/* Guest control state a common handler may need, filled by the vendor code. */
struct vp_ctrl {
	u64 cr0, cr3, cr4, efer;
	u64 cs_base; /* RIP + CS base = the linear address of the instruction (real mode too) */
	u8 cpl;
	u8 mode; /* code size of CS: 16, 32 or 64 */
};

struct vp {
	struct partition *part;
	u32 index;
	u32 cpu;         /* the physical CPU it runs on */
	u64 gpr[GPR_COUNT]; /* RAX and RSP are copies the vendor code syncs around handlers */
	u64 rip;
	u64 exits[RAUM_EXIT_REASONS]; /* the total is their sum: vp_exits_total() */
	bool mtrr_present;    /* CPUID.1:EDX.MTRR: the shadow below exists */
	struct mtrr_state mtrr; /* the VP's MTRRs as it wrote them (kernel/msr.c) */
	struct vp_spec_ctrl spec_ctrl; /* IA32_SPEC_CTRL, switched by the run loop (include/raum/specctrl.h) */
};

/* Outcome of a common handler. */
enum exit_action {
	EXIT_RESUME,      /* go back into the guest at vp->rip */
	EXIT_ADVANCE,     /* skip the intercepted instruction, then resume */
	EXIT_SKIPPED,     /* the handler moved vp->rip past an emulated instruction: end any STI / MOV SS shadow */
	EXIT_FATAL,       /* the VP cannot go on: dump and stop it */
};

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
/* Dumps the VP and halts this CPU: the VP cannot go on. */
__noreturn void vp_stop(struct vp *vp, const char *why);
/* The VP shut down (triple fault): dump, then reset the machine. */
__noreturn void vp_shutdown(struct vp *vp);
/* INIT reached the VP's CPU: dump, count, then reset the machine. */
__noreturn void vp_init_signal(struct vp *vp);
/* Dumps the VP with why, then resets the machine (0xcf9, then the keyboard controller). */
__noreturn void vp_reset_machine(struct vp *vp, const char *why);
static inline void vp_count(struct vp *vp, enum raum_exit_reason r)
{
	vp->exits[r]++;
}

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
/* An instruction the root must see as absent (VMX / SVM are hidden): #UD, as on a CPU without it. */
enum exit_action exit_undefined(struct vp *vp);

/* kernel/hypercall.c: returns the hypercall result value for RAX. */
u64 hypercall_dispatch(struct vp *vp, u64 control, u64 in_gpa, u64 out_gpa);
/* True when the call table is in code order (checked at boot). */
bool hypercall_selftest(void);

/* kernel/partition.c */
extern struct partition root_partition;
extern struct vp *root_vps[];
int root_partition_create(const struct raum_mem_range *map, size_t n, u64 hv_base, u64 hv_size,
			  bool slat_1g, unsigned phys_bits);

#endif
