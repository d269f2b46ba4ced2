// Package disk finds the filesystems leapboot reads boot configuration from
// and hands them out as boot.Volume values, always read-only.
//
// Three sources give volumes:
//   - Scan: the running kernel's block devices (/proc/partitions, with
//     /sys/block saying which are whole disks), each identified from its
//     superblock (boot/disk/probe) and mounted read-only (ext3/ext4 with
//     noload, xfs with norecovery, so no journal is replayed);
//   - Image: a disk image file, partition table and filesystems read in user
//     space through go-diskfs (FAT, ext4, ISO 9660), without root or loop
//     devices; go-diskfs panics on some inputs, so every call into it is
//     guarded and a panic becomes an error on that volume;
//   - Dir: a directory that stands for one volume.
package disk

import (
	"io"
	"log/slog"
	"time"
)

type options struct {
	timeout      time.Duration
	mountTimeout time.Duration
	parallel     int
	mountAt      string
	log          *slog.Logger
	modules      func(names ...string)
	// identifyOnly makes Image stop after the partition table and the
	// superblocks (the benchmark's probe figure).
	identifyOnly bool
}

// Option configures Scan and Image.
type Option func(*options)

// WithTimeout bounds the time spent on one device (probe and mount).
func WithTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// WithMountTimeout bounds one mount (default 10 s). A device that does
// not answer is already left out by the probe's shorter timeout; a mount
// of a healthy filesystem can take seconds on a slow or loaded machine,
// and giving up on it would hide its entries.
func WithMountTimeout(d time.Duration) Option { return func(o *options) { o.mountTimeout = d } }

// WithParallel sets how many devices Scan probes and mounts at once
// (default 8).
func WithParallel(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.parallel = n
		}
	}
}

// WithMountDir sets where Scan mounts volumes (default /run/leapboot/mnt).
func WithMountDir(dir string) Option { return func(o *options) { o.mountAt = dir } }

// WithModuleLoader gives Scan a way to load the kernel modules a
// filesystem type needs (FSModules) before it mounts the first one.
func WithModuleLoader(load func(names ...string)) Option {
	return func(o *options) { o.modules = load }
}

// FSModules names the modules (as modules.alias spells them) the kernel
// needs to mount a filesystem type: its driver, and for FAT the codepage
// and character set it uses by default (a kernel cannot load them itself
// when there is no modprobe, as in leapboot's initramfs).
func FSModules(fstype string) []string {
	switch fstype {
	case "ext2", "ext3", "ext4":
		return []string{"fs-ext4"}
	case "vfat":
		return []string{"fs-vfat", "nls_cp437", "nls_ascii"}
	case "iso9660":
		return []string{"fs-iso9660", "nls_utf8"}
	case "":
		return nil
	}
	return []string{"fs-" + fstype}
}

// WithLogger sets the logger for progress messages.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

func newOptions(opts []Option) options {
	o := options{timeout: 2 * time.Second, mountTimeout: 10 * time.Second, parallel: 8, mountAt: "/run/leapboot/mnt", log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}
