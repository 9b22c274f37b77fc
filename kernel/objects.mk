# SPDX-License-Identifier: MIT
hv-y += kernel/entry.S kernel/traps.S kernel/main.c kernel/log.c kernel/fmt.c \
	kernel/logring.c kernel/panic.c kernel/trap.c kernel/cpu.c kernel/ksyms.c \
	kernel/vendor.c kernel/partition.c kernel/partmem.c kernel/partstate.c kernel/exit.c kernel/hypercall.c kernel/hvcall_check.c \
	kernel/decode.c kernel/string.c kernel/msr.S kernel/health.c kernel/msr.c kernel/msrpolicy.c \
	kernel/xcr0.c
hv-y += kernel/taskswitch.c
hv-y += kernel/insnlen.c
hv-y += kernel/logredact.c
hv-y += kernel/crrules.c
hv-y += kernel/crcpuid.c
hv-y += kernel/cpuid.c
hv-y += kernel/evdeliver.c
hv-y += kernel/dispatch.c
hv-y += kernel/vp.c
hv-y += kernel/vpstate.c
hv-y += kernel/specctrl.c
hv-y += kernel/speccpu.c
hv-y += kernel/asid.c
hv-y += kernel/icr.c kernel/initsipi.c kernel/smp.c kernel/shootdown.c
hv-y += kernel/pciguard.c
hv-y += kernel/pciio.c
hv-y += kernel/childvp.c kernel/vpregs.c
