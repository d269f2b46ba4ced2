package disk

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestListBlock: devices, sizes and numbers come from /proc/partitions;
// which are whole disks from /sys/block, a partition's disk and number
// from its name, the bus from the disk's link. Only a device that fits
// neither is placed by its /sys/class/block link (here "weird", whose
// name is no disk's), and a device with no link at all is a disk of its
// own ("gone"). Partitions have no class links here, so they can only be
// placed by name.
func TestListBlock(t *testing.T) {
	sys := t.TempDir()
	for _, d := range []string{"class/block", "block"} {
		if err := os.MkdirAll(filepath.Join(sys, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	disks := map[string]string{ // /sys/block links
		"sda":          "../devices/pci0000:00/0000:00:03.0/virtio1/host0/target0:0:0/0:0:0:0/block/sda",
		"nvme0n1":      "../devices/pci0000:00/0000:00:04.0/nvme/nvme0/nvme0n1",
		"nvme0n10":     "../devices/pci0000:00/0000:00:04.0/nvme/nvme0/nvme0n10",
		"nvme0n11":     "../devices/pci0000:00/0000:00:04.0/nvme/nvme0/nvme0n11",
		"sdb":          "../devices/pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host1/target1:0:0/1:0:0:0/block/sdb",
		"mmcblk0":      "../devices/platform/mmc/mmc_host/mmc0/mmc0:0001/block/mmcblk0",
		"mmcblk0boot0": "../devices/platform/mmc/mmc_host/mmc0/mmc0:0001/block/mmcblk0/mmcblk0boot0",
		"md127":        "../devices/virtual/block/md127",
		"loop0":        "../devices/virtual/block/loop0",
		"loop1":        "../devices/virtual/block/loop1",
		"vda":          "../devices/pci0000:00/0000:00:05.0/virtio2/block/vda",
		"ram0":         "../devices/virtual/block/ram0",
	}
	for n, l := range disks {
		if err := os.Symlink(l, filepath.Join(sys, "block", n)); err != nil {
			t.Fatal(err)
		}
	}
	// A partition the kernel names unlike its disk: only its class link
	// (and its partition attribute) say where it is.
	weird := filepath.Join(sys, "devices/pci0000:00/0000:00:03.0/virtio1/host0/target0:0:0/0:0:0:0/block/sda/weird")
	if err := os.MkdirAll(weird, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(weird, "partition"), []byte("7\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../devices/pci0000:00/0000:00:03.0/virtio1/host0/target0:0:0/0:0:0:0/block/sda/weird", filepath.Join(sys, "class/block/weird")); err != nil {
		t.Fatal(err)
	}
	parts := filepath.Join(t.TempDir(), "partitions")
	if err := os.WriteFile(parts, []byte(`major minor  #blocks  name

   8        0    1048576 sda
   8        1     102400 sda1
   8       15       2048 sda15
   8        7       1024 weird
 259        0    2097152 nvme0n1
 259        2    1000000 nvme0n1p2
 259        3    2097152 nvme0n10
 259        4    2097152 nvme0n11
 259        5       1024 nvme0n11p1
   8       16      65536 sdb
   8       17      65535 sdb1
 179        0    4096000 mmcblk0
 179        1    4000000 mmcblk0p1
 179        8       4096 mmcblk0boot0
   9      127    1048576 md127
 259        6    1048000 md127p1
   7        0       4096 loop0
 259        7       2048 loop0p1
   7        1       8192 loop1
   7       11       4096 loop11
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
		{name: "gone", disk: "gone", size: 1024 << 10, devno: "254:0"}, // no link anywhere: a disk of its own
		{name: "loop0", disk: "loop0", size: 4096 << 10, devno: "7:0"},
		{name: "loop0p1", disk: "loop0", partition: 1, size: 2048 << 10, devno: "259:7"},
		{name: "loop1", disk: "loop1", size: 8192 << 10, devno: "7:1"},
		// Gone from /sys/block between the two reads: not partition 1 of loop1.
		{name: "loop11", disk: "loop11", size: 4096 << 10, devno: "7:11"},
		{name: "md127", disk: "md127", size: 1048576 << 10, devno: "9:127"},
		{name: "md127p1", disk: "md127", partition: 1, size: 1048000 << 10, devno: "259:6"},
		{name: "mmcblk0", disk: "mmcblk0", size: 4096000 << 10, devno: "179:0", bus: "mmc"},
		{name: "mmcblk0p1", disk: "mmcblk0", partition: 1, size: 4000000 << 10, devno: "179:1", bus: "mmc"},
		{name: "mmcblk0boot0", disk: "mmcblk0boot0", size: 4096 << 10, devno: "179:8", bus: "mmc"},
		{name: "nvme0n1", disk: "nvme0n1", size: 2097152 << 10, devno: "259:0", bus: "nvme"},
		{name: "nvme0n1p2", disk: "nvme0n1", partition: 2, size: 1000000 << 10, devno: "259:2", bus: "nvme"},
		{name: "nvme0n10", disk: "nvme0n10", size: 2097152 << 10, devno: "259:3", bus: "nvme"},
		{name: "nvme0n11", disk: "nvme0n11", size: 2097152 << 10, devno: "259:4", bus: "nvme"},
		{name: "nvme0n11p1", disk: "nvme0n11", partition: 1, size: 1024 << 10, devno: "259:5", bus: "nvme"},
		{name: "sda", disk: "sda", size: 1048576 << 10, devno: "8:0", bus: "scsi"},
		{name: "sda1", disk: "sda", partition: 1, size: 102400 << 10, devno: "8:1", bus: "scsi"},
		{name: "weird", disk: "sda", partition: 7, size: 1024 << 10, devno: "8:7", bus: "scsi"},
		{name: "sda15", disk: "sda", partition: 15, size: 2048 << 10, devno: "8:15", bus: "scsi"},
		{name: "sdb", disk: "sdb", size: 65536 << 10, devno: "8:16", bus: "usb"},
		{name: "sdb1", disk: "sdb", partition: 1, size: 65535 << 10, devno: "8:17", bus: "usb"},
		{name: "vda", disk: "vda", size: 8388608 << 10, devno: "253:0", bus: "virtio"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("listBlock:\n got %+v\nwant %+v", got, want)
		for i := range max(len(got), len(want)) {
			if i >= len(got) || i >= len(want) || got[i] != want[i] {
				var g, w blockDev
				if i < len(got) {
					g = got[i]
				}
				if i < len(want) {
					w = want[i]
				}
				t.Errorf("first difference at %d: got %+v, want %+v", i, g, w)
				break
			}
		}
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
		{"loop0p1", "loop0", 1},
		{"sdab", "sda", 0},
		{"sda0", "sda", 0},
		{"vdb1", "vda", 0},
		{"sdap1", "sda", 0},        // "p" only after a digit
		{"nvme0n11", "nvme0n1", 0}, // a disk of its own, not partition 1
		{"nvme0n10p1", "nvme0n1", 0},
		{"loop11", "loop1", 0},
		{"nvme0n1p01", "nvme0n1", 0},
		{"nvme0n1p", "nvme0n1", 0},
		{"sda1", "", 0},
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
