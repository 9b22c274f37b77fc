#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Part of make bench: the stock Debian Linux root booted to /init with and
# without Raum, in the same QEMU, one after the other in this run.
# Prints the boot times, their ratio and the exits the root took; judges nothing.
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

cp -r build/esp-linux-test "$B/esp-raum"
# the root sits idle for IDLE seconds after raumctl stats (tools/linux/init-test.sh)
IDLE=10
sed -i "s/^root_options = .*/& raum_idle=$IDLE/" "$B/esp-raum/EFI/raum/raum.cfg"
cp -r build/esp-linux-test "$B/esp-native"; rm "$B/esp-native/EFI/raum/raum.bin"
boot native "$B/esp-native"
boot raum "$B/esp-raum"

echo "== stock Debian Linux root to /init (QEMU TCG, -cpu EPYC, 1 GiB, one CPU)"
n_init=$(at native 'RAUM-ROOT: /init reached'); r_init=$(at raum 'RAUM-ROOT: /init reached')
n_linux=$(at native 'Linux version'); r_linux=$(at raum 'Linux version')
printf '%-40s %10s %10s\n' "" native raum
printf '%-40s %10s %10s\n' "seconds to 'Linux version'" "${n_linux:-?}" "${r_linux:-?}"
printf '%-40s %10s %10s\n' "seconds to /init" "${n_init:-?}" "${r_init:-?}"
if [ -n "$n_init" ] && [ -n "$r_init" ] && [ -n "$n_linux" ] && [ -n "$r_linux" ]; then
  echo "boot time ratio raum/native, power-on to /init:  $(awk -v r="$r_init" -v n="$n_init" 'BEGIN { printf "%.3f", r / n }') (target <= 1.25)"
  echo "boot time ratio raum/native, kernel to /init:    $(awk -v r="$r_init" -v rl="$r_linux" -v n="$n_init" -v nl="$n_linux" 'BEGIN { printf "%.3f", (r - rl) / (n - nl) }')"
fi
total=$(awk '/VP 0 exits:/{f=1} f && $2=="total"{print $3; exit}' "$B/raum.log")
echo "exits taken by the root, power-on to /init (raumctl stats): ${total:-?} (target < 2000)"
awk '/VP 0 exits:/{f=1; next} f && /^[0-9.]+   /{print "  " $2, $3} f && $2=="total"{exit}' "$B/raum.log"
idle=$(grep -m1 'RAUM-ROOT: idle exits' "$B/raum.log")
if [ -n "$idle" ]; then
  set -- $idle
  echo "exits of the idle root (shell asleep, $IDLE s of guest time): $(( $6 - $5 )), $(awk -v d=$(( $6 - $5 )) -v t="$IDLE" 'BEGIN { printf "%.1f", d / t }') per second"
else
  echo "exits of the idle root: ? (no 'RAUM-ROOT: idle exits' line in $B/raum.log)"
fi
