package qemu

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leapboot/leapboot/images"
)

const suseUUID = "5a7c3e91-2b4d-4f6a-8c0e-9d1f3b5a7c2e"

// suseGrubCfg is openSUSE's grub.cfg cut to what matters: the header's
// btrfs_relative_path and grubenv default, a kernel entry with
// ${extra_cmdline} after root=, and 80_suse_btrfs_snapshot. The snapshot's
// copy of it differs only in what its /boot holds.
const suseGrubCfg = `set btrfs_relative_path="y"
export btrfs_relative_path
if [ -f ${config_directory}/grubenv ]; then
  load_env -f ${config_directory}/grubenv
fi
set default="${saved_entry}"
set timeout=0
menuentry 'openSUSE Tumbleweed' --class opensuse --id gnulinux-simple-` + suseUUID + ` {
	insmod btrfs
	search --no-floppy --fs-uuid --set=root ` + suseUUID + `
	echo 'Loading Linux ...'
	linux /boot/vmlinuz root=UUID=` + suseUUID + ` ${extra_cmdline} console=ttyS0
	initrd /boot/initrd
}
btrfs-mount-subvol ($root) /.snapshots @/.snapshots
if [ -f "/.snapshots/grub-snapshot.cfg" ]; then
  source "/.snapshots/grub-snapshot.cfg"
fi
`

// The files grub2-snapper-plugin writes (its output form).
const suseSnapshotsCfg = `if [ -z "$extra_cmdline" ]; then
  submenu "Start bootloader from a read-only snapshot" {
    if [ -f "/.snapshots/42/grub-snapshot.cfg" ]; then
      source "/.snapshots/42/grub-snapshot.cfg"
    fi
    if [ x$snapshot_found != xtrue ]; then
      submenu "Not Found" { true; }
    fi
  }
fi
`

const suseSnapshot42Cfg = `  if [ -f "/.snapshots/42/snapshot/boot/grub2/grub.cfg" ]; then
    snapshot_found=true
    saved_subvol=$btrfs_subvol
    menuentry "openSUSE Tumbleweed (snapshot 42)" "/.snapshots/42/snapshot" "/@/.snapshots/42/snapshot" {
        btrfs_subvol="$3"
        extra_cmdline="rootflags=subvol=$3"
        export extra_cmdline
        snapshot_num=42
        export snapshot_num
        configfile "$2/boot/grub2/grub.cfg"
        btrfs_subvol=$saved_subvol
      }
  fi
`

