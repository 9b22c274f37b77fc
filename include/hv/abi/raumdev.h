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

/*
 * Child partitions (issue 12, docs/partitions.md). A partition belongs to
 * the open /dev/raum file that created it: closing the file (the process
 * exits or is killed) destroys it and returns all its memory. Its RAM is
 * the caller's memory [mem_ptr, mem_ptr + mem_bytes), pinned while the
 * partition exists, mapped at guest-physical 0 read / write / execute.
 * The pages Raum needs for the partition's metadata are deposited by the
 * module from kernel pages never mapped to user space, and withdrawn and
 * freed when the partition goes.
 */
#define RAUM_PART_MEM_MAX (1ULL << 30) /* the most RAM one partition gets, for now */

struct raum_part_create {
	uint64_t mem_ptr;      /* page-aligned user address */
	uint64_t mem_bytes;    /* a multiple of 4096, 4096 to RAUM_PART_MEM_MAX */
	uint64_t partition_id; /* out: Raum's ID for it */
	uint64_t deposited;    /* out: kernel pages deposited for it (its pool and its object) */
};

struct raum_part_id {
	uint64_t partition_id;
};

/* The module's accounting: every figure returns to its value before a partition was made once it is gone. */
struct raum_dev_counts {
	uint64_t deposited_pages;  /* kernel pages deposited with Raum and not withdrawn yet */
	uint64_t pinned_pages;     /* user pages pinned as children's RAM */
	uint64_t partitions;       /* partitions created through the module and not destroyed */
	uint64_t root_available;   /* Raum's GetMemoryBalance of the root's own pool: free pages */
	uint64_t root_in_use;      /* and pages holding partition objects */
};

/*
 * For the isolation tests: the physical addresses of the kernel pages the
 * module deposited for this file's partition (its pool: free pages and
 * Raum's metadata for it, e.g. its SLAT tables), at most RAUM_PART_PAGES_MAX.
 * The root must be unable to reach them, by CPU or by device DMA.
 */
#define RAUM_PART_PAGES_MAX 64
struct raum_part_pages {
	uint64_t partition_id;
	uint64_t count;                       /* out: entries filled */
	uint64_t phys[RAUM_PART_PAGES_MAX];   /* out */
};

_Static_assert(sizeof(struct raum_part_create) == 32, "raum_part_create layout");
_Static_assert(sizeof(struct raum_part_pages) == 16 + 8 * RAUM_PART_PAGES_MAX, "raum_part_pages layout");
_Static_assert(sizeof(struct raum_dev_counts) == 40, "raum_dev_counts layout");

#define RAUM_IOC_PART_CREATE _IOWR(RAUM_IOC_MAGIC, 2, struct raum_part_create)
#define RAUM_IOC_PART_DESTROY _IOW(RAUM_IOC_MAGIC, 3, struct raum_part_id)
#define RAUM_IOC_COUNTS _IOR(RAUM_IOC_MAGIC, 4, struct raum_dev_counts)
#define RAUM_IOC_PART_PAGES _IOWR(RAUM_IOC_MAGIC, 5, struct raum_part_pages)

/*
 * A child's VPs, for the process that owns the partition (raumctl run).
 * VP_CREATE: VP vp_index of the partition (the module deposits while Raum
 * asks). VP_REGS: get (set = 0) or set (set = 1) count registers (at most
 * RAUM_VP_REGS_MAX) from / to the array at regs_ptr; on a refusal, status
 * is Raum's HV_STATUS and failed_index the register it stopped at (-EINVAL).
 * VP_RUN: dispatches the VP until an exit the caller must handle (the
 * root's own interrupts are taken and the VP run again inside the call);
 * flags / data complete the last exit (RAUM_DISPATCH_COMPLETE). -EINTR with
 * exit.kind RAUM_VPEXIT_INTERRUPTED when a signal is pending.
 */
#include "hvcall.h"

struct raum_vp_id {
	uint64_t partition_id;
	uint32_t vp_index;
	uint32_t reserved;
};

struct raum_reg {
	uint32_t name;     /* HV_X64_REGISTER_* or RAUM_REGISTER_* */
	uint32_t reserved;
	uint64_t low, high;
};

#define RAUM_VP_REGS_MAX 64 /* SetVpRegisters: 16 + 64 * 32 bytes fit the input page */
struct raum_vp_regs {
	uint64_t partition_id;
	uint32_t vp_index;
	uint32_t count;
	uint32_t set;
	uint32_t status;        /* out: HV_STATUS of the call */
	uint32_t failed_index;  /* out: the register refused */
	uint32_t reserved;
	uint64_t regs_ptr;      /* struct raum_reg[count] */
};

struct raum_vp_run {
	uint64_t partition_id;
	uint32_t vp_index;
	uint32_t flags;         /* RAUM_DISPATCH_COMPLETE */
	uint64_t data;          /* IN's value, with RAUM_DISPATCH_COMPLETE */
	uint32_t status;        /* out: HV_STATUS of the last DispatchVp */
	uint32_t reserved;
	struct raum_vp_exit exit; /* out */
};

_Static_assert(sizeof(struct raum_reg) == 24, "raum_reg layout");
_Static_assert(sizeof(struct raum_vp_regs) == 40, "raum_vp_regs layout");
_Static_assert(sizeof(struct raum_vp_run) == 32 + sizeof(struct raum_vp_exit), "raum_vp_run layout");

/* InstallIntercept for one of this file's partitions (struct hv_install_intercept_in, include/hv/abi/hvcall.h). */
struct raum_intercept {
	uint64_t partition_id;
	uint32_t access_type;
	uint32_t intercept_type;
	uint64_t parameter;
	uint32_t status;        /* out: HV_STATUS */
	uint32_t reserved;
};
_Static_assert(sizeof(struct raum_intercept) == 32, "raum_intercept layout");

#define RAUM_IOC_VP_CREATE _IOW(RAUM_IOC_MAGIC, 6, struct raum_vp_id)
#define RAUM_IOC_INTERCEPT _IOWR(RAUM_IOC_MAGIC, 9, struct raum_intercept)
#define RAUM_IOC_VP_REGS _IOWR(RAUM_IOC_MAGIC, 7, struct raum_vp_regs)
#define RAUM_IOC_VP_RUN _IOWR(RAUM_IOC_MAGIC, 8, struct raum_vp_run)

#endif
