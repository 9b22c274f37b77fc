# SPDX-License-Identifier: MIT
# Sourced by qemu.sh and bochs.sh: waits on an emulator running in the background.
#
#   watch_emulator PID LOG TIMEOUT UNTIL NOTE NAME
#
# Returns 0 when the regex UNTIL appears in LOG (half a second later, so the
# last lines land) or when the emulator exits by itself (then "NAME exit
# status N" is appended to NOTE), and 124 after TIMEOUT seconds (a hang;
# "NAME: timeout after Ns" goes to NOTE). It never judges by the emulator's
# exit status: Bochs' is meaningless, QEMU's is the test's own exit port.
watch_emulator() {
  local pid=$1 log=$2 timeout=$3 until=$4 note=$5 name=$6 rc
  local deadline=$((SECONDS + timeout))
  while [ $SECONDS -lt "$deadline" ]; do
    if ! kill -0 "$pid" 2>/dev/null; then
      wait "$pid" && rc=0 || rc=$?
      echo "$name exit status $rc" >> "$note"
      return 0
    fi
    if [ -n "$until" ] && grep -Eq "$until" "$log" 2>/dev/null; then
      sleep 0.5
      return 0
    fi
    sleep 0.5
  done
  echo "$name: timeout after ${timeout}s" >> "$note"
  return 124
}
