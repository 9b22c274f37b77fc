/* SPDX-License-Identifier: MIT */
/* Internal error codes: negative return values inside the hypervisor and loader. */
#ifndef RAUM_ERRNO_H
#define RAUM_ERRNO_H

#define RAUM_OK 0
#define RAUM_EINVAL 1   /* bad argument */
#define RAUM_ENOMEM 2   /* out of memory */
#define RAUM_ENODEV 3   /* hardware feature absent */
#define RAUM_EBUSY 4    /* already in use */
#define RAUM_ERANGE 5   /* out of range */
#define RAUM_EEXIST 6   /* already present */
#define RAUM_ENOENT 7   /* not found */
#define RAUM_EIO 8      /* hardware failed an operation */
#define RAUM_ENOTSUP 9  /* not supported by this build */
#define RAUM_ENOIOMMU 10 /* iommu = required in raum.cfg, and device DMA cannot be confined */

#endif
