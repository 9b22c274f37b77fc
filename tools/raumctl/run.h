/* SPDX-License-Identifier: MIT */
/* raumctl run (tools/raumctl/run.c): one child partition in the foreground. */
#ifndef RAUMCTL_RUN_H
#define RAUMCTL_RUN_H

/* argv: what follows "run"; returns the process's exit status (run.c's header says which). */
int cmd_run(int argc, char **argv);

#include <stdint.h>

/*
 * The counters `raumctl run` publishes while it runs, when RAUMCTL_STATS_FILE
 * names a file: raumctl maps it shared and updates it after every exit that
 * reaches it; raumd's worker reads it for `raumctl info` (docs/raumd.md).
 * A reader checks magic and version, and takes the values as a snapshot
 * (each 64-bit field is written whole).
 */
#define RAUMCTL_STATS_MAGIC 0x31545352u /* "RST1" */
#define RAUMCTL_STATS_VERSION 1
struct raumctl_run_stats {
	uint32_t magic, version;
	uint64_t exits;        /* the VP's exits: those Raum handled itself and those that came to raumctl */
	uint64_t dispatches;   /* VP_RUN returns: exits raumctl handled (port I/O, MMIO, HLT, intercepts) */
	uint64_t io_exits;     /* port I/O */
	uint64_t mmio;         /* unassigned MMIO accesses emulated */
	uint64_t irqs;         /* interrupts raised (the UART's) */
	uint64_t by_kind[16];  /* dispatches by RAUM_VPEXIT_* kind */
};

#endif
