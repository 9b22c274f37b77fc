# SPDX-License-Identifier: MIT
hv-y += drivers/serial.c
