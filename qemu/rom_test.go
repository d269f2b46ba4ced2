package qemu

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/leapboot/leapboot/images"
	"github.com/leapboot/leapboot/images/rom"
)

// TestROMLeapboot: the flash image with leapboot's UKI (Debian's kernel,
// the slim /init, BootModules, xz) as QEMU's only firmware: OVMF starts it
// from the flash, the leapboot menu shows the demo disk's ESP entry, and
// picking it kexecs the demo system; the ext4 partition's GRUB entries are
// listed too. If the payload ever outgrows the DXE
// volume, the test fails with rom.Build's exact shortfall. The boot manager
// still calls the Shell's boot option by its name. The kexec goes through
// kexec_load (leapboot.kexec=kexec_load), as with a LinuxBoot kernel built
// without KEXEC_FILE: leapboot lays out the bzImage, boot_params and e820
// map itself, and passes the ACPI RSDP from the EFI system table, so this
// also proves that path on UEFI firmware.
func TestROMLeapboot(t *testing.T) {
	stub, err := os.ReadFile(ukiStub)
	if err != nil {
		t.Fatalf("%v: install systemd-boot-efi (qemu/setup.sh test does)", err)
	}
	firmware, err := os.ReadFile(ovmfCode)
	if err != nil {
		t.Fatalf("%v: install ovmf (qemu/setup.sh test does)", err)
	}
	kernel, err := os.ReadFile(demo.Kernel.Vmlinuz)
	if err != nil {
		t.Fatal(err)
	}
	var initramfs, uki, flash bytes.Buffer
	if _, err := images.Build(&initramfs, images.WithInit(demo.Init), images.WithCompression(images.XZ),
		images.WithModules(demo.Kernel.Modules, BootModules...)); err != nil {
		t.Fatal(err)
	}
	if err := images.BuildUKI(&uki, stub, kernel, images.WithUKIInitrd(initramfs.Bytes()),
		images.WithUKICmdline("console=ttyS0 panic=-1 leapboot.timeout=-1 leapboot.kexec=kexec_load")); err != nil {
		t.Fatal(err)
	}
	rep, err := rom.Build(&flash, firmware, uki.Bytes())
	if err != nil {
		t.Fatalf("initramfs %d bytes, UKI %d bytes: %v", initramfs.Len(), uki.Len(), err)
	}
	t.Logf("flash image: %d bytes; UKI %d bytes (initramfs %d); DXE volume %d bytes, %d free; FVMAIN_COMPACT %d bytes",
		rep.Size, rep.Payload, initramfs.Len(), rep.DXEFV, rep.DXEFVFree, rep.MainFV)
	p := filepath.Join(t.TempDir(), "leapboot.rom")
	if err := os.WriteFile(p, flash.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	vm := boot(t, Options{Disks: []Disk{{Path: demo.Disk, ReadOnly: true}}, Extra: []string{"-bios", p}})
	if _, err := vm.Expect(`starting Boot\d+ "EFI Internal Shell" from Fv\(`, bootTimeout); err != nil {
		t.Fatalf("OVMF did not start the payload from the flash: %v", err)
	}
	bls := demo.Entries[4]
	if _, err := vm.Expect(regexp.QuoteMeta(demo.Entries[0].Title), bootTimeout); err != nil {
		t.Fatalf("the menu lacks the ext4 partition's GRUB entry: %v", err)
	}
	if _, err := vm.Expect(regexp.QuoteMeta(bls.Title), bootTimeout); err != nil {
		t.Fatalf("the leapboot menu did not show the ESP entry: %v", err)
	}
	if _, err := vm.Expect(`Type a number`, bootTimeout); err != nil {
		t.Fatal(err)
	}
	vm.Send("5\r")
	if _, err := vm.Expect(`loaded with kexec_load\r?\n`, bootTimeout); err != nil {
		t.Fatal(err)
	}
	expectBooted(t, vm, bls)
	if !regexp.MustCompile(`ACPI: RSDP 0x[0-9A-F]+ `).MatchString(vm.Output()[strings.LastIndex(vm.Output(), "loaded with kexec_load"):]) {
		t.Error("the kexec'd kernel found no ACPI RSDP")
	}
}
