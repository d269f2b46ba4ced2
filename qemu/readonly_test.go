package qemu

import (
	"bytes"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leapboot/leapboot/images"
)

// xfsUUID is the UUID of the XFS the read-only test boots from.
const xfsUUID = "0f5a1c2e-7d3b-4e6f-9a8b-1c2d3e4f5a6b"

// dirtyXFSInit is the /init of a throwaway VM that leaves an XFS log that
// needs recovery: it mounts the filesystem read-write, changes metadata,
// forces the log to disk (sync writes the log, not the metadata in place)
// and reboots at once, without unmounting. QEMU runs with -no-reboot, so
// the reboot ends it.
const dirtyXFSInit = `#!/bin/sh
mount -t proc proc /proc
mount -t devtmpfs dev /dev
for m in $(cat ` + images.ModulesOrderFile + `); do insmod "$m" || echo "DIRTY: insmod $m failed"; done
mount -t xfs /dev/vda /mnt || { echo "DIRTY: mount failed"; reboot -f; }
mkdir /mnt/scratch
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do echo "$i" > /mnt/scratch/f$i; done
rm /mnt/scratch/f1 /mnt/scratch/f2
sync
echo "DIRTY: log forced, rebooting without unmounting"
reboot -f
`

// buildDirtyXFS writes img: a whole-disk XFS (mkfs.xfs -p, no root needed)
// holding a Boot Loader Spec entry, the demo kernel and a test initrd, then
// dirties its log in a throwaway VM. It fails unless xfs_logprint reports
// the log dirty afterwards.
func buildDirtyXFS(t *testing.T, dir, img string) {
	t.Helper()
	initrd := filepath.Join(dir, "initrd-xfs.img")
	if err := TestInitrd(initrd, demo.DemoInit, "xfs"); err != nil {
		t.Fatal(err)
	}
	entry := write(t, filepath.Join(dir, "xfs.conf"),
		"title Demo: entry on a dirty XFS\nlinux /boot/vmlinuz\ninitrd /boot/initrd-xfs.img\noptions console=ttyS0 demo.entry=xfs\n")
	// mkfs.xfs prototype file: name, mode, uid, gid (and the source of a
	// regular file); "$" closes a directory.
	proto := write(t, filepath.Join(dir, "proto"), fmt.Sprintf(`/dev/null
0 0
d--755 0 0
boot d--755 0 0
 vmlinuz ---644 0 0 %s
 initrd-xfs.img ---644 0 0 %s
 loader d--755 0 0
  entries d--755 0 0
   xfs.conf ---644 0 0 %s
  $
 $
$
$
`, demo.Kernel.Vmlinuz, initrd, entry))
	// 300 MB is the smallest XFS mkfs.xfs makes; the file stays sparse.
	if out, err := exec.Command("truncate", "-s", "300M", img).CombinedOutput(); err != nil {
		t.Fatalf("truncate: %v\n%s", err, out)
	}
	if out, err := exec.Command("mkfs.xfs", "-q", "-f", "-L", "xfsboot", "-m", "uuid="+xfsUUID, "-p", proto, img).CombinedOutput(); err != nil {
		t.Fatalf("mkfs.xfs (install xfsprogs; qemu/setup.sh test does): %v\n%s", err, out)
	}
	if st := logState(t, img); st != "CLEAN" {
		t.Fatalf("a fresh XFS has a %s log", st)
	}

	// The throwaway VM: busybox as the shell, the XFS modules, a script as /init.
	script := write(t, filepath.Join(dir, "dirty-init"), dirtyXFSInit)
	var b bytes.Buffer
	if _, err := images.Build(&b, images.WithInit(script), images.WithRescue("/bin/busybox"),
		images.WithModules(demo.Kernel.Modules, "virtio_pci", "virtio_blk", "xfs")); err != nil {
		t.Fatalf("the dirtying initramfs (install busybox-static; qemu/setup.sh test does): %v", err)
	}
	dirtier := write(t, filepath.Join(dir, "dirty.cpio.gz"), b.String())
	vm := boot(t, Options{Kernel: demo.Kernel.Vmlinuz, Initrd: dirtier, Append: "console=ttyS0 panic=-1 quiet",
		Disks: []Disk{{Path: img}}}) // writable: this VM is meant to write
	if _, err := vm.Expect(`DIRTY: log forced`, bootTimeout); err != nil {
		t.Fatal(err)
	}
	if err := vm.Wait(2 * time.Minute); err != nil {
		t.Fatalf("the dirtying VM did not end: %v", err)
	}
	if strings.Contains(vm.Output(), "DIRTY: insmod") || strings.Contains(vm.Output(), "DIRTY: mount failed") {
		t.Fatalf("the dirtying VM failed:\n%s", vm.Tail(40))
	}
	if st := logState(t, img); st != "DIRTY" {
		t.Fatalf("the XFS log is %s after a crash, want DIRTY", st)
	}
}

// logState is what xfs_logprint says of an XFS log: "CLEAN" or "DIRTY".
func logState(t *testing.T, img string) string {
	t.Helper()
	out, err := exec.Command("xfs_logprint", "-t", img).CombinedOutput()
	if err != nil {
		t.Fatalf("xfs_logprint: %v\n%s", err, out)
	}
	_, rest, ok := strings.Cut(string(out), "state: <")
	st, _, ok2 := strings.Cut(rest, ">")
	if !ok || !ok2 {
		t.Fatalf("xfs_logprint printed no state:\n%s", out)
	}
	return st
}

// TestReadOnlyDirtyXFS: a writable disk holding an XFS whose log needs
// recovery (which a plain read-only mount would replay, writing the disk)
// and, on that XFS, the boot entry. leapboot mounts it without recovery,
// boots the entry, and not one byte of the image has changed; the log is
// still dirty.
func TestReadOnlyDirtyXFS(t *testing.T) {
	dir := t.TempDir()
	img := filepath.Join(dir, "xfs.img")
	buildDirtyXFS(t, dir, img)

	var b bytes.Buffer
	if _, err := images.Build(&b, images.WithInit(demo.Init), images.WithModules(demo.Kernel.Modules, append(BootModules, "xfs")...)); err != nil {
		t.Fatal(err)
	}
	o := demo.Options("leapboot.timeout=0")
	o.Initrd = write(t, filepath.Join(dir, "leapboot-xfs.cpio.gz"), b.String())
	o.Disks = []Disk{{Path: img}} // writable
	before := sha(t, img)
	vm := boot(t, o)
	// The kernel says so when it mounts without replaying the log.
	if _, err := vm.Expect(`XFS \(vda\): Mounting V5 filesystem in no-recovery mode`, bootTimeout); err != nil {
		t.Fatal(err)
	}
	expectBooted(t, vm, DemoEntry{Title: "Demo: entry on a dirty XFS", Initrds: "xfs", Cmdline: "console=ttyS0 demo.entry=xfs"})
	vm.Kill()
	if strings.Contains(vm.Output(), "Starting recovery") {
		t.Error("the kernel replayed the XFS log")
	}
	if after := sha(t, img); after != before {
		t.Errorf("the disk image changed while leapboot read it")
	}
	if st := logState(t, img); st != "DIRTY" {
		t.Errorf("the XFS log is %s after leapboot, want it still DIRTY", st)
	}
}
