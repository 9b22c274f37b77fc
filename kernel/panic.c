// SPDX-License-Identifier: MIT
/*
 * The panic path: registers, the faulting address and a symbolized
 * backtrace go to the serial port whatever the console setting, then this
 * CPU halts with interrupts off. A fault during the panic itself only halts.
 */
#include <raum/cpu.h>
#include <raum/fmt.h>
#include <raum/log.h>
#include <raum/trap.h>
#include <raum/x86.h>

#define BACKTRACE_MAX 16

/*
 * Per CPU: a second fault while this CPU panics only halts it; another
 * CPU's panic at the same time is a panic of its own, reported in full
 * (its lines may interleave with the first's: docs/locking.md).
 */
static volatile bool panicking[RAUM_MAX_CPUS];
extern char __image_start[], __text_end[];

static void print_sym(const char *label, u64 addr)
{
	u64 off;
	const char *name = ksym_lookup(addr, &off);

	if (name)
		log_emergency("  %s %p %s+0x%llx\n", label, (void *)addr, name, (unsigned long long)off);
	else
		log_emergency("  %s %p\n", label, (void *)addr);
}

/*
 * Follows the frame-pointer chain (the image is built with
 * -fno-omit-frame-pointer): [rbp] = caller's rbp, [rbp + 8] = return address.
 * Frames must be 8-aligned, go upwards and stay within 64 KiB of the start,
 * so a corrupt chain ends the walk instead of faulting.
 */
/* True when va lies in one of this CPU's stack guard pages. */
static bool in_guard(u64 va)
{
	struct cpu *c = this_cpu();
	if (cpu_id() == 0 && (va < PERCPU_BASE || va >= PERCPU_BASE + sizeof(struct cpu)))
		return false;
	const u8 *guards[] = { c->stack_guard, c->df_guard, c->nmi_guard, c->mc_guard };
	for (unsigned i = 0; i < ARRAY_SIZE(guards); i++)
		if (va >= (u64)guards[i] && va < (u64)guards[i] + PAGE_SIZE)
			return true;
	return false;
}

static bool in_text(u64 a) { return a >= (u64)__image_start && a < (u64)__text_end; }

static void backtrace(u64 rbp, u64 rsp)
{
	u64 lo = rbp;

	log_emergency("backtrace:\n");
	/*
	 * A fault in a prologue or epilogue leaves rbp at the caller's frame, so
	 * the chain would skip a function: first list the text addresses found
	 * between rsp and rbp, marked '?' (possibly stale), as Linux does.
	 */
	if (rsp && rsp < rbp && rbp - rsp <= 512 && !(rsp & 7) && !in_guard(rsp) && !in_guard(rbp - 8)) {
		for (u64 a = rsp; a < rbp; a += 8)
			if (in_text(*(u64 *)a))
				print_sym("?", *(u64 *)a);
	}
	for (int i = 0; i < BACKTRACE_MAX; i++) {
		if (!rbp || (rbp & 7) || rbp < lo || rbp - lo > 64 * 1024)
			break;
		u64 ret = ((u64 *)rbp)[1];
		if (!in_text(ret))
			break;
		print_sym("  ", ret);
		rbp = ((u64 *)rbp)[0];
	}
}

static void enter_panic(void)
{
	u32 id = cpu_id(); /* from RSP: valid on any stack (0 off the per-CPU areas) */

	cli();
	if (panicking[id]) {
		log_emergency("\nRAUM PANIC: fault during panic on cpu%u; halting\n", id);
		halt_forever();
	}
	panicking[id] = true;
	log_set_console(true);
}

