package probe

import (
	"bytes"
	"hash/crc32"
)

// btrfs: the primary superblock is 4 KiB at 64 KiB, with "_BHRfS_M" at
// offset 0x40. UUID is the filesystem id, UUID_SUB the device's own id.
// A crc32c superblock checksum is verified; other checksum types are
// trusted.

const (
	btrfsSuperOff  = 64 << 10
	btrfsSuperSize = 4096
)

func probeBtrfs(d *dev) (*Identity, error) {
	b, err := d.read(btrfsSuperOff, btrfsSuperSize)
	if b == nil || err != nil {
		return nil, err
	}
	if !bytes.Equal(b[0x40:0x48], []byte("_BHRfS_M")) {
		return nil, nil
	}
	if le.Uint16(b[0xC4:]) == 0 && crc32.Checksum(b[0x20:], castagnoli) != le.Uint32(b[0:]) {
		return nil, nil
	}
	id := &Identity{Label: label(b[0x12B : 0x12B+256])}
	if u := b[0x20:0x30]; !isZero(u) {
		id.UUID = uuidString(u)
	}
	if u := b[0x10B:0x11B]; !isZero(u) {
		id.UUIDSub = uuidString(u)
	}
	if s := le.Uint32(b[0x90:]); s <= 1<<20 {
		id.BlockSize = int(s)
	}
	return id, nil
}
