#!/bin/sh
# Fetches Debian's current amd64 kernel package into DIR (default
# .cache/kernel): DIR/vmlinuz and DIR/lib/modules/VERSION with the storage,
# filesystem, input and console modules, then runs depmod (the package ships
# no modules.dep). Nothing is installed on the host.
set -eu
dir=${1:-.cache/kernel}
layout=2 # bump when the set of extracted modules changes
if [ -f "$dir/vmlinuz" ] && [ "$(cat "$dir/.layout" 2>/dev/null)" = "$layout" ] && ls "$dir"/lib/modules/*/modules.dep >/dev/null 2>&1; then
	exit 0
fi
mkdir -p "$dir/deb"
cd "$dir/deb"
# From Debian's pool directly (Ubuntu and other apt sources have no
# linux-image-amd64): the bookworm Packages index names the current files.
pool() {
	mirror=http://deb.debian.org/debian
	[ -f Packages ] || curl -fsSL "$mirror/dists/bookworm/main/binary-amd64/Packages.xz" | xz -d > Packages
	f=$(awk -v p="$1" '$1=="Package:"{n=$2} $1=="Filename:" && n==p {print $2; exit}' Packages)
	[ -n "$f" ] || { echo "fetch-kernel: $1 is not in Debian's index" >&2; exit 1; }
	curl -fsSL -o "$(basename "$f")" "$mirror/$f"
}
if [ -n "${LEAPBOOT_DEBIAN_POOL:-}" ] || ! grep -qs '^ID=debian' /etc/os-release; then
	pool linux-image-amd64
elif ! apt-get download linux-image-amd64 >/dev/null 2>&1; then
	sudo=""
	[ "$(id -u)" = 0 ] || sudo="sudo"
	$sudo apt-get update -qq
	apt-get download linux-image-amd64
fi
pkg=$(dpkg-deb -f linux-image-amd64_*.deb Depends | sed 's/[ ,|].*//')
ls "$pkg"_*.deb >/dev/null 2>&1 || { [ -f Packages ] && pool "$pkg"; } || apt-get download "$pkg"
ver=${pkg#linux-image-}
cd ..
rm -rf boot lib
dpkg-deb --fsys-tarfile deb/"$pkg"_*.deb | tar -x --wildcards \
	'./boot/vmlinuz-*' \
	"./lib/modules/$ver/modules.*" \
	"./lib/modules/$ver/kernel/drivers/virtio/*" \
	"./lib/modules/$ver/kernel/drivers/block/*" \
	"./lib/modules/$ver/kernel/drivers/nvme/*" \
	"./lib/modules/$ver/kernel/drivers/ata/*" \
	"./lib/modules/$ver/kernel/drivers/scsi/*" \
	"./lib/modules/$ver/kernel/drivers/cdrom/*" \
	"./lib/modules/$ver/kernel/drivers/usb/*" \
	"./lib/modules/$ver/kernel/drivers/hid/*" \
	"./lib/modules/$ver/kernel/drivers/input/*" \
	"./lib/modules/$ver/kernel/drivers/md/*" \
	"./lib/modules/$ver/kernel/drivers/mmc/*" \
	"./lib/modules/$ver/kernel/drivers/char/*" \
	"./lib/modules/$ver/kernel/block/*" \
	"./lib/modules/$ver/kernel/fs/*" \
	"./lib/modules/$ver/kernel/lib/*" \
	"./lib/modules/$ver/kernel/crypto/*" \
	"./lib/modules/$ver/kernel/arch/*"
depmod -b . "$ver"
ln -sf "boot/vmlinuz-$ver" vmlinuz
rm -rf deb
echo "$layout" > .layout
echo "kernel $ver in $(pwd)"
