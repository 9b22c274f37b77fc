// SPDX-License-Identifier: MIT
/*
 * kernel/dispatch.c: the one exit dispatcher. The common handlers and the
 * vendor ops are stubs here that record what reached them, so the tests
 * check the dispatcher alone: every kind has a handler, each exit is
 * counted once under its reason (an out-of-range kind or reason cannot
 * index past the tables), instructions are completed only when a handler
 * asks, and the failure policy: the root's VP halts the CPU or resets the
 * machine, a child's VP stops alone and its run loop returns.
 */
#include "unit.h"

#include <raum/dispatch.h>
#include <raum/health.h>
#include <raum/log.h>
#include <raum/vendor.h>

struct health_counters health;
const struct vendor_ops *vendor_ops_current;

static enum exit_action next_action = EXIT_ADVANCE;
static int calls[VPX_KINDS + 1];
static int completes, advances;
static jmp_buf halted;
static int halts, resets;
static const char *last_why;
static char why_copy[256]; /* the policy's message may live on a frame longjmp leaves */

enum exit_action exit_cpuid(struct vp *vp) { (void)vp; calls[VPX_CPUID]++; return next_action; }
enum exit_action exit_msr(struct vp *vp, bool write)
{
	(void)vp;
	calls[write ? VPX_MSR_WRITE : VPX_MSR_READ]++;
	return next_action;
}
enum exit_action exit_hypercall(struct vp *vp, bool allowed)
{
	(void)vp;
	calls[VPX_HYPERCALL] += allowed ? 1 : 100;
	return next_action;
}
enum exit_action exit_slat_violation(struct vp *vp, u64 gpa, bool write, bool fetch, bool walk)
{
	(void)vp;
	assert_int_equal(gpa, 0x1234000);
	assert_true(write && !fetch && walk);
	calls[VPX_SLAT]++;
	return next_action;
}
enum exit_action exit_delivery_fault(struct vp *vp, enum ev_type type, u8 vector, u64 gpa, bool walk, u64 idt_base)
{
	(void)vp; (void)type; (void)walk;
	assert_int_equal(vector, 14);
	assert_int_equal(gpa, 0x5000);
	assert_int_equal(idt_base, 0xfeed000);
	calls[VPX_DELIVERY_FAULT]++;
	return next_action;
}
enum exit_action exit_xsetbv(struct vp *vp) { (void)vp; calls[VPX_XSETBV]++; return next_action; }
static u16 io_port;
static unsigned io_size;
static bool io_in, io_string;
enum exit_action exit_pci_io(struct vp *vp, u16 port, unsigned size, bool in, bool string)
{
	(void)vp;
	calls[VPX_IO]++;
	io_port = port, io_size = size, io_in = in, io_string = string;
	return next_action;
}
enum exit_action exit_undefined(struct vp *vp) { (void)vp; calls[VPX_UNDEFINED]++; return EXIT_RESUME; }
void vp_dump(struct vp *vp, const char *why) { (void)vp; last_why = why; }
/* INIT / SIPI taken before the next entry (kernel/smp.c): counted, and the posted word cleared */
static int takes;
void vp_take_events(struct vp *vp) { takes++; vp->initsipi.pending = 0; }
void log_printf(int level, const char *fmt, ...) { (void)level; (void)fmt; }
__noreturn void vp_halt_cpu(struct vp *vp, const char *why)
{
	(void)vp;
	snprintf(why_copy, sizeof(why_copy), "%s", why);
	last_why = why_copy;
	halts++;
	longjmp(halted, 1);
}
__noreturn void vp_reset_machine(struct vp *vp, const char *why)
{
	(void)vp;
	snprintf(why_copy, sizeof(why_copy), "%s", why);
	last_why = why_copy;
	resets++;
	longjmp(halted, 2);
}

static enum exit_action fake_vendor_exit(struct vp *vp, struct vp_exit *e)
{
	(void)vp; (void)e;
	calls[VPX_VENDOR]++;
	return next_action;
}

static void fake_complete(struct vp *vp, const struct vp_exit *e, bool advance)
{
	(void)vp; (void)e;
	completes++;
	advances += advance;
}

