#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Boots an ESP directory under Bochs (OVMF, one CPU unless --cpus): the twin of qemu.sh.
#
#   bochs.sh --esp DIR [--cpu MODEL] [--interactive] [--mem MB] [--cpuid OPTS]
#            [--cpus N] [--log FILE --timeout SECONDS --until REGEX]
#
# MODEL is a Bochs CPU model, corei7_skylake_x when not given. VMX with EPT:
# corei5_lynnfield_750, arrandale, sandy/ivy bridge, haswell, broadwell,
# corei7_skylake_x, corei3_cnl, icelake, tigerlake; VMX without EPT:
# core2_penryn_t9600, bx_generic; no VMX: the AMD models. bx_generic is Bochs' own
# configurable CPU: as built by Debian it says "AuthenticAMD" but has VMX
# (level 1: no EPT, no VPID, no unrestricted guest) and no SVM. bochs.sh makes
# it say "GenuineIntel", so that it is an Intel CPU with VMX and without EPT;
# --cpuid OPTS replaces that with a bochsrc "cpuid: OPTS" line of your own
# (e.g. --cpuid 'vendor_string="AuthenticAMD"'; only bx_generic heeds it).
# --cpus N (or BOCHS_CPUS=N in the environment) gives the machine N processors
# (bochsrc "cpu: count=N": N sockets of one core; APIC IDs 0..N-1).
#
# The ESP is copied into a FAT16 image without partition table (mtools, no
# root). OVMF writes to COM1, which Bochs writes to FILE; Bochs' own log goes
# to FILE.bochs. The run ends when REGEX appears in FILE, when Bochs exits by
# itself (e.g. "Shutdown" written to port 0x8900), or after SECONDS (exit
# status 124: a hang). Bochs' exit status means nothing (1 on success,
# sometimes 139 at teardown) and is never used.
#
# Interactive: there is no console on stdio (the display is an RFB server on
# TCP 5900 and up, which never waits for a viewer); the serial output is
# shown on this terminal until Bochs exits. Ctrl-C stops it. Without --log,
# the serial output and FILE.bochs live in a temporary folder that goes away.
#
# Runs must be sequential: Bochs takes the first free RFB port, and the disk
# image is locked while a run holds it.
set -euo pipefail
cpu=corei7_skylake_x esp= interactive=0 log= timeout=120 until= mem=512 cpuid=- cpus=${BOCHS_CPUS:-1}
while [ $# -gt 0 ]; do
  case "$1" in
    --cpu) cpu=$2; shift 2 ;;
    --esp) esp=$2; shift 2 ;;
    --interactive) interactive=1; shift ;;
    --log) log=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    --until) until=$2; shift 2 ;;
    --mem) mem=${2%[Mm]}; shift 2 ;;
    --cpuid) cpuid=$2; shift 2 ;;
    --cpus) cpus=$2; shift 2 ;;
    *) echo "bochs.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[ -d "$esp" ] || { echo "bochs.sh: no ESP directory '$esp' (run make first)" >&2; exit 2; }
[ "$interactive" = 1 ] || [ -n "$log" ] ||
  { echo "bochs.sh: --log is required outside --interactive" >&2; exit 2; }
case "$mem" in ''|*[!0-9]*) echo "bochs.sh: --mem takes megabytes, not '$mem'" >&2; exit 2 ;; esac
case "$cpus" in ''|*[!0-9]*|0) echo "bochs.sh: --cpus takes a count, not '$cpus'" >&2; exit 2 ;; esac
case "$timeout" in ''|*[!0-9]*) echo "bochs.sh: --timeout takes seconds, not '$timeout'" >&2; exit 2 ;; esac
for tool in bochs mkfs.fat mmd mcopy; do
  command -v $tool >/dev/null || { echo "bochs.sh: $tool is missing (bash tools/setup.sh)" >&2; exit 2; }
done

