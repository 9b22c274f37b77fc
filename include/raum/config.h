/* SPDX-License-Identifier: MIT */
/*
 * raum.cfg: the loader's configuration file on the ESP (\EFI\raum\raum.cfg).
 *
 *   # comment
 *   serial = com1            # com1..com4, an I/O port (0x2f8), or none
 *   baud = 115200
 *   log_level = info         # error | warn | info | debug
 *   pool_mb = 32             # hypervisor memory pool, 4 .. 4096 MiB
 *   root = \EFI\BOOT\next.efi   # EFI image started after Raum (the root OS)
 *   root_options = console=ttyS0
 *   debug_fault = none       # none | page | ud | gp | stack (the panic path) | entry (a refused VM entry)
 *                            # | ap (CPU 1 unlike the boot CPU: the launch refused on every CPU)
 *   iommu = auto             # auto | required | off (docs/iommu.md): required refuses the launch
 *                            # when Raum cannot confine device DMA with an IOMMU
 *
 * A bad line is reported with its number and ignored; the key keeps its
 * default. Pure code, unit-tested on the host.
 */
#ifndef RAUM_CONFIG_H
#define RAUM_CONFIG_H

#include <raum/types.h>

#define RAUM_CFG_PATH_MAX 128
#define RAUM_CFG_OPTIONS_MAX 512

struct raum_config {
	u16 serial_port; /* 0 = none */
	u32 serial_baud;
	u8 log_level;   /* RAUM_LOG_* */
	u8 debug_fault; /* enum raum_debug_fault */
	u32 pool_mb;
	u8 iommu;       /* enum raum_iommu_mode (include/raum/bootinfo.h) */
	char root[RAUM_CFG_PATH_MAX];             /* empty: no root OS configured */
	char root_options[RAUM_CFG_OPTIONS_MAX];
};

/* Called once per bad line, with a message that names the problem and the fix. */
typedef void (*config_error_fn)(void *ctx, unsigned line, const char *msg);

void config_defaults(struct raum_config *c);

/*
 * Parses text (len bytes, need not be NUL-terminated) over the values
 * already in *c. Returns the number of lines reported to err (which may be
 * NULL).
 */
int config_parse(const char *text, size_t len, struct raum_config *c, config_error_fn err, void *ctx);

#endif
