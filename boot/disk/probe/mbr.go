package probe

import "fmt"

// MBR ("dos") partition tables: four 16-byte entries at offset 446. An
// extended partition (type 0x05, 0x0f or 0x85) holds a chain of extended
// boot records, each with one logical partition (relative to the record)
// and a link to the next record (relative to the extended partition).
// Linux numbers the logical partitions from 5 in chain order.

const (
	mbrMaxLogical = 256 // logical partitions read at most
	mbrMaxLinks   = 100 // records without a partition followed at most (as Linux)
)

type mbrEntry struct {
	boot, typ   byte
	start, size uint32
}

func parseMBREntry(b []byte) mbrEntry {
	return mbrEntry{boot: b[0], typ: b[4], start: le.Uint32(b[8:]), size: le.Uint32(b[12:])}
}

func isExtended(t byte) bool { return t == 0x05 || t == 0x0F || t == 0x85 }

func readMBR(d *dev, ss int64, mbr []byte, entries [4]mbrEntry) (*Table, error) {
	t := &Table{Type: "dos", SectorSize: int(ss)}
	if sig := le.Uint32(mbr[440:]); sig != 0 {
		t.UUID = fmt.Sprintf("%08x", sig)
	}
	add := func(n int, e mbrEntry, base int64) {
		p := Partition{
			Number: n,
			Start:  (base + int64(e.start)) * ss,
			Size:   int64(e.size) * ss,
			Type:   fmt.Sprintf("0x%02x", e.typ),
			Flags:  uint64(e.boot & 0x80),
		}
		if t.UUID != "" {
			p.PartUUID = fmt.Sprintf("%s-%02x", t.UUID, n)
		}
		t.Partitions = append(t.Partitions, p)
	}
	var extended []mbrEntry
	for i, e := range entries {
		if e.size == 0 {
			continue // Linux and blkid skip only empty slots, whatever their type
		}
		add(i+1, e, 0)
		if isExtended(e.typ) {
			extended = append(extended, e)
		}
	}
	next := 5
	for _, ext := range extended {
		var err error
		next, err = readLogical(d, ss, t, ext, next, add)
		if err != nil {
			return nil, err
		}
	}
	checkPartitions(t, d.size, func(p *Partition) bool {
		return p.Type == "0x05" || p.Type == "0x0f" || p.Type == "0x85"
	})
	return t, nil
}

// readLogical walks the chain of extended boot records of the extended
// partition ext, adding its logical partitions numbered from next. A loop
// or an overlong chain is cut and reported in t.Problems.
func readLogical(d *dev, ss int64, t *Table, ext mbrEntry, next int, add func(int, mbrEntry, int64)) (int, error) {
	extStart, extSize := int64(ext.start), int64(ext.size)
	seen := map[int64]bool{}
	this, thisSize := extStart, extSize
	links := 0
	for {
		if seen[this] {
			t.Problems = append(t.Problems, fmt.Errorf("dos: extended partition chain loops back to sector %d; chain cut", this))
			return next, nil
		}
		seen[this] = true
		if links++; links > mbrMaxLinks {
			t.Problems = append(t.Problems, fmt.Errorf("dos: more than %d extended boot records without a partition; chain cut", mbrMaxLinks))
			return next, nil
		}
		ebr, err := d.read(this*ss, 512)
		if err != nil {
			return next, err
		}
		if ebr == nil {
			t.Problems = append(t.Problems, fmt.Errorf("dos: extended boot record at sector %d is past the end of the disk", this))
			return next, nil
		}
		if ebr[510] != 0x55 || ebr[511] != 0xAA {
			return next, nil // end of chain (an empty extended partition)
		}
		var es [4]mbrEntry
		for i := range es {
			es[i] = parseMBREntry(ebr[446+16*i:])
		}
		for i, e := range es {
			if e.size == 0 || isExtended(e.typ) {
				continue
			}
			// The third and fourth entries often hold garbage: Linux
			// only takes them if they lie inside the extended area.
			if i >= 2 {
				off, sz := int64(e.start), int64(e.size)
				if off+sz > thisSize || this+off < extStart || this+off+sz > extStart+extSize {
					continue
				}
			}
			if next-4 > mbrMaxLogical {
				t.Problems = append(t.Problems, fmt.Errorf("dos: more than %d logical partitions; the rest are ignored", mbrMaxLogical))
				return next, nil
			}
			add(next, e, this)
			if p := &t.Partitions[len(t.Partitions)-1]; p.Start < extStart*ss || p.Start+p.Size > (extStart+extSize)*ss {
				p.Err = fmt.Errorf("partition %d: lies outside its extended partition", next)
			}
			next++
			links = 0
		}
		link := -1
		for i, e := range es {
			if e.size != 0 && isExtended(e.typ) {
				link = i
				break
			}
		}
		if link < 0 {
			return next, nil
		}
		this, thisSize = extStart+int64(es[link].start), int64(es[link].size)
	}
}
