# SPDX-License-Identifier: MIT
# Raum: one Makefile, per-directory object lists in */objects.mk, output in build/.
#
#   make            loader, hypervisor image, build/esp
#   make run        firmware -> Raum -> Debian Linux root with a shell (QEMU TCG, -cpu EPYC)
#   make run-firmware  boot build/esp alone: the loader, Raum, then the firmware's next option
#   make run-bochs  boot it under Bochs (corei7_skylake_x, OVMF)
#   make debug      QEMU with its gdb stub; gdb with the hypervisor's symbols
#   make test       unit tests and raumd's host test, then boot tests; ends with "N passed, N failed"
#   make CC=clang   build with clang

BUILD ?= build
CC ?= gcc
ifeq ($(origin CC),default)
CC := gcc
endif
LD := ld
OBJCOPY := objcopy
PYTHON := python3
V ?= 0
Q := $(if $(filter 1,$(V)),,@)

# Ask the setup script for packages when a tool is missing (it asks apt-get).
REQUIRED_FILES := /usr/lib/crt0-efi-x86_64.o /usr/share/OVMF/OVMF_CODE_4M.fd /usr/bin/qemu-system-x86_64 \
	/usr/bin/bochs /usr/bin/mcopy /usr/sbin/mkfs.fat /usr/include/cmocka.h \
	/usr/lib/x86_64-linux-gnu/libjson-c.a
MISSING := $(strip $(foreach f,$(REQUIRED_FILES),$(if $(wildcard $(f)),,$(f))))
ifneq ($(MISSING),)
$(info setup: missing $(MISSING): running tools/setup.sh)
$(shell bash tools/setup.sh >&2)
endif

WARN := -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -Wstrict-prototypes -Wvla -Wundef
BUILD_DATE := $(shell date -u +%Y-%m-%d)

# ---- hypervisor image -------------------------------------------------------
hv-y :=
include kernel/objects.mk mm/objects.mk drivers/objects.mk svm/objects.mk vmx/objects.mk
HV_CFLAGS := -std=gnu11 -O2 -g $(WARN) -ffreestanding -fno-pic -fno-pie -mcmodel=kernel \
	-fno-common -fno-stack-protector -mno-red-zone -mgeneral-regs-only \
	-fno-omit-frame-pointer -fno-asynchronous-unwind-tables -fno-builtin \
	-nostdinc -isystem $(shell $(CC) -print-file-name=include) \
	-Iinclude -I$(BUILD)/gen -DRAUM_BUILD_DATE='"$(BUILD_DATE)"' -MMD -MP
HV_OBJS := $(patsubst %,$(BUILD)/hv/%.o,$(hv-y))
HV_LDFLAGS := -nostdlib -static -z max-page-size=4096 -z noexecstack --no-warn-rwx-segments \
	-T kernel/raum.ld

# ---- loader (GNU-EFI) -------------------------------------------------------
loader-y :=
include boot/objects.mk
EFI_INC := -isystem /usr/include/efi -isystem /usr/include/efi/x86_64
EFI_CFLAGS := -std=gnu11 -O2 $(WARN) -fpic -ffreestanding -fno-stack-protector -fshort-wchar \
	-mno-red-zone -mgeneral-regs-only -fno-strict-aliasing $(EFI_INC) -Iinclude -Iboot \
	-DGNU_EFI_USE_MS_ABI -MMD -MP
EFI_LDFLAGS := -nostdlib -znocombreloc -shared -Bsymbolic -T /usr/lib/elf_x86_64_efi.lds \
	/usr/lib/crt0-efi-x86_64.o
EFI_LIBS := -L/usr/lib -lefi -lgnuefi
EFI_SECTIONS := -j .text -j .sdata -j .data -j .dynamic -j .dynsym -j .rel -j .rela -j .rel.* \
	-j .rela.* -j .reloc
LOADER_OBJS := $(patsubst %,$(BUILD)/efi/%.o,$(loader-y))
TESTAPP_OBJS := $(BUILD)/efi/tests/efi/marker.c.o
# The guest-side suites share tests/efi/lib.c and lib-asm.S; each has one file per concern.
EFI_TESTLIB_OBJS := $(BUILD)/efi/tests/efi/lib.c.o $(BUILD)/efi/tests/efi/lib-asm.S.o
INTERCEPTS_OBJS := $(patsubst %,$(BUILD)/efi/tests/efi/%.o,intercepts.c intercepts-cpuid.c intercepts-msr.c \
	intercepts-svm.c intercepts-vmx.c intercepts-hypercall.c intercepts-memory.c intercepts-asm.S \
	intercepts-prefix.c) \
	$(EFI_TESTLIB_OBJS)