/* A scripted guest: the run op hands out these exits in turn. */
static struct vp_exit script[8];
static int script_len, script_pos;

static void fake_run(struct vp *vp, struct vp_exit *e)
{
	(void)vp;
	assert_true(script_pos < script_len);
	*e = script[script_pos++];
}

/* A backend's run loop as svm/exit.c and vmx/exit.c write it, over the scripted guest. */
static void fake_run_loop(struct vp *vp)
{
	struct vp_exit e;

	do
		fake_run(vp, &e);
	while (vp_dispatch_inline(vp, &e, fake_complete));
}

static struct vendor_ops fake_ops = {
	.name = "fake",
	.vp_run = fake_run,
	.run_loop = fake_run_loop,
	.complete_insn = fake_complete,
	.vendor_exit = fake_vendor_exit,
};

static struct partition root_part = { .id = 0 }, child_part = { .id = 7 };

static void reset(void)
{
	memset(calls, 0, sizeof(calls));
	completes = advances = halts = resets = takes = 0;
	last_why = NULL;
	next_action = EXIT_ADVANCE;
	vendor_ops_current = &fake_ops;
	script_len = script_pos = 0;
}

static void test_table_complete(void **state)
{
	(void)state;
	assert_true(vp_dispatch_table_complete());
}

static void test_each_kind_reaches_its_handler_and_counts_once(void **state)
{
	(void)state;
	struct vp vp = { .part = &child_part };
	const u32 kinds[] = { VPX_CPUID, VPX_MSR_READ, VPX_MSR_WRITE, VPX_HYPERCALL, VPX_SLAT,
			      VPX_DELIVERY_FAULT, VPX_XSETBV, VPX_IO, VPX_UNDEFINED, VPX_VENDOR };

	reset();
	for (unsigned i = 0; i < ARRAY_SIZE(kinds); i++) {
		struct vp_exit e = { .kind = kinds[i], .reason = RAUM_EXIT_OTHER - (u32)i, .flags = VPX_F_ALLOWED };
		if (kinds[i] == VPX_SLAT)
			e = (struct vp_exit){ .kind = VPX_SLAT, .reason = RAUM_EXIT_NPF, .gpa = 0x1234000,
					      .flags = VPX_F_WRITE | VPX_F_WALK };
		if (kinds[i] == VPX_IO)
			e = (struct vp_exit){ .kind = VPX_IO, .reason = RAUM_EXIT_IO, .port = 0xcfe, .io_size = 2,
					      .flags = VPX_F_STRING };
		if (kinds[i] == VPX_DELIVERY_FAULT)
			e = (struct vp_exit){ .kind = VPX_DELIVERY_FAULT, .reason = RAUM_EXIT_NPF, .gpa = 0x5000,
					      .ev_vector = 14, .idt_base = 0xfeed000 };
		u64 before[RAUM_EXIT_REASONS];
		memcpy(before, vp.exits, sizeof(before));
		assert_true(vp_dispatch(&vp, &e));
		assert_int_equal(calls[kinds[i]], 1);
		u64 total = 0;
		for (int r = 0; r < RAUM_EXIT_REASONS; r++)
			total += vp.exits[r] - before[r];
		assert_int_equal(total, 1); /* once, under the record's reason */
		assert_int_equal(vp.exits[e.reason] - before[e.reason], 1);
	}
	/* the I/O record's fields reach exit_pci_io: an IN (no VPX_F_WRITE), string, its port and size */
	assert_int_equal(io_port, 0xcfe);
	assert_int_equal(io_size, 2);
	assert_true(io_in);
	assert_true(io_string);
	/* every handler asked for ADVANCE except #UD's RESUME: completed with advance, RESUME untouched */
	assert_int_equal(completes, (int)ARRAY_SIZE(kinds) - 1);
	assert_int_equal(advances, (int)ARRAY_SIZE(kinds) - 1);
	/* a hypercall from where the TLFS allows none reaches the handler as not allowed */
	struct vp_exit h = { .kind = VPX_HYPERCALL, .reason = RAUM_EXIT_HYPERCALL, .flags = 0 };
	assert_true(vp_dispatch(&vp, &h));
	assert_int_equal(calls[VPX_HYPERCALL], 101);
}

