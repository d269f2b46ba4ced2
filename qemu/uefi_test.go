package qemu

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/leapboot/leapboot/images"
)

// ukiStub is systemd's UKI stub (Debian: systemd-boot-efi).
const ukiStub = "/usr/lib/systemd/boot/efi/linuxx64.efi.stub"

// buildLeapbootUKI writes the demo's leapboot kernel and initramfs, with
// cmdline, as a unified kernel image (images.BuildUKI) into dir.
func buildLeapbootUKI(t testing.TB, dir, cmdline string) string {
	t.Helper()
	stub, err := os.ReadFile(ukiStub)
	if err != nil {
		t.Fatalf("%v: install systemd-boot-efi (qemu/setup.sh test does)", err)
	}
	kernel, err := os.ReadFile(demo.Kernel.Vmlinuz)
	if err != nil {
		t.Fatal(err)
	}
	initramfs, err := os.ReadFile(demo.Initramfs)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := images.BuildUKI(&b, stub, kernel, images.WithUKIInitrd(initramfs), images.WithUKICmdline(cmdline)); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "leapboot.efi")
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestUEFIBootsLeapbootUKI: OVMF boots the leapboot UKI from an ESP's
// removable-media path \EFI\BOOT\BOOTX64.EFI; systemd's stub starts the
// kernel with the embedded initramfs and command line; the leapboot menu
// shows the demo disk's entries on the serial console, and the one picked
// by key is kexeced.
func TestUEFIBootsLeapbootUKI(t *testing.T) {
	dir := t.TempDir()
	efi := buildLeapbootUKI(t, dir, "console=ttyS0 panic=-1 leapboot.timeout=-1")
	esp := filepath.Join(dir, "esp.img")
	if err := BuildDisk(esp, []Part{{Name: "ESP", Type: "ef00", FS: "vfat", SizeMiB: 40, UUID: "5EED0004",
		Files: map[string]string{"/EFI/BOOT/BOOTX64.EFI": efi}}}); err != nil {
		t.Fatal(err)
	}
	o := Options{
		// The ESP first: OVMF boots the first disk with a removable-media
		// loader; the demo disk has none.
		Disks: []Disk{{Path: esp, ReadOnly: true}, {Path: demo.Disk, ReadOnly: true}},
		Extra: ovmf(t),
	}
	vm := boot(t, o)
	if _, err := vm.Expect(`leapboot: loaded \d+ modules`, bootTimeout); err != nil {
		t.Fatalf("leapboot did not start from the UKI: %v", err)
	}
	if _, err := vm.Expect(`Demo: second entry \(GRUB\)`, bootTimeout); err != nil {
		t.Fatal(err)
	}
	if _, err := vm.Expect(`Type a number`, bootTimeout); err != nil {
		t.Fatal(err)
	}
	vm.Send("2\r")
	expectBooted(t, vm, demo.Entries[1])
}
