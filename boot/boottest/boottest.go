// Package boottest holds what the parsers' tests share: volumes made of
// the real configs kept under testdata/corpus, and golden files that
// -update rewrites. Only tests import it.
package boottest

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leapboot/leapboot/boot"
)

// Sidecars are the metadata files at a corpus volume's root
// (testdata/corpus/PROVENANCE.md): u-root's UUID, LABEL, TYPE and
// PARTLABEL, and leapboot's PARTUUID and BTRFS_DEFAULT. They describe the
// volume and are not on the real disk.
var Sidecars = map[string]bool{"UUID": true, "LABEL": true, "TYPE": true, "PARTLABEL": true, "PARTUUID": true, "BTRFS_DEFAULT": true}

// VolumeDirs are the volume directories of a multi-volume corpus case, in
// disk order; a case without any is one volume.
var VolumeDirs = []string{"sda1", "sda2", "esp", "ubuntu-seed", "ubuntu-boot", "bootfs", "rootfs"}

// sidecarFS hides the sidecars from a volume's view.
type sidecarFS struct{ fs.FS }

func (s sidecarFS) Open(name string) (fs.File, error) {
	if Sidecars[name] {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return s.FS.Open(name)
}

func (s sidecarFS) ReadDir(name string) ([]fs.DirEntry, error) {
	ents, err := fs.ReadDir(s.FS, name)
	if name != "." {
		return ents, err
	}
	var out []fs.DirEntry
	for _, e := range ents {
		if !Sidecars[e.Name()] {
			out = append(out, e)
		}
	}
	return out, err
}

// CorpusVolume makes a volume of a corpus directory: its files, less the
// sidecars, whose contents give its identity.
func CorpusVolume(dir, partType string) *boot.Volume {
	v := &boot.Volume{Device: filepath.Base(dir), PartType: partType, FS: sidecarFS{os.DirFS(dir)}}
	read := func(n string) string {
		b, _ := os.ReadFile(filepath.Join(dir, n))
		return strings.TrimSpace(string(b))
	}
	v.UUID, v.Label, v.FSType, v.PartLabel = read("UUID"), read("LABEL"), read("TYPE"), read("PARTLABEL")
	v.PartUUID, v.BtrfsDefault = read("PARTUUID"), read("BTRFS_DEFAULT")
	return v
}

// Golden compares got with the file at path, or writes it there when
// update is set (the tests' -update flag).
func Golden(t testing.TB, path, got string, update bool) {
	t.Helper()
	if update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update creates it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (go test -update rewrites it):\n--- got\n%s--- want\n%s", path, got, want)
	}
}
