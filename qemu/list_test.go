package qemu

import (
	"encoding/json"
	"os/exec"
	"reflect"
	"testing"
)

// TestListImage: `leapboot list --json --image demo.img`, without root,
// lists the GRUB and BLS entries with every schema field filled.
func TestListImage(t *testing.T) {
	out, err := exec.Command(demo.Leapboot, "list", "--json", "--image", demo.Disk).Output()
	if err != nil {
		t.Fatalf("leapboot list: %v", err)
	}
	type file struct{ Volume, Path string }
	var got struct {
		Default *string
		Timeout *float64
		Entries []struct {
			ID, Title, Source, Cmdline string
			Menu                       []string
			Config                     struct {
				Volume, Path string
				Line         int
			}
			Kernel  *file
			Initrds []file
			Error   *string
		}
		Volumes []struct {
			Device, UUID, Label, Partuuid string
			FSType                        string `json:"fs_type"`
			Partition                     int
		}
		Diagnostics []any
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if got.Default == nil || *got.Default != "demo-grub" {
		t.Errorf("default = %v, want demo-grub", got.Default)
	}
	if got.Timeout == nil || *got.Timeout != 5 {
		t.Errorf("timeout = %v, want 5", got.Timeout)
	}
	if len(got.Entries) != len(demo.Entries) {
		t.Fatalf("%d entries, want %d:\n%s", len(got.Entries), len(demo.Entries), out)
	}
	wantCfg := []struct {
		source, vol, path, kernel, initrd string
		line                              int
	}{
		{"grub", DemoRootUUID, "/boot/grub/grub.cfg", "/boot/vmlinuz", "/boot/initrd-grub-1.img", 5},
		{"grub", DemoRootUUID, "/boot/grub/grub.cfg", "/boot/vmlinuz", "/boot/initrd-grub-2.img", 10},
		{"grub", DemoRootUUID, "/boot/grub/grub.cfg", "/boot/vmlinuz-corrupt", "", 14},
		{"grub", DemoRootUUID, "/boot/grub/grub.cfg", "/boot/vmlinuz", "/boot/initrd-that-is-not-there.img", 17},
		{"bls", "1234-ABCD", "/loader/entries/demo-bls.conf", "/demo/vmlinuz", "/demo/initrd-bls.img", 1},
	}
	for i, e := range got.Entries {
		w, d := wantCfg[i], demo.Entries[i]
		if i == 2 || i == 3 {
			// The broken entries: a corrupt kernel is only found by
			// kexec; a missing initrd is an error at once.
			if (e.Error != nil) != (i == 3) {
				t.Errorf("entry %d error = %v", i, e.Error)
			}
			if e.Kernel == nil || e.Kernel.Path != w.kernel || e.Config.Line != w.line {
				t.Errorf("entry %d = %+v", i, e)
			}
			continue
		}
		if e.Title != d.Title || e.Cmdline != d.Cmdline || e.Source != w.source || e.ID == "" ||
			!reflect.DeepEqual(e.Menu, []string{d.Title}) || e.Error != nil {
			t.Errorf("entry %d = %+v, want title %q cmdline %q source %s", i, e, d.Title, d.Cmdline, w.source)
		}
		if e.Config.Volume != w.vol || e.Config.Path != w.path || e.Config.Line != w.line {
			t.Errorf("entry %d config = %+v, want %s %s:%d", i, e.Config, w.vol, w.path, w.line)
		}
		if e.Kernel == nil || *e.Kernel != (file{w.vol, w.kernel}) || !reflect.DeepEqual(e.Initrds, []file{{w.vol, w.initrd}}) {
			t.Errorf("entry %d kernel %v initrds %v, want %s:%s and %s", i, e.Kernel, e.Initrds, w.vol, w.kernel, w.initrd)
		}
	}
	wantVols := []string{"vfat 1234-ABCD ESP " + DemoESPPart, "ext4 " + DemoRootUUID + " demo-root " + DemoRootPart}
	if len(got.Volumes) != 2 {
		t.Fatalf("volumes = %+v", got.Volumes)
	}
	for i, v := range got.Volumes {
		if s := v.FSType + " " + v.UUID + " " + v.Label + " " + v.Partuuid; s != wantVols[i] || v.Partition != i+1 {
			t.Errorf("volume %d = %q (partition %d), want %q", i, s, v.Partition, wantVols[i])
		}
	}
	if len(got.Diagnostics) != 0 {
		t.Errorf("diagnostics: %v", got.Diagnostics)
	}
}
