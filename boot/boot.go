// Package boot holds the plain values that flow through leapboot, from the
// disks to the kexec call: Volume (a readable filesystem), Entry (one bootable
// thing), Menu (the entries in the order a boot loader would show them) and
// Diagnostic (a problem with a file and line). It also merges the menus that
// the per-format parsers (boot/grub, boot/bls, boot/syslinux) produce.
//
// Nothing in this package touches a disk: a Volume's FS is whatever the
// caller put there (a kernel mount, a go-diskfs image reader, a directory,
// or an fstest.MapFS in tests).
package boot

import (
	"fmt"
	"io/fs"
	"time"
)

// Volume is one readable filesystem and where it came from.
type Volume struct {
	// Device is the block device ("/dev/vda2") or, in image mode, the image
	// file name with the partition number ("disk.img:2").
	Device string
	// Disk is the whole disk the volume lives on ("/dev/vda", "disk.img").
	Disk string
	// Partition is the 1-based partition number, 0 for a whole-disk filesystem.
	Partition int
	// FSType, UUID and Label are the filesystem identity as blkid prints it.
	FSType string
	UUID   string
	Label  string
	// PartUUID, PartLabel and PartType describe the partition-table entry:
	// PartType is a lowercase GPT type GUID, or "0xNN" for MBR.
	PartUUID  string
	PartLabel string
	PartType  string
	// Bus is how the disk is attached, when known: "usb", "nvme", "ata",
	// "scsi", "virtio", "mmc" (owners deny "bus:usb", say).
	Bus string
	// FS reads the filesystem. It is nil when the volume could not be read;
	// Err then says why. Err can also be set while FS still reads, for a
	// damaged volume whose good parts are used (a cut-short ext4 image).
	FS  fs.FS
	Err error
	// Mount is where the running kernel has the filesystem mounted (by
	// disk.Scan, or by the system before it), "" in image mode.
	Mount string
	// BtrfsDefault is, on btrfs, the default subvolume's path from the top
	// level ("@/.snapshots/1/snapshot" on openSUSE), "" when the default is
	// the top level. FS shows the top level, where GRUB's paths start
	// unless SUSE's btrfs_relative_path makes them relative to this.
	BtrfsDefault string
}

// GPT partition type GUIDs the parsers care about.
const (
	PartTypeESP      = "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"
	PartTypeXBOOTLDR = "bc13c2ff-59e6-4262-a352-b275fd6f7172"
)

// IsESP reports whether the volume is an EFI system partition.
func (v *Volume) IsESP() bool {
	return v.PartType == PartTypeESP || v.PartType == "0xef"
}

// IsXBOOTLDR reports whether the volume is an extended boot loader partition.
func (v *Volume) IsXBOOTLDR() bool {
	return v.PartType == PartTypeXBOOTLDR || v.PartType == "0xea"
}

// Name is a short human name for the volume: its label, else its UUID,
// else its device.
func (v *Volume) Name() string {
	switch {
	case v == nil:
		return "?"
	case v.Label != "":
		return v.Label
	case v.UUID != "":
		return v.UUID
	}
	return v.Device
}

func (v *Volume) String() string {
	if v == nil {
		return "<no volume>"
	}
	return fmt.Sprintf("%s (%s %s)", v.Device, v.FSType, v.UUID)
}

// File is a file on a volume. Paths are absolute within the volume
// ("/boot/vmlinuz"); a File is only opened when its entry is booted.
type File struct {
	Volume *Volume
	Path   string
}

// IsZero reports whether f names no file.
func (f File) IsZero() bool { return f.Volume == nil && f.Path == "" }

func (f File) String() string {
	if f.Volume == nil {
		return f.Path
	}
	return f.Volume.Name() + ":" + f.Path
}

// Source names the kind of configuration an entry came from.
type Source string

// The sources leapboot reads.
const (
	SourceGRUB     Source = "grub"
	SourceBLS      Source = "bls"
	SourceUKI      Source = "uki"
	SourceSyslinux Source = "syslinux"
)

