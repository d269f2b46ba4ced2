package grub

import (
	"context"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/leapboot/leapboot/boot"
	"github.com/leapboot/leapboot/boot/boottest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// loadVolume reads a directory into a MapFS volume, reading and hiding
// the sidecars.
func loadVolume(t testing.TB, dir string, part int) *boot.Volume {
	t.Helper()
	m := fstest.MapFS{}
	v := &boot.Volume{Device: fmt.Sprintf("/dev/vda%d", part), Disk: "/dev/vda", Partition: part,
		PartType: "0fc63daf-8483-4772-8e79-3d69d8477de4", FS: m}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == "." {
			return nil
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			m[rel] = &fstest.MapFile{Mode: fs.ModeDir | 0o755}
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if boottest.Sidecars[rel] {
			val := strings.TrimSpace(string(b))
			switch rel {
			case "UUID":
				v.UUID = val
			case "LABEL":
				v.Label = val
			case "TYPE":
				v.FSType = val
			case "PARTLABEL":
				v.PartLabel = val
			case "PARTUUID":
				v.PartUUID = val
			case "BTRFS_DEFAULT":
				v.BtrfsDefault = val
			}
			return nil
		}
		m[rel] = &fstest.MapFile{Data: b, Mode: 0o644}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Stat(m, "EFI"); err == nil {
		v.PartType = boot.PartTypeESP
	}
	return v
}

func loadCase(t testing.TB, dir string) []*boot.Volume {
	t.Helper()
	var vols []*boot.Volume
	for _, vd := range boottest.VolumeDirs {
		p := filepath.Join(dir, vd)
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			vols = append(vols, loadVolume(t, p, len(vols)+1))
		}
	}
	if len(vols) == 0 {
		vols = append(vols, loadVolume(t, dir, 1))
	}
	return vols
}

// render is the golden text form of a result.
func render(r *Result, vols []*boot.Volume) string {
	devs := newDevices(vols)
	vname := func(v *boot.Volume) string {
		if v == nil {
			return "?"
		}
		return devs.name(v)
	}
	file := func(f boot.File) string { return vname(f.Volume) + ":" + f.Path }
	var b strings.Builder
	m := r.Menu
	fmt.Fprintf(&b, "default: %d", m.Default)
	if e := m.DefaultEntry(); e != nil {
		fmt.Fprintf(&b, " (%s)", e.ID)
	}
	b.WriteString("\n")
	switch {
	case !m.TimeoutSet:
		fmt.Fprintf(&b, "timeout: unset (wait)\n")
	case m.Timeout == boot.WaitForever:
		fmt.Fprintf(&b, "timeout: wait\n")
	default:
		fmt.Fprintf(&b, "timeout: %v\n", m.Timeout)
	}
	fmt.Fprintf(&b, "timeout_style: %s\n", r.TimeoutStyle)
	for _, c := range r.Configs {
		fmt.Fprintf(&b, "config: %s\n", file(c))
	}
	for k, e := range m.Entries {
		fmt.Fprintf(&b, "\nentry %d: %s\n", k, strings.Join(e.Menu, " > "))
		fmt.Fprintf(&b, "  id: %s\n", e.ID)
		fmt.Fprintf(&b, "  origin: %s:%s:%d\n", vname(e.Origin.Volume), e.Origin.Path, e.Origin.Line)
		if !e.Kernel.IsZero() {
			fmt.Fprintf(&b, "  kernel: %s\n", file(e.Kernel))
		}
		for _, f := range e.Initrds {
			fmt.Fprintf(&b, "  initrd: %s\n", file(f))
		}
		if e.Devicetree != nil {
			fmt.Fprintf(&b, "  devicetree: %s\n", file(*e.Devicetree))
		}
		if e.Cmdline != "" {
			fmt.Fprintf(&b, "  cmdline: %s\n", e.Cmdline)
		}
		if e.Err != nil {
			fmt.Fprintf(&b, "  err: %v\n", e.Err)
		}
		for _, w := range r.EntryEnvWrites[k] {
			fmt.Fprintf(&b, "  on boot: %s\n", renderWrite(w, vname))
		}
	}
	if len(r.EnvWrites) > 0 {
		b.WriteString("\n")
	}
	for _, w := range r.EnvWrites {
		fmt.Fprintf(&b, "env write: %s (%s:%s:%d)\n", renderWrite(w, vname), vname(w.Origin.Volume), w.Origin.Path, w.Origin.Line)
	}
	if len(m.Diagnostics) > 0 {
		b.WriteString("\n")
	}
	for _, d := range m.Diagnostics {
		fmt.Fprintf(&b, "diag: %s:%s:%d: %s\n", vname(d.Origin.Volume), d.Origin.Path, d.Origin.Line, d.Message)
	}
	return b.String()
}

func renderWrite(w EnvWrite, vname func(*boot.Volume) string) string {
	s := w.Command
	if w.File != "" {
		s += " -f " + w.File
	}
	for _, v := range w.Vars {
		if v.Unset {
			s += " " + v.Name + " (unset)"
		} else {
			s += fmt.Sprintf(" %s=%q", v.Name, v.Value)
		}
	}
	if w.Err != nil {
		s += " -> error: " + w.Err.Error()
	} else {
		s += " -> " + vname(w.Volume) + ":" + w.Path
	}
	return s
}

func TestCorpus(t *testing.T) {
	dirs, err := os.ReadDir("testdata/corpus")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		for _, platform := range []string{"pc", "efi"} {
			name := d.Name() + "." + platform
			t.Run(name, func(t *testing.T) {
				vols := loadCase(t, filepath.Join("testdata/corpus", d.Name()))
				r := Evaluate(context.Background(), vols, WithPlatform(platform))
				got := render(r, vols)
				golden := filepath.Join("testdata/golden", name+".txt")
				if *update {
					if err := os.MkdirAll("testdata/golden", 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run go test -update)", err)
				}
				if got != string(want) {
					t.Errorf("%s differs from the golden file; got:\n%s", golden, got)
				}
			})
		}
	}
}
