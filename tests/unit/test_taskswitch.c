// SPDX-License-Identifier: MIT
/*
 * kernel/taskswitch.c over a fake flat guest memory: CALL to a TSS and IRET
 * back (busy bits, back link, NT, saved and loaded state, CR0.TS), and the
 * faults of SDM vol. 3A 8.3 table 8-2 before and after the commit point.
 */
#include "unit.h"

#include <raum/taskswitch.h>

#define MEM 0x10000
static u8 mem[MEM];

static int rd(void *ctx, u64 lin, void *buf, size_t n)
{
	(void)ctx;
	if (lin + n > MEM)
		return -RAUM_EINVAL;
	memcpy(buf, mem + lin, n);
	return 0;
}

static int wr(void *ctx, u64 lin, const void *buf, size_t n)
{
	(void)ctx;
	if (lin + n > MEM)
		return -RAUM_EINVAL;
	memcpy(mem + lin, buf, n);
	return 0;
}

static const struct ts_ops ops = { rd, wr };

#define GDT 0x1000
#define TSS_A 0x2000
#define TSS_B 0x3000
#define SEL_CODE 0x08
#define SEL_DATA 0x10
#define SEL_A 0x18
#define SEL_B 0x20

static u64 desc(u32 base, u32 limit, u32 type_s_dpl_p, u32 flags)
{
	return (limit & 0xffff) | ((u64)(base & 0xffffff) << 16) | ((u64)type_s_dpl_p << 40) |
	       ((u64)((limit >> 16) & 0xf) << 48) | ((u64)flags << 52) | ((u64)(base >> 24) << 56);
}

static void put64(u32 a, u64 v) { memcpy(mem + a, &v, 8); }
static void put32(u32 a, u32 v) { memcpy(mem + a, &v, 4); }
static u32 get32(u32 a) { u32 v; memcpy(&v, mem + a, 4); return v; }
static u64 get64(u32 a) { u64 v; memcpy(&v, mem + a, 8); return v; }

/* Task A runs (TR = SEL_A, busy); task B is available with its own state. */
static void setup(struct ts_state *s)
{
	memset(mem, 0, sizeof(mem));
	put64(GDT + SEL_CODE, desc(0, 0xfffff, 0x9b, 0xc)); /* 32-bit code, DPL 0, accessed */
	put64(GDT + SEL_DATA, desc(0, 0xfffff, 0x93, 0xc));
	put64(GDT + SEL_A, desc(TSS_A, 0x67, 0x8b, 0)); /* busy 32-bit TSS */
	put64(GDT + SEL_B, desc(TSS_B, 0x67, 0x89, 0)); /* available */
	put32(TSS_B + 0x20, 0x1234);                   /* EIP */
	put32(TSS_B + 0x24, 0x2);                      /* EFLAGS */
	put32(TSS_B + 0x28, 0xb0b);                    /* EAX */
	put32(TSS_B + 0x38, 0x8000);                   /* ESP */
	put32(TSS_B + 0x48, SEL_DATA);                 /* ES */
	put32(TSS_B + 0x4c, SEL_CODE);
	put32(TSS_B + 0x50, SEL_DATA);
	put32(TSS_B + 0x54, SEL_DATA);

	memset(s, 0, sizeof(*s));
	s->gpr[0] = 0xa0a;
	s->gpr[4] = 0x7000;
	s->eip = 0x5555;
	s->eflags = 0x202;
	s->cr0 = 0x11; /* PE, ET */
	s->gdt_base = GDT;
	s->gdt_limit = 0x27;
	for (int i = 0; i < 6; i++)
		s->seg[i] = (struct ts_seg){ SEL_DATA, 0, 0xffffffff, 0xc093 };
	s->seg[TS_CS] = (struct ts_seg){ SEL_CODE, 0, 0xffffffff, 0xc09b };
	s->seg[TS_LDTR] = (struct ts_seg){ 0, 0, 0, TS_AR_UNUSABLE };
	s->seg[TS_TR] = (struct ts_seg){ SEL_A, TSS_A, 0x67, 0x8b };
}

static void test_call_then_iret(void **state)
{
	(void)state;
	struct ts_state s;
	struct ts_fault f;

	setup(&s);
	assert_int_equal(task_switch(&s, &ops, NULL, SEL_B, TS_CALL, &f), 0);
	assert_int_equal(s.eip, 0x1234);
	assert_int_equal(s.gpr[0], 0xb0b);
	assert_int_equal(s.gpr[4], 0x8000);
	assert_true(s.eflags & (1u << 14)); /* NT */
	assert_true(s.cr0 & 8);             /* TS */
	assert_int_equal(s.seg[TS_TR].sel, SEL_B);
	assert_int_equal(s.seg[TS_TR].ar & 0xf, 11);
	assert_int_equal(s.seg[TS_CS].sel, SEL_CODE);
	assert_int_equal(s.seg[TS_SS].ar & 0xff, 0x93);
	assert_true(s.seg[TS_FS].ar & TS_AR_UNUSABLE);
	assert_int_equal(get32(TSS_B) & 0xffff, SEL_A);     /* back link */
	assert_int_equal(get32(TSS_A + 0x20), 0x5555);      /* old EIP saved */
	assert_int_equal(get32(TSS_A + 0x28), 0xa0a);       /* old EAX saved */
	assert_int_equal(get32(TSS_A + 0x24), 0x202);
	assert_int_equal((get64(GDT + SEL_B) >> 40) & 0xf, 11); /* new busy */
	assert_int_equal((get64(GDT + SEL_A) >> 40) & 0xf, 11); /* old stays busy (CALL) */

	/* IRET with NT: back to the linked task, which is busy */
	s.eip = 0x1240;
	s.gpr[0] = 0xc0c;
	assert_int_equal(task_switch(&s, &ops, NULL, SEL_A, TS_IRET, &f), 0);
	assert_int_equal(s.eip, 0x5555);
	assert_int_equal(s.gpr[0], 0xa0a);
	assert_int_equal(s.eflags, 0x202);
	assert_int_equal(s.seg[TS_TR].sel, SEL_A);
	assert_int_equal((get64(GDT + SEL_B) >> 40) & 0xf, 9);   /* IRET frees the old task */
	assert_int_equal(get32(TSS_B + 0x24) & (1u << 14), 0);   /* NT cleared in the saved EFLAGS */
	assert_int_equal(get32(TSS_B + 0x20), 0x1240);
	assert_int_equal(get32(TSS_B + 0x28), 0xc0c);
}

