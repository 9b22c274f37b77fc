#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the root partition's busybox initramfs (cpio newc, gzip).
#
#   mkinitramfs.sh OUT.cpio.gz MODULE RAUMCTL [INIT-SCRIPT [PROGRAM...]]
#
# Holds: /bin/busybox (busybox-static) and its applet links, /init
# (INIT-SCRIPT, default tools/linux/init-test.sh), the module at
# /lib/raum.ko, /bin/raumctl, each PROGRAM (static) at /bin/<its name>, each
# GUEST.elf / .bin at /guests, each raumd VM config (.conf) at /etc/raum, and
# /dev/console (the kernel opens it before /init runs). The archive is
# written by Python, not cpio(1): device nodes need no root, and owners (0:0)
# and times (0) are fixed, so the same inputs give the same bytes.
set -euo pipefail
die() { echo "mkinitramfs: $*" >&2; exit 1; }
if [ $# -lt 3 ]; then die "usage: $0 OUT.cpio.gz MODULE RAUMCTL [INIT-SCRIPT [PROGRAM... GUEST.elf... VM.conf...]]"; fi
here=$(cd "$(dirname "$0")" && pwd)
out=$1 module=$2 raumctl=$3 init=${4:-$here/init-test.sh}
shift $(( $# < 4 ? $# : 4 ))
programs=("$@")
busybox=${BUSYBOX:-/bin/busybox}
[ -f "$module" ] || die "no module '$module' (build raum.ko first)"
[ -x "$raumctl" ] || die "no raumctl '$raumctl' (build it first)"
[ -f "$init" ] || die "no init script '$init'"
[ -x "$busybox" ] || die "no $busybox: install busybox-static (tools/setup.sh)"
if readelf -l "$raumctl" 2>/dev/null | grep -q INTERP; then
  die "$raumctl is dynamically linked: the initramfs has no libc (build it with -static)"
fi
for p in "${programs[@]}"; do
  case $p in *.elf|*.bin) [ -f "$p" ] || die "no guest image '$p' (build it first)"; continue;; esac
  case $p in *.conf) [ -f "$p" ] || die "no VM config '$p'"; continue;; esac
  [ -x "$p" ] || die "no program '$p' (build it first)"
  if readelf -l "$p" 2>/dev/null | grep -q INTERP; then die "$p is dynamically linked (build it with -static)"; fi
  case $(basename "$p") in busybox|raumctl) die "$p: a program may not replace /bin/$(basename "$p")";; esac
done
if readelf -l "$busybox" 2>/dev/null | grep -q INTERP; then
  die "$busybox is dynamically linked: install busybox-static, or set BUSYBOX=/path/to/static/busybox"
fi
applets=$("$busybox" --list-full) || die "$busybox --list-full failed"

python3 - "$out" "$module" "$raumctl" "$init" "$busybox" "$applets" "${programs[@]}" <<'PY'
import gzip, os, sys
out, module, raumctl, init, busybox, applets = sys.argv[1:7]
programs = sys.argv[7:]
S_IFDIR, S_IFREG, S_IFLNK, S_IFCHR = 0o040000, 0o100000, 0o120000, 0o020000
entries = []          # (name, mode, data, rdev)
def d(name): entries.append((name, S_IFDIR | 0o755, b"", (0, 0)))
def f(name, path, perm): entries.append((name, S_IFREG | perm, open(path, "rb").read(), (0, 0)))
def l(name, target): entries.append((name, S_IFLNK | 0o777, target.encode(), (0, 0)))
def c(name, perm, major, minor): entries.append((name, S_IFCHR | perm, b"", (major, minor)))
for x in ["bin", "sbin", "usr", "usr/bin", "usr/sbin", "lib", "dev", "proc", "sys", "tmp", "root", "etc", "run"]:
    d(x)
c("dev/console", 0o600, 5, 1)
c("dev/null", 0o666, 1, 3)
f("bin/busybox", busybox, 0o755)
seen = {"bin/busybox"}
for a in applets.split():
    a = a.strip("/")
    if a in seen or "/" not in a:
        continue
    seen.add(a)
    l(a, "/bin/busybox")
f("bin/raumctl", raumctl, 0o755)
d("guests")
for p in programs:
    if p.endswith(".elf") or p.endswith(".bin"):  # test guests for raumctl run (tests/guests)
        f("guests/" + os.path.basename(p), p, 0o644)
        continue
    if p.endswith(".conf"):  # raumd's example VM configs (tools/raumd/examples)
        if "etc/raum" not in seen:
            d("etc/raum")
            seen.add("etc/raum")
        f("etc/raum/" + os.path.basename(p), p, 0o644)
        continue
    name = "bin/" + os.path.basename(p)
    if name in seen:      # an applet of that name: the program wins
        entries[:] = [e for e in entries if e[0] != name]
    seen.add(name)
    f(name, p, 0o755)
f("lib/raum.ko", module, 0o644)
f("init", init, 0o755)
def pad(n): return b"\0" * ((4 - n % 4) % 4)
blob = bytearray()
for ino, (name, mode, data, (ma, mi)) in enumerate(entries + [("TRAILER!!!", 0, b"", (0, 0))], 1):
    nb = name.encode() + b"\0"
    fields = [ino if name != "TRAILER!!!" else 0, mode, 0, 0, 2 if mode & S_IFDIR else 1, 0,
              len(data), 0, 0, ma, mi, len(nb), 0]
    hdr = b"070701" + b"".join(b"%08X" % v for v in fields)
    blob += hdr + nb + pad(len(hdr) + len(nb)) + data + pad(len(data))
blob += pad(len(blob))
tmp = out + ".tmp"
with open(tmp, "wb") as fh:
    with gzip.GzipFile(filename="", mode="wb", fileobj=fh, compresslevel=6, mtime=0) as gz:
        gz.write(blob)
os.replace(tmp, out)
print("mkinitramfs: %s: %d entries, %d bytes (%d uncompressed)" % (out, len(entries), os.path.getsize(out), len(blob)))
PY
