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

# boot NAME ESP: serial lines timestamped as they arrive (seconds since QEMU started)
boot() {
  local name=$1 esp=$2 vars
  vars=$(mktemp /tmp/raum-vars.XXXXXX)
  cp /usr/share/OVMF/OVMF_VARS_4M.fd "$vars"
  local t0=$EPOCHREALTIME
  timeout 300 qemu-system-x86_64 -machine q35 -accel tcg -cpu EPYC -m 1G -nic none -display none \
    -no-reboot -drive if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd \
    -drive if=pflash,format=raw,file="$vars" -drive format=raw,file=fat:rw:"$esp" \
    -serial stdio -monitor none </dev/null 2>/dev/null |
    while IFS= read -r line; do
      printf '%s %s\n' "$(awk -v a="$EPOCHREALTIME" -v b="$t0" 'BEGIN { printf "%.2f", a - b }')" "${line//$'\r'/}"
    done > "$B/$name.log"
  rm -f "$vars"
}
at() { grep -m1 -F "$2" "$B/$1.log" | awk '{print $1}'; }

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
  boot "native$i" "$B/esp-native"
  if [ "$i" = "$BOOTS" ]; then boot "raum$i" "$B/esp-raum-idle"; else boot "raum$i" "$B/esp-raum"; fi
done

# stats "v1 v2 ...": "median min max" of the numbers given, or "? ? ?"
stats() {
  [ -n "${1// /}" ] || { echo "? ? ?"; return; }
  printf '%s\n' $1 | sort -g | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "? ? ?"; exit }
    m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "%.3f %.3f %.3f\n", m, v[1], v[NR] }'
}

echo "== stock Debian Linux root to /init (QEMU TCG, -cpu EPYC, 1 GiB, one CPU), $BOOTS boots each, interleaved"
printf '%-6s %24s %24s %10s %10s\n' "" "native: Linux, /init (s)" "raum: Linux, /init (s)" "ratio" "kernel"
ratios=""; kratios=""
for i in $(seq 1 "$BOOTS"); do
  n_init=$(at "native$i" 'RAUM-ROOT: /init reached'); r_init=$(at "raum$i" 'RAUM-ROOT: /init reached')
  n_linux=$(at "native$i" 'Linux version'); r_linux=$(at "raum$i" 'Linux version')
  ratio=?; kratio=?
  if [ -n "$n_init" ] && [ -n "$r_init" ] && [ -n "$n_linux" ] && [ -n "$r_linux" ]; then
    ratio=$(awk -v r="$r_init" -v n="$n_init" 'BEGIN { printf "%.3f", r / n }')
    kratio=$(awk -v r="$r_init" -v rl="$r_linux" -v n="$n_init" -v nl="$n_linux" 'BEGIN { printf "%.3f", (r - rl) / (n - nl) }')
    ratios="$ratios $ratio"; kratios="$kratios $kratio"
  fi
  printf '%-6s %24s %24s %10s %10s\n' "pair $i" "${n_linux:-?}, ${n_init:-?}" "${r_linux:-?}, ${r_init:-?}" "$ratio" "$kratio"
done
set -- $(stats "$ratios")
echo "boot time ratio raum/native, power-on to /init: median $1 (min $2, max $3) over $(echo $ratios | wc -w) pairs (target <= 1.25)"
set -- $(stats "$kratios")
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
