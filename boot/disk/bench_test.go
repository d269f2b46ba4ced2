package disk

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/leapboot/leapboot/qemu"
)

// BenchmarkProbeScaling reads 1, 8 and 32 disk images of 4 FAT partitions
// each in one run, and reports the time for 32 disks over the time for one
// (goal ≤ 3×: probing must not grow with the number of disks).
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
	probe := func(n int) time.Duration {
		start := time.Now()
		vols, closers, err := Images(imgs[:n])
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
		return d
	}
	var t1, t8, t32 time.Duration
	for i := 0; i < b.N; i++ {
		t1 += probe(1)
		t8 += probe(8)
		t32 += probe(32)
	}
	n := float64(b.N)
	b.ReportMetric(t1.Seconds()*1e3/n, "ms/1disk")
	b.ReportMetric(t8.Seconds()*1e3/n, "ms/8disks")
	b.ReportMetric(t32.Seconds()*1e3/n, "ms/32disks")
	b.ReportMetric(t32.Seconds()/t1.Seconds(), "32/1")
}
