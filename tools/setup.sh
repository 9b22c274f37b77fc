#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs every Debian 12 package that building, running and testing Raum needs.
# Called by make when a required tool is missing; safe to run again.
set -euo pipefail
PKGS=(build-essential clang lld binutils gnu-efi mtools dosfstools
      qemu-system-x86 ovmf bochs bochsbios bochs-x busybox-static
      systemd-boot-efi cpio libcmocka-dev gdb python3 kmod xz-utils zstd
      gcc-12 libelf1 libssl3
      libjson-c-dev)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "setup: missing packages: ${missing[*]}; run 'sudo $0' (apt-get needs root)" >&2
  exit 1
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
