package probe

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// GPT: a header at LBA 1 (and a backup at the last LBA) with a CRC32 of
// itself and of the partition entry array it points to. GUIDs are stored
// mixed-endian and printed lowercase; names are UTF-16LE.

const (
	gptMaxEntryBytes = 1 << 20 // the whole entry array, at most (128 × 128 bytes is usual)
	gptEntrySize     = 128
)

type gptHeader struct {
	myLBA, altLBA, firstUsable, lastUsable uint64
	diskGUID                               string
	entriesLBA                             uint64
	numEntries, entrySize, entriesCRC      uint32
}

func readGPT(d *dev, ss int64) (*Table, error) {
	lastLBA := d.size/ss - 1
	if lastLBA < 2 {
		return nil, fmt.Errorf("%w: gpt: disk too small", ErrBadTable)
	}
	t := &Table{Type: "gpt", SectorSize: int(ss)}
	h, entries, errPrimary := readGPTHeader(d, ss, 1, lastLBA)
	if errPrimary != nil {
		if errors.Is(errPrimary, errRead) {
			return nil, errPrimary
		}
		var errBackup error
		h, entries, errBackup = readGPTHeader(d, ss, lastLBA, lastLBA)
		if errBackup != nil {
			if errors.Is(errBackup, errRead) {
				return nil, errBackup
			}
			return nil, fmt.Errorf("%w: gpt: primary header: %v; backup header: %v", ErrBadTable, errPrimary, errBackup)
		}
		t.Problems = append(t.Problems, fmt.Errorf("gpt: primary header: %v; using the backup header", errPrimary))
	}
	t.UUID = h.diskGUID
	for i := uint32(0); i < h.numEntries; i++ {
		e := entries[int(i)*gptEntrySize:][:gptEntrySize]
		if isZero(e[0:16]) {
			continue
		}
		first, last := le.Uint64(e[32:]), le.Uint64(e[40:])
		p := Partition{
			Number:   int(i) + 1,
			Type:     guidString(e[0:16]),
			PartUUID: guidString(e[16:32]),
			Flags:    le.Uint64(e[48:]),
			Name:     utf16Label(e[56:128], binary.LittleEndian),
		}
		maxLBA := uint64(1<<62) / uint64(ss) // keeps Start+Size within int64
		switch {
		case last < first:
			p.Err = fmt.Errorf("partition %d: last LBA %d before first LBA %d", p.Number, last, first)
		case first > maxLBA || last >= maxLBA:
			p.Err = fmt.Errorf("partition %d: LBA %d..%d is beyond any disk", p.Number, first, last)
		case first < h.firstUsable || last > h.lastUsable:
			p.Start, p.Size = int64(first)*ss, int64(last-first+1)*ss
			p.Err = fmt.Errorf("partition %d: LBA %d..%d is outside the usable area %d..%d", p.Number, first, last, h.firstUsable, h.lastUsable)
		default:
			p.Start, p.Size = int64(first)*ss, int64(last-first+1)*ss
		}
		t.Partitions = append(t.Partitions, p)
	}
	checkPartitions(t, d.size, func(*Partition) bool { return false })
	return t, nil
}

// readGPTHeader reads and checks the header at lba and its entry array.
func readGPTHeader(d *dev, ss int64, lba, lastLBA int64) (gptHeader, []byte, error) {
	var h gptHeader
	b, err := d.read(lba*ss, int(ss))
	if err != nil {
		return h, nil, err
	}
	if b == nil {
		return h, nil, fmt.Errorf("header at LBA %d is past the end of the disk", lba)
	}
	if !bytes.Equal(b[0:8], []byte("EFI PART")) {
		return h, nil, fmt.Errorf("no GPT signature at LBA %d", lba)
	}
	hsize := le.Uint32(b[12:])
	if hsize < 92 || int64(hsize) > ss {
		return h, nil, fmt.Errorf("header size %d at LBA %d is invalid", hsize, lba)
	}
	hb := bytes.Clone(b[:hsize])
	clear(hb[16:20])
	if crc32.ChecksumIEEE(hb) != le.Uint32(b[16:]) {
		return h, nil, fmt.Errorf("header CRC mismatch at LBA %d", lba)
	}
	h = gptHeader{
		myLBA:       le.Uint64(b[24:]),
		altLBA:      le.Uint64(b[32:]),
		firstUsable: le.Uint64(b[40:]),
		lastUsable:  le.Uint64(b[48:]),
		diskGUID:    guidString(b[56:72]),
		entriesLBA:  le.Uint64(b[72:]),
		numEntries:  le.Uint32(b[80:]),
		entrySize:   le.Uint32(b[84:]),
		entriesCRC:  le.Uint32(b[88:]),
	}
	switch {
	case h.myLBA != uint64(lba):
		return h, nil, fmt.Errorf("header at LBA %d says it is at LBA %d", lba, h.myLBA)
	case h.firstUsable > h.lastUsable || h.lastUsable > uint64(lastLBA):
		return h, nil, fmt.Errorf("usable area %d..%d is invalid for a disk of %d sectors", h.firstUsable, h.lastUsable, lastLBA+1)
	case h.entrySize != gptEntrySize:
		// The specification allows 128·2ⁿ, but Linux and blkid accept
		// only 128, and a partition the kernel does not see is no use.
		return h, nil, fmt.Errorf("entry size %d is not %d", h.entrySize, gptEntrySize)
	case h.numEntries == 0:
		return h, nil, fmt.Errorf("no partition entries")
	case uint64(h.numEntries)*uint64(h.entrySize) > gptMaxEntryBytes:
		return h, nil, fmt.Errorf("%d entries of %d bytes is more than the %d bytes allowed", h.numEntries, h.entrySize, gptMaxEntryBytes)
	case h.entriesLBA > uint64(lastLBA):
		return h, nil, fmt.Errorf("entry array at LBA %d is past the end of the disk", h.entriesLBA)
	}
	n := int(h.numEntries) * int(h.entrySize)
	entries, err := d.read(int64(h.entriesLBA)*ss, n)
	if err != nil {
		return h, nil, err
	}
	if entries == nil {
		return h, nil, fmt.Errorf("entry array at LBA %d runs past the end of the disk", h.entriesLBA)
	}
	if crc32.ChecksumIEEE(entries) != h.entriesCRC {
		return h, nil, fmt.Errorf("entry array CRC mismatch (header at LBA %d)", lba)
	}
	return h, entries, nil
}
