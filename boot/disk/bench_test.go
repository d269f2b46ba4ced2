package disk

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/leapboot/leapboot/boot/disk/probe"
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
// The probe and open figures with the images in the page cache (warm) are
// reported too, and a floor, cold and warm: one 4 KiB read at the start of
// each disk and partition, all at once. No prober can read less, so the
// floor's ratio is the best this machine lets the probe's be.
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
	// Where each image's partitions start, for the floor figure.
	starts := map[string][]int64{}
	for _, img := range imgs {
		f, err := os.Open(img)
		if err != nil {
			b.Fatal(err)
		}
		st, _ := f.Stat()
		tbl, err := probe.ReadPartitions(f, st.Size(), 512)
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		starts[img] = []int64{0}
		for _, p := range tbl.Partitions {
			starts[img] = append(starts[img], p.Start)
		}
	}
	// floor reads one 4 KiB block at the start of each disk and partition,
	// all at once: the least any prober must do. Its ratio is what this
	// machine allows the probe's.
	floor := func(n int, cold bool) time.Duration {
		if cold {
			drop()
		}
		start := time.Now()
		var wg sync.WaitGroup
		for _, img := range imgs[:n] {
			wg.Add(1)
			go func() {
				defer wg.Done()
				f, err := os.Open(img)
				if err != nil {
					b.Error(err)
					return
				}
				defer f.Close()
				unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_RANDOM)
				var inner sync.WaitGroup
				for _, off := range starts[img] {
					inner.Add(1)
					go func() {
						defer inner.Done()
						var buf [4096]byte
						if _, err := f.ReadAt(buf[:], off); err != nil {
							b.Error(err)
						}
					}()
				}
				inner.Wait()
			}()
		}
		wg.Wait()
		return time.Since(start)
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
		{name: "floor", cold: true},
		{name: "probe", cold: true, opts: []Option{identifyOnly}},
		{name: "floor-warm"},
		{name: "probe-warm", opts: []Option{identifyOnly}},
		{name: "open", cold: true},
		{name: "open-warm"},
	}
	for round := -1; round < b.N; round++ {
		for _, n := range sizes {
			for _, f := range figures {
				var d time.Duration
				if strings.HasPrefix(f.name, "floor") {
					d = floor(n, f.cold)
				} else {
					d = read(n, f.cold, f.opts...)
				}
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
