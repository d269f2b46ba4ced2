package probe

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// Usage values, as blkid prints them.
const (
	UsageFilesystem = "filesystem"
	UsageCrypto     = "crypto"
	UsageRAID       = "raid"
	UsageOther      = "other"
)

// tinySize is the largest device blkid treats as a floppy.
const tinySize = 1440 << 10

// A prober recognizes one kind of content. fn returns nil when the content
// is not there; errors are reserved for failed reads.
type prober struct {
	name  string
	usage string
	// tolerant probers may coexist with another signature (iso9660 with a
	// hybrid image's filesystem) without making the result ambivalent.
	tolerant bool
	fn       func(*dev) (*Identity, error)
}

// probers is in libblkid's order: RAID-like and crypto containers first
// (they end the search: a PV or a LUKS header hides what was there before),
// then filesystems.
var probers = []prober{
	{name: "LVM2_member", usage: UsageRAID, fn: probeLVM2},
	{name: "crypto_LUKS", usage: UsageCrypto, fn: probeLUKS},
	{name: "vfat", usage: UsageFilesystem, fn: probeVFAT},
	{name: "swap", usage: UsageOther, fn: probeSwap},
	{name: "xfs", usage: UsageFilesystem, fn: probeXFS},
	{name: "ext4dev", usage: UsageFilesystem, fn: probeExt4dev},
	{name: "ext4", usage: UsageFilesystem, fn: probeExt4},
	{name: "ext3", usage: UsageFilesystem, fn: probeExt3},
	{name: "ext2", usage: UsageFilesystem, fn: probeExt2},
	{name: "jbd", usage: UsageOther, fn: probeJBD},
	{name: "iso9660", usage: UsageFilesystem, tolerant: true, fn: probeISO9660},
	{name: "squashfs", usage: UsageFilesystem, fn: probeSquashfs},
	{name: "squashfs3", usage: UsageFilesystem, fn: probeSquashfs3},
	{name: "btrfs", usage: UsageFilesystem, fn: probeBtrfs},
}

// Probe identifies what is on the device r of the given size (in bytes),
// as `blkid -p` does: the filesystem, LUKS or LVM2 identity and, for a
// partitioned disk, PTTYPE and PTUUID (read with 512-byte sectors).
//
// It returns ErrUnknown when neither a known signature nor a partition
// table is found, and an error wrapping ErrAmbivalent when two
// filesystems claim the device. A partition table alone gives an Identity
// with an empty Type and a nil error. Read errors are returned wrapped.
func Probe(r io.ReaderAt, size int64, opts ...Option) (Identity, error) {
	d := newDev(r, size, newOptions(opts))
	defer d.release()
	var (
		found      []Identity
		names      []string
		intolerant int
	)
	for _, p := range probers {
		// Like blkid: no superblock on a device of 1 KiB or less, no RAID
		// members on floppy-sized devices, and on those the first match
		// wins without an ambivalence check.
		if d.size <= 1024 {
			break
		}
		if p.usage == UsageRAID && d.size <= tinySize {
			continue
		}
		id, err := p.fn(d)
		if err != nil {
			return Identity{}, fmt.Errorf("probe: %s: %w", p.name, err)
		}
		if id == nil {
			continue
		}
		id.Type = p.name
		id.Usage = p.usage
		found = append(found, *id)
		names = append(names, p.name)
		if p.usage == UsageRAID || p.usage == UsageCrypto || d.size <= tinySize {
			break
		}
		if !p.tolerant {
			intolerant++
		}
	}
	if len(found) > 1 && intolerant > 0 {
		return Identity{}, fmt.Errorf("%w: %s", ErrAmbivalent, strings.Join(names, ", "))
	}
	var id Identity
	if len(found) > 0 {
		id = found[0]
	}
	// A RAID member (an LVM PV) may still carry a stale partition table in
	// its first sector; blkid ignores it, and so do we.
	if id.Usage != UsageRAID {
		isFAT, err := isVFAT(d)
		if err != nil {
			return Identity{}, err
		}
		t, err := readTable(d, 512, isFAT)
		if err != nil && errors.Is(err, errRead) {
			return Identity{}, err
		}
		// A damaged table is reported as blkid does: nothing, or "PMBR"
		// for a protective MBR whose GPT is unusable.
		if t != nil {
			id.PTType, id.PTUUID = t.Type, t.UUID
		}
	}
	if id.Type == "" && id.PTType == "" {
		return Identity{}, ErrUnknown
	}
	return id, nil
}
