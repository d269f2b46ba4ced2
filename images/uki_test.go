package images

import (
	"bytes"
	"debug/pe"
	"encoding/binary"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/leapboot/leapboot/boot/uki"
	"github.com/leapboot/leapboot/boot/uki/ukitest"
)

// debianStub is systemd's UKI stub from Debian's systemd-boot-efi package.
const debianStub = "/usr/lib/systemd/boot/efi/linuxx64.efi.stub"

func readStub(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(debianStub)
	if err != nil {
		if testing.Short() {
			t.Skipf("%v (short mode; make test installs systemd-boot-efi)", err)
		}
		t.Fatalf("%v: install systemd-boot-efi (qemu/setup.sh test does)", err)
	}
	return b
}

// fakeKernel looks like a bzImage to KernelRelease: the HdrS magic and a
// kernel_version pointer to a version string.
func fakeKernel(release string) []byte {
	k := make([]byte, 0x3000)
	copy(k[0x202:], "HdrS")
	binary.LittleEndian.PutUint16(k[0x20e:], 0x300)
	copy(k[0x500:], release+" (debian-kernel@lists.debian.org) #1 SMP PREEMPT_DYNAMIC\x00")
	for i := 0x1000; i < len(k); i++ {
		k[i] = byte(i * 7)
	}
	return k
}

func TestKernelRelease(t *testing.T) {
	if got := KernelRelease(fakeKernel("6.1.0-99-amd64")); got != "6.1.0-99-amd64" {
		t.Errorf("KernelRelease = %q", got)
	}
	for _, b := range [][]byte{nil, make([]byte, 0x1000), []byte(strings.Repeat("x", 0x300))} {
		if got := KernelRelease(b); got != "" {
			t.Errorf("KernelRelease(not a bzImage) = %q", got)
		}
	}
	noNUL := fakeKernel("6.1")
	for i := 0x500; i < len(noNUL); i++ {
		noNUL[i] = 'a'
	}
	if got := KernelRelease(noNUL); got != "" {
		t.Errorf("KernelRelease(unterminated) = %q", got)
	}
}

