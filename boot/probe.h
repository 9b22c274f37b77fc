/* SPDX-License-Identifier: MIT */
#ifndef RAUM_BOOT_PROBE_H
#define RAUM_BOOT_PROBE_H

#include <raum/hwcheck.h>

/* Fills *p from this CPU's CPUID and the MSRs CPUID says exist. */
void hw_probe_cpu(struct hw_probe *p);

#endif
