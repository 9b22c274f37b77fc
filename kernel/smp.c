// SPDX-License-Identifier: MIT
/*
 * Every CPU under Raum (include/raum/smp.h, docs/smp.md): the xAPIC page
 * trap, the ICR emulation that turns the root's INIT and SIPI into events
 * for its VPs, the kick, and the VP's side of INIT / SIPI.
 */
#include <raum/cpu.h>
#include <raum/errno.h>
#include <raum/icr.h>
#include <raum/log.h>
#include <raum/smp.h>
#include <raum/vendor.h>
#include <raum/vm.h>
#include <raum/vp.h>
#include <raum/x86.h>

/* xAPIC registers (SDM vol. 3A 11.4.1, table "Local APIC Register Address Map") */
#define APIC_LDR 0xd0
#define APIC_DFR 0xe0
#define APIC_BASE_EXTD BIT(10)
#define APIC_BASE_EN BIT(11)

static u32 nr_cpus_known;

bool apic_page_has(const struct partition *p, u64 gpa)
{
	return p->apic_base && (gpa & ~(PAGE_SIZE - 1)) == p->apic_base;
}

/*
 * The xAPIC page leaves the root's SLAT writable: its translation is
 * taken out and put back without write permission, with the memory type
 * (EPT) or attributes (NPT) it had. Reads still go to the hardware with
 * no exit (ICR delivery-status polls, EOI-less reads of ISR / IRR). With
 * one CPU there is nothing to start and the page stays writable: an INIT
 * the root sends itself exits as INIT (VT-x's INIT exit, SVM's intercept),
 * the root's INIT policy, and its EOIs and timer writes cost no exit.
 */
int smp_init(struct partition *root, const u32 *apic_ids, u32 nr_cpus)
{
	u64 base = rdmsr(MSR_IA32_APIC_BASE);
	int rc;

	nr_cpus_known = nr_cpus;
	if (nr_cpus == 1) {
		/* nobody to start: the root's own INIT exits anyway (the INIT policy), and EOIs cost nothing */
		pr_info("smp: 1 CPU: the xAPIC page stays the root's (no start-up IPI to catch)");
		return 0;
	}
	if (!(base & APIC_BASE_EN)) {
		pr_err("the boot CPU's local APIC is disabled (IA32_APIC_BASE %#llx): Raum needs it to catch the "
		       "root's start-up IPIs", (unsigned long long)base);
		return -RAUM_ENODEV;
	}
	u64 page = base & APIC_BASE_ADDR_MASK;
	rc = partition_page_readonly(root, page);
	if (rc < 0) {
		pr_err("cannot make the xAPIC page %#llx read-only in the root's SLAT (error %d)", (unsigned long long)page,
		       rc);
		return rc;
	}
	root->apic_base = page;
	pr_info_addr("smp: %u CPU%s; the root's xAPIC page %p is read-only in its SLAT: INIT and SIPI are Raum's",
		     nr_cpus, nr_cpus == 1 ? "" : "s", (void *)page);
	for (u32 n = 0; n < nr_cpus; n++)
		pr_debug("smp: cpu%u has APIC ID %u", n, apic_ids[n]);
	return 0;
}

static volatile u32 *apic_reg(u32 off)
{
	return (volatile u32 *)((u8 *)phys_to_virt(root_partition->apic_base) + off);
}

static bool x2apic_mode(void) { return rdmsr(MSR_IA32_APIC_BASE) & APIC_BASE_EXTD; }

/* Waits (bounded) until the xAPIC has sent the last IPI: ICR delivery status idle. */
static void xapic_wait_idle(void)
{
	for (u32 i = 0; i < 1000000 && (*apic_reg(APIC_XAPIC_ICR_LO) & ICR_DELIVERY_STATUS); i++)
		__builtin_ia32_pause();
}

/*
 * An NMI IPI to one APIC ID from Raum. In xAPIC mode ICR high is the
 * root's register too (it may sit between its writes of ICR high and ICR
 * low, as OVMF's SendIpi reads and restores it): saved and put back.
 */
static void send_nmi(u32 apic_id)
{
	u64 lo = (4ULL << ICR_DM_SHIFT) | ICR_LEVEL_ASSERT; /* NMI, physical, edge */

	if (x2apic_mode()) {
		wrmsr(APIC_MSR_ICR, ((u64)apic_id << ICR_X2APIC_DEST_SHIFT) | lo);
		return;
	}
	u32 hi = *apic_reg(APIC_XAPIC_ICR_HI);
	xapic_wait_idle();
	*apic_reg(APIC_XAPIC_ICR_HI) = apic_id << ICR_XAPIC_DEST_SHIFT;
	*apic_reg(APIC_XAPIC_ICR_LO) = (u32)lo;
	xapic_wait_idle();
	*apic_reg(APIC_XAPIC_ICR_HI) = hi;
}

void smp_kick(u32 cpu)
{
	if (cpu >= nr_cpus_known || cpu == cpu_id())
		return;
	struct cpu *t = cpu_area(cpu);
	if (__atomic_exchange_n(&t->kick_inflight, 1, __ATOMIC_ACQ_REL))
		return; /* one is on its way: it will see what was posted before this */
	send_nmi(t->apic_id);
}

/* The ICR routing's view of the root's VPs, by VP index. */
static u32 icr_table(const struct partition *p, struct icr_vp *t)
{
	u32 n = 0;

	for (u32 i = 0; i < ICR_MAX_VPS && i < PARTITION_MAX_VPS; i++) {
		const struct vp *v = __atomic_load_n(&p->vps[i], __ATOMIC_ACQUIRE);
		t[i] = (struct icr_vp){ 0 };
		if (!v)
			continue;
		t[i] = (struct icr_vp){ .present = true, .apic_id = v->apic_id, .ldr = v->apic_ldr, .dfr = v->apic_dfr };
		n = i + 1;
	}
	return n;
}

