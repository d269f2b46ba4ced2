package disk

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"github.com/leapboot/leapboot/boot"
	"github.com/leapboot/leapboot/boot/sources"
	"github.com/leapboot/leapboot/qemu"
)

// Hostile disks in image mode (`leapboot list --image`) and hostile trees
// read through Dir (and kernel mounts). Each must end quickly with a
// problem on the volume, without reading outside the volume.
//
// Limits every case is held to: 15 s and 256 MiB allocated. They are
// generous bounds that catch a loop without end, not benchmarks: a case
// takes well under a second on a quiet machine, several on a loaded CI
// machine.
const (
	hostileTime  = 15 * time.Second
	hostileAlloc = 256 << 20
)

// bounded runs fn and fails if it takes longer than hostileTime or
// allocates more than hostileAlloc; a hang fails after 30 s instead of
// blocking the test binary.
func bounded(t *testing.T, what string, fn func()) {
	t.Helper()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("%s: still running after 30 s", what)
	}
	d := time.Since(start)
	runtime.ReadMemStats(&after)
	if d > hostileTime {
		t.Errorf("%s took %v, more than %v", what, d, hostileTime)
	}
	if a := after.TotalAlloc - before.TotalAlloc; a > hostileAlloc {
		t.Errorf("%s allocated %d MiB, more than %d", what, a>>20, hostileAlloc>>20)
	}
}

// TestDirFSStaysInside: symbolic links on a volume read through Dir
// resolve inside it, loops end with ELOOP, and a FIFO is refused without
// waiting for a writer.
func TestDirFSStaysInside(t *testing.T) {
	top := t.TempDir()
	vol := filepath.Join(top, "vol")
	secret := filepath.Join(top, "secret")
	for _, d := range []string{"vol/boot/grub", "vol/loader/entries", "vol/etc"} {
		if err := os.MkdirAll(filepath.Join(top, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, secret, "outside the volume")
	writeFile(t, filepath.Join(vol, "boot/vmlinuz-6.1"), "kernel")
	writeFile(t, filepath.Join(vol, "etc/passwd"), "the volume's own passwd")
	links := map[string]string{
		"boot/vmlinuz":     "vmlinuz-6.1",            // relative, inside
		"boot/abs":         "/boot/vmlinuz-6.1",      // absolute: from the volume's root
		"vmlinuz":          "boot/vmlinuz",           // a chain
		"boot/up":          "../../../../../secret",  // ".." stops at the root: /secret, not there
		"boot/uptop":       "../../../../etc/passwd", // the volume's /etc/passwd
		"boot/host":        secret,                   // absolute host path: not on the volume
		"boot/loop":        "loop",
		"boot/ping":        "pong",
		"boot/pong":        "ping",
		"boot/self":        ".",
		"loader/entries/x": "../../boot/grub",
	}
	for l, target := range links {
		if err := os.Symlink(target, filepath.Join(vol, l)); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(vol, "boot/grub/grub.cfg"), 0o644); err != nil {
		t.Fatal(err)
	}
	v, err := Dir(vol)
	if err != nil {
		t.Fatal(err)
	}
	// As Dir reads it, and as Scan reads its own read-only mounts (with
	// the names cache).
	for _, fsys := range []fs.FS{v.FS, dirFS{root: vol, names: &nameCache{}}} {
		checkHostileTree(t, fsys)
	}
}

func checkHostileTree(t *testing.T, fsys fs.FS) {
	t.Helper()
	bounded(t, "reading the hostile tree", func() {
		for name, want := range map[string]string{
			"boot/vmlinuz": "kernel", "boot/abs": "kernel", "vmlinuz": "kernel",
			"boot/uptop": "the volume's own passwd", "boot/self/self/self/vmlinuz-6.1": "kernel",
		} {
			if b, err := fs.ReadFile(fsys, name); err != nil || string(b) != want {
				t.Errorf("%s = %q, %v; want %q", name, b, err, want)
			}
		}
		for _, name := range []string{"boot/up", "boot/host"} {
			if b, err := fs.ReadFile(fsys, name); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("%s = %q, %v; want not found (the target is outside the volume)", name, b, err)
			}
			if _, err := fs.Stat(fsys, name); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("stat %s: %v, want not found", name, err)
			}
		}
		for _, name := range []string{"boot/loop", "boot/ping", "boot/loop/x"} {
			if _, err := fs.ReadFile(fsys, name); !errors.Is(err, syscall.ELOOP) {
				t.Errorf("%s: %v, want ELOOP", name, err)
			}
		}
		if _, err := fs.ReadFile(fsys, "boot/grub/grub.cfg"); !errors.Is(err, errNotRegular) {
			t.Errorf("FIFO: %v, want it refused", err)
		}
		if ents, err := fs.ReadDir(fsys, "loader/entries/x"); err != nil || len(ents) != 1 || ents[0].Name() != "grub.cfg" {
			t.Errorf("ReadDir through a link: %v, %v", ents, err)
		}
		if fi, err := fs.Stat(fsys, "boot/vmlinuz"); err != nil || fi.Name() != "vmlinuz" || !fi.Mode().IsRegular() {
			t.Errorf("stat through a link: %v, %v", fi, err)
		}
		for _, bad := range []string{"../secret", "/etc/passwd", "boot/../../secret"} {
			if _, err := fsys.Open(bad); !errors.Is(err, fs.ErrInvalid) {
				t.Errorf("Open(%q): %v, want fs.ErrInvalid", bad, err)
			}
		}
	})
}

