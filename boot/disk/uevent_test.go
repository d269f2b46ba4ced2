package disk

import "testing"

func TestParseUevent(t *testing.T) {
	for _, tc := range []struct {
		msg string
		ev  Uevent
		ok  bool
	}{
		{"add@/devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0/host2/target2:0:0/2:0:0:0/block/sdb/sdb1\x00ACTION=add\x00DEVPATH=/devices/x\x00SUBSYSTEM=block\x00DEVNAME=sdb1\x00DEVTYPE=partition\x00", Uevent{Block: "sdb1"}, true},
		{"remove@/devices/x/block/sdb\x00ACTION=remove\x00SUBSYSTEM=block\x00DEVNAME=sdb\x00", Uevent{}, false},
		{"add@/devices/x/usb1/1-1/1-1:1.0\x00ACTION=add\x00SUBSYSTEM=usb\x00MODALIAS=usb:v46F4p0001d0000dc00dsc00dp00ic08isc06ip50in00\x00", Uevent{Modalias: "usb:v46F4p0001d0000dc00dsc00dp00ic08isc06ip50in00"}, true},
		{"add@/devices/x/usb1\x00ACTION=add\x00SUBSYSTEM=usb\x00DEVNAME=bus/usb/001/002\x00", Uevent{}, false},
		{"libudev\x00\xfe\xed\xca\xfe", Uevent{}, false},
		{"", Uevent{}, false},
	} {
		ev, ok := ParseUevent([]byte(tc.msg))
		if ev != tc.ev || ok != tc.ok {
			t.Errorf("ParseUevent(%q) = %+v, %v", tc.msg, ev, ok)
		}
	}
}

func TestBus(t *testing.T) {
	for _, tc := range []struct{ name, path, want string }{
		{"sdb1", "/sys/devices/pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host8/target8:0:0/8:0:0:0/block/sdb/sdb1", "usb"},
		{"sda", "/sys/devices/pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0/block/sda", "ata"},
		{"nvme0n1p2", "/sys/devices/pci0000:00/0000:00:04.0/nvme/nvme0/nvme0n1/nvme0n1p2", "nvme"},
		{"vda2", "/sys/devices/pci0000:00/0000:00:05.0/virtio1/block/vda/vda2", "virtio"},
		{"sda", "/sys/devices/pci0000:00/0000:00:06.0/virtio2/host2/target2:0:0/2:0:0:0/block/sda", "scsi"},
		{"mmcblk0p1", "/sys/devices/platform/mmc/mmc0/mmc0:0001/block/mmcblk0/mmcblk0p1", "mmc"},
		{"loop0", "/sys/devices/virtual/block/loop0", ""},
	} {
		if got := Bus(tc.name, tc.path); got != tc.want {
			t.Errorf("Bus(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}
