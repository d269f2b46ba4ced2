package probe

import (
	"bytes"
	"errors"
	"testing"
)

// fuzzSeed is the start of a stored image, as short as its superblocks
// allow: the fuzzing engine slows down badly with large inputs.
func fuzzSeed(img storedImage) []byte {
	n := 8 << 10 // superblocks at 0, 1 KiB and a FAT12 root directory
	switch img.want["TYPE"] {
	case "iso9660":
		n = 0x8000 + 4*2048 // system area and the first volume descriptors
	case "btrfs":
		n = 0x10000 + 4096
	case "crypto_LUKS":
		n = 0x4000 + 4096 // the LUKS2 secondary header
	}
	return img.data[:min(len(img.data), n)]
}

func FuzzProbe(f *testing.F) {
	for _, img := range storedImages(f) {
		f.Add(fuzzSeed(img), img.want["TYPE"] == "LVM2_member")
	}
	f.Add([]byte{}, false)
	f.Add(mbrSector(1, mbrPart{0, 0x83, 1, 10}), false)
	f.Fuzz(func(t *testing.T, data []byte, big bool) {
		// big claims a device larger than the data (past a floppy, so
		// LVM is probed); reads past the data fail short.
		size := int64(len(data))
		if big {
			size += 2 << 20
		}
		d := &countingReader{r: bytes.NewReader(data)}
		id, err := Probe(d, size)
		if d.n > DefaultReadLimit+headSize {
			t.Fatalf("read %d bytes", d.n)
		}
		if err == nil && id.Type == "" && id.PTType == "" {
			t.Fatal("nil error with an empty identity")
		}
	})
}

func FuzzReadPartitions(f *testing.F) {
	for _, img := range storedImages(f) {
		if img.want["PTTYPE"] != "" {
			f.Add(img.data[:min(len(img.data), 20<<10)], uint8(0))
		}
	}
	for _, d := range []*disk{
		gptDiskImage(24<<10, 4, 128, gptPart{10, 20}, gptPart{15, 25}),
		gptDiskImage(24<<10, 8, 128, gptPart{10, 20}),
	} {
		b := make([]byte, d.size)
		d.ReadAt(b, 0)
		f.Add(b, uint8(0))
	}
	ext := make([]byte, 4<<10)
	copy(ext, mbrSector(1, mbrPart{0, 0x05, 2, 100}))
	copy(ext[2*512:], mbrSector(0, mbrPart{0, 0x83, 1, 10}, mbrPart{0, 0x05, 0, 5}))
	f.Add(ext, uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, shift uint8) {
		d := &countingReader{r: bytes.NewReader(data)}
		tab, err := ReadPartitions(d, int64(len(data)), 512<<(shift%4))
		if d.n > DefaultReadLimit+headSize {
			t.Fatalf("read %d bytes", d.n)
		}
		if err != nil {
			return
		}
		for _, p := range tab.Partitions {
			if p.Err == nil && (p.Start < 0 || p.Size < 0 || p.Start+p.Size > int64(len(data))) {
				t.Fatalf("partition %d at %d+%d on a %d-byte disk has no problem set", p.Number, p.Start, p.Size, len(data))
			}
		}
	})
}

type countingReader struct {
	r interface {
		ReadAt([]byte, int64) (int, error)
	}
	n int64
}

func (c *countingReader) ReadAt(p []byte, off int64) (int, error) {
	c.n += int64(len(p))
	return c.r.ReadAt(p, off)
}

func BenchmarkProbe(b *testing.B) {
	imgs := storedImages(b)
	for _, img := range imgs {
		b.Run(img.name, func(b *testing.B) {
			r := bytes.NewReader(img.data)
			for b.Loop() {
				if _, err := Probe(r, int64(len(img.data))); err != nil && !errors.Is(err, ErrAmbivalent) {
					b.Fatal(err)
				}
			}
		})
	}
}
