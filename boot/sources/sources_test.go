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
