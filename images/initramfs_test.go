package images

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/u-root/u-root/pkg/cpio"
	"github.com/ulikunitz/xz"
)

func fakeTree(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "6.1.0-99-amd64")
	for name, data := range map[string]string{
		"modules.dep":                     "kernel/fs/ext4/ext4.ko: kernel/fs/jbd2/jbd2.ko\nkernel/fs/jbd2/jbd2.ko:\nkernel/crypto/crc32c_generic.ko:\n",
		"modules.softdep":                 "softdep ext4 pre: crc32c\n",
		"modules.alias":                   "alias crc32c crc32c_generic\n",
		"kernel/fs/ext4/ext4.ko":          "EXT4",
		"kernel/fs/jbd2/jbd2.ko":          "JBD2",
		"kernel/crypto/crc32c_generic.ko": "CRC",
	} {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func decompress(t *testing.T, c Compression, b []byte) []byte {
	t.Helper()
	var r io.Reader
	var err error
	switch c {
	case None:
		return b
	case Gzip:
		r, err = gzip.NewReader(bytes.NewReader(b))
	case XZ:
		r, err = xz.NewReader(bytes.NewReader(b))
	case Zstd:
		var d *zstd.Decoder
		d, err = zstd.NewReader(bytes.NewReader(b))
		r = d
	case LZ4:
		if !bytes.HasPrefix(b, []byte{0x02, 0x21, 0x4c, 0x18}) {
			t.Fatalf("lz4: no legacy magic: % x", b[:min(len(b), 4)])
		}
		r = lz4.NewReader(bytes.NewReader(b))
	}
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestBuild(t *testing.T) {
	tree := fakeTree(t)
	bin := filepath.Join(t.TempDir(), "leapboot")
	os.WriteFile(bin, []byte("\x7fELF fake"), 0o755)
	for _, c := range []Compression{None, Gzip, XZ, Zstd, LZ4} {
		t.Run(string(c), func(t *testing.T) {
			var a, b bytes.Buffer
			opts := []Option{WithInit(bin), WithCompression(c), WithModules(tree, "ext4"), WithContents("etc/leapboot.toml", []byte("x"))}
			rep, err := Build(&a, opts...)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Build(&b, opts...); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Fatal("two builds differ")
			}
			if _, err := Build(io.Discard, append(opts, WithOnDemandModules("nosuch", "fs-nothing"))...); err != nil {
				t.Fatal(err)
			}
			if rep.Compressed != int64(a.Len()) || strings.Join(rep.ModuleNames, " ") != "crc32c_generic jbd2 ext4" {
				t.Errorf("report = %+v", rep)
			}
			recs, err := cpio.ReadAllRecords(cpio.Newc.Reader(bytes.NewReader(decompress(t, c, a.Bytes()))))
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, r := range recs {
				data, _ := io.ReadAll(io.NewSectionReader(r.ReaderAt, 0, int64(r.FileSize)))
				got[r.Name] = string(data)
			}
			want := map[string]string{
				"init":                       "\x7fELF fake",
				"etc/leapboot.toml":          "x",
				"lib/modules/leapboot.order": "/lib/modules/6.1.0-99-amd64/kernel/crypto/crc32c_generic.ko\n/lib/modules/6.1.0-99-amd64/kernel/fs/jbd2/jbd2.ko\n/lib/modules/6.1.0-99-amd64/kernel/fs/ext4/ext4.ko\n",
				"lib/modules/6.1.0-99-amd64/kernel/fs/ext4/ext4.ko": "EXT4",
			}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
			for _, d := range []string{"dev/console", "proc", "sys", "tmp", "run"} {
				if _, ok := got[d]; !ok {
					t.Errorf("archive lacks %s", d)
				}
			}
		})
	}
}

func TestOnDemandModules(t *testing.T) {
	tree := fakeTree(t)
	bin := filepath.Join(t.TempDir(), "leapboot")
	os.WriteFile(bin, []byte("x"), 0o755)
	var a bytes.Buffer
	rep, err := Build(&a, WithInit(bin), WithCompression(None), WithModules(tree), WithOnDemandModules("jbd2", "nosuch"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rep.ModuleNames, " ") != "jbd2" || strings.Join(rep.Missing, " ") != "nosuch" {
		t.Errorf("report = %+v", rep)
	}
	recs, err := cpio.ReadAllRecords(cpio.Newc.Reader(bytes.NewReader(a.Bytes())))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range recs {
		data, _ := io.ReadAll(io.NewSectionReader(r.ReaderAt, 0, int64(r.FileSize)))
		got[r.Name] = string(data)
	}
	if got["lib/modules/6.1.0-99-amd64/modules.dep"] != "kernel/fs/jbd2/jbd2.ko:\n" {
		t.Errorf("modules.dep = %q", got["lib/modules/6.1.0-99-amd64/modules.dep"])
	}
	if got["lib/modules/leapboot.order"] != "" {
		t.Errorf("on-demand modules in the load order: %q", got["lib/modules/leapboot.order"])
	}
}

func TestRefusesDynamicInit(t *testing.T) {
	// /bin/sh on the build machine is dynamically linked.
	err := func() error { _, err := Build(io.Discard, WithInit("/bin/sh")); return err }()
	if err == nil || !strings.Contains(err.Error(), "CGO_ENABLED=0") {
		t.Errorf("Build with a dynamic /init: err = %v", err)
	}
}

func TestRescue(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "leapboot")
	os.WriteFile(bin, []byte("x"), 0o755)
	busybox := filepath.Join(t.TempDir(), "busybox")
	os.WriteFile(busybox, []byte("not ELF: accepted as a stand-in"), 0o755)
	var a bytes.Buffer
	rep, err := Build(&a, WithInit(bin), WithCompression(None), WithRescue(busybox))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := cpio.ReadAllRecords(cpio.Newc.Reader(bytes.NewReader(a.Bytes())))
	if err != nil {
		t.Fatal(err)
	}
	links := map[string]string{}
	for _, r := range recs {
		data, _ := io.ReadAll(io.NewSectionReader(r.ReaderAt, 0, int64(r.FileSize)))
		links[r.Name] = string(data)
	}
	if links["bin/sh"] != "busybox" || links["bin/mount"] != "busybox" || rep.Tools == 0 {
		t.Errorf("bin/sh -> %q, bin/mount -> %q, tools %d", links["bin/sh"], links["bin/mount"], rep.Tools)
	}
	if _, err := Build(io.Discard, WithInit(bin), WithRescue("/bin/sh")); err == nil || !strings.Contains(err.Error(), "use a static busybox") {
		t.Errorf("a dynamic busybox: err = %v", err)
	}
	if _, err := Build(io.Discard, WithInit(bin), WithRescue(filepath.Join(t.TempDir(), "none"))); err == nil || !strings.Contains(err.Error(), "busybox-static") {
		t.Errorf("no busybox: err = %v", err)
	}
}

func TestParseCompression(t *testing.T) {
	for _, s := range []string{"none", "gzip", "xz", "zstd", "lz4"} {
		if c, err := ParseCompression(s); err != nil || string(c) != s {
			t.Errorf("ParseCompression(%q) = %q, %v", s, c, err)
		}
	}
	if _, err := ParseCompression("bzip2"); err == nil || !strings.Contains(err.Error(), "lz4") {
		t.Errorf("ParseCompression(bzip2): err = %v", err)
	}
}
