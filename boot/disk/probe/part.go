package probe

import (
	"errors"
	"fmt"
	"io"
	"sort"
)

// Table is a partition table.
type Table struct {
	// Type is "gpt" or "dos", as blkid's PTTYPE.
	Type string
	// UUID is PTUUID: the GPT disk GUID (lowercase), or the MBR disk
	// signature as 8 lowercase hex digits ("" when it is zero).
	UUID string
	// SectorSize is the logical sector size the table was read with.
	SectorSize int
	// Partitions are in table order (GPT: entry order; MBR: the four
	// primary slots, then the logical partitions).
	Partitions []Partition
	// Problems are table-wide problems that did not stop the reading,
	// such as a damaged primary GPT header (the backup was used) or a
	// looping chain of logical partitions (the chain was cut).
	Problems []error
}

// Partition is one entry of a partition table.
type Partition struct {
	// Number is the partition number as Linux numbers it: the GPT entry
	// index + 1; MBR slots 1–4, logical partitions from 5.
	Number int
	// Start and Size are in bytes.
	Start, Size int64
	// Type is the lowercase GPT type GUID, or the MBR type as "0xNN".
	Type string
	// PartUUID is the GPT unique partition GUID (lowercase), or for MBR
	// "<disk signature>-<number as 2 hex digits>"; as blkid's PARTUUID.
	PartUUID string
	// Name is the GPT partition name (PARTLABEL); empty for MBR.
	Name string
	// Flags are the GPT attribute bits, or 0x80 for a bootable (active)
	// MBR partition.
	Flags uint64
	// Err is set when the entry is suspect: it runs past the end of the
	// disk, outside the GPT usable area, overlaps another partition, or
	// is empty or reversed. The entry is kept, never dropped.
	Err error
}

// Partition-table errors.
var (
	// ErrNoTable is returned by ReadPartitions when the device has no
	// partition table.
	ErrNoTable = errors.New("probe: no partition table")
	// ErrBadTable is wrapped by the errors for a table that is there but
	// cannot be read (a GPT with no valid header, absurd sizes).
	ErrBadTable = errors.New("probe: damaged partition table")
)

// ReadPartitions reads the GPT or MBR partition table of a device of size
// bytes with the given logical sector size (512 when 0). A protective MBR
// means GPT: its primary header is checked (signature, header and entry
// CRCs) and the backup header at the last sector is used if it is damaged.
// An MBR table is read with its extended partitions' logical partitions.
//
// It returns ErrNoTable if there is no table, and an error wrapping
// ErrBadTable when a table is claimed but cannot be used.
func ReadPartitions(r io.ReaderAt, size int64, sectorSize int, opts ...Option) (Table, error) {
	if sectorSize == 0 {
		sectorSize = 512
	}
	if sectorSize < 512 || sectorSize > 65536 || sectorSize&(sectorSize-1) != 0 {
		return Table{}, fmt.Errorf("probe: sector size %d: not a power of two from 512 to 65536", sectorSize)
	}
	d := newDev(r, size, newOptions(opts))
	defer d.release()
	isFAT, err := isVFAT(d)
	if err != nil {
		return Table{}, err
	}
	t, err := readTable(d, int64(sectorSize), isFAT)
	if err != nil {
		return Table{}, err
	}
	if t == nil {
		return Table{}, ErrNoTable
	}
	return *t, nil
}

// readTable finds and reads the partition table; nil, nil means none. A
// sector that is a valid FAT boot sector is not read as an MBR. For a
// protective MBR whose GPT cannot be used, it returns a "PMBR" table along
// with the error.
func readTable(d *dev, ss int64, isFAT bool) (*Table, error) {
	mbr, err := d.read(0, 512)
	if mbr == nil || err != nil {
		return nil, err
	}
	if mbr[510] != 0x55 || mbr[511] != 0xAA {
		return nil, nil
	}
	var entries [4]mbrEntry
	protective := false
	for i := range entries {
		entries[i] = parseMBREntry(mbr[446+16*i:])
		if entries[i].typ == 0xEE {
			protective = true
		}
	}
	if protective {
		t, err := readGPT(d, ss)
		if err != nil && !errors.Is(err, errRead) {
			// blkid calls a protective MBR without a usable GPT "PMBR".
			return &Table{Type: "PMBR", SectorSize: int(ss)}, err
		}
		return t, err
	}
	if string(mbr[:4]) == "\xC9\xC2\xD4\xC1" {
		return nil, nil // an AIX disk: its first sector only looks like an MBR
	}
	if isFAT {
		return nil, nil
	}
	for _, e := range entries {
		if e.boot != 0 && e.boot != 0x80 {
			return nil, nil // not a partition table (boot code or a filesystem)
		}
	}
	return readMBR(d, ss, mbr, entries)
}

// checkPartitions sets Err on partitions that run past the end of the
// device or overlap another partition. Extended MBR containers are
// allowed to hold their logical partitions.
func checkPartitions(t *Table, size int64, container func(p *Partition) bool) {
	for i := range t.Partitions {
		p := &t.Partitions[i]
		if p.Err == nil && (p.Start > size || p.Size > size-p.Start) {
			p.Err = fmt.Errorf("partition %d: ends at byte %d, past the end of the disk (%d bytes)", p.Number, p.Start+p.Size, size)
		}
	}
	idx := make([]int, 0, len(t.Partitions))
	for i := range t.Partitions {
		if !container(&t.Partitions[i]) && t.Partitions[i].Size > 0 {
			idx = append(idx, i)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool { return t.Partitions[idx[a]].Start < t.Partitions[idx[b]].Start })
	// After sorting by start, a partition overlaps an earlier one exactly
	// when it starts before the furthest end seen so far.
	var maxEnd int64
	maxAt := -1
	for _, i := range idx {
		p := &t.Partitions[i]
		if maxAt >= 0 && p.Start < maxEnd {
			q := &t.Partitions[maxAt]
			if p.Err == nil {
				p.Err = fmt.Errorf("partition %d: overlaps partition %d", p.Number, q.Number)
			}
			if q.Err == nil {
				q.Err = fmt.Errorf("partition %d: overlaps partition %d", q.Number, p.Number)
			}
		}
		if end := p.Start + p.Size; maxAt < 0 || end > maxEnd {
			maxEnd, maxAt = end, i
		}
	}
}
