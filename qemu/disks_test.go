package qemu

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leapboot/leapboot/images"
)

// coldplugInitramfs is a leapboot initramfs that loads no module up front:
// every driver comes from coldplug (modaliases) or the filesystem found.
func coldplugInitramfs(t testing.TB) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "coldplug.cpio.gz")
	var b bytes.Buffer
	rep, err := images.Build(&b, images.WithInit(demo.Init), images.WithModules(demo.Kernel.Modules), images.WithOnDemandModules("boot"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Missing) > 0 {
		t.Logf("modules not in this kernel: %v", rep.Missing)
	}
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestColdplugAHCINVMeUSB: one image with no hand-written module list finds
// the demo disk on SATA (AHCI), NVMe and USB at once, and boots from the
// AHCI one.
func TestColdplugAHCINVMeUSB(t *testing.T) {
	o := demo.Options("leapboot.timeout=0")
	o.Initrd = coldplugInitramfs(t)
	o.Disks = []Disk{
		{Path: demo.Disk, Bus: "ahci", ReadOnly: true},
		{Path: demo.Disk, Bus: "nvme", ReadOnly: true},
		{Path: demo.Disk, Bus: "usb", ReadOnly: true},
	}
	vm := boot(t, o)
	got, err := vm.Expect(`leapboot: (\d+) volumes, (\d+) entries`, bootTimeout)
	if err != nil {
		t.Fatal(err)
	}
	if got[1] != "6" || got[2] != fmt.Sprint(3*len(demo.Entries)) {
		t.Errorf("found %s volumes and %s entries, want 6 and %d", got[1], got[2], 3*len(demo.Entries))
	}
	expectBooted(t, vm, demo.Entries[0])
}

// TestIOErrorDiskSkipped: a disk whose every read fails (QEMU's blkdebug)
// is reported, and the good disk's default entry still boots.
func TestIOErrorDiskSkipped(t *testing.T) {
	dir := t.TempDir()
	rules := filepath.Join(dir, "blkdebug.conf")
	os.WriteFile(rules, []byte("[inject-error]\nevent = \"read_aio\"\nerrno = \"5\"\n"), 0o644)
	bad := filepath.Join(dir, "bad.img")
	if err := exec.Command("truncate", "-s", "64M", bad).Run(); err != nil {
		t.Fatal(err)
	}
	o := demo.Options("leapboot.timeout=0")
	o.Disks = []Disk{{Path: bad, Driver: "blkdebug:" + rules + ":", ReadOnly: true}, {Path: demo.Disk, ReadOnly: true}}
	vm := boot(t, o)
	expectBooted(t, vm, demo.Entries[0])
}

func sha(t *testing.T, p string) string {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

// TestReadOnlyDirtyJournal: the demo disk, attached writable, with its ext4
// marked as needing journal recovery (which a plain read-only mount would
// replay, writing the disk): after leapboot has mounted it, read the
// entries and kexec'd, not one byte of the image has changed.
func TestReadOnlyDirtyJournal(t *testing.T) {
	img := filepath.Join(t.TempDir(), "dirty.img")
	b, err := os.ReadFile(demo.Disk)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(img, b, 0o644); err != nil {
		t.Fatal(err)
	}
	start, _, err := geometry(img, 2)
	if err != nil {
		t.Fatal(err)
	}
	dev := fmt.Sprintf("%s?offset=%d", img, start*512)
	if out, err := exec.Command("debugfs", "-w", "-R", "feature needs_recovery", dev).CombinedOutput(); err != nil {
		t.Fatalf("debugfs: %v\n%s", err, out)
	}
	out, _ := exec.Command("dumpe2fs", "-h", dev).Output()
	if !strings.Contains(string(out), "needs_recovery") {
		t.Fatalf("could not mark the journal dirty:\n%s", out)
	}
	before := sha(t, img)
	o := demo.Options("leapboot.timeout=0")
	o.Disks = []Disk{{Path: img}} // writable
	vm := boot(t, o)
	expectBooted(t, vm, demo.Entries[0])
	vm.Kill()
	if after := sha(t, img); after != before {
		t.Errorf("the disk image changed while leapboot read it")
	}
}

// TestHotplugUSB: a USB stick plugged in while the menu waits is found: its
// drivers load (usb_storage was not needed at boot) and the menu rescans
// and lists its entries too.
func TestHotplugUSB(t *testing.T) {
	o := demo.Options("leapboot.timeout=-1")
	o.Initrd = coldplugInitramfs(t)
	o.Extra = append(o.Extra, "-device", "qemu-xhci,id=xhci")
	vm := boot(t, o)
	n := len(demo.Entries)
	if _, err := vm.Expect(fmt.Sprintf(`leapboot: 2 volumes, %d entries`, n), bootTimeout); err != nil {
		t.Fatal(err)
	}
	// QEMU's monitor shares the serial line: Ctrl-A c switches to it and back.
	vm.Send("\x01c")
	vm.Send(fmt.Sprintf("drive_add 0 if=none,id=hot,file=%s,format=raw,snapshot=on\n", demo.Disk))
	vm.Send("device_add usb-storage,bus=xhci.0,drive=hot,id=stick\n")
	vm.Send("\x01c")
	if _, err := vm.Expect(`new device sd[a-z]+\d*: rescanning`, bootTimeout); err != nil {
		t.Fatal(err)
	}
	if _, err := vm.Expect(fmt.Sprintf(`leapboot: 4 volumes, %d entries`, 2*n), bootTimeout); err != nil {
		t.Fatal(err)
	}
}
