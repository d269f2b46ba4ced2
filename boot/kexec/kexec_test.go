package kexec

import (
	"bytes"
	"errors"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"

	"github.com/leapboot/leapboot/boot"
)

func TestConcat(t *testing.T) {
	v := &boot.Volume{FS: fstest.MapFS{
		"ucode.img": {Data: []byte("abcde")},
		"initrd":    {Data: []byte("xyz")},
	}}
	var b bytes.Buffer
	n, err := Concat(&b, []boot.File{{Volume: v, Path: "/ucode.img"}, {Volume: v, Path: "/initrd"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := "abcde\x00\x00\x00xyz\x00"; b.String() != want || n != int64(len(want)) {
		t.Errorf("Concat = %q (%d), want %q", b.String(), n, want)
	}
	_, err = Concat(&b, []boot.File{{Volume: v, Path: "/missing"}})
	if err == nil || !strings.Contains(err.Error(), "open initrd") {
		t.Errorf("missing initrd: err = %v", err)
	}
}

func TestPlanFor(t *testing.T) {
	v := &boot.Volume{FS: fstest.MapFS{}}
	for _, tc := range []struct {
		name string
		e    boot.Entry
		want string // substring of the error, "" for success
	}{
		{"ok", boot.Entry{Kernel: boot.File{Volume: v, Path: "/k"}, Cmdline: "ro"}, ""},
		{"broken", boot.Entry{Title: "x", Err: errors.New("file not found")}, "cannot boot: file not found"},
		{"no kernel", boot.Entry{Title: "x"}, "no readable kernel"},
		{"long", boot.Entry{Kernel: boot.File{Volume: v, Path: "/k"}, Cmdline: strings.Repeat("a", 3000)}, "at most 2047"},
		{"initrd nowhere", boot.Entry{Kernel: boot.File{Volume: v, Path: "/k"}, Initrds: []boot.File{{Path: "/i"}}}, "no readable volume"},
	} {
		_, err := PlanFor(&tc.e)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestExplain(t *testing.T) {
	for errno, want := range map[syscall.Errno]string{
		syscall.EPERM:         "locked down",
		syscall.EKEYREJECTED:  "signature was rejected",
		syscall.ENOEXEC:       "not a kernel image",
		syscall.EBUSY:         "leapboot unload",
		syscall.EADDRNOTAVAIL: "do not fit",
		syscall.EINVAL:        "too long",
		syscall.ENOSYS:        "CONFIG_KEXEC_FILE",
	} {
		err := Explain("kexec_file_load", errno)
		if !strings.Contains(err.Error(), want) || !errors.Is(err, errno) {
			t.Errorf("Explain(%v) = %v, want it to mention %q and wrap the errno", errno, err, want)
		}
	}
}

func TestParseLockdown(t *testing.T) {
	for in, want := range map[string]string{
		"[none] integrity confidentiality\n": "none",
		"none [integrity] confidentiality\n": "integrity",
		"":                                   "",
	} {
		if got := ParseLockdown(in); got != want {
			t.Errorf("ParseLockdown(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLockdownParam(t *testing.T) {
	for in, want := range map[string]string{
		"console=ttyS0 lockdown=integrity quiet": "integrity",
		"lockdown=bogus":                         "",
		"ro":                                     "",
	} {
		if got := lockdownParam(in); got != want {
			t.Errorf("lockdownParam(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDetect(t *testing.T) {
	image := make([]byte, 0x40)
	copy(image[0x38:], "ARM\x64")
	bz := make([]byte, 0x400)
	copy(bz[0x202:], "HdrS")
	zboot := []byte("MZ\x00\x00zimg" + strings.Repeat("\x00", 0x20))
	for _, tc := range []struct {
		name string
		file []byte
		want Format
	}{
		{"bzImage", bz, FormatBzImage},
		{"Image", image, FormatImage},
		{"Image.gz", []byte{0x1f, 0x8b, 8, 0}, FormatGzip},
		{"zboot", zboot, FormatZboot},
		{"garbage", []byte("not a kernel"), FormatUnknown},
		{"empty", nil, FormatUnknown},
	} {
		if got := Detect(tc.file); got != tc.want {
			t.Errorf("%s: Detect = %s, want %s", tc.name, got, tc.want)
		}
	}
}