static void test_jmp_frees_old(void **state)
{
	(void)state;
	struct ts_state s;
	struct ts_fault f;

	setup(&s);
	assert_int_equal(task_switch(&s, &ops, NULL, SEL_B, TS_JMP, &f), 0);
	assert_int_equal((get64(GDT + SEL_A) >> 40) & 0xf, 9);
	assert_int_equal(s.eflags & (1u << 14), 0);
	assert_int_equal(get32(TSS_B) & 0xffff, 0); /* no back link */
}

static void test_faults_before_commit(void **state)
{
	(void)state;
	struct ts_state s;
	struct ts_fault f;

	setup(&s); /* CALL to a busy TSS: #GP(sel) */
	assert_int_equal(task_switch(&s, &ops, NULL, SEL_A, TS_CALL, &f), 1);
	assert_int_equal(f.vector, 13);
	assert_int_equal(f.error, SEL_A);
	assert_int_equal(s.eip, 0x5555);

	setup(&s); /* IRET to an available TSS: #TS(sel) */
	assert_int_equal(task_switch(&s, &ops, NULL, SEL_B, TS_IRET, &f), 1);
	assert_int_equal(f.vector, 10);

	setup(&s); /* not present: #NP(sel) */
	put64(GDT + SEL_B, desc(TSS_B, 0x67, 0x09, 0));
	assert_int_equal(task_switch(&s, &ops, NULL, SEL_B, TS_JMP, &f), 1);
	assert_int_equal(f.vector, 11);
	assert_int_equal(f.error, SEL_B);

	setup(&s); /* limit below 0x67: #TS(sel) */
	put64(GDT + SEL_B, desc(TSS_B, 0x50, 0x89, 0));
	assert_int_equal(task_switch(&s, &ops, NULL, SEL_B, TS_JMP, &f), 1);
	assert_int_equal(f.vector, 10);
	assert_int_equal(f.error, SEL_B);

	setup(&s); /* past the GDT limit, or in an LDT: #GP(sel) */
	assert_int_equal(task_switch(&s, &ops, NULL, 0x28, TS_JMP, &f), 1);
	assert_int_equal(f.vector, 13);
	assert_int_equal(task_switch(&s, &ops, NULL, SEL_B | 4, TS_JMP, &f), 1);
	assert_int_equal(f.vector, 13);

	setup(&s); /* CPL 3 to a DPL-0 TSS: legal through a DPL-3 task gate, and the CPU checked
		     * privilege before the exit either way (SDM 25.4.2): no #GP from Raum */
	s.seg[TS_SS].ar = 0xc0f3;
	assert_int_not_equal(task_switch(&s, &ops, NULL, SEL_B, TS_JMP, &f), 1);

	setup(&s); /* a 16-bit TSS is not emulated */
	put64(GDT + SEL_B, desc(TSS_B, 0x67, 0x81, 0));
	assert_rc(task_switch(&s, &ops, NULL, SEL_B, TS_JMP, &f), -RAUM_ENOTSUP);
}

static void test_faults_after_commit(void **state)
{
	(void)state;
	struct ts_state s;
	struct ts_fault f;

	setup(&s); /* CS names a data segment: #TS(cs) in the new task */
	put32(TSS_B + 0x4c, SEL_DATA);
	assert_int_equal(task_switch(&s, &ops, NULL, SEL_B, TS_CALL, &f), 1);
	assert_int_equal(f.vector, 10);
	assert_int_equal(f.error, SEL_DATA);
	assert_int_equal(s.seg[TS_TR].sel, SEL_B);
	assert_int_equal(s.eip, 0x1234);

	setup(&s); /* SS not present: #SS(ss) */
	put64(GDT + 0x28, desc(0, 0xfffff, 0x13, 0xc));
	s.gdt_limit = 0x2f;
	put32(TSS_B + 0x50, 0x28);
	assert_int_equal(task_switch(&s, &ops, NULL, SEL_B, TS_CALL, &f), 1);
	assert_int_equal(f.vector, 12);
	assert_int_equal(f.error, 0x28);

	setup(&s); /* LDT selector naming a data segment: #TS(ldt) */
	put32(TSS_B + 0x60, SEL_DATA);
	assert_int_equal(task_switch(&s, &ops, NULL, SEL_B, TS_CALL, &f), 1);
	assert_int_equal(f.vector, 10);
	assert_int_equal(f.error, SEL_DATA);

	setup(&s); /* DS not present: #NP(ds) */
	put64(GDT + 0x28, desc(0, 0xfffff, 0x13, 0xc));
	s.gdt_limit = 0x2f;
	put32(TSS_B + 0x54, 0x28);
	assert_int_equal(task_switch(&s, &ops, NULL, SEL_B, TS_CALL, &f), 1);
	assert_int_equal(f.vector, 11);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_call_then_iret),
		cmocka_unit_test(test_jmp_frees_old),
		cmocka_unit_test(test_faults_before_commit),
		cmocka_unit_test(test_faults_after_commit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
