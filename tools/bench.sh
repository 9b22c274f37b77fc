#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make bench: path lengths of the exit round trip, measured in one run,
# Raum against the same code with no hypervisor (the baseline).
#
# QEMU TCG with -icount shift=0,sleep=off makes the guest TSC count executed
# instructions (host mode included), so RDTSC deltas around a loop of
# exits are deterministic path lengths. Figures are printed, never judged:
# benchmarks are not tests.
set -uo pipefail
cd "$(dirname "$0")/.."
B=build/bench
rm -rf "$B"; mkdir -p "$B"
TARGET_ROUND_TRIP=150

mk() { # mk NAME WITH_IMAGE
  local d=$B/$1/esp
  mkdir -p "$d/EFI/BOOT" "$d/EFI/raum/test"
  cp build/esp/EFI/BOOT/BOOTX64.EFI "$d/EFI/BOOT/"
  [ "$2" = 1 ] && cp build/esp/EFI/raum/raum.bin "$d/EFI/raum/"
  cp build/tests/bench.efi "$d/EFI/raum/test/"
  printf 'root = \\EFI\\raum\\test\\bench.efi\n' > "$d/EFI/raum/raum.cfg"
}

run() { # run NAME -> serial log path
  bash tests/boot/qemu.sh --esp "$B/$1/esp" --cpu EPYC --log "$B/$1/serial.log" --timeout 600 \
    --until 'RAUM-BENCH done|RAUM PANIC' --qemu-arg -icount --qemu-arg shift=0,sleep=off
  tr -d '\r' < "$B/$1/serial.log" | sed 's/\x1b\[[0-9;=?]*[a-zA-Z]//g' > "$B/$1/clean.log"
}

fig() { grep -E "^RAUM-BENCH $2 " "$B/$1/clean.log" | awk '{print $3}' | head -1; }

echo "== exit round trip (instructions per iteration, QEMU TCG -icount, -cpu EPYC)"
mk native 0; mk raum 1
run native; run raum
n_empty=$(fig native empty_loop); n_cpuid=$(fig native cpuid_round_trip)
r_empty=$(fig raum empty_loop); r_cpuid=$(fig raum cpuid_round_trip)
r_hc=$(fig raum null_hypercall_round_trip)
printf '%-34s %10s %10s\n' "" native raum
printf '%-34s %10s %10s\n' "empty loop iteration" "${n_empty:-?}" "${r_empty:-?}"
printf '%-34s %10s %10s\n' "CPUID round trip (loop included)" "${n_cpuid:-?}" "${r_cpuid:-?}"
printf '%-34s %10s %10s\n' "null hypercall round trip" "-" "${r_hc:-?}"
echo "target: at most $TARGET_ROUND_TRIP instructions per round trip, the guest's loop included"
for v in "$r_cpuid" "$r_hc"; do
  [ -n "$v" ] || { echo "bench: a figure is missing: see $B/*/clean.log"; exit 1; }
done
if [ -f tools/bench-linux.sh ]; then
  bash tools/bench-linux.sh
fi
