/* SPDX-License-Identifier: MIT */
/*
 * A VM's worker (worker.c): `raumd --worker NAME ...`, one process per
 * running VM, started by raumd and outliving it (docs/raumd.md).
 */
#ifndef RAUMD_WORKER_H
#define RAUMD_WORKER_H

#define WORKER_CLIENTS_MAX 16     /* connections to one worker's socket at once */
#define WORKER_RING 4096          /* console bytes replayed to a client that attaches */
#define WORKER_LINE_MAX 1024      /* a request line on a worker's socket */

/*
 * argv: --worker NAME --state-dir DIR --console-log FILE --stop-timeout S
 * --ready-fd FD -- COMMAND ARGS... Returns the exit status: 0 after the VM
 * process ended and its record was written, 1 when it could not start (the
 * reason written to the ready fd), 2 usage.
 */
int worker_main(int argc, char **argv);

#endif
