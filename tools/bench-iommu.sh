#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Part of make bench (issue 11): the Linux root booted to /init under Raum without an IOMMU, with QEMU's VT-d
# model and with its AMD-Vi model (Raum's DMA remapping on: every DMA of OVMF loading the kernel and
# initramfs goes through it), interleaved (none, vtd, amdvi, none, ...; BENCH_IOMMU_BOOTS rounds, default
# 2). Prints each ratio remapped / none to /init (the median of the rounds, with min and max) and the
# blocked DMAs Raum counted during each normal boot (raumctl health's dma_faults; target 0). Judges nothing.
set -uo pipefail
cd "$(dirname "$0")/.."
B=build/bench/iommu
rm -rf "$B"; mkdir -p "$B"
[ -d build/esp-linux-test ] || { echo "bench-iommu: build/esp-linux-test missing (make esp-linux-test)"; exit 1; }
. tools/bench-lib.sh

BOOTS=${BENCH_IOMMU_BOOTS:-2}
[[ "$BOOTS" =~ ^[1-9][0-9]*$ ]] || { echo "bench-iommu: BENCH_IOMMU_BOOTS must be a positive number"; exit 1; }
cp -r build/esp-linux-test "$B/esp"
for i in $(seq 1 "$BOOTS"); do
  bench_boot "none$i" "$B/esp"
  bench_boot "vtd$i" "$B/esp" -device intel-iommu
  bench_boot "amdvi$i" "$B/esp" -device amd-iommu
done

echo "== the Linux root to /init under Raum, without and with DMA remapping (QEMU TCG, -cpu EPYC, 1 GiB), $BOOTS rounds"
printf '%-8s %14s %14s %14s %10s %10s\n' "" "none (s)" "VT-d (s)" "AMD-Vi (s)" "VT-d/none" "AMD-Vi/none"
rv=""; ra=""
for i in $(seq 1 "$BOOTS"); do
  n=$(bench_at "none$i" 'RAUM-ROOT: /init reached'); v=$(bench_at "vtd$i" 'RAUM-ROOT: /init reached')
  a=$(bench_at "amdvi$i" 'RAUM-ROOT: /init reached')
  x=?; y=?
  [ -n "$n" ] && [ -n "$v" ] && { x=$(awk -v r="$v" -v n="$n" 'BEGIN { printf "%.3f", r / n }'); rv="$rv $x"; }
  [ -n "$n" ] && [ -n "$a" ] && { y=$(awk -v r="$a" -v n="$n" 'BEGIN { printf "%.3f", r / n }'); ra="$ra $y"; }
  printf '%-8s %14s %14s %14s %10s %10s\n' "round $i" "${n:-?}" "${v:-?}" "${a:-?}" "$x" "$y"
done
set -- $(bench_stats "$rv")
echo "boot time ratio VT-d remapping / none, power-on to /init: median $1 (min $2, max $3)"
set -- $(bench_stats "$ra")
echo "boot time ratio AMD-Vi remapping / none, power-on to /init: median $1 (min $2, max $3)"
for k in vtd amdvi; do
  for i in $(seq 1 "$BOOTS"); do
    on=$(grep -c 'DMA remapping on in' "$B/$k$i.log")
    f=$(awk '$2 == "dma_faults" { print $3; exit }' "$B/$k$i.log")
    echo "$k round $i: remapping lines $on, blocked DMAs during the boot (raumctl health dma_faults): ${f:-?} (target 0)"
  done
done
echo "(QEMU 7.2's AMD-Vi model writes no event log: its fault count is always 0; docs/iommu.md)"
