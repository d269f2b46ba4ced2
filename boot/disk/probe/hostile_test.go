package probe

import (
	"bytes"
	"errors"
	"hash/crc32"
	"io"
	"strings"
	"testing"
)

// Hand-built hostile inputs: every one must give a clear error or a
// per-partition problem, with bounded work and no panic.

type mbrPart struct {
	boot, typ   byte
	start, size uint32
}

// mbrSector builds a 512-byte MBR (or EBR) with the given entries.
func mbrSector(sig uint32, parts ...mbrPart) []byte {
	b := make([]byte, 512)
	le.PutUint32(b[440:], sig)
	for i, p := range parts {
		e := b[446+16*i:]
		e[0], e[4] = p.boot, p.typ
		le.PutUint32(e[8:], p.start)
		le.PutUint32(e[12:], p.size)
	}
	b[510], b[511] = 0x55, 0xAA
	return b
}

// disk is a sparse in-memory device: only the written sectors exist.
type disk struct {
	size    int64
	sectors map[int64][]byte
	reads   int64
}

func newDisk(size int64) *disk { return &disk{size: size, sectors: map[int64][]byte{}} }

func (d *disk) put(off int64, b []byte) {
	for i := int64(0); i < int64(len(b)); i += 512 {
		s := make([]byte, 512)
		copy(s, b[i:])
		d.sectors[(off+i)/512] = s
	}
}