// buildSUSEDisk makes an openSUSE-style btrfs disk: subvolumes @,
// @/.snapshots, @/.snapshots/1/snapshot (the default: the running system)
// and @/.snapshots/42/snapshot, each snapshot with its own /boot. A VM with
// qemu/btrfsprep makes the subvolumes (see there why).
func buildSUSEDisk(t *testing.T, grubenv string) string {
	t.Helper()
	dir := t.TempDir()
	initrd := func(name string) string { return demoInitrd(t, dir, name) }
	env := make([]byte, 1024)
	copy(env, "# GRUB Environment Block\n"+grubenv)
	for k := len("# GRUB Environment Block\n" + grubenv); k < len(env); k++ {
		env[k] = '#'
	}
	const cur, snap = "/stage/tree/@/.snapshots/1/snapshot", "/stage/tree/@/.snapshots/42/snapshot"
	files := map[string]string{
		"/stage/plan": write(t, filepath.Join(dir, "plan"), "subvol @\nsubvol @/.snapshots\nsubvol @/.snapshots/1/snapshot\n"+
			"subvol @/.snapshots/42/snapshot\ndefault @/.snapshots/1/snapshot\n"),
		cur + "/boot/grub2/grub.cfg":                    write(t, filepath.Join(dir, "grub.cfg"), suseGrubCfg),
		cur + "/boot/grub2/grubenv":                     write(t, filepath.Join(dir, "grubenv"), string(env)),
		cur + "/boot/vmlinuz":                           demo.Kernel.Vmlinuz,
		cur + "/boot/initrd":                            initrd("suse-current"),
		snap + "/boot/grub2/grub.cfg":                   filepath.Join(dir, "grub.cfg"),
		snap + "/boot/vmlinuz":                          demo.Kernel.Vmlinuz,
		snap + "/boot/initrd":                           initrd("suse-snapshot-42"),
		"/stage/tree/@/.snapshots/grub-snapshot.cfg":    write(t, filepath.Join(dir, "snapshots.cfg"), suseSnapshotsCfg),
		"/stage/tree/@/.snapshots/42/grub-snapshot.cfg": write(t, filepath.Join(dir, "snap42.cfg"), suseSnapshot42Cfg),
	}
	img := filepath.Join(dir, "suse.img")
	if err := BuildDisk(img, []Part{{Name: "root", Type: "8300", FS: "btrfs", SizeMiB: 200, UUID: suseUUID, Files: files}}); err != nil {
		t.Fatal(err)
	}
	prep := filepath.Join(dir, "btrfsprep")
	if err := GoBuild("github.com/leapboot/leapboot/qemu/btrfsprep", prep); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if _, err := images.Build(&b, images.WithInit(prep), images.WithModules(demo.Kernel.Modules, "virtio_pci", "virtio_blk", "btrfs")); err != nil {
		t.Fatal(err)
	}
	prepInitrd := filepath.Join(dir, "prep.cpio.gz")
	if err := os.WriteFile(prepInitrd, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	vm := boot(t, Options{Kernel: demo.Kernel.Vmlinuz, Initrd: prepInitrd, Append: "console=ttyS0 panic=-1 prep.dev=/dev/vda1",
		Disks: []Disk{{Path: img}}})
	got, err := vm.Expect(`PREP: (done|error: [^\r\n]*)`, bootTimeout)
	if err != nil {
		t.Fatal(err)
	}
	if got[1] != "done" {
		t.Fatalf("making the subvolumes: %s", got[1])
	}
	if err := vm.Wait(bootTimeout); err != nil {
		t.Fatalf("the prep VM did not power off, so its writes may not all be in the image: %v", err)
	}
	return img
}

// TestBootOpenSUSESnapshot: an openSUSE btrfs layout with snapper's
// snapshot menu. leapboot finds grub.cfg in the default subvolume, reads
// it relative to that subvolume (btrfs_relative_path), reads the snapshot
// menu through btrfs-mount-subvol, and turns the snapshot entry (which runs
// configfile of the snapshot's grub.cfg) into a submenu. grubenv's
// saved_entry names an entry inside it by its menu path, so the
// snapshot's kernel and initrd boot with rootflags=subvol= after root=,
// as SUSE's GRUB would boot them.
func TestBootOpenSUSESnapshot(t *testing.T) {
	img := buildSUSEDisk(t, "saved_entry=Start bootloader from a read-only snapshot>openSUSE Tumbleweed (snapshot 42)>openSUSE Tumbleweed\n")
	o := demo.Options("leapboot.log_level=debug")
	o.Initrd = coldplugInitramfs(t)
	o.Disks = []Disk{{Path: img, ReadOnly: true}}
	vm := boot(t, o)
	if _, err := vm.Expect(`leapboot: 1 volumes, 2 entries`, bootTimeout); err != nil {
		t.Errorf("the current and the snapshot entry were not both read: %v", err)
	}
	expectBooted(t, vm, DemoEntry{Initrds: "suse-snapshot-42",
		Cmdline: "BOOT_IMAGE=/boot/vmlinuz root=UUID=" + suseUUID + " rootflags=subvol=/@/.snapshots/42/snapshot console=ttyS0"})
	if !strings.Contains(vm.Output(), "btrfs default subvolume") {
		t.Error("the log does not name the default subvolume")
	}
}
