#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Part of make bench: creating and destroying a child partition of 64 MiB from the Linux root
# (raum.ko and Raum: deposits, pinning, MapGpaPages, then unmap, finalize, withdraw, delete), in
# instructions: QEMU -icount shift=0,sleep=off makes the TSC count instructions. The baseline of the
# same run is the root process's own cost to map and touch the same 64 MiB. tools/linux/parttest.c
# bench; median of 5 rounds. Prints figures, judges nothing. Starting a VP comes with the VP calls.
set -uo pipefail
cd "$(dirname "$0")/.."
B=build/bench/part
rm -rf "$B"; mkdir -p "$B"
[ -d build/esp-linux-test ] || { echo "bench-part: build/esp-linux-test missing (make esp-linux-test)"; exit 1; }
. tools/bench-lib.sh
MB=64
cp -r build/esp-linux-test "$B/esp"
sed -i "s/^root_options = .*/& raum_partbench=$MB/" "$B/esp/EFI/raum/raum.cfg"
bench_boot part "$B/esp" -icount shift=0,sleep=off
fig() { grep -m1 "RAUM-BENCH $1 " "$B/part.log" | awk '{print $4}'; }
c=$(fig part_create_${MB}mib); d=$(fig part_destroy_${MB}mib); t=$(fig mmap_touch_${MB}mib)
echo "== a child partition of $MB MiB from the Linux root (QEMU TCG -icount: instructions, median of 5)"
printf '%-44s %14s\n' "create (RAUM_IOC_PART_CREATE)" "${c:-?}" "destroy (RAUM_IOC_PART_DESTROY)" "${d:-?}" \
  "baseline: mmap + touch + munmap of $MB MiB" "${t:-?}"
if [ -n "$c" ] && [ -n "$d" ] && [ -n "$t" ]; then
  awk -v c="$c" -v d="$d" -v t="$t" -v p=$((MB * 256)) 'BEGIN {
    printf "per page of RAM: create %.0f, destroy %.0f, baseline %.0f instructions; (create + destroy) / baseline %.2f\n",
      c / p, d / p, t / p, (c + d) / t }'
else
  echo "bench-part: figures missing: see $B/part.log"
fi
