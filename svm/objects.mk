# SPDX-License-Identifier: MIT
hv-y += svm/svm.c