// TestDirFSConforms: on an ordinary tree Dir's FS behaves as io/fs wants.
func TestDirFSConforms(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "boot/grub"), 0o755)
	writeFile(t, filepath.Join(dir, "boot/grub/grub.cfg"), "menuentry x {\n}\n")
	writeFile(t, filepath.Join(dir, "vmlinuz"), "k")
	for _, fsys := range []fs.FS{dirFS{root: dir}, dirFS{root: dir, names: &nameCache{}}} {
		if err := fstest.TestFS(fsys, "boot/grub/grub.cfg", "vmlinuz"); err != nil {
			t.Fatal(err)
		}
	}
}

// fatGeometry reads what a test needs from a FAT boot sector.
type fatGeometry struct {
	fatStart, fatBytes, dataStart, clusterBytes int64
	bits                                        int
}

func readFATGeometry(t *testing.T, img []byte, off int64, bits int) fatGeometry {
	t.Helper()
	le := binary.LittleEndian
	bs := img[off:]
	bps := int64(le.Uint16(bs[11:]))
	fatSectors := int64(le.Uint16(bs[22:]))
	if bits == 32 {
		fatSectors = int64(le.Uint32(bs[36:]))
	}
	rootSectors := (int64(le.Uint16(bs[17:]))*32 + bps - 1) / bps
	g := fatGeometry{bits: bits, fatStart: off + int64(le.Uint16(bs[14:]))*bps, fatBytes: fatSectors * bps, clusterBytes: int64(bs[13]) * bps}
	g.dataStart = g.fatStart + int64(bs[16])*g.fatBytes + rootSectors*bps
	return g
}

// cluster is the cluster holding the first byte of marker in the image.
func (g fatGeometry) cluster(t *testing.T, img []byte, marker string) int64 {
	t.Helper()
	i := bytes.Index(img, []byte(marker))
	if i < 0 || int64(i) < g.dataStart {
		t.Fatalf("marker %q not in the data area", marker)
	}
	return (int64(i)-g.dataStart)/g.clusterBytes + 2
}

// set writes FAT entry c in every FAT copy (two).
func (g fatGeometry) set(img []byte, c int64, v uint32) {
	for k := int64(0); k < 2; k++ {
		fat := img[g.fatStart+k*g.fatBytes:]
		switch g.bits {
		case 16:
			binary.LittleEndian.PutUint16(fat[c*2:], uint16(v))
		case 32:
			binary.LittleEndian.PutUint32(fat[c*4:], v)
		}
	}
}

