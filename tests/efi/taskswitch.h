/* SPDX-License-Identifier: MIT */
/*
 * Shared by tests/efi/taskswitch.c and taskswitch-asm.S: the selectors of
 * the test's own GDT, the task-gate vector and the result slots the 32-bit
 * code fills (u32 each, at ts_res in the copied blob).
 */
#ifndef TESTS_EFI_TASKSWITCH_H
#define TESTS_EFI_TASKSWITCH_H

#define TS_SEL_CODE32 0x08
#define TS_SEL_DATA32 0x10
#define TS_SEL_CODE64 0x18
#define TS_SEL_TSS1 0x20
#define TS_SEL_TSS2 0x28
#define TS_SEL_NP 0x30 /* a data segment, not present: #NP until task 2 sets P */
#define TS_GDT_LIMIT (7 * 8 - 1)
#define TS_GATE_VEC 0x40
#define TS_NP_VEC 11 /* #NP: a task gate to TSS2 too (an exception with an error code) */
#define TS_IDT_ENTRIES (TS_GATE_VEC + 1)

/* the registers task 2 starts with (from TSS2) and task 1 keeps (saved in TSS1) */
#define TS_T2_EAX 0x7a5c0002
#define TS_T2_ESI 0x7a5c0006
#define TS_T2_EAX_NEW 0x2222aaaa /* task 2 sets this before its IRET */
#define TS_T1_ESI 0x5151a001
#define TS_T1_EDI 0x5151a002

/* result slots */
/*
 * R_STAGE: 1 in PM, 2 task 2 (CALL), 3 back (IRET), 4 task 2 (JMP), 5 back (JMP),
 * 6 task 2 (gate), 7 back (IRET), 8 task 2 (#NP gate), 9 back (IRET, the MOV retried)
 */
#define R_STAGE 0
#define R_EXC_VEC 1 /* an exception in 32-bit mode: vector, then three stack dwords */
#define R_EXC_W1 2
#define R_EXC_W2 3
#define R_EXC_W3 4
/* in task 2 after the far CALL */
#define R_C_EAX 5
#define R_C_ESI 6
#define R_C_EFLAGS 7
#define R_C_LINK 8
#define R_C_TR 9
#define R_C_TSS1_AR 10
#define R_C_TSS2_AR 11
#define R_C_CS 12
#define R_C_SS 13
#define R_C_CR0 14
/* in task 1 after the IRET */
#define R_1C_ESI 15
#define R_1C_EDI 16
#define R_1C_EFLAGS 17
#define R_1C_TR 18
#define R_1C_TSS1_AR 19
#define R_1C_TSS2_AR 20
#define R_1C_T2EIP 21
#define R_1C_T2EAX 22
#define R_1C_T2EFLAGS 23
/* in task 2 after the far JMP */
#define R_J_EAX 24
#define R_J_EFLAGS 25
#define R_J_LINK 26
#define R_J_TR 27
#define R_J_TSS1_AR 28
#define R_J_TSS2_AR 29
/* in task 1 after the JMP back */
#define R_1J_ESI 30
#define R_1J_TR 31
#define R_1J_TSS1_AR 32
#define R_1J_TSS2_AR 33
#define R_1J_T1EIP 34
#define R_1J_T2EIP 35
/* in task 2 through the task gate (INT TS_GATE_VEC) */
#define R_G_EFLAGS 36
#define R_G_LINK 37
#define R_G_TR 38
#define R_G_TSS1_AR 39
#define R_G_TSS2_AR 40
/* in task 1 after the gate task's IRET */
#define R_1G_ESI 41
#define R_1G_EFLAGS 42
#define R_1G_TR 43
#define R_1G_TSS1_AR 44
#define R_1G_TSS2_AR 45
/* in task 2 through the #NP task gate */
#define R_N_ESP 46
#define R_N_ERR 47
#define R_N_EFLAGS 48
#define R_N_LINK 49
#define R_N_TR 50
/* in task 1 after the retried MOV to DS */
#define R_1N_DS 51
#define R_1N_ESI 52
#define R_1N_TR 53
#define R_1N_TSS2_AR 54
#define R_1N_TSS1_AR 55
#define R_NSLOTS 56

#endif