__noreturn void panic_frame(struct trap_frame *f, const char *what)
{
	u64 cr2 = read_cr2();

	enter_panic();
	log_emergency("\nRAUM PANIC on cpu%u: exception %llu (%s), error code %#llx\n", cpu_id(),
		      (unsigned long long)f->vector, what, (unsigned long long)f->error);
	print_sym("rip", f->rip);
	if (f->vector == 14)
		log_emergency("  faulting address (cr2) %p (%s, %s, %s)\n", (void *)cr2,
			      f->error & 1 ? "protection" : "not present",
			      f->error & 2 ? "write" : "read", f->error & 16 ? "fetch" : "data");
	if ((f->vector == 14 && in_guard(cr2)) || (f->vector == 8 && in_guard(f->rsp - 8)))
		log_emergency("  stack overflow: the stack ran into its guard page\n");
	log_emergency("  rax %016llx rbx %016llx rcx %016llx rdx %016llx\n", (unsigned long long)f->rax,
		      (unsigned long long)f->rbx, (unsigned long long)f->rcx, (unsigned long long)f->rdx);
	log_emergency("  rsi %016llx rdi %016llx rbp %016llx rsp %016llx\n", (unsigned long long)f->rsi,
		      (unsigned long long)f->rdi, (unsigned long long)f->rbp, (unsigned long long)f->rsp);
	log_emergency("  r8  %016llx r9  %016llx r10 %016llx r11 %016llx\n", (unsigned long long)f->r8,
		      (unsigned long long)f->r9, (unsigned long long)f->r10, (unsigned long long)f->r11);
	log_emergency("  r12 %016llx r13 %016llx r14 %016llx r15 %016llx\n", (unsigned long long)f->r12,
		      (unsigned long long)f->r13, (unsigned long long)f->r14, (unsigned long long)f->r15);
	log_emergency("  cs %04llx ss %04llx rflags %08llx cr0 %08llx cr2 %016llx cr3 %016llx cr4 %08llx\n",
		      (unsigned long long)f->cs, (unsigned long long)f->ss, (unsigned long long)f->rflags,
		      (unsigned long long)read_cr0(), (unsigned long long)cr2, (unsigned long long)read_cr3(),
		      (unsigned long long)read_cr4());
	print_sym("at ", f->rip);
	backtrace(f->rbp, f->rsp);
	log_emergency("RAUM PANIC: cpu%u halted\n", cpu_id());
	halt_forever();
}

__noreturn void panic(const char *fmt, ...)
{
	char msg[200];
	va_list ap;
	u64 rbp;

	enter_panic();
	va_start(ap, fmt);
	raum_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_emergency("\nRAUM PANIC on cpu%u: %s\n", cpu_id(), msg);
	__asm__ volatile("mov %%rbp, %0" : "=r"(rbp));
	backtrace(rbp, 0);
	log_emergency("RAUM PANIC: cpu%u halted\n", cpu_id());
	halt_forever();
}

/* The deliberate faults: kept out of line so each shows in the backtrace. */
static volatile u64 overflow_limit = ~0ULL; /* volatile: the compiler cannot see the end */

static __attribute__((noinline)) u64 overflow_stack(u64 depth)
{
	volatile u8 pad[512];
	pad[0] = (u8)depth;
	if (depth >= overflow_limit)
		return 0;
	return overflow_stack(depth + 1) + pad[0];
}

__attribute__((noinline)) void debug_fault(int kind)
{
	switch (kind) {
	case RAUM_FAULT_PAGE:
		pr_warn("debug_fault=page: reading unmapped address 0xdead0000");
		(void)*(volatile u64 *)0xdead0000ULL;
		break;
	case RAUM_FAULT_UD:
		pr_warn("debug_fault=ud: executing ud2");
		__asm__ volatile("ud2");
		break;
	case RAUM_FAULT_GP:
		pr_warn("debug_fault=gp: reading non-canonical address 0x8000000000000000");
		(void)*(volatile u64 *)0x8000000000000000ULL;
		break;
	case RAUM_FAULT_STACK:
		pr_warn("debug_fault=stack: recursing until the stack overflows");
		overflow_stack(0);
		break;
	default:
		break;
	}
}
