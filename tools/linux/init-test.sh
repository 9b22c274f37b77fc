#!/bin/sh
# SPDX-License-Identifier: MIT
# /init of the test initramfs: loads raum.ko, runs raumctl, powers off.
# The boot tests look for the RAUM-ROOT: lines.
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
echo "RAUM-ROOT: /init reached"
echo "RAUM-ROOT: kernel $(uname -r), cmdline: $(cat /proc/cmdline)"
if insmod /lib/raum.ko; then
  echo "RAUM-ROOT: module loaded"
  echo "RAUM-ROOT: raumctl version"
  raumctl version; echo "RAUM-ROOT: raumctl version exit $?"
  # one VP's counters by reason (tools/bench-linux.sh reads this block)
  echo "RAUM-ROOT: raumctl stats 0"
  raumctl stats 0; echo "RAUM-ROOT: raumctl stats exit $?"
  # every root VP, one line each; then the same as JSON, on the line after its marker
  # (tests/boot/cases.sh parses it on the host with python3: busybox has no JSON tool)
  echo "RAUM-ROOT: raumctl stats (every VP)"
  raumctl stats; echo "RAUM-ROOT: raumctl stats all exit $?"
  echo "RAUM-ROOT: raumctl stats --json"
  raumctl stats --json; echo "RAUM-ROOT: raumctl stats --json exit $?"
  # a VP that does not exist: a message and status 1
  echo "RAUM-ROOT: raumctl stats 999"
  raumctl stats 999; echo "RAUM-ROOT: raumctl stats 999 exit $?"
  echo "RAUM-ROOT: raumctl health"
  raumctl health; echo "RAUM-ROOT: raumctl health exit $?"
  # with a second CPU (which runs natively until the SMP work): raum.ko must make
  # the hypercall on the virtualized CPU, never VMMCALL / VMCALL here (#UD, an oops)
  if [ -d /sys/devices/system/cpu/cpu1 ]; then
    echo "RAUM-ROOT: taskset -c 1 raumctl version"
    taskset -c 1 raumctl version; echo "RAUM-ROOT: cpu1 raumctl version exit $?"
    echo "RAUM-ROOT: taskset -c 1 raumctl stats"
    taskset -c 1 raumctl stats; echo "RAUM-ROOT: cpu1 raumctl stats exit $?"
  fi
  # make bench: exits an idle root takes (raum_idle=SECONDS on the command line)
  idle=$(sed -n 's/.*raum_idle=\([0-9]*\).*/\1/p' /proc/cmdline)
  if [ -n "$idle" ]; then
    a=$(raumctl stats 0 | awk '$1 == "total" { print $2 }')
    sleep "$idle"
    b=$(raumctl stats 0 | awk '$1 == "total" { print $2 }')
    echo "RAUM-ROOT: idle exits $a $b in $idle s"
  fi
  echo "RAUM-ROOT: raumctl log"
  raumctl log; echo "RAUM-ROOT: raumctl log exit $?"
else
  echo "RAUM-ROOT: module refused"
fi
echo "RAUM-ROOT: powering off"
sync
poweroff -f
