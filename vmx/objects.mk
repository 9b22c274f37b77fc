# SPDX-License-Identifier: MIT
hv-y += vmx/vmx.c
