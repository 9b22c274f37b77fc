// SPDX-License-Identifier: MIT
/* The root's PerfEvtSel values on AMD: see svm/perfctl.h. */
#include "perfctl.h"

int perf_ctl_index(u32 msr)
{
	if (msr >= MSR_AMD_PERF_CTL_LEGACY && msr < MSR_AMD_PERF_CTL_LEGACY + 4)
		return (int)(msr - MSR_AMD_PERF_CTL_LEGACY);
	if (msr >= MSR_AMD_PERF_CTL_EXT && msr < MSR_AMD_PERF_CTL_EXT + 2 * PERF_CTL_NR && !(msr & 1))
		return (int)((msr - MSR_AMD_PERF_CTL_EXT) / 2);
	return -1;
}

u64 perf_ctl_for_root(u64 v)
{
	return (v & ~(PERF_CTL_HOSTONLY | PERF_CTL_GUESTONLY)) | PERF_CTL_GUESTONLY;
}
