/* SPDX-License-Identifier: MIT */
/*
 * The root's PerfEvtSel writes on AMD (svm/dbgpmu.c): every counter the
 * root programs counts in guest mode only, so Raum's own instructions stay
 * out of its counts (a side channel on Raum's control flow, not a way into
 * its memory). PerfEvtSel bits 41:40 are HG_ONLY (APM vol. 2 13.2.1,
 * "PerfEvtSeln"): 01b (GuestOnly) counts only in guest mode while
 * EFER.SVME = 1, 10b (HostOnly) only in host mode, 00b and 11b in both. The
 * root sees no SVM (EFER.SVME hidden), so it cannot mean either mode; a
 * Linux root sets HostOnly for an event that excludes guests, which under
 * Raum would count Raum alone. The root's own bits are kept in a shadow for
 * RDMSR, and the hardware always gets GuestOnly: the root's counts cover
 * the root, as on a CPU without a hypervisor. Pure: unit-tested in
 * tests/unit/test_perfctl.c.
 */
#ifndef RAUM_SVM_PERFCTL_H
#define RAUM_SVM_PERFCTL_H

#include <raum/types.h>

#define PERF_CTL_GUESTONLY BIT(40)
#define PERF_CTL_HOSTONLY BIT(41)
#define PERF_CTL_NR 6          /* PerfEvtSel0-5 (PerfCtrExtCore); 0-3 also at the legacy addresses */
#define MSR_AMD_PERF_CTL_LEGACY 0xc0010000 /* PerfEvtSel0-3, PerfCtr0-3 at 0xc0010004-7 */
#define MSR_AMD_PERF_CTL_EXT 0xc0010200    /* PerfEvtSel0-5 at even addresses, PerfCtr at odd ones */

/* The counter (0-5) whose PerfEvtSel msr is, or -1 (a counter, or no PMU MSR). */
int perf_ctl_index(u32 msr);

/* What the hardware gets for the root's PerfEvtSel value v: GuestOnly, never HostOnly. */
u64 perf_ctl_for_root(u64 v);

#endif