func TestBuildUKIDebianStub(t *testing.T) {
	stub := readStub(t)
	kernel := fakeKernel("6.1.0-99-amd64")
	initrd := bytes.Repeat([]byte("leapboot initramfs "), 5000)
	const cmdline = "console=ttyS0 quiet"
	build := func() []byte {
		var b bytes.Buffer
		if err := BuildUKI(&b, stub, kernel, WithUKIInitrd(initrd), WithUKICmdline(cmdline)); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	img := build()
	if again := build(); !bytes.Equal(img, again) {
		t.Fatal("two builds of the same UKI differ")
	}

	// debug/pe: the stub's sections are kept, the new ones follow in order,
	// aligned, without overlapping, and SizeOfImage covers them.
	f, err := pe.NewFile(bytes.NewReader(img))
	if err != nil {
		t.Fatal(err)
	}
	sf, err := pe.NewFile(bytes.NewReader(stub))
	if err != nil {
		t.Fatal(err)
	}
	n := len(sf.Sections)
	want := map[string][]byte{".osrel": []byte(DefaultUKIOSRelease), ".cmdline": []byte(cmdline), ".uname": []byte("6.1.0-99-amd64"), ".linux": kernel, ".initrd": initrd}
	order := []string{".osrel", ".cmdline", ".uname", ".linux", ".initrd"}
	if len(f.Sections) != n+len(order) {
		t.Fatalf("%d sections, want %d", len(f.Sections), n+len(order))
	}
	oh := f.OptionalHeader.(*pe.OptionalHeader64)
	soh := sf.OptionalHeader.(*pe.OptionalHeader64)
	end := uint64(soh.SizeOfImage)
	for i, s := range f.Sections {
		if i < n {
			if s.SectionHeader != sf.Sections[i].SectionHeader {
				t.Errorf("stub section %d changed: %+v, was %+v", i, s.SectionHeader, sf.Sections[i].SectionHeader)
			}
			continue
		}
		if s.Name != order[i-n] {
			t.Errorf("section %d is %s, want %s", i, s.Name, order[i-n])
		}
		if uint64(s.VirtualAddress) < end || s.VirtualAddress%oh.SectionAlignment != 0 || s.Offset%oh.FileAlignment != 0 {
			t.Errorf("%s at VA %#x, file %#x: overlaps (previous end %#x) or unaligned", s.Name, s.VirtualAddress, s.Offset, end)
		}
		end = uint64(s.VirtualAddress) + uint64(s.VirtualSize)
		data, err := s.Data()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(data[:s.VirtualSize], want[s.Name]) {
			t.Errorf("section %s holds the wrong bytes", s.Name)
		}
		flags := uint32(pe.IMAGE_SCN_CNT_INITIALIZED_DATA | pe.IMAGE_SCN_MEM_READ)
		if s.Name == ".linux" {
			flags = pe.IMAGE_SCN_CNT_CODE | pe.IMAGE_SCN_MEM_READ
		}
		if s.Characteristics != flags {
			t.Errorf("%s characteristics %#x, want %#x", s.Name, s.Characteristics, flags)
		}
	}
	if wantSize := alignUp(end, uint64(oh.SectionAlignment)); uint64(oh.SizeOfImage) != wantSize {
		t.Errorf("SizeOfImage %#x, want %#x", oh.SizeOfImage, wantSize)
	}
	if oh.AddressOfEntryPoint != soh.AddressOfEntryPoint || oh.SizeOfHeaders != soh.SizeOfHeaders {
		t.Error("the entry point or header size changed")
	}
	// The stub's bytes after the headers are unchanged.
	if !bytes.Equal(img[soh.SizeOfHeaders:len(stub)], stub[soh.SizeOfHeaders:]) {
		t.Error("the stub's section data changed")
	}

	// Our own UKI reader finds what leapboot would boot.
	im, err := uki.Open(bytes.NewReader(img), int64(len(img)))
	if err != nil {
		t.Fatal(err)
	}
	b, err := im.Boot(-1)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := io.ReadAll(b.Kernel); !bytes.Equal(got, kernel) {
		t.Error("uki: .linux differs from the kernel")
	}
	if len(b.Initrds) != 1 {
		t.Fatalf("uki: %d initrds, want 1", len(b.Initrds))
	}
	if got, _ := io.ReadAll(b.Initrds[0]); !bytes.Equal(got, initrd) {
		t.Error("uki: .initrd differs from the initramfs")
	}
	if b.Cmdline != cmdline {
		t.Errorf("uki: cmdline %q, want %q", b.Cmdline, cmdline)
	}
	if osr, err := im.OSRelease(); err != nil || osr["ID"] != "leapboot" {
		t.Errorf("uki: os-release %v, %v", osr, err)
	}

	// binutils agrees, when it is installed.
	if _, err := exec.LookPath("objdump"); err == nil {
		p := t.TempDir() + "/leapboot.efi"
		if err := os.WriteFile(p, img, 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("objdump", "-h", p).CombinedOutput()
		if err != nil {
			t.Fatalf("objdump -h: %v\n%s", err, out)
		}
		for _, name := range order {
			if !strings.Contains(string(out), " "+name+" ") {
				t.Errorf("objdump -h does not list %s:\n%s", name, out)
			}
		}
		if !strings.Contains(string(out), "pei-x86-64") {
			t.Errorf("objdump does not see a PE32+ x86-64 image:\n%s", out)
		}
	}
}

func TestBuildUKIOptionalSections(t *testing.T) {
	stub := readStub(t)
	var b bytes.Buffer
	if err := BuildUKI(&b, stub, []byte("not a bzImage"), WithUKIUname(""), WithUKIOSRelease("ID=x\n")); err != nil {
		t.Fatal(err)
	}
	f, err := pe.NewFile(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range f.Sections[len(f.Sections)-2:] {
		names = append(names, s.Name)
	}
	if strings.Join(names, " ") != ".osrel .linux" {
		t.Errorf("added sections %q, want .osrel .linux (no cmdline, uname or initrd given)", names)
	}
	b.Reset()
	if err := BuildUKI(&b, stub, fakeKernel("6.1.0-99-amd64"), WithUKIUname("6.6.6")); err != nil {
		t.Fatal(err)
	}
	f, _ = pe.NewFile(bytes.NewReader(b.Bytes()))
	if s := f.Section(".uname"); s == nil {
		t.Error("no .uname section")
	} else if d, _ := s.Data(); string(d[:s.VirtualSize]) != "6.6.6" {
		t.Errorf(".uname = %q, want the one given", d[:s.VirtualSize])
	}
}

func TestBuildUKIErrors(t *testing.T) {
	kernel := fakeKernel("6.1.0-99-amd64")
	small := ukitest.Build(ukitest.Section{Name: ".text", Data: []byte("code")})
	signed := bytes.Clone(small)
	// Security directory (entry 4) of the PE32+ optional header at 0x80+24.
	binary.LittleEndian.PutUint32(signed[0x80+24+112+4*8+4:], 16)
	for _, tc := range []struct {
		name         string
		stub, kernel []byte
		want         string
	}{
		{"no room", small, kernel, "no room for 3 more section headers"},
		{"duplicate", ukitest.UKI("ID=x", "", []byte("k"), nil), kernel, "already has a .osrel section"},
		{"not PE", []byte(strings.Repeat("MZ", 100)), kernel, "reading the stub"},
		{"signed", signed, kernel, "the stub is signed"},
		{"no kernel", small, nil, "no kernel"},
	} {
		err := BuildUKI(io.Discard, tc.stub, tc.kernel)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
}