func (d *disk) ReadAt(p []byte, off int64) (int, error) {
	d.reads += int64(len(p))
	if off >= d.size {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && off+int64(n) < d.size {
		pos := off + int64(n)
		s := d.sectors[pos/512]
		k := min(int64(len(p)-n), 512-pos%512)
		if s == nil {
			clear(p[n : n+int(k)])
		} else {
			copy(p[n:n+int(k)], s[pos%512:])
		}
		n += int(k)
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

type gptPart struct {
	first, last uint64
}

// gptDiskImage writes a protective MBR, and primary and backup GPT
// headers with numEntries entries of entrySize bytes (only the given
// partitions are filled in), with correct CRCs.
func gptDiskImage(size int64, numEntries, entrySize uint32, parts ...gptPart) *disk {
	d := newDisk(size)
	last := uint64(size/512 - 1)
	d.put(0, mbrSector(0, mbrPart{typ: 0xEE, start: 1, size: uint32(min(last, 0xFFFFFFFF))}))
	// An absurd array is not built: its CRC is left zero.
	var arr []byte
	if n := uint64(numEntries) * uint64(entrySize); n <= 1<<20 {
		arr = make([]byte, n)
	}
	for i, p := range parts {
		if arr == nil {
			break
		}
		e := arr[i*int(entrySize):]
		copy(e[0:16], bytes.Repeat([]byte{0x11}, 16))
		e[16] = byte(i + 1)
		le.PutUint64(e[32:], p.first)
		le.PutUint64(e[40:], p.last)
	}
	es := uint64(32) // sectors of the entry array
	if arr != nil {
		es = max(uint64(len(arr)+511)/512, 1)
	}
	header := func(my, alt, entries uint64) []byte {
		h := make([]byte, 512)
		copy(h, "EFI PART")
		le.PutUint32(h[8:], 0x00010000)
		le.PutUint32(h[12:], 92)
		le.PutUint64(h[24:], my)
		le.PutUint64(h[32:], alt)
		le.PutUint64(h[40:], 2+es)
		le.PutUint64(h[48:], last-1-es)
		copy(h[56:72], bytes.Repeat([]byte{0xAB}, 16))
		le.PutUint64(h[72:], entries)
		le.PutUint32(h[80:], numEntries)
		le.PutUint32(h[84:], entrySize)
		if arr != nil {
			le.PutUint32(h[88:], crc32.ChecksumIEEE(arr))
		}
		le.PutUint32(h[16:], crc32.ChecksumIEEE(h[:92]))
		return h
	}
	d.put(512, header(1, last, 2))
	if arr != nil {
		d.put(2*512, arr)
		d.put(int64(last-es)*512, arr)
	}
	d.put(int64(last)*512, header(last, 1, last-es))
	return d
}

func problems(t Table) string {
	var s []string
	for _, e := range t.Problems {
		s = append(s, e.Error())
	}
	for _, p := range t.Partitions {
		if p.Err != nil {
			s = append(s, p.Err.Error())
		}
	}
	return strings.Join(s, "\n")
}

func TestReadPartitionsHostile(t *testing.T) {
	const mib = 1 << 20
	tests := []struct {
		name    string
		disk    func() *disk
		wantErr error  // error from ReadPartitions, if any
		want    string // substring of the problems, "" for none
		nparts  int
	}{
		{
			name: "mbr overlapping",
			disk: func() *disk {
				d := newDisk(64 * mib)
				d.put(0, mbrSector(1, mbrPart{0, 0x83, 2048, 8192}, mbrPart{0, 0x83, 8000, 100}))
				return d
			},
			want:   "partition 2: overlaps partition 1",
			nparts: 2,
		},
		{
			name: "mbr past the end",
			disk: func() *disk {
				d := newDisk(1 * mib)
				d.put(0, mbrSector(1, mbrPart{0, 0x83, 2048, 0xFFFFFFFF}))
				return d
			},
			want:   "past the end of the disk",
			nparts: 1,
		},
		{
			name:    "mbr bad boot flag is not a table",
			disk:    func() *disk { d := newDisk(1 * mib); d.put(0, mbrSector(1, mbrPart{0x12, 0x83, 1, 10})); return d },
			wantErr: ErrNoTable,
		},
		{
			name:    "no signature",
			disk:    func() *disk { return newDisk(1 * mib) },
			wantErr: ErrNoTable,
		},
		{
			name: "extended loop",
			disk: func() *disk {
				d := newDisk(64 * mib)
				d.put(0, mbrSector(1, mbrPart{0, 0x05, 2048, 100000}))
				// The EBR's link points back at itself.
				d.put(2048*512, mbrSector(0, mbrPart{0, 0x83, 63, 100}, mbrPart{0, 0x05, 0, 1000}))
				return d
			},
			want:   "loops back to sector 2048",
			nparts: 2,
		},
		{
			name: "extended two-record loop",
			disk: func() *disk {
				d := newDisk(64 * mib)
				d.put(0, mbrSector(1, mbrPart{0, 0x0f, 2048, 100000}))
				d.put(2048*512, mbrSector(0, mbrPart{0, 0x83, 63, 100}, mbrPart{0, 0x05, 1000, 1000}))
				d.put(3048*512, mbrSector(0, mbrPart{0, 0x83, 63, 100}, mbrPart{0, 0x05, 0, 1000}))
				return d
			},
			want:   "loops back",
			nparts: 3,
		},
		{
			name: "extended chain of empty records",
			disk: func() *disk {
				d := newDisk(64 * mib)
				d.put(0, mbrSector(1, mbrPart{0, 0x05, 2048, 100000}))
				for i := uint32(0); i < 200; i++ {
					d.put(int64(2048+i)*512, mbrSector(0, mbrPart{}, mbrPart{0, 0x05, i + 1, 1}))
				}
				return d
			},
			want:   "extended boot records without a partition",
			nparts: 1,
		},
		{
			name: "logical partition outside its extended partition",
			disk: func() *disk {
				d := newDisk(64 * mib)
				d.put(0, mbrSector(1, mbrPart{0, 0x05, 2048, 1000}))
				d.put(2048*512, mbrSector(0, mbrPart{0, 0x83, 63, 5000}))
				return d
			},
			want:   "partition 5: lies outside its extended partition",
			nparts: 2,
		},
		{
			name: "extended record past the end",
			disk: func() *disk {
				d := newDisk(2 * mib)
				d.put(0, mbrSector(1, mbrPart{0, 0x05, 0xFFFF0000, 10}))
				return d
			},
			want:   "past the end",
			nparts: 1,
		},
		{
			name:   "gpt fine",
			disk:   func() *disk { return gptDiskImage(8*mib, 128, 128, gptPart{2048, 4095}, gptPart{4096, 8191}) },
			nparts: 2,
		},
		{
			name:    "gpt 256-byte entries (Linux and blkid refuse them)",
			disk:    func() *disk { return gptDiskImage(8*mib, 128, 256, gptPart{2048, 4095}) },
			wantErr: ErrBadTable,
		},
		{
			name:    "gpt no entries",
			disk:    func() *disk { return gptDiskImage(8*mib, 0, 128) },
			wantErr: ErrBadTable,
		},
		{
			name:    "gpt 10^6 entries",
			disk:    func() *disk { return gptDiskImage(64*mib, 1000000, 128, gptPart{2048, 4095}) },
			wantErr: ErrBadTable,
		},
		{
			name:    "gpt huge entry size",
			disk:    func() *disk { return gptDiskImage(64*mib, 1, 0xFFFFFFF8, gptPart{2048, 4095}) },
			wantErr: ErrBadTable,
		},
		{
			name:    "gpt zero entry size",
			disk:    func() *disk { return gptDiskImage(64*mib, 128, 0) },
			wantErr: ErrBadTable,
		},
		{
			name:   "gpt overlap",
			disk:   func() *disk { return gptDiskImage(8*mib, 128, 128, gptPart{2048, 4095}, gptPart{4000, 5000}) },
			want:   "overlaps",
			nparts: 2,
		},
		{
			name:   "gpt reversed",
			disk:   func() *disk { return gptDiskImage(8*mib, 128, 128, gptPart{4095, 2048}) },
			want:   "before first LBA",
			nparts: 1,
		},
		{
			name:   "gpt outside usable area",
			disk:   func() *disk { return gptDiskImage(8*mib, 128, 128, gptPart{2048, 1 << 40}) },
			want:   "outside the usable area",
			nparts: 1,
		},
		{
			name:   "gpt beyond any disk",
			disk:   func() *disk { return gptDiskImage(8*mib, 128, 128, gptPart{1 << 62, 1<<64 - 1}) },
			want:   "beyond any disk",
			nparts: 1,
		},
		{
			name: "gpt primary damaged",
			disk: func() *disk {
				d := gptDiskImage(8*mib, 128, 128, gptPart{2048, 4095})
				d.sectors[1][60] ^= 1
				return d
			},
			want:   "header CRC mismatch at LBA 1; using the backup header",
			nparts: 1,
		},
		{
			name: "gpt both damaged",
			disk: func() *disk {
				d := gptDiskImage(8*mib, 128, 128, gptPart{2048, 4095})
				d.sectors[1][60] ^= 1
				d.sectors[8*mib/512-1][60] ^= 1
				return d
			},
			wantErr: ErrBadTable,
		},
		{
			name: "gpt entries damaged",
			disk: func() *disk {
				d := gptDiskImage(8*mib, 128, 128, gptPart{2048, 4095})
				d.sectors[2][40] ^= 1
				return d
			},
			want:   "entry array CRC mismatch",
			nparts: 1,
		},
		{
			name:    "gpt on a tiny disk",
			disk:    func() *disk { d := newDisk(1024); d.put(0, mbrSector(0, mbrPart{0, 0xEE, 1, 1})); return d },
			wantErr: ErrBadTable,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := tc.disk()
			tab, err := ReadPartitions(d, d.size, 512)
			if d.reads > 2*DefaultReadLimit {
				t.Errorf("read %d bytes", d.reads)
			}
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				t.Logf("error: %v", err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := problems(tab)
			if tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
				t.Errorf("problems:\n%s\nwant %q", got, tc.want)
			}
			if len(tab.Partitions) != tc.nparts {
				t.Errorf("%d partitions, want %d: %+v", len(tab.Partitions), tc.nparts, tab.Partitions)
			}
		})
	}
}

func TestReadPartitionsSectorSize(t *testing.T) {
	d := newDisk(1 << 20)
	if _, err := ReadPartitions(d, d.size, 1000); err == nil {
		t.Error("sector size 1000 accepted")
	}
}

// TestProbeTruncated probes every prefix length of interest of real
// superblocks: a truncated one is unknown, never a panic or a wrong type.
func TestProbeTruncated(t *testing.T) {
	for _, img := range storedImages(t) {
		if img.want[ambivalent] != "" {
			continue // cut to a floppy's size, the first match wins
		}
		full := img.data
		for _, n := range []int{0, 1, 511, 512, 1023, 1024, 1100, 2047, 2048, 4095, 4096, 0x8000, 0x8801, 0x10000, 0x10040, 0x11000 - 1} {
			if n >= len(full) {
				continue
			}
			id, err := Probe(bytes.NewReader(full[:n]), int64(n))
			if err == nil && id.Type != "" && id.Type != img.want["TYPE"] {
				t.Errorf("%s cut at %d: type %q, want %q or nothing", img.name, n, id.Type, img.want["TYPE"])
			}
			// The size says more than the reader has: still no panic.
			_, _ = Probe(bytes.NewReader(full[:n]), int64(len(full)))
		}
	}
}

func TestProbeReadError(t *testing.T) {
	_, err := Probe(failReader{}, 1<<20)
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("err = %v, want the read error", err)
	}
	_, err = ReadPartitions(failReader{}, 1<<20, 512)
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("err = %v, want the read error", err)
	}
}

