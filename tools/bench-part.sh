#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Part of make bench: creating and destroying a child partition of 64 MiB from the Linux root
# (raum.ko and Raum: deposits, pinning, MapGpaPages, then unmap, finalize, withdraw, delete), in
# instructions: QEMU -icount shift=0,sleep=off makes the TSC count instructions. The baseline of the
# same run is the root process's own cost to map and touch the same 64 MiB. tools/linux/parttest.c
# bench; median of 5 rounds. Starting: a VP created, its registers set and dispatched to its first
# exit (one HLT). Then a child's exits (tests/guests/bench.c through raumctl run): the port-I/O round
# trip (guest OUT -> Raum -> raum.ko -> raumctl -> back) and a child's CPUID, which Raum handles alone,
# against the root's own CPUID in the same run: in instructions (-icount) and, in a second boot
# without -icount, in wall time (the TSC). Prints figures, judges nothing.
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
bench_boot wall "$B/esp"
fig() { grep -m1 "RAUM-BENCH $1 " "$B/${2:-part}.log" | awk '{print $NF}'; }
c=$(fig part_create_${MB}mib); s=$(fig part_start_${MB}mib); d=$(fig part_destroy_${MB}mib); t=$(fig mmap_touch_${MB}mib)
echo "== a child partition of $MB MiB from the Linux root (QEMU TCG -icount: instructions, median of 5)"
printf '%-44s %14s\n' "create (RAUM_IOC_PART_CREATE)" "${c:-?}" "start (VP_CREATE, VP_REGS, VP_RUN to a HLT)" "${s:-?}" \
  "destroy (RAUM_IOC_PART_DESTROY)" "${d:-?}" "baseline: mmap + touch + munmap of $MB MiB" "${t:-?}"
echo "== a child's exits (tests/guests/bench.c, 2000 each; root_cpuid: the root's own CPUID, the baseline)"
printf '%-44s %14s %14s\n' "" "instructions" "TSC (wall)"
for f in vm_pio_roundtrip vm_cpuid root_cpuid; do
  printf '%-44s %14s %14s\n' "$f" "$(fig $f)" "$(fig $f wall)"
done
pi=$(fig vm_pio_roundtrip); ci=$(fig root_cpuid); pw=$(fig vm_pio_roundtrip wall); cw=$(fig root_cpuid wall)
vi=$(fig vm_cpuid); vw=$(fig vm_cpuid wall)
if [ -n "$pi" ] && [ -n "$ci" ] && [ -n "$pw" ] && [ -n "$cw" ] && [ -n "$vi" ] && [ -n "$vw" ]; then
  awk -v pi="$pi" -v ci="$ci" -v pw="$pw" -v cw="$cw" -v vi="$vi" -v vw="$vw" 'BEGIN {
    printf "port-I/O round trip / root CPUID exit: %.1fx in instructions, %.1fx in wall time\n", pi / ci, pw / cw
    printf "child CPUID exit / root CPUID exit: %.2fx in instructions, %.2fx in wall time\n", vi / ci, vw / cw }'
else
  echo "bench-part: exit figures missing: see $B/part.log and $B/wall.log"
fi
if [ -n "$c" ] && [ -n "$d" ] && [ -n "$t" ]; then
  awk -v c="$c" -v d="$d" -v t="$t" -v p=$((MB * 256)) 'BEGIN {
    printf "per page of RAM: create %.0f, destroy %.0f, baseline %.0f instructions; (create + destroy) / baseline %.2f\n",
      c / p, d / p, t / p, (c + d) / t }'
else
  echo "bench-part: figures missing: see $B/part.log"
fi