// goodImage is a whole-disk ext4 with a GRUB entry next to the hostile one.
func goodImage(t *testing.T, dir string) string {
	t.Helper()
	root := filepath.Join(dir, "goodroot")
	os.MkdirAll(filepath.Join(root, "boot/grub"), 0o755)
	writeFile(t, filepath.Join(root, "boot/grub/grub.cfg"), "menuentry Good {\n\tlinux /boot/vmlinuz good\n}\n")
	writeFile(t, filepath.Join(root, "boot/vmlinuz"), "")
	img := filepath.Join(dir, "good.img")
	if out, err := exec.Command("mkfs.ext4", "-q", "-F", "-L", "good", "-d", root, img, "8M").CombinedOutput(); err != nil {
		t.Fatalf("mkfs.ext4: %v\n%s", err, out)
	}
	return img
}

// checkGood runs the whole discovery (boot/sources, as `leapboot list
// --image` does) over the volumes: the good image's GRUB entry must be
// there and bootable, whatever the hostile volumes hold.
func checkGood(t *testing.T, vols []*boot.Volume) {
	t.Helper()
	m := sources.Read(context.Background(), vols)
	for _, e := range m.Entries {
		if e.Title == "Good" {
			if e.Err != nil || e.Cmdline != "BOOT_IMAGE=/boot/vmlinuz good" || e.Kernel.Volume == nil || e.Kernel.Volume.Label != "good" {
				t.Errorf("good entry: cmdline %q, kernel %v, err %v", e.Cmdline, e.Kernel, e.Err)
			}
			return
		}
	}
	var d []string
	for _, x := range m.Diagnostics {
		d = append(d, x.String())
	}
	t.Errorf("good entry missing; %d entries, diagnostics:\n%s", len(m.Entries), strings.Join(d, "\n"))
}

// TestImageFATCyclicClusters: FAT16 and FAT32 images whose cluster chains
// loop (a file's, and a directory's onto itself), next to a good image. go-diskfs
// alone follows such a chain forever; Image cuts the loops, says so on the
// volume, and every file still reads in bounded time and memory.
func TestImageFATCyclicClusters(t *testing.T) {
	for _, tc := range []struct {
		name     string
		bits     int
		mkfsArgs []string
		size     string
	}{
		{"FAT16", 16, []string{"-F", "16"}, "16M"},
		{"FAT32", 32, []string{"-F", "32"}, "40M"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			img := filepath.Join(dir, "fat.img")
			if out, err := exec.Command("truncate", "-s", tc.size, img).CombinedOutput(); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if out, err := exec.Command("mkfs.vfat", append(tc.mkfsArgs, "-n", "HOSTILE", img)...).CombinedOutput(); err != nil {
				t.Fatalf("mkfs.vfat: %v\n%s", err, out)
			}
			// grub.cfg spans several clusters; the entries directory one.
			cfg := writeFile(t, filepath.Join(dir, "grub.cfg"), "#CFGSTART"+strings.Repeat("# padding\n", 4000))
			entry := writeFile(t, filepath.Join(dir, "a.conf"), "title A\nlinux /vmlinuz\n")
			for _, c := range [][]string{
				{"mmd", "-i", img, "::/boot", "::/boot/grub", "::/loader", "::/loader/entries"},
				{"mcopy", "-i", img, cfg, "::/boot/grub/grub.cfg"},
				{"mcopy", "-i", img, entry, "::/loader/entries/a.conf"},
			} {
				cmd := exec.Command(c[0], c[1:]...)
				cmd.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1")
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("%v: %v\n%s", c, err, out)
				}
			}
			b, err := os.ReadFile(img)
			if err != nil {
				t.Fatal(err)
			}
			g := readFATGeometry(t, b, 0, tc.bits)
			first := g.cluster(t, b, "#CFGSTART")
			// The file's third cluster links back to its first.
			g.set(b, first+2, uint32(first))
			// The entries directory links to itself.
			dirCl := g.cluster(t, b, "a\x00.\x00c\x00o\x00n\x00") // its long name, first part
			g.set(b, dirCl, uint32(dirCl))
			if err := os.WriteFile(img, b, 0o644); err != nil {
				t.Fatal(err)
			}
			good := goodImage(t, dir)
			var vols []*boot.Volume
			bounded(t, "reading the images", func() {
				v, closers, err := Images([]string{img, good})
				if err != nil {
					t.Errorf("Images: %v", err)
					return
				}
				defer func() {
					for _, c := range closers {
						c.Close()
					}
				}()
				vols = v
				hostile := v[0]
				if hostile.Err == nil || !strings.Contains(hostile.Err.Error(), "loop") || !strings.Contains(hostile.Err.Error(), "fat.img") {
					t.Errorf("hostile volume: err %v; want the loops named", hostile.Err)
				}
				if hostile.FS == nil {
					t.Errorf("hostile volume not readable: %v", hostile.Err)
					return
				}
				t.Logf("hostile volume: %v", hostile.Err)
				// Reading the files on the cut chains ends; what they
				// hold is at most their size.
				if cfg, err := fs.ReadFile(hostile.FS, "boot/grub/grub.cfg"); err == nil && len(cfg) > 40010 {
					t.Errorf("grub.cfg read as %d bytes", len(cfg))
				}
				if ents, err := fs.ReadDir(hostile.FS, "loader/entries"); err != nil || len(ents) != 1 {
					t.Errorf("entries directory: %v, %v", ents, err)
				}
				checkGood(t, vols)
			})
		})
	}
}

