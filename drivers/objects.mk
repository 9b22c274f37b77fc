# SPDX-License-Identifier: MIT
hv-y += drivers/serial.c
hv-y += drivers/acpi.c
hv-y += drivers/iopt.c
hv-y += drivers/vtd.c
hv-y += drivers/amdvi.c
hv-y += drivers/iommu.c
