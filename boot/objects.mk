# SPDX-License-Identifier: MIT
# The loader, and the pure code it shares with the hypervisor.
loader-y += boot/loader.c boot/probe.c boot/config.c boot/hwcheck.c kernel/fmt.c mm/memmap.c \
	mm/memcrypt.c mm/memcrypt_probe.c