// TestImageTruncatedExt4: an ext4 image cut short, next to a good image:
// the cut one is a volume with an error, the good one reads.
func TestImageTruncatedExt4(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	os.MkdirAll(filepath.Join(root, "boot/grub"), 0o755)
	os.MkdirAll(filepath.Join(root, "loader/entries"), 0o755)
	writeFile(t, filepath.Join(root, "boot/grub/grub.cfg"), "menuentry Cut {\n\tlinux /boot/vmlinuz\n}\n"+strings.Repeat("# padding\n", 100000))
	for i := range 200 {
		writeFile(t, filepath.Join(root, "loader/entries", strings.Repeat("e", 50)+string(rune('a'+i%26))+string(rune('a'+i/26))+".conf"), "title X\nlinux /vmlinuz\n")
	}
	full := filepath.Join(dir, "full.img")
	if out, err := exec.Command("mkfs.ext4", "-q", "-F", "-L", "cut", "-d", root, full, "32M").CombinedOutput(); err != nil {
		t.Fatalf("mkfs.ext4: %v\n%s", err, out)
	}
	b, err := os.ReadFile(full)
	if err != nil {
		t.Fatal(err)
	}
	good := goodImage(t, dir)
	for _, cut := range []int{2048, 4096, 64 << 10, 1 << 20, 4 << 20, 16 << 20} {
		img := filepath.Join(dir, "cut.img")
		if err := os.WriteFile(img, b[:cut], 0o644); err != nil {
			t.Fatal(err)
		}
		bounded(t, "reading a cut ext4", func() {
			vols, closers, err := Images([]string{img, good})
			if err != nil {
				// Cut before anything identifiable: the image is refused
				// as a whole, which names it.
				if !strings.Contains(err.Error(), "cut.img") {
					t.Errorf("cut at %d: %v", cut, err)
				}
				return
			}
			defer func() {
				for _, c := range closers {
					c.Close()
				}
			}()
			h := vols[0]
			if h.Err == nil || !strings.Contains(h.Err.Error(), "cut.img") {
				t.Errorf("cut at %d: no problem naming the image on the volume: %v", cut, h.Err)
			}
			if h.FS != nil {
				// go-diskfs opened it: every read must end, with an
				// error or the file's bytes.
				fs.WalkDir(h.FS, ".", func(p string, d fs.DirEntry, err error) error {
					if err == nil && !d.IsDir() {
						fs.ReadFile(h.FS, p)
					}
					return nil
				})
			}
			t.Logf("cut at %d: FS %v, err %v", cut, h.FS != nil, h.Err)
			checkGood(t, vols)
		})
	}
}

