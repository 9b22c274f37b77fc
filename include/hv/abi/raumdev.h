/* SPDX-License-Identifier: MIT */
/*
 * /dev/raum: the root partition's kernel module (tools/module/) exposes the
 * hypercall interface to user space through this ioctl. The module checks
 * every request: only the calls listed in docs/hypercall-abi.md as allowed
 * from user space, no fast calls, input and output blocks of at most one
 * page, copied through kernel pages (user space never names a GPA).
 */
#ifndef HV_ABI_RAUMDEV_H
#define HV_ABI_RAUMDEV_H

#ifdef __KERNEL__
#include <linux/ioctl.h>
#include <linux/types.h>
#else
#include <linux/ioctl.h>
#include <stdint.h>
#endif

#define RAUM_DEV_PATH "/dev/raum"

struct raum_hypercall {
	uint64_t control;  /* hypercall input value: call code, rep count (fast bit refused) */
	uint64_t in_ptr;   /* user pointer to the input block, or 0 */
	uint64_t out_ptr;  /* user pointer to the output block, or 0 */
	uint32_t in_len;   /* bytes, at most 4096 */
	uint32_t out_len;  /* bytes, at most 4096 */
	uint64_t result;   /* out: the hypercall result value (HV_STATUS in bits 15:0) */
};

_Static_assert(sizeof(struct raum_hypercall) == 40, "raum_hypercall layout");

#define RAUM_IOC_MAGIC 0xa7
#define RAUM_IOC_HYPERCALL _IOWR(RAUM_IOC_MAGIC, 1, struct raum_hypercall)

#endif
