package disk

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestListBlock: devices, sizes and numbers come from /proc/partitions,
// which disk a partition is on and the bus from /sys/class/block's links.
func TestListBlock(t *testing.T) {
	sys := t.TempDir()
	class := filepath.Join(sys, "class/block")
	if err := os.MkdirAll(class, 0o755); err != nil {
		t.Fatal(err)
	}
	links := map[string]string{
		"sda":       "../../devices/pci0000:00/0000:00:03.0/virtio1/host0/target0:0:0/0:0:0:0/block/sda",
		"sda1":      "../../devices/pci0000:00/0000:00:03.0/virtio1/host0/target0:0:0/0:0:0:0/block/sda/sda1",
		"sda15":     "../../devices/pci0000:00/0000:00:03.0/virtio1/host0/target0:0:0/0:0:0:0/block/sda/sda15",
		"nvme0n1":   "../../devices/pci0000:00/0000:00:04.0/nvme/nvme0/nvme0n1",
		"nvme0n1p2": "../../devices/pci0000:00/0000:00:04.0/nvme/nvme0/nvme0n1/nvme0n1p2",
		"sdb":       "../../devices/pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host1/target1:0:0/1:0:0:0/block/sdb",
		"sdb1":      "../../devices/pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host1/target1:0:0/1:0:0:0/block/sdb/sdb1",
		"loop0":     "../../devices/virtual/block/loop0",
		"vda":       "../../devices/pci0000:00/0000:00:05.0/virtio2/block/vda",
		"ram0":      "../../devices/virtual/block/ram0",
	}
	if err := os.MkdirAll(filepath.Join(sys, "block"), 0o755); err != nil {
		t.Fatal(err)
	}
	for n, l := range links {
		if err := os.Symlink(l, filepath.Join(class, n)); err != nil {
			t.Fatal(err)
		}
	}
	// /sys/block has the whole disks, linked one level higher.
	for _, n := range []string{"sda", "nvme0n1", "sdb", "loop0", "vda", "ram0"} {
		if err := os.Symlink(strings.TrimPrefix(links[n], "../"), filepath.Join(sys, "block", n)); err != nil {
			t.Fatal(err)
		}
	}
	parts := filepath.Join(t.TempDir(), "partitions")
	if err := os.WriteFile(parts, []byte(`major minor  #blocks  name

   8        0    1048576 sda
   8        1     102400 sda1
   8       15       2048 sda15
 259        0    2097152 nvme0n1
 259        2    1000000 nvme0n1p2
   8       16      65536 sdb
   8       17      65535 sdb1
   7        0       4096 loop0
   1        0      16384 ram0
 253        0    8388608 vda
 254        0       1024 gone
`), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := listBlock(sys, parts)
	if err != nil {
		t.Fatal(err)
	}
	want := []blockDev{
		{name: "gone", disk: "gone", size: 1024 << 10, devno: "254:0"}, // no sysfs link: a disk of its own
		{name: "loop0", disk: "loop0", size: 4096 << 10, devno: "7:0"},
		{name: "nvme0n1", disk: "nvme0n1", size: 2097152 << 10, devno: "259:0", bus: "nvme"},
		{name: "nvme0n1p2", disk: "nvme0n1", partition: 2, size: 1000000 << 10, devno: "259:2", bus: "nvme"},
		{name: "sda", disk: "sda", size: 1048576 << 10, devno: "8:0", bus: "scsi"},
		{name: "sda1", disk: "sda", partition: 1, size: 102400 << 10, devno: "8:1", bus: "scsi"},
		{name: "sda15", disk: "sda", partition: 15, size: 2048 << 10, devno: "8:15", bus: "scsi"},
		{name: "sdb", disk: "sdb", size: 65536 << 10, devno: "8:16", bus: "usb"},
		{name: "sdb1", disk: "sdb", partition: 1, size: 65535 << 10, devno: "8:17", bus: "usb"},
		{name: "vda", disk: "vda", size: 8388608 << 10, devno: "253:0", bus: "virtio"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("listBlock:\n got %+v\nwant %+v", got, want)
	}
}

func TestPartitionNumber(t *testing.T) {
	for _, tc := range []struct {
		name, disk string
		want       int
	}{
		{"sda1", "sda", 1},
		{"sda15", "sda", 15},
		{"nvme0n1p3", "nvme0n1", 3},
		{"mmcblk0p1", "mmcblk0", 1},
		{"md127p2", "md127", 2},
		{"sdab", "sda", 0},
		{"sda0", "sda", 0},
		{"vdb1", "vda", 0},
	} {
		if got := partitionNumber(tc.name, tc.disk); got != tc.want {
			t.Errorf("partitionNumber(%q, %q) = %d, want %d", tc.name, tc.disk, got, tc.want)
		}
	}
}

// TestListBlockWithoutSysfsLinks: with /proc/partitions but no sysfs links
// partitions would pass for disks; listBlock reads sysfs as it is instead
// (and says so when that fails too).
func TestListBlockWithoutSysfsLinks(t *testing.T) {
	parts := filepath.Join(t.TempDir(), "partitions")
	if err := os.WriteFile(parts, []byte("major minor  #blocks  name\n\n   8        0    1048576 sda\n   8        1     102400 sda1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := listBlock(t.TempDir(), parts); err == nil {
		t.Errorf("listBlock without sysfs = %+v, want the sysfs error", got)
	}
}
