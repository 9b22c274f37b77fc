/* SPDX-License-Identifier: MIT */
/* raumctl run (tools/raumctl/run.c): one child partition in the foreground. */
#ifndef RAUMCTL_RUN_H
#define RAUMCTL_RUN_H

/* argv: what follows "run"; returns the process's exit status (run.c's header says which). */
int cmd_run(int argc, char **argv);

#endif