static void test_skipped_completes_without_advancing(void **state)
{
	(void)state;
	struct vp vp = { .part = &child_part };
	struct vp_exit e = { .kind = VPX_CPUID, .reason = RAUM_EXIT_CPUID };

	reset();
	next_action = EXIT_SKIPPED;
	assert_true(vp_dispatch(&vp, &e));
	assert_int_equal(completes, 1);
	assert_int_equal(advances, 0);
	next_action = EXIT_RESUME;
	assert_true(vp_dispatch(&vp, &e));
	assert_int_equal(completes, 1);
}

/* Posted INIT / SIPI are taken after the handler, once, only when something is pending, and not after a failure. */
static void test_events_taken_before_next_entry(void **state)
{
	(void)state;
	struct vp vp = { .part = &child_part };
	struct vp_exit e = { .kind = VPX_CPUID, .reason = RAUM_EXIT_CPUID };

	reset();
	assert_true(vp_dispatch(&vp, &e));
	assert_int_equal(takes, 0);
	vp.initsipi.pending = INITSIPI_PEND_INIT;
	assert_true(vp_dispatch(&vp, &e));
	assert_int_equal(takes, 1);
	assert_int_equal(calls[VPX_CPUID], 2);
	assert_true(vp_dispatch(&vp, &e));
	assert_int_equal(takes, 1);
	/* a VP the failure policy stops takes nothing */
	vp.initsipi.pending = INITSIPI_PEND_SIPI | 0x9a;
	next_action = EXIT_FATAL;
	assert_false(vp_dispatch(&vp, &e));
	assert_int_equal(takes, 1);
}

/* A record out of range (a vendor bug, or memory the guest could not reach anyway) cannot index past the tables. */
static void test_out_of_range_kind_and_reason(void **state)
{
	(void)state;
	struct vp vp = { .part = &child_part };
	struct vp_exit e = { .kind = VPX_KINDS + 5, .reason = RAUM_EXIT_REASONS + 100 };

	reset();
	assert_false(vp_dispatch(&vp, &e)); /* treated as VPX_FAILED: a child's VP stops */
	assert_int_equal(vp.exits[RAUM_EXIT_OTHER], 1);
	assert_non_null(vp.stop_reason);
	e = (struct vp_exit){ .kind = 0xffffffffU, .reason = 0xffffffffU };
	assert_false(vp_dispatch(&vp, &e));
	assert_int_equal(vp.exits[RAUM_EXIT_OTHER], 2);
}

static void test_failure_policy_decisions(void **state)
{
	(void)state;
	assert_int_equal(vp_fail_decide(true, EXIT_FATAL), VP_FAIL_HALT_CPU);
	assert_int_equal(vp_fail_decide(true, EXIT_SHUTDOWN), VP_FAIL_RESET_MACHINE);
	assert_int_equal(vp_fail_decide(true, EXIT_INIT), VP_FAIL_RESET_MACHINE);
	/* a child never halts a CPU or resets the machine, whatever it did */
	assert_int_equal(vp_fail_decide(false, EXIT_FATAL), VP_FAIL_STOP_VP);
	assert_int_equal(vp_fail_decide(false, EXIT_SHUTDOWN), VP_FAIL_STOP_VP);
	assert_int_equal(vp_fail_decide(false, EXIT_INIT), VP_FAIL_STOP_VP);
}

