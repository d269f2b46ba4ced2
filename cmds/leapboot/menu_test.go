package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/leapboot/leapboot/qemu"
)

const tmuxGrubCfg = `set default=0
set timeout=30
menuentry 'Debian GNU/Linux' --id deb {
	linux /boot/vmlinuz root=UUID=0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b ro quiet
	initrd /boot/initrd.img
}
submenu 'Advanced options for Debian GNU/Linux' --id adv {
	menuentry 'Debian GNU/Linux, with Linux 6.1' --id deb-6.1 {
		linux /boot/vmlinuz root=UUID=0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b ro quiet
		initrd /boot/initrd.img
	}
	menuentry 'Debian GNU/Linux, with Linux 6.1 (recovery mode)' --id deb-6.1-rec {
		linux /boot/vmlinuz root=UUID=0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b ro single
		initrd /boot/initrd.img
	}
}
menuentry 'Broken' --id broken {
	linux /boot/vmlinuz-missing
}
`

// tmux runs the menu in a terminal as a person sees it: send-keys types,
// capture-pane reads the screen. It needs tmux (Debian package "tmux")
// and the disk tools qemu.BuildDisk uses; without them it fails.
type tmux struct {
	t    *testing.T
	name string
}

func (x tmux) run(args ...string) string {
	x.t.Helper()
	out, err := exec.Command("tmux", args...).CombinedOutput()
	if err != nil {
		x.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (x tmux) screen() string { return x.run("capture-pane", "-p", "-t", x.name) }

func (x tmux) keys(k ...string) { x.run(append([]string{"send-keys", "-t", x.name}, k...)...) }

func (x tmux) wait(re string) string {
	x.t.Helper()
	rx := regexp.MustCompile(re)
	var s string
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if s = x.screen(); rx.MatchString(s) {
			return s
		}
	}
	x.t.Fatalf("%q not on the screen:\n%s", re, s)
	return ""
}

// TestMenuInTmux: `leapboot menu --image disk.img --dry-run` in an 80x24
// terminal: the list, the submenu, details, the editor, and what it would
// boot.
func TestMenuInTmux(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("tmux is missing (apt-get install tmux; `make deps` installs it)")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "leapboot")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	put := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	img := filepath.Join(dir, "disk.img")
	err := qemu.BuildDisk(img, []qemu.Part{{Name: "root", Type: "8300", FS: "ext4", SizeMiB: 8, UUID: "0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b", Label: "debroot",
		Files: map[string]string{
			"/boot/grub/grub.cfg": put("grub.cfg", tmuxGrubCfg),
			"/boot/vmlinuz":       put("vmlinuz", strings.Repeat("\x00", 0x202)+"HdrS"), // a bzImage header, to the parser
			"/boot/initrd.img":    put("initrd", "initrd"),
		}}})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	x := tmux{t, "leapboot-menu-test-" + filepath.Base(dir)}
	x.run("new-session", "-d", "-s", x.name, "-x", "80", "-y", "24",
		bin+" menu --dry-run --image "+img+" >"+out+" 2>&1; echo exit=$? >>"+out+"; sleep 60")
	t.Cleanup(func() { exec.Command("tmux", "kill-session", "-t", x.name).Run() })

	s := x.wait(`Booting "Debian GNU/Linux" in \d+ s`)
	for _, want := range []string{"leapboot", ">  1) Debian GNU/Linux [default]", "2) Advanced options for Debian GNU/Linux >", "2 entries",
		"3) Broken", "cannot boot:", "Type a number", "1 devices, 4 entries"} {
		if !strings.Contains(s, want) {
			t.Errorf("screen lacks %q:\n%s", want, s)
		}
	}
	x.keys("Down")
	x.wait(`>  2\) Advanced options`)
	if s := x.screen(); strings.Contains(s, "Booting") {
		t.Errorf("a key did not stop the countdown:\n%s", s)
	}
	x.keys("Enter")
	x.wait(`leapboot > Advanced options for Debian GNU/Linux`)
	x.keys("j", "d")
	s = x.wait(`Details of Debian GNU/Linux, with Linux 6.1 \(recovery mode\)`)
	for _, want := range []string{"debroot:/boot/grub/grub.cfg:12", "debroot:/boot/vmlinuz", "debroot:/boot/initrd.img", "ro single"} {
		if !strings.Contains(s, want) {
			t.Errorf("details lack %q:\n%s", want, s)
		}
	}
	x.keys("Escape")
	x.wait(`>  2\) Debian GNU/Linux, with Linux 6.1 \(recovery mode\)`)
	x.keys("e")
	x.wait(`Edit the command line`)
	x.keys("Home", "Right", "Right", "Right", "Right", "Right", "Right", "Right", "Right", "Right", "Right", "Right", "BSpace")
	x.keys("End", " init=/bin/sh")
	x.keys("Enter")
	var got string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		b, _ := os.ReadFile(out)
		if got = string(b); strings.Contains(got, "exit=") {
			break
		}
	}
	for _, want := range []string{`would boot "Debian GNU/Linux, with Linux 6.1 (recovery mode)" (`, "cmdline: BOOT_IMAGE/boot/vmlinuz root=UUID=0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b ro single init=/bin/sh", "exit=0"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
}