// gptEdit changes the partition entries of a GPT image in place and fixes
// the CRCs of both headers and entry arrays.
func gptEdit(t *testing.T, img string, edit func(entry func(i int) []byte)) {
	t.Helper()
	b, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	last := int64(len(b))/512 - 1
	for _, hdrLBA := range []int64{1, last} {
		h := b[hdrLBA*512 : hdrLBA*512+512]
		if string(h[:8]) != "EFI PART" {
			t.Fatalf("no GPT header at LBA %d", hdrLBA)
		}
		arr := b[int64(le.Uint64(h[72:]))*512:]
		n, size := int(le.Uint32(h[80:])), int(le.Uint32(h[84:]))
		arr = arr[:n*size]
		edit(func(i int) []byte { return arr[i*size : (i+1)*size] })
		le.PutUint32(h[88:], crc32.ChecksumIEEE(arr))
		le.PutUint32(h[16:], 0)
		le.PutUint32(h[16:], crc32.ChecksumIEEE(h[:le.Uint32(h[12:])]))
	}
	if err := os.WriteFile(img, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestImageBadPartitions: a GPT whose third partition overlaps the first
// and whose fourth runs past the end of the disk: each is a volume with a
// problem naming the image and partition (both of an overlapping pair),
// and the good partition reads.
func TestImageBadPartitions(t *testing.T) {
	dir := t.TempDir()
	cfg := writeFile(t, filepath.Join(dir, "grub.cfg"), "menuentry Good {\n\tlinux /boot/vmlinuz good\n}\n")
	kernel := writeFile(t, filepath.Join(dir, "vmlinuz"), "")
	img := filepath.Join(dir, "disk.img")
	err := qemu.BuildDisk(img, []qemu.Part{
		{Name: "ESP", Type: "ef00", FS: "vfat", SizeMiB: 16, UUID: "C0FFEE02", Label: "EFI"},
		{Name: "root", Type: "8300", FS: "ext4", SizeMiB: 16, Label: "good", Files: map[string]string{"/boot/grub/grub.cfg": cfg, "/boot/vmlinuz": kernel}},
		{Name: "spare1", Type: "8300", FS: "ext4", SizeMiB: 1},
		{Name: "spare2", Type: "8300", FS: "ext4", SizeMiB: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(img)
	if err != nil {
		t.Fatal(err)
	}
	sectors := uint64(st.Size() / 512)
	gptEdit(t, img, func(entry func(int) []byte) {
		le := binary.LittleEndian
		// Partition 3: the first one again, from its start.
		copy(entry(2)[32:48], entry(0)[32:48])
		// Partition 4: to far past the end of the disk.
		le.PutUint64(entry(3)[40:], sectors*4)
	})
	var vols []*boot.Volume
	bounded(t, "reading the image", func() {
		v, c, err := Image(img)
		if err != nil {
			t.Errorf("Image: %v", err)
			return
		}
		defer c.Close()
		vols = v
		if len(v) != 4 {
			t.Errorf("%d volumes, want 4", len(v))
			return
		}
		for i, want := range []string{"partition 1: overlaps partition 3", "", "partition 3: overlaps partition 1", "past the end"} {
			got := ""
			if v[i].Err != nil {
				got = v[i].Err.Error()
			}
			if want == "" && got != "" || !strings.Contains(got, want) || want != "" && !strings.Contains(got, "disk.img") {
				t.Errorf("volume %d: err %q, want %q naming disk.img", i+1, got, want)
			}
		}
		// Overlapping partitions are read anyway (3 is the ESP again).
		if v[0].FS == nil || v[2].FS == nil || v[2].FSType != "vfat" || v[2].UUID != v[0].UUID {
			t.Errorf("overlapping partitions: %+v and %+v", v[0], v[2])
		}
		if v[3].FS != nil {
			t.Errorf("a partition past the end was read")
		}
		checkGood(t, vols)
	})
}

// TestImageSymlinkLoops: an ext4 image whose configs are symbolic links
// that loop, or lead out of the volume, next to a good image: reading them
// ends (go-diskfs alone recursed without end on a link to itself), nothing
// outside the image is read, and links that end inside still work.
func TestImageSymlinkLoops(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	for _, d := range []string{"boot/grub", "loader/entries", "extlinux"} {
		os.MkdirAll(filepath.Join(root, d), 0o755)
	}
	for l, target := range map[string]string{
		"boot/grub/grub.cfg":          "grub.cfg",
		"loader/entries/ping.conf":    "pong.conf",
		"loader/entries/pong.conf":    "ping.conf",
		"loader/entries/escape.conf":  "../../../../../../../../etc/passwd",
		"loader/entries/absolut.conf": "/etc/passwd",
		"extlinux/extlinux.conf":      "../extlinux/extlinux.conf",
		"boot/self":                   ".",
		"boot/grub/ok.cfg":            "../ok-target",
		"boot/abs-ok":                 "/boot/self/ok-target",
	} {
		if err := os.Symlink(target, filepath.Join(root, l)); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, filepath.Join(root, "boot/ok-target"), "fine")
	img := filepath.Join(dir, "links.img")
	if out, err := exec.Command("mkfs.ext4", "-q", "-F", "-L", "links", "-d", root, img, "8M").CombinedOutput(); err != nil {
		t.Fatalf("mkfs.ext4: %v\n%s", err, out)
	}
	good := goodImage(t, dir)
	bounded(t, "reading the image", func() {
		vols, closers, err := Images([]string{img, good})
		if err != nil {
			t.Errorf("Images: %v", err)
			return
		}
		defer func() {
			for _, c := range closers {
				c.Close()
			}
		}()
		h := vols[0]
		if h.FS == nil {
			t.Errorf("links volume not readable: %v", h.Err)
			return
		}
		for _, name := range []string{"boot/grub/grub.cfg", "loader/entries/ping.conf", "loader/entries/escape.conf",
			"loader/entries/absolut.conf", "extlinux/extlinux.conf", "boot/self/self/self/grub/grub.cfg"} {
			b, err := fs.ReadFile(h.FS, name)
			t.Logf("%s: %d bytes, %v", name, len(b), err)
			if err == nil && strings.Contains(string(b), "root:") {
				t.Errorf("%s read the host's /etc/passwd", name)
			}
		}
		// Links that stay inside and end still work.
		for _, name := range []string{"boot/grub/ok.cfg", "boot/abs-ok", "boot/self/grub/ok.cfg"} {
			if b, err := fs.ReadFile(h.FS, name); err != nil || string(b) != "fine" {
				t.Errorf("%s = %q, %v; want the link's target", name, b, err)
			}
		}
		checkGood(t, vols)
	})
}

// TestImageBadMBR: an MBR whose second partition lies inside the first and
// whose third runs far past the end of the disk: the good filesystem in
// the first is read (with the overlap named), the others are volumes with
// their problem.
func TestImageBadMBR(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	os.MkdirAll(filepath.Join(root, "boot/grub"), 0o755)
	writeFile(t, filepath.Join(root, "boot/grub/grub.cfg"), "menuentry Good {\n\tlinux /boot/vmlinuz good\n}\n")
	writeFile(t, filepath.Join(root, "boot/vmlinuz"), "")
	img := filepath.Join(dir, "mbr.img")
	if out, err := exec.Command("truncate", "-s", "40M", img).CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if out, err := exec.Command("mkfs.ext4", "-q", "-F", "-L", "good", "-d", root, "-E", "offset=1048576", img, "16M").CombinedOutput(); err != nil {
		t.Fatalf("mkfs.ext4: %v\n%s", err, out)
	}
	b, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	le.PutUint32(b[440:], 0x1234abcd)
	for i, p := range []struct{ start, size uint32 }{{2048, 32768}, {4096, 8192}, {70000, 1 << 30}} {
		e := b[446+16*i:]
		e[4] = 0x83
		le.PutUint32(e[8:], p.start)
		le.PutUint32(e[12:], p.size)
	}
	b[510], b[511] = 0x55, 0xAA
	if err := os.WriteFile(img, b, 0o644); err != nil {
		t.Fatal(err)
	}
	bounded(t, "reading the image", func() {
		vols, c, err := Image(img)
		if err != nil {
			t.Errorf("Image: %v", err)
			return
		}
		defer c.Close()
		if len(vols) != 3 {
			t.Errorf("%d volumes, want 3", len(vols))
			return
		}
		for i, want := range []string{"overlaps partition 2", "overlaps partition 1", "past the end"} {
			if vols[i].Err == nil || !strings.Contains(vols[i].Err.Error(), want) || !strings.Contains(vols[i].Err.Error(), "mbr.img") {
				t.Errorf("volume %d: err %v, want %q naming mbr.img", i+1, vols[i].Err, want)
			}
		}
		if vols[0].FS == nil || vols[0].Label != "good" {
			t.Errorf("the first partition's filesystem was not read: %+v", vols[0])
		}
		checkGood(t, vols)
	})
}