static void test_root_failures_halt_or_reset(void **state)
{
	(void)state;
	struct vp vp = { .part = &root_part };
	struct vp_exit e = { .kind = VPX_FAILED, .reason = RAUM_EXIT_OTHER };

	reset();
	strcpy(e.why, "VMRUN refused the VMCB");
	if (setjmp(halted) == 0) {
		vp_dispatch(&vp, &e);
		fail_msg("the root's failed VP came back from the dispatcher");
	}
	assert_int_equal(halts, 1);
	assert_string_equal(last_why, "VMRUN refused the VMCB");

	e = (struct vp_exit){ .kind = VPX_SHUTDOWN, .reason = RAUM_EXIT_SHUTDOWN };
	if (setjmp(halted) == 0) {
		vp_dispatch(&vp, &e);
		fail_msg("the root's triple fault came back from the dispatcher");
	}
	assert_int_equal(resets, 1);
	assert_non_null(strstr(last_why, "triple fault"));
	assert_int_equal(vp.exits[RAUM_EXIT_SHUTDOWN], 1);

	e = (struct vp_exit){ .kind = VPX_INIT, .reason = RAUM_EXIT_INIT_SIPI };
	if (setjmp(halted) == 0) {
		vp_dispatch(&vp, &e);
		fail_msg("the root's INIT came back from the dispatcher");
	}
	assert_int_equal(resets, 2);
	assert_int_equal(halts, 1);
}

/* A child's VP runs until its failure, which ends its run loop alone: no halt, no reset. */
static void test_child_failure_returns_from_run_loop(void **state)
{
	(void)state;
	struct vp vp = { .part = &child_part, .life = { .state = VP_STATE_LOADED, .cpu = cpu_id() } };

	reset();
	script[0] = (struct vp_exit){ .kind = VPX_CPUID, .reason = RAUM_EXIT_CPUID };
	script[1] = (struct vp_exit){ .kind = VPX_MSR_READ, .reason = RAUM_EXIT_MSR_READ };
	script[2] = (struct vp_exit){ .kind = VPX_SHUTDOWN, .reason = RAUM_EXIT_SHUTDOWN };
	script[3] = (struct vp_exit){ .kind = VPX_CPUID, .reason = RAUM_EXIT_CPUID }; /* never reached */
	script_len = 4;
	if (setjmp(halted) == 0)
		vp_run_loop(&vp);
	else
		fail_msg("a child's triple fault halted or reset the machine");
	assert_int_equal(script_pos, 3);
	assert_int_equal(halts + resets, 0);
	assert_non_null(strstr(vp.stop_reason, "triple fault"));
	assert_ptr_equal(vp.stop_reason, vp.stop_why); /* the VP's own copy, not the loop's stack */

	/* a failure whose reason is in the record: still readable after the loop's frame is gone */
	script[0] = (struct vp_exit){ .kind = VPX_FAILED, .reason = RAUM_EXIT_OTHER };
	strcpy(script[0].why, "VMRUN refused the VMCB: a child's broken state");
	script_len = 1;
	script_pos = 0;
	vp.life.state = VP_STATE_LOADED;
	vp_run_loop(&vp);
	memset(script, 0x5a, sizeof(script)); /* the record's memory reused */
	assert_string_equal(vp.stop_reason, "VMRUN refused the VMCB: a child's broken state");
	assert_int_equal(vp.life.state, VP_STATE_LOADED); /* back from running, still loaded */
	assert_int_equal(vp.exits[RAUM_EXIT_CPUID] + vp.exits[RAUM_EXIT_MSR_READ] + vp.exits[RAUM_EXIT_SHUTDOWN], 3);

	/* a VP that is not loaded here is not run at all */
	struct vp other = { .part = &child_part, .life = { .state = VP_STATE_CREATED } };
	script_pos = 0;
	vp_run_loop(&other);
	assert_int_equal(script_pos, 0);
	assert_int_equal(other.life.state, VP_STATE_CREATED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_complete),
		cmocka_unit_test(test_each_kind_reaches_its_handler_and_counts_once),
		cmocka_unit_test(test_skipped_completes_without_advancing),
		cmocka_unit_test(test_events_taken_before_next_entry),
		cmocka_unit_test(test_out_of_range_kind_and_reason),
		cmocka_unit_test(test_failure_policy_decisions),
		cmocka_unit_test(test_root_failures_halt_or_reset),
		cmocka_unit_test(test_child_failure_returns_from_run_loop),
	};
	return cmocka_run_group_tests_name("dispatch", tests, NULL, NULL) ? 1 : 0;
}
