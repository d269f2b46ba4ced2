package rom

import (
	"bytes"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/leapboot/leapboot/images"
	"github.com/linuxboot/fiano/pkg/guid"
	"github.com/linuxboot/fiano/pkg/uefi"
	"github.com/linuxboot/fiano/pkg/visitors"
)

// debianOVMF is the firmware code image of Debian's ovmf package.
const debianOVMF = "/usr/share/OVMF/OVMF_CODE_4M.fd"

// debianStub is systemd's UKI stub from Debian's systemd-boot-efi package.
const debianStub = "/usr/lib/systemd/boot/efi/linuxx64.efi.stub"

func readFile(t *testing.T, p, pkg string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		if testing.Short() {
			t.Skipf("%v (short mode; make test installs %s)", err, pkg)
		}
		t.Fatalf("%v: install %s (qemu/setup.sh test does)", err, pkg)
	}
	return b
}

// fakeKernel is enough of a bzImage for images.BuildUKI.
func fakeKernel() []byte {
	k := make([]byte, 0x1000)
	copy(k[0x202:], "HdrS")
	return k
}

// noise is incompressible, like a compressed kernel.
func noise(n int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// fileData returns the PE32 section of the file with GUID g in the parsed
// image fw, nil if there is no such file.
func fileData(t *testing.T, fw uefi.Firmware, g guid.GUID) []byte {
	t.Helper()
	find := &visitors.Find{Predicate: visitors.FindFileGUIDPredicate(g)}
	if err := find.Run(fw); err != nil {
		t.Fatal(err)
	}
	if len(find.Matches) == 0 {
		return nil
	}
	for _, s := range find.Matches[0].(*uefi.File).Sections {
		if s.Header.Type == uefi.SectionTypePE32 {
			b := s.Buf()
			return b[len(b)-int(s.Header.ExtendedSize)+4:]
		}
	}
	t.Fatalf("file %s has no PE32 section", g)
	return nil
}

func TestBuild(t *testing.T) {
	ovmf := readFile(t, debianOVMF, "ovmf")
	stub := readFile(t, debianStub, "systemd-boot-efi")
	var uki bytes.Buffer
	if err := images.BuildUKI(&uki, stub, append(fakeKernel(), noise(3<<20)...), images.WithUKIInitrd(noise(1<<20)), images.WithUKICmdline("console=ttyS0")); err != nil {
		t.Fatal(err)
	}
	build := func() ([]byte, Report) {
		var b bytes.Buffer
		rep, err := Build(&b, ovmf, uki.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		return b.Bytes(), rep
	}
	rom, rep := build()
	if again, _ := build(); !bytes.Equal(rom, again) {
		t.Fatal("two builds of the same flash image differ")
	}
	if len(rom) != DefaultSize || rep.Size != DefaultSize {
		t.Fatalf("flash image of %d bytes (report %d), want %d", len(rom), rep.Size, DefaultSize)
	}
	if rep.DXEFV != 12<<20 || rep.Payload != int64(uki.Len()) || len(rep.Removed) != len(LinuxBootRemovals) || rep.RemovedBytes < 1<<20 {
		t.Errorf("report %+v", rep)
	}
	// The SEC volume, OVMF's last 0x34000 bytes, stays at the top.
	const secFV = 0x34000
	if !bytes.Equal(rom[len(rom)-secFV:], ovmf[len(ovmf)-secFV:]) {
		t.Error("the SEC volume is not at the top of the flash unchanged")
	}
	// Read back with fiano: the Shell file holds the payload, the removed
	// drivers are gone, DXEFV kept its size.
	uefi.Attributes.ErasePolarity = 0xF0
	fw, err := uefi.Parse(rom[len(rom)-int(rep.MainFV)-secFV:])
	if err != nil {
		t.Fatal(err)
	}
	if got := fileData(t, fw, ShellGUID); !bytes.Equal(got, uki.Bytes()) {
		t.Errorf("the Shell's PE32 (%d bytes) is not the payload (%d bytes)", len(got), uki.Len())
	}
	for g, name := range LinuxBootRemovals {
		if fileData(t, fw, *guid.MustParse(g)) != nil {
			t.Errorf("%s (%s) is still there", name, g)
		}
	}
	dxe, err := visitors.FindDXEFV(fw)
	if err != nil {
		t.Fatal(err)
	}
	if dxe.Length != 12<<20 {
		t.Errorf("DXEFV is %d bytes, want OVMF's 12 MiB", dxe.Length)
	}
}

func TestBuildErrors(t *testing.T) {
	ovmf := readFile(t, debianOVMF, "ovmf")
	big := append([]byte("MZ"), noise(11<<20)...)
	var b bytes.Buffer
	_, err := Build(&b, ovmf, big)
	if err == nil || !strings.Contains(err.Error(), "the DXE volume (12582912 bytes, fixed by OVMF's PcdOvmfDxeMemFvSize) has no room") ||
		!strings.Contains(err.Error(), "reduce size by") {
		t.Errorf("11 MiB payload: error %v", err)
	}
	for _, tc := range []struct {
		name     string
		fw, pl   []byte
		opts     []Option
		contains string
	}{
		{"not PE", ovmf, []byte("ELF"), nil, "not a PE image"},
		{"size", ovmf, []byte("MZ"), []Option{WithSize(1000)}, "multiple of 64 KiB"},
		{"small flash", ovmf, []byte("MZxx"), []Option{WithSize(1 << 20)}, "more than the 1048576-byte flash"},
		{"not firmware", bytes.Repeat([]byte{0xff}, 1<<16), []byte("MZ"), nil, "rom:"},
	} {
		b.Reset()
		_, err := Build(&b, tc.fw, tc.pl, tc.opts...)
		if err == nil || !strings.Contains(err.Error(), tc.contains) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.contains)
		}
	}
}
