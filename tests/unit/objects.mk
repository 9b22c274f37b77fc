# SPDX-License-Identifier: MIT
# Host unit tests (cmocka), built with AddressSanitizer and UBSan against the
# same .c files the hypervisor and loader use.
UNIT_CC ?= gcc
UNIT_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -Wno-missing-prototypes -Iinclude -Iboot \
	-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
UNIT_LIBS := -lcmocka
UNIT_LIBS += -pthread

# test name -> the sources it tests
unit-fmt := kernel/fmt.c
unit-logring := kernel/logring.c
unit-palloc := mm/palloc.c
unit-memmap := mm/memmap.c
unit-pt := mm/pt.c
unit-config := boot/config.c kernel/fmt.c
unit-hwcheck := boot/hwcheck.c kernel/fmt.c mm/memcrypt.c
unit-decode := kernel/decode.c
unit-hvcall := kernel/hvcall_check.c mm/ramrange.c mm/memmap.c
unit-ramrange := mm/ramrange.c mm/memmap.c
unit-asid := kernel/asid.c
unit-slat := mm/slat.c mm/pt.c mm/memmap.c mm/mtrr.c mm/memcrypt.c kernel/fmt.c
unit-vmxcaps := vmx/caps.c kernel/fmt.c kernel/cpuid.c
unit-mtrr := mm/mtrr.c
unit-svmcheck := svm/check.c
unit-msrpolicy := kernel/msrpolicy.c svm/perfctl.c
unit-xcr0 := kernel/xcr0.c
unit-memcrypt := mm/memcrypt.c kernel/fmt.c
unit-initredir := svm/initredir.c
unit-taskswitch := kernel/taskswitch.c
unit-insnlen := kernel/insnlen.c
unit-logredact := kernel/logredact.c
unit-crrules := kernel/crrules.c
UNIT_TESTS := fmt logring palloc memmap ramrange pt config hwcheck decode hvcall asid slat mtrr svmcheck \
	vmxcaps msrpolicy xcr0 memcrypt
UNIT_TESTS += initredir
UNIT_TESTS += taskswitch
UNIT_TESTS += insnlen
UNIT_TESTS += logredact
UNIT_TESTS += crrules
unit-cpuid := kernel/cpuid.c vmx/caps.c kernel/fmt.c
UNIT_TESTS += cpuid
unit-vmxnmi := vmx/nmi.c
UNIT_TESTS += vmxnmi
unit-evdeliver := kernel/evdeliver.c
UNIT_TESTS += evdeliver
unit-perfctl := svm/perfctl.c
UNIT_TESTS += perfctl
unit-specctrl := kernel/specctrl.c
UNIT_TESTS += specctrl
unit-gwalk :=
UNIT_TESTS += gwalk
unit-vpstate := kernel/vpstate.c
UNIT_TESTS += vpstate
unit-dispatch := kernel/dispatch.c kernel/vpstate.c kernel/fmt.c
UNIT_TESTS += dispatch
unit-vmxcheck := vmx/check.c vmx/caps.c kernel/fmt.c kernel/cpuid.c
UNIT_TESTS += vmxcheck
unit-locks := mm/palloc.c kernel/logring.c kernel/log.c kernel/fmt.c kernel/logredact.c
UNIT_TESTS += locks
unit-vptable := kernel/vp.c kernel/vpstate.c
UNIT_TESTS += vptable
# raumctl's main against a fake /dev/raum: the test includes tools/raumctl/raumctl.c and links json-c
unit-raumctl := tools/raumctl/run.c tools/raumctl/image.c tools/raumctl/mmio.c tools/raumctl/vmcmds.c
UNIT_TESTS += raumctl
$(BUILD)/unit/test_raumctl: tools/raumctl/raumctl.c
$(BUILD)/unit/test_raumctl: UNIT_LIBS += -ljson-c
unit-icr := kernel/icr.c
UNIT_TESTS += icr
unit-initsipi := kernel/initsipi.c
UNIT_TESTS += initsipi
unit-shootdown := kernel/shootdown.c
UNIT_TESTS += shootdown
unit-acpi := drivers/acpi.c kernel/fmt.c
UNIT_TESTS += acpi
unit-iopt := drivers/iopt.c
UNIT_TESTS += iopt
unit-pciguard := kernel/pciguard.c
UNIT_TESTS += pciguard
# deferred (=): entries added after this line still count
UNIT_BINS = $(patsubst %,$(BUILD)/unit/test_%,$(UNIT_TESTS))

.SECONDEXPANSION:
$(BUILD)/unit/test_%: tests/unit/test_%.c $$(unit-$$*) $(wildcard include/raum/*.h include/hv/abi/*.h svm/*.h vmx/*.h) tests/unit/unit.h tests/unit/arena.h tests/unit/bochs_caps.h
	@mkdir -p $(dir $@)
	@echo "  CC(unit) $@"
	$(Q)$(UNIT_CC) $(UNIT_CFLAGS) -o $@ $< $(unit-$*) $(UNIT_LIBS)
unit-owner := mm/owner.c
UNIT_TESTS += owner
unit-partstate := kernel/partstate.c
UNIT_TESTS += partstate
unit-vpregs := kernel/vpregs.c
UNIT_TESTS += vpregs
unit-image := tools/raumctl/image.c
UNIT_TESTS += image
unit-mmio := tools/raumctl/mmio.c
UNIT_TESTS += mmio
# raumd's VM config file: the parser (libc) and its JSON (json-c)
unit-vmconfig := tools/raumd/vmconfig.c tools/raumd/vmconfig_json.c
UNIT_TESTS += vmconfig
$(BUILD)/unit/test_vmconfig: tools/raumd/vmconfig.h
$(BUILD)/unit/test_vmconfig: UNIT_LIBS += -ljson-c
# raumd's socket protocol: the request parser, the exit-state mapping, the peer check (json-c)
unit-raumd_proto := tools/raumd/proto.c
UNIT_TESTS += raumd_proto
$(BUILD)/unit/test_raumd_proto: tools/raumd/proto.h tools/raumd/vmconfig.h
$(BUILD)/unit/test_raumd_proto: UNIT_LIBS += -ljson-c
