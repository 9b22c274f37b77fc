# SPDX-License-Identifier: MIT
# The root partition: stock Debian Linux (signed EFI-stub vmlinuz), a busybox
# initramfs, raum.ko and raumctl. Included by the top Makefile (BUILD, CC, Q,
# PYTHON come from there). See tools/linux/ and docs in the scripts.
#
#   make root          kernel + headers (downloaded once), raum.ko, raumctl, cpuidcheck, dmatest, both initramfs
#   make esp-linux     $(BUILD)/esp-linux: build/esp + Linux (shell initramfs) as the root OS
#   make run-linux     boot it under QEMU, console on this terminal (Ctrl-A X quits)
#   make test-root     boot $(BUILD)/esp-linux-test (test initramfs), check the RAUM-ROOT: lines

BUILD ?= build
ROOT := $(BUILD)/root
ROOT_KERNEL := $(ROOT)/kernel
ESP_LINUX := $(BUILD)/esp-linux
ESP_LINUX_TEST := $(BUILD)/esp-linux-test
ROOT_QEMU_CPU ?= EPYC
# Kernel command line: serial console, no mitigations (faster under TCG),
# and on a panic reboot at once (QEMU runs with -no-reboot: it exits).
ROOT_CMDLINE ?= console=ttyS0,115200 panic=-1 mitigations=off
ROOT_ABI_HDRS := $(wildcard include/hv/abi/*.h)
# The kernel's own build must not see our make's command line (CC=clang, V=...):
# it builds with the compiler the kernel was built with (gcc-12).
ROOT_KMAKE := env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES make

.PHONY: root esp-linux esp-linux-test run-linux test-root $(ESP_LINUX)/ $(ESP_LINUX_TEST)/

root: $(ROOT)/stamp $(ROOT)/raum.ko $(ROOT)/raumctl $(ROOT)/raumd $(ROOT)/cpuidcheck $(ROOT)/initrd-test.img $(ROOT)/initrd-shell.img

# Kernel and headers: downloaded with apt-get download, extracted, nothing installed.
$(ROOT)/stamp: tools/linux/fetch-kernel.sh
	@mkdir -p $(ROOT)
	@echo "  FETCH   Debian 12 kernel -> $(ROOT_KERNEL)"
	$(Q)bash tools/linux/fetch-kernel.sh $(ROOT_KERNEL)
	$(Q)cp $(ROOT_KERNEL)/abi $@

# raum.ko, built from a copy under $(BUILD) so the source folder stays clean.
$(ROOT)/raum.ko: $(ROOT)/stamp tools/module/raum.c tools/module/Kbuild $(ROOT_ABI_HDRS)
	@mkdir -p $(ROOT)/module
	@echo "  KMOD    $@ ($$(cat $(ROOT)/stamp))"
	$(Q)cp tools/module/raum.c tools/module/Kbuild $(ROOT)/module/
	$(Q)$(ROOT_KMAKE) -s -C $(ROOT_KERNEL)/headers M=$(abspath $(ROOT)/module) \
		RAUM_INCLUDE=$(abspath include) modules 2>&1 | { grep -v 'Skipping BTF generation' || true; }
	$(Q)test -f $(ROOT)/module/raum.ko
	$(Q)strip --strip-debug -o $@ $(ROOT)/module/raum.ko

# raumctl --json: json-c, linked statically (Debian's libjson-c-dev ships libjson-c.a; tools/setup.sh)
RAUMCTL_LIBS := -ljson-c
RAUMCTL_SRCS := tools/raumctl/raumctl.c tools/raumctl/run.c tools/raumctl/image.c tools/raumctl/mmio.c \
	tools/raumctl/vmcmds.c
$(ROOT)/raumctl: $(RAUMCTL_SRCS) tools/raumctl/run.h tools/raumctl/image.h tools/raumctl/mmio.h \
		tools/raumctl/vmcmds.h $(ROOT_ABI_HDRS)
	@mkdir -p $(ROOT)
	@echo "  CC      $@ (static)"
	$(Q)$(CC) -static -O2 -Wall -Wextra -Werror -Iinclude -o $@ $(RAUMCTL_SRCS) $(RAUMCTL_LIBS)

# raumd, the VM management service (docs/raumd.md), and its workers (the same binary, raumd --worker):
# static, json-c. It runs VMs with the raumctl next to it (same folder), else /usr/bin/raumctl.
# Messages are cut to their buffers on purpose: -Wno-format-truncation (gcc's; clang has none).
RAUMD_SRCS := tools/raumd/raumd.c tools/raumd/worker.c tools/raumd/proto.c tools/raumd/util.c \
	tools/raumd/vmconfig.c tools/raumd/vmconfig_json.c
RAUMD_HDRS := tools/raumd/proto.h tools/raumd/util.h tools/raumd/worker.h tools/raumd/vmconfig.h tools/raumctl/run.h
$(ROOT)/raumd: $(RAUMD_SRCS) $(RAUMD_HDRS) $(ROOT_ABI_HDRS)
	@mkdir -p $(ROOT)
	@echo "  CC      $@ (static)"
	$(Q)$(CC) -static -std=gnu11 -O2 -Wall -Wextra -Werror -Wno-unknown-warning-option -Wno-format-truncation -Iinclude -o $@ $(RAUMD_SRCS) -ljson-c

# cpuidcheck: what CPUID shows on one CPU, for the test initramfs' SMP checks (no libraries)
$(ROOT)/cpuidcheck: tools/linux/cpuidcheck.c $(ROOT_ABI_HDRS)
	@mkdir -p $(ROOT)
	@echo "  CC      $@ (static)"
	$(Q)$(CC) -static -O2 -Wall -Wextra -Werror -Iinclude -o $@ $<

# dmatest: a DMA attack on Raum through QEMU's edu device, for the IOMMU checks of the test initramfs
$(ROOT)/dmatest: tools/linux/dmatest.c $(ROOT_ABI_HDRS)
	@mkdir -p $(ROOT)
	@echo "  CC      $@ (static)"
	$(Q)$(CC) -static -O2 -Wall -Wextra -Werror -Iinclude -o $@ $<

# parttest: child partitions from the root through /dev/raum (issue 12), for the test initramfs
$(ROOT)/parttest: tools/linux/parttest.c $(ROOT_ABI_HDRS)
	@mkdir -p $(ROOT)
	@echo "  CC      $@ (static)"
	$(Q)$(CC) -static -O2 -Wall -Wextra -Werror -Iinclude -o $@ $<

# The test guests for raumctl run (tests/guests): freestanding Multiboot v1 ELF32 images, no libraries.
GUESTS := hello triple spin sse hostile canary irq bench
GUESTS64 := hyper64
GUEST_ELFS := $(patsubst %,$(BUILD)/guests/%.elf,$(GUESTS)) $(patsubst %,$(BUILD)/guests/%.bin,$(GUESTS64))
GUEST_CFLAGS := -m32 -march=i686 -O2 -Wall -Wextra -Werror -ffreestanding -fno-pic -fno-pie -fno-stack-protector \
	-fno-asynchronous-unwind-tables -mno-sse -mno-mmx -nostdlib
$(BUILD)/guests/%.elf: tests/guests/%.c tests/guests/start.S tests/guests/guest.h tests/guests/guest.ld
	@mkdir -p $(dir $@)
	@echo "  GUEST   $@"
	$(Q)$(CC) $(GUEST_CFLAGS) -c -o $(@:.elf=.o) $<
	$(Q)$(CC) -m32 -c -o $(@:.elf=-start.o) tests/guests/start.S
	$(Q)ld -m elf_i386 -static -nostdlib --no-warn-rwx-segments -T tests/guests/guest.ld -o $@ $(@:.elf=-start.o) $(@:.elf=.o)
# 64-bit flat guests: linked at 1 MiB, then their bytes alone (raumctl run --flat --mode 64)
GUEST64_CFLAGS := -m64 -O2 -Wall -Wextra -Werror -ffreestanding -fno-pic -fno-pie -fno-stack-protector \
	-fno-asynchronous-unwind-tables -mno-red-zone -mno-sse -mno-mmx -mcmodel=small -nostdlib
$(BUILD)/guests/%.bin: tests/guests/%.c tests/guests/start64.S tests/guests/guest.h tests/guests/flat64.ld
	@mkdir -p $(dir $@)
	@echo "  GUEST   $@"
	$(Q)$(CC) $(GUEST64_CFLAGS) -c -o $(@:.bin=.o) $<
	$(Q)$(CC) -m64 -c -o $(dir $@)start64.o tests/guests/start64.S
	$(Q)ld -m elf_x86_64 -static -nostdlib --no-warn-rwx-segments -T tests/guests/flat64.ld -o $(@:.bin=.elf64) \
		$(dir $@)start64.o $(@:.bin=.o)
	$(Q)objcopy -O binary $(@:.bin=.elf64) $@
guests: $(GUEST_ELFS)
.PHONY: guests

# raumd beside raumctl in /bin (it runs the raumctl in its own folder), its example configs in /etc/raum
RAUMD_EXAMPLES := $(wildcard tools/raumd/examples/*.conf)
ROOT_INITRD_DEPS := tools/linux/mkinitramfs.sh $(ROOT)/raum.ko $(ROOT)/raumctl $(ROOT)/raumd $(RAUMD_EXAMPLES)
$(ROOT)/initrd-test.img: $(ROOT_INITRD_DEPS) tools/linux/init-test.sh $(ROOT)/cpuidcheck $(ROOT)/dmatest \
		$(ROOT)/parttest $(GUEST_ELFS)
	@echo "  INITRD  $@"
	$(Q)bash tools/linux/mkinitramfs.sh $@ $(ROOT)/raum.ko $(ROOT)/raumctl tools/linux/init-test.sh \
		$(ROOT)/cpuidcheck $(ROOT)/dmatest $(ROOT)/parttest $(ROOT)/raumd $(GUEST_ELFS) $(RAUMD_EXAMPLES) >/dev/null
$(ROOT)/initrd-shell.img: $(ROOT_INITRD_DEPS) tools/linux/init-shell.sh $(GUEST_ELFS)
	@echo "  INITRD  $@"
	$(Q)bash tools/linux/mkinitramfs.sh $@ $(ROOT)/raum.ko $(ROOT)/raumctl tools/linux/init-shell.sh \
		$(ROOT)/raumd $(GUEST_ELFS) $(RAUMD_EXAMPLES) >/dev/null

# An ESP: build/esp's loader and hypervisor, Linux as the root OS.
#   $(1): ESP folder, $(2): initramfs
define root_esp
$(1)/EFI/BOOT/BOOTX64.EFI: $(BUILD)/esp/EFI/BOOT/BOOTX64.EFI
	@mkdir -p $$(dir $$@)
	$(Q)cp $$< $$@
$(1)/EFI/raum/raum.bin: $(BUILD)/esp/EFI/raum/raum.bin
	@mkdir -p $$(dir $$@)
	$(Q)cp $$< $$@
$(1)/EFI/linux/vmlinuz.efi: $(ROOT)/stamp
	@mkdir -p $$(dir $$@)
	$(Q)cp $(ROOT_KERNEL)/vmlinuz $$@
$(1)/EFI/linux/initrd.img: $(2)
	@mkdir -p $$(dir $$@)
	$(Q)cp $$< $$@
$(1)/EFI/raum/raum.cfg: boot/raum.cfg tools/root.mk
	@mkdir -p $$(dir $$@)
	$(Q){ grep -v '^# *root' $$<; \
	  printf '%s\n' 'root = \EFI\linux\vmlinuz.efi' \
	    'root_options = initrd=\EFI\linux\initrd.img $(ROOT_CMDLINE)'; } > $$@
$(1)/: $(1)/EFI/BOOT/BOOTX64.EFI $(1)/EFI/raum/raum.bin $(1)/EFI/raum/raum.cfg \
	$(1)/EFI/linux/vmlinuz.efi $(1)/EFI/linux/initrd.img
endef
$(eval $(call root_esp,$(ESP_LINUX),$(ROOT)/initrd-shell.img))
$(eval $(call root_esp,$(ESP_LINUX_TEST),$(ROOT)/initrd-test.img))

esp-linux: $(ESP_LINUX)/
esp-linux-test: $(ESP_LINUX_TEST)/

run-linux: esp-linux
	bash tests/boot/qemu.sh --interactive --cpu $(ROOT_QEMU_CPU) --esp $(ESP_LINUX)

# Boots the test initramfs; passes when /init ran and either the module loaded and
# raumctl answered, or (Raum not virtualizing) the module refused naming the reason.
test-root: esp-linux-test
	@echo "  BOOT    $(ESP_LINUX_TEST) (QEMU TCG, -cpu $(ROOT_QEMU_CPU))"
	$(Q)bash tests/boot/qemu.sh --esp $(ESP_LINUX_TEST) --cpu $(ROOT_QEMU_CPU) \
		--log $(ROOT)/test-root.log --timeout 120 --until 'Kernel panic - not syncing' \
		|| { echo "test-root: FAIL: no power-off in 120 s, see $(ROOT)/test-root.log"; exit 1; }
	$(Q)bash tools/linux/check-root-log.sh $(ROOT)/test-root.log