INTERCEPTS_OBJS += $(BUILD)/efi/tests/efi/intercepts-singlestep.c.o
HOSTILE_OBJS := $(patsubst %,$(BUILD)/efi/tests/efi/%.o,hostile.c hostile-msr.c hostile-invd.c hostile-apic.c hostile-xsetbv.c \
	hostile-buffers.c) $(EFI_TESTLIB_OBJS)
HOSTILE_OBJS += $(BUILD)/efi/tests/efi/hostile-cpustate.c.o
HOSTILE_OBJS += $(BUILD)/efi/tests/efi/hostile-evdeliver.c.o
HOSTILE_OBJS += $(BUILD)/efi/tests/efi/hostile-dbgpmu.c.o
HOSTILE_OBJS += $(BUILD)/efi/tests/efi/hostile-pci.c.o
HOSTILE_OBJS += $(BUILD)/efi/tests/efi/hostile-deposit.c.o
# The hostile-root fuzzer (tests/efi/fuzz.c): make fuzz, boot cases qemu-fuzz / bochs-fuzz-skylake
FUZZ_OBJS := $(BUILD)/efi/tests/efi/fuzz.c.o $(EFI_TESTLIB_OBJS)
TASKSWITCH_OBJS := $(patsubst %,$(BUILD)/efi/tests/efi/%.o,taskswitch.c taskswitch-asm.S) $(EFI_TESTLIB_OBJS)
# Further test applications: tests/efi/NAME.c -> build/tests/NAME.efi
TEST_APPS := bench triple
TEST_APPS += initself
TEST_APPS += madt
TEST_APP_EFIS := $(patsubst %,$(BUILD)/tests/%.efi,$(TEST_APPS))

ESP := $(BUILD)/esp

# Keep intermediate files (test apps' objects): make would delete them after the
# test run and print that last, after the runner's "N passed, N failed" line.
.SECONDARY:

.PHONY: all clean run run-firmware run-bochs debug test test-unit test-boot bench bench-smp setup
.PHONY: fuzz
all: $(ESP)/EFI/BOOT/BOOTX64.EFI $(ESP)/EFI/raum/raum.bin $(ESP)/EFI/raum/raum.cfg \
	$(BUILD)/tests/marker.efi $(BUILD)/tests/intercepts.efi $(BUILD)/tests/hostile.efi $(TEST_APP_EFIS) \
	$(BUILD)/tests/fuzz.efi
	@printf 'raum.bin: %s bytes (image in memory, bss included: %s KiB); BOOTX64.EFI: %s bytes\n' \
		$$(stat -c %s $(ESP)/EFI/raum/raum.bin) \
		$$(( $$($(PYTHON) -c 'import struct,sys;print(struct.unpack_from("<Q",open(sys.argv[1],"rb").read(),32)[0])' $(ESP)/EFI/raum/raum.bin) / 1024 )) \
		$$(stat -c %s $(ESP)/EFI/BOOT/BOOTX64.EFI)

setup:
	bash tools/setup.sh

