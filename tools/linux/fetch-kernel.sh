#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Fetches Debian 12's current kernel and its headers into OUTDIR without
# installing anything system-wide (the recipe of the platform notes,
# "Stock Debian Linux as the root partition").
#
#   fetch-kernel.sh OUTDIR
#
# Leaves:
#   OUTDIR/vmlinuz          the unmodified, signed EFI-stub kernel
#   OUTDIR/headers          -> OUTDIR/root/usr/src/linux-headers-<abi> (build a module with
#                              make -C OUTDIR/headers M=$PWD modules)
#   OUTDIR/abi              the kernel ABI, e.g. 6.1.0-56-amd64
#   OUTDIR/stamp            written last; with it present the script does nothing
set -euo pipefail

die() { echo "fetch-kernel: $*" >&2; exit 1; }
[ $# -eq 1 ] || die "usage: $0 OUTDIR"
out=$1
if [ -f "$out/stamp" ] && [ -f "$out/vmlinuz" ] && [ -d "$out/headers/" ]; then
  echo "fetch-kernel: $out already holds $(cat "$out/abi") (remove $out/stamp to fetch again)"
  exit 0
fi
for t in apt-cache apt-get dpkg-deb; do
  command -v "$t" >/dev/null || die "$t not found: this script needs Debian 12's apt and dpkg"
done
mkdir -p "$out"
out=$(cd "$out" && pwd)

# 1. Resolve the ABI the meta package points at (it moves with security uploads).
resolve_abi() {
  apt-cache depends linux-image-amd64 2>/dev/null |
    sed -n 's/^ *Depends: linux-image-\([0-9][^ ]*-amd64\)$/\1/p' | head -n1
}
abi=$(resolve_abi || true)
if [ -z "$abi" ]; then
  echo "fetch-kernel: apt-cache knows no linux-image-amd64: running apt-get update"
  apt-get update -qq || die "apt-get update failed: is the Debian mirror reachable?"
  abi=$(resolve_abi || true)
fi
[ -n "$abi" ] || die "cannot resolve the kernel ABI from 'apt-cache depends linux-image-amd64'"
common=${abi%-amd64}-common                    # 6.1.0-56-common
majmin=$(echo "$abi" | sed -n 's/^\([0-9]*\.[0-9]*\)\..*/\1/p')   # 6.1
[ -n "$majmin" ] || die "cannot parse the kernel version from ABI '$abi'"
pkgs=("linux-image-$abi" "linux-headers-$abi" "linux-headers-$common" "linux-kbuild-$majmin")
echo "fetch-kernel: kernel ABI $abi: ${pkgs[*]}"

# 2. Download the .debs (into OUTDIR/debs; apt-get download writes to the cwd).
mkdir -p "$out/debs"
aptopt=()
[ "$(id -u)" -ne 0 ] || aptopt=(-o APT::Sandbox::User=root)   # no "_apt cannot access" warning
declare -A debs
for p in "${pkgs[@]}"; do
  # the candidate version: a .deb of another version (an older ABI's kbuild) does not count
  ver=$(apt-cache show --no-all-versions "$p" 2>/dev/null | sed -n 's/^Version: //p' | head -n1)
  [ -n "$ver" ] || die "apt-cache knows no package $p: run apt-get update (is Debian 12's security archive in sources.list?)"
  deb=$(ls "$out/debs/${p}_${ver//:/%3a}_"*.deb 2>/dev/null | head -n1 || true)
  if [ -n "$deb" ] && ! dpkg-deb --info "$deb" >/dev/null 2>&1; then
    rm -f "$deb"; deb=    # a truncated download
  fi
  if [ -z "$deb" ]; then
    (cd "$out/debs" && apt-get download -q "${aptopt[@]}" "$p=$ver") ||
      die "cannot download $p $ver: check the network and /etc/apt/sources.list (the package must be in Debian 12's archive)"
    deb=$(ls "$out/debs/${p}_${ver//:/%3a}_"*.deb 2>/dev/null | head -n1 || true)
    [ -n "$deb" ] || die "apt-get download $p=$ver left no .deb in $out/debs"
  fi
  debs[$p]=$deb
done

# 3. Extract into OUTDIR/root, in parallel (nothing installed system-wide). Of the
#    image package only ./boot: its 400 MB of modules are not needed (the initramfs
#    holds only raum.ko; the drivers the root needs under QEMU are built in).
rm -rf "$out/root"
mkdir -p "$out/root"
pids=()
for p in "${pkgs[@]}"; do
  deb=${debs[$p]}
  if [ "$p" = "linux-image-$abi" ]; then
    (dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$out/root" --wildcards './boot/*') &
  else
    dpkg-deb -x "$deb" "$out/root" &
  fi
  pids+=($!)
done
for pid in "${pids[@]}"; do
  wait "$pid" || die "cannot extract the packages in $out/debs (corrupt download? remove $out/debs)"
done

# 4. The headers' Makefile includes the common tree by absolute path: point it at ours.
hdr=$out/root/usr/src/linux-headers-$abi
[ -f "$hdr/Makefile" ] || die "no $hdr/Makefile in linux-headers-$abi"
[ -d "$out/root/usr/src/linux-headers-$common" ] || die "no linux-headers-$common tree extracted"
sed -i "s|^include /usr/src/linux-headers-$common/Makefile|include $out/root/usr/src/linux-headers-$common/Makefile|" \
  "$hdr/Makefile"
grep -q "^include $out/root/usr/src/linux-headers-$common/Makefile" "$hdr/Makefile" ||
  die "could not rewrite the include line of $hdr/Makefile (its format changed?)"
# The kbuild links (scripts, tools) are relative (../../lib/linux-kbuild-X.Y/...):
# they resolve inside OUTDIR/root. Check it.
[ -x "$hdr/scripts/basic/fixdep" ] || [ -d "$hdr/scripts/" ] ||
  die "$hdr/scripts does not resolve: linux-kbuild-$majmin missing?"

# 5. The products.
vm=$out/root/boot/vmlinuz-$abi
[ -f "$vm" ] || die "no $vm in linux-image-$abi"
cp "$vm" "$out/vmlinuz"
ln -sfn "root/usr/src/linux-headers-$abi" "$out/headers"
echo "$abi" > "$out/abi"
date -u +%FT%TZ > "$out/stamp"
echo "fetch-kernel: $out/vmlinuz ($(stat -c %s "$out/vmlinuz") bytes), headers in $out/headers"
