package qemu

import (
	"path/filepath"
	"testing"
)

// menuGrubCfg has an entry and a submenu of two, as grub-mkconfig's
// "Advanced options" submenu.
const menuGrubCfg = `set default=0
set timeout=60
menuentry 'Menu test: top entry' --id top {
	linux /boot/vmlinuz console=ttyS0 demo.entry=top
	initrd /boot/initrd-top.img
}
submenu 'Menu test: more entries' --id more {
	menuentry 'Menu test: first inside' --id in1 {
		linux /boot/vmlinuz console=ttyS0 demo.entry=in1
		initrd /boot/initrd-in1.img
	}
	menuentry 'Menu test: second inside' --id in2 {
		linux /boot/vmlinuz console=ttyS0 demo.entry=in2
		initrd /boot/initrd-in2.img
	}
}
`

// TestMenuSubmenuEditBoot is a person at the serial console: down arrow to
// the submenu, Enter opens it, j to the second entry, e edits its command
// line (End, a word typed, a typo fixed with Backspace), Enter boots it;
// the second kernel reads the edited command line.
func TestMenuSubmenuEditBoot(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"top", "in1", "in2"} {
		if err := TestInitrd(filepath.Join(dir, n+".img"), demo.DemoInit, n); err != nil {
			t.Fatal(err)
		}
	}
	img := filepath.Join(dir, "disk.img")
	err := BuildDisk(img, []Part{
		{Name: "root", Type: "8300", FS: "ext4", SizeMiB: 40, UUID: "6d3e1f0a-7b2c-4d5e-9f80-1a2b3c4d5e6f", Files: map[string]string{
			"/boot/grub/grub.cfg":  write(t, filepath.Join(dir, "grub.cfg"), menuGrubCfg),
			"/boot/vmlinuz":        demo.Kernel.Vmlinuz,
			"/boot/initrd-top.img": filepath.Join(dir, "top.img"),
			"/boot/initrd-in1.img": filepath.Join(dir, "in1.img"),
			"/boot/initrd-in2.img": filepath.Join(dir, "in2.img"),
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	o := demo.Options("")
	o.Disks = []Disk{{Path: img, ReadOnly: true}}
	vm := boot(t, o)
	steps := []struct{ expect, send string }{
		{`Booting "Menu test: top entry" in \d+ s`, "\x1b[B"},                   // down arrow (stops the countdown)
		{`> +2\) Menu test: more entries >`, "\r"},                              // highlighted; Enter opens it
		{`leapboot > Menu test: more entries`, "j"},                             // inside; j moves down
		{`> +2\) Menu test: second inside`, "e"},                                // highlighted; e edits
		{`Edit the command line of Menu test: second inside`, "\x1b[1~\x1b[4~"}, // Home, End
		{`demo.entry=in2`, " leapboot.edited=yes!\x7f\r"},                       // type, Backspace, Enter
	}
	for _, s := range steps {
		if _, err := vm.Expect(s.expect, bootTimeout); err != nil {
			t.Fatal(err)
		}
		if err := vm.Send(s.send); err != nil {
			t.Fatal(err)
		}
	}
	expectBooted(t, vm, DemoEntry{Title: "Menu test: second inside", Initrds: "in2",
		Cmdline: "BOOT_IMAGE=/boot/vmlinuz console=ttyS0 demo.entry=in2 leapboot.edited=yes"})
}
