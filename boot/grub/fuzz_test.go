package grub

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/leapboot/leapboot/boot"
)

// seedConfigs adds every grub.cfg of the corpus and a few tricky inputs.
func seedConfigs(f *testing.F) {
	_ = filepath.WalkDir("testdata/corpus", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".cfg") {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(string(b))
			}
		}
		return nil
	})
	for _, s := range []string{
		"", "{", "}", "if", "fi", "'", "\"", "\\", "$", "${", "${}", "$#$@$?$1",
		"menuentry", "menuentry a {", "function f { f; }; f", "while true; do; done",
		"for x in; do done", "set default='a>>b>c'", "[ ( ( ( ]", "x=$x$x$x",
		"submenu s { submenu t { menuentry m { linux /k; initrd /i; } } }",
		"source /boot/grub/grub.cfg", "configfile $prefix/grub.cfg", "blscfg",
		"load_env -f /boot/grub/grubenv a b", "search --set=root --file /k",
	} {
		f.Add(s)
	}
}

// FuzzParse runs the lexer and parser over arbitrary text.
func FuzzParse(f *testing.F) {
	seedConfigs(f)
	f.Fuzz(func(t *testing.T, src string) {
		nodes, errs := parseAll(src, 64, 10000)
		for _, e := range errs {
			if e.line < 1 || e.line > strings.Count(src, "\n")+2 {
				t.Fatalf("syntax error at line %d of a %d-line input", e.line, strings.Count(src, "\n")+1)
			}
		}
		_ = nodes
	})
}

// FuzzEvaluate runs the whole interpreter on a fuzzed grub.cfg over a
// MapFS with kernels, a grubenv, BLS entries and a second volume.
func FuzzEvaluate(f *testing.F) {
	seedConfigs(f)
	env, _ := EncodeEnv(map[string]string{"saved_entry": "1", "kernelopts": "root=/dev/sda ro"}, 0)
	limits := Limits{Steps: 20000, EntrySteps: 2000, TotalSteps: 100000, Entries: 200, ValueSize: 4096}
	f.Fuzz(func(t *testing.T, src string) {
		root := fstest.MapFS{
			"boot/grub/grub.cfg":            file(src),
			"boot/grub/grubenv":             &fstest.MapFile{Data: env},
			"boot/vmlinuz":                  file(""),
			"boot/initrd.img":               file(""),
			"loader/entries/a-1.0.conf":     file("title A\nversion 1.0\nlinux /boot/vmlinuz\ninitrd /boot/initrd.img\noptions $kernelopts\n"),
			"boot/grub/other.cfg":           file(src),
			"EFI/debian/grub.cfg":           file(src),
			"boot/grub/x86_64-efi/load.cfg": file("configfile $prefix/grub.cfg"),
		}
		vols := []*boot.Volume{
			{Device: "/dev/vda1", Disk: "/dev/vda", Partition: 1, UUID: "1234-ABCD", PartType: boot.PartTypeESP, FS: root},
			{Device: "/dev/vda2", Disk: "/dev/vda", Partition: 2, UUID: "u2", Label: "root", FS: fstest.MapFS{"boot/grub/grub.cfg": file("source (hd0,gpt1)/boot/grub/other.cfg")}},
			{Device: "/dev/vdb", Disk: "/dev/vdb", FSType: "iso9660", Err: fs.ErrNotExist},
			// openSUSE's layout: the config in the default subvolume.
			{Device: "/dev/vdc1", Disk: "/dev/vdc", Partition: 1, FSType: "btrfs", UUID: "b1", BtrfsDefault: "@/s",
				FS: fstest.MapFS{"@/s/boot/grub2/grub.cfg": file(src), "@/s/boot/vmlinuz": file(""), "@/x/boot/grub2/grub.cfg": file(src)}},
		}
		for _, p := range []string{"pc", "efi"} {
			start := time.Now()
			r := Evaluate(context.Background(), vols, WithPlatform(p), WithLimits(limits))
			// A guard against loops without end, not a benchmark: inputs
			// take milliseconds; a loaded machine (fuzzing beside QEMU
			// tests) once stalled a worker for 6 s on an input that
			// takes 60 ms.
			if d := time.Since(start); d > 15*time.Second {
				t.Fatalf("took %v", d)
			}
			m := r.Menu
			if len(m.Entries) == 0 && m.Default != -1 || len(m.Entries) > 0 && (m.Default < 0 || m.Default >= len(m.Entries)) {
				t.Fatalf("default %d with %d entries", m.Default, len(m.Entries))
			}
			for _, e := range m.Entries {
				if e.Source != boot.SourceGRUB || len(e.Menu) == 0 || e.Menu[len(e.Menu)-1] != e.Title {
					t.Fatalf("bad entry %+v", e)
				}
				if e.Kernel.Path != "" && !strings.HasPrefix(e.Kernel.Path, "/") && e.Kernel.Volume != nil {
					t.Fatalf("relative kernel path %q", e.Kernel.Path)
				}
				if e.Kernel.Volume != nil && (e.Kernel.Path == ".." || strings.HasPrefix(e.Kernel.Path, "../") || strings.Contains(e.Kernel.Path, "/../") || strings.HasSuffix(e.Kernel.Path, "/..")) {
					t.Fatalf("kernel path escapes: %q", e.Kernel.Path)
				}
			}
		}
	})
}

// FuzzReadEnv checks ReadEnv never fails on a signed block in a way that
// breaks EncodeEnv's round trip.
func FuzzReadEnv(f *testing.F) {
	_ = filepath.WalkDir("testdata/corpus", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Base(p) == "grubenv" {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
		return nil
	})
	f.Add([]byte(EnvSignature + "a=\\\n\\\\\n#\n=x\nb"))
	f.Fuzz(func(t *testing.T, b []byte) {
		vars, err := ReadEnv(b)
		if err != nil {
			return
		}
		good := map[string]string{}
		for k, v := range vars {
			if k != "" && !strings.ContainsAny(k, "=\n\\") && k[0] != '#' {
				good[k] = v
			}
		}
		enc, err := EncodeEnv(good, 1<<20)
		if err != nil {
			t.Fatalf("encode: %v", err)
		}
		back, err := ReadEnv(enc)
		if err != nil {
			t.Fatalf("re-read: %v", err)
		}
		for k, v := range good {
			if back[k] != v {
				t.Fatalf("%q: %q became %q", k, v, back[k])
			}
		}
		if len(b) >= len(EnvSignature) {
			if _, err := UpdateEnv(b, map[string]string{"x": "y"}, []string{"a"}); err != nil && !strings.Contains(err.Error(), "fit") && !strings.Contains(err.Error(), "bad variable") {
				t.Fatalf("update: %v", err)
			}
		}
	})
}