code=/usr/share/OVMF/OVMF_CODE.fd        # the 2 MB build; Bochs rejects the 4 MB one
[ -f "$code" ] || { echo "bochs.sh: no $code (apt-get install ovmf)" >&2; exit 2; }
# Bochs refuses to start without a VGA ROM file. OVMF has no CSM and never runs
# it, so any VGA BIOS will do: the Bochs one (package vgabios, only recommended
# by bochsbios), else SeaBIOS' (there with QEMU).
vgarom=
for f in /usr/share/bochs/VGABIOS-lgpl-latest /usr/share/vgabios/vgabios.bin \
         /usr/share/seabios/vgabios-stdvga.bin; do
  [ -f "$f" ] && { vgarom=$f; break; }
done
[ -n "$vgarom" ] || { echo "bochs.sh: no VGA BIOS (apt-get install vgabios)" >&2; exit 2; }

# Work folder: next to FILE, or under /tmp. Everything in it is ours.
if [ -n "$log" ]; then
  mkdir -p "$(dirname "$log")"
  log=$(cd "$(dirname "$log")" && pwd)/$(basename "$log")
  tmp=$(mktemp -d "$(dirname "$log")/.bochs.XXXXXX")
else
  tmp=$(mktemp -d /tmp/raum-bochs.XXXXXX)
  log=$tmp/serial.log
fi
pid=
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  [ -n "$pid" ] && { wait "$pid" 2>/dev/null || true; }
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# FAT16 image, no partition table: 65520 sectors = 65 cylinders x 16 heads x 63.
img=$tmp/esp.img
rm -f "$img.lock"
dd if=/dev/zero of="$img" bs=512 count=65520 status=none
mkfs.fat -F 16 -n RAUM-ESP "$img" >/dev/null
export MTOOLS_SKIP_CHECK=1
( cd "$esp" && find . -mindepth 1 -type d | sort ) | while read -r d; do
  mmd -i "$img" "::/${d#./}"
done
( cd "$esp" && find . -mindepth 1 -type f | sort ) | while read -r f; do
  mcopy -i "$img" -o "$esp/${f#./}" "::/${f#./}"
done

# No environment variables in here: Bochs rejects names with digits.
rc=$tmp/bochsrc
{
  echo "memory: guest=$mem, host=$mem"
  echo "romimage: file=\"$code\""
  echo "vgaromimage: file=\"$vgarom\""
  echo "cpu: model=$cpu, count=$cpus, reset_on_triple_fault=0"
  if [ "$cpuid" = - ] && [ "$cpu" = bx_generic ]; then
    echo 'cpuid: vendor_string="GenuineIntel", brand_string="Bochs generic: VMX without EPT"'
  elif [ "$cpuid" != - ] && [ -n "$cpuid" ]; then
    echo "cpuid: $cpuid"
  fi
  echo "ata0: enabled=1, ioaddr1=0x1f0, ioaddr2=0x3f0, irq=14"
  echo "ata0-master: type=disk, mode=flat, path=\"$img\", cylinders=65, heads=16, spt=63"
  echo "boot: disk"
  echo "com1: enabled=1, mode=file, dev=\"$log\""
  echo "display_library: rfb, options=\"timeout=0\""
  echo "mouse: enabled=0"
  echo "panic: action=fatal"
  echo "error: action=report"
  echo "log: -"
} > "$rc"
printf 'c\n' > "$tmp/cmds"

: > "$log"
: > "$log.bochs"
# Bochs' log and its debugger chatter both go to FILE.bochs (appending, so
# that this script's own notes never overwrite a line).
bochs -q -f "$rc" -rc "$tmp/cmds" </dev/null >>"$log.bochs" 2>&1 &
pid=$!

if [ "$interactive" = 1 ]; then
  echo "bochs.sh: cpu $cpu, serial in $log, Bochs log in $log.bochs (Ctrl-C stops)" >&2
  if [ "$tmp/serial.log" = "$log" ]; then
    echo "bochs.sh: (a temporary folder, removed at the end: --log FILE keeps them)" >&2
  fi
  tail -n +1 -f --pid="$pid" "$log" || true
  wait "$pid" 2>/dev/null || true
  pid=
  exit 0
fi

# shellcheck source=tests/boot/watch.sh
. "$(dirname "$0")/watch.sh"
watch_emulator "$pid" "$log" "$timeout" "$until" "$log.bochs" bochs && status=0 || status=$?
exit $status
