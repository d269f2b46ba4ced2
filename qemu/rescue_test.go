package qemu

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/leapboot/leapboot/images"
)

// TestRescueShell: an image built with the rescue tools offers a shell from
// the menu (s); it runs commands, and leaving it returns to the menu.
func TestRescueShell(t *testing.T) {
	const busybox = "/bin/busybox"
	if _, err := os.Stat(busybox); err != nil {
		t.Fatalf("%v: install busybox-static (qemu/setup.sh test does)", err)
	}
	p := filepath.Join(t.TempDir(), "rescue.cpio.gz")
	var b bytes.Buffer
	if _, err := images.Build(&b, images.WithInit(demo.Init), images.WithModules(demo.Kernel.Modules, BootModules...),
		images.WithRescue(busybox)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	o := demo.Options("leapboot.timeout=-1")
	o.Initrd = p
	vm := boot(t, o)
	if _, err := vm.Expect(`Type a number`, bootTimeout); err != nil {
		t.Fatal(err)
	}
	vm.Send("s")
	// The shell's first prompt, then a command only a shell evaluates.
	if _, err := vm.Expect(`[#$] `, bootTimeout); err != nil {
		t.Fatal(err)
	}
	vm.Send("echo rescue-$((20+22)); ls /bin/busybox\r")
	if _, err := vm.Expect(`rescue-42\r?\n/bin/busybox`, bootTimeout); err != nil {
		t.Fatal(err)
	}
	vm.Send("exit\r")
	if _, err := vm.Expect(`Type a number`, bootTimeout); err != nil {
		t.Fatal(err)
	}
}
