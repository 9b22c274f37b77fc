# SPDX-License-Identifier: MIT
# Helpers of tools/bench-linux.sh and tools/bench-smp.sh (sourced; they set B, the output folder).

# bench_boot NAME ESP [QEMU ARG...]: boots ESP under QEMU TCG (-cpu EPYC, 1 GiB) until it powers
# off (or 300 s); $B/NAME.log gets each serial line timestamped as it arrives (seconds since
# QEMU started, host wall clock).
bench_boot() {
  local name=$1 esp=$2 vars t0
  shift 2
  vars=$(mktemp /tmp/raum-vars.XXXXXX)
  cp /usr/share/OVMF/OVMF_VARS_4M.fd "$vars"
  t0=$EPOCHREALTIME
  timeout 300 qemu-system-x86_64 -machine q35 -accel tcg -cpu EPYC -m 1G -nic none -display none \
    -no-reboot -drive if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd \
    -drive if=pflash,format=raw,file="$vars" -drive format=raw,file=fat:rw:"$esp" \
    -serial stdio -monitor none "$@" </dev/null 2>/dev/null |
    while IFS= read -r line; do
      printf '%s %s\n' "$(awk -v a="$EPOCHREALTIME" -v b="$t0" 'BEGIN { printf "%.2f", a - b }')" "${line//$'\r'/}"
    done > "$B/$name.log"
  rm -f "$vars"
}

# bench_at NAME TEXT: the host time of the first line of $B/NAME.log holding TEXT
bench_at() { grep -m1 -F "$2" "$B/$1.log" | awk '{print $1}'; }

# bench_stats "v1 v2 ...": "median min max" of the numbers given, or "? ? ?"
bench_stats() {
  [ -n "${1// /}" ] || { echo "? ? ?"; return; }
  printf '%s\n' $1 | sort -g | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "? ? ?"; exit }
    m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "%.3f %.3f %.3f\n", m, v[1], v[NR] }'
}
