package probe

import (
	"bytes"
	"errors"
	"fmt"
)

// FAT12/16/32. The volume id is the serial number in the boot sector; the
// label blkid prints as LABEL is the volume-label entry of the root
// directory (even when it says "NO NAME"), and the boot-sector copy is
// LABEL_FATBOOT unless it is "NO NAME". For FAT12/16 the root directory
// has a fixed place; for FAT32 it is a cluster chain, which is followed
// for at most fatMaxClusters clusters.

const (
	fat12Max       = 0xFF4
	fat16Max       = 0xFFF4
	fat32Max       = 0x0FFFFFF6
	fatMaxClusters = 99 // blkid's bound on the FAT32 root-directory chain

	fatAttrVolumeID = 0x08
	fatAttrDir      = 0x10
	fatAttrLongName = 0x0F
	fatAttrMask     = 0x3F

	// fatDirChunk is how much of a directory is read at a time.
	fatDirChunk = 4096
)

var fatNoName = []byte("NO NAME    ")

// fatMagics are the boot-sector signatures libblkid accepts, with the
// offset each is at. The short ones (a jump opcode, the 0x55AA trailer)
// need the extra checks in fatValid.
var fatMagics = []struct {
	off   int
	magic string
}{
	{0x52, "MSWIN"},
	{0x52, "FAT32   "},
	{0x36, "MSDOS"},
	{0x36, "FAT16   "},
	{0x36, "FAT12   "},
	{0x36, "FAT     "},
	{0, "\xEB"},
	{0, "\xE9"},
	{0x1FE, "\x55\xAA"},
}

type fatBoot struct {
	b                                 []byte
	sectorSize, reserved              uint32
	clusterSize, fats                 uint32
	fatLength16, fatLength32, fatSize uint32
	clusters                          uint32
}

func isPow2(n uint32) bool { return n != 0 && n&(n-1) == 0 }

// fatValid checks the boot sector b (512 bytes) as blkid does.
func fatValid(b []byte) *fatBoot {
	magicLen := 0
	for _, m := range fatMagics {
		if bytes.HasPrefix(b[m.off:], []byte(m.magic)) {
			magicLen = len(m.magic)
			break
		}
	}
	if magicLen == 0 {
		return nil
	}
	if magicLen <= 2 {
		// No magic string: an old floppy must still end in 0x55AA, and
		// JFS/HPFS put a FAT-like pseudo boot sector in front of them.
		if b[0x1FE] != 0x55 || b[0x1FF] != 0xAA {
			return nil
		}
		if m := string(b[0x36:0x3E]); m == "JFS     " || m == "HPFS    " {
			return nil
		}
	}
	f := &fatBoot{
		b:           b,
		sectorSize:  uint32(le.Uint16(b[0x0B:])),
		clusterSize: uint32(b[0x0D]),
		reserved:    uint32(le.Uint16(b[0x0E:])),
		fats:        uint32(b[0x10]),
		fatLength16: uint32(le.Uint16(b[0x16:])),
		fatLength32: le.Uint32(b[0x24:]),
	}
	media := b[0x15]
	if f.fats == 0 || f.reserved == 0 || !(media >= 0xF8 || media == 0xF0) || !isPow2(f.clusterSize) {
		return nil
	}
	if !isPow2(f.sectorSize) || f.sectorSize < 512 || f.sectorSize > 4096 {
		return nil
	}
	dirEntries := uint32(le.Uint16(b[0x11:]))
	sectors := uint32(le.Uint16(b[0x13:]))
	if sectors == 0 {
		sectors = le.Uint32(b[0x20:])
	}
	fatLength := f.fatLength16
	if fatLength == 0 {
		fatLength = f.fatLength32
	}
	// 32-bit arithmetic that wraps, as in blkid: a nonsense layout gives a
	// huge cluster count and is rejected below.
	f.fatSize = fatLength * f.fats
	dirSize := (dirEntries*32 + f.sectorSize - 1) / f.sectorSize
	f.clusters = (sectors - (f.reserved + f.fatSize + dirSize)) / f.clusterSize
	var maxCount uint32
	switch {
	case f.fatLength16 == 0 && f.fatLength32 != 0:
		maxCount = fat32Max
	case f.clusters > fat12Max:
		maxCount = fat16Max
	default:
		maxCount = fat12Max
	}
	if f.clusters > maxCount {
		return nil
	}
	if isBitLocker(b) {
		return nil
	}
	return f
}

// isBitLocker reports a BitLocker volume, whose boot sector looks like FAT.
func isBitLocker(b []byte) bool {
	return bytes.Equal(b[3:11], []byte("-FVE-FS-")) || bytes.Equal(b[3:11], []byte("MSWIN4.1")) &&
		bytes.Equal(b[0xA0:0xA0+16], []byte{0x3b, 0xd6, 0x67, 0x49, 0x29, 0x2e, 0xd8, 0x4a, 0x83, 0x99, 0xf6, 0xa3, 0x39, 0xe3, 0xd0, 0x01})
}