/* INIT or SIPI to each target VP: posted to its state machine, its CPU kicked. */
static void icr_emulate(struct vp *vp, const struct icr *icr, u64 targets)
{
	enum initsipi_event ev = icr->mode == ICR_STARTUP ? INITSIPI_EV_SIPI : INITSIPI_EV_INIT;

	for (u32 i = 0; targets; i++, targets >>= 1) {
		if (!(targets & 1))
			continue;
		struct vp *t = root_vp(i);
		if (!t)
			continue;
		if (ev == INITSIPI_EV_SIPI)
			__atomic_store_n(&t->sipi_tsc, rdtsc(), __ATOMIC_RELAXED);
		if (initsipi_post(&t->initsipi, ev, icr->vector) && t != vp)
			smp_kick(t->life.cpu);
	}
	pr_debug("vp%u: %s %#x to VPs %#llx emulated", vp->index, icr_mode_name(icr->mode), icr->vector,
		 (unsigned long long)targets);
}

/* One decoded ICR write of the root's VP: routed, then emulated, sent to the hardware, or dropped. */
static void icr_send(struct vp *vp, const struct icr *icr)
{
	struct icr_vp t[ICR_MAX_VPS];
	struct icr_route r;
	u32 n = icr_table(vp->part, t);

	icr_route(icr, vp->apic_id, t, n, &r);
	switch (r.action) {
	case ICR_PASS:
		if (icr->x2apic) {
			wrmsr(APIC_MSR_ICR, icr->raw);
		} else {
			*apic_reg(APIC_XAPIC_ICR_HI) = (u32)(icr->raw >> 32);
			*apic_reg(APIC_XAPIC_ICR_LO) = (u32)icr->raw;
		}
		return;
	case ICR_EMULATE:
		icr_emulate(vp, icr, r.targets);
		return;
	default:
		pr_debug("vp%u: ICR %#llx dropped: %s", vp->index, (unsigned long long)icr->raw, r.why ? r.why : "");
		return;
	}
}

enum exit_action apic_page_write(struct vp *vp, u64 gpa, const struct x86_insn *in, u64 value)
{
	u32 off = gpa & (PAGE_SIZE - 1);

	vp->rip += in->len;
	/* registers are 32 bits at 16-byte steps; other sizes and offsets are ignored, as by the xAPIC */
	if (in->size != 4 || (off & 0xf))
		return EXIT_SKIPPED;
	u32 v = (u32)value;
	switch (off) {
	case APIC_XAPIC_ICR_LO: {
		struct icr icr;
		icr_decode_xapic(v, *apic_reg(APIC_XAPIC_ICR_HI), &icr);
		icr_send(vp, &icr);
		return EXIT_SKIPPED;
	}
	case APIC_LDR:
		vp->apic_ldr = v;
		break;
	case APIC_DFR:
		vp->apic_dfr = v;
		break;
	default:
		break;
	}
	*apic_reg(off) = v;
	return EXIT_SKIPPED;
}

enum exit_action apic_x2icr_write(struct vp *vp, u64 value)
{
	struct icr icr;

	if (icr_decode_x2apic(value, vendor_current()->vendor == RAUM_VENDOR_AMD, &icr)) {
		vp_inject_exception(vp, 13, true, 0);
		return EXIT_RESUME;
	}
	icr_send(vp, &icr);
	return EXIT_ADVANCE;
}

/* The state after INIT and, with a vector, after the SIPI that follows (include/raum/initsipi.h). */
static void vp_load_start_state(struct vp *vp, bool sipi, u8 vector)
{
	struct vp_regs r;

	/* the vendor ops, not kernel/vp.c's checked calls: the VP is RUNNING, on this CPU */
	vendor_current()->vp_get_regs(vp, &r);
	if (sipi)
		initsipi_reset_regs(&r, vector, cpuid(1, 0).eax);
	else
		initsipi_init_regs(&r, cpuid(1, 0).eax);
	vendor_current()->reset_events(vp);
	if (vendor_current()->vp_set_regs(vp, &r))
		vp_halt_cpu(vp, "INIT / SIPI: the start-up state does not load (a Raum bug)");
	__asm__ volatile("mov %0, %%cr2" ::"r"(0ULL)); /* CR2 lives in the CPU while the VP is loaded here */
}

void vp_take_events(struct vp *vp)
{
	u8 vector = 0;

	for (;;) {
		enum initsipi_action a = initsipi_accept(&vp->initsipi, &vector);
		switch (a) {
		case INITSIPI_NONE:
			if (vp->initsipi.state == INITSIPI_RUNNING)
				return;
			/* waiting for SIPI: halted, not spinning, until a sender posts and kicks */
			vendor_current()->host_wait(&vp->initsipi.pending);
			break;
		case INITSIPI_PARK:
			vp->exits[RAUM_EXIT_INIT_SIPI]++;
			vp_load_start_state(vp, false, 0);
			pr_debug("vp%u: INIT: waiting for a start-up IPI", vp->index);
			break;
		case INITSIPI_START:
			vp->exits[RAUM_EXIT_INIT_SIPI]++;
			vp_load_start_state(vp, true, vector);
			pr_info("vp%u: started by SIPI at %#x:0000 (real mode), %llu TSC ticks after it was sent",
				vp->index, (unsigned)vector << 8,
				(unsigned long long)(rdtsc() - __atomic_load_n(&vp->sipi_tsc, __ATOMIC_RELAXED)));
			return;
		case INITSIPI_BSP_INIT:
		default:
			vp_reset_machine(vp, "INIT: resetting the machine"); /* the root's INIT policy (kernel/dispatch.c) */
		}
	}
}
