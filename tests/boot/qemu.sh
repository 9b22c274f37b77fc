#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Boots an ESP directory under QEMU (TCG, q35, OVMF).
#
#   qemu.sh --esp DIR [--cpu MODEL] [--interactive] [--gdb]
#           [--log FILE --timeout SECONDS --until REGEX] [--mem SIZE] [--qemu-arg ARG]...
#
# Interactive: console on this terminal (Ctrl-A X quits). Otherwise the
# serial output goes to FILE and the run ends when REGEX appears in it, when
# QEMU exits (isa-debug-exit), or after SECONDS (exit status 124: a hang).
set -euo pipefail
cpu=EPYC esp= interactive=0 gdb=0 log= timeout=60 until= mem=512M
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --cpu) cpu=$2; shift 2 ;;
    --esp) esp=$2; shift 2 ;;
    --interactive) interactive=1; shift ;;
    --gdb) gdb=1; shift ;;
    --log) log=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    --until) until=$2; shift 2 ;;
    --mem) mem=$2; shift 2 ;;
    --qemu-arg) extra+=("$2"); shift 2 ;;
    *) echo "qemu.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[ -d "$esp" ] || { echo "qemu.sh: no ESP directory '$esp' (run make first)" >&2; exit 2; }
code=/usr/share/OVMF/OVMF_CODE_4M.fd
vars=$(mktemp /tmp/raum-vars.XXXXXX)
trap 'rm -f "$vars"' EXIT
cp /usr/share/OVMF/OVMF_VARS_4M.fd "$vars"
args=(-machine q35 -accel tcg -cpu "$cpu" -m "$mem" -nic none -display none -no-reboot
      -device isa-debug-exit,iobase=0xf4,iosize=0x04
      -drive if=pflash,format=raw,readonly=on,file="$code"
      -drive if=pflash,format=raw,file="$vars"
      -drive format=raw,file=fat:rw:"$esp")
[ "$gdb" = 1 ] && args+=(-s -S)
args+=("${extra[@]}")
if [ "$interactive" = 1 ]; then
  exec qemu-system-x86_64 "${args[@]}" -serial mon:stdio
fi
[ -n "$log" ] || { echo "qemu.sh: --log is required outside --interactive" >&2; exit 2; }
: > "$log"
qemu-system-x86_64 "${args[@]}" -serial file:"$log" </dev/null >"$log.qemu" 2>&1 &
pid=$!
# shellcheck source=tests/boot/watch.sh
. "$(dirname "$0")/watch.sh"
watch_emulator $pid "$log" "$timeout" "$until" "$log.qemu" qemu && status=0 || status=$?
kill $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
exit $status
