package disk

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/leapboot/leapboot/qemu"
)

// BenchmarkProbeScaling reads 1, 8 and 32 disk images of 4 FAT partitions
// each in one run, and reports the time for 32 disks over the time for one
// (goal ≤ 3×: probing must not grow with the number of disks).
//
// Two figures, each the median of b.N rounds that take the sizes in turn
// (1, 8, 32, after one discarded round), with the images' pages dropped
// from the page cache before every measurement (posix_fadvise DONTNEED), as
// a boot loader finds its disks cold:
//   - probe: what the issue calls probing, the partition table and every
//     partition's superblocks (type, UUID, label, PARTUUID);
//   - open: all of Images, the probe plus opening each filesystem through
//     go-diskfs (for FAT: reading the whole FAT to cut cluster loops).
//
// The same open figure with the images in the page cache (warm) is
// reported too.
func BenchmarkProbeScaling(b *testing.B) {
	dir := b.TempDir()
	var imgs []string
	for i := 0; i < 32; i++ {
		img := filepath.Join(dir, fmt.Sprintf("disk%02d.img", i))
		var parts []qemu.Part
		for p := 0; p < 4; p++ {
			parts = append(parts, qemu.Part{Name: fmt.Sprint("p", p), Type: "8300", FS: "vfat", SizeMiB: 2})
		}
		if err := qemu.BuildDisk(img, parts); err != nil {
			b.Fatal(err)
		}
		imgs = append(imgs, img)
	}
	drop := func() {
		for _, img := range imgs {
			f, err := os.Open(img)
			if err != nil {
				b.Fatal(err)
			}
			// Written pages must be clean before they can be dropped.
			if err := f.Sync(); err != nil {
				b.Fatal(err)
			}
			if err := unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED); err != nil {
				b.Fatal(err)
			}
			f.Close()
		}
	}
	identifyOnly := func(o *options) { o.identifyOnly = true }
	read := func(n int, cold bool, opts ...Option) time.Duration {
		if cold {
			drop()
		}
		start := time.Now()
		vols, closers, err := Images(imgs[:n], opts...)
		if err != nil {
			b.Fatal(err)
		}
		d := time.Since(start)
		for _, c := range closers {
			c.Close()
		}
		if len(vols) != 4*n {
			b.Fatalf("%d volumes from %d disks", len(vols), n)
		}
		for _, v := range vols {
			if v.FSType != "vfat" || v.Err != nil {
				b.Fatalf("%s: %q, %v", v.Device, v.FSType, v.Err)
			}
		}
		return d
	}
	sizes := []int{1, 8, 32}
	type figure struct {
		name  string
		cold  bool
		opts  []Option
		times map[int][]time.Duration
	}
	figures := []*figure{
		{name: "probe", cold: true, opts: []Option{identifyOnly}},
		{name: "open", cold: true},
		{name: "open-warm"},
	}
	for round := -1; round < b.N; round++ {
		for _, n := range sizes {
			for _, f := range figures {
				d := read(n, f.cold, f.opts...)
				if round < 0 {
					continue // warm-up: the code and the images' metadata
				}
				if f.times == nil {
					f.times = map[int][]time.Duration{}
				}
				f.times[n] = append(f.times[n], d)
			}
		}
	}
	median := func(ds []time.Duration) time.Duration {
		ds = slices.Clone(ds)
		slices.Sort(ds)
		return ds[len(ds)/2]
	}
	for _, f := range figures {
		m := map[int]time.Duration{}
		for _, n := range sizes {
			m[n] = median(f.times[n])
			b.ReportMetric(m[n].Seconds()*1e3, fmt.Sprintf("ms/%s-%d", f.name, n))
		}
		b.ReportMetric(m[32].Seconds()/m[1].Seconds(), f.name+"-32/1")
	}
}
