package grub

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/leapboot/leapboot/boot"
)

// suseVol is a btrfs volume laid out from its top level as openSUSE has
// it: the default subvolume @/.snapshots/1/snapshot, snapshots under
// @/.snapshots.
func suseVol(cfg string, files ...string) *boot.Volume {
	m := fstest.MapFS{"@/.snapshots/1/snapshot/boot/grub2/grub.cfg": file(cfg)}
	for _, f := range files {
		m[strings.TrimPrefix(f, "/")] = file("")
	}
	return &boot.Volume{Device: "/dev/vda2", Disk: "/dev/vda", Partition: 2, FSType: "btrfs", UUID: "5a7c",
		BtrfsDefault: "@/.snapshots/1/snapshot", FS: m}
}

func entryLines(m boot.Menu) []string {
	var out []string
	for _, e := range m.Entries {
		s := strings.Join(e.Menu, " > ") + ": " + e.Kernel.Path + " [" + e.Cmdline + "]"
		for _, i := range e.Initrds {
			s += " " + i.Path
		}
		if e.Err != nil {
			s += " err=" + e.Err.Error()
		}
		out = append(out, s)
	}
	return out
}

func TestBtrfsRelativePaths(t *testing.T) {
	const snap = "/@/.snapshots/1/snapshot"
	for _, tc := range []struct {
		name  string
		cfg   string
		files []string
		want  []string
	}{
		{
			name:  "the default subvolume",
			cfg:   "menuentry A {\n linux /boot/vmlinuz\n initrd /boot/initrd\n}",
			files: []string{snap + "/boot/vmlinuz", snap + "/boot/initrd"},
			want:  []string{"A: " + snap + "/boot/vmlinuz [BOOT_IMAGE=/boot/vmlinuz] " + snap + "/boot/initrd"},
		},
		{
			name:  "btrfs_subvol, exported or not, into a submenu",
			cfg:   "btrfs_subvol=/@/.snapshots/7/snapshot\nsubmenu S {\n menuentry A {\n  linux /boot/vmlinuz\n }\n}",
			files: []string{"/@/.snapshots/7/snapshot/boot/vmlinuz"},
			want:  []string{"S > A: /@/.snapshots/7/snapshot/boot/vmlinuz [BOOT_IMAGE=/boot/vmlinuz]"},
		},
		{
			name: "btrfs-mount-subvol: the longest mount wins, and beats btrfs_subvol",
			cfg: "btrfs-mount-subvol ($root) /.snapshots @/.snapshots\nbtrfs-mount-subvol ($root) /.snapshots/9 @/other\n" +
				"btrfs_subvol=/@/x\nmenuentry A {\n linux /.snapshots/3/vmlinuz\n initrd /.snapshots/9/initrd\n}",
			files: []string{"/@/.snapshots/3/vmlinuz", "/@/other/initrd"},
			want:  []string{"A: /@/.snapshots/3/vmlinuz [BOOT_IMAGE=/.snapshots/3/vmlinuz] /@/other/initrd"},
		},
		{
			name:  "a wildcard expands to the names GRUB shows",
			cfg:   "insmod regexp\nmenuentry A {\n linux /boot/vmlinuz-*\n}",
			files: []string{snap + "/boot/vmlinuz-6.7"},
			want:  []string{"A: " + snap + "/boot/vmlinuz-6.7 [BOOT_IMAGE=/boot/vmlinuz-6.7]"},
		},
		{
			name:  "btrfs_relative_path switched off: the top level",
			cfg:   "btrfs_relative_path=n\nmenuentry A {\n linux /boot/vmlinuz\n}",
			files: []string{"/boot/vmlinuz"},
			want:  []string{"A: /boot/vmlinuz [BOOT_IMAGE=/boot/vmlinuz]"},
		},
		{
			name:  "search --file looks in the default subvolume",
			cfg:   "search --file --set=r /boot/marker\nmenuentry \"$r\" {\n linux /boot/vmlinuz\n}",
			files: []string{snap + "/boot/marker", snap + "/boot/vmlinuz"},
			want:  []string{"hd0,gpt2: " + snap + "/boot/vmlinuz [BOOT_IMAGE=/boot/vmlinuz]"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := parse(t, []*boot.Volume{suseVol(tc.cfg, tc.files...)})
			got := entryLines(m)
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("entries\n  %s\nwant\n  %s\n%s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "), diagText(m))
			}
		})
	}
}

