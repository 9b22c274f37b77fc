/* SPDX-License-Identifier: MIT */
/*
 * raumctl's VM verbs (vmcmds.c): create, list, start, stop, destroy, info,
 * remove, console: requests to raumd over its socket (docs/raumd.md).
 */
#ifndef RAUMCTL_VMCMDS_H
#define RAUMCTL_VMCMDS_H

/* Whether cmd is one of the VM verbs. */
int vm_is_command(const char *cmd);
/* Runs verb cmd with argv (what follows it); returns the exit status: 0 done, 1 failure, 2 usage. */
int vm_command(const char *cmd, int argc, char **argv);

#endif
