/* SPDX-License-Identifier: MIT */
/*
 * XCR0, the XSAVE feature-enable register, and the rules XSETBV enforces on
 * it (Intel SDM vol. 1 13.3 "Enabling the XSAVE Feature Set and
 * XSAVE-Enabled Features"; vol. 2B XSETBV). Raum runs XSETBV for the root on
 * VT-x, where it exits unconditionally (SDM vol. 3C 26.1.2): a value the CPU
 * refuses raises #GP inside Raum, so the value is checked first. Pure code
 * (kernel/xcr0.c), unit-tested.
 *
 *   63 ......... 19  18  17  16 .. 10  9   8   7   6   5   4   3   2   1   0
 *  +---------------+---+---+--------+---+---+---+---+---+---+---+---+---+---+
 *  |   (reserved)  |TD |TC |        |PKR|   |HZ |ZH |K  |BC |BR |AVX|SSE|x87|
 *  +---------------+---+---+--------+---+---+---+---+---+---+---+---+---+---+
 *   TC/TD: AMX XTILECFG / XTILEDATA; PKR: PKRU; HZ: Hi16_ZMM; ZH: ZMM_Hi256;
 *   K: AVX-512 opmask; BR/BC: MPX BNDREGS / BNDCSR. Bit 8 (PT), 11-12 (CET),
 *   13 (HDC), 14 (UINTR), 15 (LBR) and 16 (HWP) are supervisor states: they
 *   belong to IA32_XSS, and CPUID.(EAX=0DH,ECX=0):EDX:EAX never reports them.
 */
#ifndef RAUM_XCR0_H
#define RAUM_XCR0_H

#include <raum/types.h>

#define XCR0_X87 BIT(0)
#define XCR0_SSE BIT(1)
#define XCR0_AVX BIT(2)
#define XCR0_BNDREGS BIT(3)
#define XCR0_BNDCSR BIT(4)
#define XCR0_OPMASK BIT(5)
#define XCR0_ZMM_HI256 BIT(6)
#define XCR0_HI16_ZMM BIT(7)
#define XCR0_PKRU BIT(9)
#define XCR0_XTILECFG BIT(17)
#define XCR0_XTILEDATA BIT(18)

#define XCR0_MPX (XCR0_BNDREGS | XCR0_BNDCSR)
#define XCR0_AVX512 (XCR0_OPMASK | XCR0_ZMM_HI256 | XCR0_HI16_ZMM)
#define XCR0_AMX (XCR0_XTILECFG | XCR0_XTILEDATA)

/*
 * Whether XSETBV with ECX = index and EDX:EAX = value completes without
 * #GP(0) on a CPU whose XCR0-settable bits are supported (CPUID.(EAX=0DH,
 * ECX=0):EDX:EAX). Only the value checks: CPL (#GP) and CR4.OSXSAVE (#UD)
 * are checked by the CPU before the VM exit (SDM vol. 3C 26.1.1).
 */
bool xcr0_valid(u32 index, u64 value, u64 supported);

#endif