// TestBtrfsTopLevel: upstream GRUB (Ubuntu's @ layout) reads from the top
// level even when @ is the default subvolume: a config found at a
// top-level path is read without btrfs_relative_path.
func TestBtrfsTopLevel(t *testing.T) {
	v := &boot.Volume{Device: "/dev/vda2", Disk: "/dev/vda", Partition: 2, FSType: "btrfs", BtrfsDefault: "@",
		FS: fstest.MapFS{"@/boot/grub/grub.cfg": file("menuentry A {\n linux /@/boot/vmlinuz\n}"), "@/boot/vmlinuz": file("")}}
	m := parse(t, []*boot.Volume{v})
	if got := entryLines(m); len(got) != 1 || got[0] != "A: /@/boot/vmlinuz [BOOT_IMAGE=/@/boot/vmlinuz]" {
		t.Errorf("entries %q; %s", got, diagText(m))
	}
}

func TestBtrfsMountSubvolErrors(t *testing.T) {
	v := suseVol("btrfs-mount-subvol ($root) /x\nbtrfs-mount-subvol (hd9) /x @/x\nmenuentry A { true; }")
	ext := &boot.Volume{Device: "/dev/vda1", Disk: "/dev/vda", Partition: 1, FSType: "ext4", FS: fstest.MapFS{}}
	v.FS.(fstest.MapFS)["@/.snapshots/1/snapshot/boot/grub2/grub.cfg"] = file(
		"btrfs-mount-subvol ($root) /x\nbtrfs-mount-subvol (hd0,gpt1) /x @/x\nbtrfs-mount-subvol (hd9) /x @/x\nmenuentry A { true; }")
	m := parse(t, []*boot.Volume{ext, v})
	d := diagText(m)
	for _, want := range []string{":1: btrfs-mount-subvol: three arguments expected", ":2: btrfs-mount-subvol: (hd0,gpt1) is not btrfs", ":3: "} {
		if !strings.Contains(d, want) {
			t.Errorf("diagnostics lack %q:\n%s", want, d)
		}
	}
}

// TestConfigfileEntry: an entry that runs configfile is a submenu of that
// file's menu, read with the entry's variables; a missing file is an error
// entry; a kernel loaded before configfile is not booted (GRUB shows the
// menu); an entry that reads its own file stops at the nesting limit.
func TestConfigfileEntry(t *testing.T) {
	v := oneVol("menuentry Other {\n set x=1\n export x\n configfile /other.cfg\n}\n"+
		"menuentry Missing {\n configfile /nope.cfg\n}\n"+
		"menuentry Empty {\n configfile /empty.cfg\n}\n"+
		"menuentry Kernel {\n linux /vmlinuz\n configfile /other.cfg\n}\n",
		"/vmlinuz")
	fsys := v[0].FS.(fstest.MapFS)
	fsys["other.cfg"] = file("menuentry Inner {\n linux /vmlinuz x=$x\n}\n")
	fsys["empty.cfg"] = file("set a=b\n")
	m := parse(t, v)
	got := entryLines(m)
	want := []string{
		"Other > Inner: /vmlinuz [BOOT_IMAGE=/vmlinuz x=1]",
		"Missing:  [] err=grub: /boot/grub/grub.cfg:6: configfile /nope.cfg: /nope.cfg: file not found",
		"Empty:  [] err=grub: /boot/grub/grub.cfg:9: configfile /empty.cfg: its menu has no entries",
		"Kernel > Inner: /vmlinuz [BOOT_IMAGE=/vmlinuz x=]",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("entries\n  %s\nwant\n  %s\n%s", strings.Join(got, "\n  "), strings.Join(want, "\n  "), diagText(m))
	}

	self := oneVol("menuentry Loop {\n configfile /boot/grub/grub.cfg\n}\n")
	m = parse(t, self)
	if !strings.Contains(diagText(m), "nest deeper than") {
		t.Errorf("a self-reading entry: %q; %s", entryLines(m), diagText(m))
	}
}
