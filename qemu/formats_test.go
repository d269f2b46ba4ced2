package qemu

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// listJSON runs `leapboot list --json` on disk images.
func listJSON(t *testing.T, imgs ...string) (titles, cmdlines []string) {
	t.Helper()
	args := []string{"list", "--json"}
	for _, i := range imgs {
		args = append(args, "--image", i)
	}
	out, err := exec.Command(demo.Leapboot, args...).Output()
	if err != nil {
		t.Fatalf("leapboot list: %v", err)
	}
	var l struct {
		Entries []struct {
			Title, Cmdline string
			Error          *string
		}
	}
	if err := json.Unmarshal(out, &l); err != nil {
		t.Fatal(err)
	}
	for _, e := range l.Entries {
		if e.Error != nil {
			t.Errorf("entry %q: %s", e.Title, *e.Error)
		}
		titles, cmdlines = append(titles, e.Title), append(cmdlines, e.Cmdline)
	}
	return titles, cmdlines
}

func index(t *testing.T, titles []string, title string) int {
	t.Helper()
	for i, s := range titles {
		if s == title {
			return i
		}
	}
	t.Fatalf("no entry %q in %q", title, titles)
	return -1
}

func write(t *testing.T, p, s string) string {
	t.Helper()
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestUKIAndTwoInitrds: an ESP with a unified kernel image (systemd's stub,
// Debian's kernel, a test initrd and a command line, put together with
// objcopy) and a Type #1 entry with two initrd lines. leapboot boots the
// UKI with its embedded initrd and command line, and the Type #1 entry with
// both initrds.
func TestUKIAndTwoInitrds(t *testing.T) {
	const stub = "/usr/lib/systemd/boot/efi/linuxx64.efi.stub"
	if _, err := os.Stat(stub); err != nil {
		t.Fatalf("%v: install systemd-boot-efi (qemu/setup.sh test does)", err)
	}
	dir := t.TempDir()
	for _, n := range []string{"uki", "first", "second"} {
		if err := TestInitrd(filepath.Join(dir, n+".img"), demo.DemoInit, n); err != nil {
			t.Fatal(err)
		}
	}
	ukiCmdline := "console=ttyS0 demo.entry=uki"
	uki := filepath.Join(dir, "demo.efi")
	cmd := exec.Command("objcopy",
		"--add-section", ".osrel="+write(t, filepath.Join(dir, "osrel"), "ID=demo\nPRETTY_NAME=\"Demo UKI\"\nVERSION_ID=1\n"), "--change-section-vma", ".osrel=0x20000",
		"--add-section", ".cmdline="+write(t, filepath.Join(dir, "cmdline"), ukiCmdline), "--change-section-vma", ".cmdline=0x30000",
		"--add-section", ".linux="+demo.Kernel.Vmlinuz, "--change-section-vma", ".linux=0x2000000",
		"--add-section", ".initrd="+filepath.Join(dir, "uki.img"), "--change-section-vma", ".initrd=0x3000000",
		stub, uki)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("objcopy: %v\n%s", err, b)
	}
	twoCmdline := "console=ttyS0 demo.entry=two-initrds"
	entry := write(t, filepath.Join(dir, "two.conf"), "title Two initrds\nlinux /demo/vmlinuz\ninitrd /demo/first.img\ninitrd /demo/second.img\noptions "+twoCmdline+"\n")
	img := filepath.Join(dir, "esp.img")
	if err := BuildDisk(img, []Part{{Name: "ESP", Type: "ef00", FS: "vfat", SizeMiB: 64, UUID: "5EED0001", Files: map[string]string{
		"/EFI/Linux/demo.efi":      uki,
		"/loader/entries/two.conf": entry,
		"/demo/vmlinuz":            demo.Kernel.Vmlinuz,
		"/demo/first.img":          filepath.Join(dir, "first.img"),
		"/demo/second.img":         filepath.Join(dir, "second.img"),
	}}}); err != nil {
		t.Fatal(err)
	}
	titles, cmdlines := listJSON(t, img)
	for _, tc := range []struct {
		title, initrds, cmdline string
	}{
		{"Demo UKI", "uki", ukiCmdline},
		{"Two initrds", "first,second", twoCmdline},
	} {
		t.Run(tc.title, func(t *testing.T) {
			i := index(t, titles, tc.title)
			if cmdlines[i] != tc.cmdline {
				t.Errorf("listed cmdline %q, want %q", cmdlines[i], tc.cmdline)
			}
			o := demo.Options("leapboot.timeout=-1")
			o.Disks = []Disk{{Path: img, ReadOnly: true}}
			vm := boot(t, o)
			if _, err := vm.Expect(`Type a number`, bootTimeout); err != nil {
				t.Fatal(err)
			}
			vm.Send(fmt.Sprintf("%d\r", i+1))
			expectBooted(t, vm, DemoEntry{Title: tc.title, Initrds: tc.initrds, Cmdline: tc.cmdline})
		})
	}
}

// TestISOSyslinux: an ISO 9660 image made by xorriso with an
// isolinux.cfg, attached as an IDE CD-ROM, boots its default label through
// coldplug (ata_piix, sr_mod, isofs).
func TestISOSyslinux(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	os.MkdirAll(filepath.Join(root, "isolinux"), 0o755)
	write(t, filepath.Join(root, "isolinux/isolinux.cfg"), `# like a Debian installer CD, cut down
DEFAULT demo
TIMEOUT 50
LABEL other
  MENU LABEL Other
  KERNEL /isolinux/vmlinuz
  APPEND console=ttyS0 demo.entry=iso-other
LABEL demo
  MENU LABEL Demo ISO (isolinux)
  KERNEL /isolinux/vmlinuz
  INITRD /isolinux/initrd.img
  APPEND console=ttyS0 demo.entry=iso
`)
	b, err := os.ReadFile(demo.Kernel.Vmlinuz)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(root, "isolinux/vmlinuz"), b, 0o644)
	if err := TestInitrd(filepath.Join(root, "isolinux/initrd.img"), demo.DemoInit, "iso"); err != nil {
		t.Fatal(err)
	}
	iso := filepath.Join(dir, "demo.iso")
	if out, err := exec.Command("xorriso", "-as", "mkisofs", "-quiet", "-o", iso, "-V", "DEMO_ISO", "-J", "-R", root).CombinedOutput(); err != nil {
		t.Fatalf("xorriso: %v\n%s (install xorriso: qemu/setup.sh test does)", err, out)
	}
	want := "BOOT_IMAGE=/isolinux/vmlinuz console=ttyS0 demo.entry=iso initrd=/isolinux/initrd.img"
	titles, cmdlines := listJSON(t, iso)
	if i := index(t, titles, "Demo ISO (isolinux)"); cmdlines[i] != want {
		t.Errorf("listed cmdline %q, want %q", cmdlines[i], want)
	}
	o := demo.Options("leapboot.timeout=0")
	o.Initrd = coldplugInitramfs(t)
	o.Disks = []Disk{{Path: iso, Bus: "ide", Media: "cdrom"}}
	vm := boot(t, o)
	expectBooted(t, vm, DemoEntry{Title: "Demo ISO (isolinux)", Initrds: "iso", Cmdline: want})
	if strings.Contains(vm.Output(), "iso-other") {
		t.Error("the non-default label booted")
	}
}