type failReader struct{}

func (failReader) ReadAt(p []byte, off int64) (int, error) { return 0, errors.New("boom") }

func TestProbeUnknown(t *testing.T) {
	d := newDisk(1 << 20)
	if _, err := Probe(d, d.size); !errors.Is(err, ErrUnknown) {
		t.Errorf("zeros: err = %v", err)
	}
	if _, err := Probe(d, 0); !errors.Is(err, ErrUnknown) {
		t.Errorf("empty: err = %v", err)
	}
}

// TestFAT32ChainLoop: a root directory whose cluster chain loops is read
// a bounded number of times.
func TestFAT32ChainLoop(t *testing.T) {
	for _, img := range storedImages(t) {
		if img.want["VERSION"] != "FAT32" {
			continue
		}
		data := bytes.Clone(img.data)
		reserved := int64(le.Uint16(data[14:]))
		root := int64(le.Uint32(data[0x2C:]))
		// FAT entry of the root cluster points to itself; the label entry is gone.
		le.PutUint32(data[reserved*512+root*4:], uint32(root))
		d := &disk{size: int64(len(data)), sectors: map[int64][]byte{}}
		d.put(0, data)
		id, err := Probe(d, d.size)
		if err != nil || id.Type != "vfat" {
			t.Fatalf("%s: %v %v", img.name, id, err)
		}
		if d.reads > DefaultReadLimit {
			t.Errorf("%s: read %d bytes", img.name, d.reads)
		}
	}
}
