package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leapboot/leapboot/boot"
	"github.com/leapboot/leapboot/boot/disk"
	"github.com/leapboot/leapboot/boot/sources"
)

// bzImage passes a boot loader's check for an x86 kernel: "HdrS" at 0x202.
var bzImage = append(make([]byte, 0x202), "HdrS"...)

// debianBoot is a Debian 10 root filesystem: the real grub.cfg that
// grub-mkconfig wrote (testdata, from the shared corpus) plus stand-in
// kernel and initrd files.
func debianBoot(t *testing.T) boot.Menu {
	t.Helper()
	dir := t.TempDir()
	b, err := os.ReadFile("testdata/debian-10/boot/grub/grub.cfg")
	if err != nil {
		t.Fatal(err)
	}
	for p, data := range map[string][]byte{
		"boot/grub/grub.cfg":             b,
		"boot/vmlinuz-4.19.0-9-amd64":    bzImage,
		"boot/initrd.img-4.19.0-9-amd64": []byte("initrd"),
	} {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, p), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	v, err := disk.Dir(dir)
	if err != nil {
		t.Fatal(err)
	}
	v.UUID = "39ec20e2-83f5-44ce-8671-f31ce0856377" // what grub.cfg searches for
	return sources.Read(context.Background(), []*boot.Volume{v}, sources.WithPlatform("pc"))
}

// TestRebootDryRunDebian: `leapboot reboot --dry-run` on a Debian /boot
// names the kernel, initrd and command line GRUB boots: its default, or the
// entry asked for.
func TestRebootDryRunDebian(t *testing.T) {
	m := debianBoot(t)
	const cmdline = "root=UUID=39ec20e2-83f5-44ce-8671-f31ce0856377 ro console=ttyS0 quiet"
	for _, tc := range []struct {
		spec string
		c    rebootCmdline
		want []string
	}{
		{"", rebootCmdline{}, []string{
			"entry:   Debian GNU/Linux (grub, ",
			"kernel:  /boot/vmlinuz-4.19.0-9-amd64 on ",
			"initrd:  /boot/initrd.img-4.19.0-9-amd64 on ",
			"cmdline: BOOT_IMAGE=/boot/vmlinuz-4.19.0-9-amd64 " + cmdline + "\n"}},
		{"4.19.0-9-amd64", rebootCmdline{}, []string{"entry:   Debian GNU/Linux (grub"}},
		{"*recovery mode*", rebootCmdline{}, []string{
			"entry:   Advanced options for Debian GNU/Linux > Debian GNU/Linux, with Linux 4.19.0-9-amd64 (recovery mode) (grub",
			"cmdline: BOOT_IMAGE=/boot/vmlinuz-4.19.0-9-amd64 root=UUID=39ec20e2-83f5-44ce-8671-f31ce0856377 ro single console=ttyS0\n"}},
		{"", rebootCmdline{reuse: true, running: "BOOT_IMAGE=/boot/vmlinuz-4.19.0-8-amd64 root=/dev/sda1 ro\n", add: "quiet"}, []string{
			"cmdline: root=/dev/sda1 ro quiet\n"}},
	} {
		e, plan, err := chooseReboot(m, tc.spec, tc.c)
		if err != nil {
			t.Errorf("%q: %v", tc.spec, err)
			continue
		}
		var out bytes.Buffer
		describe(&out, e, plan)
		for _, w := range tc.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%q: output lacks %q:\n%s", tc.spec, w, out.String())
			}
		}
	}
	if _, _, err := chooseReboot(m, "5.10.0-1-amd64", rebootCmdline{}); err == nil || !strings.Contains(err.Error(), "no entry matches") {
		t.Errorf("unknown kernel version: err = %v", err)
	}
}
