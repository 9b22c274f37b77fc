# SPDX-License-Identifier: MIT
hv-y += mm/palloc.c mm/memmap.c mm/ramrange.c mm/pt.c mm/vm.c mm/slat.c mm/mtrr.c mm/memcrypt.c \
	mm/memcrypt_probe.c mm/owner.c
