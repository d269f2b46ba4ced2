package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/leapboot/leapboot/boot"
	"github.com/leapboot/leapboot/boot/disk"
	"github.com/leapboot/leapboot/boot/grub"
)

func TestGrubCheckDebian(t *testing.T) {
	v, err := disk.Dir("testdata/debian-10")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	printGrubCheck(&out, grub.Evaluate(context.Background(), []*boot.Volume{v}))
	s := out.String()
	for _, want := range []string{
		"config: testdata/debian-10:/boot/grub/grub.cfg",
		"timeout: 5s, style menu",
		"* Debian GNU/Linux  [gnulinux-simple-39ec20e2-83f5-44ce-8671-f31ce0856377] (testdata/debian-10:/boot/grub/grub.cfg:86)",
		"Advanced options for Debian GNU/Linux >\n    Debian GNU/Linux, with Linux 4.19.0-9-amd64  [",
		"      cmdline BOOT_IMAGE=/boot/vmlinuz-4.19.0-9-amd64 root=UUID=39ec20e2-83f5-44ce-8671-f31ce0856377 ro single console=ttyS0\n",
		// A bare directory has no UUID and is no (hd0,msdos1): GRUB's
		// search fails and the root the config set stays unresolved.
		"testdata/debian-10:/boot/grub/grub.cfg:94: search: no such device: 39ec20e2-83f5-44ce-8671-f31ce0856377",
		"error: grub: /boot/grub/grub.cfg:86: linux: no such device: (hd0,msdos1)",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("grub-check output lacks %q:\n%s", want, s)
		}
	}
}
