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

#endif
