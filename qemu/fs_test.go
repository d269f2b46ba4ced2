package qemu

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// fsDisk is a GPT disk with one partition of each filesystem leapboot
// mounts besides the demo's: an ESP, ext4, xfs, btrfs (GRUB's config
// in Ubuntu's "@" layout) and squashfs, each holding a GRUB config
// whose entry boots the demo kernel from that filesystem.
type fsDisk struct {
	img   string
	parts []Part
}

const fsDiskCfg = `set timeout=5
set default=%[3]q
menuentry %[1]q --id %[2]s {
	search --no-floppy --fs-uuid --set=root %[4]s
	linux %[5]s/boot/vmlinuz console=ttyS0 demo.entry=%[2]s
	initrd %[5]s/boot/initrd.img
}
`

// demoInitrd writes dir/NAME.img, a demo initrd that reports NAME.
func demoInitrd(t *testing.T, dir, name string) string {
	t.Helper()
	p := filepath.Join(dir, name+".img")
	if err := TestInitrd(p, demo.DemoInit, name); err != nil {
		t.Fatal(err)
	}
	return p
}

func buildFSDisk(t *testing.T) fsDisk {
	t.Helper()
	dir := t.TempDir()
	initrd := func(name string) string { return demoInitrd(t, dir, name) }
	cfg := func(title, id, uuid, prefix string) string {
		return write(t, filepath.Join(dir, id+".cfg"), fmt.Sprintf(fsDiskCfg, title, id, "fs-btrfs", uuid, prefix))
	}
	const (
		xfsUUID   = "f5a0e1d2-0000-4000-8000-00000000000a"
		btrfsUUID = "b7f50000-0000-4000-8000-00000000000b"
		ext4UUID  = "e4e40000-0000-4000-8000-00000000000c"
	)
	parts := []Part{
		{Name: "EFI System Partition", Type: "ef00", FS: "vfat", SizeMiB: 8, UUID: "5EED0A0B", Label: "ESP", PartUUID: "00000001-0000-4000-8000-0000000000f1"},
		{Name: "ext4", Type: "8300", FS: "ext4", SizeMiB: 8, UUID: ext4UUID, Label: "ext4-lbl", PartUUID: "00000001-0000-4000-8000-0000000000f2"},
		{Name: "xfs", Type: "8300", FS: "xfs", SizeMiB: 300, UUID: xfsUUID, Label: "xfs-lbl", PartUUID: "00000001-0000-4000-8000-0000000000f3",
			Files: map[string]string{
				"/boot/grub/grub.cfg": cfg("on xfs", "fs-xfs", xfsUUID, ""),
				"/boot/vmlinuz":       demo.Kernel.Vmlinuz,
				"/boot/initrd.img":    initrd("fs-xfs"),
			}},
		{Name: "btrfs", Type: "8300", FS: "btrfs", SizeMiB: 128, UUID: btrfsUUID, Label: "btrfs-lbl", PartUUID: "00000001-0000-4000-8000-0000000000f4",
			Files: map[string]string{
				"/@/boot/grub/grub.cfg": cfg("on btrfs", "fs-btrfs", btrfsUUID, "/@"),
				"/@/boot/vmlinuz":       demo.Kernel.Vmlinuz,
				"/@/boot/initrd.img":    initrd("fs-btrfs"),
			}},
		{Name: "squashfs", Type: "8300", FS: "squashfs", SizeMiB: 24, PartUUID: "00000001-0000-4000-8000-0000000000f5",
			Files: map[string]string{
				"/boot/vmlinuz":    demo.Kernel.Vmlinuz,
				"/boot/initrd.img": initrd("fs-squashfs"),
			}},
	}
	// squashfs has no UUID for search --fs-uuid: its entry finds it by file.
	parts[4].Files["/boot/grub/grub.cfg"] = write(t, filepath.Join(dir, "sq.cfg"), `menuentry "on squashfs" --id fs-squashfs {
	search --no-floppy --file --set=root /boot/initrd.img.squash-marker
	linux /boot/vmlinuz console=ttyS0 demo.entry=fs-squashfs
	initrd /boot/initrd.img
}
`)
	parts[4].Files["/boot/initrd.img.squash-marker"] = write(t, filepath.Join(dir, "marker"), "squashfs\n")
	img := filepath.Join(dir, "fs.img")
	if err := BuildDisk(img, parts); err != nil {
		t.Fatal(err)
	}
	return fsDisk{img: img, parts: parts}
}

