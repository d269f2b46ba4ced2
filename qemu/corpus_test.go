package qemu

import (
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/leapboot/leapboot/boot/boottest"
)

// corpusDisk writes the GRUB corpus case dir as a GPT disk image: one
// partition per volume, FAT for a volume with /EFI (an ESP), ext4 for the
// rest, with the identities of its sidecar files. It returns "" for a case
// image mode cannot read (btrfs).
func corpusDisk(t *testing.T, dir, img string) string {
	t.Helper()
	var vols []string
	for _, vd := range boottest.VolumeDirs {
		if fi, err := os.Stat(filepath.Join(dir, vd)); err == nil && fi.IsDir() {
			vols = append(vols, filepath.Join(dir, vd))
		}
	}
	if len(vols) == 0 {
		vols = []string{dir}
	}
	var parts []Part
	for k, v := range vols {
		side := func(name string) string {
			b, _ := os.ReadFile(filepath.Join(v, name))
			return strings.TrimSpace(string(b))
		}
		if side("TYPE") == "btrfs" {
			return ""
		}
		p := Part{Name: side("PARTLABEL"), Type: "8300", FS: "ext4", UUID: side("UUID"), Label: side("LABEL"), PartUUID: side("PARTUUID"),
			Files: map[string]string{}}
		if p.Name == "" {
			p.Name = "vol" + strconv.Itoa(k+1)
		}
		var size int64
		err := filepath.WalkDir(v, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(v, path)
			if d.IsDir() || boottest.Sidecars[rel] {
				return nil
			}
			fi, err := os.Stat(path)
			if err != nil {
				return err
			}
			size += fi.Size() + 4096
			p.Files["/"+filepath.ToSlash(rel)] = path
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		p.SizeMiB = max(8, int(size>>20)*2+8)
		if fi, err := os.Stat(filepath.Join(v, "EFI")); err == nil && fi.IsDir() {
			// An ESP; FAT unless its identity is an ext4 (or ISO) UUID,
			// which FAT cannot carry.
			p.Type = "ef00"
			if (fatID.MatchString(p.UUID) || p.UUID == "") && len(p.Label) <= 11 {
				p.FS, p.UUID = "vfat", strings.ReplaceAll(p.UUID, "-", "")
				p.SizeMiB = max(34, p.SizeMiB)
			}
		}
		if p.FS == "ext4" && !ext4UUID.MatchString(p.UUID) {
			// An ISO's identity ("2017-09-06-…", "BD2B-21C8"): its configs
			// find it by label.
			p.UUID = ""
		}
		parts = append(parts, p)
	}
	if err := BuildDisk(img, parts); err != nil {
		t.Fatal(err)
	}
	return img
}

// goldenEntry is one entry of a boot/grub golden file.
type goldenEntry struct {
	menu, kernel, cmdline string
	initrds               []string
	broken                bool
}

var (
	goldenPath = regexp.MustCompile(`^[^:]*:`)
	fatID      = regexp.MustCompile(`^[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}$`)
	ext4UUID   = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
)

// readGolden reads the default and the entries of a boot/grub golden file
// (the paths without their GRUB device).
func readGolden(t *testing.T, p string) (int, []goldenEntry) {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	def := -1
	var out []goldenEntry
	for _, line := range strings.Split(string(b), "\n") {
		switch {
		case strings.HasPrefix(line, "default: "):
			def, _ = strconv.Atoi(strings.Fields(line)[1])
		case strings.HasPrefix(line, "entry "):
			_, title, _ := strings.Cut(line, ": ")
			out = append(out, goldenEntry{menu: title})
		case len(out) == 0:
		case strings.HasPrefix(line, "  kernel: "):
			out[len(out)-1].kernel = goldenPath.ReplaceAllString(strings.TrimPrefix(line, "  kernel: "), "")
		case strings.HasPrefix(line, "  initrd: "):
			e := &out[len(out)-1]
			e.initrds = append(e.initrds, goldenPath.ReplaceAllString(strings.TrimPrefix(line, "  initrd: "), ""))
		case strings.HasPrefix(line, "  cmdline: "):
			out[len(out)-1].cmdline = strings.TrimPrefix(line, "  cmdline: ")
		case strings.HasPrefix(line, "  err: "):
			out[len(out)-1].broken = true
		}
	}
	return def, out
}

// TestListCorpusImages: `leapboot list --json --image` on each GRUB corpus
// case made into a disk image (real mkfs.ext4 and mkfs.vfat, read through
// go-diskfs) lists the GRUB entries of the case's golden files, which were
// checked by reading the configs and against grub-emu (boot/grub/testdata/
// golden/REVIEW.md): the same menu paths, kernels, initrds, command lines,
// broken entries and default, on both platforms. btrfs cases are left out:
// image mode cannot read btrfs (TestBootOpenSUSESnapshot boots one).
func TestListCorpusImages(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	corpus := filepath.Join(root, "boot/grub/testdata/corpus")
	golden := filepath.Join(root, "boot/grub/testdata/golden")
	cases, err := os.ReadDir(corpus)
	if err != nil {
		t.Fatal(err)
	}
	var compared atomic.Int32
	t.Run("cases", func(t *testing.T) {
		for _, c := range cases {
			if !c.IsDir() {
				continue
			}
			t.Run(c.Name(), func(t *testing.T) {
				t.Parallel() // mkfs and mcopy wait on the disk as much as on a core
				img := corpusDisk(t, filepath.Join(corpus, c.Name()), filepath.Join(t.TempDir(), "disk.img"))
				if img == "" {
					return
				}
				for _, platform := range []string{"pc", "efi"} {
					def, want := readGolden(t, filepath.Join(golden, c.Name()+"."+platform+".txt"))
					out, err := exec.Command(demo.Leapboot, "list", "--json", "--platform", platform, "--image", img).Output()
					if err != nil {
						t.Fatalf("%s: leapboot list: %v", platform, err)
					}
					var got struct {
						Default *string
						Entries []struct {
							ID, Source, Cmdline string
							Menu                []string
							Kernel              *struct{ Path string }
							Initrds             []struct{ Path string }
							Error               *string
						}
					}
					if err := json.Unmarshal(out, &got); err != nil {
						t.Fatal(err)
					}
					n, gotDef := 0, -1
					for _, e := range got.Entries {
						if e.Source != "grub" {
							continue
						}
						if got.Default != nil && e.ID == *got.Default {
							gotDef = n
						}
						if n >= len(want) {
							n++
							continue
						}
						w := want[n]
						kernel := ""
						if e.Kernel != nil {
							kernel = e.Kernel.Path
						}
						var initrds []string
						for _, i := range e.Initrds {
							initrds = append(initrds, i.Path)
						}
						if m := strings.Join(e.Menu, " > "); m != w.menu || kernel != w.kernel || e.Cmdline != w.cmdline ||
							strings.Join(initrds, " ") != strings.Join(w.initrds, " ") || (e.Error != nil) != w.broken {
							t.Errorf("%s entry %d:\n  got  %q kernel %q initrds %q cmdline %q error %v\n  want %q kernel %q initrds %q cmdline %q broken %v",
								platform, n, m, kernel, initrds, e.Cmdline, e.Error != nil, w.menu, w.kernel, w.initrds, w.cmdline, w.broken)
						}
						n++
					}
					if n != len(want) {
						t.Errorf("%s: %d GRUB entries, the golden has %d", platform, n, len(want))
					}
					if def >= 0 && gotDef != def {
						t.Errorf("%s: default is GRUB entry %d, the golden's is %d", platform, gotDef, def)
					}
					compared.Add(1)
				}
			})
		}
	})
	if n := compared.Load(); n < 100 {
		t.Errorf("only %d case/platform pairs compared", n)
	}
}
