#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Raum's test runner: host unit tests (cmocka) and raumd's host test
# (tests/raumd/run.sh, RAUM_BUILD/root/raumd, no emulator), then boot tests under QEMU
# and Bochs (tests/boot/cases.sh). Ends with "N passed, N failed, N skipped"
# and exits non-zero when anything failed.
#
#   tests/run.sh [--unit-only | --boot-only] [UNIT_BINARY ...]
#   RAUM_TEST_FILTER=regex   run only the boot cases whose name matches
#   RAUM_SKIP_BOCHS=1        skip the Bochs cases (counted as skipped)
#   RAUM_SKIP_CLANG=1        skip the clang build check
set -uo pipefail
cd "$(dirname "$0")/.."
mode=all
bins=()
for a in "$@"; do
  case "$a" in
    --unit-only) mode=unit ;;
    --boot-only) mode=boot ;;
    *) bins+=("$a") ;;
  esac
done

passed=0 failed=0 skipped=0
failures=()

pass() { passed=$((passed + 1)); printf 'PASS  %s\n' "$1"; }
fail() { failed=$((failed + 1)); failures+=("$1"); printf 'FAIL  %s: %s\n' "$1" "$2"; }
skip() { skipped=$((skipped + 1)); printf 'SKIP  %s: %s\n' "$1" "$2"; }

run_unit() {
  local bin=$1 name out p f
  name=unit/$(basename "$bin")
  out=$(CMOCKA_MESSAGE_OUTPUT=stdout "$bin" 2>&1)
  local rc=$?
  p=$(printf '%s\n' "$out" | grep -c '^\[       OK \]')
  # cmocka names each failed case twice (as it fails and in the summary): count names once
  f=$(printf '%s\n' "$out" | grep '^\[  FAILED  \] [a-z_]' | sort -u | wc -l)
  printf '%s\n' "$out" | grep -E '^\[  (FAILED|ERROR) |^(==|ERROR|.*runtime error)' | head -20
  passed=$((passed + p))
  if [ "$f" -gt 0 ]; then
    failed=$((failed + f))
    failures+=("$name ($f cases)")
  fi
  if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
    fail "$name" "exited with status $rc (crash or sanitizer report)"
    printf '%s\n' "$out" | tail -20
  fi
  printf '%-5s %s: %d cases passed, %d failed\n' "$([ $rc -eq 0 ] && echo ok || echo FAIL)" "$name" "$p" "$f"
}

# tests/raumd/run.sh: each of its "ok    raumd/X" / "FAIL  raumd/X: why" lines counts once
run_raumd() {
  local build=${RAUM_BUILD:-build} line f0=$failed
  if [ ! -x "$build/root/raumd" ] || [ ! -x "$build/root/raumctl" ]; then
    fail raumd/build "no $build/root/raumd or raumctl: make $build/root/raumd $build/root/raumctl"
    return
  fi
  while IFS= read -r line; do
    case "$line" in
      "ok    raumd/"*) passed=$((passed + 1)); printf '%s\n' "$line" ;;
      "FAIL  raumd/"*)
        failed=$((failed + 1)); line=${line#FAIL  }; failures+=("${line%%:*}"); printf 'FAIL  %s\n' "$line" ;;
      "raumd-exit "*)
        # a crash or timeout of the script itself, with no FAIL line of its own, still fails
        if [ "${line#raumd-exit }" != 0 ] && [ "$failed" -eq "$f0" ]; then
          fail raumd/script "tests/raumd/run.sh exited with status ${line#raumd-exit }"
        fi ;;
      *) printf '%s\n' "$line" ;;
    esac
  done < <(timeout 120 bash tests/raumd/run.sh "$build" 2>&1; echo "raumd-exit $?")
}

if [ "$mode" != boot ]; then
  echo "== unit tests"
  for b in "${bins[@]}"; do run_unit "$b"; done
  echo "== raumd (host)"
  run_raumd
fi
if [ "$mode" = all ]; then
  echo "== build checks"
  # the hypervisor and loader must build warning-free with clang too
  if [ "${RAUM_SKIP_CLANG:-0}" = 1 ]; then
    skip build/clang "RAUM_SKIP_CLANG=1"
  elif out=$(make -s BUILD=build/clang CC=clang all 2>&1); then
    pass build/clang
  else
    fail build/clang "make CC=clang failed: $(printf '%s\n' "$out" | grep -m3 -E 'error|undefined')"
  fi
fi
if [ "$mode" != unit ]; then
  echo "== boot tests"
  # shellcheck source=tests/boot/cases.sh
  . tests/boot/cases.sh
  run_boot_cases
fi

if [ ${#failures[@]} -gt 0 ]; then
  echo "failed: ${failures[*]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
