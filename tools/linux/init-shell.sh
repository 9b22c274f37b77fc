#!/bin/sh
# SPDX-License-Identifier: MIT
# /init of the interactive initramfs (make run-linux): loads raum.ko, then a
# busybox shell on the console; leaving the shell powers the machine off.
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
echo "RAUM-ROOT: /init reached"
if insmod /lib/raum.ko; then
  echo "RAUM-ROOT: module loaded: try 'raumctl version', 'raumctl stats', 'raumctl log'"
  # the VM service (docs/raumd.md): its log in /var/log/raum/raumd.log
  mkdir -p /var/log/raum /var/lib/raum/vms /run/raum
  setsid raumd > /var/log/raum/raumd.log 2>&1 < /dev/null &
  echo "RAUM-ROOT: raumd started: try 'raumctl create /etc/raum/hello.conf; raumctl start hello; raumctl list'"
else
  echo "RAUM-ROOT: module refused (dmesg | grep raum says why); raumctl will not work"
fi
echo "RAUM-ROOT: exit the shell to power off"
export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root PS1='raum-root# '
cd /root 2>/dev/null || cd /
setsid cttyhack sh
echo "RAUM-ROOT: powering off"
sync
poweroff -f
