package probe

import (
	"bytes"
	"hash/crc32"
)

// XFS: the big-endian superblock at offset 0 ("XFSB"). It is accepted
// only if its geometry is sane, and, for version 5, if its CRC matches.
// BLOCK_SIZE is the sector size, as blkid reports it.

func probeXFS(d *dev) (*Identity, error) {
	b, err := d.read(0, 512)
	if b == nil || err != nil {
		return nil, err
	}
	if !bytes.Equal(b[0:4], []byte("XFSB")) {
		return nil, nil
	}
	blockSize := be.Uint32(b[4:])
	dblocks := be.Uint64(b[8:])
	agblocks := be.Uint32(b[84:])
	agcount := be.Uint32(b[88:])
	version := be.Uint16(b[100:]) & 0x0F
	sectSize := uint32(be.Uint16(b[102:]))
	inodeSize := uint32(be.Uint16(b[104:]))
	inopblock := uint32(be.Uint16(b[106:]))
	blockLog, sectLog, inodeLog, inopbLog := uint(b[120]), uint(b[121]), uint(b[122]), uint(b[123])
	switch {
	case agcount == 0 || agblocks == 0 || dblocks == 0,
		version < 1 || version > 5,
		sectSize < 512 || sectSize > 32768 || !isPow2(sectSize) || sectLog > 15 || sectSize != 1<<sectLog,
		blockSize < 512 || blockSize > 65536 || !isPow2(blockSize) || blockLog > 16 || blockSize != 1<<blockLog,
		inodeSize < 256 || inodeSize > 2048 || !isPow2(inodeSize) || inodeLog > 11 || inodeSize != 1<<inodeLog,
		blockLog < inodeLog || blockLog-inodeLog != inopbLog || inopblock != blockSize/inodeSize:
		return nil, nil
	}
	if version == 5 {
		s, err := d.read(0, int(sectSize))
		if s == nil || err != nil {
			return nil, err
		}
		c := bytes.Clone(s)
		clear(c[224:228])
		if crc32.Checksum(c, castagnoli) != le.Uint32(s[224:]) {
			return nil, nil
		}
	}
	id := &Identity{BlockSize: int(sectSize)}
	if b[108] != 0 {
		id.Label = label(b[108:120])
	}
	if u := b[32:48]; !isZero(u) {
		id.UUID = uuidString(u)
	}
	return id, nil
}
