# SPDX-License-Identifier: MIT
hv-y += vmx/vmx.c vmx/vmcs.c vmx/exit.c vmx/vmrun.S vmx/caps.c
hv-y += vmx/nmi.c
hv-y += vmx/check.c
