package disk

import (
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leapboot/leapboot/qemu"
)

func writeFile(t *testing.T, p, s string) string {
	t.Helper()
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestImage reads GPT disk images made by the real tools, without root.
func TestImage(t *testing.T) {
	dir := t.TempDir()
	cfg := writeFile(t, filepath.Join(dir, "grub.cfg"), "menuentry x {\n}\n")
	blob := writeFile(t, filepath.Join(dir, "blob"), strings.Repeat("0123456789abcdef", 4096))
	img := filepath.Join(dir, "disk.img")
	err := qemu.BuildDisk(img, []qemu.Part{
		{Name: "ESP", Type: "ef00", FS: "vfat", SizeMiB: 16, UUID: "C0FFEE01", Label: "EFI", PartUUID: "11111111-2222-4333-8444-555555555555",
			Files: map[string]string{"/EFI/Linux/blob.efi": blob}},
		{Name: "root", Type: "8300", FS: "ext4", SizeMiB: 16, UUID: "0b0e5e0b-1b1b-4c4c-8d8d-9e9e9e9e9e9e", Label: "rootfs",
			Files: map[string]string{"/boot/grub/grub.cfg": cfg}},
		{Name: "old", Type: "8300", FS: "ext4", SizeMiB: 8, MkfsArgs: []string{"-O", "^metadata_csum"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	vols, c, err := Image(img)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if len(vols) != 3 {
		t.Fatalf("%d volumes, want 3", len(vols))
	}
	esp, root, old := vols[0], vols[1], vols[2]
	if esp.FSType != "vfat" || esp.UUID != "C0FF-EE01" || esp.Label != "EFI" || esp.PartUUID != "11111111-2222-4333-8444-555555555555" ||
		esp.PartLabel != "ESP" || !esp.IsESP() || esp.Partition != 1 || esp.Err != nil {
		t.Errorf("ESP = %+v", esp)
	}
	if root.FSType != "ext4" || root.UUID != "0b0e5e0b-1b1b-4c4c-8d8d-9e9e9e9e9e9e" || root.Label != "rootfs" || root.Err != nil {
		t.Errorf("root = %+v", root)
	}
	if b, err := fs.ReadFile(root.FS, "boot/grub/grub.cfg"); err != nil || string(b) != "menuentry x {\n}\n" {
		t.Errorf("grub.cfg = %q, %v", b, err)
	}
	if _, err := fs.Stat(root.FS, "boot/grub/nothing.cfg"); !os.IsNotExist(err) {
		t.Errorf("missing file: err = %v, want fs.ErrNotExist", err)
	}
	if _, err := esp.FS.Open("EFI/Linux/nothing.efi"); !os.IsNotExist(err) {
		t.Errorf("missing FAT file: err = %v, want fs.ErrNotExist", err)
	}
	// Random access inside a FAT file, as the UKI reader needs.
	f, err := esp.FS.Open("EFI/Linux/blob.efi")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 8)
	if n, err := f.(io.ReaderAt).ReadAt(buf, 16*1000+3); err != nil || n != 8 || string(buf) != "3456789a" {
		t.Errorf("ReadAt = %q, %d, %v", buf, n, err)
	}
	if old.FS != nil || old.Err == nil || !strings.Contains(old.Err.Error(), "boot it under the kernel instead") {
		t.Errorf("ext4 without metadata_csum: FS %v, err %v", old.FS, old.Err)
	}
}

func TestImageWholeDiskAndGarbage(t *testing.T) {
	dir := t.TempDir()
	whole := filepath.Join(dir, "whole.img")
	if out, err := exec.Command("mkfs.vfat", "-C", "-n", "WHOLE", whole, "8192").CombinedOutput(); err != nil {
		t.Fatalf("mkfs.vfat: %v\n%s", err, out)
	}
	vols, c, err := Image(whole)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if len(vols) != 1 || vols[0].FSType != "vfat" || vols[0].Label != "WHOLE" || vols[0].Partition != 0 || vols[0].FS == nil {
		t.Errorf("whole-disk FAT = %+v", vols)
	}
	garbage := writeFile(t, filepath.Join(dir, "garbage.img"), strings.Repeat("garbage!", 1<<16))
	if _, _, err := Image(garbage); err == nil || !strings.Contains(err.Error(), "no partition table") {
		t.Errorf("garbage: err = %v", err)
	}
	if _, _, err := Image(filepath.Join(dir, "missing.img")); err == nil {
		t.Error("missing image: no error")
	}
}
