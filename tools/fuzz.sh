#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make fuzz: a long campaign of the hostile-root fuzzer (tests/efi/fuzz.c) under
# QEMU EPYC (AMD-V) and Bochs corei7_skylake_x (VT-x), one after the other.
#
#   ITER=N        iterations per emulator (default 1000000)
#   SEED=0xS      the seed (default: a random one, printed; pass it back to replay)
#   VENDOR=amd|intel|both (default both)
#   RULES=0|1     also the architectural-rule values (default: 1 on Intel, 0 on AMD, as in make test)
#   BATCH=N       iterations between Raum's health and log checks (default 1000)
#
# Prints the seed, then per emulator the fuzzer's summary, the RAUM-CHECK DONE line and
# the seconds it took; exits non-zero when a check failed, Raum crashed or the run hung.
set -uo pipefail
cd "$(dirname "$0")/.."
ITER=${ITER:-1000000}
SEED=${SEED:-0x$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')}
VENDOR=${VENDOR:-both}
BATCH=${BATCH:-1000}
B=build/fuzz
rc=0

echo "RAUM-FUZZ campaign: seed $SEED, $ITER iterations per emulator, vendor $VENDOR"
run() { # run NAME EMULATOR CPU RULES TIMEOUT
  local d=$B/$1 t0=$SECONDS log
  rm -rf "$d"; mkdir -p "$d/esp/EFI/BOOT" "$d/esp/EFI/raum/test"
  cp build/esp/EFI/BOOT/BOOTX64.EFI "$d/esp/EFI/BOOT/"
  cp build/esp/EFI/raum/raum.bin "$d/esp/EFI/raum/"
  cp build/tests/fuzz.efi "$d/esp/EFI/raum/test/"
  printf '%s\n' 'root = \EFI\raum\test\fuzz.efi' "root_options = iter=$ITER seed=$SEED batch=$BATCH rules=$4" \
    > "$d/esp/EFI/raum/raum.cfg"
  if [ "$2" = qemu ]; then
    bash tests/boot/qemu.sh --esp "$d/esp" --cpu "$3" --log "$d/serial.raw" --timeout "$5" \
      --until 'RAUM-CHECK DONE|RAUM PANIC|this CPU halts'
  else
    bash tests/boot/bochs.sh --esp "$d/esp" --cpu "$3" --log "$d/serial.raw" --timeout "$5" \
      --until 'RAUM-CHECK DONE|RAUM PANIC|this CPU halts'
  fi
  local erc=$?
  log=$d/serial.log
  sed -e 's/\x1b\[[0-9;=?]*[a-zA-Z]//g' -e 's/\r//g' "$d/serial.raw" > "$log"
  echo "== $1 ($2 $3, rules=$4): $((SECONDS - t0)) s"
  grep -a -E '^RAUM-FUZZ (seed|done)|^RAUM-CHECK (FAIL|DONE)' "$log" | head -20
  if [ $erc -eq 124 ]; then echo "FAIL: hung (no end after $5 s)"; rc=1; fi
  if grep -aEq 'RAUM PANIC|this CPU halts|X64 Exception|RAUM-CHECK FAIL' "$log" ||
     ! grep -aEq 'RAUM-CHECK DONE [0-9]+ passed, 0 failed' "$log"; then
    grep -a -E -A12 'RAUM PANIC|VMRUN refused|VM entry failed|this CPU halts' "$log" | head -30
    echo "FAIL: $1, seed $SEED (log: $log)"; rc=1
  else
    echo "PASS: $1, seed $SEED"
  fi
}
# timeouts: about four times the rates measured on a 2-core machine (QEMU ~17000, Bochs ~3000 iterations/s)
case $VENDOR in amd|both) run qemu-fuzz qemu EPYC "${RULES:-0}" $((120 + ITER / 4000)) ;; esac
case $VENDOR in intel|both) run bochs-fuzz-skylake bochs corei7_skylake_x "${RULES:-1}" $((300 + ITER / 400)) ;; esac
exit $rc
