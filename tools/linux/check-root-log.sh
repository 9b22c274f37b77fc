#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Checks the serial log of a root-partition test boot (tools/linux/init-test.sh):
#
#   check-root-log.sh LOG
#
# Passes when Linux reached /init and then either
#   - the module loaded and raumctl version / stats / log all succeeded, or
#   - the module refused to load, saying why (Raum not running below Linux),
# the SMP checks (more than one CPU) found nothing wrong, and the machine powered off by itself (qemu.sh writes "qemu exit status" to LOG.qemu).
set -uo pipefail
log=$1
fail() { echo "check-root-log: FAIL: $*" >&2; exit 1; }
[ -f "$log" ] || fail "no log $log"
has() { grep -Eq "$1" "$log"; }
has 'RAUM-ROOT: /init reached' || fail "Linux never reached /init (see $log)"
if has 'RAUM-ROOT: module loaded'; then
  has '^Raum [0-9]+\.[0-9]+\.[0-9]+ \(vendor (AMD-V|Intel VT-x), built ' || fail "raumctl version printed no version"
  for c in version stats log; do
    has "RAUM-ROOT: raumctl $c exit 0" || fail "raumctl $c failed (see $log)"
  done
  result="module loaded, raumctl version/stats/log answered"
elif has 'RAUM-ROOT: module refused'; then
  # Raum runs, but not below every CPU: a Raum failure, not "Raum is not running"
  if has 'raum: CPU [0-9]+ does not run under Raum'; then
    fail "$(grep -Eo 'raum: CPU [0-9]+ does not run under Raum[^(]*' "$log" | head -n1)(see $log)"
  fi
  has 'raum: (no hypervisor|a hypervisor runs but it is not Raum)' ||
    fail "the module refused without naming the reason"
  result="module refused: $(grep -Eo 'raum: (no hypervisor|a hypervisor runs but it is not Raum)[^(]*' "$log" | head -n1)"
else
  fail "no 'module loaded' / 'module refused' line after /init"
fi
if has 'RAUM-ROOT: smp check FAILED'; then
  fail "$(grep -E 'RAUM-ROOT: smp check FAILED' "$log" | head -n1) (see $log)"
fi
has 'RAUM-ROOT: smp checks passed' && result="$result; smp checks passed"
has 'RAUM-ROOT: powering off' || fail "/init did not reach power-off"
grep -q 'qemu exit status' "$log.qemu" 2>/dev/null || fail "QEMU did not exit by itself after poweroff"
echo "check-root-log: PASS: $result; powered off"