# asm-offsets: compile to assembly, pick the "->SYM value" markers. Its dependency file names every
# header it reads (svm/svm.h, vmx/vmx.h, vmx/vmcs.h included), so a struct change regenerates it.
$(BUILD)/gen/asm-offsets.h: kernel/asm-offsets.c $(wildcard include/raum/*.h)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(filter-out -MMD -MP -g,$(HV_CFLAGS)) -MMD -MP -MT $@ -MF $(BUILD)/gen/asm-offsets.d \
		-S -o $(BUILD)/gen/asm-offsets.s $<
	$(Q)sed -n 's/.*->\([A-Z_0-9]*\) \$$\{0,1\}\([-0-9]*\).*/#define \1 \2/p' $(BUILD)/gen/asm-offsets.s > $@.tmp
	$(Q)(echo '/* generated from kernel/asm-offsets.c: do not edit */'; cat $@.tmp) > $@ && rm $@.tmp

$(BUILD)/hv/%.c.o: %.c $(BUILD)/gen/asm-offsets.h
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(HV_CFLAGS) -c -o $@ $<

$(BUILD)/hv/%.S.o: %.S $(BUILD)/gen/asm-offsets.h
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	$(Q)$(CC) $(HV_CFLAGS) -D__ASSEMBLY__ -c -o $@ $<

# Two link passes: the second embeds the symbol table of the first (kernel/ksyms.c).
$(BUILD)/hv/ksyms-empty.S: tools/gen-ksyms.py
	@mkdir -p $(dir $@)
	$(Q)$(PYTHON) tools/gen-ksyms.py --empty > $@
$(BUILD)/hv/raum.pass1.elf: $(HV_OBJS) $(BUILD)/hv/ksyms-empty.S.o kernel/raum.ld
	$(Q)$(LD) $(HV_LDFLAGS) -o $@ $(HV_OBJS) $(BUILD)/hv/ksyms-empty.S.o
$(BUILD)/hv/ksyms.S: $(BUILD)/hv/raum.pass1.elf tools/gen-ksyms.py
	$(Q)nm -n $< | $(PYTHON) tools/gen-ksyms.py > $@
$(BUILD)/hv/%.S.o: $(BUILD)/hv/%.S
	$(Q)$(CC) $(HV_CFLAGS) -c -o $@ $<
$(BUILD)/hv/raum.elf: $(HV_OBJS) $(BUILD)/hv/ksyms.S.o kernel/raum.ld
	@echo "  LD      $@"
	$(Q)$(LD) $(HV_LDFLAGS) -Map=$(BUILD)/hv/raum.map -o $@ $(HV_OBJS) $(BUILD)/hv/ksyms.S.o
	$(Q)nm -n $(BUILD)/hv/raum.pass1.elf | grep ' [tT] ' > $(BUILD)/hv/text1.sym
	$(Q)nm -n $@ | grep ' [tT] ' > $(BUILD)/hv/text2.sym
	$(Q)cmp -s $(BUILD)/hv/text1.sym $(BUILD)/hv/text2.sym || \
		{ echo "error: text moved between link passes: ksyms would lie"; exit 1; }
	$(Q)objdump -d -S $@ > $(BUILD)/hv/raum.lst
$(ESP)/EFI/raum/raum.bin: $(BUILD)/hv/raum.elf
	@mkdir -p $(dir $@)
	$(Q)$(OBJCOPY) -O binary $< $@

# ---- loader -------------------------------------------------------------------
$(BUILD)/efi/%.c.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC(efi) $<"
	$(Q)$(CC) $(EFI_CFLAGS) -c -o $@ $<
$(BUILD)/efi/%.S.o: %.S
	@mkdir -p $(dir $@)
	@echo "  AS(efi) $<"
	$(Q)$(CC) $(EFI_CFLAGS) -D__ASSEMBLY__ -c -o $@ $<
$(BUILD)/efi/loader.so: $(LOADER_OBJS)
	$(Q)$(LD) $(EFI_LDFLAGS) -o $@ $^ $(EFI_LIBS)
$(BUILD)/efi/marker.so: $(TESTAPP_OBJS)
	$(Q)$(LD) $(EFI_LDFLAGS) -o $@ $^ $(EFI_LIBS)
$(BUILD)/efi/intercepts.so: $(INTERCEPTS_OBJS)
	$(Q)$(LD) $(EFI_LDFLAGS) -o $@ $^ $(EFI_LIBS)
$(BUILD)/efi/hostile.so: $(HOSTILE_OBJS)
	$(Q)$(LD) $(EFI_LDFLAGS) -o $@ $^ $(EFI_LIBS)
$(BUILD)/efi/fuzz.so: $(FUZZ_OBJS)
	$(Q)$(LD) $(EFI_LDFLAGS) -o $@ $^ $(EFI_LIBS)
$(BUILD)/tests/fuzz.efi: $(BUILD)/efi/fuzz.so
	@mkdir -p $(dir $@)
	$(Q)$(OBJCOPY) $(EFI_SECTIONS) --target efi-app-x86_64 $< $@
all: $(BUILD)/tests/taskswitch.efi
$(BUILD)/efi/taskswitch.so: $(TASKSWITCH_OBJS)
	$(Q)$(LD) $(EFI_LDFLAGS) -o $@ $^ $(EFI_LIBS)
$(ESP)/EFI/BOOT/BOOTX64.EFI: $(BUILD)/efi/loader.so
	@mkdir -p $(dir $@)
	@echo "  EFI     $@"
	$(Q)$(OBJCOPY) $(EFI_SECTIONS) --target efi-app-x86_64 $< $@
$(BUILD)/tests/marker.efi: $(BUILD)/efi/marker.so
	@mkdir -p $(dir $@)
	$(Q)$(OBJCOPY) $(EFI_SECTIONS) --target efi-app-x86_64 $< $@
$(BUILD)/tests/intercepts.efi: $(BUILD)/efi/intercepts.so
	@mkdir -p $(dir $@)
	$(Q)$(OBJCOPY) $(EFI_SECTIONS) --target efi-app-x86_64 $< $@
$(BUILD)/tests/hostile.efi: $(BUILD)/efi/hostile.so
	@mkdir -p $(dir $@)
	$(Q)$(OBJCOPY) $(EFI_SECTIONS) --target efi-app-x86_64 $< $@
$(BUILD)/tests/taskswitch.efi: $(BUILD)/efi/taskswitch.so
	@mkdir -p $(dir $@)
	$(Q)$(OBJCOPY) $(EFI_SECTIONS) --target efi-app-x86_64 $< $@
$(BUILD)/efi/app-%.so: $(BUILD)/efi/tests/efi/%.c.o
	$(Q)$(LD) $(EFI_LDFLAGS) -o $@ $^ $(EFI_LIBS)
$(BUILD)/tests/%.efi: $(BUILD)/efi/app-%.so
	@mkdir -p $(dir $@)
	$(Q)$(OBJCOPY) $(EFI_SECTIONS) --target efi-app-x86_64 $< $@
$(ESP)/EFI/raum/raum.cfg: boot/raum.cfg
	@mkdir -p $(dir $@)
	$(Q)cp $< $@

# ---- the root partition: Debian's kernel, busybox, raum.ko, raumctl --------------
include tools/root.mk

# ---- running ------------------------------------------------------------------
QEMU_CPU ?= EPYC
# make run: firmware -> Raum -> stock Debian Linux as the root, a shell on this terminal
run: all esp-linux
	bash tests/boot/qemu.sh --interactive --cpu $(QEMU_CPU) --esp $(ESP_LINUX) --mem 1G
run-firmware: all
	bash tests/boot/qemu.sh --interactive --cpu $(QEMU_CPU) --esp $(ESP)
run-bochs: all
	bash tests/boot/bochs.sh --interactive --cpu corei7_skylake_x --esp $(ESP)
debug: all
	bash tests/boot/qemu.sh --interactive --gdb --cpu $(QEMU_CPU) --esp $(ESP) & \
	sleep 1; gdb -q -ex 'target remote :1234' -ex 'symbol-file $(BUILD)/hv/raum.elf' ; kill %1 2>/dev/null || true

# ---- tests --------------------------------------------------------------------
include tests/unit/objects.mk
# raumd's host test (tests/raumd/run.sh) runs with the unit tests: it needs raumd and raumctl, no emulator
RAUMD_TEST_BINS := $(BUILD)/root/raumd $(BUILD)/root/raumctl
test: all esp-linux-test $(UNIT_BINS) $(RAUMD_TEST_BINS)
	RAUM_BUILD=$(BUILD) bash tests/run.sh $(UNIT_BINS)
test-unit: $(UNIT_BINS) $(RAUMD_TEST_BINS)
	RAUM_BUILD=$(BUILD) bash tests/run.sh --unit-only $(UNIT_BINS)
bench: all esp-linux-test
	bash tools/bench.sh
# make bench-smp: only the 4-CPU Linux part of make bench (tools/bench-smp.sh)
bench-smp: all esp-linux-test
	bash tools/bench-smp.sh
# make fuzz ITER=1000000 SEED=0x... VENDOR=amd|intel|both RULES=0|1: a long fuzzer campaign (tools/fuzz.sh)
fuzz: all
	ITER="$(ITER)" SEED="$(SEED)" VENDOR="$(VENDOR)" RULES="$(RULES)" bash tools/fuzz.sh

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
