package disk

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leapboot/leapboot/boot"
)

func TestCheckExtents(t *testing.T) {
	tests := []struct {
		name string
		in   []Extent
		size int64
		want []Extent
		err  string
	}{
		{"one block, clipped", []Extent{{0, 4096, 4096}}, 1024, []Extent{{0, 4096, 1024}}, ""},
		{"two extents", []Extent{{0, 8192, 512}, {512, 512, 512}}, 1024, []Extent{{0, 8192, 512}, {512, 512, 512}}, ""},
		{"extents past the size are dropped", []Extent{{0, 0, 1024}, {1024, 9999, 10}}, 1024, []Extent{{0, 0, 1024}}, ""},
		{"hole at the start", []Extent{{512, 0, 512}}, 1024, nil, "hole"},
		{"hole in the middle", []Extent{{0, 0, 256}, {512, 0, 512}}, 1024, nil, "hole"},
		{"overlap", []Extent{{0, 0, 512}, {256, 0, 768}}, 1024, nil, "overlapping"},
		{"short", []Extent{{0, 0, 512}}, 1024, nil, "sparse"},
		{"nothing", nil, 1024, nil, "sparse"},
		{"zero length", []Extent{{0, 0, 0}}, 1024, nil, "hole"},
	}
	for _, tc := range tests {
		got, err := checkExtents(tc.in, tc.size)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.Is(err, ErrNotWritable) {
				t.Errorf("%s: %v, want %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil || len(got) != len(tc.want) {
			t.Errorf("%s: %v, %v", tc.name, got, err)
			continue
		}
		for k := range got {
			if got[k] != tc.want[k] {
				t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
			}
		}
	}
}

// TestWriteInPlaceChecks: what WriteInPlace refuses before it writes,
// and the rewrite through a read-write mount (a temp directory). The
// block-device path on a read-only mount is tested in QEMU
// (qemu.TestGrubenvWrite), as it needs a kernel mount.
func TestWriteInPlaceChecks(t *testing.T) {
	dir := t.TempDir()
	old := []byte(strings.Repeat("o", 1024))
	if err := os.WriteFile(filepath.Join(dir, "grubenv"), old, 0o644); err != nil {
		t.Fatal(err)
	}
	v := &boot.Volume{Device: "/dev/null", FSType: "ext4", Mount: dir}
	newb := []byte(strings.Repeat("n", 1024))
	for _, tc := range []struct {
		name string
		v    boot.Volume
		file string
		old  []byte
		b    []byte
		err  string
	}{
		{"size change", *v, "/grubenv", old, newb[:10], "new contents are 10 bytes"},
		{"image mode", boot.Volume{FSType: "ext4"}, "/grubenv", old, newb, "not mounted by the kernel"},
		{"btrfs", boot.Volume{FSType: "btrfs", Mount: dir}, "/grubenv", old, newb, "btrfs is not supported"},
		{"changed since read", *v, "/grubenv", newb, old, "changed since it was read"},
		{"missing", *v, "/nope", old, newb, "no such file"},
	} {
		err := WriteInPlace(&tc.v, tc.file, tc.old, tc.b)
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.err)
		}
	}
	got, _ := os.ReadFile(filepath.Join(dir, "grubenv"))
	if string(got) != string(old) {
		t.Fatal("a refused write changed the file")
	}
	if err := WriteInPlace(v, "/grubenv", old, newb); err != nil {
		t.Fatal(err)
	}
	got, _ = os.ReadFile(filepath.Join(dir, "grubenv"))
	if string(got) != string(newb) {
		t.Errorf("read-write mount: file not rewritten")
	}
}
