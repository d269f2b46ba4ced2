package disk

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestNameCache: a name is answered "not there" from the listing only
// when no filesystem could find it under another spelling; whatever is
// there is found as without the cache.
func TestNameCache(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"EFI/BOOT", "boot/grub", "unicode/Straße", "big"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"EFI/BOOT/grub.cfg", "boot/grub/grub.cfg", "iso.;1"} {
		if err := os.WriteFile(filepath.Join(root, f), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i <= maxListedNames; i++ {
		if err := os.WriteFile(filepath.Join(root, "big", fmt.Sprint(i)), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c := &nameCache{}
	cases := []struct {
		dir, name string
		absent    bool
	}{
		{".", "EFI", false},
		{".", "efi", false},   // FAT and ISO 9660 find it in any case
		{".", "loader", true}, // not there
		{".", "iso", false},   // ISO 9660 finds "ISO.;1" as "iso"
		{"EFI/BOOT", "GRUB.CFG", false},
		{"EFI/BOOT", "bootx64.efi", true},
		{".", "GRUB~1.CFG", false},       // a FAT short alias is not listed
		{".", "loader.", false},          // FAT drops trailing dots
		{".", "lo ader", false},          // not a plain name
		{"unicode", "strasse", false},    // casefolded ext4: "ß" is "ss"
		{"big", "grub.cfg", false},       // too large to keep
		{"missing", "grub.cfg", false},   // cannot be listed
		{"boot/grub", "grub.cfg", false}, // there
		{"boot/grub", "grubenv", true},
	}
	for _, tc := range cases {
		if got := c.absent(root, tc.dir, tc.name); got != tc.absent {
			t.Errorf("absent(%q, %q) = %v, want %v", tc.dir, tc.name, got, tc.absent)
		}
	}

	// Through the FS: the same results and errors as without the cache.
	plain, cached := dirFS{root: root}, dirFS{root: root, names: &nameCache{}}
	for _, name := range []string{"EFI/BOOT/grub.cfg", "efi/boot/GRUB.CFG", "loader/loader.conf", "boot/grub/grubenv", "boot/grub/grub.cfg/x", "big/7", "big/x"} {
		_, err1 := fs.Stat(plain, name)
		_, err2 := fs.Stat(cached, name)
		if fmt.Sprint(err1) != fmt.Sprint(err2) || errors.Is(err1, syscall.ENOENT) != errors.Is(err2, syscall.ENOENT) {
			t.Errorf("stat %s: %v with the cache, %v without", name, err2, err1)
		}
	}
}

// TestNameCacheFIFO: a FIFO in the middle of a path is not opened to be
// listed (opening it would wait for a writer for ever).
func TestNameCacheFIFO(t *testing.T) {
	root := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(root, "boot"), 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := fs.Stat(dirFS{root: root, names: &nameCache{}}, "boot/grub/grub.cfg")
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Error("stat through a FIFO succeeded")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("stat through a FIFO hangs")
	}
	if readNames(filepath.Join(root, "boot"), false) != nil {
		t.Error("a FIFO was listed")
	}
}

// TestNameCacheFATShortNames: on FAT the kernel finds a long name by its
// 8.3 name too, which a listing does not show.
func TestNameCacheFATShortNames(t *testing.T) {
	root := t.TempDir()
	for _, f := range []string{"longfilename.txt", "initramfs-linux.img", ".hidden.conf", "a b+c.tar.gz"} {
		if err := os.WriteFile(filepath.Join(root, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fat, other := &nameCache{fat: true}, &nameCache{}
	for _, tc := range []struct {
		name        string
		absentOnFAT bool
	}{
		{"LONGFILE.TXT", false},
		{"longfile.txt", false},
		{"initramf.img", false},
		{"hidden.con", false},
		{"ab_ctar.gz", false},
		{"longfil.txt", true},
	} {
		if got := fat.absent(root, ".", tc.name); got != tc.absentOnFAT {
			t.Errorf("FAT: absent(%q) = %v, want %v", tc.name, got, tc.absentOnFAT)
		}
	}
	if !other.absent(root, ".", "longfile.txt") {
		t.Error("not FAT: the short form of a long name counted as present")
	}
}
