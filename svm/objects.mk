# SPDX-License-Identifier: MIT
hv-y += svm/svm.c svm/exit.c svm/vmrun.S svm/check.c
hv-y += svm/initredir.c
hv-y += svm/perfctl.c
hv-y += svm/dbgpmu.c