// isVFAT reports whether the first sector is a valid FAT boot sector; a
// DOS partition table is not read from such a sector.
func isVFAT(d *dev) (bool, error) {
	b, err := d.read(0, 512)
	if b == nil || err != nil {
		return false, err
	}
	return fatValid(b) != nil, nil
}

// fatSearchLabel looks for the volume-label entry among n directory
// entries at off. It stops at the end-of-directory mark.
func fatSearchLabel(d *dev, off int64, n uint32) ([]byte, error) {
	for done := uint32(0); done < n; {
		k := min(n-done, fatDirChunk/32)
		b, err := d.read(off+int64(done)*32, int(k)*32)
		if err != nil {
			return nil, err
		}
		if b == nil {
			return nil, nil
		}
		for i := 0; i < int(k); i++ {
			e := b[i*32 : i*32+32]
			if e[0] == 0 {
				return nil, nil
			}
			attr := e[11]
			if e[0] == 0xE5 || le.Uint16(e[20:]) != 0 || le.Uint16(e[26:]) != 0 || attr&fatAttrMask == fatAttrLongName {
				continue
			}
			if attr&(fatAttrVolumeID|fatAttrDir) == fatAttrVolumeID {
				name := bytes.Clone(e[:11])
				if name[0] == 0x05 {
					name[0] = 0xE5
				}
				return name, nil
			}
		}
		done += k
	}
	return nil, nil
}

func probeVFAT(d *dev) (*Identity, error) {
	b, err := d.read(0, 512)
	if b == nil || err != nil {
		return nil, err
	}
	f := fatValid(b)
	if f == nil {
		return nil, nil
	}
	id := &Identity{BlockSize: int(f.sectorSize)}
	var volLabel, bootLabel, serial []byte
	switch {
	case f.fatLength16 != 0:
		rootStart := int64(f.reserved+f.fatSize) * int64(f.sectorSize)
		rootEntries := uint32(le.Uint16(b[0x11:]))
		volLabel, err = fatSearchLabel(d, rootStart, rootEntries)
		if err != nil && !errors.Is(err, errBudget) {
			return nil, err
		}
		sig := b[0x26]
		if sig == 0x29 {
			bootLabel = b[0x2B : 0x2B+11]
		}
		if sig == 0x28 || sig == 0x29 {
			serial = b[0x27:0x2B]
		}
		id.SecType = "msdos"
		switch {
		case f.clusters < fat12Max:
			id.Version = "FAT12"
		case f.clusters < fat16Max:
			id.Version = "FAT16"
		}
	case f.fatLength32 != 0:
		volLabel, err = fat32RootLabel(d, f)
		if err != nil && !errors.Is(err, errBudget) {
			return nil, err
		}
		id.Version = "FAT32"
		if b[0x42] == 0x29 {
			bootLabel = b[0x47 : 0x47+11]
		}
		serial = b[0x43:0x47]
		if fsinfo := uint32(le.Uint16(b[0x30:])); fsinfo != 0 {
			fi, err := d.read(int64(fsinfo)*int64(f.sectorSize), 512)
			if err != nil {
				return nil, err
			}
			if fi == nil {
				return nil, nil
			}
			s1, s2 := string(fi[0:4]), string(fi[484:488])
			if s1 != "RRaA" && s1 != "RRdA" && s1 != "\x00\x00\x00\x00" {
				return nil, nil
			}
			if s2 != "rrAa" && s2 != "\x00\x00\x00\x00" {
				return nil, nil
			}
		}
	}
	if bootLabel != nil && !bytes.Equal(bootLabel, fatNoName) {
		id.LabelFATBoot = label(bootLabel)
	}
	if volLabel != nil {
		id.Label = label(volLabel)
	}
	if serial != nil && !isZero(serial) {
		id.UUID = fmt.Sprintf("%02X%02X-%02X%02X", serial[3], serial[2], serial[1], serial[0])
	}
	return id, nil
}

// fat32RootLabel follows the FAT32 root directory's cluster chain (at most
// fatMaxClusters clusters) looking for the volume label.
func fat32RootLabel(d *dev, f *fatBoot) ([]byte, error) {
	b := f.b
	clusterBytes := f.clusterSize * f.sectorSize
	dataStart := f.reserved + f.fatSize // in sectors, wrapping as blkid's
	entries := uint32((uint64(f.fatLength32) * uint64(f.sectorSize)) / 4)
	next := le.Uint32(b[0x2C:])
	for loops := 0; next != 0 && next < entries && loops < fatMaxClusters; loops++ {
		sect := dataStart + (next-2)*f.clusterSize
		off := int64(sect) * int64(f.sectorSize)
		// Like blkid, go on to the next cluster even after an
		// end-of-directory mark; each search stops at that mark, so this
		// costs one small read per cluster.
		name, err := fatSearchLabel(d, off, clusterBytes/32)
		if name != nil || err != nil {
			return name, err
		}
		e, err := d.read(int64(f.reserved)*int64(f.sectorSize)+int64(next)*4, 4)
		if e == nil || err != nil {
			return nil, err
		}
		next = le.Uint32(e) & 0x0FFFFFFF
	}
	return nil, nil
}
