package probe

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

var update = flag.Bool("update", false, "rebuild testdata/images from the real tools (needs them all, and a loop device for LVM)")

// Stored images: the start of each image the tools made (see prefix in
// rebuildStoredImages), gzipped, with what blkid -p said
// about exactly those bytes. They let the tests and the fuzz seeds run
// without the tools, and hold the LVM PV, which needs a loop device to
// make. Rebuild with: go test -run TestStoredImages -update
const storedPrefix = 1 << 20

type storedImage struct {
	name string
	data []byte
	want map[string]string
}

var (
	storedOnce   sync.Once
	storedCache  []storedImage
	storedCached error
)

// storedImages returns the stored images, read once per test binary.
func storedImages(t testing.TB) []storedImage {
	t.Helper()
	storedOnce.Do(func() { storedCache, storedCached = loadStoredImages() })
	if storedCached != nil {
		t.Fatal(storedCached)
	}
	return storedCache
}

func loadStoredImages() ([]storedImage, error) {
	files, err := filepath.Glob("testdata/images/*.img.gz")
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("no stored images (%v): run go test -run TestStoredImages -update", err)
	}
	var out []storedImage
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".img.gz")
		data, err := gunzipFile(f)
		if err != nil {
			return nil, err
		}
		golden, err := os.ReadFile(strings.TrimSuffix(f, ".img.gz") + ".blkid")
		if err != nil {
			return nil, err
		}
		want := map[string]string{}
		sc := bufio.NewScanner(bytes.NewReader(golden))
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), "="); ok {
				want[k] = v
			}
		}
		out = append(out, storedImage{name: name, data: data, want: want})
	}
	return out, nil
}

func gunzipFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return io.ReadAll(z)
}

func TestStoredImages(t *testing.T) {
	if *update {
		rebuildStoredImages(t)
		storedOnce = sync.Once{}
	}
	for _, img := range storedImages(t) {
		t.Run(img.name, func(t *testing.T) {
			id, err := Probe(bytes.NewReader(img.data), int64(len(img.data)))
			if img.want[ambivalent] != "" {
				if !errors.Is(err, ErrAmbivalent) {
					t.Fatalf("blkid: ambivalent; Probe: %+v, %v", id, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Probe: %v (blkid: %v)", err, img.want)
			}
			if got := id.Fields(); !maps.Equal(got, img.want) {
				t.Errorf("Probe:\n got  %v\n want %v", got, img.want)
			}
		})
	}
}

func rebuildStoredImages(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll("testdata/images", 0o755); err != nil {
		t.Fatal(err)
	}
	// prefix is how much of an image is kept: all of a partitioned disk,
	// little of a LUKS volume (its key material does not compress), more
	// than a floppy where blkid behaves differently on floppies.
	prefix := func(name string) int {
		switch {
		case name == "gpt" || name == "dos-logical":
			return 1 << 30
		case strings.HasPrefix(name, "luks"):
			return 32 << 10
		case name == "lvm2" || strings.Contains(name, "ambivalent"):
			return 2 << 20 // not a floppy: RAID probing and the ambivalence check
		}
		return storedPrefix
	}
	save := func(name, img string) {
		data, err := os.ReadFile(img)
		if err != nil {
			t.Fatal(err)
		}
		data = data[:min(len(data), prefix(name))]
		cut := filepath.Join(dir, name+".cut")
		if err := os.WriteFile(cut, data, 0o644); err != nil {
			t.Fatal(err)
		}
		want := blkidExport(t, cut)
		var lines []string
		for _, k := range slices.Sorted(maps.Keys(want)) {
			lines = append(lines, k+"="+want[k]+"\n")
		}
		var z bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
		zw.Write(data)
		zw.Close()
		base := filepath.Join("testdata/images", name)
		if err := os.WriteFile(base+".img.gz", z.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(base+".blkid", []byte(strings.Join(lines, "")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range imageCases {
		d := filepath.Join(dir, c.name)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		img := filepath.Join(d, "img")
		c.build(t, d, img)
		save(c.name, img)
	}
	// The LVM PV, through a loop device.
	img := filepath.Join(dir, "pv")
	sparse(t, img, 16<<20)
	out, err := exec.Command("losetup", "--find", "--show", img).Output()
	if err != nil {
		t.Fatalf("losetup: %v (the LVM image needs a loop device)", err)
	}
	loop := strings.TrimSpace(string(out))
	defer exec.Command("losetup", "-d", loop).Run()
	run(t, dir, "pvcreate", "-q", "--config", "devices{use_devicesfile=0}", "-u", "HDMhV5-IkHh-XRgr-fpod-5hUm-yqrp-OtehGz", "--norestorefile", loop)
	save("lvm2", img)
}