// blkidExport is `blkid -p -o export` of the filesystem at byte off.
func blkidExport(t *testing.T, img string, off int64) map[string]string {
	t.Helper()
	out, err := exec.Command("blkid", "-p", "-o", "export", "-O", fmt.Sprint(off), img).Output()
	if err != nil {
		t.Fatalf("blkid -p -O %d %s: %v", off, img, err)
	}
	m := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			m[k] = v
		}
	}
	return m
}

// TestListMatchesBlkid: `leapboot list --json --image` lists every volume
// of a disk with ext4, vfat, xfs, btrfs and squashfs partitions, and a
// whole-disk iso9660 image, with the type, UUID and label blkid -p gives
// and the PARTUUID of the GPT entry.
func TestListMatchesBlkid(t *testing.T) {
	d := buildFSDisk(t)
	iso := filepath.Join(t.TempDir(), "x.iso")
	if out, err := exec.Command("xorriso", "-as", "mkisofs", "-quiet", "-V", "ISO_LABEL", "-o", iso, t.TempDir()).CombinedOutput(); err != nil {
		t.Fatalf("xorriso: %v\n%s", err, out)
	}
	out, err := exec.Command(demo.Leapboot, "list", "--json", "--image", d.img, "--image", iso).Output()
	if err != nil {
		t.Fatalf("leapboot list: %v", err)
	}
	var got struct {
		Volumes []struct {
			Device, UUID, Label, Partuuid string
			FSType                        string `json:"fs_type"`
			Partition                     int
		}
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	type want struct{ typ, uuid, label, partuuid string }
	var wants []want
	for i, p := range d.parts {
		start, _, err := geometry(d.img, i+1)
		if err != nil {
			t.Fatal(err)
		}
		b := blkidExport(t, d.img, start*512)
		if b["TYPE"] != p.FS {
			t.Fatalf("partition %d: blkid says %q, built %q", i+1, b["TYPE"], p.FS)
		}
		wants = append(wants, want{b["TYPE"], b["UUID"], b["LABEL"], p.PartUUID})
	}
	b := blkidExport(t, iso, 0)
	wants = append(wants, want{b["TYPE"], b["UUID"], b["LABEL"], ""})
	if len(got.Volumes) != len(wants) {
		t.Fatalf("%d volumes listed, want %d:\n%s", len(got.Volumes), len(wants), out)
	}
	for k, w := range wants {
		v := got.Volumes[k]
		t.Logf("%s: %s %q %q %s", v.Device, v.FSType, v.UUID, v.Label, v.Partuuid)
		if g := (want{v.FSType, v.UUID, v.Label, v.Partuuid}); g != w {
			t.Errorf("volume %s: %+v, blkid %+v", v.Device, g, w)
		}
	}
}

// TestBootXfsBtrfsSquashfs: with modules loaded on demand by the
// filesystem types found, leapboot mounts xfs (norecovery), btrfs (the
// top level, GRUB's "@" paths) and squashfs read-only and reads the GRUB
// config on each (three entries, one per filesystem), then boots the
// btrfs entry's kernel and initrd from the btrfs. (TestReadOnlyDirtyXFS
// boots from an xfs.)
func TestBootXfsBtrfsSquashfs(t *testing.T) {
	d := buildFSDisk(t)
	o := demo.Options("leapboot.timeout=0 leapboot.default=fs-btrfs leapboot.log_level=debug")
	o.Initrd = coldplugInitramfs(t)
	o.Disks = []Disk{{Path: d.img, ReadOnly: true}}
	vm := boot(t, o)
	if _, err := vm.Expect(`leapboot: 5 volumes, 3 entries`, bootTimeout); err != nil {
		t.Errorf("the three configs were not all read: %v", err)
	}
	for _, typ := range []string{"xfs", "btrfs", "squashfs"} {
		if !regexp.MustCompile(`msg=mounted device=/dev/vda\d type=` + typ + ` `).MatchString(vm.Output()) {
			t.Errorf("no %s mount in the log", typ)
		}
	}
	expectBooted(t, vm, DemoEntry{Initrds: "fs-btrfs", Cmdline: "BOOT_IMAGE=/@/boot/vmlinuz console=ttyS0 demo.entry=fs-btrfs"})
}
