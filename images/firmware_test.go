package images

import (
	"bytes"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/u-root/u-root/pkg/cpio"
	"github.com/ulikunitz/xz"
)

// fakeModule is a relocatable ELF64 file with just a .modinfo section
// holding the given key=value strings, as a kernel module carries them.
func fakeModule(info ...string) []byte {
	modinfo := []byte(strings.Join(info, "\x00") + "\x00")
	shstr := []byte("\x00.modinfo\x00.shstrtab\x00")
	le := binary.LittleEndian
	const ehsize, shentsize = 64, 64
	var b bytes.Buffer
	hdr := make([]byte, ehsize)
	copy(hdr, "\x7fELF\x02\x01\x01")
	le.PutUint16(hdr[16:], 1)  // ET_REL
	le.PutUint16(hdr[18:], 62) // EM_X86_64
	le.PutUint32(hdr[20:], 1)  // EV_CURRENT
	shoff := ehsize + len(modinfo) + len(shstr)
	le.PutUint64(hdr[40:], uint64(shoff))
	le.PutUint16(hdr[52:], ehsize)
	le.PutUint16(hdr[58:], shentsize)
	le.PutUint16(hdr[60:], 3) // sections: null, .modinfo, .shstrtab
	le.PutUint16(hdr[62:], 2) // .shstrtab's index
	b.Write(hdr)
	b.Write(modinfo)
	b.Write(shstr)
	sh := func(name, typ uint32, off, size int) {
		s := make([]byte, shentsize)
		le.PutUint32(s[0:], name)
		le.PutUint32(s[4:], typ)
		le.PutUint64(s[24:], uint64(off))
		le.PutUint64(s[32:], uint64(size))
		le.PutUint64(s[48:], 1)
		b.Write(s)
	}
	sh(0, 0, 0, 0)
	sh(1, 1, ehsize, len(modinfo))             // .modinfo, SHT_PROGBITS
	sh(10, 3, ehsize+len(modinfo), len(shstr)) // .shstrtab, SHT_STRTAB
	return b.Bytes()
}

func TestModuleFirmware(t *testing.T) {
	ko := fakeModule("license=GPL", "firmware=vendor/a.bin", "alias=pci:v0001d*", "firmware=b.fw", "firmware=vendor/a.bin", "firmware=../../etc/shadow")
	got, err := moduleFirmware("x.ko", ko)
	if err != nil || strings.Join(got, " ") != "vendor/a.bin b.fw" {
		t.Errorf("moduleFirmware = %q, %v", got, err)
	}
	var xzko bytes.Buffer
	w, _ := xz.NewWriter(&xzko)
	w.Write(ko)
	w.Close()
	if got, err := moduleFirmware("x.ko.xz", xzko.Bytes()); err != nil || len(got) != 2 {
		t.Errorf("moduleFirmware(.ko.xz) = %q, %v", got, err)
	}
	if got, err := moduleFirmware("x.ko", []byte("EXT4")); err != nil || got != nil {
		t.Errorf("not ELF: %q, %v", got, err)
	}
	if _, err := moduleFirmware("x.ko.xz", []byte("not xz")); err == nil {
		t.Error("a broken .ko.xz gave no error")
	}
}

func TestFirmware(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "6.1.0-99-amd64")
	files := map[string][]byte{
		"modules.dep":                     []byte("kernel/drivers/net/nic.ko: kernel/drivers/base/fwhelper.ko\nkernel/drivers/base/fwhelper.ko:\n"),
		"kernel/drivers/net/nic.ko":       fakeModule("firmware=nic/fw-1.bin", "firmware=nic/fw-2.bin", "firmware=shared.bin"),
		"kernel/drivers/base/fwhelper.ko": fakeModule("firmware=shared.bin", "firmware=packed.bin"),
	}
	for name, data := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fw := fstest.MapFS{
		"nic/fw-1.bin":  {Data: []byte("FW1")},
		"shared.bin":    {Data: []byte("SHARED")},
		"packed.bin.xz": {Data: []byte("XZFW")},
		"unrelated.bin": {Data: []byte("NO")},
	}
	bin := filepath.Join(t.TempDir(), "leapboot")
	os.WriteFile(bin, []byte("x"), 0o755)
	opts := []Option{WithInit(bin), WithCompression(None), WithModules(dir, "nic"), WithFirmwareFS(fw)}
	var a, b bytes.Buffer
	rep, err := Build(&a, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Build(&b, opts...); err != nil || !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatalf("second build: %v, equal %v", err, bytes.Equal(a.Bytes(), b.Bytes()))
	}
	if strings.Join(rep.FirmwareFiles, " ") != "nic/fw-1.bin packed.bin.xz shared.bin" || rep.Firmware != 3+4+6 {
		t.Errorf("firmware %q, %d bytes", rep.FirmwareFiles, rep.Firmware)
	}
	if strings.Join(rep.FirmwareMissing, "; ") != "nic/fw-2.bin (nic)" {
		t.Errorf("missing %q", rep.FirmwareMissing)
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
	for name, want := range map[string]string{"lib/firmware/nic/fw-1.bin": "FW1", "lib/firmware/shared.bin": "SHARED", "lib/firmware/packed.bin.xz": "XZFW"} {
		if got[name] != want {
			t.Errorf("%s = %q, want %q", name, got[name], want)
		}
	}
	if _, ok := got["lib/firmware/unrelated.bin"]; ok {
		t.Error("undeclared firmware in the image")
	}
	if _, ok := got["lib/firmware/nic"]; !ok {
		t.Error("no lib/firmware/nic directory record")
	}
	// Without WithFirmware, no firmware and no report of it.
	rep, err = Build(io.Discard, WithInit(bin), WithModules(dir, "nic"))
	if err != nil || rep.Firmware != 0 || rep.FirmwareMissing != nil {
		t.Errorf("no firmware dir: %+v, %v", rep, err)
	}
}
