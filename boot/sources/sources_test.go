package sources

import (
	"context"
	"testing"
	"testing/fstest"

	"github.com/leapboot/leapboot/boot"
)

func TestReadMergesInOrder(t *testing.T) {
	kernel := &fstest.MapFile{Data: nil}
	esp := &boot.Volume{Device: "/dev/vda1", UUID: "AAAA-BBBB", PartType: boot.PartTypeESP, FS: fstest.MapFS{
		"loader/entries/fedora.conf": {Data: []byte("title Fedora\nlinux /vmlinuz\noptions root=/dev/vda2\n")},
		"loader/loader.conf":         {Data: []byte("timeout 3\n")},
		"vmlinuz":                    kernel,
	}}
	root := &boot.Volume{Device: "/dev/vda2", UUID: "1111", FS: fstest.MapFS{
		"boot/grub/grub.cfg":     {Data: []byte("set default=0\nmenuentry 'Debian' --id deb {\n\tlinux /boot/vmlinuz ro\n}\n")},
		"boot/vmlinuz":           kernel,
		"extlinux/extlinux.conf": {Data: []byte("DEFAULT ext\nLABEL ext\n  KERNEL /boot/vmlinuz\n  APPEND quiet\n")},
	}}
	vols := []*boot.Volume{esp, root}
	for _, tc := range []struct {
		order   []boot.Source
		sources []boot.Source
	}{
		{DefaultOrder, []boot.Source{boot.SourceGRUB, boot.SourceBLS, boot.SourceSyslinux}},
		{[]boot.Source{boot.SourceSyslinux, boot.SourceBLS}, []boot.Source{boot.SourceSyslinux, boot.SourceBLS}},
	} {
		m := Read(context.Background(), vols, WithOrder(tc.order...))
		var got []boot.Source
		for _, e := range m.Entries {
			got = append(got, e.Source)
		}
		if len(got) != len(tc.sources) {
			t.Fatalf("order %v: sources %v, want %v; diagnostics %v", tc.order, got, tc.sources, m.Diagnostics)
		}
		for i := range got {
			if got[i] != tc.sources[i] {
				t.Errorf("order %v: sources %v, want %v", tc.order, got, tc.sources)
			}
		}
		if m.Default != 0 {
			t.Errorf("order %v: default %d, want the first source's default (0)", tc.order, m.Default)
		}
	}
	m := Read(context.Background(), vols)
	if got := m.Entries[0].Cmdline; got != "BOOT_IMAGE=/boot/vmlinuz ro" {
		t.Errorf("GRUB cmdline %q", got)
	}
	if got := m.Entries[1].Cmdline; got != "root=/dev/vda2" {
		t.Errorf("BLS cmdline %q", got)
	}
}

// efiString is an efivarfs file: 4 bytes of attributes, then UTF-16LE with
// a terminating NUL.
func efiString(s string) []byte {
	b := []byte{7, 0, 0, 0}
	for _, r := range s + "\x00" {
		b = append(b, byte(r), 0)
	}
	return b
}

// TestSystemdBootOneShot: on a running system the one-shot entry systemd-boot
// was asked to boot next (LoaderEntryOneShot) is the default.
func TestSystemdBootOneShot(t *testing.T) {
	esp := &boot.Volume{Device: "/dev/vda1", PartType: boot.PartTypeESP, FS: fstest.MapFS{
		"loader/entries/a.conf": {Data: []byte("title A\nversion 2\nlinux /vmlinuz\n")},
		"loader/entries/b.conf": {Data: []byte("title B\nversion 1\nlinux /vmlinuz\n")},
		"vmlinuz":               {},
	}}
	// systemd-boot lists b.conf first (file names compare as versions,
	// newest first) and boots it by default; the one-shot names a.conf.
	efi := fstest.MapFS{"LoaderEntryOneShot-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f": {Data: efiString("a.conf")}}
	for _, tc := range []struct {
		opts []Option
		want string
	}{
		{nil, "B"},
		{[]Option{WithEFIVars(efi)}, "A"},
	} {
		m := Read(context.Background(), []*boot.Volume{esp}, append(tc.opts, WithOrder(boot.SourceBLS))...)
		if e := m.DefaultEntry(); e == nil || e.Title != tc.want {
			t.Errorf("default = %v, want %s; diagnostics %v", e, tc.want, m.Diagnostics)
		}
	}
}
