#!/bin/sh
# Installs what `make run` (no argument) or `make test` (argument "test")
# needs on a Debian or Ubuntu machine, only when something is missing. Uses
# sudo when not root.
set -eu
mode=${1:-run}
need=""
have() { command -v "$1" >/dev/null 2>&1; }
have qemu-system-x86_64 || need="$need qemu-system-x86"
have sgdisk || need="$need gdisk"
have partx || need="$need util-linux"
have mkfs.vfat || need="$need dosfstools"
have mcopy || need="$need mtools"
have mkfs.ext4 || need="$need e2fsprogs"
have depmod || need="$need kmod"
have dpkg-deb || need="$need dpkg"
have cpio || need="$need cpio"
have blkid || need="$need util-linux"
have curl || need="$need curl"
have xz || need="$need xz-utils"
extras=""
if [ "$mode" = test ]; then
	# Real tools the tests compare against or build with: every mkfs blkid
	# is checked on, bootctl and the UKI stub, OVMF, objcopy, xorriso, debugfs.
	extras="xfsprogs btrfs-progs xorriso genisoimage squashfs-tools cryptsetup-bin lvm2 systemd-boot systemd-boot-efi binutils tmux busybox-static ovmf grub-common lz4"
fi
if [ "$mode" = bench ]; then
	# The firmware path the fast reboot is compared with: OVMF and GRUB;
	# xz compresses leapboot's and u-root's images the same way.
	extras="ovmf grub-efi-amd64-bin grub-common xz-utils"
fi
for extra in $extras ${LEAPBOOT_EXTRA_PACKAGES:-}; do
	dpkg -s "$extra" >/dev/null 2>&1 || need="$need $extra"
done
[ -z "$need" ] && exit 0
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
echo "installing:$need"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $need
