package sources

import (
	"context"
	"debug/pe"
	"encoding/binary"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/leapboot/leapboot/boot"
	"github.com/leapboot/leapboot/boot/disk"
	"github.com/leapboot/leapboot/boot/uki/ukitest"
)

// The hostile-disk corpus: each case is a volume anyone could plug in,
// read by the whole discovery (Read over the volumes, as `leapboot list`
// and the boot menu do) next to a good volume. Volumes are directories
// read through disk.Dir, the same directory reader the kernel-mounted
// volumes get. Every case must
//   - name the file (and line, where there is one) in a diagnostic, a
//     broken entry's error or the volume's error;
//   - leave the good volume's GRUB, BLS and syslinux entries whole;
//   - stay within the limits below.
//
// The limits are generous bounds, not benchmarks: a case that needs more
// has a bug (a loop without end, input read without bound). Each case
// takes 1-250 ms on a quiet machine; 15 s leaves room for a loaded one.
const (
	maxTime  = 15 * time.Second
	maxAlloc = 256 << 20 // bytes allocated in all, an upper bound of the heap
)

// tree writes files (and symbolic links, for values starting with "->")
// under dir.
func tree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		if target, ok := strings.CutPrefix(content, "->"); ok {
			err = os.Symlink(target, p)
		} else {
			err = os.WriteFile(p, []byte(content), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func dirVolume(t *testing.T, dir string) *boot.Volume {
	t.Helper()
	v, err := disk.Dir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// goodVolume holds one entry of each kind.
func goodVolume(t *testing.T, dir string) *boot.Volume {
	tree(t, dir, map[string]string{
		"boot/grub/grub.cfg":             "menuentry 'Good GRUB' {\n\tlinux /boot/vmlinuz good=grub\n\tinitrd /boot/initrd.img\n}\n",
		"boot/loader/entries/good.conf":  "title Good BLS\nlinux /boot/vmlinuz\ninitrd /boot/initrd.img\noptions good=bls\n",
		"boot/extlinux/extlinux.conf":    "LABEL good\n  MENU LABEL Good syslinux\n  KERNEL /boot/vmlinuz\n  INITRD /boot/initrd.img\n  APPEND good=syslinux\n",
		"boot/vmlinuz":                   "",
		"boot/initrd.img":                "initrd",
		"boot/loader/entries/.hidden.cf": "",
	})
	return dirVolume(t, dir)
}

// checkGood: the good volume's three entries are there and bootable.
func checkGood(t *testing.T, m boot.Menu, good *boot.Volume) {
	t.Helper()
	want := map[string]string{
		"Good GRUB":     "BOOT_IMAGE=/boot/vmlinuz good=grub",
		"Good BLS":      "good=bls",
		"Good syslinux": "BOOT_IMAGE=/boot/vmlinuz good=syslinux initrd=/boot/initrd.img",
	}
	for _, e := range m.Entries {
		w, ok := want[e.Title]
		if !ok || e.Origin.Volume != good {
			continue
		}
		delete(want, e.Title)
		if e.Err != nil || e.Cmdline != w || e.Kernel.Volume != good || e.Kernel.Path != "/boot/vmlinuz" ||
			len(e.Initrds) != 1 || e.Initrds[0].Path != "/boot/initrd.img" {
			t.Errorf("good entry %q: cmdline %q, kernel %v, initrds %v, err %v", e.Title, e.Cmdline, e.Kernel, e.Initrds, e.Err)
		}
	}
	for title := range want {
		t.Errorf("good entry %q is missing", title)
	}
}

// problems lists every problem Read reported, one per line, as
// "file:line: message": diagnostics, broken entries and unreadable volumes.
func problems(m boot.Menu, vols []*boot.Volume) []string {
	var out []string
	for _, d := range m.Diagnostics {
		out = append(out, fmt.Sprintf("%s:%d: %s", d.Origin.Path, d.Origin.Line, d.Message))
	}
	for _, e := range m.Entries {
		if e.Err != nil {
			out = append(out, fmt.Sprintf("%s:%d: entry %q: %v", e.Origin.Path, e.Origin.Line, e.Title, e.Err))
		}
	}
	for _, v := range vols {
		if v.Err != nil {
			out = append(out, fmt.Sprintf("%s: %v", v.Device, v.Err))
		}
	}
	return out
}

// hostileCase is one hostile volume; want are substrings that one
// problem line must all contain ("file:line:" first).
type hostileCase struct {
	name  string
	build func(t *testing.T, dir string)
	want  []string
	// check looks further at the menu, when set.
	check func(t *testing.T, m boot.Menu)
}

func runHostile(t *testing.T, tc hostileCase) {
	t.Run(tc.name, func(t *testing.T) {
		top := t.TempDir()
		hdir, gdir := filepath.Join(top, "hostile"), filepath.Join(top, "good")
		os.MkdirAll(hdir, 0o755)
		tc.build(t, hdir)
		good := goodVolume(t, gdir)
		vols := []*boot.Volume{dirVolume(t, hdir), good}
		var m boot.Menu
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		start := time.Now()
		done := make(chan struct{})
		go func() {
			defer close(done)
			m = Read(context.Background(), vols)
		}()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Fatal("discovery still running after 30 s")
		}
		took := time.Since(start)
		runtime.ReadMemStats(&after)
		alloc := after.TotalAlloc - before.TotalAlloc
		t.Logf("%v, %d MiB allocated, %d entries, %d diagnostics", took.Round(time.Millisecond), alloc>>20, len(m.Entries), len(m.Diagnostics))
		if took > maxTime {
			t.Errorf("took %v, more than %v", took, maxTime)
		}
		if alloc > maxAlloc {
			t.Errorf("allocated %d MiB, more than %d", alloc>>20, maxAlloc>>20)
		}
		checkGood(t, m, good)
		probs := problems(m, vols)
	found:
		for _, p := range probs {
			for _, w := range tc.want {
				if !strings.Contains(p, w) {
					continue found
				}
			}
			t.Logf("problem: %s", p)
			if tc.check != nil {
				tc.check(t, m)
			}
			return
		}
		if len(probs) > 20 {
			probs = append(probs[:20], "…")
		}
		t.Errorf("no problem with all of %q; got:\n%s", tc.want, strings.Join(probs, "\n"))
	})
}

// grubCase is a hostile grub.cfg.
func grubCase(name, cfg string, want ...string) hostileCase {
	return hostileCase{name: name, want: want, build: func(t *testing.T, dir string) {
		tree(t, dir, map[string]string{"boot/grub/grub.cfg": cfg, "boot/vmlinuz": ""})
	}}
}

// ukiSections builds a UKI (.osrel, .cmdline, .linux) whose section
// headers edit changes (VirtualSize at 8, SizeOfRawData at 16,
// PointerToRawData at 20).
func ukiSections(edit func(h [3][]byte)) []byte {
	img := ukitest.Build(
		ukitest.Section{Name: ".osrel", Data: []byte("ID=hostile\nPRETTY_NAME=Hostile\nVERSION_ID=1\n")},
		ukitest.Section{Name: ".cmdline", Data: []byte("hostile")},
		ukitest.Section{Name: ".linux", Data: []byte("KERNEL")},
	)
	le := binary.LittleEndian
	peOff := le.Uint32(img[0x3c:])
	sh := int(peOff) + 4 + binary.Size(pe.FileHeader{}) + int(le.Uint16(img[peOff+4+16:]))
	var h [3][]byte
	for i := range h {
		h[i] = img[sh+40*i : sh+40*(i+1)]
	}
	edit(h)
	return img
}

func TestHostileDisks(t *testing.T) {
	le := binary.LittleEndian
	const deep = 10000
	cases := []hostileCase{
		{name: "100 MB grub.cfg", want: []string{"/boot/grub/grub.cfg:0:", "larger than"}, build: func(t *testing.T, dir string) {
			tree(t, dir, map[string]string{"boot/grub/grub.cfg": "menuentry Big {\n"})
			if err := os.Truncate(filepath.Join(dir, "boot/grub/grub.cfg"), 100<<20); err != nil {
				t.Fatal(err)
			}
		}},
		grubCase("configfile loop", "set x=1\nconfigfile /boot/grub/grub.cfg\n", "/boot/grub/grub.cfg:2:", "recursion deeper than"),
		grubCase("source loop", "source $prefix/grub.cfg\n", "/boot/grub/grub.cfg:1:", "recursion deeper than"),
		grubCase("while true", "menuentry A { linux /boot/vmlinuz; }\nwhile true; do true; done\n", "/boot/grub/grub.cfg:2:", "step budget"),
		grubCase("10,000-deep if", strings.Repeat("if true; then\n", deep)+strings.Repeat("fi\n", deep), "/boot/grub/grub.cfg:", "nesting deeper than"),
		grubCase("10,000-deep functions", strings.Repeat("function f {\n", deep)+strings.Repeat("}\n", deep), "/boot/grub/grub.cfg:", "nesting deeper than"),
		grubCase("10,000-deep submenus", strings.Repeat("submenu s {\n", deep)+strings.Repeat("}\n", deep), "/boot/grub/grub.cfg:", "nesting deeper than"),
		grubCase("10,000-deep calls", "function f { f; }\nf\n", "/boot/grub/grub.cfg:1:", "recursion deeper than"),
		{name: "symlink loops", want: []string{"/loader/entries/loop.conf:0:", "too many levels of symbolic links"},
			build: func(t *testing.T, dir string) {
				tree(t, dir, map[string]string{
					"loader/entries/loop.conf": "->loop.conf",
					"loader/entries/ping.conf": "->pong.conf",
					"loader/entries/pong.conf": "->ping.conf",
					"loader/entries/dir.conf":  "->../entries",
					"loader/entries/k.conf":    "title K\nlinux /boot/k\n",
					"boot/k":                   "->../boot/k",
					"boot/grub/grub.cfg":       "menuentry L { linux /boot/k; }\nsource /boot/grub/self.cfg\n",
					"boot/grub/self.cfg":       "->self.cfg",
					"extlinux/extlinux.conf":   "->../extlinux/extlinux.conf",
					"syslinux.cfg":             "LABEL s\n KERNEL /boot/self/self/self/k\n",
					"boot/self":                "->.",
				})
			},
			check: func(t *testing.T, m boot.Menu) {
				for _, e := range m.Entries {
					if (e.Title == "K" || e.Title == "L" || e.Title == "s") && e.Err == nil {
						t.Errorf("entry %q with a looping kernel is not broken", e.Title)
					}
				}
			}},
		{name: "FIFO as a config", want: []string{"/loader/entries/fifo.conf:0:", "not a regular file"},
			build: func(t *testing.T, dir string) {
				tree(t, dir, map[string]string{"boot/grub/x": "", "loader/entries/x": "", "extlinux/x": ""})
				for _, p := range []string{"boot/grub/grub.cfg", "loader/entries/fifo.conf", "extlinux/extlinux.conf"} {
					if err := syscall.Mkfifo(filepath.Join(dir, p), 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}},
		{name: "../ paths out of the volume", want: []string{"/boot/grub/grub.cfg:1:", "/secret", "not found"},
			build: func(t *testing.T, dir string) {
				// The files exist one level above the volume, where
				// ../ would reach if it were not stopped at the root.
				tree(t, filepath.Dir(dir), map[string]string{"secret": "outside", "secret-initrd": "outside"})
				tree(t, dir, map[string]string{
					"boot/grub/grub.cfg": "menuentry G { linux /../../../../secret; initrd ../../secret-initrd; }\n" +
						"menuentry H { linux /boot/out; }\nmenuentry I { linux /boot/abs; }\n",
					"loader/entries/b.conf":  "title B\nlinux ../../../../secret\ninitrd /../secret-initrd\n",
					"extlinux/extlinux.conf": "LABEL s\n KERNEL ../../../secret\n INITRD ../../secret-initrd\n",
					"boot/out":               "->../../secret",
					"boot/abs":               "->" + filepath.Join(filepath.Dir(dir), "secret"),
				})
			},
			check: func(t *testing.T, m boot.Menu) {
				seen := map[string]bool{}
				defer func() {
					for _, title := range []string{"G", "H", "I", "B", "s"} {
						if !seen[title] {
							t.Errorf("entry %q is missing", title)
						}
					}
				}()
				for _, e := range m.Entries {
					if strings.HasPrefix(e.Title, "Good") {
						continue
					}
					seen[e.Title] = true
					if e.Err == nil || !strings.Contains(e.Err.Error(), "not found") {
						t.Errorf("entry %q (kernel %s): err %v, want not found", e.Title, e.Kernel.Path, e.Err)
					}
					// Whatever the path, reading it through the volume
					// never gives the file outside.
					for _, f := range append([]boot.File{e.Kernel}, e.Initrds...) {
						if f.Volume == nil {
							continue
						}
						if b, err := fs.ReadFile(f.Volume.FS, boot.FSPath(f.Path)); err == nil && string(b) == "outside" {
							t.Errorf("entry %q: %s read a file outside the volume", e.Title, f.Path)
						}
					}
				}
			}},
		{name: "10,000 BLS entries", want: []string{"/loader/entries:0:", "entry files"}, build: func(t *testing.T, dir string) {
			files := map[string]string{"vmlinuz": ""}
			for i := range deep {
				files[fmt.Sprintf("loader/entries/e%05d.conf", i)] = fmt.Sprintf("title E\nversion %d\nlinux /vmlinuz\noptions n=%d\n", i%3, i) // titles alike: told apart
			}
			tree(t, dir, files)
		}},
		{name: "UKI with huge or overlapping sections", want: []string{"/EFI/Linux/overlap.efi:0:", "overlap"},
			build: func(t *testing.T, dir string) {
				overlap := ukiSections(func(h [3][]byte) {
					le.PutUint32(h[1][20:], le.Uint32(h[0][20:])) // .cmdline starts where .osrel does
				})
				outside := ukiSections(func(h [3][]byte) {
					le.PutUint32(h[2][8:], 0xfffffff0)
					le.PutUint32(h[2][16:], 0xfffffff0)
				})
				tree(t, dir, map[string]string{"EFI/Linux/overlap.efi": string(overlap), "EFI/Linux/outside.efi": string(outside)})
				// A 3 GiB kernel section, in a sparse file: it is listed
				// without being read.
				var linuxOff int64
				huge := ukiSections(func(h [3][]byte) {
					linuxOff = int64(le.Uint32(h[2][20:]))
					le.PutUint32(h[2][8:], 3<<30)
					le.PutUint32(h[2][16:], 3<<30)
				})
				// A 64 MiB .cmdline, also sparse: too big to read.
				hugeCmd := ukiSections(func(h [3][]byte) {
					le.PutUint32(h[1][20:], 1<<30)
					le.PutUint32(h[1][8:], 64<<20)
					le.PutUint32(h[1][16:], 64<<20)
				})
				tree(t, dir, map[string]string{"EFI/Linux/huge.efi": string(huge), "EFI/Linux/hugecmd.efi": string(hugeCmd)})
				for name, size := range map[string]int64{"huge.efi": linuxOff + 3<<30, "hugecmd.efi": 1<<30 + 64<<20} {
					if err := os.Truncate(filepath.Join(dir, "EFI/Linux", name), size); err != nil {
						t.Fatal(err)
					}
				}
			},
			check: func(t *testing.T, m boot.Menu) {
				got := map[string]string{}
				for _, e := range m.Entries {
					if e.UKI != nil {
						s := "ok"
						if e.Err != nil {
							s = e.Err.Error()
						}
						got[filepath.Base(e.UKI.Path)] = s
					}
				}
				for name, want := range map[string]string{"overlap.efi": "overlap", "outside.efi": "outside", "huge.efi": "ok", "hugecmd.efi": "more than"} {
					if !strings.Contains(got[name], want) {
						t.Errorf("%s: %q, want %q", name, got[name], want)
					}
				}
			}},
		{name: "syslinux include loop", want: []string{"/extlinux/extlinux.conf:2:", "include loop"}, build: func(t *testing.T, dir string) {
			tree(t, dir, map[string]string{"extlinux/extlinux.conf": "LABEL a\nINCLUDE extlinux.conf\n", "extlinux/a.cfg": strings.Repeat("INCLUDE a.cfg\nINCLUDE a.cfg\n", 1000)})
		}},
	}
	for _, tc := range cases {
		runHostile(t, tc)
	}
}

// TestMissingInitrd: in every format, an entry whose initrd is missing is
// listed broken, its error naming the file, and the entries next to it
// stay bootable.
func TestMissingInitrd(t *testing.T) {
	dir := t.TempDir()
	tree(t, dir, map[string]string{
		"boot/vmlinuz":    "",
		"boot/initrd.img": "",
		"boot/grub/grub.cfg": "menuentry 'GRUB missing' {\n\tlinux /boot/vmlinuz\n\tinitrd /boot/initrd.img /boot/gone-grub.img\n}\n" +
			"menuentry 'GRUB fine' {\n\tlinux /boot/vmlinuz\n\tinitrd /boot/initrd.img\n}\n",
		"boot/loader/entries/missing.conf": "title BLS missing\nlinux /boot/vmlinuz\ninitrd /boot/gone-bls.img\n",
		"boot/loader/entries/fine.conf":    "title BLS fine\nlinux /boot/vmlinuz\ninitrd /boot/initrd.img\n",
		"extlinux/extlinux.conf": "LABEL missing\n MENU LABEL syslinux missing\n KERNEL /boot/vmlinuz\n INITRD /boot/gone-syslinux.img\n" +
			"LABEL fine\n MENU LABEL syslinux fine\n KERNEL /boot/vmlinuz\n INITRD /boot/initrd.img\n",
	})
	m := Read(context.Background(), []*boot.Volume{dirVolume(t, dir)})
	want := map[string]string{
		"GRUB missing": "/boot/gone-grub.img: file not found", "GRUB fine": "",
		"BLS missing": "/boot/gone-bls.img: file not found", "BLS fine": "",
		"syslinux missing": "/boot/gone-syslinux.img: file not found", "syslinux fine": "",
	}
	for _, e := range m.Entries {
		w, ok := want[e.Title]
		if !ok {
			t.Errorf("unexpected entry %q", e.Title)
			continue
		}
		delete(want, e.Title)
		switch {
		case w == "" && e.Err != nil:
			t.Errorf("%q is broken: %v", e.Title, e.Err)
		case w != "" && (e.Err == nil || !strings.Contains(e.Err.Error(), w)):
			t.Errorf("%q: err %v, want it to say %q", e.Title, e.Err, w)
		case w != "":
			t.Logf("%s: %v", e.Title, e.Err)
		}
	}
	for title := range want {
		t.Errorf("entry %q missing", title)
	}
}
