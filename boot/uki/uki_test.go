package uki

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leapboot/leapboot/boot/uki/ukitest"
)

func open(t *testing.T, b []byte) (*Image, error) {
	t.Helper()
	return Open(bytes.NewReader(b), int64(len(b)))
}

func readAll(t *testing.T, r *io.SectionReader) string {
	t.Helper()
	if r == nil {
		return "<nil>"
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestBoot(t *testing.T) {
	img := ukitest.Build(
		ukitest.Section{Name: ".text", Data: []byte("stub code")},
		ukitest.Section{Name: ".osrel", Data: []byte("NAME=Test\nPRETTY_NAME=\"Test OS 1\"\nVERSION_ID=1\n")},
		ukitest.Section{Name: ".cmdline", Data: []byte("root=/dev/vda quiet\n\x00junk")},
		ukitest.Section{Name: ".uname", Data: []byte("6.1.0-test")},
		ukitest.Section{Name: ".initrd", Data: []byte("INITRD")},
		ukitest.Section{Name: ".ucode", Data: []byte("UCODE")},
		ukitest.Section{Name: ".linux", Data: []byte("KERNEL")},
		ukitest.Section{Name: ".dtb", Data: []byte("DTB")},
	)
	im, err := open(t, img)
	if err != nil {
		t.Fatal(err)
	}
	if im.Profiles() != 0 {
		t.Errorf("Profiles = %d", im.Profiles())
	}
	b, err := im.Boot(-1)
	if err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, b.Kernel); got != "KERNEL" {
		t.Errorf("kernel %q", got)
	}
	var inits []string
	for _, r := range b.Initrds {
		inits = append(inits, readAll(t, r))
	}
	if got := strings.Join(inits, ","); got != "UCODE,INITRD" {
		t.Errorf("initrds %q, want ucode first", got)
	}
	if b.Cmdline != "root=/dev/vda quiet" || !b.HasCmdline {
		t.Errorf("cmdline %q", b.Cmdline)
	}
	if got := readAll(t, b.Devicetree); got != "DTB" {
		t.Errorf("dtb %q", got)
	}
	osr, err := im.OSRelease()
	if err != nil || osr["PRETTY_NAME"] != "Test OS 1" || osr["VERSION_ID"] != "1" {
		t.Errorf("osrel %v %v", osr, err)
	}
	if u, ok, _ := im.Text(".uname", -1); !ok || u != "6.1.0-test" {
		t.Errorf("uname %q", u)
	}
}

func TestProfiles(t *testing.T) {
	img := ukitest.Build(
		ukitest.Section{Name: ".osrel", Data: []byte("ID=test\n")},
		ukitest.Section{Name: ".cmdline", Data: []byte("quiet")},
		ukitest.Section{Name: ".linux", Data: []byte("K")},
		ukitest.Section{Name: ".profile", Data: []byte("ID=regular\nTITLE=\"Regular boot\"\n")},
		ukitest.Section{Name: ".profile", Data: []byte("ID=factory-reset\n")},
		ukitest.Section{Name: ".cmdline", Data: []byte("quiet systemd.unit=factory-reset.target")},
		ukitest.Section{Name: ".profile", Data: []byte("")},
		ukitest.Section{Name: ".cmdline", Data: []byte("quiet rd.systemd.unit=storage-target-mode.target")},
		ukitest.Section{Name: ".initrd", Data: []byte("I2")},
	)
	im, err := open(t, img)
	if err != nil {
		t.Fatal(err)
	}
	if im.Profiles() != 3 {
		t.Fatalf("Profiles = %d", im.Profiles())
	}
	want := []struct {
		id, title, cmdline string
		initrds            int
	}{
		{"regular", "Regular boot", "quiet", 0},
		{"factory-reset", "", "quiet systemd.unit=factory-reset.target", 0},
		{"", "", "quiet rd.systemd.unit=storage-target-mode.target", 1},
	}
	for i, w := range want {
		info, err := im.ProfileInfo(i)
		if err != nil || info.ID != w.id || info.Title != w.title {
			t.Errorf("profile %d: %+v %v", i, info, err)
		}
		b, err := im.Boot(i)
		if err != nil {
			t.Fatal(err)
		}
		if b.Cmdline != w.cmdline || len(b.Initrds) != w.initrds || readAll(t, b.Kernel) != "K" {
			t.Errorf("profile %d: cmdline %q, %d initrds", i, b.Cmdline, len(b.Initrds))
		}
	}
	if b, _ := im.Boot(-1); b.Cmdline != "quiet" {
		t.Errorf("default profile cmdline %q", b.Cmdline)
	}
	if _, err := im.Boot(3); err == nil {
		t.Error("profile 3 should not exist")
	}
}

// corrupt returns a copy of img with its section table (starting at the
// first header) changed.
func corrupt(img []byte, f func(h []byte)) []byte {
	b := append([]byte(nil), img...)
	peOff := binary.LittleEndian.Uint32(b[0x3c:])
	optSize := binary.LittleEndian.Uint16(b[peOff+4+16:])
	sh := int(peOff) + 4 + 20 + int(optSize)
	f(b[sh:])
	return b
}

func TestMalformed(t *testing.T) {
	good := ukitest.UKI("ID=x\nVERSION_ID=1\n", "a", []byte("KERNEL"), []byte("INITRD"))
	tests := []struct {
		name string
		img  []byte
		want string
	}{
		{"empty", nil, "too small"},
		{"not PE", bytes.Repeat([]byte("x"), 100), "not a PE"},
		{"truncated", good[:600], "outside"},
		{"truncated header", good[:150], "malformed"},
		{"huge section", corrupt(good, func(h []byte) {
			binary.LittleEndian.PutUint32(h[8:], 0xfffffff0)  // VirtualSize
			binary.LittleEndian.PutUint32(h[16:], 0xfffffff0) // SizeOfRawData
		}), "outside"},
		{"virtual beyond raw", corrupt(good, func(h []byte) {
			binary.LittleEndian.PutUint32(h[8:], 4096)
		}), "larger than"},
		{"overlap", corrupt(good, func(h []byte) {
			binary.LittleEndian.PutUint32(h[20:], binary.LittleEndian.Uint32(h[40+20:])) // same offset as the next
		}), "overlap"},
		{"no linux", ukitest.Build(ukitest.Section{Name: ".osrel", Data: []byte("ID=x")}), "no .linux"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := open(t, tt.img)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
	if _, err := open(t, ukitest.Build(ukitest.Section{Name: ".text", Data: []byte("x")})); !errors.Is(err, ErrNotUKI) {
		t.Errorf("want ErrNotUKI, got %v", err)
	}
}

func TestTextLimit(t *testing.T) {
	img := ukitest.Build(ukitest.Section{Name: ".linux", Data: []byte("K")},
		ukitest.Section{Name: ".cmdline", Data: bytes.Repeat([]byte("a"), MaxTextSection+1)})
	im, err := open(t, img)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := im.Boot(0); err == nil {
		t.Error("oversized .cmdline accepted")
	}
}

func TestParseEnv(t *testing.T) {
	m := ParseEnv("# c\nNAME=\"Fedora Linux\"\nID=fedora\nVERSION='38 (x)'\n\nBAD\nQ=\"a\\\"b\"\n")
	want := map[string]string{"NAME": "Fedora Linux", "ID": "fedora", "VERSION": "38 (x)", "Q": `a"b`}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %q, want %q", k, m[k], v)
		}
	}
	if len(m) != len(want) {
		t.Errorf("got %v", m)
	}
}

// TestRealStub builds a UKI from systemd's EFI stub with objcopy, as the
// UKI documentation describes, when both are installed (Debian packages
// systemd-boot-efi and binutils).
func TestRealStub(t *testing.T) {
	const stub = "/usr/lib/systemd/boot/efi/linuxx64.efi.stub"
	objcopy, err := exec.LookPath("objcopy")
	if _, serr := os.Stat(stub); err != nil || serr != nil {
		if testing.Short() {
			t.Skip("needs objcopy and " + stub + " (short mode; make test installs them)")
		}
		t.Fatal("needs objcopy and " + stub + " (Debian: binutils, systemd-boot-efi; make test installs them)")
	}
	dir := t.TempDir()
	files := map[string]string{"osrel": "ID=test\nPRETTY_NAME=\"Stub Test\"\nVERSION_ID=7\n",
		"cmdline": "console=ttyS0 root=/dev/vda", "linux": "KERNELBYTES", "initrd": "INITRDBYTES"}
	for n, c := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "test.efi")
	cmd := exec.Command(objcopy,
		"--add-section", ".osrel="+filepath.Join(dir, "osrel"), "--change-section-vma", ".osrel=0x20000",
		"--add-section", ".cmdline="+filepath.Join(dir, "cmdline"), "--change-section-vma", ".cmdline=0x30000",
		"--add-section", ".linux="+filepath.Join(dir, "linux"), "--change-section-vma", ".linux=0x2000000",
		"--add-section", ".initrd="+filepath.Join(dir, "initrd"), "--change-section-vma", ".initrd=0x3000000",
		stub, out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("objcopy: %v\n%s", err, b)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	im, err := Open(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	b, err := im.Boot(-1)
	if err != nil {
		t.Fatal(err)
	}
	if readAll(t, b.Kernel) != "KERNELBYTES" || len(b.Initrds) != 1 || readAll(t, b.Initrds[0]) != "INITRDBYTES" ||
		b.Cmdline != files["cmdline"] {
		t.Errorf("real stub UKI read wrong: cmdline %q", b.Cmdline)
	}
	if osr, _ := im.OSRelease(); osr["PRETTY_NAME"] != "Stub Test" {
		t.Errorf("osrel %v", osr)
	}
}

func FuzzOpen(f *testing.F) {
	f.Add(ukitest.UKI("ID=x\nVERSION_ID=1\n", "a b", []byte("K"), []byte("I")))
	f.Add(ukitest.Build(ukitest.Section{Name: ".linux", Data: []byte("K")},
		ukitest.Section{Name: ".profile", Data: []byte("ID=a")},
		ukitest.Section{Name: ".cmdline", Data: []byte("x")}))
	f.Add([]byte("MZ"))
	f.Fuzz(func(t *testing.T, b []byte) {
		im, err := Open(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		for p := -1; p < im.Profiles()+1; p++ {
			if bt, err := im.Boot(p); err == nil {
				_, _ = io.Copy(io.Discard, bt.Kernel)
			}
			_, _ = im.ProfileInfo(p)
		}
		_, _ = im.OSRelease()
	})
}
