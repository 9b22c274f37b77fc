#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Part of make bench: the stock Debian Linux root booted to /init with and
# without Raum, in the same QEMU, interleaved: native, raum, native, raum, ...
# (BENCH_BOOTS pairs, default 3), so that a busy moment of this shared
# machine slows one boot, not one side. Each pair gives a ratio raum/native;
# the median of the pairs is the figure, printed with its minimum and maximum.
# Also prints the exits the root took; judges nothing.
set -uo pipefail
cd "$(dirname "$0")/.."
B=build/bench/linux
rm -rf "$B"; mkdir -p "$B"
[ -d build/esp-linux-test ] || { echo "bench-linux: build/esp-linux-test missing (make esp-linux-test)"; exit 1; }

. tools/bench-lib.sh

BOOTS=${BENCH_BOOTS:-3}
[[ "$BOOTS" =~ ^[1-9][0-9]*$ ]] || { echo "bench-linux: BENCH_BOOTS must be a positive number"; exit 1; }
cp -r build/esp-linux-test "$B/esp-raum"
cp -r build/esp-linux-test "$B/esp-native"; rm "$B/esp-native/EFI/raum/raum.bin"
# The last Raum boot also measures the idle root: it sits idle for IDLE seconds
# after raumctl stats (tools/linux/init-test.sh), all of it after /init.
IDLE=10
cp -r "$B/esp-raum" "$B/esp-raum-idle"
sed -i "s/^root_options = .*/& raum_idle=$IDLE/" "$B/esp-raum-idle/EFI/raum/raum.cfg"
for i in $(seq 1 "$BOOTS"); do
  bench_boot "native$i" "$B/esp-native"
  if [ "$i" = "$BOOTS" ]; then bench_boot "raum$i" "$B/esp-raum-idle"; else bench_boot "raum$i" "$B/esp-raum"; fi
done

echo "== stock Debian Linux root to /init (QEMU TCG, -cpu EPYC, 1 GiB, one CPU), $BOOTS boots each, interleaved"
printf '%-6s %24s %24s %10s %10s\n' "" "native: Linux, /init (s)" "raum: Linux, /init (s)" "ratio" "kernel"
ratios=""; kratios=""
for i in $(seq 1 "$BOOTS"); do
  n_init=$(bench_at "native$i" 'RAUM-ROOT: /init reached'); r_init=$(bench_at "raum$i" 'RAUM-ROOT: /init reached')
  n_linux=$(bench_at "native$i" 'Linux version'); r_linux=$(bench_at "raum$i" 'Linux version')
  ratio=?; kratio=?
  if [ -n "$n_init" ] && [ -n "$r_init" ] && [ -n "$n_linux" ] && [ -n "$r_linux" ]; then
    ratio=$(awk -v r="$r_init" -v n="$n_init" 'BEGIN { printf "%.3f", r / n }')
    kratio=$(awk -v r="$r_init" -v rl="$r_linux" -v n="$n_init" -v nl="$n_linux" 'BEGIN { printf "%.3f", (r - rl) / (n - nl) }')
    ratios="$ratios $ratio"; kratios="$kratios $kratio"
  fi
  printf '%-6s %24s %24s %10s %10s\n' "pair $i" "${n_linux:-?}, ${n_init:-?}" "${r_linux:-?}, ${r_init:-?}" "$ratio" "$kratio"
done
set -- $(bench_stats "$ratios")
echo "boot time ratio raum/native, power-on to /init: median $1 (min $2, max $3) over $(echo $ratios | wc -w) pairs (target <= 1.25)"
set -- $(bench_stats "$kratios")
echo "boot time ratio raum/native, kernel to /init:   median $1 (min $2, max $3)"
R=$B/raum$BOOTS.log # the idle one
total=$(awk '/VP 0 exits:/{f=1} f && $2=="total"{print $3; exit}' "$R")
echo "exits taken by the root, power-on to /init (raumctl stats): ${total:-?} (target < 2000)"
awk '/VP 0 exits:/{f=1; next} f && /^[0-9.]+   /{print "  " $2, $3} f && $2=="total"{exit}' "$R"
idle=$(grep -m1 'RAUM-ROOT: idle exits' "$R")
if [ -n "$idle" ]; then
  set -- $idle
  echo "exits of the idle root (shell asleep, $IDLE s of guest time): $(( $6 - $5 )), $(awk -v d=$(( $6 - $5 )) -v t="$IDLE" 'BEGIN { printf "%.1f", d / t }') per second"
else
  echo "exits of the idle root: ? (no 'RAUM-ROOT: idle exits' line in $R)"
fi