// Origin is where in a configuration file something was defined.
type Origin struct {
	Volume *Volume
	Path   string
	Line   int
}

func (o Origin) String() string {
	s := o.Path
	if o.Volume != nil {
		s = o.Volume.Name() + ":" + s
	}
	if o.Line > 0 {
		s = fmt.Sprintf("%s:%d", s, o.Line)
	}
	return s
}

// Entry is one bootable thing.
type Entry struct {
	// ID identifies the entry to the owner's config and to `default`.
	ID    string
	Title string
	// Menu is the path of submenu titles ending in Title.
	Menu   []string
	Source Source
	Origin Origin

	Kernel     File
	Initrds    []File
	Devicetree *File
	// UKI, when set, is a unified kernel image: the kernel, initrd and
	// devicetree come from its sections, and Kernel/Initrds are empty
	// (extra Initrds, if any, are appended after the embedded one).
	UKI *File
	// UKIProfile is the UKI profile to boot (0 for a UKI without profiles).
	UKIProfile int
	// Cmdline is exactly what the next kernel will read in /proc/cmdline.
	Cmdline string

	// Version and SortKey are informational (BLS); Err says why the entry
	// cannot boot. A broken entry is shown, never hidden.
	Version string
	Err     error

	// EnvUpdates are the changes GRUB makes to its environment blocks
	// (save_env, the savedefault function, clearing next_entry) when it
	// reads this entry's config and boots the entry, in order. leapboot
	// makes them only when the owner's config allows it (writes.grubenv),
	// after the kernel is loaded; discovery never writes.
	EnvUpdates []EnvUpdate
}

// EnvUpdate is one save_env: variables set or removed in a GRUB
// environment block (grubenv) on a volume.
type EnvUpdate struct {
	Volume *Volume
	Path   string   // clean, absolute on Volume
	Vars   []EnvVar // in the order save_env names them
	Origin Origin   // the save_env line
	// Err says why the file could not be resolved (no such device).
	Err error
}

// EnvVar is one variable save_env writes: its value, or Unset when the
// variable was not set, which removes it from the block.
type EnvVar struct {
	Name, Value string
	Unset       bool
}

// Timeout is how long the menu waits before it boots the default entry.
// Negative means wait for the user.
type Timeout = time.Duration

// WaitForever is the Timeout that waits for the user.
const WaitForever Timeout = -1

// Menu is what one or more boot loaders would show.
type Menu struct {
	Entries []Entry
	// Default is the index in Entries of the default entry, -1 for none.
	Default int
	// Timeout: WaitForever, zero (boot at once) or a duration.
	Timeout Timeout
	// TimeoutSet is false when no config said anything about the timeout.
	TimeoutSet  bool
	Diagnostics []Diagnostic
	// TimeoutStyle is what the countdown shows, as GRUB's timeout_style:
	// "menu", "countdown", "hidden", or "" when the config does not say
	// (the menu).
	TimeoutStyle string
}

// DefaultEntry returns the default entry, or nil.
func (m *Menu) DefaultEntry() *Entry {
	if m.Default < 0 || m.Default >= len(m.Entries) {
		return nil
	}
	return &m.Entries[m.Default]
}

// Diagnostic is a problem found while reading configuration.
type Diagnostic struct {
	Origin  Origin
	Message string
}

func (d Diagnostic) String() string {
	return d.Origin.String() + ": " + d.Message
}

// MaxDiagnostics is how many problems a parser lists by default.
const MaxDiagnostics = 500

// AppendDiagnostic appends d to ds while fewer than limit are there; the
// last one that fits says the rest are dropped instead. Every parser of
// disk content lists its problems through it, so that a hostile file with
// a problem on each of a million lines costs a bounded list.
func AppendDiagnostic(ds []Diagnostic, limit int, d Diagnostic) []Diagnostic {
	switch {
	case len(ds) >= limit:
		return ds
	case len(ds) == limit-1:
		d.Message = "too many diagnostics; the rest are dropped"
	}
	return append(ds, d)
}
